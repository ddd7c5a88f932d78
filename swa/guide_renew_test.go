package swa_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// renewalCustomer builds the guide's "Renewal Customer, 321665" of July 2014: seven locations
// whose agreements started on 2012-06-01 (activated 2012-02-10, assigned in grace), all renewed once
// to 2016-05-31 except 3C, renewed twice to 2017-06-30 (its failed quote names 503C0-…-R02 and
// SWAStartDate=2017-7-1). The clock ends on July 16, 2014 with 6415 units available.
func renewalCustomer(t *testing.T) (*fx, map[string]entitlement.Location) {
	f := newFx(t, fxOpt{start: date(2012, 2, 10).Add(9 * time.Hour), terms: testTerms(t, 44)})
	f.units(t, f.DistP, "SO-bulk", "PO-bulk", 20000, date(2016, 12, 31))
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Renewal Customer", Reference: "321665"})
	must(t, err)
	locs := map[string]entitlement.Location{}
	for _, l := range []struct {
		name, system, hwkc string
		lines              []entitlement.OrderLine
	}{
		{"uMobility 1", "uMobility", "53A4AA19110F", []entitlement.OrderLine{{Part: "T-UMOB-1", Qty: 10}}},
		{"RCC 1", "RCC", "aa0014SA2792654189AA", []entitlement.OrderLine{{Part: "T-RCC-1", Qty: 1}}},
		{"3C 1", "3C", "3C342CB25F2C", []entitlement.OrderLine{{Part: "T-3C-1", Qty: 1}}},
		{"BCT1", "BCT", "aa0014SA2792165335AA", []entitlement.OrderLine{{Part: "960026172000", Qty: 2}, {Part: "960026489000", Qty: 10}}},
		{"UM4730 1", "UM4730", "7654765347654", []entitlement.OrderLine{{Part: "T-UM4730-1", Qty: 1}}},
		{"DECT 1", "IP DECT", "1FF0022F", []entitlement.OrderLine{{Part: "EU917062", Qty: 4}}},
		{"iS3000 1", "iS3000", "aa0014SA2792978543AA", sipNetLicenses},
	} {
		loc := f.location(t, f.Dist, c.ID, l.name, l.system, l.hwkc)
		f.activate(t, f.Dist, f.DistP, loc.ID, l.lines...)
		asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
		must(t, err)
		_, err = f.B.Push(ctx, f.Dist, asg.ID, "set up the guide's renewal customer")
		must(t, err)
		locs[l.name] = loc
	}
	var all []string
	for name, loc := range locs {
		if name != "3C 1" {
			all = append(all, loc.ID)
		}
	}
	f.C.Set(date(2013, 5, 15).Add(9 * time.Hour))
	_, err = f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: all, End: date(2016, 5, 1), AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{locs["3C 1"].ID}, End: date(2014, 6, 1), AuthorizeUnits: true})
	must(t, err)
	f.C.Set(date(2014, 6, 15).Add(9 * time.Hour))
	_, err = f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{locs["3C 1"].ID}, End: date(2017, 6, 1), AuthorizeUnits: true})
	must(t, err)
	f.C.Set(date(2014, 7, 16).Add(9 * time.Hour))
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Available < 6415 {
		t.Fatalf("set-up used too many units: %d left", bin.Available)
	}
	// Reship the surplus to the dealer, so the distributor holds the guide's 6415.
	_, err = f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: "surplus", SO: "surplus",
		Picks: []swa.UnitPick{{Shipment: bin.Shipments[0].ID, Qty: bin.Available - 6415}}})
	must(t, err)
	f.events()
	return f, locs
}

func linesByName(q swa.RenewalQuote) map[string]swa.RenewalLine {
	m := map[string]swa.RenewalLine{}
	for _, ln := range q.Lines {
		m[ln.Name] = ln
	}
	return m
}

