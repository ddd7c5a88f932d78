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

// The event kinds of this package, on the ledger's event stream (Config.Events).
const (
	// EventApprovalNeeded: an application waits for approval at a step: Partner, Ref (the process
	// number) and Detail (the step's name and roles) are set.
	EventApprovalNeeded entitlement.EventKind = "presales.approval_needed"
	// EventIssued: an application's temporary license was issued: Partner, User (the applicant),
	// HWKC (the ESN), Ref, Serial and Due (its end) are set.
	EventIssued entitlement.EventKind = "presales.issued"
	// EventRejected: an application was rejected: Partner, User, Ref and Detail (the reason).
	EventRejected entitlement.EventKind = "presales.rejected"
)

// check checks a request against the policy and the ledger, and returns the device and whether
// every product qualifies for skipping approval.
func (b *Book) check(x *entitlement.Op, req Request) (Device, bool, bool, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: presales: %s", entitlement.ErrInvalid, fmt.Sprintf(format, a...))
	}
	d, err := loadDevice(x, req.ESN)
	if err != nil {
		return d, false, false, err
	}
	switch {
	case req.NoCustomer && req.Customer != "":
		return d, false, false, bad("a customer and \"no related customer information\" both given: choose one")
	case !req.NoCustomer && req.Customer == "":
		return d, false, false, bad("no customer: name one, or choose \"no related customer information\"")
	case req.Customer != "":
		c, err := x.Customer(req.Customer)
		if err != nil {
			return d, false, false, err
		}
		if c.Partner != x.Partner().ID {
			return d, false, false, fmt.Errorf("%w: presales: customer %s", entitlement.ErrNotFound, req.Customer)
		}
	}
	if !slices.Contains(Days, req.Days) {
		return d, false, false, bad("validity of %d days; choose 30, 60, 90, 120 or 180", req.Days)
	}
	if len(req.Products) == 0 {
		return d, false, false, bad("no product")
	}
	free, self := true, true
	seen := map[string]bool{}
	for i, pr := range req.Products {
		p, ok := b.products[pr.Product]
		if !ok {
			return d, false, false, bad("product %d: %q is not in the policy", i+1, pr.Product)
		}
		if seen[p.ID] {
			return d, false, false, bad("product %q twice", p.ID)
		}
		seen[p.ID] = true
		if pr.UseTemplate && p.Template == nil {
			return d, false, false, bad("product %q has no enterprise part template", p.ID)
		}
		if err := checkValues(p, pr.Values); err != nil {
			return d, false, false, bad("product %q: %v", p.ID, err)
		}
		// Approval is skipped only for a product with a template, selected, its incremental values
		// unchanged, whose licenses may be downloaded by the applicant itself.
		free = free && pr.UseTemplate && sameValues(pr.Values, p.Template) && p.SelfService
		self = self && p.SelfService
	}
	return d, free, self, nil
}

// sameValues reports whether two sets of incremental values are the same, in any order.
func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

