package swa_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/swa"
)

func TestGuide_SWA_FreeOfChargeLic078InGrace(t *testing.T) {
	// An iS3000/SIP@Net order with SWA ships no Lic-073: the activation succeeds, grace starts with
	// it, and the same step offers Lic-078 free of charge.
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 1000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.attach(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	act, err := f.B.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil)
	must(t, err)
	want := []swa.Offer{{Part: "960026473134", Name: "Lic 078 - SWA Upgrade Q4-2013", Qty: 1, Replaces: "EU92067151"}}
	if act.File.Serial != 1 || !reflect.DeepEqual(act.FreeOfCharge, want) || act.Quote == nil || act.Quote.Products[0].State != swa.StateGrace {
		t.Fatalf("activation %+v", act)
	}
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	must(t, err)
	if !reflect.DeepEqual(offers, want) {
		t.Fatalf("offers %+v", offers)
	}
	before := f.snapshot(t)
	for name, c := range map[string]struct {
		req  swa.FreeOfChargeRequest
		want error
	}{
		"a paid license":                  {swa.FreeOfChargeRequest{Parts: []string{"EU920000"}, AcceptAgreement: true}, entitlement.ErrInvalid},
		"nothing":                         {swa.FreeOfChargeRequest{AcceptAgreement: true}, entitlement.ErrInvalid},
		"without the license agreement":   {swa.FreeOfChargeRequest{Parts: []string{"960026473134"}}, entitlement.ErrAgreement},
		"the same upgrade twice":          {swa.FreeOfChargeRequest{Parts: []string{"960026473134", "960026473134"}, AcceptAgreement: true}, entitlement.ErrInvalid},
		"Lic-073, the part it supersedes": {swa.FreeOfChargeRequest{Parts: []string{"EU92067151"}, AcceptAgreement: true}, entitlement.ErrInvalid},
	} {
		_, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, c.req)
		f.refused(t, before, err, c.want, name)
	}
	res, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
	must(t, err)
	if res.PO != "SA20141215001" || res.SO != "CO20141215001" || len(res.Lines) != 1 || res.Lines[0].PO != res.PO ||
		res.Lines[0].State != entitlement.StateActivated || res.File.Serial != 2 || !strings.Contains(string(res.File.File), "960026473134 1 SA20141215001 CO20141215001") {
		t.Fatalf("free of charge %+v\n%s", res, res.File.File)
	}
	// Activated in the same step: the line can never go back to the bin and onto another location.
	before = f.snapshot(t)
	err = f.L.Detach(ctx, f.Dist, loc.ID, []string{res.Lines[0].SKC})
	f.refused(t, before, err, entitlement.ErrState, "detach of a free-of-charge line")
	// Held now: no longer on offer.
	if offers, err = f.B.FreeOfCharge(ctx, f.Dist, loc.ID); err != nil || len(offers) != 0 {
		t.Fatalf("offers after the attach: %+v %v", offers, err)
	}
	f.conserved(t)
}

