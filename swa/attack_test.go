package swa_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/swa"
)

// Attack tests: each test plays an attacker (or a careless caller) against a rule
// the package promises, and fails if the attack wins.

// catalogWith is the test catalog with more test parts (a JSON array of catalog parts).
func catalogWith(t testing.TB, parts string) *entitlement.Catalog {
	t.Helper()
	base := mergeJSON(t, readFile(t, "../entitlement/data/catalog.json"), readFile(t, "testdata/catalog_extra.json"), "systems", "parts")
	merged := mergeJSON(t, base, []byte(`{"systems":[],"parts":`+parts+`}`), "systems", "parts")
	c, err := entitlement.ParseCatalog(strings.NewReader(string(merged)))
	must(t, err)
	return c
}

// pushed assigns a term to a location and pushes it into force.
func (f *fx) pushed(t testing.TB, a entitlement.Actor, loc string, months int) swa.Assignment {
	t.Helper()
	asg, err := f.B.Assign(ctx, a, loc, swa.AssignRequest{Choices: []swa.Choice{{Months: months}}, AuthorizeUnits: true})
	must(t, err)
	p, err := f.B.Push(ctx, a, asg.ID, "review")
	must(t, err)
	return p
}

// An agreement renewed early stays in force until its renewal starts: its free-of-charge
// upgrades must not be refused in between.
func TestAttack_FreeOfChargeStaysAfterAnEarlyRenewal(t *testing.T) {
	f, loc := sv8300(t)
	f.pushed(t, f.Dist, loc.ID, 12) // 2013-07-01 to 2014-06-30
	f.C.Set(date(2014, 4, 15).Add(10 * time.Hour))
	f.units(t, f.DistP, "SO-2014", "PO-2014", 1000, date(2015, 12, 31))
	_, err := f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}, AuthorizeUnits: true}) // 2014-07-01 to 2015-06-30
	must(t, err)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateActive {
		t.Fatalf("after the renewal: %v", st.State)
	}
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	if err != nil || len(offers) != 1 || offers[0].Part != "T-SV8300-SYS-R8" {
		t.Fatalf("free of charge on 2014-04-15 with SWA in force to 2015-06-30: %v %v", offers, err)
	}
}

// A count upgrade is offered for the quantity the location holds of the part it replaces; lines
// attached but not activated can be detached back into the bin, so they must not count.
func TestAttack_FreeOfChargeQuantityCountsActivatedLinesOnly(t *testing.T) {
	cat := catalogWith(t, `[
	 {"part": "T-SV8300-CH-OLD", "name": "SV8300 channels (test part)", "kind": "count", "systems": ["SV8300"], "swa": true, "successor": "T-SV8300-CH-NEW"},
	 {"part": "T-SV8300-CH-NEW", "name": "SV8300 channels, new version (test part)", "kind": "count", "systems": ["SV8300"]}]`)
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour), catalog: cat})
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, append(slices.Clone(sv8300Licenses), entitlement.OrderLine{Part: "T-SV8300-CH-OLD", Qty: 2})...)
	// The attacker attaches 1000 more channels without activating them.
	f.attach(t, f.Dist, f.DistP, loc.ID, entitlement.OrderLine{Part: "T-SV8300-CH-OLD", Qty: 1000})
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	must(t, err)
	i := slices.IndexFunc(offers, func(o swa.Offer) bool { return o.Part == "T-SV8300-CH-NEW" })
	if i < 0 || offers[i].Qty != 2 {
		t.Fatalf("offers %+v: want 2 new channels, the activated quantity", offers)
	}
}

