package swa_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// The guide's SWA units bin of March 26, 2013 ("SWA Unit Orders: All Available SWA Unit Orders/
// Shipments that are not expired", "SWA Units (UnAllocated: 5985/ Allocated: 0 / Available:
// 5985)"): its six shipments, the first one with 536 of its 648 units gone (here reshipped to the
// dealer), and the rest of the 5985 in a later shipment the screenshot cuts off.
func guideBin(t *testing.T, f *fx) {
	t.Helper()
	first := f.units(t, f.DistP, "1287838", "hvo07020003", 648, date(2013, 5, 18))
	for _, s := range []struct {
		so, po string
		qty    int64
		exp    time.Time
	}{{"1287839", "hvo11020001", 29, date(2013, 5, 22)}, {"1287840", "hvo11020002", 23, date(2013, 5, 22)},
		{"1287842", "hvo11020004", 47, date(2013, 5, 22)}, {"1287841", "hvo11020003", 149, date(2013, 5, 22)},
		{"1287850", "hvo1302004", 820, date(2013, 5, 25)}, {"1287900", "hvo1303001", 4805, date(2013, 12, 31)}} {
		f.units(t, f.DistP, s.so, s.po, s.qty, s.exp)
	}
	_, err := f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: "PO-earlier", SO: "SO-earlier",
		Picks: []swa.UnitPick{{Shipment: first.ID, Qty: 536}}})
	must(t, err)
}

func TestGuide_SWA_UnitsShipIntoTheUnitsBin(t *testing.T) {
	f := newFx(t, fxOpt{})
	expires := date(2013, 4, 17)
	lines, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-SWAUnits-08012013", SO: "SO-SWAUnits-08012013",
		Expires: expires, Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 400}, {Part: "BE107573", Qty: 1}}})
	must(t, err)
	if len(lines) != 1 || lines[0].Part != "BE107573" {
		t.Fatalf("license lines %+v", lines)
	}
	licBin, err := f.L.Bin(ctx, f.Dist)
	must(t, err)
	for _, s := range licBin {
		if s.Part == "BE112031" {
			t.Fatal("SWA units in the license bin")
		}
	}
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	want := swa.Bin{Shipments: []swa.Shipment{{ID: 1, Partner: f.DistP, SO: "SO-SWAUnits-08012013", PO: "PO-SWAUnits-08012013", Part: "BE112031",
		Shipped: 400, Available: 400, Expires: expires, ShippedAt: f.C.Now().UTC().Truncate(time.Second)}},
		UnAllocated: 400, Available: 400}
	if diff := cmp.Diff(want, bin); diff != "" {
		t.Fatalf("bin (-want +got):\n%s", diff)
	}
	for _, num := range []string{"PO-SWAUnits-08012013", "SO-SWAUnits-08012013"} {
		got, err := f.B.LookupOrder(ctx, f.Dist, num)
		if err != nil || len(got) != 1 || !cmp.Equal(got[0], want.Shipments[0]) {
			t.Fatalf("lookup %s: %+v %v", num, got, err)
		}
		if other, err := f.B.LookupOrder(ctx, f.Other, num); err != nil || len(other) != 0 {
			t.Fatalf("another partner's lookup %s: %+v %v", num, other, err)
		}
	}
	var kinds []entitlement.EventKind
	for _, e := range f.events() {
		kinds = append(kinds, e.Kind)
		if e.Kind == swa.EventUnitsShipped && (!e.Due.Equal(expires) || e.Lines[0].Qty != 400) {
			t.Fatalf("units event %+v", e)
		}
	}
	if !reflect.DeepEqual(kinds, []entitlement.EventKind{swa.EventUnitsShipped, entitlement.EventLicensesShipped}) {
		t.Fatalf("events %v", kinds)
	}
	// No expiry date, or an expired one: the whole order is refused.
	for name, c := range map[string]struct {
		exp  time.Time
		want string
	}{"no expiry": {time.Time{}, "no expiry date"}, "expired": {date(2013, 1, 1), "expired on 2013-01-01"}} {
		before := f.snapshot(t)
		_, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-" + name, SO: "SO", Expires: c.exp,
			Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 1}, {Part: "BE107573", Qty: 1}}})
		f.refused(t, before, err, entitlement.ErrInvalid, name)
		if !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: %q", name, err)
		}
	}
	f.conserved(t)
}

