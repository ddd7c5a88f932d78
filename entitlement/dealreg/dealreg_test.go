package dealreg_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/ledgertest"
)

var ctx = context.Background()

var t0 = time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)

// pipeline is the vendor's CRM as a test sets it: the opportunities its account managers have.
type pipeline struct {
	mu   sync.Mutex
	opps map[string]bool
	err  error
}

func (p *pipeline) InPipeline(_ context.Context, r dealreg.Registration) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opps[r.Opportunity], p.err
}

type fixture struct {
	*storetest.Fixture
	l        *entitlement.Ledger
	b        *dealreg.Book
	clock    *ledgertest.Clock
	pipe     *pipeline
	approver entitlement.Actor
	cft      entitlement.Actor // a second client-facing dealer, without an allowance from distx
	events   ledgertest.Events
	t        testing.TB
}

func newFixture(t testing.TB, p dealreg.Policy) *fixture {
	t.Helper()
	s := storetest.Retrying(entitlement.NewMemStore())
	f := &fixture{Fixture: storetest.NewFixture(t, s, 17), clock: ledgertest.NewClock(t0), pipe: &pipeline{opps: map[string]bool{}}, t: t,
		approver: entitlement.Actor{User: "dr@vendor"}, cft: entitlement.Actor{User: "wes@dealerw"}}
	f.l = entitlement.New(s, entitlement.Config{Clock: f.clock, Rand: rand.NewChaCha8([32]byte{17}), Events: f.events.Add})
	f.L = f.l
	p.Pipeline = f.pipe
	f.b = must[*dealreg.Book](t)(dealreg.New(f.l, p))
	ok(t, f.l.AddUser(ctx, f.Admin, entitlement.User{ID: f.approver.User, Name: "Deal desk", Partner: "vendor", Roles: entitlement.RoleLMSUser}))
	ok(t, f.b.SetRoles(ctx, f.Admin, f.approver.User, dealreg.RoleApprover))
	ok(t, f.l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "dealerw", Name: "Dealer W", Kind: entitlement.KindDealer}))
	ok(t, f.l.AddUser(ctx, f.Admin, entitlement.User{ID: f.cft.User, Name: "Wes", Partner: "dealerw", Roles: entitlement.RoleLMSUser}))
	scope := func(partner string, tier dealreg.Tier) dealreg.Profile {
		return dealreg.Profile{Partner: partner, Tier: tier, Regions: []string{"Benelux", "DACH"}, Products: []string{"CloudEngine", "AirEngine", "eKit"}}
	}
	ok(t, f.b.SetProfile(ctx, f.Admin, scope(f.DistP, dealreg.TierDistributor)))
	ok(t, f.b.SetProfile(ctx, f.Admin, scope(f.DealerP, dealreg.TierGold)))
	ok(t, f.b.SetProfile(ctx, f.Admin, scope("dealerw", dealreg.TierRegistered)))
	return f
}

func (f *fixture) take() []entitlement.Event { return f.events.Take() }

func info(customer, project string) dealreg.Info {
	return dealreg.Info{Customer: customer, Project: project, Budget: 250_000_00, Currency: "EUR", Products: []string{"CloudEngine"},
		DecisionChain: []string{"CIO", "Head of networks"}, Implementation: t0.AddDate(0, 5, 0), Region: "Benelux"}
}

func (f *fixture) unchanged(want error, op func() error) error {
	f.t.Helper()
	return ledgertest.Unchanged(f.t, f.l, want, op)
}

func (f *fixture) submit(a entitlement.Actor, in dealreg.Info) dealreg.Registration {
	f.t.Helper()
	return must[dealreg.Registration](f.t)(f.b.Submit(ctx, a, dealreg.Request{Info: in}))
}

func must[T any](t testing.TB) func(T, error) T { return ledgertest.Must[T](t) }

func ok(t testing.TB, err error) { t.Helper(); ledgertest.OK(t, err) }

