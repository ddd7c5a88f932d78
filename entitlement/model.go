package entitlement

import (
	"fmt"
	"strings"
	"time"

	"github.com/lmskit/lmskit/license"
)

// PartnerKind says what a business partner may do. Only a distributor reships and impersonates.
type PartnerKind uint8

// Partner kinds.
const (
	KindInvalid     PartnerKind = iota
	KindVendor                  // the vendor itself: ships orders, runs the license desk
	KindDistributor             // T1 business partner
	KindDealer                  // T2 dealer/reseller
)

// String returns "vendor", "distributor" or "dealer".
func (k PartnerKind) String() string {
	switch k {
	case KindVendor:
		return "vendor"
	case KindDistributor:
		return "distributor"
	case KindDealer:
		return "dealer"
	}
	return "invalid"
}

// Role is a set of user roles. The roles, who may hold each, whether it includes the LMS user
// role (whether a user holding only it passes every check for the LMS user role), and what it
// allows:
//
//	role                held by              includes LMS user  allows
//	RoleLMSUser         any partner's user   (is it)            the partner's own books: bin, customers, locations, attach, activate, files, lookups, reship, return
//	RoleSWADistributor  distributors' users  no                 Software Assurance as SWA Distributor Admin: reship SWA units
//	RoleSWADealer       any partner's user   no                 Software Assurance as SWA Dealer Admin: assign, renew, claim free-of-charge licenses
//	RoleAdmin           the vendor's users   yes                ship orders, partners, users, roles, allowances, the audit log, the license desk's actions on every partner's books
//
// An administrator passes the LMS user checks on every partner's books, within the limits the
// package documentation lists (it does not spend or return a partner's licenses). Reshipment,
// returns and impersonation need the LMS user role itself, on a distributor's or dealer's user;
// the vendor has no bin to reship from. [Ledger.Bootstrap] gives the first administrator both
// roles.
type Role uint8

// Roles a user may hold; the [Role] type's documentation says what each allows.
const (
	RoleLMSUser        Role = 1 << iota // may use the ledger for its partner
	RoleSWADistributor                  // SWA Distributor Admin
	RoleSWADealer                       // SWA Dealer Admin
	RoleAdmin                           // LMS administrator: ships orders, manages partners, desk actions
	roleAll            = RoleLMSUser | RoleSWADistributor | RoleSWADealer | RoleAdmin
)

// Has reports whether r holds every role in want.
func (r Role) Has(want Role) bool { return r&want == want }

// Partner is a business partner: a distributor, a dealer/reseller, or the vendor.
type Partner struct {
	ID   string      `cbor:"1,keyasint" json:"id"`
	Name string      `cbor:"2,keyasint" json:"name"`
	Kind PartnerKind `cbor:"3,keyasint" json:"kind"`
}

// User is an LMS user account. ID is the login (normally the e-mail address).
type User struct {
	ID      string `cbor:"1,keyasint" json:"id"`
	Name    string `cbor:"2,keyasint" json:"name"`
	Partner string `cbor:"3,keyasint" json:"partner"`
	Roles   Role   `cbor:"4,keyasint" json:"roles"`
}

// Actor is who performs an operation: the authenticated user and, while impersonating, the dealer
// user acted as. Obtain an impersonating actor from [Ledger.Impersonate]; the ledger checks the
// shipping allowance again on every operation.
type Actor struct {
	User string // the authenticated user
	As   string // the impersonated dealer user, or "" when acting as oneself
}

// String is the identity shown to the user: the login, or IMP:<distributor user>/<dealer user>.
func (a Actor) String() string {
	if a.As == "" {
		return a.User
	}
	return "IMP:" + a.User + "/" + a.As
}

// Order is a shipment from the vendor into a partner's license bin.
type Order struct {
	Partner string      // receiving partner
	PO, SO  string      // purchase order and sales order numbers
	Lines   []OrderLine // part numbers and quantities
	// Expires is when the order's SWA units expire (the units bin lists each shipment with it);
	// licenses ignore it.
	Expires time.Time
}