// Apply submits an application for a temporary license (an LMS user of a partner, or the vendor's
// staff). The request is checked: a known device; a customer of the applicant's partner or "no
// related customer information"; a validity of 30, 60, 90, 120 or 180 days; products of the policy,
// each once, with incremental values of their parts. The ESN's application count goes up by one.
//
// Approval is skipped, and the license issued at once, only when every product has an enterprise
// part template, the template was selected and its incremental values left unchanged, the product
// allows self-service download, and the ESN's application count was below the policy's
// approval-free count. Otherwise the application waits for the policy's approval steps
// ([Book.Approve]); a product without a template always needs approval, and so does one whose
// licenses are distributed by the vendor only. One audited operation ("presales apply"); the
// result has the process number.
func (b *Book) Apply(ctx context.Context, a entitlement.Actor, req Request) (Application, error) {
	var app Application
	err := b.l.Update(ctx, a, "presales apply", func(x *entitlement.Op) error {
		if err := x.LMSUser("apply for temporary licenses"); err != nil {
			return err
		}
		d, free, self, err := b.check(x, req)
		if err != nil {
			return err
		}
		n, err := x.Next("presales.app")
		if err != nil {
			return err
		}
		app = Application{Number: "TL-" + strconv.FormatUint(n, 10), Partner: x.Partner().ID, Applicant: x.Actor().String(), ESN: d.ESN,
			Customer: req.Customer, NoCustomer: req.NoCustomer, Days: req.Days, Products: cloneProducts(req.Products), From: req.From,
			Submitted: x.Now(), Status: Pending, Count: d.Applications, SelfService: self}
		if req.From != "" {
			if err := checkNumber(req.From); err != nil {
				return err
			}
		}
		app.ApprovalFree = free && d.Applications < b.policy.ApprovalFree
		d.Applications++
		if err := x.Put(bDevices, d.ESN, d); err != nil {
			return err
		}
		x.Ref("application", app.Number)
		x.Ref("esn", d.ESN)
		x.Note("ESN application count %d of %d approval-free; approval-free %v", app.Count, b.policy.ApprovalFree, app.ApprovalFree)
		if err := x.Put(bByESN, d.ESN+"\x01"+app.Number, struct{}{}); err != nil {
			return err
		}
		if app.ApprovalFree {
			return b.issue(x, &app)
		}
		b.askApproval(x, app)
		return x.Put(bApps, app.Number, app)
	})
	return app, err
}

func cloneProducts(ps []ProductRequest) []ProductRequest {
	out := make([]ProductRequest, len(ps))
	for i, p := range ps {
		out[i] = ProductRequest{Product: p.Product, UseTemplate: p.UseTemplate, Values: slices.Clone(p.Values)}
	}
	return out
}

func (b *Book) askApproval(x *entitlement.Op, app Application) {
	s := b.policy.Approval[app.Step]
	x.Emit(entitlement.Event{Kind: EventApprovalNeeded, Partner: app.Partner, User: app.Applicant, HWKC: app.ESN, Ref: app.Number,
		Detail: fmt.Sprintf("application %s waits for approval step %d of %d: %s (%s)", app.Number, app.Step+1, len(b.policy.Approval), s.Name, s.Roles)})
}

// issue issues the temporary license of an application: a fixed-term file of type C (pre-sales
// expansion) bound to the ESN, ending Days after now, with the products' incremental values as its
// lines (a part in several products stacks).
func (b *Book) issue(x *entitlement.Op, app *Application) error {
	now := x.Now()
	app.NotAfter = now.Add(time.Duration(app.Days) * 24 * time.Hour)
	req := entitlement.IssueRequest{Location: entitlement.Location{ID: app.Number, HWKC: app.ESN},
		System: entitlement.System{Name: string(keycode.ESN), Keycode: keycode.ESN}, Serial: 1,
		Type: license.TypePresalesExpansion, NotAfter: app.NotAfter}
	for _, pr := range app.Products {
		p := b.products[pr.Product]
		for _, v := range pr.Values {
			i := slices.IndexFunc(p.Parts, func(pt Part) bool { return pt.Part == v.Part })
			pt := p.Parts[i]
			req.Lines = append(req.Lines, entitlement.IssueLine{Part: pt.Part, Name: pt.Name, Kind: pt.Kind, Qty: v.Qty, Activated: now})
		}
	}
	f, err := x.IssueFile(req)
	if err != nil {
		return err
	}
	app.File, app.Status = &f, Issued
	x.Emit(entitlement.Event{Kind: EventIssued, Partner: app.Partner, User: app.Applicant, HWKC: app.ESN, Ref: app.Number, Serial: f.Serial,
		Due: app.NotAfter, Detail: fmt.Sprintf("temporary license %s for ESN %s, %d days", app.Number, app.ESN, app.Days)})
	return x.Put(bApps, app.Number, *app)
}