func TestGuide_SWA_RenewalDefaultQuoteCoTermsAll(t *testing.T) {
	f, locs := renewalCustomer(t)
	q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Customer: locs["DECT 1"].Customer})
	must(t, err)
	// "There are 6415 token currently available for use": uMobility 44, RCC 117, 3C 44, BCT 243,
	// UM4730 205, DECT 469, iS3000 44, each for the default 12 months.
	got := map[string]int64{}
	for name, ln := range linesByName(q) {
		if ln.Failed != "" || ln.Months != 12 {
			t.Fatalf("line %s: %+v", name, ln)
		}
		got[name] = ln.Units
	}
	want := map[string]int64{"uMobility 1": 44, "RCC 1": 117, "3C 1": 44, "BCT1": 243, "UM4730 1": 205, "DECT 1": 469, "iS3000 1": 44}
	if !reflect.DeepEqual(got, want) || q.Units != 1166 || q.Available != 6415 || q.Failed != "" || !q.Start.Equal(date(2014, 7, 16)) {
		t.Fatalf("quote %v total %d available %d failed %q", got, q.Units, q.Available, q.Failed)
	}
	// The screen's "A total of 1078 SWA Units" is not the sum of its seven lines (1166): it is the
	// total without two of the 44-unit lines, as when those locations are deselected.
	var five []string
	for name, loc := range locs {
		if name != "uMobility 1" && name != "iS3000 1" {
			five = append(five, loc.ID)
		}
	}
	q5, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: five})
	must(t, err)
	if q5.Units != 1078 || len(q5.Lines) != 5 || q5.Failed != "" {
		t.Fatalf("five locations: total %d, %d lines, failed %q", q5.Units, len(q5.Lines), q5.Failed)
	}
	ln := linesByName(q)
	if d := ln["DECT 1"]; !d.Start.Equal(date(2016, 6, 1)) || !d.End.Equal(date(2017, 5, 31)) || !strings.HasSuffix(d.Agreement, "-R01") {
		t.Fatalf("DECT line %+v", d)
	}
}

func TestGuide_SWA_RenewalQuoteFailsWithTheGuidesReason(t *testing.T) {
	f, locs := renewalCustomer(t)
	q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Customer: locs["DECT 1"].Customer, End: date(2017, 5, 1)})
	must(t, err)
	ln := linesByName(q)
	c := ln["3C 1"]
	if c.Failed != swa.ReasonEndBeforeStart || !strings.HasPrefix(c.FailedDetail, "Quote Failed: DesiredEndMonth=2017/05, SWAStartDate=2017-7-1 0:0:0, AppID=3C, SystemSerialCode=3C342CB25F2C, AgreementNumber=503C0-") ||
		!strings.HasSuffix(c.FailedDetail, "-R02") || c.Total() != 0 {
		t.Fatalf("3C line %+v", c)
	}
	if d := ln["DECT 1"]; d.Failed != "" || d.Months != 12 || d.Units != 469 || !d.End.Equal(date(2017, 5, 31)) {
		t.Fatalf("DECT line %+v", d)
	}
	if q.Units != 1166-44 || q.Failed != "" {
		t.Fatalf("total %d failed %q", q.Units, q.Failed)
	}
	// Renewing every location with the failed one selected is refused; nothing changes.
	before := f.snapshot(t)
	_, err = f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Customer: locs["DECT 1"].Customer, End: date(2017, 5, 1), AuthorizeUnits: true})
	f.refused(t, before, err, swa.ErrQuote, "a renewal with a failed line")
	if !strings.Contains(err.Error(), swa.ReasonEndBeforeStart) {
		t.Fatalf("message %q", err)
	}
}