// TestDoc001_CompleteInformation: a registration holds the complete information; an incomplete one
// is refused naming every missing field, or, once submitted, returned for supplement and
// supplemented.
func TestDoc001_CompleteInformation(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	err := f.unchanged(entitlement.ErrInvalid, func() error { _, err := f.b.Submit(ctx, f.Dealer, dealreg.Request{}); return err })
	var ie *dealreg.IncompleteError
	want := []string{"customer name", "project name", "budget (an amount and its currency code)", "products or solutions",
		"decision-making chain", "implementation time", "region"}
	if !errors.As(err, &ie) || !slices.Equal(ie.Missing, want) {
		t.Fatalf("incomplete: %v", err)
	}
	for field, change := range map[string]func(*dealreg.Info){
		"customer name":          func(in *dealreg.Info) { in.Customer = "  " },
		"project name":           func(in *dealreg.Info) { in.Project = "" },
		"budget":                 func(in *dealreg.Info) { in.Budget = 0 },
		"products or solutions":  func(in *dealreg.Info) { in.Products = []string{""} },
		"decision-making chain":  func(in *dealreg.Info) { in.DecisionChain = nil },
		"implementation time":    func(in *dealreg.Info) { in.Implementation = time.Time{} },
		"budget (an amount and ": func(in *dealreg.Info) { in.Currency = "eur" },
	} {
		t.Run(field, func(t *testing.T) {
			in := info("ACME", "Campus")
			change(&in)
			err := f.unchanged(entitlement.ErrInvalid, func() error { _, err := f.b.Submit(ctx, f.Dealer, dealreg.Request{Info: in}); return err })
			if !errors.As(err, &ie) || len(ie.Missing) != 1 || !strings.HasPrefix(ie.Missing[0], strings.TrimSpace(field)) {
				t.Fatalf("%v", err)
			}
		})
	}
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	r = must[dealreg.Registration](t)(f.b.Return(ctx, f.approver, r.ID, "add the second decision maker's name"))
	if r.Status != dealreg.Returned {
		t.Fatalf("returned: %+v", r)
	}
	if ev := f.take(); len(ev) != 1 || ev[0].Kind != dealreg.EventReturned || ev[0].Partner != f.DealerP {
		t.Fatalf("events %+v", ev)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Accept(ctx, f.approver, r.ID); return err })
	in := info("ACME", "Campus")
	in.DecisionChain = append(in.DecisionChain, "Jan de Vries, CFO")
	r = must[dealreg.Registration](t)(f.b.Update(ctx, f.Dealer, r.ID, in))
	if r.Status != dealreg.Submitted || len(r.Info.DecisionChain) != 3 {
		t.Fatalf("supplemented: %+v", r)
	}
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, r.ID))
}

// TestDoc001_PriceApplicationLead: the price application is an operation of its own, refused
// less than 15 days after the registration.
func TestDoc001_PriceApplicationLead(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, r.ID))
	f.clock.Set(t0.Add(15*24*time.Hour - time.Second))
	err := f.unchanged(entitlement.ErrState, func() error { _, err := f.b.ApplyPrice(ctx, f.Dealer, r.ID); return err })
	if !errors.Is(err, dealreg.ErrTooEarly) {
		t.Fatalf("14 days later: %v", err)
	}
	f.clock.Set(t0.Add(15 * 24 * time.Hour))
	r = must[dealreg.Registration](t)(f.b.ApplyPrice(ctx, f.Dealer, r.ID))
	if !r.PriceApplied.Equal(t0.Add(15 * 24 * time.Hour)) {
		t.Fatalf("price applied %v", r.PriceApplied)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.ApplyPrice(ctx, f.Dealer, r.ID); return err })
	f.unchanged(entitlement.ErrNotFound, func() error { _, err := f.b.ApplyPrice(ctx, f.Other, r.ID); return err })
}

