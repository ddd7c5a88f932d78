package entitlement_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/entitlement"
)

// TestSetRoles_SameChecksAsAddUser checks that SetRoles refuses what AddUser refuses, and that
// the last administrator keeps the role.
func TestSetRoles_SameChecksAsAddUser(t *testing.T) {
	f := newFixture(t)
	l := f.L
	admin := f.Admin.User
	for _, c := range []struct {
		name, why string
		user      string
		roles     entitlement.Role
		want      error
	}{
		{"admin role to a dealer user", "the administrator role is the vendor's", "dealer@y", entitlement.RoleAdmin | entitlement.RoleLMSUser, entitlement.ErrInvalid},
		{"SWA Distributor Admin to a dealer user", "AddUser refuses it; SetRoles skipped the check", "dealer@y", entitlement.RoleSWADistributor, entitlement.ErrInvalid},
		{"unknown role bits", "only defined roles", "dealer@y", 0x80, entitlement.ErrInvalid},
		{"last administrator loses the role", "nobody would be left to manage the ledger", admin, entitlement.RoleLMSUser, entitlement.ErrState},
		{"unknown user", "nothing to change", "nobody@x", entitlement.RoleLMSUser, entitlement.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
			if err := l.SetRoles(ctx, f.Admin, c.user, c.roles); !errors.Is(err, c.want) {
				t.Fatalf("%s: got %v, want %v", c.why, err, c.want)
			}
			if d := cmp.Diff(before, must[entitlement.Snapshot](t)(l.Snapshot(ctx))); d != "" {
				t.Fatalf("%s: the refusal changed the ledger (-before +after):\n%s", c.why, d)
			}
		})
	}
	// With a second administrator the first may give the role up; then the second is the last.
	ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: "admin2@vendor", Name: "Second", Partner: "vendor",
		Roles: entitlement.RoleAdmin | entitlement.RoleLMSUser}))
	ok(t, l.SetRoles(ctx, f.Admin, admin, entitlement.RoleLMSUser))
	second := entitlement.Actor{User: "admin2@vendor"}
	if err := l.SetRoles(ctx, second, "admin2@vendor", entitlement.RoleLMSUser); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("the remaining administrator gave up the role: %v", err)
	}
	ok(t, l.SetRoles(ctx, second, "ed@distx", entitlement.RoleLMSUser|entitlement.RoleSWADistributor))
}
