package entitlement_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// TestAdmin_DoesNotSpendPartnersLicenses checks that an administrator, who sees every partner's
// books, may not detach, activate or generate demos on a partner's location (the partner's own
// decisions), while reads and the desk's re-issue stay open to it.
func TestAdmin_DoesNotSpendPartnersLicenses(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}, {Line: shipped[1].ID, Qty: 1}}))
	must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{SKCs: []string{att[0].SKC}, AcceptAgreement: true}))
	for _, c := range []struct {
		name, why string
		op        func() error
	}{
		{"activate", "activation needs the partner's acceptance of the agreement", func() error {
			_, err := l.Activate(ctx, f.Admin, loc.ID, entitlement.Activation{AcceptAgreement: true})
			return err
		}},
		{"demo", "a demo uses up the partner's demo counter", func() error {
			_, err := l.GenerateDemo(ctx, f.Admin, loc.ID)
			return err
		}},
		{"detach", "detaching changes the partner's bin", func() error {
			return l.Detach(ctx, f.Admin, loc.ID, []string{att[1].SKC})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			if err := c.op(); !errors.Is(err, entitlement.ErrNotAllowed) {
				t.Fatalf("%s: got %v, want ErrNotAllowed", c.why, err)
			}
			if d := cmp.Diff(before, must[entitlement.Snapshot](t)(l.Snapshot(ctx))); d != "" {
				t.Fatalf("%s: the refusal changed the ledger (-before +after):\n%s", c.why, d)
			}
		})
	}
	must[entitlement.LocationView](t)(l.Location(ctx, f.Admin, loc.ID))
	must[entitlement.LocationView](t)(l.LookupHWKC(ctx, f.Admin, loc.HWKC))
	must[entitlement.Issued](t)(l.Regenerate(ctx, f.Admin, loc.ID))
}

// TestConfig_NoDemos checks that a negative Config.Demos gives new locations no demo licenses.
func TestConfig_NoDemos(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 4)
	l := entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}, Demos: -1})
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "l", System: "SV8100", HWKC: "191000343919"}))
	if loc.DemosLeft != 0 {
		t.Fatalf("Demos -1: the location starts with %d demo licenses, want 0", loc.DemosLeft)
	}
	if _, err := l.GenerateDemo(ctx, f.Dist, loc.ID); !errors.Is(err, entitlement.ErrNoDemo) {
		t.Fatalf("demo with none configured: %v", err)
	}
	def := entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}}) // 0 keeps the guide's 2
	loc2 := must[entitlement.Location](t)(def.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "l2", System: "SV8100", HWKC: "190400324412"}))
	if loc2.DemosLeft != 2 {
		t.Fatalf("Demos 0: the location starts with %d demo licenses, want 2", loc2.DemosLeft)
	}
}

// TestAdmin_SearchLocationsByName checks the administrator's search across partners by name
// prefix (case-insensitive) as well as by code prefix, and that a rename moves the name index.
func TestAdmin_SearchLocationsByName(t *testing.T) {
	f := newFixture(t)
	l := f.L
	mk := func(a entitlement.Actor, name, hwkc string) entitlement.Location {
		c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, a, entitlement.Customer{Name: "c"}))
		return must[entitlement.Location](t)(l.CreateLocation(ctx, a, entitlement.Location{Customer: c.ID, Name: name, System: "SV8100", HWKC: hwkc}))
	}
	a := mk(f.Dist, "Tons Business A", "191000343919")
	b := mk(f.Other, "TONS warehouse", "190400324412")
	mk(f.Dealer, "Other place", "191000343920")
	ids := func(q string) []string {
		var out []string
		for _, loc := range must[[]entitlement.Location](t)(l.SearchLocations(ctx, f.Admin, q, 0)) {
			out = append(out, loc.ID)
		}
		return out
	}
	for _, c := range []struct {
		name, why, q string
		want         []string
	}{
		{"name prefix", "names of every partner, case-insensitive", "tons", []string{a.ID, b.ID}},
		{"longer prefix", "only the matching name", "Tons B", []string{a.ID}},
		{"code prefix", "codes still work", "1904003", []string{b.ID}},
		{"no match", "an infix is not a prefix", "business", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ids(c.q)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%s: search %q (-want +got):\n%s", c.why, c.q, d)
			}
		})
	}
	ok(t, l.EditLocation(ctx, f.Dist, a.ID, entitlement.LocationEdit{Name: "Renamed"}))
	if got := ids("tons b"); len(got) != 0 {
		t.Fatalf("old name still found after the rename: %v", got)
	}
	if got := ids("renamed"); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("new name: %v", got)
	}
}
