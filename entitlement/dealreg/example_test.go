package dealreg_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
)

// crm is the vendor's pipeline as the example's service implements it: nothing is in it.
type crm struct{}

func (crm) InPipeline(context.Context, dealreg.Registration) (bool, error) { return false, nil }

// stepClock is a clock the example moves.
type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }

// Example registers a deal, has it accepted, applies for its price after the 15 days, and lets it
// go stale: four weeks without an update make it invalid at the scheduler's sweep.
func Example() {
	if err := dealregExample(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// DR-1 accepted for "acme corp / campus lan", valid until 2024-07-08
	// price applied for on 2024-01-23
	// sweep after four weeks: 1 invalid; DR-1 is invalid
	// event dealreg.invalid for DR-1
}

func dealregExample() error {
	ctx := context.Background()
	clock := &stepClock{t: time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)}
	var events []entitlement.Event
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: clock, Events: func(e entitlement.Event) { events = append(events, e) }})
	admin, user, desk := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "wes@dealerw"}, entitlement.Actor{User: "dr@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "dealerw", Name: "Dealer W", Kind: entitlement.KindDealer}); err != nil {
		return err
	}
	for _, u := range []entitlement.User{{ID: user.User, Name: "Wes", Partner: "dealerw", Roles: entitlement.RoleLMSUser},
		{ID: desk.User, Name: "Deal desk", Partner: "vendor", Roles: entitlement.RoleLMSUser}} {
		if err := l.AddUser(ctx, admin, u); err != nil {
			return err
		}
	}
	book, err := dealreg.New(l, dealreg.Policy{Pipeline: crm{}})
	if err != nil {
		return err
	}
	if err := book.SetRoles(ctx, admin, desk.User, dealreg.RoleApprover); err != nil {
		return err
	}
	profile := dealreg.Profile{Partner: "dealerw", Tier: dealreg.TierGold, Regions: []string{"Benelux"}, Products: []string{"CloudEngine"}}
	if err := book.SetProfile(ctx, admin, profile); err != nil {
		return err
	}
	deal := dealreg.Info{Customer: "ACME Corp", Project: "Campus LAN", Budget: 250_000_00, Currency: "EUR", Products: []string{"CloudEngine"},
		DecisionChain: []string{"CIO", "Head of networks"}, Implementation: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Region: "Benelux"}
	r, err := book.Submit(ctx, user, dealreg.Request{Info: deal}) // complete, in scope, the opportunity free
	if err != nil {
		return err
	}
	if r, err = book.Accept(ctx, desk, r.ID); err != nil { // not in the vendor's pipeline
		return err
	}
	fmt.Printf("%s %s for %q, valid until %s\n", r.ID, r.Status, r.Opportunity, r.ValidUntil.Format(time.DateOnly))
	clock.t = clock.t.AddDate(0, 0, 15)
	if r, err = book.ApplyPrice(ctx, user, r.ID); err != nil { // 15 days after the registration
		return err
	}
	fmt.Printf("price applied for on %s\n", r.PriceApplied.Format(time.DateOnly))
	clock.t = r.Updated.AddDate(0, 0, 28) // four weeks without an update
	res, err := book.Sweep(ctx, admin)
	if err != nil {
		return err
	}
	if r, err = book.Registration(ctx, user, r.ID); err != nil {
		return err
	}
	fmt.Printf("sweep after four weeks: %d invalid; %s is %s\n", res.Invalid, r.ID, r.Status)
	for _, e := range events {
		if e.Kind == dealreg.EventInvalid {
			fmt.Printf("event %s for %s\n", e.Kind, e.Ref)
		}
	}
	return nil
}
