package entitlement_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/keycode"
)

var ctx = context.Background()

func newFixture(t testing.TB) *storetest.Fixture {
	t.Helper()
	s := entitlement.NewMemStore()
	t.Cleanup(func() { s.Close() })
	return storetest.NewFixture(t, s, 7)
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func conserved(t testing.TB, l *entitlement.Ledger) {
	t.Helper()
	if err := entitlement.CheckConservation(ctx, l.Store()); err != nil {
		t.Fatal(err)
	}
}

func shipSV8100(t testing.TB, f *storetest.Fixture, partner, po string) []entitlement.ShippedLine {
	t.Helper()
	return must[[]entitlement.ShippedLine](t)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: partner, PO: po, SO: "SO 1280677 - SV8100 lics",
		Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 5}, {Part: "BE107576", Qty: 1}, {Part: "BE107585", Qty: 20}}}))
}

func newLocation(t testing.TB, f *storetest.Fixture, a entitlement.Actor, system, hwkc string) entitlement.Location {
	t.Helper()
	c := must[entitlement.Customer](t)(f.L.CreateCustomer(ctx, a, entitlement.Customer{Name: "Customer of " + a.String()}))
	return must[entitlement.Location](t)(f.L.CreateLocation(ctx, a, entitlement.Location{Customer: c.ID, Name: "Location " + hwkc, System: system, HWKC: hwkc}))
}