// Software Assurance is per product: a location's cheap second product in grace (BCT on an
// SV9100) must not hand out the upgrades of its lapsed system product.
func TestAttack_FreeOfChargeNeedsTheProductOfTheUpgradeCovered(t *testing.T) {
	cat := catalogWith(t, `[
	 {"part": "T-SV9100-SYS-R1", "name": "SV9100 system R1 (test part)", "kind": "version", "systems": ["SV9100 CP10", "SV9100 CP20"], "swa": true, "successor": "T-SV9100-SYS-R2"},
	 {"part": "T-SV9100-SYS-R2", "name": "SV9100 system R2 (test part)", "kind": "version", "systems": ["SV9100 CP10", "SV9100 CP20"]}]`)
	f := newFx(t, fxOpt{start: date(2016, 1, 10).Add(10 * time.Hour), catalog: cat})
	loc := f.location(t, f.Dist, "", "SV9100-4", "SV9100 CP10", "341006761783")
	f.activate(t, f.Dist, f.DistP, loc.ID, entitlement.OrderLine{Part: "BE114044", Qty: 1}, entitlement.OrderLine{Part: "T-SV9100-SYS-R1", Qty: 1})
	f.C.Set(date(2016, 8, 1).Add(10 * time.Hour)) // the SV9100's grace ended on 2016-04-30
	f.activate(t, f.Dist, f.DistP, loc.ID, entitlement.OrderLine{Part: "960026172000", Qty: 1})
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	states := map[string]swa.State{}
	for _, p := range st.Products {
		states[p.Product] = p.State
	}
	if states["SV9100"] != swa.StateExpired || states["BCT"] != swa.StateGrace {
		t.Fatalf("states %v", states)
	}
	before := f.snapshot(t)
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	if err == nil && slices.ContainsFunc(offers, func(o swa.Offer) bool { return o.Part == "T-SV9100-SYS-R2" }) {
		t.Fatalf("the SV9100 upgrade is offered under the BCT grace: %+v", offers)
	}
	_, err = f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"T-SV9100-SYS-R2"}, AcceptAgreement: true})
	if err == nil {
		t.Fatal("the SV9100 upgrade attached free of charge under the BCT grace")
	}
	f.unchanged(t, before, "claim under another product's grace")
}

// A distributor's reshipment writes its order numbers into the dealer's books: invalid UTF-8 must
// be refused as the ledger refuses it, not stored where every strict decode of the dealer's bin
// would then fail.
func TestAttack_ReshipOrderNumbersAreValidUTF8(t *testing.T) {
	f := newFx(t, fxOpt{})
	s := f.units(t, f.DistP, "SO1", "PO1", 400, date(2013, 4, 17))
	before := f.snapshot(t)
	_, err := f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: "PO-\xff", SO: "SO-2",
		Picks: []swa.UnitPick{{Shipment: s.ID, Qty: 10}}})
	f.refused(t, before, err, entitlement.ErrInvalid, "a purchase order of invalid UTF-8")
	if _, err := f.B.Bin(ctx, f.Dealer); err != nil {
		t.Fatalf("the dealer's bin: %v", err)
	}
	if _, err := f.B.LookupOrder(ctx, f.Dealer, "PO-\xff"); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("lookup of an invalid order number: %v", err)
	}
}

// Picks of one shipment add up; a sum that overflows must be refused as bad input, never reach
// the conservation guard (whose refusal says the store is corrupt).
func TestAttack_ReshipQuantitiesDoNotOverflow(t *testing.T) {
	f := newFx(t, fxOpt{})
	s := f.units(t, f.DistP, "SO1", "PO1", 400, date(2013, 4, 17))
	before := f.snapshot(t)
	big := int64(math.MaxInt64 / 2)
	_, err := f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: "P", SO: "S",
		Picks: []swa.UnitPick{{Shipment: s.ID, Qty: big}, {Shipment: s.ID, Qty: big}, {Shipment: s.ID, Qty: big}}})
	if errors.Is(err, entitlement.ErrCorrupt) || !(errors.Is(err, entitlement.ErrInvalid) || errors.Is(err, entitlement.ErrQuantity)) {
		t.Fatalf("overflowing picks: %v", err)
	}
	f.unchanged(t, before, "overflowing picks")
	f.conserved(t)
}

func TestAttack_ReinstatementUnitsDoNotOverflow(t *testing.T) {
	for _, c := range []struct{ rate12, months, want int }{
		{math.MaxInt, 12, math.MaxInt},
		{math.MaxInt, 24, math.MaxInt},
		{math.MaxInt / 6, 12, math.MaxInt / 6},
		{1_000_000_000, 1_000_000, 83_333_333_333_334},
	} {
		if got := swa.ReinstatementUnits(c.rate12, c.months); got != c.want {
			t.Errorf("ReinstatementUnits(%d, %d) = %d, want %d", c.rate12, c.months, got, c.want)
		}
	}
}

