package swa

import (
	"fmt"
	"time"
)

// Shipment is one shipment of SWA units in a partner's units bin: a vendor's order line or a
// distributor's reshipment. Its quantities always satisfy
//
//	Shipped = Available + Pending + Consumed + ReshippedOut + Expired
//
// ([CheckConservation]): Available units can be drawn; Pending units are held by an assignment in
// its cooling-off period; Consumed units paid for an agreement; ReshippedOut units went on to a
// dealer's bin; Expired units were still available when the shipment expired.
type Shipment struct {
	ID      uint64 `cbor:"1,keyasint"` // the shipment's number in the book
	Partner string `cbor:"2,keyasint"` // the partner whose units bin holds it
	SO      string `cbor:"3,keyasint"` // the sales order
	PO      string `cbor:"4,keyasint"` // the purchase order
	Part    string `cbor:"5,keyasint"` // the SWA units part (BE112031)
	// Shipped is the units shipped; Available, Pending, Consumed, ReshippedOut and Expired
	// account for every one of them (see above).
	Shipped      int64     `cbor:"6,keyasint"`
	Available    int64     `cbor:"7,keyasint"`
	Pending      int64     `cbor:"8,keyasint"`
	Consumed     int64     `cbor:"9,keyasint"`
	ReshippedOut int64     `cbor:"10,keyasint"`
	Expired      int64     `cbor:"11,keyasint"`
	Expires      time.Time `cbor:"12,keyasint"` // the units expire at this instant
	ShippedAt    time.Time `cbor:"13,keyasint"` // when the shipment reached the bin
	// Parent is the distributor's shipment a reshipment came from; 0 for a vendor shipment.
	Parent uint64 `cbor:"14,keyasint,omitempty"`
}

// State is a location's (or one product's) Software Assurance state, as the guide's icons show it.
type State uint8

// States.
const (
	// StateNone: no SWA-eligible license is activated on the location.
	StateNone State = iota
	// StateGrace: in the grace period after the first activation, without SWA (yellow icon).
	StateGrace
	// StatePending: units are assigned and the 24-hour cooling-off runs.
	StatePending
	// StateActive: an agreement is in force (green icon).
	StateActive
	// StateExpired: the agreement lapsed, or grace ended without SWA; a new agreement pays the
	// reinstatement fee.
	StateExpired
	// StateRenewable: an agreement is in force and expires within the renewal window.
	StateRenewable
)

// String returns "none", "grace", "pending", "active", "expired" or "renewable".
func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateGrace:
		return "grace"
	case StatePending:
		return "pending"
	case StateActive:
		return "active"
	case StateExpired:
		return "expired"
	case StateRenewable:
		return "renewable"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// AssignmentKind tells an assignment from a renewal.
type AssignmentKind uint8

// Assignment kinds.
const (
	// KindAssign: units assigned from a quote; pending for the cooling-off period.
	KindAssign AssignmentKind = iota + 1
	// KindRenewal: a renewal (one or more agreements of one customer); in force at once.
	KindRenewal
)

// AssignmentState is where an assignment is in its life.
type AssignmentState uint8

// Assignment states.
const (
	// AssignmentPending: in the cooling-off period; its units are held (Allocated).
	AssignmentPending AssignmentState = iota + 1
	// AssignmentActive: settled after the cooling-off, pushed, or a renewal: its units are
	// consumed and its agreements in force.
	AssignmentActive
	// AssignmentCancelled: cancelled in the cooling-off period; its units went back to the
	// shipments they came from.
	AssignmentCancelled
)

