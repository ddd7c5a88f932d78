package httpapi

import (
	"encoding/hex"
	"slices"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// The types that cross the wire. JSON names are chosen here once: snake_case, enums as their
// names, times in RFC 3339 (UTC), lists as [] (never null). Field tags `doc` and `enum` feed the
// OpenAPI document.

// Partner is a business partner.
type Partner struct {
	ID   string `json:"id" doc:"partner id, chosen by the administrator"`
	Name string `json:"name"`
	Kind string `json:"kind" enum:"vendor,distributor,dealer"`
}

// User is an LMS user account.
type User struct {
	ID      string   `json:"id" doc:"login, normally the e-mail address"`
	Name    string   `json:"name"`
	Partner string   `json:"partner"`
	Roles   []string `json:"roles" enum:"lms_user,swa_distributor,swa_dealer,admin"`
}

// RolesRequest replaces a user's roles.
type RolesRequest struct {
	Roles []string `json:"roles" enum:"lms_user,swa_distributor,swa_dealer,admin"`
}

// Allowance is a shipping allowance distributor→dealer.
type Allowance struct {
	Distributor string `json:"distributor"`
	Dealer      string `json:"dealer"`
}

// Token is an API token without its secret.
type Token struct {
	ID        string     `json:"id"`
	User      string     `json:"user"`
	ActingAs  string     `json:"acting_as,omitempty" doc:"the impersonated dealer user of an impersonation token"`
	Name      string     `json:"name,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	CreatedBy string     `json:"created_by"`
}

// TokenRequest asks for an API token (administrator).
type TokenRequest struct {
	User             string `json:"user"`
	Name             string `json:"name,omitempty"`
	ExpiresInSeconds int64  `json:"expires_in_seconds,omitempty" doc:"lifetime; 0 or absent means 90 days, at most 366 days"`
}

// ImpersonationRequest asks for an impersonation token.
type ImpersonationRequest struct {
	DealerUser       string `json:"dealer_user"`
	ExpiresInSeconds int64  `json:"expires_in_seconds,omitempty" doc:"lifetime; 0 or absent means 1 hour, at most 12 hours"`
}

// IssuedToken is a new token with its secret, shown once.
type IssuedToken struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret,omitempty" doc:"the bearer secret, shown once; absent in an idempotent replay, which never repeats it"`
}

// Me is the authenticated identity.
type Me struct {
	User         User    `json:"user" doc:"the effective user (the impersonated one while impersonating)"`
	Partner      Partner `json:"partner"`
	Identity     string  `json:"identity" doc:"login, or IMP:<distributor user>/<dealer user>"`
	Impersonator string  `json:"impersonator,omitempty"`
}

// OrderLine is one part and quantity of an order, with its entitlement type.
type OrderLine struct {
	Part     string     `json:"part"`
	Quantity int64      `json:"quantity"`
	Type     string     `json:"type,omitempty" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"entitlement type code; absent means T (Commerce: commercial, permanent); every other type is fixed-term and needs not_after"`
	NotAfter *time.Time `json:"not_after,omitempty" doc:"when a fixed-term type's entitlement ends (after the shipment; kept to the second); absent for T"`
}

// OrderRequest ships an order into a partner's bin (administrator).
type OrderRequest struct {
	Partner   string      `json:"partner"`
	PO        string      `json:"po"`
	SO        string      `json:"so"`
	Lines     []OrderLine `json:"lines"`
	ExpiresAt *time.Time  `json:"expires_at,omitempty" doc:"when the order's SWA units expire"`
}

// ShippedLine is one part of one order in a partner's bin.
type ShippedLine struct {
	ID           uint64     `json:"id"`
	Partner      string     `json:"partner"`
	PO           string     `json:"po"`
	SO           string     `json:"so"`
	Part         string     `json:"part"`
	Shipped      int64      `json:"shipped"`
	InBin        int64      `json:"in_bin"`
	Attached     int64      `json:"attached"`
	Activated    int64      `json:"activated"`
	ReshippedOut int64      `json:"reshipped_out"`
	Returned     int64      `json:"returned"`
	Revoked      int64      `json:"revoked" doc:"activated, then revoked (returned): the delivery status Inactive"`
	Cancelled    int64      `json:"cancelled" doc:"its order cancelled before activation: the delivery status Order Cancelled"`
	ParentLine   uint64     `json:"parent_line,omitempty" doc:"the distributor's line a reshipped line came from"`
	ShippedAt    time.Time  `json:"shipped_at"`
	Type         string     `json:"type" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"entitlement type code (T for a line shipped without one)"`
	NotAfter     *time.Time `json:"not_after,omitempty" doc:"when a fixed-term line's entitlement ends; absent for a permanent one"`
}

// Shipment is what shipping an order created.
type Shipment struct {
	Lines []ShippedLine `json:"lines"`
}

// PartStock is a partner's stock of one part.
type PartStock struct {
	Part         string `json:"part"`
	Name         string `json:"name"`
	InBin        int64  `json:"in_bin"`
	Attached     int64  `json:"attached"`
	Activated    int64  `json:"activated"`
	ReshippedOut int64  `json:"reshipped_out"`
	Returned     int64  `json:"returned"`
	Total        int64  `json:"total"`
	Revoked      int64  `json:"revoked"`
	Cancelled    int64  `json:"cancelled"`
}

// Pick selects a quantity of a bin line.
type Pick struct {
	Line     uint64 `json:"line"`
	Quantity int64  `json:"quantity"`
}

// ReshipRequest reships bin lines to a dealer's user.
type ReshipRequest struct {
	DealerUser string `json:"dealer_user"`
	PO         string `json:"po"`
	SO         string `json:"so"`
	Picks      []Pick `json:"picks"`
}

// MovedPart is one part of a reshipment or return.
type MovedPart struct {
	FromLine uint64 `json:"from_line"`
	ToLine   uint64 `json:"to_line,omitempty"`
	Part     string `json:"part"`
	Quantity int64  `json:"quantity"`
}

// Reshipment is a distributor's reshipment into a dealer's bin.
type Reshipment struct {
	ID     uint64      `json:"id"`
	From   string      `json:"from"`
	To     string      `json:"to"`
	ToUser string      `json:"to_user"`
	PO     string      `json:"po"`
	SO     string      `json:"so"`
	Lines  []MovedPart `json:"lines"`
	Time   time.Time   `json:"time"`
	By     string      `json:"by"`
}

// ReturnRequest returns bin lines to whoever shipped them.
type ReturnRequest struct {
	Picks  []Pick `json:"picks"`
	Reason string `json:"reason,omitempty"`
}

// Return records returned bin lines.
type Return struct {
	ID     uint64      `json:"id"`
	From   string      `json:"from"`
	To     string      `json:"to,omitempty" doc:"receiving partner; absent for the vendor"`
	Lines  []MovedPart `json:"lines"`
	Reason string      `json:"reason,omitempty"`
	Time   time.Time   `json:"time"`
	By     string      `json:"by"`
}

// Customer is an end customer of a partner.
type Customer struct {
	ID        string `json:"id"`
	Partner   string `json:"partner"`
	Name      string `json:"name"`
	Address   string `json:"address,omitempty"`
	Reference string `json:"reference,omitempty"`
	Email     string `json:"email,omitempty"`
}

// CustomerRequest creates or replaces a customer.
type CustomerRequest struct {
	Name      string `json:"name"`
	Address   string `json:"address,omitempty"`
	Reference string `json:"reference,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Attribute is a named attribute of a location (LAN1 IP, computer name, domain…).
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Location is a customer location.
type Location struct {
	ID            string      `json:"id"`
	Customer      string      `json:"customer"`
	Partner       string      `json:"partner"`
	Parent        string      `json:"parent,omitempty"`
	Name          string      `json:"name"`
	Address       string      `json:"address,omitempty"`
	System        string      `json:"system"`
	HWKC          string      `json:"hwkc"`
	SecondaryHWKC string      `json:"secondary_hwkc,omitempty"`
	Reference     string      `json:"reference,omitempty"`
	CustomerEmail string      `json:"customer_email,omitempty"`
	DealerEmail   string      `json:"dealer_email,omitempty"`
	Verticals     []string    `json:"verticals"`
	DemosLeft     int         `json:"demos_left"`
	FileSerial    uint64      `json:"file_serial"`
	CreatedAt     time.Time   `json:"created_at"`
	Attributes    []Attribute `json:"attributes"`
	FormerHWKC    []string    `json:"former_hwkc"`
	Imported      bool        `json:"imported"`
}

// LocationRequest creates a location.
type LocationRequest struct {
	Customer      string      `json:"customer"`
	Parent        string      `json:"parent,omitempty"`
	Name          string      `json:"name"`
	Address       string      `json:"address,omitempty"`
	System        string      `json:"system"`
	HWKC          string      `json:"hwkc,omitempty" doc:"required unless the system's rules derive the code"`
	SecondaryHWKC string      `json:"secondary_hwkc,omitempty"`
	Reference     string      `json:"reference,omitempty"`
	CustomerEmail string      `json:"customer_email,omitempty"`
	DealerEmail   string      `json:"dealer_email,omitempty"`
	Verticals     []string    `json:"verticals,omitempty"`
	Attributes    []Attribute `json:"attributes,omitempty" doc:"system attributes: mac, computer-name, domain, product-key, redundant"`
}

// LocationEdit replaces a location's editable fields.
type LocationEdit struct {
	Name          string   `json:"name"`
	Address       string   `json:"address,omitempty"`
	Reference     string   `json:"reference,omitempty"`
	CustomerEmail string   `json:"customer_email,omitempty"`
	DealerEmail   string   `json:"dealer_email,omitempty"`
	Verticals     []string `json:"verticals,omitempty"`
}

// Line is a quantity of one part on a location.
type Line struct {
	SKC          string     `json:"skc"`
	Location     string     `json:"location"`
	SourceLine   uint64     `json:"source_line"`
	Part         string     `json:"part"`
	Quantity     int64      `json:"quantity"`
	State        string     `json:"state" enum:"attached,activated,migrated,revoked,cancelled"`
	PO           string     `json:"po"`
	SO           string     `json:"so"`
	Partner      string     `json:"partner"`
	AttachedAt   time.Time  `json:"attached_at"`
	ActivatedAt  *time.Time `json:"activated_at,omitempty"`
	MigratedFrom string     `json:"migrated_from,omitempty"`
	Type         string     `json:"type" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"the entitlement type of the shipped line it came from"`
	NotAfter     *time.Time `json:"not_after,omitempty" doc:"when a fixed-term line ends: it is issued in a file of its own per type and end"`
	EndedAt      *time.Time `json:"ended_at,omitempty" doc:"when a revoked or cancelled line was ended"`
}

// FileInfo describes an issued license file (download it from Download).
type FileInfo struct {
	Location       string      `json:"location"`
	Serial         uint64      `json:"serial"`
	Name           string      `json:"name,omitempty" doc:"download file name"`
	IssuedAt       *time.Time  `json:"issued_at,omitempty"`
	Demo           bool        `json:"demo"`
	NotAfter       *time.Time  `json:"not_after,omitempty"`
	ActivationCode string      `json:"activation_code,omitempty"`
	Pending        bool        `json:"pending" doc:"an external product's file, supplied later by the license desk"`
	External       bool        `json:"external"`
	Size           int         `json:"size"`
	Warnings       []string    `json:"warnings"`
	Download       string      `json:"download,omitempty" doc:"path of the download"`
	Type           string      `json:"type,omitempty" enum:"B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"the entitlement type of a fixed-term file; absent for a permanent or demo file"`
	Contents       []FileEntry `json:"contents" doc:"every file in the download of a location: the permanent file first, then the current fixed-term files (one per type and end); empty for a demo file"`
}

// FileEntry is one license file inside a location's download.
type FileEntry struct {
	Serial         uint64     `json:"serial"`
	Name           string     `json:"name"`
	ActivationCode string     `json:"activation_code,omitempty"`
	Type           string     `json:"type,omitempty" enum:"B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"the entitlement type of a fixed-term file; absent for the permanent file"`
	NotAfter       *time.Time `json:"not_after,omitempty" doc:"when a fixed-term file ends"`
}

// LocationView is a location with its lines, children and latest file.
type LocationView struct {
	Location
	AttachedLines  []Line     `json:"attached_lines"`
	ActivatedLines []Line     `json:"activated_lines"`
	HistoryLines   []Line     `json:"history_lines"`
	Children       []Location `json:"children"`
	ChildLines     []Line     `json:"child_lines"`
	EndedLines     []Line     `json:"ended_lines" doc:"lines revoked or cancelled (the delivery statuses Inactive and Order Cancelled), kept as history"`
	File           *FileInfo  `json:"file,omitempty" doc:"the latest permanent file"`
	TermFiles      []FileInfo `json:"term_files" doc:"the current files of the fixed-term lines, one per entitlement type and end date, in type then end order (ended ones left out); the location's download holds them beside the permanent file"`
}

// AttachRequest attaches bin lines to a location.
type AttachRequest struct {
	Picks []Pick `json:"picks"`
}

// Lines is a set of location lines an operation created.
type Lines struct {
	Lines []Line `json:"lines"`
}

// DetachRequest returns attached lines to the bin.
type DetachRequest struct {
	SKCs []string `json:"skcs"`
}

// ActivateRequest activates attached lines.
type ActivateRequest struct {
	SKCs            []string `json:"skcs,omitempty" doc:"the lines to activate; absent means every attached line"`
	AcceptAgreement bool     `json:"accept_agreement" doc:"must be true: licenses once activated cannot be deactivated or returned"`
}

// SKCLookup is a software key code's line and location.
type SKCLookup struct {
	Line     Line     `json:"line"`
	Location Location `json:"location"`
}

// OrderDetails is the purchase/sales order lookup.
type OrderDetails struct {
	Shipped []ShippedLine `json:"shipped"`
	Lines   []Line        `json:"lines"`
}

// LAN1IPRequest gives an SV9500 Standard Server its LAN1 IP.
type LAN1IPRequest struct {
	IP string `json:"ip"`
}

// ComputerNameRequest changes an iS3000's Full Computer Name.
type ComputerNameRequest struct {
	ComputerName string `json:"computer_name"`
}

// HardwareRequest names a new hardware key code (replacement, migration).
type HardwareRequest struct {
	HWKC string `json:"hwkc"`
}

// Quantities are a shipped line's quantities.
type Quantities struct {
	Shipped      int64 `json:"shipped"`
	InBin        int64 `json:"in_bin"`
	Attached     int64 `json:"attached"`
	Activated    int64 `json:"activated"`
	ReshippedOut int64 `json:"reshipped_out"`
	Returned     int64 `json:"returned"`
	Revoked      int64 `json:"revoked"`
	Cancelled    int64 `json:"cancelled"`
}

// QuantityChange is one shipped line's quantities before and after an operation.
type QuantityChange struct {
	Line   uint64     `json:"line"`
	Part   string     `json:"part"`
	Before Quantities `json:"before"`
	After  Quantities `json:"after"`
}

// AuditRecord is one entry of the hash-chained audit log.
type AuditRecord struct {
	Seq      uint64           `json:"seq"`
	Time     time.Time        `json:"time"`
	User     string           `json:"user"`
	As       string           `json:"as,omitempty"`
	Identity string           `json:"identity"`
	Partner  string           `json:"partner"`
	Op       string           `json:"op"`
	Refs     []string         `json:"refs"`
	Changes  []QuantityChange `json:"changes"`
	Notes    []string         `json:"notes"`
	PrevHash string           `json:"prev_hash" doc:"hex"`
	Hash     string           `json:"hash" doc:"hex"`
}

// Integrity is the result of the audit-chain and conservation check.
type Integrity struct {
	AuditRecords int    `json:"audit_records"`
	AuditHead    uint64 `json:"audit_head"`
	HeadHash     string `json:"head_hash" doc:"hex"`
	Conserved    bool   `json:"conserved"`
}

// System is a catalog system type.
type System struct {
	Name    string `json:"name"`
	Keycode string `json:"keycode" doc:"the hardware key code grammar the system's codes follow"`
	SKC     string `json:"skc" doc:"the two characters its software key codes carry"`
	PBX     bool   `json:"pbx"`
}

// Part is a catalog part.
type Part struct {
	Number      string   `json:"number"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind" enum:"count,version,flag"`
	Systems     []string `json:"systems"`
	Application bool     `json:"application"`
	SWA         bool     `json:"swa_eligible"`
	SWAUnits    bool     `json:"swa_units"`
	Demo        int64    `json:"demo_quantity"`
	Successor   string   `json:"successor,omitempty"`
	Ports       int64    `json:"ports,omitempty"`
}

// Health is the answer of the health and readiness endpoints.
type Health struct {
	Status string `json:"status" enum:"ok,unavailable"`
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string `json:"type" doc:"stable machine-readable problem type (a URN)"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Field    string `json:"field,omitempty" doc:"the request field at fault"`
	Position *int   `json:"position,omitempty" doc:"byte offset of the fault in the field's value (or in the request body)"`
	Want     string `json:"want,omitempty" doc:"what was expected at position"`
	Suggest  string `json:"suggest,omitempty" doc:"the character most likely meant at position"`
	Code     string `json:"code,omitempty" doc:"the rule's own code, e.g. a DECT validation code"`
	Advice   string `json:"advice,omitempty" doc:"the guide's user action for code"`
	// Reasons are a failed renewal quote's reasons (quote-failed), per location and product.
	Reasons []QuoteReason `json:"reasons,omitempty" doc:"quote-failed: why the renewal's quote failed, per location and product or as a whole"`
	// Missing names every field a deal registration lacks (invalid).
	Missing []string `json:"missing,omitempty" doc:"invalid: every field of an incomplete deal registration that is missing (deal.customer, deal.budget…)"`
	// Entitlement, DeliveryStatus, Move and AllowedMoves are a refused delivery status move's (state).
	Entitlement    string   `json:"entitlement,omitempty" doc:"state: the entitlement whose move was refused (a software key code, line <id> for a bin quantity, or a third-party id)"`
	DeliveryStatus string   `json:"delivery_status,omitempty" doc:"state: its delivery status (absent: nothing Ready in the bin)"`
	Move           string   `json:"move,omitempty" doc:"state: the move refused"`
	AllowedMoves   []string `json:"allowed_moves,omitempty" doc:"state: the moves allowed from its status (absent for a final status)"`
}

// list is one page of a list: items and, while more follow, the cursor of the next page.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"pass as cursor for the next page; absent on the last page"`
}

func (list[T]) itemType() any { var t T; return t }

// Conversions from the ledger's types.

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func mapSlice[T, W any](in []T, f func(T) W) []W {
	out := make([]W, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toPartner(p entitlement.Partner) Partner {
	return Partner{ID: p.ID, Name: p.Name, Kind: p.Kind.String()}
}

var roleNames = []flagName[entitlement.Role]{{entitlement.RoleLMSUser, "lms_user"}, {entitlement.RoleSWADistributor, "swa_distributor"},
	{entitlement.RoleSWADealer, "swa_dealer"}, {entitlement.RoleAdmin, "admin"}}

func parseKind(s string) (entitlement.PartnerKind, bool) {
	for _, k := range []entitlement.PartnerKind{entitlement.KindVendor, entitlement.KindDistributor, entitlement.KindDealer} {
		if k.String() == s {
			return k, true
		}
	}
	return entitlement.KindInvalid, false
}

func toUser(u entitlement.User) User {
	return User{ID: u.ID, Name: u.Name, Partner: u.Partner, Roles: flagList(u.Roles, roleNames)}
}

func toToken(t entitlement.Token) Token {
	return Token{ID: t.ID, User: t.User, ActingAs: t.As, Name: t.Name, CreatedAt: t.Created.UTC(), ExpiresAt: t.Expires.UTC(),
		RevokedAt: timePtr(t.Revoked), CreatedBy: t.By}
}

func toShipped(s entitlement.ShippedLine) ShippedLine {
	return ShippedLine{ID: s.ID, Partner: s.Partner, PO: s.PO, SO: s.SO, Part: s.Part, Shipped: s.Shipped, InBin: s.InBin,
		Attached: s.Attached, Activated: s.Activated, ReshippedOut: s.ReshippedOut, Returned: s.Returned, Revoked: s.Revoked,
		Cancelled: s.Cancelled, ParentLine: s.Parent, ShippedAt: s.ShippedAt.UTC(), Type: string(s.EntitlementType()), NotAfter: timePtr(s.NotAfter)}
}

func toMoved(p entitlement.ReshippedPart) MovedPart {
	return MovedPart{FromLine: p.From, ToLine: p.To, Part: p.Part, Quantity: p.Qty}
}

func toReshipment(r entitlement.Reshipment) Reshipment {
	return Reshipment{ID: r.ID, From: r.From, To: r.To, ToUser: r.ToUser, PO: r.PO, SO: r.SO,
		Lines: mapSlice(r.Lines, toMoved), Time: r.Time.UTC(), By: r.By}
}

func toReturn(r entitlement.Return) Return {
	return Return{ID: r.ID, From: r.From, To: r.To, Lines: mapSlice(r.Lines, toMoved), Reason: r.Reason, Time: r.Time.UTC(), By: r.By}
}

func toCustomer(c entitlement.Customer) Customer {
	return Customer{ID: c.ID, Partner: c.Partner, Name: c.Name, Address: c.Address, Reference: c.Reference, Email: c.Email}
}

func toLocation(l entitlement.Location) Location {
	return Location{ID: l.ID, Customer: l.Customer, Partner: l.Partner, Parent: l.Parent, Name: l.Name, Address: l.Address,
		System: l.System, HWKC: l.HWKC, SecondaryHWKC: l.SecondaryHWKC, Reference: l.Reference, CustomerEmail: l.CustomerEmail,
		DealerEmail: l.DealerEmail, Verticals: nonNil(slices.Clone(l.Verticals)), DemosLeft: l.DemosLeft, FileSerial: l.FileSerial,
		CreatedAt: l.Created.UTC(), Attributes: mapSlice(l.Attrs, func(a entitlement.Attr) Attribute { return Attribute{a.Name, a.Value} }),
		FormerHWKC: nonNil(slices.Clone(l.FormerHWKC)), Imported: l.Imported}
}

func toLine(ln entitlement.Line) Line {
	return Line{SKC: ln.SKC, Location: ln.Location, SourceLine: ln.Source, Part: ln.Part, Quantity: ln.Qty, State: ln.State.String(),
		PO: ln.PO, SO: ln.SO, Partner: ln.Partner, AttachedAt: ln.AttachedAt.UTC(), ActivatedAt: timePtr(ln.ActivatedAt),
		MigratedFrom: ln.MigratedFrom, Type: string(ln.EntitlementType()), NotAfter: timePtr(ln.NotAfter), EndedAt: timePtr(ln.EndedAt)}
}

func toView(v entitlement.LocationView) LocationView {
	out := LocationView{Location: toLocation(v.Location), AttachedLines: mapSlice(v.Attached, toLine),
		ActivatedLines: mapSlice(v.Activated, toLine), HistoryLines: mapSlice(v.History, toLine),
		Children: mapSlice(v.Children, toLocation), ChildLines: mapSlice(v.ChildLines, toLine), EndedLines: mapSlice(v.Ended, toLine)}
	download := "/v1/locations/" + v.ID + "/file"
	info := func(f entitlement.IssuedInfo) FileInfo {
		return FileInfo{Location: v.ID, Serial: f.Serial, Name: f.Name, ActivationCode: f.ActivationCode, Warnings: []string{},
			Download: download, Type: string(f.Type), NotAfter: timePtr(f.NotAfter), Contents: []FileEntry{}}
	}
	if v.File != nil {
		fi := info(*v.File)
		out.File = &fi
	}
	out.TermFiles = mapSlice(v.TermFiles, info)
	return out
}

func toFileEntry(f entitlement.IssuedInfo) FileEntry {
	return FileEntry{Serial: f.Serial, Name: f.Name, ActivationCode: f.ActivationCode, Type: string(f.Type), NotAfter: timePtr(f.NotAfter)}
}

func toFile(f entitlement.Issued, download string) FileInfo {
	fi := FileInfo{Location: f.Location, Serial: f.Serial, Name: f.Name, IssuedAt: timePtr(f.Issued), Demo: f.Demo,
		NotAfter: timePtr(f.NotAfter), ActivationCode: f.ActivationCode, Pending: f.Pending, External: f.External,
		Size: len(f.Data), Warnings: nonNil(slices.Clone(f.Warnings)), Type: string(f.Type), Contents: mapSlice(f.Contents, toFileEntry)}
	if !f.Pending {
		fi.Download = download
	}
	return fi
}

func toQty(q entitlement.Qty) Quantities {
	return Quantities{q.Shipped, q.InBin, q.Attached, q.Activated, q.ReshippedOut, q.Returned, q.Revoked, q.Cancelled}
}

func toAudit(r entitlement.AuditRecord) AuditRecord {
	return AuditRecord{Seq: r.Seq, Time: r.Time.UTC(), User: r.User, As: r.As, Identity: r.Identity(), Partner: r.Partner, Op: r.Op,
		Refs: nonNil(slices.Clone(r.Refs)), Notes: nonNil(slices.Clone(r.Notes)),
		Changes: mapSlice(r.Changes, func(c entitlement.QtyChange) QuantityChange {
			return QuantityChange{Line: c.Line, Part: c.Part, Before: toQty(c.Before), After: toQty(c.After)}
		}), PrevHash: hex.EncodeToString(r.Prev), Hash: hex.EncodeToString(r.Hash)}
}

func toPart(p entitlement.Part) Part {
	return Part{Number: p.Number, Name: p.Name, Kind: p.Kind.String(), Systems: nonNil(slices.Clone(p.Systems)),
		Application: p.Application, SWA: p.SWA, SWAUnits: p.SWAUnits, Demo: p.Demo, Successor: p.Successor, Ports: p.Ports}
}

// TimeTokenRequest asks for a vendor-signed time token answering a device's challenge.
type TimeTokenRequest struct {
	Challenge         string `json:"challenge" doc:"the device's challenge in its text form, system:code:nonce (license.TimeChallenge), e.g. SV8100:191000343919:0123456789ABCDEF0123456789ABCDEF"`
	MaxSetBackSeconds int64  `json:"max_set_back_seconds,omitempty" doc:"how far the token may pull device time back after a forward glitch (administrator, with a reason); absent: the token only confirms the time"`
	RearmTrial        bool   `json:"rearm_trial,omitempty" doc:"let the device start its trial again (administrator, with a reason)"`
	Reason            string `json:"reason,omitempty" doc:"why, for the audit record; required with max_set_back_seconds or rearm_trial"`
}

// TimeToken is an issued time token.
type TimeToken struct {
	Serial    string `json:"serial" doc:"the token's id in the audit record, TT-<n>"`
	Location  string `json:"location" doc:"the location whose device asked"`
	Token     []byte `json:"token" doc:"the signed token (COSE_Sign1), base64: the bytes the device applies (license.Device.ApplyTimeToken)"`
	MediaType string `json:"media_type" doc:"the token's media type, as the raw form of this response is served"`
}