// Month-end arithmetic: a 12-month agreement that starts on a leap day ends on the last day of
// February a year later, and a renewal starts the day after, without losing a day; a month begun
// counts from the day a term of whole months from the lapse would end.
func TestAttack_LeapDayAndMonthEndTerms(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2015, 9, 10).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 5000, date(2019, 12, 31))
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...) // grace to 2015-12-31
	f.C.Set(date(2016, 2, 29).Add(10 * time.Hour))
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	var ends []string
	for _, o := range q.Products[0].Options[:5] {
		ends = append(ends, o.End.Format("2006-01-02"))
	}
	want := []string{"2017-02-28", "2018-02-28", "2019-02-28", "2020-02-28", "2021-02-28"}
	if !slices.Equal(ends, want) {
		t.Fatalf("terms from 2016-02-29 end %v, want %v", ends, want)
	}
	asg := f.pushed(t, f.Dist, loc.ID, 12)
	if it := asg.Items[0]; !it.Start.Equal(date(2016, 2, 29)) || !it.End.Equal(date(2017, 2, 28)) || it.Months != 12 {
		t.Fatalf("reinstated agreement %+v", it)
	}
	f.C.Set(date(2017, 1, 10).Add(10 * time.Hour))
	rq, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	if ln := rq.Lines[0]; !ln.Start.Equal(date(2017, 3, 1)) || !ln.End.Equal(date(2018, 2, 28)) || ln.Months != 12 || ln.Failed != "" {
		t.Fatalf("renewal of the leap-day agreement %+v", ln)
	}
	// Lapsed since 2017-03-01 (the day after 2017-02-28): on 2017-03-31 one month has begun, on
	// 2017-04-01 two.
	for _, c := range []struct {
		at     time.Time
		months int
	}{{date(2017, 3, 31), 1}, {date(2017, 4, 1), 2}} {
		f.C.Set(c.at.Add(10 * time.Hour))
		q, err := f.B.Quote(ctx, f.Dist, loc.ID)
		must(t, err)
		if r := q.Products[0].Reinstatement; r.Months != c.months || !r.Since.Equal(date(2017, 3, 1)) {
			t.Errorf("on %s: %+v, want %d months since 2017-03-01", c.at.Format("2006-01-02"), r, c.months)
		}
	}
}

// A term that starts on the 31st ends on the last day of a shorter month, and a month begun is
// counted from there.
func TestAttack_TermsFromTheThirtyFirst(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 5, 31).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO-989", "PO-989", 5000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "TEST System PBX Network", "iS3000", "aa0014SA2792907248AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...) // activated before 2013-06-01: end-date choice
	f.C.Set(date(2013, 10, 31).Add(10 * time.Hour))           // grace ended 2013-08-31
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	pq := q.Products[0]
	// Three months from October 31 end on January 30; the end-date choice of November 30 is one
	// month begun, and February 28 four (November 30 + 3 months would be February 30).
	if !pq.MinEnd.Equal(date(2014, 1, 30)) || !pq.Start.Equal(date(2013, 10, 31)) {
		t.Fatalf("quote %+v", pq)
	}
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{End: date(2014, 2, 28)}}, AuthorizeUnits: true})
	must(t, err)
	if it := asg.Items[0]; it.Months != 4 || !it.End.Equal(date(2014, 2, 28)) {
		t.Fatalf("end-date choice %+v: 2013-10-31 to 2014-02-28 is 4 months begun", it)
	}
}

// A caller's dates are calendar days in the caller's own zone: a desired end month of May 2017
// built in Amsterdam is May 2017, not April.
func TestAttack_CallerDatesAreCalendarDaysInTheirZone(t *testing.T) {
	ams := time.FixedZone("CEST", 2*60*60)
	f, locs := renewalCustomer(t)
	dect := locs["DECT 1"]
	q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{dect.ID}, End: time.Date(2017, 5, 1, 0, 0, 0, 0, ams)})
	must(t, err)
	if ln := q.Lines[0]; !ln.End.Equal(date(2017, 5, 31)) || ln.Months != 12 || ln.Failed != "" {
		t.Fatalf("end month May 2017 in CEST: %+v", ln)
	}
	q, err = f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{dect.ID}, Start: time.Date(2014, 7, 17, 0, 30, 0, 0, ams)})
	must(t, err)
	if !q.Start.Equal(date(2014, 7, 17)) {
		t.Fatalf("renewal start July 17 in CEST: %s", q.Start)
	}
	g := newFx(t, fxOpt{start: date(2013, 5, 31).Add(10 * time.Hour)})
	g.units(t, g.DistP, "SO-989", "PO-989", 989, date(2014, 12, 31))
	loc := g.location(t, g.Dist, "", "TEST System PBX Network", "iS3000", "aa0014SA2792907248AA")
	g.activate(t, g.Dist, g.DistP, loc.ID, sipNetLicenses...)
	g.C.Set(date(2014, 3, 14).Add(10 * time.Hour))
	asg, err := g.B.Assign(ctx, g.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{End: time.Date(2014, 12, 31, 0, 0, 0, 0, ams)}}, AuthorizeUnits: true})
	must(t, err)
	if it := asg.Items[0]; !it.End.Equal(date(2014, 12, 31)) || it.Months != 10 {
		t.Fatalf("end date 2014-12-31 in CEST: %+v", it)
	}
}