func TestGuide_SWA_BinTotalsAndExpiredShipmentsNotListed(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	guideBin(t, f)
	f.units(t, f.DistP, "1287001", "hvo-old", 99, date(2013, 3, 27)) // expires tomorrow
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if bin.UnAllocated != 5985+99 || bin.Allocated != 0 || bin.Available != 5985+99 {
		t.Fatalf("totals %d/%d/%d", bin.UnAllocated, bin.Allocated, bin.Available)
	}
	f.C.Add(24 * time.Hour)
	bin, err = f.B.Bin(ctx, f.Dist)
	must(t, err)
	var sos []string
	var avail []int64
	for _, s := range bin.Shipments {
		sos, avail = append(sos, s.SO), append(avail, s.Available)
	}
	// The guide's order: the shipments that expire first first (its screen lists 1287842 before
	// 1287841: shipped in that order).
	if !reflect.DeepEqual(sos, []string{"1287838", "1287839", "1287840", "1287842", "1287841", "1287850", "1287900"}) ||
		!reflect.DeepEqual(avail, []int64{112, 29, 23, 47, 149, 820, 4805}) || bin.Shipments[0].Shipped != 648 {
		t.Fatalf("listed %v %v", sos, avail)
	}
	if bin.UnAllocated != 5985 || bin.Allocated != 0 || bin.Available != 5985 {
		t.Fatalf("after the expiry: UnAllocated %d / Allocated %d / Available %d, want 5985/0/5985", bin.UnAllocated, bin.Allocated, bin.Available)
	}
	// The scheduler moves the expired units; nothing is lost.
	rep, err := f.B.Settle(ctx, f.Admin)
	must(t, err)
	if rep.ExpiredUnits != 99 {
		t.Fatalf("settle %+v", rep)
	}
	f.conserved(t)
}

func TestGuide_SWA_UnitsDrawnFromTheShipmentsThatExpireFirst(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	guideBin(t, f)
	loc := f.location(t, f.Dist, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Dist, f.DistP, loc.ID, sv8300Licenses...)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	// 264 units: 112 + 29 + 23 + 47 from the shipments expiring first, 53 of 1287841's 149.
	bin, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	got := map[string]int64{}
	for _, d := range asg.Draws {
		for _, s := range bin.Shipments {
			if s.ID == d.Shipment {
				got[s.SO] = d.Qty
			}
		}
	}
	want := map[string]int64{"1287841": 53}
	if !reflect.DeepEqual(got, want) || len(asg.Draws) != 5 || asg.Units != 264 {
		t.Fatalf("draws %+v (listed %v)", asg.Draws, got)
	}
	if bin.UnAllocated != 5721 || bin.Allocated != 264 || bin.Available != 5721 || bin.Shipments[0].SO != "1287841" || bin.Shipments[0].Available != 96 {
		t.Fatalf("bin after the assignment: %d/%d/%d, first %+v", bin.UnAllocated, bin.Allocated, bin.Available, bin.Shipments[0])
	}
	f.conserved(t)
}

func TestGuide_SWA_ReshipNeedsSWADistributorAdminAndTheAllowance(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 1, 7).Add(9 * time.Hour)})
	s := f.units(t, f.DistP, "SO-SWAUnits-08012013", "PO-SWAUnits-08012013", 400, date(2013, 4, 17))
	req := swa.ReshipRequest{DealerUser: f.Dealer.User, SO: "SO-SWAreship08012013", PO: "PO-SWAreship08012013",
		Picks: []swa.UnitPick{{Shipment: s.ID, Qty: 250}}}
	imp, err := f.L.Impersonate(ctx, f.Dist.User, f.Dealer.User)
	must(t, err)
	for _, c := range []struct {
		name string
		a    entitlement.Actor
		req  swa.ReshipRequest
		want error
	}{
		{"an LMS user without the SWA Distributor Admin role", f.Plain, req, entitlement.ErrNotAllowed},
		{"a dealer's SWA Dealer Admin", f.Dealer, req, entitlement.ErrNotAllowed},
		{"a distributor impersonating the dealer", imp, req, entitlement.ErrNotAllowed},
		{"another distributor without the allowance", f.Other, req, entitlement.ErrNotAllowed},
		{"more units than available", f.Dist, swa.ReshipRequest{DealerUser: req.DealerUser, SO: "S", PO: "P", Picks: []swa.UnitPick{{Shipment: s.ID, Qty: 401}}}, entitlement.ErrQuantity},
		{"an unknown shipment", f.Dist, swa.ReshipRequest{DealerUser: req.DealerUser, SO: "S", PO: "P", Picks: []swa.UnitPick{{Shipment: 999, Qty: 1}}}, entitlement.ErrNotFound},
		{"to a distributor's user", f.Dist, swa.ReshipRequest{DealerUser: f.Other.User, SO: "S", PO: "P", Picks: req.Picks}, entitlement.ErrInvalid},
		{"nothing selected", f.Dist, swa.ReshipRequest{DealerUser: req.DealerUser, SO: "S", PO: "P"}, entitlement.ErrInvalid},
	} {
		before := f.snapshot(t)
		_, err := f.B.Reship(ctx, c.a, c.req)
		f.refused(t, before, err, c.want, c.name)
	}
	// Without the allowance the distributor may not reship either.
	must(t, f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	before := f.snapshot(t)
	_, err = f.B.Reship(ctx, f.Dist, req)
	f.refused(t, before, err, entitlement.ErrNotAllowed, "no allowance")
	must(t, f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, true))
	f.events()

	rs, err := f.B.Reship(ctx, f.Dist, req)
	must(t, err)
	if rs.To != f.DealerP || len(rs.Lines) != 1 || rs.Lines[0].Qty != 250 || !rs.Lines[0].Expires.Equal(date(2013, 4, 17)) {
		t.Fatalf("reshipment %+v", rs)
	}
	dealer, err := f.B.Bin(ctx, f.Dealer)
	must(t, err)
	if dealer.UnAllocated != 250 || dealer.Available != 250 || len(dealer.Shipments) != 1 || dealer.Shipments[0].SO != "SO-SWAreship08012013" ||
		!dealer.Shipments[0].Expires.Equal(date(2013, 4, 17)) || dealer.Shipments[0].Parent != s.ID {
		t.Fatalf("dealer's bin %+v", dealer)
	}
	dist, err := f.B.Bin(ctx, f.Dist)
	must(t, err)
	if dist.Available != 150 || dist.Shipments[0].ReshippedOut != 250 {
		t.Fatalf("distributor's bin %+v", dist)
	}
	resold, err := f.B.Resold(ctx, f.Dist, 0)
	must(t, err)
	if len(resold) != 1 || resold[0].PO != "PO-SWAreship08012013" || resold[0].Lines[0].Qty != 250 {
		t.Fatalf("resold %+v", resold)
	}
	ev := f.events()
	if len(ev) != 1 || ev[0].Kind != swa.EventUnitsShipped || ev[0].User != f.Dealer.User || ev[0].Partner != f.DealerP {
		t.Fatalf("events %+v", ev)
	}
	// The same order numbers again: refused.
	before = f.snapshot(t)
	_, err = f.B.Reship(ctx, f.Dist, swa.ReshipRequest{DealerUser: f.Dealer.User, SO: req.SO, PO: req.PO, Picks: []swa.UnitPick{{Shipment: s.ID, Qty: 1}}})
	f.refused(t, before, err, entitlement.ErrExists, "repeated order")
	if r := f.lastAudit(t); r.Op != "swa.reship" || r.User != f.Dist.User {
		t.Fatalf("audit %+v", r)
	}
	f.conserved(t)
}