func TestGuide_SWA_RenewIncrementsRnnAndMovesTheExpiry(t *testing.T) {
	f, locs := renewalCustomer(t)
	dect := locs["DECT 1"]
	req := swa.RenewalRequest{Locations: []string{dect.ID}, End: date(2017, 5, 1)}
	before := f.snapshot(t)
	_, err := f.B.Renew(ctx, f.Dist, req)
	f.refused(t, before, err, swa.ErrUnauthorized, "without the checkbox")
	f.C.Set(date(2014, 7, 21).Add(9 * time.Hour))
	req.AuthorizeUnits = true
	asg, err := f.B.Renew(ctx, f.Dist, req)
	must(t, err)
	if asg.Kind != swa.KindRenewal || asg.State != swa.AssignmentActive || asg.Units != 469 {
		t.Fatalf("renewal %+v", asg)
	}
	st, err := f.B.Status(ctx, f.Dist, dect.ID)
	must(t, err)
	p := st.Products[0]
	// "R02 means 2nd time renewal, with new expiry date": 50DE0-APPG37376-R02, 05/31/2017.
	if !strings.HasPrefix(p.Agreement, "50DE0-") || !strings.HasSuffix(p.Agreement, "-R02") || !agreementRE.MatchString(p.Agreement) ||
		p.Expires.Format("01/02/2006") != "05/31/2017" || asg.Items[0].Agreement != p.Agreement {
		t.Fatalf("renewed %+v", p)
	}
	kinds := []swa.PeriodKind{}
	for _, h := range p.History {
		kinds = append(kinds, h.Kind)
		if strings.TrimSuffix(h.Agreement, h.Agreement[strings.LastIndex(h.Agreement, "-"):]) != p.Agreement[:strings.LastIndex(p.Agreement, "-")] {
			t.Fatalf("history %s has another base than %s", h.Agreement, p.Agreement)
		}
	}
	if !reflect.DeepEqual(kinds, []swa.PeriodKind{swa.PeriodGrace, swa.PeriodNew, swa.PeriodRenewal, swa.PeriodRenewal}) {
		t.Fatalf("history %v", kinds)
	}
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.Available != 5946 { // the guide's "Available: 5946"
		t.Fatalf("available %d, want 5946", bin.Available)
	}
	ev := f.events()
	if len(ev) != 1 || ev[0].Kind != swa.EventRenewed || ev[0].Ref != p.Agreement || !ev[0].Due.Equal(date(2017, 5, 31)) {
		t.Fatalf("events %+v", ev)
	}
	f.conserved(t)
}

func TestGuide_SWA_Renewal12MonthRules(t *testing.T) {
	f, locs := renewalCustomer(t)
	dect, rcc, c3 := locs["DECT 1"].ID, locs["RCC 1"].ID, locs["3C 1"].ID
	for _, c := range []struct {
		name string
		req  swa.RenewalRequest
		want string
	}{
		{"a single renewal of 6 months", swa.RenewalRequest{Locations: []string{dect}, Months: 6}, swa.ReasonSingle12},
		{"a single renewal of 12 months", swa.RenewalRequest{Locations: []string{dect}, Months: 12}, ""},
		{"a co-term where every location renews for 6 months", swa.RenewalRequest{Locations: []string{dect, rcc}, Months: 6}, swa.ReasonCoterm12},
		// To 2018-03: DECT 22 months, 3C 9 months (from 2017-07-01): one location of 12 months or more.
		{"a co-term with one location of 12 months or more", swa.RenewalRequest{Locations: []string{dect, c3}, End: date(2018, 3, 1)}, ""},
	} {
		q, err := f.B.RenewalQuote(ctx, f.Dist, c.req)
		must(t, err)
		if q.Failed != c.want {
			t.Errorf("%s: failed %q, want %q (%+v)", c.name, q.Failed, c.want, q.Lines)
		}
		if c.want != "" {
			before := f.snapshot(t)
			r := c.req
			r.AuthorizeUnits = true
			_, err := f.B.Renew(ctx, f.Dist, r)
			f.refused(t, before, err, swa.ErrQuote, c.name)
		}
	}
}