// The audit record of an assignment coming into force names the units it consumed from each
// shipment, whoever brought it into force.
func TestAttack_AuditNamesTheUnitsConsumed(t *testing.T) {
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	r := f.lastAudit(t)
	for _, d := range asg.Draws {
		if !slices.ContainsFunc(r.Notes, func(n string) bool {
			return strings.Contains(n, "consumed") && strings.Contains(n, fmt.Sprintf(" shipment %d ", d.Shipment)) && strings.Contains(n, fmt.Sprintf("%d units", d.Qty))
		}) {
			t.Fatalf("the push's audit record does not name the %d units consumed from shipment %d: %q", d.Qty, d.Shipment, r.Notes)
		}
	}
	if r.User != f.Dist.User || r.Op != "swa.push" {
		t.Fatalf("audit %+v", r)
	}
}

// Impersonation acts with the impersonated user's roles: a distributor's SWA administrator may not
// spend a dealer's units through a dealer user without an SWA role.
func TestAttack_ImpersonationNeedsAnSWARoleOnTheImpersonatedUser(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	must(t, f.L.AddUser(ctx, f.Admin, entitlement.User{ID: "clerk@y", Name: "Dealer clerk", Partner: f.DealerP, Roles: entitlement.RoleLMSUser}))
	f.units(t, f.DealerP, "SO1", "PO1", 1000, date(2013, 12, 31))
	loc := f.location(t, f.Dealer, "", "dealer's SV8300", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dealer, f.DealerP, loc.ID, sv8300Licenses...)
	imp, err := f.L.Impersonate(ctx, f.Dist.User, "clerk@y")
	must(t, err)
	before := f.snapshot(t)
	_, err = f.B.Assign(ctx, imp, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrNotAllowed, "assign as a dealer user without an SWA role")
	_, err = f.B.Bin(ctx, imp)
	f.refused(t, before, err, entitlement.ErrNotAllowed, "the bin as a dealer user without an SWA role")
	// Without the shipping allowance there is no impersonation at all.
	must(t, f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	before = f.snapshot(t)
	_, err = f.B.Assign(ctx, entitlement.Actor{User: f.Dist.User, As: f.Dealer.User}, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrNotAllowed, "assign impersonating without the allowance")
}

// "Lic-073 (or Lic-078) is absolutely required to make the iS3000/SIP@Net Server System
// operational": with the guide's system rules, the activation of an order with SWA (no Lic-073)
// succeeds, warns, and offers Lic-078 in the same step; once attached the warning is gone.
func TestGuide_SWA_ActivationWithoutLic073WarnsAndOffersLic078(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour), rules: systems.GuideRules()})
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.attach(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	act, err := f.B.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil)
	must(t, err)
	if len(act.File.Warnings) != 1 || !strings.Contains(act.File.Warnings[0], "will not run until Lic-078 is attached free of charge") ||
		len(act.FreeOfCharge) != 1 || act.FreeOfCharge[0].Part != systems.PartIS3000SWAUpgrade {
		t.Fatalf("activation without Lic-073: warnings %q, offers %+v", act.File.Warnings, act.FreeOfCharge)
	}
	res, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{systems.PartIS3000SWAUpgrade}, AcceptAgreement: true})
	must(t, err)
	if len(res.File.Warnings) != 0 {
		t.Fatalf("after Lic-078: warnings %q", res.File.Warnings)
	}
}