// OrderLine is one part of an order.
type OrderLine struct {
	Part string
	Qty  int64
	// Type is the line's entitlement type (see license.EntitlementType, the one table of types
	// and their categories); "" means T, Commerce: commercial and permanent.
	Type license.EntitlementType
	// NotAfter is when a fixed-term type's entitlement ends: required for every type but T,
	// after the shipment, and zero for T. Kept to the second, in UTC.
	NotAfter time.Time
}

// ShippedLine is one part of one order in one partner's bin. Its quantities always satisfy
// Shipped = InBin + Attached + Activated + ReshippedOut + Returned + Revoked + Cancelled (see
// [CheckConservation]).
type ShippedLine struct {
	ID           uint64    `cbor:"1,keyasint" json:"id"`
	Partner      string    `cbor:"2,keyasint" json:"partner"`
	PO           string    `cbor:"3,keyasint" json:"po"`
	SO           string    `cbor:"4,keyasint" json:"so"`
	Part         string    `cbor:"5,keyasint" json:"part"`
	Shipped      int64     `cbor:"6,keyasint" json:"shipped"`
	InBin        int64     `cbor:"7,keyasint" json:"in_bin"`
	Attached     int64     `cbor:"8,keyasint" json:"attached"`
	Activated    int64     `cbor:"9,keyasint" json:"activated"`
	ReshippedOut int64     `cbor:"10,keyasint" json:"reshipped_out"`
	Returned     int64     `cbor:"11,keyasint" json:"returned"`
	Parent       uint64    `cbor:"12,keyasint,omitempty" json:"parent,omitempty"` // the distributor's line this was reshipped from; 0 for a vendor shipment
	ShippedAt    time.Time `cbor:"13,keyasint" json:"shipped_at"`
	// Type is the entitlement type the line was shipped with; "" means T (Commerce), as on every
	// line shipped before types were kept. [ShippedLine.EntitlementType] reads it.
	Type license.EntitlementType `cbor:"14,keyasint,omitempty" json:"type,omitempty"`
	// NotAfter is when a fixed-term line's entitlement ends; zero for a permanent one.
	NotAfter time.Time `cbor:"15,keyasint,omitzero" json:"not_after,omitzero"`
	// Revoked is the quantity activated and then revoked (returned): the delivery status
	// Inactive. It no longer grants: the location's file was re-issued without it.
	Revoked int64 `cbor:"16,keyasint,omitempty" json:"revoked,omitempty"`
	// Cancelled is the quantity whose order was cancelled before activation: the delivery status
	// Order Cancelled, from the bin or from attached lines.
	Cancelled int64 `cbor:"17,keyasint,omitempty" json:"cancelled,omitempty"`
}

// EntitlementType is the line's entitlement type, T when none was given.
func (s ShippedLine) EntitlementType() license.EntitlementType { return typeOrT(s.Type) }

func typeOrT(t license.EntitlementType) license.EntitlementType {
	if t == "" {
		return license.TypeCommerce
	}
	return t
}

// Pick selects a quantity of a shipped line for attach, reship or return. Qty 0 skips the line.
type Pick struct {
	Line uint64
	Qty  int64
}

// LineState is the state of a line on a location.
type LineState uint8

// Line states. Attached lines can be detached; activated lines are final.
const (
	StateAttached LineState = iota + 1
	StateActivated
	// StateMigrated is an activated line kept as read-only history after its location migrated
	// (see [Ledger.MigrateSV9100]); it still counts as activated on its shipped line.
	StateMigrated
	// StateRevoked is an activated line that was revoked (returned): the delivery status
	// Inactive. It counts as Revoked on its shipped line and is in no file; it stays on the
	// location as history.
	StateRevoked
	// StateCancelled is an attached line whose order was cancelled before activation: the
	// delivery status Order Cancelled. It counts as Cancelled on its shipped line and stays on the
	// location as history.
	StateCancelled
)

