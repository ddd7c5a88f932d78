package entitlement_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/cborx"
)

// The ledger reuses an actor's resolution (user, impersonation, partner) while no operation has
// changed users, partners or allowances. These tests play the attacks on that reuse: a user whose
// role or allowance is taken away acting at once afterwards, through the ledger that resolved it
// before, through another ledger on the same store, and after a rolled-back transaction that
// resolved a user who was then created differently.

// TestActorCache_RoleTakenAwayActsAtOnce: a role taken away by another ledger on the same store
// (another server on one PostgreSQL database) ends at once on the ledger that resolved the user.
func TestActorCache_RoleTakenAwayActsAtOnce(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	other := entitlement.New(s, entitlement.Config{})
	for _, changer := range []*entitlement.Ledger{f.L, other} {
		ok(t, changer.SetRoles(ctx, f.Admin, "ed@distx", entitlement.RoleLMSUser))
		if _, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "allowed"}); err != nil {
			t.Fatal(err)
		}
		ok(t, changer.SetRoles(ctx, f.Admin, "ed@distx", 0))
		if _, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "refused"}); !errors.Is(err, entitlement.ErrNotAllowed) {
			t.Fatalf("a user without the LMS user role created a customer: %v", err)
		}
		if _, _, err := f.L.Whoami(ctx, f.Dist); err != nil {
			t.Fatal(err)
		}
	}
}

// TestActorCache_AllowanceRevokedActsAtOnce: impersonation ends with the allowance, on a ledger
// that resolved the impersonating actor before.
func TestActorCache_AllowanceRevokedActsAtOnce(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	imp := entitlement.Actor{User: "ed@distx", As: "dealer@y"}
	if _, err := f.L.CreateCustomer(ctx, imp, entitlement.Customer{Name: "as dealer"}); err != nil {
		t.Fatal(err)
	}
	ok(t, entitlement.New(s, entitlement.Config{}).SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	if _, err := f.L.CreateCustomer(ctx, imp, entitlement.Customer{Name: "refused"}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("impersonation without the allowance: %v", err)
	}
}

// TestActorCache_RolledBackResolutionNotKept: an Idempotent transaction adds a user as an
// administrator and acts as that user, then fails and is rolled back. The next operation adds the
// same user with no role, at the same place in the audit chain: that user must not act with the
// roles of the rolled-back one.
func TestActorCache_RolledBackResolutionNotKept(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	ghost := entitlement.Actor{User: "ghost@vendor"}
	failed := errors.New("the request failed after acting")
	_, _, err := f.L.Idempotent(ctx, f.Admin, entitlement.IdempotencyKey{Key: "k1", Fingerprint: []byte("f")},
		func(ctx context.Context) (entitlement.Response, error) {
			if err := f.L.AddUser(ctx, f.Admin, entitlement.User{ID: ghost.User, Name: "Ghost", Partner: "vendor", Roles: entitlement.RoleAdmin | entitlement.RoleLMSUser}); err != nil {
				return entitlement.Response{}, err
			}
			if _, err := f.L.CreateCustomer(ctx, ghost, entitlement.Customer{Name: "by the ghost"}); err != nil {
				return entitlement.Response{}, err
			}
			return entitlement.Response{}, failed
		})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	ok(t, f.L.AddUser(ctx, f.Admin, entitlement.User{ID: ghost.User, Name: "Ghost", Partner: "vendor"}))
	if _, err := f.L.CreateCustomer(ctx, ghost, entitlement.Customer{Name: "refused"}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a user without roles acted with the roles of a rolled-back one: %v", err)
	}
	if err := f.L.AddPartner(ctx, ghost, entitlement.Partner{ID: "p", Name: "P", Kind: entitlement.KindDealer}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a user without roles acted as an administrator: %v", err)
	}
}

// TestActorCache_WriterThatKeepsNoGeneration: a writer that changes a user and leaves the audit
// head without the actors' generation (code from before the generation was kept) ends the reuse:
// the next operation resolves the user again.
func TestActorCache_WriterThatKeepsNoGeneration(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	// The older writer: the user's roles set, the head rewritten with its sequence number and
	// hash only.
	olderWriter := func(roles entitlement.Role) {
		ok(t, s.Update(ctx, func(tx entitlement.Tx) error {
			if err := tx.Put("users", "ed@distx", cborUser(t, entitlement.User{ID: "ed@distx", Name: "Ed Distributor X", Partner: "distx", Roles: roles})); err != nil {
				return err
			}
			head, _, err := tx.Get("meta", "audit/head")
			if err != nil {
				return err
			}
			return tx.Put("meta", "audit/head", headWithoutGeneration(t, head))
		}))
	}
	olderWriter(entitlement.RoleLMSUser)
	if _, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "allowed"}); err != nil {
		t.Fatal(err)
	}
	olderWriter(0)
	if _, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "refused"}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a user whose roles an older writer took away still acted: %v", err)
	}
}

// cborUser encodes a user record as the ledger stores it.
func cborUser(t *testing.T, u entitlement.User) []byte {
	t.Helper()
	b, err := cborx.EncMode().Marshal(u)
	ok(t, err)
	return b
}

// headWithoutGeneration is the audit head b without the actors' generation (key 3).
func headWithoutGeneration(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[uint64]any
	ok(t, cbor.Unmarshal(b, &m))
	if _, has := m[3]; !has {
		t.Fatalf("the head %x has no generation", b)
	}
	delete(m, 3)
	out, err := cborx.EncMode().Marshal(m)
	ok(t, err)
	return out
}
