package swa_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

var agreementRE = regexp.MustCompile(`^50[0-9A-Z]{2}0-[A-Z]{4}[0-9]{5}-(W|N|R[0-9]{2})$`)

func TestGuide_SWA_GraceEnd(t *testing.T) {
	for _, c := range []struct {
		first, want time.Time
		why         string
	}{
		{date(2014, 12, 15), date(2015, 3, 31), "the guide's iS3000/SIP@Net example: activated 15-12-2014, grace until 31-03-2015"},
		{date(2013, 3, 26), date(2013, 6, 30), "the guide's SV8300 example: 12 months from grace end expire 06/30/2014"},
		{date(2014, 2, 21), date(2014, 5, 31), "the guide's BCT example in grace: 50BC0-GQEN95596-W expires 05/31/2014"},
		{date(2013, 11, 30), date(2014, 2, 28), "the third month is shorter than the first"},
		{date(2015, 11, 1), date(2016, 2, 29), "a leap year's February"},
		{time.Date(2014, 12, 15, 23, 59, 59, 0, time.UTC), date(2015, 3, 31), "the time of day does not count"},
	} {
		if got := swa.GraceEnd(c.first); !got.Equal(c.want) {
			t.Errorf("GraceEnd(%s) = %s, want %s (%s)", c.first.Format(time.RFC3339), got.Format("2006-01-02"), c.want.Format("2006-01-02"), c.why)
		}
	}
}

func TestGuide_SWA_ReinstatementUnits(t *testing.T) {
	for _, c := range []struct{ rate12, months, want int }{
		{66, 3, 17}, // the guide: "Reinstatement Fees are applicable: Months 3, SWA Units 17"
		{66, 1, 6}, {66, 12, 66}, {264, 2, 44}, {59, 5, 25}, {66, 0, 0}, {0, 3, 0}, {-1, 3, 0},
	} {
		if got := swa.ReinstatementUnits(c.rate12, c.months); got != c.want {
			t.Errorf("ReinstatementUnits(%d, %d) = %d, want %d", c.rate12, c.months, got, c.want)
		}
	}
}

// sv8300 is the guide's "Test Customer Hendrikus - SV8300 system", activated on March 26, 2013 with
// the guide's bin.
func sv8300(t *testing.T) (*fx, entitlement.Location) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	guideBin(t, f)
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Test Customer Hendrikus"})
	must(t, err)
	loc := f.location(t, f.Dist, c.ID, "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	return f, loc
}

func TestGuide_SWA_QuoteFromProductTerms(t *testing.T) {
	f, loc := sv8300(t)
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	start := date(2013, 7, 1)
	want := swa.Quote{Location: loc.ID, Customer: loc.Customer, Name: "SV8300 system", HWKC: loc.HWKC, At: f.C.Now(), Available: 5985,
		Products: []swa.ProductQuote{{Product: "SV8300", Application: "SV 8300", State: swa.StateGrace, Start: start, Options: []swa.Option{
			{Months: 12, Units: 264, End: date(2014, 6, 30), Total: 264},
			{Months: 24, Units: 513, End: date(2015, 6, 30), Total: 513},
			{Months: 36, Units: 753, End: date(2016, 6, 30), Total: 753},
			{}, // 0 Activate SWA later
		}}}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Fatalf("quote (-want +got):\n%s", diff)
	}
}