func TestGuide_SWA_FreeOfChargeWithSWAActive(t *testing.T) {
	// "SIP@Net--50IS0-TMZK79764-N--02/28/2014": with SWA active Lic-078 attaches without a PO under
	// generated numbers (SA20130317414 / CO20130317414 in the guide).
	f := newFx(t, fxOpt{start: date(2012, 11, 20).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 6000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "SIP@Net - hvo13120003A", "iS3000", "aa0014SA2792883507AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	p, err := f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	if !p.Items[0].End.Equal(date(2014, 2, 28)) || !strings.HasPrefix(p.Items[0].Agreement, "50IS0-") {
		t.Fatalf("agreement %+v", p.Items[0])
	}
	f.C.Set(date(2013, 4, 3).Add(10 * time.Hour)) // past grace, SWA active
	res, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
	must(t, err)
	if !strings.HasPrefix(res.PO, "SA20130403") || !strings.HasPrefix(res.SO, "CO20130403") || res.PO[2:] != res.SO[2:] {
		t.Fatalf("order numbers %s / %s", res.PO, res.SO)
	}
	// Once activated it stays: the agreement lapses, the license remains and is re-issued.
	f.C.Set(date(2014, 3, 1).Add(10 * time.Hour))
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateExpired {
		t.Fatalf("state %v", st.State)
	}
	v, err := f.L.Location(ctx, f.Dist, loc.ID)
	must(t, err)
	if !slices.ContainsFunc(v.Activated, func(ln entitlement.Line) bool { return ln.Part == "960026473134" }) {
		t.Fatal("the free-of-charge license went with the lapse")
	}
	file, err := f.L.Regenerate(ctx, f.Admin, loc.ID)
	must(t, err)
	if !strings.Contains(string(file.File), "960026473134") {
		t.Fatalf("regenerated file lacks Lic-078:\n%s", file.File)
	}
	f.conserved(t)
}

func TestGuide_SWA_FreeOfChargeRefusedOutsideSWAAndGrace(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour)})
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	f.C.Set(date(2015, 4, 1).Add(10 * time.Hour)) // grace ended on 2015-03-31, no SWA
	before := f.snapshot(t)
	_, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	f.refused(t, before, err, entitlement.ErrState, "offers past grace")
	_, err = f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
	f.refused(t, before, err, entitlement.ErrState, "attach past grace")
	// Another partner, and the administrator, may not claim them for the partner.
	f.C.Set(date(2015, 3, 31).Add(10 * time.Hour))
	for name, a := range map[string]entitlement.Actor{"another partner": f.Other, "the administrator": f.Admin} {
		before := f.snapshot(t)
		_, err := f.B.AttachFreeOfCharge(ctx, a, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
		if err == nil || !(errors.Is(err, entitlement.ErrNotFound) || errors.Is(err, entitlement.ErrNotAllowed)) {
			t.Fatalf("%s: %v", name, err)
		}
		f.unchanged(t, before, name)
	}
}

func TestGuide_SWA_FreeOfChargeSystemR8(t *testing.T) {
	// "Mark the checkbox for the 'free of charge' System R8 license" (SV8300 with SWA active; the
	// guide names no part number, so the test catalog's R7 → R8 stand in).
	f, loc := sv8300(t)
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	must(t, err)
	if !reflect.DeepEqual(offers, []swa.Offer{{Part: "T-SV8300-SYS-R8", Name: "SV8300 System R8 license (test part)", Qty: 1, Replaces: "T-SV8300-SYS-R7"}}) {
		t.Fatalf("offers %+v", offers)
	}
	res, err := f.B.AttachFreeOfCharge(ctx, f.Dist, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"T-SV8300-SYS-R8"}, AcceptAgreement: true})
	must(t, err)
	if res.Lines[0].Part != "T-SV8300-SYS-R8" || res.Lines[0].State != entitlement.StateActivated {
		t.Fatalf("attached %+v", res.Lines)
	}
	f.conserved(t)
}

