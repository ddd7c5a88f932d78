package entitlement

import "time"

// EventKind names what happened. The core's kinds are below; packages built on the ledger define
// their own, prefixed with the package name ("swa.activated").
type EventKind string

// The core's event kinds.
const (
	// EventLicensesShipped: an order's license lines reached a partner's license bin (Ship, and a
	// distributor's reshipment into a dealer's bin). Order, Partner and Lines are set; User is
	// the addressed dealer user of a reshipment.
	EventLicensesShipped EventKind = "licenses.shipped"
	// EventExternalFile: an external product's license file was supplied and is available for
	// download ("your License file … is available"): Location, Partner, HWKC, File, Serial, SOs
	// and the e-mails are set.
	EventExternalFile EventKind = "file.external"
)

// Event is one entry of the ledger's event stream (Config.Events): what a service turns into the
// guide's e-mails and notices. Fields a kind does not use are zero.
type Event struct {
	Kind EventKind
	// Time is the operation's time (or, for a warning, when it was raised).
	Time time.Time
	// Partner is the partner the event concerns; User the user addressed, if any.
	Partner, User string
	// Customer and Location identify the customer location concerned, if any; HWKC is its code.
	Customer, Location, HWKC string
	// PO and SO are the order numbers concerned, if any; SOs lists several sales orders.
	PO, SO string
	SOs    []string
	// Lines are the parts and quantities concerned (a shipment).
	Lines []OrderLine
	// Ref is the event's own object: an agreement number, a file's download name, a
	// registration id.
	Ref string
	// Serial is a license file's serial, if any.
	Serial uint64
	// Due is the date a warning is about (an agreement's or entitlement's expiry).
	Due time.Time
	// CustomerEmail and DealerEmail are the location's addresses, where the event has a location.
	CustomerEmail, DealerEmail string
	// Detail is a human-readable sentence.
	Detail string
}

// deliver hands events to Config.Events after a commit.
func (l *Ledger) deliver(events []Event) {
	if l.cfg.Events == nil {
		return
	}
	for _, e := range events {
		l.cfg.Events(e)
	}
}

// emit queues an event of the operation, stamped with the operation's time unless it has one.
func (o *op) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = o.now
	}
	o.events = append(o.events, e)
}