func TestGuide_SWA_AssignInGraceStartsWhenGraceEnds(t *testing.T) {
	f, loc := sv8300(t)
	f.events()
	// Assign 264 units for 12 months, with a reference, authorising the draw from the bin.
	before := f.snapshot(t)
	_, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, Reference: "hvo26032013"})
	f.refused(t, before, err, swa.ErrUnauthorized, "without the checkbox")
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, Reference: "hvo26032013", AuthorizeUnits: true})
	must(t, err)
	if asg.State != swa.AssignmentPending || asg.Units != 264 || !asg.Due.Equal(f.C.Now().Add(24*time.Hour)) {
		t.Fatalf("assignment %+v", asg)
	}
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StatePending || st.TimeLeft != 24*time.Hour || st.Pending.ID != asg.ID {
		t.Fatalf("status %+v", st)
	}
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Available != 5721 { // the guide's "Available: 5721"
		t.Fatalf("available %d after 264 units, want 5721", bin.Available)
	}
	// "Process Immediately" needs a reason.
	before = f.snapshot(t)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, " ")
	f.refused(t, before, err, entitlement.ErrInvalid, "push without a reason")
	pushed, err := f.B.Push(ctx, f.Dist, asg.ID, "Need to activate SWA Immediately")
	must(t, err)
	if pushed.State != swa.AssignmentActive || !pushed.Pushed || pushed.Reason != "Need to activate SWA Immediately" {
		t.Fatalf("pushed %+v", pushed)
	}
	if r := f.lastAudit(t); r.Op != "swa.push" || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "Need to activate SWA Immediately") }) {
		t.Fatalf("the push's reason is not recorded: %+v", r)
	}
	st, err = f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	p := st.Products[0]
	if st.State != swa.StateActive || p.State != swa.StateActive || !strings.HasPrefix(p.Agreement, "50180-") || !strings.HasSuffix(p.Agreement, "-N") ||
		!agreementRE.MatchString(p.Agreement) || p.Expires.Format("01/02/2006") != "06/30/2014" || !p.Start.Equal(date(2013, 7, 1)) {
		t.Fatalf("active status %+v", p)
	}
	if p.Agreement != pushed.Items[0].Agreement {
		t.Fatalf("agreement %s, assignment says %s", p.Agreement, pushed.Items[0].Agreement)
	}
	// A pushed assignment cannot be cancelled.
	before = f.snapshot(t)
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "")
	f.refused(t, before, err, entitlement.ErrState, "cancel after a push")
	var kinds []entitlement.EventKind
	for _, e := range f.events() {
		kinds = append(kinds, e.Kind)
		if e.Kind == swa.EventActivated && (e.Ref != p.Agreement || !e.Due.Equal(date(2014, 6, 30)) || e.HWKC != loc.HWKC) {
			t.Fatalf("activation event %+v", e)
		}
	}
	if !reflect.DeepEqual(kinds, []entitlement.EventKind{swa.EventAssigned, swa.EventActivated}) {
		t.Fatalf("events %v", kinds)
	}
	f.conserved(t)
}

func TestGuide_SWA_CoolingOffSettlesOnTheNextRead(t *testing.T) {
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	f.C.Add(time.Minute)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StatePending || st.TimeLeft != 23*time.Hour+59*time.Minute { // "Time left … (hh:mm): 23:59"
		t.Fatalf("status %+v", st)
	}
	f.C.Add(24*time.Hour - time.Minute - time.Second)
	if st, _ = f.B.Status(ctx, f.Dist, loc.ID); st.State != swa.StatePending {
		t.Fatalf("a second before the end: %v", st.State)
	}
	head, _, _ := f.L.AuditHead(ctx)
	f.events()
	f.C.Add(time.Second)
	// The next read finds it due and records it, audited; no goroutine, no scheduler.
	st, err = f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateActive || st.Pending != nil || !strings.HasSuffix(st.Products[0].Agreement, "-N") ||
		!st.Products[0].Expires.Equal(date(2014, 6, 30)) {
		t.Fatalf("after 24 hours: %+v", st)
	}
	if h, _, _ := f.L.AuditHead(ctx); h != head+1 {
		t.Fatalf("the settlement is %d audit records", h-head)
	}
	if r := f.lastAudit(t); r.Op != "swa.status" || !slices.Contains(r.Refs, "agreement:"+st.Products[0].Agreement) {
		t.Fatalf("audit %+v", r)
	}
	if ev := f.events(); len(ev) != 1 || ev[0].Kind != swa.EventActivated {
		t.Fatalf("events %+v", ev)
	}
	// Settled: it can no longer be cancelled.
	before := f.snapshot(t)
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "")
	f.refused(t, before, err, entitlement.ErrState, "cancel after the cooling-off")
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Allocated != 0 || bin.Available != 5721 {
		t.Fatalf("bin %d/%d/%d", bin.UnAllocated, bin.Allocated, bin.Available)
	}
	f.conserved(t)
}

func TestGuide_SWA_CancelDueButUnsettledIsRefused(t *testing.T) {
	f, loc := sv8300(t)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	f.C.Add(24 * time.Hour) // due; nothing has read it yet
	before := f.snapshot(t)
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "too late")
	f.refused(t, before, err, entitlement.ErrState, "cancel when the cooling-off ended")
	rep, err := f.B.Settle(ctx, f.Admin) // the scheduler's call
	must(t, err)
	if len(rep.Activated) != 1 || !agreementRE.MatchString(rep.Activated[0]) {
		t.Fatalf("settle %+v", rep)
	}
	f.conserved(t)
}