// TestDoc001_NotInVendorPipeline: a deal the vendor's account managers have in their pipeline is
// not accepted; a pipeline that does not answer refuses too.
func TestDoc001_NotInVendorPipeline(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	f.pipe.opps[r.Opportunity] = true
	err := f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Accept(ctx, f.approver, r.ID); return err })
	if !strings.Contains(err.Error(), "vendor's own pipeline") {
		t.Fatalf("%v", err)
	}
	f.pipe.opps[r.Opportunity] = false
	f.pipe.err = errors.New("CRM down")
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Accept(ctx, f.approver, r.ID); return err })
	f.pipe.err = nil
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, r.ID))
	if _, err := dealreg.New(f.l, dealreg.Policy{}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("a policy without the pipeline: %v", err)
	}
}

// TestDoc001_OnePerOpportunity: one accepted registration per opportunity, whoever registers it and
// however the names are typed; the caller may name the key; an expired acceptance frees it.
func TestDoc001_OnePerOpportunity(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	a := f.submit(f.Dealer, info("ACME Corp", "Campus  LAN"))
	b := f.submit(f.cft, info("acme corp", "campus lan"))
	if a.Opportunity != b.Opportunity || a.Opportunity != "acme corp / campus lan" {
		t.Fatalf("keys %q %q", a.Opportunity, b.Opportunity)
	}
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, a.ID))
	f.unchanged(entitlement.ErrExists, func() error { _, err := f.b.Accept(ctx, f.approver, b.ID); return err })
	f.unchanged(entitlement.ErrExists, func() error {
		_, err := f.b.Submit(ctx, f.cft, dealreg.Request{Info: info("ACME CORP", "Campus LAN")})
		return err
	})
	// A key the caller names: the same customer and project, two opportunities.
	c := must[dealreg.Registration](t)(f.b.Submit(ctx, f.cft, dealreg.Request{Info: info("ACME Corp", "Campus LAN"), Opportunity: "CRM-4711"}))
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, c.ID))
	// When the accepted one expires, the opportunity is free again.
	f.clock.Set(a.ValidUntil)
	res := must[dealreg.SweepResult](t)(f.b.Sweep(ctx, f.Admin))
	if res.Expired != 3 {
		t.Fatalf("sweep %+v", res)
	}
	f.clock.Set(a.ValidUntil.Add(time.Hour))
	d := f.submit(f.cft, info("ACME Corp", "Campus LAN"))
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, d.ID))
}

// TestDoc001_AuthorisedScope: the partner's authorised regions and products must cover the deal.
func TestDoc001_AuthorisedScope(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	for name, change := range map[string]func(*dealreg.Info){
		"region":  func(in *dealreg.Info) { in.Region = "Nordics" },
		"product": func(in *dealreg.Info) { in.Products = []string{"CloudEngine", "OceanStor"} },
	} {
		t.Run(name, func(t *testing.T) {
			in := info("ACME", "Campus")
			change(&in)
			f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Submit(ctx, f.Dealer, dealreg.Request{Info: in}); return err })
		})
	}
	// A scope narrowed after submission stops the acceptance.
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	ok(t, f.b.SetProfile(ctx, f.Admin, dealreg.Profile{Partner: f.DealerP, Tier: dealreg.TierGold, Regions: []string{"DACH"}, Products: []string{"CloudEngine"}}))
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Accept(ctx, f.approver, r.ID); return err })
}

