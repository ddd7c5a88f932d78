package lifecycle

import (
	"slices"
	"strconv"
)

// Machine names one of the two delivery status machines.
type Machine uint8

// The machines.
const (
	// SelfDeveloped is the delivery of the vendor's own licenses: the ledger's order lines, bins,
	// locations and files.
	SelfDeveloped Machine = iota + 1
	// ThirdParty is the delivery of licenses the vendor buys from a third party for an order.
	ThirdParty
)

// String returns "self-developed software" or "third-party software".
func (m Machine) String() string {
	switch m {
	case SelfDeveloped:
		return "self-developed software"
	case ThirdParty:
		return "third-party software"
	}
	return "machine(" + strconv.Itoa(int(m)) + ")"
}

// Status is an entitlement's delivery status (the entitlement basics' "Entitlement delivery
// status" table). The zero Status is "none yet": the start of a machine, before the entitlement
// is shipped or registered.
type Status uint8

// The statuses of the self-developed machine, then of the third-party one.
const (
	// Ready: the license is in the system and its certificate can be seen and downloaded: the
	// quantity in the partner's bin.
	Ready Status = iota + 1
	// Pooled: the entitlement is pushed to the pool: attached to a location, not yet activated.
	Pooled
	// Activated: the entitlement is activated and in the location's file.
	Activated
	// Inactive: the entitlement was revoked (returned) after activation.
	Inactive
	// OrderCancelled: the order was cancelled before activation.
	OrderCancelled

	// Activation: the requirement is being activated; no license downloaded yet.
	Activation
	// Ready3rd: the license has been purchased and can be downloaded.
	Ready3rd
	// MediumDeliveryN: delivered with the main equipment as a medium, without electronic backup.
	MediumDeliveryN
	// MediumDeliveryE: delivered with the main equipment as a medium, with electronic backup.
	MediumDeliveryE
	// InPurchase: the license is being purchased; none is available for download.
	InPurchase
	// Closed: the license has been downloaded and closed; a lost one can be applied for again.
	Closed
	statusEnd
)

var statusNames = [statusEnd]string{"none", "Ready", "Pooled", "Activated", "Inactive", "Order Cancelled", "Activation",
	"Ready (3rd)", "Medium Delivery N (3rd)", "Medium Delivery E (3rd)", "In Purchase (3rd)", "Closed (3rd)"}

