package entitlement_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/entitlement"
)

// TestScope_OtherPartnersObjectsLookUnknown checks that, for a partner's user, another partner's
// location, customer, hardware key code, software key code and bin line get exactly the error of
// an unknown one (the queried name aside), and that no message names the other partner's ids.
func TestScope_OtherPartnersObjectsLookUnknown(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.OtherP, "POZ")
	loc := newLocation(t, f, f.Other, "SV8100", "190400324412")
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Other, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}))
	mine := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	const unknownLoc = "00000000-0000-4000-8000-000000000000"
	const unknownHWKC = "191000343920" // valid, held by no location
	const unknownSKC = "ZZ19ZZZZZZZZZZZZZZZZ"
	secrets := []string{loc.ID, loc.Customer, f.OtherP, loc.HWKC}
	cases := []struct {
		name, why       string
		theirs, unknown string // the name queried
		op              func(name string) error
	}{
		{"HWKC lookup", "a code's owner must not leak", loc.HWKC, unknownHWKC, func(n string) error {
			_, err := l.LookupHWKC(ctx, f.Dist, n)
			return err
		}},
		{"SKC lookup", "a line's location must not leak", att[0].SKC, unknownSKC, func(n string) error {
			_, _, err := l.LookupSKC(ctx, f.Dist, n)
			return err
		}},
		{"location", "a location id must not be probed", loc.ID, unknownLoc, func(n string) error {
			_, err := l.Location(ctx, f.Dist, n)
			return err
		}},
		{"locations of customer", "a customer id must not be probed", loc.Customer, unknownLoc, func(n string) error {
			_, err := l.Locations(ctx, f.Dist, n)
			return err
		}},
		{"activate", "changes are refused the same way", loc.ID, unknownLoc, func(n string) error {
			_, err := l.Activate(ctx, f.Dist, n, entitlement.Activation{AcceptAgreement: true})
			return err
		}},
		{"attach from bin line", "bin line ids must not be probed", "x", "y", func(n string) error {
			line := shipped[1].ID
			if n == "y" {
				line = 999999
			}
			_, err := l.Attach(ctx, f.Dist, mine.ID, []entitlement.Pick{{Line: line, Qty: 1}})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e1, e2 := c.op(c.theirs), c.op(c.unknown)
			if e1 == nil || e2 == nil {
				t.Fatalf("%s: errors %v and %v, want both refused", c.why, e1, e2)
			}
			norm := func(err error, name string) string { return strings.ReplaceAll(err.Error(), name, "<name>") }
			got1, got2 := norm(e1, c.theirs), norm(e2, c.unknown)
			if c.name == "attach from bin line" {
				got1 = strings.ReplaceAll(e1.Error(), strconv.FormatUint(shipped[1].ID, 10), "<name>")
				got2 = strings.ReplaceAll(e2.Error(), "999999", "<name>")
			}
			if d := cmp.Diff(got2, got1); d != "" {
				t.Fatalf("%s: another partner's object answers differently from an unknown one (-unknown +theirs):\n%s", c.why, d)
			}
			for _, s := range secrets {
				if s != c.theirs && strings.Contains(e1.Error(), s) {
					t.Fatalf("%s: message %q names %q", c.why, e1, s)
				}
			}
		})
	}
}

// TestScope_ReadsNeedTheLMSUserRole checks that a user without roles reads nothing.
func TestScope_ReadsNeedTheLMSUserRole(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}))
	ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: "noroles@distx", Name: "No Roles", Partner: f.DistP}))
	nr := entitlement.Actor{User: "noroles@distx"}
	for name, op := range map[string]func() error{
		"Customers":       func() error { _, err := l.Customers(ctx, nr, ""); return err },
		"Locations":       func() error { _, err := l.Locations(ctx, nr, loc.Customer); return err },
		"Location":        func() error { _, err := l.Location(ctx, nr, loc.ID); return err },
		"SearchLocations": func() error { _, err := l.SearchLocations(ctx, nr, "", 0); return err },
		"LookupHWKC":      func() error { _, err := l.LookupHWKC(ctx, nr, loc.HWKC); return err },
		"LookupSKC":       func() error { _, _, err := l.LookupSKC(ctx, nr, att[0].SKC); return err },
		"LookupOrder":     func() error { _, err := l.LookupOrder(ctx, nr, "PO1"); return err },
	} {
		if err := op(); !errors.Is(err, entitlement.ErrNotAllowed) {
			t.Errorf("%s by a user without roles: got %v, want ErrNotAllowed", name, err)
		}
		// The same reads succeed for the partner's LMS user, so the refusal is the role's.
	}
	if _, err := l.LookupOrder(ctx, f.Dist, "PO1"); err != nil {
		t.Fatalf("order lookup by the LMS user: %v", err)
	}
}