// Lic-078 is claimed once, however many claims race.
func TestAttack_FreeOfChargeClaimedOnceUnderConcurrency(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour), store: storetest.Retrying(entitlement.NewMemStore())})
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, entitlement.ErrInvalid) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	v, err := f.L.Location(ctx, f.Dist, loc.ID)
	must(t, err)
	n := 0
	for _, ln := range v.Activated {
		if ln.Part == "960026473134" {
			n++
		}
	}
	if ok != 1 || n != 1 {
		t.Fatalf("%d claims succeeded, %d Lic-078 lines", ok, n)
	}
	f.conserved(t)
}

// A refused operation raises no event, and on a store that runs every update twice each event is
// delivered once and every result is the committed run's.
func TestAttack_EventsOnlyForCommittedOperations(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour), store: storetest.Retrying(entitlement.NewMemStore())})
	f.units(t, f.DistP, "SO1", "PO1", 300, date(2013, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	f.events()
	_, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 24}}, AuthorizeUnits: true})
	if !errors.Is(err, entitlement.ErrQuantity) {
		t.Fatal(err)
	}
	if ev := f.events(); len(ev) != 0 {
		t.Fatalf("a refused assignment raised %+v", ev)
	}
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	p, err := f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	ev := f.events()
	if len(ev) != 2 || ev[0].Kind != swa.EventAssigned || ev[1].Kind != swa.EventActivated || ev[1].Ref != p.Items[0].Agreement {
		t.Fatalf("events %+v", ev)
	}
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.Products[0].Agreement != p.Items[0].Agreement || len(st.Products[0].History) != 2 {
		t.Fatalf("status %+v, pushed %+v", st.Products[0], p.Items[0])
	}
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Available != 300-264 {
		t.Fatalf("bin %+v", bin)
	}
	f.conserved(t)
}

