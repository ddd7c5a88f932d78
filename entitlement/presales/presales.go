package presales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/extop"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// Role is a set of the approval roles of the vendor's staff that the policy's steps name.
type Role uint32

// The approval roles.
const (
	RoleProjectContact   Role = 1 << iota // the vendor's project contact person
	RoleChannelManager                    // the vendor's channel manager
	RoleRegionalDirector                  // the regional special department director
	roleAll              = RoleProjectContact | RoleChannelManager | RoleRegionalDirector
)

// String lists the roles ("project contact|channel manager"), "none" for none.
func (r Role) String() string {
	var out []string
	for _, x := range []struct {
		r    Role
		name string
	}{{RoleProjectContact, "project contact"}, {RoleChannelManager, "channel manager"}, {RoleRegionalDirector, "regional director"}} {
		if r&x.r != 0 {
			out = append(out, x.name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "|")
}

// Step is one step of the approval: a user holding any of Roles approves it.
type Step struct {
	Name  string
	Roles Role
}

// DefaultApproval is the document's approval: the project contact person or the channel manager,
// then the regional special department director.
var DefaultApproval = []Step{
	{Name: "project contact or channel manager", Roles: RoleProjectContact | RoleChannelManager},
	{Name: "regional director", Roles: RoleRegionalDirector},
}

// Product is a product of the enterprise market that temporary licenses are applied for.
type Product struct {
	ID   string
	Name string
	// Parts are the parts a temporary license of the product may hold.
	Parts []Part
	// Template is the enterprise part template: the incremental value of each part a license of
	// the product gets when the template is selected. Nil means the product has no template, and
	// every application for it is approved.
	Template []Value
	// SelfService allows the applicant to download the product's temporary licenses itself
	// (the products' sales policy). Without it a license is distributed by the vendor's staff
	// only, and only after approval.
	SelfService bool
}

// Part is a part of a product.
type Part struct {
	Part string
	Name string
	Kind entitlement.PartKind
}

// Value is an incremental value: a quantity of a part (a version number of a version part, 1 for
// a flag).
type Value struct {
	Part string `cbor:"1,keyasint" json:"part"`
	Qty  int64  `cbor:"2,keyasint" json:"qty"`
}

// Policy is the Enterprise Temporary License Policy.
type Policy struct {
	// ApprovalFree is the number of applications an ESN may have without approval: an
	// application skips approval only while the ESN's application count is below it (and its
	// products qualify, see [Book.Apply]). 0 means every application is approved.
	ApprovalFree int
	// Approval is the approval's steps, in order; nil means [DefaultApproval].
	Approval []Step
	// ESN narrows the ESN rules: called with an ESN that passed keycode's grammar, its error
	// refuses the device. Nil accepts every ESN of the grammar.
	ESN func(keycode.Code) error
	// Products are the products temporary licenses can be applied for.
	Products []Product
}

// Days are the validity periods an application may choose, in days.
var Days = []int{30, 60, 90, 120, 180}

// Book keeps temporary (pre-sales) licenses on a ledger: its devices, applications and the
// licenses issued, in the ledger's store, under the policy it was made with.
type Book struct {
	l        *entitlement.Ledger
	policy   Policy
	products map[string]Product
}

// New returns the temporary license book of l under policy p. A policy that contradicts itself (a
// product twice, a template value of a part the product lacks, an empty step, a negative count) is
// refused with entitlement.ErrInvalid.
func New(l *entitlement.Ledger, p Policy) (*Book, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: presales: policy: %s", entitlement.ErrInvalid, fmt.Sprintf(format, a...))
	}
	if p.ApprovalFree < 0 {
		return nil, bad("approval-free count %d", p.ApprovalFree)
	}
	if p.Approval == nil {
		p.Approval = DefaultApproval
	}
	if len(p.Approval) == 0 {
		return nil, bad("no approval step")
	}
	for i, s := range p.Approval {
		if s.Name == "" || s.Roles == 0 || s.Roles&^roleAll != 0 {
			return nil, bad("approval step %d (%q, roles %#x)", i+1, s.Name, uint32(s.Roles))
		}
	}
	b := &Book{l: l, policy: p, products: map[string]Product{}}
	kinds := map[string]entitlement.PartKind{} // a part is of one kind in every product: licenses stack by part
	for _, pr := range p.Products {
		if pr.ID == "" || strings.ContainsAny(pr.ID, "\x00\x01") || len(pr.ID) > 64 {
			return nil, bad("product id %q", pr.ID)
		}
		if _, dup := b.products[pr.ID]; dup {
			return nil, bad("product %q twice", pr.ID)
		}
		if len(pr.Parts) == 0 {
			return nil, bad("product %q has no parts", pr.ID)
		}
		for _, pt := range pr.Parts {
			if pt.Part == "" || pt.Kind < entitlement.PartCount || pt.Kind > entitlement.PartFlag {
				return nil, bad("product %q: part %q of kind %d", pr.ID, pt.Part, pt.Kind)
			}
			if k, ok := kinds[pt.Part]; ok && k != pt.Kind {
				return nil, bad("part %q is of two kinds", pt.Part)
			}
			kinds[pt.Part] = pt.Kind
		}
		if pr.Template != nil {
			if err := checkValues(pr, pr.Template); err != nil {
				return nil, bad("product %q: template: %v", pr.ID, err)
			}
		}
		pr.Parts, pr.Template = slices.Clone(pr.Parts), slices.Clone(pr.Template)
		b.products[pr.ID] = pr
	}
	b.policy.Approval = slices.Clone(p.Approval)
	return b, nil
}

// checkValues checks incremental values against a product's parts: each part once, of the
// product, with a quantity of 1 to the file's maximum.
func checkValues(pr Product, vs []Value) error {
	if len(vs) == 0 {
		return errors.New("no values")
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if !slices.ContainsFunc(pr.Parts, func(p Part) bool { return p.Part == v.Part }) {
			return fmt.Errorf("part %q is not a part of %s", v.Part, pr.ID)
		}
		if seen[v.Part] {
			return fmt.Errorf("part %q twice", v.Part)
		}
		seen[v.Part] = true
		if v.Qty < 1 || v.Qty > license.MaxQty {
			return fmt.Errorf("part %q: value %d", v.Part, v.Qty)
		}
	}
	return nil
}

// Extension buckets.
const (
	bDevices = "presales.devices" // ESN → Device
	bApps    = "presales.apps"    // number → Application
	bByESN   = "presales.esn"     // ESN \x01 number → nothing
	bRoles   = "presales.roles"   // user → staff roles
)

// Device is a device known by its ESN, with its application count (the NE binding table's "ESN
// Application Times").
type Device struct {
	ESN          string    `cbor:"1,keyasint" json:"esn"`
	Added        time.Time `cbor:"2,keyasint" json:"added"`
	AddedBy      string    `cbor:"3,keyasint" json:"added_by"`
	Applications int       `cbor:"4,keyasint" json:"applications"`
}

// SetRoles replaces the approval roles of a vendor user (administrator only). One audited
// operation ("presales roles").
func (b *Book) SetRoles(ctx context.Context, a entitlement.Actor, user string, roles Role) error {
	return b.l.Update(ctx, a, "presales roles", func(x *entitlement.Op) error {
		return extop.SetRoles(x, bRoles, user, uint32(roles), uint32(roleAll), func(r uint32) string { return Role(r).String() })
	})
}

// parseESN validates an ESN: keycode's grammar, then the policy's narrowing.
func (b *Book) parseESN(esn string) (string, error) {
	c, err := keycode.Parse(keycode.ESN, esn)
	if err != nil {
		return "", fmt.Errorf("%w: presales: ESN: %v", entitlement.ErrInvalid, err)
	}
	if b.policy.ESN != nil {
		if err := b.policy.ESN(c); err != nil {
			return "", fmt.Errorf("%w: presales: ESN %s: %v", entitlement.ErrInvalid, c, err)
		}
	}
	return c.String(), nil
}

// AddDevice adds a device by its ESN ("Add Device"): an ESN that passes the ESN rules (keycode's
// grammar, then the policy's) becomes a known device with no application yet; one that fails is
// refused with entitlement.ErrInvalid saying why, and one that is known already with
// entitlement.ErrExists (select it with [Book.Device]). Any LMS user may add a device. One audited
// operation ("add presales device").
func (b *Book) AddDevice(ctx context.Context, a entitlement.Actor, esn string) (Device, error) {
	var d Device
	err := b.l.Update(ctx, a, "add presales device", func(x *entitlement.Op) error {
		if err := x.LMSUser("add devices"); err != nil {
			return err
		}
		code, err := b.parseESN(esn)
		if err != nil {
			return err
		}
		if ok, err := x.Get(bDevices, code, &d); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: presales: device %s is known: select it", entitlement.ErrExists, code)
		}
		d = Device{ESN: code, Added: x.Now(), AddedBy: x.Actor().String()}
		x.Ref("esn", code)
		return x.Put(bDevices, code, d)
	})
	return d, err
}