func TestGuide_SWA_RenewalDurationPerMonthUpToTheMaximum(t *testing.T) {
	f, locs := renewalCustomer(t)
	dect, c3 := locs["DECT 1"].ID, locs["3C 1"].ID
	for _, c := range []struct {
		name   string
		loc    string
		end    time.Time
		months int
		units  int64
		failed string
	}{
		// 13 months: the table lists 12, 24, 36: ceil(469 × 13 / 12) = 509.
		{"13 months, not in the table", dect, date(2017, 6, 1), 13, 509, ""},
		{"24 months, the table's figure", dect, date(2018, 5, 1), 24, 910, ""},
		{"36 months", dect, date(2019, 5, 1), 36, 1330, ""},
		{"37 months: past the product's maximum", dect, date(2019, 6, 1), 37, 0, swa.ReasonTooLong},
		// From 2017-07-01 to 2019-12-31 is 30 months, but past 5 years from July 16, 2014.
		{"past 5 years", c3, date(2019, 12, 1), 30, 0, swa.ReasonMaxSWA},
	} {
		q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{c.loc}, End: c.end})
		must(t, err)
		ln := q.Lines[0]
		if ln.Months != c.months || ln.Units != c.units || ln.Failed != c.failed {
			t.Errorf("%s: %+v", c.name, ln)
		}
	}
}

func TestGuide_SWA_RenewALapsedAgreementPaysReinstatement(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2012, 2, 10).Add(9 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 5000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "DECT 1", "IP DECT", "1FF0022F")
	f.activate(t, f.Dist, f.DistP, loc.ID, entitlement.OrderLine{Part: "EU917062", Qty: 4})
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	_, err = f.B.Push(ctx, f.Dist, asg.ID, "now")
	must(t, err)
	// The agreement ran 2012-06-01 to 2013-05-31; on 2013-08-20 it has lapsed three months begun.
	f.C.Set(date(2013, 8, 20).Add(9 * time.Hour))
	st, err := f.B.Status(ctx, f.Dist, loc.ID)
	must(t, err)
	if st.State != swa.StateExpired {
		t.Fatalf("state %v", st.State)
	}
	q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	ln := q.Lines[0]
	if !ln.Start.Equal(date(2013, 8, 20)) || ln.Months != 12 || ln.Units != 469 || ln.Reinstatement.Months != 3 ||
		ln.Reinstatement.Units != 118 || ln.Total() != 469+118 {
		t.Fatalf("lapsed renewal %+v", ln)
	}
	r, err := f.B.Renew(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}, AuthorizeUnits: true})
	must(t, err)
	if r.Units != 587 || !strings.HasSuffix(r.Items[0].Agreement, "-R01") {
		t.Fatalf("renewal %+v", r)
	}
	// An agreement assigned anew after the lapse (rather than renewed) gets a new number.
	g := newFx(t, fxOpt{start: date(2012, 2, 10).Add(9 * time.Hour)})
	g.units(t, g.DistP, "SO1", "PO1", 5000, date(2016, 12, 31))
	l2 := g.location(t, g.Dist, "", "DECT 2", "IP DECT", "1FF0022F")
	g.activate(t, g.Dist, g.DistP, l2.ID, entitlement.OrderLine{Part: "EU917062", Qty: 4})
	a1, err := g.B.Assign(ctx, g.Dist, l2.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	p1, err := g.B.Push(ctx, g.Dist, a1.ID, "now")
	must(t, err)
	g.C.Set(date(2013, 8, 20).Add(9 * time.Hour))
	a2, err := g.B.Assign(ctx, g.Dist, l2.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	if a2.Units != 469+118 || !a2.Items[0].Start.Equal(date(2013, 8, 20)) {
		t.Fatalf("reinstatement %+v", a2)
	}
	p2, err := g.B.Push(ctx, g.Dist, a2.ID, "now")
	must(t, err)
	n1, n2 := p1.Items[0].Agreement, p2.Items[0].Agreement
	if n1 == n2 || !strings.HasSuffix(n2, "-N") || n1[:strings.LastIndex(n1, "-")] == n2[:strings.LastIndex(n2, "-")] {
		t.Fatalf("reinstated agreement %s after %s: want a new number", n2, n1)
	}
	st, err = g.B.Status(ctx, g.Dist, l2.ID)
	must(t, err)
	if h := st.Products[0].History; h[len(h)-1].Kind != swa.PeriodReinstated {
		t.Fatalf("history %+v", h)
	}
	f.conserved(t)
	g.conserved(t)
}

func TestGuide_SWA_RenewalScope(t *testing.T) {
	f, locs := renewalCustomer(t)
	other := f.location(t, f.Dist, "", "elsewhere", "IP DECT", "1FF0022E")
	for _, c := range []struct {
		name string
		a    entitlement.Actor
		req  swa.RenewalRequest
		want error
	}{
		{"another partner's customer", f.Other, swa.RenewalRequest{Customer: locs["DECT 1"].Customer}, entitlement.ErrNotFound},
		{"locations of two customers", f.Dist, swa.RenewalRequest{Locations: []string{locs["DECT 1"].ID, other.ID}}, entitlement.ErrInvalid},
		{"a location twice", f.Dist, swa.RenewalRequest{Locations: []string{locs["DECT 1"].ID, locs["DECT 1"].ID}}, entitlement.ErrInvalid},
		{"a start in the past", f.Dist, swa.RenewalRequest{Customer: locs["DECT 1"].Customer, Start: date(2014, 7, 1)}, entitlement.ErrInvalid},
		{"nothing", f.Dist, swa.RenewalRequest{}, entitlement.ErrInvalid},
	} {
		before := f.snapshot(t)
		_, err := f.B.RenewalQuote(ctx, c.a, c.req)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		r := c.req
		r.AuthorizeUnits = true
		_, err = f.B.Renew(ctx, c.a, r)
		f.refused(t, before, err, c.want, c.name)
	}
	// A location without an agreement is no renewal: nothing to renew.
	q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{other.ID}})
	must(t, err)
	if len(q.Lines) != 0 || q.Failed != swa.ReasonNothing {
		t.Fatalf("quote %+v", q)
	}
}