func TestGuide_SWA_Reservations(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	s := f.units(t, f.DistP, "SO1", "PO1", 2000, date(2013, 12, 31))
	_, err := f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: "R1", SO: "R1", Picks: []swa.UnitPick{{Shipment: s.ID, Qty: 1000}}})
	must(t, err)
	dloc := f.location(t, f.Dealer, "", "dealer's SV8300", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dealer, f.DealerP, dloc.ID, sv8300Licenses...)
	assign := func(loc string, a entitlement.Actor) swa.Assignment {
		asg, err := f.B.Assign(ctx, a, loc, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
		must(t, err)
		return asg
	}
	ids := func(a entitlement.Actor) []uint64 {
		list, err := f.B.Reservations(ctx, a)
		must(t, err)
		var out []uint64
		for _, x := range list {
			out = append(out, x.ID)
		}
		return out
	}
	dasg := assign(dloc.ID, f.Dealer)
	// The dealer sees its own; the distributor its dealer's; another distributor and the
	// administrator (nothing escalated) none.
	if got := ids(f.Dealer); !reflect.DeepEqual(got, []uint64{dasg.ID}) {
		t.Fatalf("dealer sees %v", got)
	}
	if got := ids(f.Dist); !reflect.DeepEqual(got, []uint64{dasg.ID}) {
		t.Fatalf("distributor sees %v", got)
	}
	if got := ids(f.Other); got != nil {
		t.Fatalf("another distributor sees %v", got)
	}
	if got := ids(f.Admin); got != nil {
		t.Fatalf("the administrator sees %v before an escalation", got)
	}
	for _, c := range []struct {
		name string
		op   func() error
		want error
	}{
		{"another distributor cancels", func() error { _, err := f.B.Cancel(ctx, f.Other, dasg.ID, ""); return err }, entitlement.ErrNotFound},
		{"the distributor pushes its dealer's", func() error { _, err := f.B.Push(ctx, f.Dist, dasg.ID, "why not"); return err }, entitlement.ErrNotAllowed},
		{"the dealer escalates", func() error { _, err := f.B.Escalate(ctx, f.Dealer, dasg.ID, "help"); return err }, entitlement.ErrNotAllowed},
		{"the administrator pushes before an escalation", func() error { _, err := f.B.Push(ctx, f.Admin, dasg.ID, "desk"); return err }, entitlement.ErrNotFound},
		{"an unknown assignment", func() error { _, err := f.B.Cancel(ctx, f.Dealer, 999, ""); return err }, entitlement.ErrNotFound},
	} {
		before := f.snapshot(t)
		f.refused(t, before, c.op(), c.want, c.name)
	}
	// The distributor escalates to the vendor's administrator, who pushes it with a reason.
	esc, err := f.B.Escalate(ctx, f.Dist, dasg.ID, "customer needs it today")
	must(t, err)
	if !esc.Escalated || esc.EscalatedBy != f.Dist.User || esc.EscalationNote != "customer needs it today" {
		t.Fatalf("escalated %+v", esc)
	}
	if got := ids(f.Admin); !reflect.DeepEqual(got, []uint64{dasg.ID}) {
		t.Fatalf("the administrator sees %v", got)
	}
	before := f.snapshot(t)
	_, err = f.B.Push(ctx, f.Admin, dasg.ID, "")
	f.refused(t, before, err, entitlement.ErrInvalid, "the administrator pushes without a reason")
	pushed, err := f.B.Push(ctx, f.Admin, dasg.ID, "escalated by the distributor")
	must(t, err)
	if pushed.ClosedBy != f.Admin.User || pushed.Reason != "escalated by the distributor" {
		t.Fatalf("pushed %+v", pushed)
	}
	// A second dealer reservation: the distributor cancels it; the units go back to the dealer.
	dloc2 := f.location(t, f.Dealer, dloc.Customer, "dealer's second", "SV8300", "18CYG-IPS-00000000BJ600242QA")
	f.activate(t, f.Dealer, f.DealerP, dloc2.ID, sv8300Licenses...)
	bin0, _ := f.B.Bin(ctx, f.Dealer)
	d2 := assign(dloc2.ID, f.Dealer)
	// Without the allowance the distributor no longer sees or cancels it.
	must(t, f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	if got := ids(f.Dist); got != nil {
		t.Fatalf("without the allowance the distributor sees %v", got)
	}
	before = f.snapshot(t)
	_, err = f.B.Cancel(ctx, f.Dist, d2.ID, "")
	f.refused(t, before, err, entitlement.ErrNotFound, "cancel without the allowance")
	must(t, f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, true))
	c, err := f.B.Cancel(ctx, f.Dist, d2.ID, "wrong location")
	must(t, err)
	if c.State != swa.AssignmentCancelled || c.ClosedBy != f.Dist.User {
		t.Fatalf("cancelled %+v", c)
	}
	if bin1, _ := f.B.Bin(ctx, f.Dealer); bin1.Available != bin0.Available {
		t.Fatalf("dealer's units %d, before the assignment %d", bin1.Available, bin0.Available)
	}
	f.conserved(t)
}

func TestGuide_SWA_ImpersonationIsAudited(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DealerP, "SO1", "PO1", 1000, date(2013, 12, 31))
	loc := f.location(t, f.Dealer, "", "dealer's SV8300", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dealer, f.DealerP, loc.ID, sv8300Licenses...)
	imp, err := f.L.Impersonate(ctx, f.Dist.User, f.Dealer.User)
	must(t, err)
	asg, err := f.B.Assign(ctx, imp, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	r := f.lastAudit(t)
	if asg.By != "IMP:ed@distx/dealer@y" || r.Op != "swa.assign" || r.User != f.Dist.User || r.As != f.Dealer.User || r.Partner != f.DealerP {
		t.Fatalf("assignment by %q, audit %+v", asg.By, r)
	}
}