// checkNumber refuses what cannot be a process number.
func checkNumber(n string) error {
	if _, ok := strings.CutPrefix(n, "TL-"); !ok || len(n) > 24 {
		return fmt.Errorf("%w: presales: process number %q", entitlement.ErrInvalid, n)
	}
	return nil
}

// loadApp loads an application the actor may see: its partner's, or any for the vendor's staff
// (an administrator or a holder of an approval role); another's is entitlement.ErrNotFound, as an
// unknown one.
func loadApp(x *entitlement.Op, number string) (Application, error) {
	var app Application
	if checkNumber(number) != nil {
		return app, fmt.Errorf("%w: presales: application %q", entitlement.ErrNotFound, number)
	}
	ok, err := x.Get(bApps, number, &app)
	if err != nil {
		return app, err
	}
	staff, err := extop.Staff(x, bRoles, uint32(roleAll))
	if err != nil {
		return app, err
	}
	if !ok || !staff && app.Partner != x.Partner().ID {
		return Application{}, fmt.Errorf("%w: presales: application %s", entitlement.ErrNotFound, number)
	}
	return app, nil
}

// Approve approves the step an application waits at, by a vendor user holding one of the step's
// roles ([Book.SetRoles]), who approved no earlier step of it; after the last step the license is
// issued. An application that is not pending is refused with entitlement.ErrState; a user without
// the step's role with entitlement.ErrNotAllowed. One audited operation ("presales approve").
func (b *Book) Approve(ctx context.Context, a entitlement.Actor, number, note string) (Application, error) {
	var app Application
	err := b.l.Update(ctx, a, "presales approve", func(x *entitlement.Op) error {
		var err error
		if app, err = b.decide(x, number, note); err != nil {
			return err
		}
		app.Approvals = append(app.Approvals, Approval{Step: app.Step, User: x.Actor().String(), Time: x.Now(), Note: note})
		x.Note("approved step %d (%s)", app.Step+1, b.policy.Approval[app.Step].Name)
		app.Step++
		if app.Step == len(b.policy.Approval) {
			return b.issue(x, &app)
		}
		b.askApproval(x, app)
		return x.Put(bApps, app.Number, app)
	})
	return app, err
}

// Reject rejects a pending application, by a vendor user holding a role of the step it waits at;
// reason is required. The ESN's application count keeps it. One audited operation ("presales
// reject").
func (b *Book) Reject(ctx context.Context, a entitlement.Actor, number, reason string) (Application, error) {
	var app Application
	err := b.l.Update(ctx, a, "presales reject", func(x *entitlement.Op) error {
		if strings.TrimSpace(reason) == "" || len(reason) > 500 {
			return fmt.Errorf("%w: presales: a reason of 1 to 500 bytes is required", entitlement.ErrInvalid)
		}
		var err error
		if app, err = b.decide(x, number, reason); err != nil {
			return err
		}
		app.Approvals = append(app.Approvals, Approval{Step: app.Step, User: x.Actor().String(), Time: x.Now(), Note: "rejected: " + reason})
		app.Status, app.Reason = Rejected, reason
		x.Note("rejected at step %d: %s", app.Step+1, reason)
		x.Emit(entitlement.Event{Kind: EventRejected, Partner: app.Partner, User: app.Applicant, HWKC: app.ESN, Ref: app.Number, Detail: reason})
		return x.Put(bApps, app.Number, app)
	})
	return app, err
}