// TestDoc001_TierMayRegister: client-facing partners register their deals; distributors register
// on behalf of a client-facing partner they hold the allowance to, and for themselves only where
// the policy allows; a partner without a profile (not a Registered Partner) does not register.
func TestDoc001_TierMayRegister(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	in := info("ACME", "Campus")
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Submit(ctx, f.Dist, dealreg.Request{Info: in}); return err })
	r := must[dealreg.Registration](t)(f.b.Submit(ctx, f.Dist, dealreg.Request{Info: in, OnBehalfOf: f.DealerP}))
	if r.Partner != f.DealerP || r.By != f.DistP {
		t.Fatalf("on behalf: %+v", r)
	}
	// Both the dealer and the distributor see it; another partner does not.
	must[dealreg.Registration](t)(f.b.Registration(ctx, f.Dealer, r.ID))
	if _, err := f.b.Registration(ctx, f.Other, r.ID); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner sees it: %v", err)
	}
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := f.b.Submit(ctx, f.Dist, dealreg.Request{Info: info("B", "B"), OnBehalfOf: "dealerw"}) // no allowance
		return err
	})
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := f.b.Submit(ctx, f.Dealer, dealreg.Request{Info: info("B", "B"), OnBehalfOf: "dealerw"}) // not a distributor
		return err
	})
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := f.b.Submit(ctx, f.Other, dealreg.Request{Info: info("B", "B")}) // no profile
		return err
	})
	g := newFixture(t, dealreg.Policy{DistributorsForThemselves: true})
	if r := must[dealreg.Registration](t)(g.b.Submit(ctx, g.Dist, dealreg.Request{Info: in})); r.Partner != g.DistP {
		t.Fatalf("for itself: %+v", r)
	}
	f.unchanged(entitlement.ErrInvalid, func() error {
		return f.b.SetProfile(ctx, f.Admin, dealreg.Profile{Partner: f.DealerP, Tier: dealreg.TierDistributor})
	})
}

// TestDoc001_ApproverApproves: the vendor's approver accepts; nobody else does.
func TestDoc001_ApproverApproves(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	for name, a := range map[string]entitlement.Actor{"the partner": f.Dealer, "the administrator": f.Admin} {
		t.Run(name, func(t *testing.T) {
			f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Accept(ctx, a, r.ID); return err })
		})
	}
	f.take()
	r = must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, r.ID))
	if r.Status != dealreg.Accepted {
		t.Fatalf("%+v", r)
	}
	if ev := f.take(); len(ev) != 1 || ev[0].Kind != dealreg.EventAccepted || !ev[0].Due.Equal(r.ValidUntil) {
		t.Fatalf("events %+v", ev)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Reject(ctx, f.approver, r.ID, "too late"); return err })
}

// TestDoc001_ValidityAndStaleness: valid six months from submission and extendable by the vendor;
// invalid after four consecutive weeks without an update; a notice a configurable time before
// expiry; the sweep makes each change once.
func TestDoc001_ValidityAndStaleness(t *testing.T) {
	f := newFixture(t, dealreg.Policy{NoticeBefore: 10 * 24 * time.Hour})
	r := f.submit(f.Dealer, info("ACME", "Campus"))
	if !r.ValidUntil.Equal(t0.AddDate(0, 6, 0)) {
		t.Fatalf("valid until %v", r.ValidUntil)
	}
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, r.ID))
	sweep := func(at time.Time) (dealreg.SweepResult, []entitlement.Event) {
		t.Helper()
		f.clock.Set(at)
		f.take()
		res := must[dealreg.SweepResult](t)(f.b.Sweep(ctx, f.Admin))
		return res, f.take()
	}
	// Updates every three weeks keep it valid.
	for w := 3; w < 26; w += 3 {
		f.clock.Set(t0.AddDate(0, 0, 7*w))
		must[dealreg.Registration](t)(f.b.Update(ctx, f.Dealer, r.ID, info("ACME", "Campus")))
		if res, _ := sweep(t0.AddDate(0, 0, 7*w+1)); res.Invalid != 0 || res.Expired != 0 {
			t.Fatalf("week %d: %+v", w, res)
		}
	}
	// Ten days before the end: one notice.
	if res, ev := sweep(r.ValidUntil.Add(-10 * 24 * time.Hour)); res.Expiring != 1 || len(ev) != 1 || ev[0].Kind != dealreg.EventExpiring {
		t.Fatalf("notice: %+v %+v", res, ev)
	}
	if res, _ := sweep(r.ValidUntil.Add(-9 * 24 * time.Hour)); res.Expiring != 0 {
		t.Fatalf("a second notice: %+v", res)
	}
	// The vendor extends it; a new end, a new notice.
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Extend(ctx, f.Dealer, r.ID, r.ValidUntil.AddDate(0, 3, 0)); return err })
	r = must[dealreg.Registration](t)(f.b.Extend(ctx, f.approver, r.ID, r.ValidUntil.AddDate(0, 3, 0)))
	must[dealreg.Registration](t)(f.b.Update(ctx, f.Dealer, r.ID, info("ACME", "Campus")))
	if res, _ := sweep(r.ValidUntil.Add(-10 * 24 * time.Hour)); res.Invalid != 1 {
		// The last update was at the old end minus 9 days; the new end's notice time is more than
		// four weeks later: it went stale first.
		t.Fatalf("stale before the new notice: %+v", res)
	}
	got := must[dealreg.Registration](t)(f.b.Registration(ctx, f.Dealer, r.ID))
	if got.Status != dealreg.Invalid || !strings.Contains(got.Reason, "not updated since") {
		t.Fatalf("%+v", got)
	}
	// Stale: four weeks without an update, exactly.
	s := f.submit(f.cft, info("Other", "Project"))
	must[dealreg.Registration](t)(f.b.Accept(ctx, f.approver, s.ID))
	if res, _ := sweep(s.Updated.Add(28*24*time.Hour - time.Second)); res.Invalid != 0 {
		t.Fatalf("a second early: %+v", res)
	}
	if res, ev := sweep(s.Updated.Add(28 * 24 * time.Hour)); res.Invalid != 1 || ev[0].Kind != dealreg.EventInvalid {
		t.Fatalf("four weeks: %+v %+v", res, ev)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Update(ctx, f.cft, s.ID, info("Other", "Project")); return err })
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Sweep(ctx, f.Dealer); return err })
}