// The administrator cancels an escalated reservation only with a reason.
func TestAttack_AdministratorCancelsWithAReason(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DealerP, "SO1", "PO1", 1000, date(2013, 12, 31))
	loc := f.location(t, f.Dealer, "", "dealer's SV8300", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dealer, f.DealerP, loc.ID, sv8300Licenses...)
	asg, err := f.B.Assign(ctx, f.Dealer, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Escalate(ctx, f.Dist, asg.ID, "please cancel")
	must(t, err)
	before := f.snapshot(t)
	_, err = f.B.Cancel(ctx, f.Admin, asg.ID, " ")
	f.refused(t, before, err, entitlement.ErrInvalid, "the administrator cancels without a reason")
	c, err := f.B.Cancel(ctx, f.Admin, asg.ID, "asked by the distributor")
	must(t, err)
	if c.State != swa.AssignmentCancelled || c.Reason != "asked by the distributor" || c.ClosedBy != f.Admin.User {
		t.Fatalf("cancelled %+v", c)
	}
	// A refused act by someone who may see it says what was refused, in words.
	asg2, err := f.B.Assign(ctx, f.Dealer, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Push(ctx, f.Dist, asg2.ID, "why not")
	if !errors.Is(err, entitlement.ErrNotAllowed) || !strings.Contains(err.Error(), "may not push SWA assignment") {
		t.Fatalf("the distributor pushes its dealer's: %v", err)
	}
	f.conserved(t)
}

// The book's dates are UTC days whatever the server's zone: a server west of Greenwich must not
// see a grace end or an expiry one day early.
func TestAttack_DatesAreUTCWhateverTheLocalZone(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("UTC-8", -8*3600)
	f, loc := sv8300(t)
	asg := f.pushed(t, f.Dist, loc.ID, 12)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	resold, err := f.B.Resold(ctx, f.Dist, 0)
	must(t, err)
	p := st.Products[0]
	for name, tm := range map[string]time.Time{"expires": p.Expires, "grace end": p.GraceEnd, "start": p.Start, "history": p.History[0].End,
		"item end": asg.Items[0].End, "shipment expiry": bin.Shipments[0].Expires, "resold": resold[0].Lines[0].Expires} {
		if tm.Location() != time.UTC || tm.Hour() != 0 {
			t.Errorf("%s: %v", name, tm)
		}
	}
	if p.Expires.Format("01/02/2006") != "06/30/2014" || p.GraceEnd.Format("2006-01-02") != "2013-06-30" {
		t.Fatalf("status %+v", p)
	}
}

// "LMS will quote a reinstatement fee … if the system is not renewed within the active SWA
// period": renewing on the first day after the expiry is a lapse of one month begun, exactly as
// a new assignment quoted that day; on the last day it is none.
func TestAttack_RenewingTheDayAfterTheExpiryPaysReinstatement(t *testing.T) {
	f, loc := sv8300(t)
	f.pushed(t, f.Dist, loc.ID, 12) // to 2014-06-30
	f.units(t, f.DistP, "SO-2014", "PO-2014", 2000, date(2016, 12, 31))
	f.C.Set(date(2014, 6, 30).Add(23 * time.Hour))
	rq, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	if ln := rq.Lines[0]; ln.Reinstatement.Months != 0 || !ln.Start.Equal(date(2014, 7, 1)) {
		t.Fatalf("on the last day: %+v", ln)
	}
	f.C.Set(date(2014, 7, 1).Add(1 * time.Hour))
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	rq, err = f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	ln, pq := rq.Lines[0], q.Products[0]
	if pq.State != swa.StateExpired || pq.Reinstatement.Months != 1 || pq.Reinstatement.Units != 22 {
		t.Fatalf("the quote on the day after: %+v", pq)
	}
	if ln.Reinstatement.Months != pq.Reinstatement.Months || ln.Reinstatement.Units != pq.Reinstatement.Units || !ln.Reinstatement.Since.Equal(date(2014, 7, 1)) ||
		!ln.Start.Equal(date(2014, 7, 1)) || ln.Total() != 264+22 {
		t.Fatalf("the renewal on the day after: %+v, the quote's reinstatement %+v", ln, pq.Reinstatement)
	}
}

// Boundaries: units expire at their shipment's expiry instant (not a second later), an agreement
// covers its last day (free-of-charge licenses included) and not the day after.
func TestAttack_ExpiryBoundaries(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	expires := date(2013, 3, 27).Add(10 * time.Hour)
	f.units(t, f.DistP, "SO1", "PO1", 264, expires)
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	f.C.Set(expires)
	before := f.snapshot(t)
	_, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrQuantity, "units drawn at their expiry instant")
	f.C.Set(expires.Add(-time.Second))
	f.pushed(t, f.Dist, loc.ID, 12) // 2013-07-01 to 2014-06-30
	f.C.Set(date(2014, 6, 30).Add(23*time.Hour + 59*time.Minute))
	if _, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID); err != nil {
		t.Fatalf("free of charge on the agreement's last day: %v", err)
	}
	f.C.Set(date(2014, 7, 1))
	if _, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("free of charge the day after the agreement: %v", err)
	}
	f.conserved(t)
}

// A lapsed agreement with a new assignment cooling off cannot be renewed as well (its units would
// pay twice for the same months); once the assignment is cancelled it can.
func TestAttack_RenewOnAPendingAssignment(t *testing.T) {
	f, loc := sv8300(t)
	f.pushed(t, f.Dist, loc.ID, 12) // to 2014-06-30
	f.units(t, f.DistP, "SO-2014", "PO-2014", 2000, date(2016, 12, 31))
	f.C.Set(date(2014, 8, 5).Add(10 * time.Hour))
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	rq, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	if len(rq.Lines) != 1 || rq.Lines[0].Failed != swa.ReasonPending || rq.Units != 0 {
		t.Fatalf("renewal quote with an assignment pending: %+v", rq)
	}
	before := f.snapshot(t)
	_, err = f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}, AuthorizeUnits: true})
	f.refused(t, before, err, swa.ErrQuote, "renew with an assignment pending")
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "renew instead")
	must(t, err)
	r, err := f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}, AuthorizeUnits: true})
	must(t, err)
	if it := r.Items[0]; !strings.HasSuffix(it.Agreement, "-R01") || it.ReinstatementMonths != 2 || !it.Start.Equal(date(2014, 8, 5)) {
		t.Fatalf("renewal after the cancel %+v", it)
	}
	f.conserved(t)
}