// String returns "attached", "activated", "migrated", "revoked" or "cancelled".
func (s LineState) String() string {
	switch s {
	case StateAttached:
		return "attached"
	case StateActivated:
		return "activated"
	case StateMigrated:
		return "migrated"
	case StateRevoked:
		return "revoked"
	case StateCancelled:
		return "cancelled"
	}
	return "invalid"
}

// Live reports whether a line in state s holds its quantity on its location: attached or
// activated. Migrated, revoked and cancelled lines are history.
func (s LineState) Live() bool { return s == StateAttached || s == StateActivated }

// Line is a quantity of one part on one location, identified by its software key code.
type Line struct {
	SKC         string    `cbor:"1,keyasint" json:"skc"`
	Location    string    `cbor:"2,keyasint" json:"location"`
	Source      uint64    `cbor:"3,keyasint" json:"source"` // the shipped line it came from
	Part        string    `cbor:"4,keyasint" json:"part"`
	Qty         int64     `cbor:"5,keyasint" json:"qty"`
	State       LineState `cbor:"6,keyasint" json:"state"`
	PO          string    `cbor:"7,keyasint" json:"po"`
	SO          string    `cbor:"8,keyasint" json:"so"`
	Partner     string    `cbor:"9,keyasint" json:"partner"`
	AttachedAt  time.Time `cbor:"10,keyasint" json:"attached_at"`
	ActivatedAt time.Time `cbor:"11,keyasint,omitempty" json:"activated_at,omitzero"`
	Recent      uint64    `cbor:"12,keyasint" json:"recent"` // position in the recently attached/activated lists
	// MigratedFrom is the software key code of the history line this line was carried over from
	// by a migration; "" otherwise.
	MigratedFrom string `cbor:"13,keyasint,omitempty" json:"migrated_from,omitempty"`
	// Type and NotAfter are those of the shipped line it came from: a fixed-term line goes in the
	// location's file of its type and end date, not in the permanent one.
	Type     license.EntitlementType `cbor:"14,keyasint,omitempty" json:"type,omitempty"`
	NotAfter time.Time               `cbor:"15,keyasint,omitzero" json:"not_after,omitzero"`
	// EndedAt is when a line was revoked or cancelled.
	EndedAt time.Time `cbor:"16,keyasint,omitzero" json:"ended_at,omitzero"`
}

// EntitlementType is the line's entitlement type, T when none was given.
func (ln Line) EntitlementType() license.EntitlementType { return typeOrT(ln.Type) }

// FixedTerm reports whether the line's entitlement ends (at NotAfter).
func (ln Line) FixedTerm() bool { return !ln.NotAfter.IsZero() }

// Customer is an end customer of a partner.
type Customer struct {
	ID        string `cbor:"1,keyasint" json:"id"`      // UUID, assigned on create
	Partner   string `cbor:"2,keyasint" json:"partner"` // assigned on create
	Name      string `cbor:"3,keyasint" json:"name"`
	Address   string `cbor:"4,keyasint,omitempty" json:"address,omitempty"`
	Reference string `cbor:"5,keyasint,omitempty" json:"reference,omitempty"` // reference note (customer number)
	Email     string `cbor:"6,keyasint,omitempty" json:"email,omitempty"`
}