// Device selects a known device by its ESN ("Select Manually"), with its application count. An
// unknown ESN is entitlement.ErrNotFound.
func (b *Book) Device(ctx context.Context, a entitlement.Actor, esn string) (Device, error) {
	return extop.View(ctx, b.l, a, "presales device", "see devices", func(x *entitlement.Op) (Device, error) { return loadDevice(x, esn) })
}

func loadDevice(x *entitlement.Op, esn string) (Device, error) {
	var d Device
	c, err := keycode.Parse(keycode.ESN, esn)
	if err != nil {
		return d, fmt.Errorf("%w: presales: device %q", entitlement.ErrNotFound, esn)
	}
	ok, err := x.Get(bDevices, c.String(), &d)
	if err != nil {
		return d, err
	}
	if !ok {
		return d, fmt.Errorf("%w: presales: device %s is not known: add it", entitlement.ErrNotFound, c)
	}
	return d, nil
}

// Request is an application for a temporary license.
type Request struct {
	// ESN is the device (NE) the license is for: a known device ([Book.AddDevice]).
	ESN string
	// Customer is the potential customer, a customer of the applicant's partner; or NoCustomer
	// is set ("No related customer information"). Exactly one of them.
	Customer   string
	NoCustomer bool
	// Days is the validity period: one of [Days].
	Days int
	// Products are the products applied for, each once.
	Products []ProductRequest
	// From is the historical process number the request was filled from ([Book.Prefill]), if
	// any.
	From string
}

