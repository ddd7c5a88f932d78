package swa

import "github.com/lmskit/lmskit/entitlement"

// The book's event kinds on the ledger's event stream (entitlement.Config.Events), from which a
// service sends the guide's e-mails. Events are delivered after the operation commits.
const (
	// EventUnitsShipped: SWA units reached a partner's units bin: a vendor shipment (PO, SO, Lines,
	// Due = the units' expiry) or a distributor's reshipment (User is the addressed dealer user).
	EventUnitsShipped entitlement.EventKind = "swa.units.shipped"
	// EventAssigned: units were assigned to a location and the cooling-off began (Ref is the
	// assignment number, Due when it settles by itself).
	EventAssigned entitlement.EventKind = "swa.assigned"
	// EventActivated: an agreement came into force, by the end of the cooling-off or a push (Ref is
	// the agreement number, Due its expiry).
	EventActivated entitlement.EventKind = "swa.activated"
	// EventCancelled: a pending assignment was cancelled and its units returned.
	EventCancelled entitlement.EventKind = "swa.cancelled"
	// EventEscalated: a distributor escalated a dealer's pending assignment to the vendor's
	// administrator.
	EventEscalated entitlement.EventKind = "swa.escalated"
	// EventRenewed: an agreement was renewed (Ref is the new agreement number, Due its expiry).
	EventRenewed entitlement.EventKind = "swa.renewed"
	// EventExpiring: an agreement enters its renewal window (Config.RenewalWindow); Due is its
	// expiry. Raised by [Book.Settle] as the administrator.
	EventExpiring entitlement.EventKind = "swa.expiring"
	// EventExpired: an agreement lapsed without renewal; Due is the expiry it passed. Raised by
	// [Book.Settle] as the administrator.
	EventExpired entitlement.EventKind = "swa.expired"
)
