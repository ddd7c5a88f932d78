package lifecycle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/signing"
)

// Example ships an annual-fee subscription, pools and activates it beside a permanent license,
// revokes it, and raises the expiry event of a fixed-term entitlement: the delivery statuses of
// the self-developed machine. The issuer key is a fixed test key; real keys never live in source.
func Example() {
	if err := lifecycleExample(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// shipped: BE107585 type S ends 2014-03-28, fee starts 2013-03-28 (provisional true)
	// activated: 2 files in 191000343919-svi.zip
	// fee starts 2012-12-28 once activated
	// revoked: BE107585 is Inactive; the new permanent file supersedes the old: true
	// event lifecycle.revoked for location 191000343919
}

func lifecycleExample() error {
	ctx := context.Background()
	key, err := signing.NewKeyFromSeed([]byte("lifecycle example key, not secret"[:32]))
	if err != nil {
		return err
	}
	var events []entitlement.Event
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key},
		Clock: storetest.FixedClock{T: time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)}, Events: func(e entitlement.Event) { events = append(events, e) }})
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser}); err != nil {
		return err
	}
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		return err
	}
	if _, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO-1", SO: "SO-1",
		Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}}); err != nil {
		return err
	}
	fee := lifecycle.AnnualFee{Model: lifecycle.ModelSUS, Scenario: lifecycle.ScenarioFirstSigned, Rule: lifecycle.StartEarlierOfActivationOrPO, Months: 12}
	dates := lifecycle.OrderDates{POSigned: time.Date(2012, 12, 28, 0, 0, 0, 0, time.UTC)}
	order := entitlement.Order{Partner: "distx", PO: "PO-2", SO: "SO-2", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 20}}}
	lines, err := lifecycle.ShipAnnualFee(ctx, l, admin, order, fee, dates) // type S, ending with the fee term
	if err != nil {
		return err
	}
	d, err := lifecycle.Details(ctx, l, user, lines[0].ID)
	if err != nil {
		return err
	}
	fmt.Printf("shipped: %s type %s ends %s, fee starts %s (provisional %v)\n", d.Line.Part, d.Type, d.Line.NotAfter.Format(time.DateOnly),
		d.Fee.Term.Start.Format(time.DateOnly), d.Fee.Term.Provisional)
	bin, err := l.Bin(ctx, user)
	if err != nil {
		return err
	}
	var picks []entitlement.Pick
	for _, s := range bin {
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	pooled, err := lifecycle.Pool(ctx, l, user, loc.ID, picks) // Ready → Pooled
	if err != nil {
		return err
	}
	file, err := lifecycle.Activate(ctx, l, user, loc.ID, entitlement.Activation{AcceptAgreement: true}) // Pooled → Activated
	if err != nil {
		return err
	}
	fmt.Printf("activated: %d files in %s\n", len(file.Contents), file.Name)
	if d, err = lifecycle.Details(ctx, l, user, lines[0].ID); err != nil {
		return err
	}
	fmt.Printf("fee starts %s once activated\n", d.Fee.Term.Start.Format(time.DateOnly))
	var sub string
	for _, ln := range pooled {
		if ln.Part == "BE107585" {
			sub = ln.SKC
		}
	}
	newFile, err := lifecycle.Revoke(ctx, l, admin, loc.ID, []string{sub}, "returned by the customer") // Activated → Inactive
	if err != nil {
		return err
	}
	if d, err = lifecycle.Details(ctx, l, user, lines[0].ID); err != nil {
		return err
	}
	fmt.Printf("revoked: %s is %s; the new permanent file supersedes the old: %v\n", d.Line.Part, d.Lines[0].Status, newFile.Serial > file.Serial)
	for _, e := range events {
		if e.Kind == lifecycle.EventRevoked {
			fmt.Printf("event %s for location %s\n", e.Kind, e.HWKC)
		}
	}
	return nil
}
