package entitlement_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
)

// TestCustomerAndLocationAdministration: edit a customer and a location, list and search, child
// locations, and a role revoked by the administrator takes effect at the next operation.
func TestCustomerAndLocationAdministration(t *testing.T) {
	f := newFixture(t)
	l := f.L
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business", Reference: "C-1"}))
	c.Name, c.Address, c.Email = "Tons Business BV", "Anton Philipsweg 1, Hilversum", "it@tons.example"
	ok(t, l.EditCustomer(ctx, f.Dist, c))
	got := must[[]entitlement.Customer](t)(l.Customers(ctx, f.Dist, "tons"))
	if d := cmp.Diff([]entitlement.Customer{c}, got); d != "" {
		t.Fatalf("customer after edit (-want +got):\n%s", d)
	}
	if err := l.EditCustomer(ctx, f.Other, c); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner edits the customer: %v", err)
	}
	parent := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Main SV8500",
		System: "SV8500", HWKC: "22E76E11299790CBCA0724859BI4", Verticals: []string{"Healthcare"}}))
	child := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Parent: parent.ID, Name: "LMC",
		System: "LMC", HWKC: "LM22E76E11299790CBCA0724859BI4"}))
	edit := entitlement.LocationEdit{Name: "Main SV8500 (Hilversum)", Address: "Anton Philipsweg 1", Reference: "site 7",
		CustomerEmail: "it@tons.example", DealerEmail: "lms@distx.example", Verticals: []string{"Healthcare", "Education"}}
	ok(t, l.EditLocation(ctx, f.Dist, parent.ID, edit))
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, parent.ID))
	if v.Name != edit.Name || v.DealerEmail != edit.DealerEmail || len(v.Verticals) != 2 || v.HWKC != parent.HWKC || v.System != "SV8500" {
		t.Fatalf("location after edit: %+v", v.Location)
	}
	if len(v.Children) != 1 || v.Children[0].ID != child.ID {
		t.Fatalf("children: %+v", v.Children)
	}
	locs := must[[]entitlement.Location](t)(l.Locations(ctx, f.Dist, c.ID))
	if len(locs) != 2 {
		t.Fatalf("customer has %d locations", len(locs))
	}
	// Secondary code: both codes are taken.
	app := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Appliance",
		System: "SV9500 Appliance Server", HWKC: "A_3565-A9C3-0842-67EF-2E44-A473-6DI2", SecondaryHWKC: "3565ACE34C8C5745F64708D363FK"}))
	if app.HWKC != "3565A9C3084267EF2E44A4736DI2" {
		t.Fatalf("QR form not normalised by keycode: %q", app.HWKC)
	}
	if v := must[entitlement.LocationView](t)(l.LookupHWKC(ctx, f.Dist, "3565ACE34C8C5745F64708D363FK")); v.ID != app.ID {
		t.Fatal("lookup by the secondary code")
	}
	if _, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "dup", System: "SV9500 Appliance Server",
		HWKC: "3565ACE34C8C5745F64708D363FK"}); !errors.Is(err, entitlement.ErrExists) {
		t.Fatalf("a secondary code reused as primary: %v", err)
	}
	// Revoking the LMS user role takes effect at once.
	ok(t, l.SetRoles(ctx, f.Admin, "ed@distx", 0))
	if _, err := l.Bin(ctx, f.Dist); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("bin after the role was revoked: %v", err)
	}
	if err := l.SetRoles(ctx, f.Admin, "ed@distx", entitlement.RoleAdmin); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("administrator role for a distributor user: %v", err)
	}
}