// Location is a customer location: one installed system with its host id.
type Location struct {
	ID            string    `cbor:"1,keyasint" json:"id"` // UUID, assigned on create
	Customer      string    `cbor:"2,keyasint" json:"customer"`
	Partner       string    `cbor:"3,keyasint" json:"partner"` // assigned on create: the customer's partner
	Parent        string    `cbor:"4,keyasint,omitempty" json:"parent,omitempty"`
	Name          string    `cbor:"5,keyasint" json:"name"`
	Address       string    `cbor:"6,keyasint,omitempty" json:"address,omitempty"`
	System        string    `cbor:"7,keyasint" json:"system"`                              // LMS system type name, see [Catalog.Systems]
	HWKC          string    `cbor:"8,keyasint" json:"hwkc"`                                // primary hardware key code, canonical form
	SecondaryHWKC string    `cbor:"9,keyasint,omitempty" json:"secondary_hwkc,omitempty"`  // secondary (redundant) code
	Reference     string    `cbor:"10,keyasint,omitempty" json:"reference,omitempty"`      // reference note
	CustomerEmail string    `cbor:"11,keyasint,omitempty" json:"customer_email,omitempty"` // customer e-mail
	DealerEmail   string    `cbor:"12,keyasint,omitempty" json:"dealer_email,omitempty"`   // dealer e-mail
	Verticals     []string  `cbor:"13,keyasint,omitempty" json:"verticals,omitempty"`      // market verticals
	DemosLeft     int       `cbor:"14,keyasint" json:"demos_left"`                         // demo licenses left (starts at 2)
	FileSerial    uint64    `cbor:"15,keyasint,omitempty" json:"file_serial,omitempty"`    // serial of the last issued file
	Created       time.Time `cbor:"16,keyasint" json:"created"`
	Attrs         []Attr    `cbor:"17,keyasint,omitempty" json:"attrs,omitempty"` // bound attributes for system rules (IP, FCN, domain…)
	// FormerHWKC lists the hardware key codes the location had before a hardware replacement,
	// migration or re-created virtual code, oldest first; they never receive a file again.
	FormerHWKC []string `cbor:"18,keyasint,omitempty" json:"former_hwkc,omitempty"`
	// Imported is set once a license file of an existing system was imported (DECT upload).
	Imported bool `cbor:"19,keyasint,omitempty" json:"imported,omitempty"`
}