// TestRandom_OneAcceptedPerOpportunity: partners submit and approvers accept registrations of a
// few opportunities from several goroutines at once; after every step, no opportunity has two
// accepted registrations.
func TestRandom_OneAcceptedPerOpportunity(t *testing.T) {
	f := newFixture(t, dealreg.Policy{})
	ok(t, f.l.AddUser(ctx, f.Admin, entitlement.User{ID: "dr2@vendor", Name: "Deal desk 2", Partner: "vendor", Roles: entitlement.RoleLMSUser}))
	ok(t, f.b.SetRoles(ctx, f.Admin, "dr2@vendor", dealreg.RoleApprover))
	approvers := []entitlement.Actor{f.approver, {User: "dr2@vendor"}}
	partners := []entitlement.Actor{f.Dealer, f.cft}
	projects := []string{"Campus", "Data center", "Branch WAN"}
	check := func() error {
		seen := map[string]string{}
		for _, p := range []string{f.DealerP, "dealerw"} {
			regs, err := f.b.Registrations(ctx, f.approver, p)
			if err != nil {
				return err
			}
			for _, r := range regs {
				if r.Status != dealreg.Accepted {
					continue
				}
				if other, ok := seen[r.Opportunity]; ok && other != r.ID {
					return fmt.Errorf("opportunity %q accepted twice: %s and %s", r.Opportunity, other, r.ID)
				}
				seen[r.Opportunity] = r.ID
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	accepted := make(chan string, 1000)
	for w := range 6 {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for range 15 {
				var err error
				if r.IntN(2) == 0 {
					_, err = f.b.Submit(ctx, partners[r.IntN(2)], dealreg.Request{Info: info("ACME", projects[r.IntN(len(projects))])})
				} else {
					regs, lerr := f.b.Registrations(ctx, f.approver, []string{f.DealerP, "dealerw"}[r.IntN(2)])
					if lerr != nil || len(regs) == 0 {
						continue
					}
					id := regs[r.IntN(len(regs))].ID
					if _, err = f.b.Accept(ctx, approvers[r.IntN(2)], id); err == nil {
						accepted <- id
					}
				}
				if err != nil && !errors.Is(err, entitlement.ErrExists) && !errors.Is(err, entitlement.ErrState) {
					errs <- err
					return
				}
				if err := check(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	close(accepted)
	for err := range errs {
		t.Fatal(err)
	}
	n := 0
	for range accepted {
		n++
	}
	if n == 0 || n > len(projects) {
		t.Fatalf("%d acceptances for %d opportunities", n, len(projects))
	}
}