// ProductRequest is a product of an application with its incremental values.
type ProductRequest struct {
	Product string `cbor:"1,keyasint" json:"product"`
	// UseTemplate is set when the product's enterprise part template was selected.
	UseTemplate bool `cbor:"2,keyasint,omitempty" json:"use_template,omitempty"`
	// Values are the incremental values: with the template, its values as the applicant left or
	// changed them; without, the parts wanted.
	Values []Value `cbor:"3,keyasint" json:"values"`
}

// Status is an application's status.
type Status uint8

// The statuses of an application.
const (
	Pending  Status = iota + 1 // waiting for approval at Application.Step
	Issued                     // approved (or approval-free): the license is issued
	Rejected                   // refused by an approver
)

// String returns "pending", "issued" or "rejected".
func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Issued:
		return "issued"
	case Rejected:
		return "rejected"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Application is an application for a temporary license and what became of it.
type Application struct {
	Number     string           `cbor:"1,keyasint" json:"number"` // the process number, "TL-<n>"
	Partner    string           `cbor:"2,keyasint" json:"partner"`
	Applicant  string           `cbor:"3,keyasint" json:"applicant"` // the actor's identity
	ESN        string           `cbor:"4,keyasint" json:"esn"`
	Customer   string           `cbor:"5,keyasint,omitempty" json:"customer,omitempty"`
	NoCustomer bool             `cbor:"6,keyasint,omitempty" json:"no_customer,omitempty"`
	Days       int              `cbor:"7,keyasint" json:"days"`
	Products   []ProductRequest `cbor:"8,keyasint" json:"products"`
	From       string           `cbor:"9,keyasint,omitempty" json:"from,omitempty"`
	Submitted  time.Time        `cbor:"10,keyasint" json:"submitted"`
	Status     Status           `cbor:"11,keyasint" json:"status"`
	// ApprovalFree is set when the application skipped approval.
	ApprovalFree bool `cbor:"12,keyasint,omitempty" json:"approval_free,omitempty"`
	// Count is the ESN's application count before this application: the "ESN Application
	// Times" the approval decision read.
	Count int `cbor:"13,keyasint" json:"count"`
	// Step is the approval step waiting while Pending (0 the first).
	Step      int        `cbor:"14,keyasint" json:"step"`
	Approvals []Approval `cbor:"15,keyasint,omitempty" json:"approvals,omitempty"`
	Reason    string     `cbor:"16,keyasint,omitempty" json:"reason,omitempty"` // why it was rejected
	// NotAfter is when the issued license ends: its issue plus Days.
	NotAfter time.Time `cbor:"17,keyasint,omitzero" json:"not_after,omitzero"`
	// File is the issued license: a fixed-term file of type C bound to the ESN.
	File *entitlement.Issued `cbor:"18,keyasint,omitempty" json:"file,omitempty"`
	// SelfService is set when every product allows self-service download.
	SelfService bool `cbor:"19,keyasint,omitempty" json:"self_service,omitempty"`
}

// Approval is one approver's decision.
type Approval struct {
	Step int       `cbor:"1,keyasint" json:"step"`
	User string    `cbor:"2,keyasint" json:"user"`
	Time time.Time `cbor:"3,keyasint" json:"time"`
	Note string    `cbor:"4,keyasint,omitempty" json:"note,omitempty"`
}