func TestGuide_SWA_CancelReturnsEveryUnitToItsShipment(t *testing.T) {
	f, loc := sv8300(t)
	before, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 36}}, AuthorizeUnits: true})
	must(t, err)
	if asg.Units != 753 || len(asg.Draws) != 6 {
		t.Fatalf("assignment %+v", asg)
	}
	f.C.Add(23 * time.Hour)
	c, err := f.B.Cancel(ctx, f.Dist, asg.ID, "wrong term")
	must(t, err)
	if c.State != swa.AssignmentCancelled {
		t.Fatalf("cancelled %+v", c)
	}
	after, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Fatalf("bin after the cancel (-before +after):\n%s", diff)
	}
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateGrace || !strings.HasSuffix(st.Products[0].Agreement, "-W") {
		t.Fatalf("status after the cancel %+v", st)
	}
	f.conserved(t)
}

func TestGuide_SWA_CancelledUnitsFollowTheirShipmentsExpiry(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 5, 17).Add(10 * time.Hour)})
	old := f.units(t, f.DistP, "SO-old", "PO-old", 100, date(2013, 5, 18)) // expires tomorrow
	f.units(t, f.DistP, "SO-new", "PO-new", 500, date(2013, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	if asg.Draws[0].Shipment != old.ID || asg.Draws[0].Qty != 100 || asg.Draws[1].Qty != 164 {
		t.Fatalf("draws %+v", asg.Draws)
	}
	f.C.Add(20 * time.Hour) // the old shipment expired meanwhile
	_, err = f.B.Cancel(ctx, f.Dist, asg.ID, "")
	must(t, err)
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Available != 500 || len(bin.Shipments) != 1 {
		t.Fatalf("the expired shipment's units came back as available: %+v", bin)
	}
	f.conserved(t)
}

func TestGuide_SWA_UnitsShortRefusesTheAssignment(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 263, date(2013, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	before := f.snapshot(t)
	_, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrQuantity, "264 units with 263 in the bin")
	if !strings.Contains(err.Error(), "264 SWA units required, 263 available") {
		t.Fatalf("message %q", err)
	}
	for name, req := range map[string]swa.AssignRequest{
		"a term the quote does not offer": {Choices: []swa.Choice{{Months: 18}}, AuthorizeUnits: true},
		"activate later only":             {Choices: []swa.Choice{{Months: 0}}, AuthorizeUnits: true},
		"an unknown product":              {Choices: []swa.Choice{{Product: "iS3000", Months: 12}}, AuthorizeUnits: true},
		"an end date without the choice":  {Choices: []swa.Choice{{End: date(2014, 3, 31)}}, AuthorizeUnits: true},
		"a control character":             {Choices: []swa.Choice{{Months: 12}}, Reference: "a\x00b", AuthorizeUnits: true},
	} {
		_, err := f.B.Assign(ctx, f.Dist, loc.ID, req)
		f.refused(t, before, err, entitlement.ErrInvalid, name)
	}
	// Another partner's location does not exist for it; the administrator may not spend units.
	_, err = f.B.Assign(ctx, f.Other, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrNotFound, "another partner")
}

func TestGuide_SWA_ReinstatementAfterGrace(t *testing.T) {
	// The guide's SIP@Net Server: Lic 081 activated 15-12-2014, grace until 31-03-2015; on June 30,
	// 2015 the quote is 304 units for 60 months + 17 reinstatement units, 321 in all.
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO-8967", "PO-8967", 8967, date(2016, 12, 31))
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Ed Austria"})
	must(t, err)
	loc := f.location(t, f.Dist, c.ID, "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if p := st.Products[0]; st.State != swa.StateGrace || !p.GraceEnd.Equal(date(2015, 3, 31)) || !strings.HasPrefix(p.Agreement, "50IS0-") ||
		!strings.HasSuffix(p.Agreement, "-W") || !p.Expires.Equal(date(2015, 3, 31)) {
		t.Fatalf("in grace: %+v", st)
	}
	f.C.Set(date(2015, 6, 30).Add(10 * time.Hour))
	st, err = f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	grace := st.Products[0]
	if st.State != swa.StateExpired || !strings.HasSuffix(grace.Agreement, "-W") || len(grace.History) != 1 ||
		grace.History[0].Kind != swa.PeriodGrace || !grace.History[0].Start.Equal(date(2014, 12, 15)) || !grace.History[0].End.Equal(date(2015, 3, 31)) {
		t.Fatalf("past grace: %+v", st)
	}
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	pq := q.Products[0]
	var units, totals []int64
	for _, o := range pq.Options {
		units, totals = append(units, o.Units), append(totals, o.Total)
	}
	if q.Available != 8967 || pq.Application != "SIP@Net" || !reflect.DeepEqual(units, []int64{66, 129, 189, 251, 304, 0}) ||
		pq.Reinstatement != (swa.Reinstatement{Months: 3, Units: 17, Since: date(2015, 4, 1)}) || totals[4] != 321 || pq.EndDateChoice {
		t.Fatalf("quote %+v", q)
	}
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 60}}, AuthorizeUnits: true})
	must(t, err)
	it := asg.Items[0]
	// A reinstated agreement starts on the day it is assigned.
	if asg.Units != 321 || it.Units != 304 || it.Reinstatement != 17 || it.ReinstatementMonths != 3 || !it.Start.Equal(date(2015, 6, 30)) || !it.End.Equal(date(2020, 6, 29)) {
		t.Fatalf("assignment %+v", asg)
	}
	pushed, err := f.B.Push(ctx, f.Dist, asg.ID, "customer asked")
	must(t, err)
	st, err = f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	p := st.Products[0]
	// The grace agreement's number becomes the agreement: W → N.
	if p.Agreement != strings.TrimSuffix(grace.Agreement, "W")+"N" || p.Agreement != pushed.Items[0].Agreement || len(p.History) != 2 ||
		p.History[1].Kind != swa.PeriodNew || p.History[1].Units != 321 {
		t.Fatalf("agreement %+v (grace %s)", p, grace.Agreement)
	}
	bin, _ := f.B.Bin(ctx, f.Dist)
	if bin.Available != 8967-321 {
		t.Fatalf("available %d", bin.Available)
	}
	f.conserved(t)
}

