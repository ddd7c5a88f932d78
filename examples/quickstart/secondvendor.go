package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// movingClock is the second vendor's scenario's clock, which the scenario moves on by hand.
type movingClock struct{ t time.Time }

func (c *movingClock) Now() time.Time { return c.t }

// noPipeline is the vendor's CRM as this example's service implements it: no deal is in it.
type noPipeline struct{}

func (noPipeline) InPipeline(context.Context, dealreg.Registration) (bool, error) { return false, nil }

// runSecondVendor is the second vendor's workflows on a ledger in memory: a temporary pre-sales
// license for a device known by its ESN, issued without approval while the ESN is below the
// approval-free count, then one that needs the approval steps; and a deal registration that is
// accepted and goes stale after four weeks without an update. A fixed test key and a fixed clock
// keep the output the same on every run; real keys never live in source.
func runSecondVendor(w io.Writer) error {
	fmt.Fprintln(w, "== the second vendor: a temporary pre-sales license and a deal registration")
	ctx := context.Background()
	key, err := signing.NewKeyFromSeed([]byte("quickstart second vendor key, !!"))
	if err != nil {
		return err
	}
	clock := &movingClock{t: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Clock: clock,
		Rand: rand.NewChaCha8([32]byte{'2', 'v'})})
	admin, user := entitlement.Actor{User: "admin@vendor.example"}, entitlement.Actor{User: "sales@partner-w.example"}
	contact, director, desk := entitlement.Actor{User: "contact@vendor.example"}, entitlement.Actor{User: "director@vendor.example"},
		entitlement.Actor{User: "deals@vendor.example"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Administrator"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-w", Name: "Partner W", Kind: entitlement.KindDealer}); err != nil {
		return err
	}
	for _, u := range []entitlement.User{{ID: user.User, Name: "Sales", Partner: "partner-w", Roles: entitlement.RoleLMSUser},
		{ID: contact.User, Name: "Project contact", Partner: "vendor", Roles: entitlement.RoleLMSUser},
		{ID: director.User, Name: "Regional director", Partner: "vendor", Roles: entitlement.RoleLMSUser},
		{ID: desk.User, Name: "Deal desk", Partner: "vendor", Roles: entitlement.RoleLMSUser}} {
		if err := l.AddUser(ctx, admin, u); err != nil {
			return err
		}
	}

	// Temporary licenses: the AP product has an enterprise part template and self-service
	// download; the policy lets an ESN have one application without approval.
	ap := presales.Product{ID: "AP", Name: "Enterprise AP", SelfService: true,
		Parts:    []presales.Part{{Part: "EN-AP-LIC", Name: "AP access license", Kind: entitlement.PartCount}},
		Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}}
	book, err := presales.New(l, presales.Policy{ApprovalFree: 1, Products: []presales.Product{ap}})
	if err != nil {
		return err
	}
	if err := book.SetRoles(ctx, admin, contact.User, presales.RoleProjectContact); err != nil {
		return err
	}
	if err := book.SetRoles(ctx, admin, director.User, presales.RoleRegionalDirector); err != nil {
		return err
	}
	dev, err := book.AddDevice(ctx, user, "2102350dlf10h1000123")
	if err != nil {
		return err
	}
	req := presales.Request{ESN: dev.ESN, NoCustomer: true, Days: 30,
		Products: []presales.ProductRequest{{Product: "AP", UseTemplate: true, Values: ap.Template}}}
	app, err := book.Apply(ctx, user, req)
	if err != nil {
		return err
	}
	f, err := book.Download(ctx, user, app.Number)
	if err != nil {
		return err
	}
	signed, err := license.ReadSVIZip(f.Data)
	if err != nil {
		return err
	}
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return err
	}
	lf, err := license.Open(signed, kr)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ESN %s added; application %s (count %d of 1 approval-free): %s at once\n", dev.ESN, app.Number, app.Count, app.Status)
	fmt.Fprintf(w, "  file %s: type %s, %s, until %s, bound to %s %s\n", lf.Serial, lf.Entitlement, lf.Term,
		lf.NotAfter.Format(time.DateOnly), lf.Host.System, lf.Host.Code)
	next, err := book.Apply(ctx, user, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "application %s (count %d of 1 approval-free): %s\n", next.Number, next.Count, next.Status)
	if _, err := book.Approve(ctx, contact, next.Number, "the customer's trial is planned"); err != nil {
		return err
	}
	if next, err = book.Approve(ctx, director, next.Number, ""); err != nil {
		return err
	}
	fmt.Fprintf(w, "  approved by the project contact, then the regional director: %s, until %s\n", next.Status, next.NotAfter.Format(time.DateOnly))

	// Deal registration: the partner registers a deal, the vendor accepts it, the partner never
	// updates it, and the scheduler's sweep finds it invalid four weeks later.
	deals, err := dealreg.New(l, dealreg.Policy{Pipeline: noPipeline{}})
	if err != nil {
		return err
	}
	if err := deals.SetRoles(ctx, admin, desk.User, dealreg.RoleApprover); err != nil {
		return err
	}
	if err := deals.SetProfile(ctx, admin, dealreg.Profile{Partner: "partner-w", Tier: dealreg.TierSilver,
		Regions: []string{"Benelux"}, Products: []string{"Enterprise AP"}}); err != nil {
		return err
	}
	r, err := deals.Submit(ctx, user, dealreg.Request{Info: dealreg.Info{Customer: "ACME Corp", Project: "Campus Wi-Fi", Budget: 120_000_00,
		Currency: "EUR", Products: []string{"Enterprise AP"}, DecisionChain: []string{"CIO", "Facilities manager"},
		Implementation: time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC), Region: "Benelux"}})
	if err != nil {
		return err
	}
	if r, err = deals.Accept(ctx, desk, r.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "deal %s for %q: %s, valid until %s\n", r.ID, r.Opportunity, r.Status, r.ValidUntil.Format(time.DateOnly))
	clock.t = clock.t.AddDate(0, 0, 28)
	res, err := deals.Sweep(ctx, admin)
	if err != nil {
		return err
	}
	if r, err = deals.Registration(ctx, user, r.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "  four weeks without an update: sweep found %d invalid; %s is %s (%s)\n", res.Invalid, r.ID, r.Status, r.Reason)
	return entitlement.CheckConservation(ctx, l.Store())
}