// TestGuide_SWA_NoAgreementRunsPastFiveYears: "Quotes are available for less than 5 year agreement
// due to MAX SWA". A new agreement's longest term is the table's, which may not pass 60 months
// (the guide's 304 units for 60 months, assigned in grace, end 5 years after grace); a renewal ends
// at most 5 years after the day it is made.
func TestGuide_SWA_NoAgreementRunsPastFiveYears(t *testing.T) {
	if _, err := swa.ParseTerms(strings.NewReader(product(`"tables":[{"terms":[{"months":12,"units":3},{"months":61,"units":5}]}]`))); !errors.Is(err, swa.ErrTerms) {
		t.Fatalf("a 61-month term: %v", err)
	}
	f := newFx(t, fxOpt{start: date(2014, 12, 15).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 5000, date(2016, 12, 31))
	loc := f.location(t, f.Dist, "", "SIP@Net Server", "iS3000", "aa0014SA2792654321AA")
	f.activate(t, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
	q, err := f.B.Quote(ctx, f.Dist, loc.ID)
	must(t, err)
	longest := q.Products[0].Options[len(q.Products[0].Options)-2]
	if longest.Months != 60 || longest.Units != 304 || !longest.End.Equal(date(2020, 3, 31)) {
		t.Fatalf("the longest term %+v: 60 months from 2015-04-01 end 2020-03-31", longest)
	}
	a := f.pushed(t, f.Dist, loc.ID, 60)
	// Renewal on 2015-06-01, the day it is made: 5 years end on 2020-05-31, before the agreement
	// even expires, so no renewal quotes.
	f.C.Set(date(2015, 6, 1).Add(10 * time.Hour))
	rq, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	if ln := rq.Lines[0]; ln.Failed != swa.ReasonMaxSWA || ln.Agreement != a.Items[0].Agreement {
		t.Fatalf("renewal of a 60-month agreement: %+v", ln)
	}
	// On 2016-04-01 a 12-month renewal (2020-04-01 to 2021-03-31) is within 5 years of the day.
	f.C.Set(date(2016, 4, 1).Add(10 * time.Hour))
	rq, err = f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Locations: []string{loc.ID}})
	must(t, err)
	if ln := rq.Lines[0]; ln.Failed != "" || !ln.End.Equal(date(2021, 3, 31)) {
		t.Fatalf("a renewal within 5 years: %+v", ln)
	}
}