// String returns "pending", "active" or "cancelled".
func (s AssignmentState) String() string {
	switch s {
	case AssignmentPending:
		return "pending"
	case AssignmentActive:
		return "active"
	case AssignmentCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("AssignmentState(%d)", uint8(s))
}

// Assignment is units drawn from a partner's bin for agreements: an assignment to one location
// (a reservation while it is pending) or a renewal of one or more locations of a customer.
type Assignment struct {
	ID        uint64          `cbor:"1,keyasint"`           // the assignment's number in the book
	Kind      AssignmentKind  `cbor:"2,keyasint"`           // an assignment or a renewal
	State     AssignmentState `cbor:"3,keyasint"`           // pending, active or cancelled
	Partner   string          `cbor:"4,keyasint"`           // the partner whose units it draws
	Customer  string          `cbor:"5,keyasint"`           // the customer of its locations
	Location  string          `cbor:"6,keyasint,omitempty"` // the location of an assignment
	Items     []Item          `cbor:"7,keyasint"`           // the agreements it pays for
	Units     int64           `cbor:"8,keyasint"`           // every unit drawn, reinstatement fees included
	Reference string          `cbor:"9,keyasint,omitempty"` // the reference number given, if any
	Created   time.Time       `cbor:"10,keyasint"`          // when it was made
	By        string          `cbor:"11,keyasint"`          // the actor's identity (IMP:… while impersonating)
	// Due is when a pending assignment settles by itself (Created + the cooling-off period).
	Due   time.Time `cbor:"12,keyasint,omitempty"`
	Draws []Draw    `cbor:"13,keyasint"` // the units taken, per shipment
	// Closed is when the assignment was settled, pushed or cancelled; ClosedBy who did it
	// ("" when it settled by itself) and Reason the reason given (a push's is required).
	Closed   time.Time `cbor:"14,keyasint,omitempty"`
	ClosedBy string    `cbor:"15,keyasint,omitempty"`
	Reason   string    `cbor:"16,keyasint,omitempty"`
	Pushed   bool      `cbor:"17,keyasint,omitempty"` // brought into force by a push
	// Escalated is set when a distributor escalated the dealer's reservation to the vendor's
	// administrator, with who and why.
	Escalated      bool   `cbor:"18,keyasint,omitempty"`
	EscalatedBy    string `cbor:"19,keyasint,omitempty"`
	EscalationNote string `cbor:"20,keyasint,omitempty"` // the note given with the escalation
}

// TimeLeft is what is left of a pending assignment's cooling-off period at now (the guide's "Time
// left for this activation will be finalized (hh:mm)"); 0 when it is not pending or due.
func (a Assignment) TimeLeft(now time.Time) time.Duration {
	if a.State != AssignmentPending || !now.Before(a.Due) {
		return 0
	}
	return a.Due.Sub(now)
}

// Item is one agreement an assignment pays for: one product of one location for one term.
type Item struct {
	Location string `cbor:"1,keyasint"` // the location
	Product  string `cbor:"2,keyasint"` // the product's Name in the terms table
	Months   int    `cbor:"3,keyasint"` // the term's months (those begun, for an end-date choice)
	// Start and End are the term's first and last day.
	Start time.Time `cbor:"4,keyasint"`
	End   time.Time `cbor:"5,keyasint"`
	// Units is the term's units; Reinstatement the fee for ReinstatementMonths lapsed months (0
	// when there was no lapse or the fee was waived).
	Units               int64 `cbor:"6,keyasint"`
	Reinstatement       int64 `cbor:"7,keyasint,omitempty"`
	ReinstatementMonths int   `cbor:"8,keyasint,omitempty"`
	// Agreement is the agreement number, set when the item came into force.
	Agreement string `cbor:"9,keyasint,omitempty"`
}

// Draw is units an assignment took from one shipment.
type Draw struct {
	Shipment uint64 `cbor:"1,keyasint"` // the shipment's ID
	Qty      int64  `cbor:"2,keyasint"` // the units taken from it
}

// PeriodKind says what a line of an agreement's history is.
type PeriodKind uint8

// Period kinds.
const (
	// PeriodGrace: the grace period, under the grace agreement number (suffix W).
	PeriodGrace PeriodKind = iota + 1
	// PeriodNew: the first agreement (suffix N), assigned in grace or later.
	PeriodNew
	// PeriodReinstated: a new agreement after a lapse (suffix N, a new number).
	PeriodReinstated
	// PeriodRenewal: a renewal (suffix Rnn).
	PeriodRenewal
)

// String returns "grace", "new", "reinstated" or "renewal".
func (k PeriodKind) String() string {
	switch k {
	case PeriodGrace:
		return "grace"
	case PeriodNew:
		return "new"
	case PeriodReinstated:
		return "reinstated"
	case PeriodRenewal:
		return "renewal"
	}
	return fmt.Sprintf("PeriodKind(%d)", uint8(k))
}

// Period is one line of an agreement's history (the SWA portal's "Agreement History").
type Period struct {
	Kind      PeriodKind `cbor:"1,keyasint"`           // grace, new, reinstated or renewal
	Agreement string     `cbor:"2,keyasint"`           // the agreement number of the period
	Start     time.Time  `cbor:"3,keyasint"`           // the period's first day
	End       time.Time  `cbor:"4,keyasint"`           // the period's last day
	Months    int        `cbor:"5,keyasint,omitempty"` // the term's months (0 for grace)
	Units     int64      `cbor:"6,keyasint,omitempty"` // reinstatement fee included
	Reference string     `cbor:"7,keyasint,omitempty"` // the reference number given, if any
	At        time.Time  `cbor:"8,keyasint"`           // when it came into force
	// Assignment is the assignment or renewal that paid for it (0 for the grace period).
	Assignment uint64 `cbor:"9,keyasint,omitempty"`
}

// locRec is the book's record of one location: its products' agreements and its pending
// assignment.
type locRec struct {
	Location string   `cbor:"1,keyasint"`
	Partner  string   `cbor:"2,keyasint"`
	Customer string   `cbor:"3,keyasint"`
	Apps     []appRec `cbor:"4,keyasint"`
	Pending  uint64   `cbor:"5,keyasint,omitempty"`
}

// appRec is one product's agreement on a location.
type appRec struct {
	Product string `cbor:"1,keyasint"`
	// Base is the agreement number without its suffix (50IS0-FHTY11751); Suffix is W, N or Rnn.
	Base   string `cbor:"2,keyasint"`
	Suffix string `cbor:"3,keyasint"`
	// Start and End are the current term; zero while only the grace agreement exists.
	Start    time.Time `cbor:"4,keyasint,omitempty"`
	End      time.Time `cbor:"5,keyasint,omitempty"`
	Renewals int       `cbor:"6,keyasint,omitempty"`
	History  []Period  `cbor:"7,keyasint,omitempty"`
	// Expiry is the key of the agreement's entry in the expiry index ("" when none).
	Expiry string `cbor:"8,keyasint,omitempty"`
}

func (a appRec) number() string { return a.Base + "-" + a.Suffix }

func (r *locRec) app(product string) *appRec {
	for i := range r.Apps {
		if r.Apps[i].Product == product {
			return &r.Apps[i]
		}
	}
	return nil
}

// expEntry is an entry of the expiry index: the warning (stage 1) or lapse (stage 2) due for an
// agreement.
type expEntry struct {
	Partner  string    `cbor:"1,keyasint"`
	Location string    `cbor:"2,keyasint"`
	Product  string    `cbor:"3,keyasint"`
	Stage    uint8     `cbor:"4,keyasint"`
	End      time.Time `cbor:"5,keyasint"`
}

// Reshipment records a distributor's reshipment of SWA units into a dealer's units bin, listed with
// its resold orders ([Book.Resold]).
type Reshipment struct {
	ID     uint64          `cbor:"1,keyasint"` // the reshipment's number in the book
	From   string          `cbor:"2,keyasint"` // distributor
	To     string          `cbor:"3,keyasint"` // dealer
	ToUser string          `cbor:"4,keyasint"` // the dealer's user it was shipped to
	PO     string          `cbor:"5,keyasint"` // the new purchase order
	SO     string          `cbor:"6,keyasint"` // the new sales order
	Lines  []ReshippedUnit `cbor:"7,keyasint"` // the units, per source shipment
	Time   time.Time       `cbor:"8,keyasint"` // when it was made
	By     string          `cbor:"9,keyasint"` // the actor's identity (IMP:… while impersonating)
}

// ReshippedUnit is the units of one shipment in a [Reshipment].
type ReshippedUnit struct {
	From    uint64    `cbor:"1,keyasint"` // the distributor's shipment
	To      uint64    `cbor:"2,keyasint"` // the dealer's new shipment
	Qty     int64     `cbor:"3,keyasint"` // the units moved
	Expires time.Time `cbor:"4,keyasint"` // when they expire (the distributor's shipment's expiry)
}

// empty is the value of index entries.
type empty struct{}