func TestGuide_SWA_LapsedMonthsCountEveryMonthBegun(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 1000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	for _, c := range []struct {
		at     time.Time
		months int
		units  int64
	}{
		{date(2015, 3, 31), 0, 0},  // the last day of grace
		{date(2015, 4, 1), 1, 6},   // the first day after: a month begun
		{date(2015, 5, 31), 2, 11}, // 66 × 2 / 12 = 11
		{date(2015, 6, 1), 3, 17},
		{date(2015, 6, 30), 3, 17}, // the guide's quote
		{date(2015, 7, 1), 4, 22},
	} {
		f.C.Set(c.at.Add(12 * time.Hour))
		q, err := f.B.Quote(ctx, f.Dist, loc.ID)
		must(t, err)
		if r := q.Products[0].Reinstatement; r.Months != c.months || r.Units != c.units {
			t.Errorf("on %s: reinstatement %+v, want %d months, %d units", c.at.Format("2006-01-02"), r, c.months, c.units)
		}
	}
}

func TestGuide_SWA_EndDateChoiceBefore2013_06_01(t *testing.T) {
	// "This system was activated before June 1, 2013. You can specify an end date for SWA. Minimum
	// is 3 months - maximum is determined by product. A reenlisting fee is applicable but is at
	// this moment waived out." (March 14, 2014; 59/115/168 units for 12/24/36 months; 989 available).
	f := newFx(t, fxOpt{start: date(2013, 5, 31).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO-989", "PO-989", 989, date(2014, 12, 31))
	loc := f.location(t, f.Dist, "", "TEST System PBX Network", "iS3000", "aa0014SA2792907248AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	f.C.Set(date(2014, 3, 14).Add(10 * time.Hour))
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	pq := q.Products[0]
	var units []int64
	for _, o := range pq.Options {
		units = append(units, o.Units)
		if o.Months > 0 && o.Total != o.Units {
			t.Fatalf("the waived fee was charged: %+v", o)
		}
	}
	today := date(2014, 3, 14)
	if q.Available != 989 || !reflect.DeepEqual(units, []int64{59, 115, 168, 0}) || !pq.EndDateChoice || !pq.Reinstatement.Waived ||
		pq.Reinstatement.Months != 7 || !pq.Start.Equal(today) || !pq.MinEnd.Equal(date(2014, 6, 13)) || !pq.MaxEnd.Equal(date(2017, 3, 13)) {
		t.Fatalf("quote %+v", pq)
	}
	before := f.snapshot(t)
	_, err = f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{End: date(2014, 6, 12)}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrInvalid, "an end date under 3 months")
	_, err = f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{End: date(2017, 3, 14)}}, AuthorizeUnits: true})
	f.refused(t, before, err, entitlement.ErrInvalid, "an end date past the product's maximum")
	// An end date of the customer's choosing: 2014-12-31, 10 months begun: ceil(59 × 10 / 12) = 50.
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{End: date(2014, 12, 31)}}, AuthorizeUnits: true})
	must(t, err)
	if it := asg.Items[0]; it.Months != 10 || it.Units != 50 || it.Reinstatement != 0 || asg.Units != 50 || !it.End.Equal(date(2014, 12, 31)) {
		t.Fatalf("assignment %+v", asg)
	}
	f.conserved(t)
}