func picksAll(lines []entitlement.ShippedLine) []entitlement.Pick {
	var p []entitlement.Pick
	for _, s := range lines {
		p = append(p, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	return p
}

// TestGuide_General_SV8100Walkthrough follows "LMS License handling procedure": create customer,
// create location, select and attach (with a lower quantity and a skipped line), detach, activate,
// download, regenerate, and the lookups of the Tools page.
func TestGuide_General_SV8100Walkthrough(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO123456")
	conserved(t, l)
	bin := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist))
	if len(bin) != 4 || bin[0].PO != "PO123456" {
		t.Fatalf("bin: %+v", bin)
	}
	loc := newLocation(t, f, f.Dist, "SV8100", " 191000343919 ")
	if loc.HWKC != "191000343919" || loc.DemosLeft != 2 || len(loc.ID) != 36 {
		t.Fatalf("location: %+v", loc)
	}
	// Lower quantity on the terminals, skip the trunks (Sel 0).
	picks := picksAll(shipped)
	picks[1].Qty, picks[3].Qty = 0, 10
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picks))
	conserved(t, l)
	if len(att) != 3 {
		t.Fatalf("attached %d lines, want 3 (one skipped)", len(att))
	}
	for _, ln := range att {
		if len(ln.SKC) != 20 || ln.SKC[2:4] != "19" || strings.Trim(ln.SKC[:2]+ln.SKC[4:], keycode.SKCAlphabet) != "" {
			t.Errorf("software key code %q: want 20 characters, system code 19 at 3-4, the 30-symbol alphabet", ln.SKC)
		}
	}
	inv := must[[]entitlement.PartStock](t)(l.Inventory(ctx, f.Dist))
	want := []entitlement.PartStock{
		{Part: "BE107573", Name: "LK-SYS-256 PORT LIC", Attached: 1, Total: 1},
		{Part: "BE107576", Name: "LK-SYS-SMDR-LIC SMDR License", Attached: 1, Total: 1},
		{Part: "BE107582", Name: "LK-SYS-IP-TRUNK1-LIC", InBin: 5, Total: 5},
		{Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", InBin: 10, Attached: 10, Total: 20},
	}
	if d := cmp.Diff(want, inv); d != "" {
		t.Fatalf("inventory (-want +got):\n%s", d)
	}
	// Attach the rest too, then detach one line: it returns to the bin.
	more := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[1].ID, Qty: 5}, {Line: shipped[3].ID, Qty: 10}}))
	ok(t, l.Detach(ctx, f.Dist, loc.ID, []string{more[1].SKC}))
	conserved(t, l)
	recent := must[[]entitlement.Line](t)(l.RecentlyAttached(ctx, f.Dist, 10))
	if len(recent) != 4 || recent[0].SKC != more[0].SKC {
		t.Fatalf("recently attached: %d lines, first %s", len(recent), recent[0].SKC)
	}
	file := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	conserved(t, l)
	if file.Name != "191000343919-svi.zip" || file.Serial != 1 || file.Location != loc.ID {
		t.Fatalf("file %q serial %d", file.Name, file.Serial)
	}
	view := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, loc.ID))
	if len(view.Attached) != 0 || len(view.Activated) != 4 || view.File == nil || view.File.Serial != 1 {
		t.Fatalf("after activation: %d attached, %d activated, file %+v", len(view.Attached), len(view.Activated), view.File)
	}
	if err := l.Detach(ctx, f.Dist, loc.ID, []string{att[0].SKC}); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("detach of an activated line: %v, want ErrState", err)
	}
	dl := must[entitlement.Issued](t)(l.Download(ctx, f.Dist, loc.ID))
	if !slices.Equal(dl.Data, file.Data) {
		t.Fatal("download differs from the file issued at activation")
	}
	re := must[entitlement.Issued](t)(l.Regenerate(ctx, f.Dist, loc.ID))
	if re.Serial != 2 {
		t.Fatalf("regenerated serial %d, want 2", re.Serial)
	}
	act := must[[]entitlement.Line](t)(l.RecentlyActivated(ctx, f.Dist, 2))
	if len(act) != 2 || act[0].State != entitlement.StateActivated {
		t.Fatalf("recently activated: %+v", act)
	}
	if len(must[[]entitlement.Line](t)(l.RecentlyAttached(ctx, f.Dist, 10))) != 0 {
		t.Fatal("activated lines still listed as recently attached")
	}
	// Tools: lookups.
	v := must[entitlement.LocationView](t)(l.LookupHWKC(ctx, f.Dist, "191000343919"))
	if v.ID != loc.ID {
		t.Fatal("HWKC lookup found another location")
	}
	ln, lloc, err := l.LookupSKC(ctx, f.Dist, strings.ToLower(att[0].SKC))
	ok(t, err)
	if ln.SKC != att[0].SKC || lloc.ID != loc.ID {
		t.Fatal("SKC lookup")
	}
	for _, num := range []string{"PO123456", "SO 1280677 - SV8100 lics"} {
		d := must[entitlement.OrderDetails](t)(l.LookupOrder(ctx, f.Dist, num))
		if len(d.Shipped) != 4 || len(d.Lines) != 4 {
			t.Fatalf("order lookup %s: %d shipped, %d lines", num, len(d.Shipped), len(d.Lines))
		}
	}
	found := must[[]entitlement.Location](t)(l.SearchLocations(ctx, f.Dist, "0343", 0))
	if len(found) != 1 {
		t.Fatalf("search by part of the HWKC found %d", len(found))
	}
	found = must[[]entitlement.Location](t)(l.SearchLocations(ctx, f.Dist, "LOCATION", 0))
	if len(found) != 1 {
		t.Fatalf("search by name found %d", len(found))
	}
	if n := must[int](t)(l.VerifyAudit(ctx)); n == 0 {
		t.Fatal("empty audit")
	}
}