// String returns the table's name of the status ("Order Cancelled", "Ready (3rd)"), or "none"
// for the zero Status.
func (s Status) String() string {
	if s < statusEnd {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Machine returns the machine the status belongs to (0 for the zero Status).
func (s Status) Machine() Machine {
	switch {
	case s >= Ready && s <= OrderCancelled:
		return SelfDeveloped
	case s >= Activation && s < statusEnd:
		return ThirdParty
	}
	return 0
}

// Move is a transition of a machine: one operation of this package or of the ledger.
type Move uint8

// The moves.
const (
	// Self-developed.
	MoveShip     Move = iota + 1 // none → Ready: entitlement.Ledger.Ship (or ShipAnnualFee)
	MovePool                     // Ready → Pooled: attach ([Pool])
	MoveUnpool                   // Pooled → Ready: detach ([Unpool])
	MoveActivate                 // Pooled → Activated: activate and issue the file ([Activate])
	MoveRevoke                   // Activated → Inactive: revoke and re-issue the file ([Revoke])
	MoveCancel                   // Ready or Pooled → Order Cancelled ([CancelReady], [Cancel])

	// Third-party.
	MoveRegister      // none → Activation ([RegisterThirdParty])
	MoveStartPurchase // Activation → In Purchase ([StartPurchase])
	MovePurchased     // In Purchase → Ready (3rd), with the license file ([Purchase])
	MoveDeliverMedium // In Purchase → Medium Delivery N or E (3rd) ([DeliverOnMedium])
	MoveDownload      // Ready (3rd) or Medium Delivery E (3rd) → Closed (3rd) ([DownloadThirdParty])
	MoveReapplyLost   // Closed (3rd) → In Purchase (3rd): a lost file applied for again ([ReapplyLost])
	moveEnd
)

var moveNames = [moveEnd]string{"none", "ship", "pool", "unpool", "activate", "revoke", "cancel",
	"register", "start purchase", "purchased", "deliver on medium", "download", "re-apply for a lost file"}

// String returns the move's name ("ship", "re-apply for a lost file").
func (m Move) String() string {
	if m < moveEnd {
		return moveNames[m]
	}
	return "move(" + strconv.Itoa(int(m)) + ")"
}

// Transition is one row of a machine's table: from a status, a move leads to a status, done by
// an operation that a role may call.
type Transition struct {
	Machine   Machine
	From      Status // 0: the entitlement does not exist yet
	Move      Move
	To        Status
	Role      string // who may make the move
	Operation string // the function that makes it
}

// The roles of the table.
const (
	roleAdmin   = "administrator"
	rolePartner = "partner's LMS user"
)

// transitions is the table of both machines: every legal move. Anything else is refused with a
// [*MoveError]. The document lists the statuses only; the moves are lmskit's reading of their
// meanings, as the package documentation explains.
var transitions = []Transition{
	{SelfDeveloped, 0, MoveShip, Ready, roleAdmin, "entitlement.Ledger.Ship, ShipAnnualFee"},
	{SelfDeveloped, Ready, MovePool, Pooled, rolePartner, "Pool"},
	{SelfDeveloped, Ready, MoveCancel, OrderCancelled, roleAdmin, "CancelReady"},
	{SelfDeveloped, Pooled, MoveUnpool, Ready, rolePartner, "Unpool"},
	{SelfDeveloped, Pooled, MoveActivate, Activated, rolePartner, "Activate"},
	{SelfDeveloped, Pooled, MoveCancel, OrderCancelled, roleAdmin, "Cancel"},
	{SelfDeveloped, Activated, MoveRevoke, Inactive, roleAdmin, "Revoke"},

	{ThirdParty, 0, MoveRegister, Activation, roleAdmin, "RegisterThirdParty"},
	{ThirdParty, Activation, MoveStartPurchase, InPurchase, roleAdmin, "StartPurchase"},
	{ThirdParty, InPurchase, MovePurchased, Ready3rd, roleAdmin, "Purchase"},
	{ThirdParty, InPurchase, MoveDeliverMedium, MediumDeliveryN, roleAdmin, "DeliverOnMedium (no electronic backup)"},
	{ThirdParty, InPurchase, MoveDeliverMedium, MediumDeliveryE, roleAdmin, "DeliverOnMedium (with electronic backup)"},
	{ThirdParty, Ready3rd, MoveDownload, Closed, rolePartner, "DownloadThirdParty"},
	{ThirdParty, MediumDeliveryE, MoveDownload, Closed, rolePartner, "DownloadThirdParty"},
	{ThirdParty, Closed, MoveReapplyLost, InPurchase, rolePartner, "ReapplyLost"},
}

// Transitions returns the table of both machines, every legal move, in the order of the package
// documentation's table. The caller owns the slice.
func Transitions() []Transition { return slices.Clone(transitions) }

// Allowed returns the moves legal from a status of a machine, in table order, each once.
func Allowed(m Machine, from Status) []Move {
	var out []Move
	for _, t := range transitions {
		if t.Machine == m && t.From == from && !slices.Contains(out, t.Move) {
			out = append(out, t.Move)
		}
	}
	return out
}

// check refuses a move that the table does not allow from a status with a [*MoveError] naming
// the entitlement; to picks among the targets of a move that has several (Deliver on medium),
// and is 0 otherwise. It returns the status the move leads to.
func check(m Machine, id string, from Status, mv Move, to Status) (Status, error) {
	for _, t := range transitions {
		if t.Machine == m && t.From == from && t.Move == mv && (to == 0 || t.To == to) {
			return t.To, nil
		}
	}
	return 0, &MoveError{Machine: m, Entitlement: id, From: from, Move: mv, Allowed: Allowed(m, from)}
}