func TestGuide_SWA_OperationsNeedAnSWARole(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2013, 3, 26).Add(10 * time.Hour)})
	f.units(t, f.DistP, "SO1", "PO1", 1000, date(2013, 12, 31))
	loc := f.location(t, f.Plain, "", "SV8300 system", "SV8300", "18CYG-IPS-00000000BJ300643SE")
	f.activate(t, f.Plain, f.DistP, loc.ID, sv8300Licenses...)
	asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
	must(t, err)
	ops := map[string]func(a entitlement.Actor) error{
		"bin":         func(a entitlement.Actor) error { _, err := f.B.Bin(ctx, a); return err },
		"status":      func(a entitlement.Actor) error { _, err := f.B.Status(ctx, a, loc.ID); return err },
		"quote":       func(a entitlement.Actor) error { _, err := f.B.Quote(ctx, a, loc.ID); return err },
		"prospective": func(a entitlement.Actor) error { _, err := f.B.Prospective(ctx, a); return err },
		"assign": func(a entitlement.Actor) error {
			_, err := f.B.Assign(ctx, a, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
			return err
		},
		"cancel":       func(a entitlement.Actor) error { _, err := f.B.Cancel(ctx, a, asg.ID, ""); return err },
		"push":         func(a entitlement.Actor) error { _, err := f.B.Push(ctx, a, asg.ID, "now"); return err },
		"reservations": func(a entitlement.Actor) error { _, err := f.B.Reservations(ctx, a); return err },
		"free of charge": func(a entitlement.Actor) error {
			_, err := f.B.FreeOfCharge(ctx, a, loc.ID)
			return err
		},
		"attach free of charge": func(a entitlement.Actor) error {
			_, err := f.B.AttachFreeOfCharge(ctx, a, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"T-SV8300-SYS-R8"}, AcceptAgreement: true})
			return err
		},
		"renewal quote": func(a entitlement.Actor) error {
			_, err := f.B.RenewalQuote(ctx, a, swa.RenewalRequest{Customer: loc.Customer})
			return err
		},
		"renew": func(a entitlement.Actor) error {
			_, err := f.B.Renew(ctx, a, swa.RenewalRequest{Customer: loc.Customer, AuthorizeUnits: true})
			return err
		},
		"settle": func(a entitlement.Actor) error { _, err := f.B.Settle(ctx, a); return err },
		"activate with an assignment": func(a entitlement.Actor) error {
			_, err := f.B.Activate(ctx, a, loc.ID, entitlement.Activation{AcceptAgreement: true}, &swa.AssignRequest{AuthorizeUnits: true})
			return err
		},
	}
	for name, op := range ops {
		before := f.snapshot(t)
		err := op(f.Plain)
		if !errors.Is(err, entitlement.ErrNotAllowed) || !strings.HasPrefix(err.Error(), "swa.") {
			t.Errorf("%s by an LMS user without an SWA role: %v, want ErrNotAllowed", name, err)
		}
		f.unchanged(t, before, name)
	}
}