func TestGuide_SWA_ProspectiveLocations(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 1, 10).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 5000, date(2013, 12, 31))
	c1, _ := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Test Customer Hendrikus"})
	c2, _ := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "NECAMTEST"})
	old := f.location(t, f.Dist, c1.ID, "activated in January", "SV8300", "18CYG-IPS-00000000BJ300641RC")
	f.activate(t, f.Dist, f.DistP, old.ID, sv8300Licenses...) // grace ends 2013-04-30
	f.C.Set(date(2013, 3, 26).Add(10 * time.Hour))
	a := f.location(t, f.Dist, c1.ID, "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, a.ID, sv8300Licenses...)
	b := f.location(t, f.Dist, c2.ID, "test2-sv8300", "SV8300", "18CYG-IPS-00000000BJ600242QA")
	f.activate(t, f.Dist, f.DistP, b.ID, sv8300Licenses...)
	pend := f.location(t, f.Dist, c2.ID, "pending", "SV8300", "18CYG-IPS-00000000BJ600243QA")
	f.activate(t, f.Dist, f.DistP, pend.ID, sv8300Licenses...)
	_, err := f.B.Assign(ctx, f.Dist, pend.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	f.location(t, f.Dist, c2.ID, "no licenses", "SV8300", "18CYG-IPS-00000000BJ600244QA")
	f.C.Set(date(2013, 5, 1).Add(10 * time.Hour)) // the January location's grace ended yesterday
	list, err := f.B.Prospective(ctx, f.Dist)
	must(t, err)
	var got []string
	for _, p := range list {
		got = append(got, p.CustomerName+"-"+p.Name)
		if !p.GraceEnd.Equal(date(2013, 6, 30)) || !p.FirstActivated.Equal(date(2013, 3, 26)) || !reflect.DeepEqual(p.Products, []string{"SV8300"}) {
			t.Fatalf("prospect %+v", p)
		}
	}
	if !reflect.DeepEqual(got, []string{"NECAMTEST-test2-sv8300", "Test Customer Hendrikus-SV8300 system"}) {
		t.Fatalf("prospective %v", got)
	}
	if other, err := f.B.Prospective(ctx, f.Other); err != nil || len(other) != 0 {
		t.Fatalf("another partner's prospective list: %v %v", other, err)
	}
}

func TestGuide_SWA_StatusStates(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 5000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	state := func() swa.State {
		st, err := f.B.Status(ctx, f.Dist, loc.ID)
		must(t, err)
		return st.State
	}
	steps := []swa.State{state()} // none: nothing activated
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	steps = append(steps, state()) // grace
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	steps = append(steps, state()) // pending
	f.C.Add(24 * time.Hour)
	steps = append(steps, state())                // active (settled by the read), in force from 2013-07-01
	f.C.Set(date(2014, 4, 1).Add(10 * time.Hour)) // 90 days before 2014-06-30
	steps = append(steps, state())                // renewable
	f.C.Set(date(2014, 7, 1).Add(10 * time.Hour))
	steps = append(steps, state()) // expired
	want := []swa.State{swa.StateNone, swa.StateGrace, swa.StatePending, swa.StateActive, swa.StateRenewable, swa.StateExpired}
	if !reflect.DeepEqual(steps, want) {
		t.Fatalf("states %v, want %v (assignment %d)", steps, want, asg.ID)
	}
	if s := swa.State(99).String(); s != "State(99)" {
		t.Fatal(s)
	}
}

func TestGuide_SWA_ExpiryEventsForTheScheduler(t *testing.T) {
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	f.events()
	settle := func(a entitlement.Actor) swa.SettleReport {
		rep, err := f.B.Settle(ctx, a)
		must(t, err)
		return rep
	}
	f.C.Set(date(2014, 3, 31).Add(10 * time.Hour))
	if rep := settle(f.Admin); rep.Expiring != 0 {
		t.Fatalf("a day before the renewal window: %+v", rep)
	}
	f.C.Set(date(2014, 4, 2).Add(10 * time.Hour))
	if rep := settle(f.Dist); rep.Expiring != 0 { // a partner's settle raises no expiry events
		t.Fatalf("partner settle %+v", rep)
	}
	if rep := settle(f.Admin); rep.Expiring != 1 || rep.Expired != 0 {
		t.Fatalf("in the window: %+v", rep)
	}
	if rep := settle(f.Admin); rep.Expiring != 0 {
		t.Fatalf("raised twice: %+v", rep)
	}
	f.C.Set(date(2014, 7, 1).Add(10 * time.Hour))
	if rep := settle(f.Admin); rep.Expired != 1 {
		t.Fatalf("after the expiry: %+v", rep)
	}
	var kinds []entitlement.EventKind
	for _, e := range f.events() {
		kinds = append(kinds, e.Kind)
		if !e.Due.Equal(date(2014, 6, 30)) || e.Location != loc.ID || !strings.HasSuffix(e.Ref, "-N") {
			t.Fatalf("event %+v", e)
		}
	}
	if !reflect.DeepEqual(kinds, []entitlement.EventKind{swa.EventExpiring, swa.EventExpired}) {
		t.Fatalf("events %v", kinds)
	}
	// A renewal in time moves the warning: the old expiry raises nothing.
	g, l2 := sv8300(t)
	a2, err := g.B.Assign(ctx, g.Dist, l2.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = g.B.Push(ctx, g.Dist, a2.ID, "now")
	must(t, err)
	g.C.Set(date(2014, 3, 1).Add(10 * time.Hour))
	g.units(t, g.DistP, "SO-2014", "PO-2014", 1000, date(2015, 12, 31))
	_, err = g.B.Renew(ctx, g.Dist, swa.RenewalRequest{Locations: []string{l2.ID}, AuthorizeUnits: true})
	must(t, err)
	g.events()
	g.C.Set(date(2014, 7, 1).Add(10 * time.Hour))
	if rep, err := g.B.Settle(ctx, g.Admin); err != nil || rep.Expiring != 0 || rep.Expired != 0 {
		t.Fatalf("after a renewal: %+v %v", rep, err)
	}
}

func TestGuide_SWA_OneStepActivationAndAssignment(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 300, date(2013, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.attach(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	// Too few units for 24 months: nothing is activated either.
	before := f.snapshot(t)
	_, err := f.B.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true},
		&swa.AssignRequest{Choices: []swa.Choice{{Months: 24}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrQuantity, "one step with too few units")
	head, _, _ := f.L.AuditHead(ctx)
	act, err := f.B.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true},
		&swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, Reference: "PO 4711", AuthorizeUnits: true})
	must(t, err)
	if act.File.Serial != 1 || act.Assignment == nil || act.Assignment.Units != 264 || act.Quote == nil || act.Quote.Products[0].State != swa.StatePending {
		t.Fatalf("one step %+v", act)
	}
	if h, _, _ := f.L.AuditHead(ctx); h != head+1 {
		t.Fatalf("one step is %d audit records", h-head)
	}
	if r := f.lastAudit(t); r.Op != "swa.activate" || len(r.Changes) != 2 {
		t.Fatalf("audit %+v", r)
	}
	v, err := f.L.Location(ctx, f.Dist, loc.ID)
	must(t, err)
	if len(v.Activated) != 2 || len(v.Attached) != 0 {
		t.Fatalf("location %+v", v)
	}
	// A user without an SWA role activates the plain way: no quote, no offers.
	g := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	l2 := g.location(t, g.Plain, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	g.attach(t, g.Plain, g.DistP, l2.ID, sv8300Licenses...)
	act, err = g.B.Activate(ctx, g.Plain, l2.ID, entitlement.Activation{AcceptAgreement: true}, nil)
	must(t, err)
	if act.File.Serial != 1 || act.Quote != nil || act.FreeOfCharge != nil {
		t.Fatalf("without an SWA role %+v", act)
	}
	f.conserved(t)
}

func TestGuide_SWA_MigrationCarriesAgreementAndGrace(t *testing.T) {
	lines := []entitlement.OrderLine{{Part: "BE114044", Qty: 1}, {Part: "BE114063", Qty: 8}}
	// In grace: the migrated location keeps its grace and its grace agreement.
	f := newFx(t, fxOpt{start: date(2016, 8, 23).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 2000, date(2018, 12, 31))
	loc := f.location(t, f.Dist, "", "SV9100-4", "SV9100 CP10", "341006761783")
	f.activate(t, f.Dist, f.DistP, loc.ID, lines...)
	st0, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	f.C.Set(date(2016, 10, 3).Add(10 * time.Hour))
	_, err = systems.MigrateSV9100(ctx, f.L, f.Dist, loc.ID, "4410011575A6")
	must(t, err)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	p0, p := st0.Products[0], st.Products[0]
	if st.State != swa.StateGrace || st.System != "SV9100 CP20" || st.HWKC != "4410011575A6" || p.Agreement != p0.Agreement ||
		!p.GraceEnd.Equal(date(2016, 11, 30)) || !p.GraceStart.Equal(date(2016, 8, 23)) || len(st.Migrations) != 1 ||
		!strings.HasPrefix(st.Migrations[0].Order, "MIGSU_20161003") || st.Migrations[0].Lines != 2 {
		t.Fatalf("after the migration in grace: %+v (before %+v)", st, st0)
	}
	// The quote still starts when the original grace ends.
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	if !q.Products[0].Start.Equal(date(2016, 12, 1)) {
		t.Fatalf("quote after the migration starts %s", q.Products[0].Start)
	}
	// With an agreement: the migrated location keeps its number and expiry, and renews.
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	if st, err = f.B.Status(ctx, f.Dist, loc.ID); err != nil || st.State != swa.StateActive || !st.Products[0].Start.Equal(date(2016, 12, 1)) {
		t.Fatalf("assigned after the migration: %+v %v", st, err)
	}
	g := newFx(t, fxOpt{start: date(2016, 8, 23).Add(10 * time.Hour)})
	g.units(t, g.DistP, "SO1", "PO1", 2000, date(2018, 12, 31))
	l2 := g.location(t, g.Dist, "", "SV9100-5", "SV9100 CP10", "341006761784")
	g.activate(t, g.Dist, g.DistP, l2.ID, lines...)
	a2, err := g.B.Assign(ctx, g.Dist, l2.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	p2, err := g.B.Push(ctx, g.Dist, a2.ID, "now")
	must(t, err)
	g.C.Set(date(2017, 2, 1).Add(10 * time.Hour))
	_, err = systems.MigrateSV9100(ctx, g.L, g.Dist, l2.ID, "4410011575A7")
	must(t, err)
	st2, err := g.B.Status(ctx, g.Dist, l2.ID)
	must(t, err)
	if st2.State != swa.StateActive || st2.Products[0].Agreement != p2.Items[0].Agreement || !st2.Products[0].Expires.Equal(date(2017, 11, 30)) {
		t.Fatalf("after the migration with SWA: %+v", st2)
	}
	rq, err := g.B.RenewalQuote(ctx, g.Dist, swa.RenewalRequest{Locations: []string{l2.ID}})
	must(t, err)
	if ln := rq.Lines[0]; ln.Failed != "" || !ln.Start.Equal(date(2017, 12, 1)) || ln.Agreement != p2.Items[0].Agreement {
		t.Fatalf("renewal after the migration: %+v", ln)
	}
	if _, err := g.B.FreeOfCharge(ctx, g.Dist, l2.ID); err != nil { // SWA in force: allowed (SV9100 has no upgrade part)
		t.Fatal(err)
	}
	f.conserved(t)
	g.conserved(t)
}

func TestGuide_SWA_HardwareReplacementKeepsTheAgreement(t *testing.T) {
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	p, err := f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	_, err = systems.ReplaceHardware(ctx, f.L, f.Admin, loc.ID, "18CYG-IPS-00000000BJ300642RC")
	must(t, err)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.HWKC != "18CYG-IPS-00000000BJ300642RC" || st.State != swa.StateActive || st.Products[0].Agreement != p.Items[0].Agreement ||
		!st.Products[0].Expires.Equal(date(2014, 6, 30)) || len(st.Migrations) != 0 {
		t.Fatalf("after the replacement: %+v", st)
	}
	offers, err := f.B.FreeOfCharge(ctx, f.Dist, loc.ID)
	if err != nil || len(offers) != 1 {
		t.Fatalf("free of charge after the replacement: %v %v", offers, err)
	}
}