func TestGuide_SWA_MissingTermsTableIsAnError(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour), terms: swa.DefaultTerms()})
	f.units(t, f.DistP, "SO1", "PO1", 1000, date(2013, 12, 31))
	loc := f.location(t, f.Dist, "", "SV8100 system", "SV8100", "191000343919")
	f.activate(t, f.Dist, f.DistP, loc.ID, entitlement.OrderLine{Part: "BE107573", Qty: 1})
	before := f.snapshot(t)
	_, err := f.B.Quote(ctx, f.Dist, loc.ID)
	if !errors.Is(err, swa.ErrNoTerms) || !strings.Contains(err.Error(), "part BE107573 on system SV8100") {
		t.Fatalf("quote without terms: %v", err)
	}
	_, err = f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	f.refused(t, before, err, swa.ErrNoTerms, "assign without terms")
	// A product whose only table is for systems activated before a date: none for a later one.
	terms, err := swa.ParseTerms(strings.NewReader(`{"version":1,"products":[{"product":"iS3000","application":"SIP@Net","code":"IS",
		"systems":["iS3000"],"tables":[{"activated_before":"2013-06-01","terms":[{"months":12,"units":59}]}]}]}`))
	must(t, err)
	g := newFx(t, fxOpt{start: date(2014, 3, 26).Add(10 * time.Hour), terms: terms})
	l2 := g.location(t, g.Dist, "", "SIP@Net", "iS3000", "aa0014SA2792654321AA")
	g.activate(t, g.Dist, g.DistP, l2.ID, sipNetLicenses...)
	if _, err := g.B.Quote(ctx, g.Dist, l2.ID); !errors.Is(err, swa.ErrNoTerms) || !strings.Contains(err.Error(), "first activated on 2014-03-26") {
		t.Fatalf("quote without a table for the date: %v", err)
	}
	// A location without an activated SWA-eligible license has nothing to quote.
	l3 := g.location(t, g.Dist, "", "empty", "iS3000", "aa0014SA2792907248AA")
	if _, err := g.B.Quote(ctx, g.Dist, l3.ID); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("quote of a location without licenses: %v", err)
	}
}

func TestGuide_SWA_AgreementNumbers(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 100000, date(2016, 12, 31))
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Numbers"})
	must(t, err)
	seen := map[string]bool{}
	for i := range 40 {
		loc := f.location(t, f.Dist, c.ID, "SIP@Net", "iS3000", fmt.Sprintf("aa0014SA27929%05dAA", i))
		f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
		st, err := f.B.Status(ctx, f.Dist, loc.ID)
		must(t, err)
		w := st.Products[0].Agreement
		asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
		must(t, err)
		p, err := f.B.Push(ctx, f.Dist, asg.ID, "numbers test")
		must(t, err)
		n := p.Items[0].Agreement
		for _, a := range []string{w, n} {
			if !agreementRE.MatchString(a) || !strings.HasPrefix(a, "50IS0-") || seen[a] {
				t.Fatalf("agreement number %q (format or repeat)", a)
			}
			seen[a] = true
		}
		if strings.TrimSuffix(w, "-W") != strings.TrimSuffix(n, "-N") {
			t.Fatalf("grace %s and agreement %s differ in base", w, n)
		}
	}
}

// TestGuide_SWA_AgreementNumbersNeverRepeat: a drawn number whose base was issued before is drawn
// again. Two ledgers with the same seeded randomness draw the same first number; in the second,
// that base is recorded as issued beforehand, so the book must draw another.
func TestGuide_SWA_AgreementNumbersNeverRepeat(t *testing.T) {
	first := func(preIssued string) string {
		f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour), seed: 3})
		if preIssued != "" {
			type numRec struct {
				Location string `cbor:"1,keyasint"`
				Product  string `cbor:"2,keyasint"`
			}
			must(t, f.L.Update(ctx, f.Admin, "test.issue-number", func(x *entitlement.Op) error {
				return x.Put("swa.num", preIssued, numRec{Location: "elsewhere", Product: "iS3000"})
			}))
		}
		loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
		f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
		st, err := f.B.Status(ctx, f.Dist, loc.ID)
		must(t, err)
		return strings.TrimSuffix(st.Products[0].Agreement, "-W")
	}
	a := first("")
	if b := first(a); b == a || !agreementRE.MatchString(b+"-W") {
		t.Fatalf("the base %s was issued twice", a)
	}
}