// TestRefusalsChangeNothing checks every refusal's sentinel and that the ledger is byte-for-byte
// unchanged afterwards.
func TestRefusalsChangeNothing(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}))
	otherLoc := newLocation(t, f, f.Other, "SV8100", "190400324412")
	otherShip := shipSV8100(t, f, f.OtherP, "POZ")
	_ = otherShip
	ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: "noroles@distx", Name: "No Roles", Partner: f.DistP}))
	noRoles := entitlement.Actor{User: "noroles@distx"}
	cust := must[[]entitlement.Customer](t)(l.Customers(ctx, f.Dist, ""))[0]

	cases := []struct {
		name, why string
		want      error
		op        func() error
	}{
		{"unknown user", "an unauthenticated name is nobody", entitlement.ErrNotAllowed, func() error {
			_, err := l.Bin(ctx, entitlement.Actor{User: "ghost"})
			return err
		}},
		{"empty user", "no login is nobody", entitlement.ErrNotAllowed, func() error {
			_, err := l.Bin(ctx, entitlement.Actor{})
			return err
		}},
		{"dealer ships", "shipping is the vendor's", entitlement.ErrNotAllowed, func() error {
			_, err := l.Ship(ctx, f.Dealer, entitlement.Order{Partner: f.DealerP, PO: "x", SO: "y", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}})
			return err
		}},
		{"ship twice", "a retried shipment must not double stock", entitlement.ErrExists, func() error {
			_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO1", SO: "SO 1280677 - SV8100 lics", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}})
			return err
		}},
		{"ship unknown part", "only catalog parts", entitlement.ErrInvalid, func() error {
			_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "P9", SO: "S9", Lines: []entitlement.OrderLine{{Part: "XX000000", Qty: 1}}})
			return err
		}},
		{"ship zero", "quantities are positive", entitlement.ErrInvalid, func() error {
			_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "P9", SO: "S9", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 0}}})
			return err
		}},
		{"user without LMS role", "an LMS account needs the LMS user role", entitlement.ErrNotAllowed, func() error {
			_, err := l.CreateCustomer(ctx, noRoles, entitlement.Customer{Name: "x"})
			return err
		}},
		{"location on another partner's customer", "partners see only their own customers (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.CreateLocation(ctx, f.Other, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV8100", HWKC: "190400324499"})
			return err
		}},
		{"duplicate HWKC", "one location per hardware key code", entitlement.ErrExists, func() error {
			_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV8100", HWKC: "191000343919"})
			return err
		}},
		{"duplicate HWKC of another partner", "codes are unique across partners", entitlement.ErrExists, func() error {
			_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV8100", HWKC: "190400324412"})
			return err
		}},
		{"unknown system", "system types come from the catalog", entitlement.ErrInvalid, func() error {
			_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV1", HWKC: "191000343910"})
			return err
		}},
		{"HWKC of another system's grammar", "keycode validates the code per system", entitlement.ErrInvalid, func() error {
			_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV8100", HWKC: "341006761783"})
			var pe *keycode.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("want a *keycode.ParseError inside, got %v", err)
			}
			return err
		}},
		{"empty HWKC", "the code is mandatory", entitlement.ErrInvalid, func() error {
			_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "x", System: "SV8100"})
			return err
		}},
		{"attach more than the bin", "no seat is created", entitlement.ErrQuantity, func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 21}})
			return err
		}},
		{"attach a line twice past the bin", "picks of one line add up", entitlement.ErrQuantity, func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 15}, {Line: shipped[3].ID, Qty: 6}})
			return err
		}},
		{"attach negative", "quantities are not negative", entitlement.ErrInvalid, func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: -1}})
			return err
		}},
		{"attach nothing", "all zero means nothing to do", entitlement.ErrInvalid, func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 0}})
			return err
		}},
		{"attach from another partner's bin", "bins are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: otherShip[0].ID, Qty: 1}})
			return err
		}},
		{"attach onto another partner's location", "locations are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.Attach(ctx, f.Dist, otherLoc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 1}})
			return err
		}},
		{"attach a part of another system", "parts must fit the system", entitlement.ErrInvalid, func() error {
			s := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "P8500", SO: "S8500",
				Lines: []entitlement.OrderLine{{Part: "BE107635", Qty: 1}}}))
			before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}})
			after := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			if d := cmp.Diff(before, after); d != "" {
				t.Errorf("refused attach changed the ledger:\n%s", d)
			}
			return err
		}},
		{"activate without agreement", "the license agreement must be accepted", entitlement.ErrAgreement, func() error {
			_, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{})
			return err
		}},
		{"activate unknown SKC", "all or nothing", entitlement.ErrNotFound, func() error {
			_, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{SKCs: []string{att[0].SKC, "NOSUCHCODE0000000000"}, AcceptAgreement: true})
			return err
		}},
		{"activate another partner's location", "locations are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.Activate(ctx, f.Other, loc.ID, entitlement.Activation{AcceptAgreement: true})
			return err
		}},
		{"detach another partner's line", "locations are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			return l.Detach(ctx, f.Other, loc.ID, []string{att[0].SKC})
		}},
		{"regenerate before activation", "no activated lines, no file", entitlement.ErrState, func() error {
			_, err := l.Regenerate(ctx, f.Dist, loc.ID)
			return err
		}},
		{"download before activation", "no file yet", entitlement.ErrState, func() error {
			_, err := l.Download(ctx, f.Dist, loc.ID)
			return err
		}},
		{"dealer reships", "only distributors reship", entitlement.ErrNotAllowed, func() error {
			_, err := l.Reship(ctx, f.Dealer, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "a", SO: "b", Picks: []entitlement.Pick{{Line: shipped[3].ID, Qty: 1}}})
			return err
		}},
		{"reship without allowance", "the shipping allowance is required", entitlement.ErrNotAllowed, func() error {
			_, err := l.Reship(ctx, f.Other, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "a", SO: "b", Picks: []entitlement.Pick{{Line: otherShip[0].ID, Qty: 1}}})
			return err
		}},
		{"reship to a distributor", "reshipment goes to dealers", entitlement.ErrInvalid, func() error {
			_, err := l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "zed@distz", PO: "a", SO: "b", Picks: []entitlement.Pick{{Line: shipped[3].ID, Qty: 1}}})
			return err
		}},
		{"impersonate without allowance", "impersonation needs the allowance", entitlement.ErrNotAllowed, func() error {
			_, err := l.Bin(ctx, entitlement.Actor{User: "zed@distz", As: "dealer@y"})
			return err
		}},
		{"dealer impersonates", "only distributors impersonate", entitlement.ErrNotAllowed, func() error {
			_, err := l.Bin(ctx, entitlement.Actor{User: "dealer@y", As: "ed@distx"})
			return err
		}},
		{"partner adds users", "administrators manage accounts", entitlement.ErrNotAllowed, func() error {
			return l.AddUser(ctx, f.Dist, entitlement.User{ID: "new@distx", Name: "N", Partner: f.DistP, Roles: entitlement.RoleLMSUser})
		}},
		{"admin role for a partner user", "administrators are vendor staff", entitlement.ErrInvalid, func() error {
			return l.AddUser(ctx, f.Admin, entitlement.User{ID: "new@distx", Name: "N", Partner: f.DistP, Roles: entitlement.RoleAdmin})
		}},
		{"bootstrap twice", "one bootstrap per ledger", entitlement.ErrExists, func() error {
			return l.Bootstrap(ctx, entitlement.Partner{ID: "v2", Name: "V2"}, entitlement.User{ID: "a2", Name: "A2"})
		}},
		{"demo on another partner's location", "locations are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.GenerateDemo(ctx, f.Dist, otherLoc.ID)
			return err
		}},
		{"lookup another partner's HWKC", "lookups are scoped (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, err := l.LookupHWKC(ctx, f.Dist, "190400324412")
			return err
		}},
		{"lookup another partner's SKC", "lookups are scoped (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			_, _, err := l.LookupSKC(ctx, f.Other, att[0].SKC)
			return err
		}},
		{"lookup another partner's PO", "lookups are scoped", entitlement.ErrNotFound, func() error {
			_, err := l.LookupOrder(ctx, f.Other, "PO1")
			return err
		}},
		{"edit another partner's location", "locations are private (another partner's object looks unknown)", entitlement.ErrNotFound, func() error {
			return l.EditLocation(ctx, f.Dist, otherLoc.ID, entitlement.LocationEdit{Name: "mine now"})
		}},
		{"return more than the bin", "no seat is created", entitlement.ErrQuantity, func() error {
			_, err := l.ReturnLines(ctx, f.Dist, []entitlement.Pick{{Line: shipped[3].ID, Qty: 99}}, "")
			return err
		}},
		{"read the audit log as a partner", "the audit log is the vendor's", entitlement.ErrNotAllowed, func() error {
			_, err := l.Audit(ctx, f.Dist, 0, 10)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			err := c.op()
			if !errors.Is(err, c.want) {
				t.Fatalf("%s: got %v, want %v", c.why, err, c.want)
			}
			after := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			if d := cmp.Diff(before, after); d != "" && c.name != "attach a part of another system" {
				t.Fatalf("%s: the refused operation changed the ledger (-before +after):\n%s", c.why, d)
			}
			conserved(t, l)
		})
	}
}