// decide loads a pending application for a decision by the actor at its current step.
func (b *Book) decide(x *entitlement.Op, number, note string) (Application, error) {
	if len(note) > 500 || strings.ContainsAny(note, "\x00") {
		return Application{}, fmt.Errorf("%w: presales: note of %d bytes", entitlement.ErrInvalid, len(note))
	}
	app, err := loadApp(x, number)
	if err != nil {
		return app, err
	}
	if app.Status != Pending {
		return app, fmt.Errorf("%w: presales: application %s is %s, not pending", entitlement.ErrState, app.Number, app.Status)
	}
	step := b.policy.Approval[app.Step]
	holds, err := extop.Holds(x, bRoles, uint32(step.Roles))
	if err != nil {
		return app, err
	}
	if !holds {
		return app, fmt.Errorf("%w: presales: %s may not approve step %d (%s): it needs the role %s", entitlement.ErrNotAllowed, x.Actor(), app.Step+1, step.Name, step.Roles)
	}
	for _, ap := range app.Approvals {
		if ap.User == x.Actor().String() {
			return app, fmt.Errorf("%w: presales: %s approved step %d already: another approver decides step %d", entitlement.ErrNotAllowed, x.Actor(), ap.Step+1, app.Step+1)
		}
	}
	x.Ref("application", app.Number)
	return app, nil
}

// Download returns the temporary license of an issued application. The applicant's partner's
// LMS users download it themselves only when every product allows self-service download; otherwise
// the license is distributed by the vendor's staff (an administrator or an approver), who download
// it. A pending or rejected application is refused with entitlement.ErrState.
func (b *Book) Download(ctx context.Context, a entitlement.Actor, number string) (entitlement.Issued, error) {
	var f entitlement.Issued
	err := b.l.View(ctx, a, "presales download", func(x *entitlement.Op) error {
		if err := x.LMSUser("download temporary licenses"); err != nil {
			return err
		}
		app, err := loadApp(x, number)
		if err != nil {
			return err
		}
		if app.Status != Issued || app.File == nil {
			return fmt.Errorf("%w: presales: application %s is %s: no license to download", entitlement.ErrState, app.Number, app.Status)
		}
		staff, err := extop.Staff(x, bRoles, uint32(roleAll))
		if err != nil {
			return err
		}
		if !app.SelfService && !staff {
			return fmt.Errorf("%w: presales: the license of %s is distributed by the vendor: a product of it allows no self-service download", entitlement.ErrNotAllowed, app.Number)
		}
		f = *app.File
		return nil
	})
	return f, err
}

// Application returns an application the actor may see.
func (b *Book) Application(ctx context.Context, a entitlement.Actor, number string) (Application, error) {
	return extop.View(ctx, b.l, a, "presales application", "see applications", func(x *entitlement.Op) (Application, error) {
		return loadApp(x, number)
	})
}

// Applications returns the applications for a device the actor may see (its partner's, or all
// for the vendor's staff), oldest first.
func (b *Book) Applications(ctx context.Context, a entitlement.Actor, esn string) ([]Application, error) {
	var out []Application
	err := b.l.View(ctx, a, "presales applications", func(x *entitlement.Op) error {
		if err := x.LMSUser("see applications"); err != nil {
			return err
		}
		d, err := loadDevice(x, esn)
		if err != nil {
			return err
		}
		out = nil
		prefix := d.ESN + "\x01"
		return x.Scan(bByESN, prefix, func(key string, _ func(any) error) (bool, error) {
			app, err := loadApp(x, key[len(prefix):])
			switch {
			case err == nil:
				out = append(out, app)
			case !errors.Is(err, entitlement.ErrNotFound): // another partner's is left out
				return false, err
			}
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Application) int { return a.Submitted.Compare(b.Submitted) })
	return out, err
}

// Prefill returns a new request filled in from a historical application (its process number):
// the device, the customer choice, the validity and the products with their values, and From set
// to the number. The actor must see the application.
func (b *Book) Prefill(ctx context.Context, a entitlement.Actor, number string) (Request, error) {
	var req Request
	err := b.l.View(ctx, a, "presales prefill", func(x *entitlement.Op) error {
		if err := x.LMSUser("see applications"); err != nil {
			return err
		}
		app, err := loadApp(x, number)
		if err != nil {
			return err
		}
		req = Request{ESN: app.ESN, Customer: app.Customer, NoCustomer: app.NoCustomer, Days: app.Days,
			Products: cloneProducts(app.Products), From: app.Number}
		return nil
	})
	return req, err
}