// Attr returns the value of the named attribute and whether the location has it.
func (l Location) Attr(name string) (string, bool) {
	for _, a := range l.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// SetAttr sets the named attribute, adding it when the location has none of that name. Rules use
// it on the location they create ([Rules].CreateLocation); an operation keeps a changed location
// with [Op.SaveLocation].
func (l *Location) SetAttr(name, value string) {
	for i := range l.Attrs {
		if l.Attrs[i].Name == name {
			l.Attrs[i].Value = value
			return
		}
	}
	l.Attrs = append(l.Attrs, Attr{Name: name, Value: value})
}

// Attr is a named attribute of a location that per-system rules use (the LAN1 IP of an SV9500
// Standard Server, the Full Computer Name of a dongle-less iS3000, a 3C domain name).
type Attr struct {
	Name  string `cbor:"1,keyasint" json:"name"`
	Value string `cbor:"2,keyasint" json:"value"`
}

// Issued is a license file the ledger issued for a location.
type Issued struct {
	Location       string    `cbor:"1,keyasint" json:"location"`
	Serial         uint64    `cbor:"2,keyasint" json:"serial"`
	Issued         time.Time `cbor:"3,keyasint" json:"issued"`
	Demo           bool      `cbor:"4,keyasint,omitempty" json:"demo,omitempty"`
	NotAfter       time.Time `cbor:"5,keyasint,omitempty" json:"not_after,omitzero"` // end of a demo or fixed-term file
	Name           string    `cbor:"6,keyasint" json:"name"`                         // download name, e.g. 191000343919-svi.zip
	Data           []byte    `cbor:"7,keyasint" json:"data"`                         // the download (container) bytes
	File           []byte    `cbor:"8,keyasint" json:"file"`                         // the signed license file inside it
	ActivationCode string    `cbor:"9,keyasint,omitempty" json:"activation_code,omitempty"`
	// Pending is set on what activation returns for an external product: the lines are
	// activated, the file will be supplied from outside ([Ledger.AttachExternalFile]).
	Pending bool `cbor:"10,keyasint,omitempty" json:"pending,omitempty"`
	// External is set on a file supplied from outside rather than issued by the ledger.
	External bool `cbor:"11,keyasint,omitempty" json:"external,omitempty"`
	// Warnings are what the system's rules reported without refusing the activation that
	// issued the file (see [RuleView].Warn); they are returned, not stored.
	Warnings []string `cbor:"-" json:"-"`
	// Type is the entitlement type of a fixed-term file: the location's fixed-term lines of one
	// type and end date (NotAfter) are issued in a file of their own. "" for a permanent or demo
	// file.
	Type license.EntitlementType `cbor:"12,keyasint,omitempty" json:"type,omitempty"`
	// Contents lists every file in Data when this is a location's download ([Ledger.Download],
	// and what Activate and Regenerate return): its permanent file first, then its current
	// fixed-term files. Returned, not stored.
	Contents []IssuedInfo `cbor:"-" json:"-"`
}

// String describes the file without its bytes (the download and the signed file are summarised
// by their lengths): "file 191000343919-svi.zip serial 2 of location <id>, 1234 bytes (file 456)".
func (f Issued) String() string {
	var b strings.Builder
	switch {
	case f.Pending:
		fmt.Fprintf(&b, "pending file of location %s (supplied from outside)", f.Location)
	default:
		kind := "file"
		if f.Demo {
			kind = "demo file"
		} else if f.External {
			kind = "external file"
		}
		fmt.Fprintf(&b, "%s %s serial %d of location %s, %d bytes (file %d)", kind, f.Name, f.Serial, f.Location, len(f.Data), len(f.File))
		if f.ActivationCode != "" {
			fmt.Fprintf(&b, ", activation code %s", f.ActivationCode)
		}
	}
	if len(f.Warnings) > 0 {
		fmt.Fprintf(&b, "; %d warnings", len(f.Warnings))
	}
	return b.String()
}

// GoString is String, so %#v prints no bytes either.
func (f Issued) GoString() string { return "entitlement.Issued{" + f.String() + "}" }

// Reshipment records a distributor's reshipment into a dealer's bin.
type Reshipment struct {
	ID     uint64          `cbor:"1,keyasint" json:"id"`
	From   string          `cbor:"2,keyasint" json:"from"`    // distributor partner
	To     string          `cbor:"3,keyasint" json:"to"`      // dealer partner
	ToUser string          `cbor:"4,keyasint" json:"to_user"` // the dealer user addressed
	PO     string          `cbor:"5,keyasint" json:"po"`
	SO     string          `cbor:"6,keyasint" json:"so"`
	Lines  []ReshippedPart `cbor:"7,keyasint" json:"lines"`
	Time   time.Time       `cbor:"8,keyasint" json:"time"`
	By     string          `cbor:"9,keyasint" json:"by"` // actor identity
}

// ReshippedPart is one part of a [Reshipment] or a [Return].
type ReshippedPart struct {
	From uint64 `cbor:"1,keyasint" json:"from"` // the sender's shipped line
	To   uint64 `cbor:"2,keyasint" json:"to"`   // the receiver's shipped line (0 for a return to the vendor)
	Part string `cbor:"3,keyasint" json:"part"`
	Qty  int64  `cbor:"4,keyasint" json:"qty"`
}

// Return records bin lines a partner returned to whoever shipped them: a dealer returns reshipped
// lines to its distributor, a partner returns vendor shipments to the vendor.
type Return struct {
	ID     uint64          `cbor:"1,keyasint" json:"id"`
	From   string          `cbor:"2,keyasint" json:"from"`
	To     string          `cbor:"3,keyasint" json:"to"` // receiving partner, "" for the vendor
	Lines  []ReshippedPart `cbor:"4,keyasint" json:"lines"`
	Reason string          `cbor:"5,keyasint,omitempty" json:"reason,omitempty"`
	Time   time.Time       `cbor:"6,keyasint" json:"time"`
	By     string          `cbor:"7,keyasint" json:"by"`
}