// Zero, negative and absurd terms and dates are refused as bad input or quoted as failed lines;
// none panics, none draws a unit.
func TestAttack_AbsurdTermsAndDates(t *testing.T) {
	f, loc := sv8300(t)
	before := f.snapshot(t)
	for name, ch := range map[string]swa.Choice{
		"negative months":    {Months: -12},
		"absurd months":      {Months: math.MaxInt},
		"an end date":        {End: date(2014, 6, 30)}, // SV8300 offers no end-date choice
		"the year 99999":     {End: time.Date(99999, 1, 1, 0, 0, 0, 0, time.UTC)},
		"before the epoch":   {End: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)},
		"an unknown product": {Product: "SV9500", Months: 12},
	} {
		_, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{ch}, AuthorizeUnits: true})
		f.refused(t, before, err, entitlement.ErrInvalid, name)
	}
	f.pushed(t, f.Dist, loc.ID, 12)
	before = f.snapshot(t)
	for name, c := range map[string]struct {
		req  swa.RenewalRequest
		want error
	}{
		"negative months":        {swa.RenewalRequest{Locations: []string{loc.ID}, Months: -1}, entitlement.ErrInvalid},
		"61 months":              {swa.RenewalRequest{Locations: []string{loc.ID}, Months: 61}, entitlement.ErrInvalid},
		"a start in the past":    {swa.RenewalRequest{Locations: []string{loc.ID}, Start: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}, entitlement.ErrInvalid},
		"the year 99999":         {swa.RenewalRequest{Locations: []string{loc.ID}, Start: time.Date(99999, 1, 1, 0, 0, 0, 0, time.UTC)}, swa.ErrQuote},
		"an end month long gone": {swa.RenewalRequest{Locations: []string{loc.ID}, End: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, swa.ErrQuote},
		"an end month far away":  {swa.RenewalRequest{Locations: []string{loc.ID}, End: time.Date(99999, 1, 1, 0, 0, 0, 0, time.UTC)}, swa.ErrQuote},
		"no location":            {swa.RenewalRequest{Locations: []string{}}, entitlement.ErrInvalid},
	} {
		c.req.AuthorizeUnits = true
		_, err := f.B.Renew(ctx, f.Dist, c.req)
		f.refused(t, before, err, c.want, name)
	}
}

// Pushes, cancels and reads of one reservation race on a store that runs every update twice:
// exactly one push or one cancel wins, the rest are refused as the wrong state, and no unit is
// created or lost. At the end of the cooling-off neither a push nor a cancel is possible; the
// next read brings it into force.
func TestAttack_PushCancelAndReadsRace(t *testing.T) {
	for round := range 6 {
		f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour), store: storetest.Retrying(entitlement.NewMemStore()), seed: uint64(round + 1)})
		f.units(t, f.DistP, "SO1", "PO1", 1000, date(2013, 12, 31))
		loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
		f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
		asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
		must(t, err)
		f.events()
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[string]int{}
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				op := []string{"push", "cancel", "read"}[i%3]
				switch op {
				case "push":
					_, err = f.B.Push(ctx, f.Dist, asg.ID, "race")
				case "cancel":
					_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "race")
				default:
					_, err = f.B.Status(ctx, f.Dist, loc.ID)
				}
				if err != nil && !errors.Is(err, entitlement.ErrState) {
					t.Errorf("%s: %v", op, err)
				}
				if err == nil {
					mu.Lock()
					won[op]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won["push"]+won["cancel"] != 1 {
			t.Fatalf("round %d: %v succeeded", round, won)
		}
		ev := f.events()
		bin, err := f.B.Bin(ctx, f.Dist)
		must(t, err)
		if won["push"] == 1 && (len(ev) != 1 || ev[0].Kind != swa.EventActivated || bin.Available != 1000-264) ||
			won["cancel"] == 1 && (len(ev) != 1 || ev[0].Kind != swa.EventCancelled || bin.Available != 1000) {
			t.Fatalf("round %d: %v, events %+v, bin %+v", round, won, ev, bin)
		}
		f.conserved(t)
	}
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	f.C.Set(asg.Due)
	before := f.snapshot(t)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "at the due instant")
	f.refused(t, before, err, entitlement.ErrState, "push at the end of the cooling-off")
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "at the due instant")
	f.refused(t, before, err, entitlement.ErrState, "cancel at the end of the cooling-off")
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateActive {
		t.Fatalf("state %v", st.State)
	}
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "again")
	if !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("a push of a settled assignment: %v", err)
	}
	f.conserved(t)
}
