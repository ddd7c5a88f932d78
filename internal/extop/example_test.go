package extop_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/extop"
)

// The staff role of a package built on the ledger, kept in the package's own extension bucket.
const (
	rolesBucket         = "example.roles"
	roleApprover uint32 = 1 << 0
)

// roleName names roles in the audit record.
func roleName(r uint32) string {
	if r&roleApprover != 0 {
		return "approver"
	}
	return "none"
}

// An administrator grants a vendor user the package's approver role; the user is then the
// package's staff, and a partner's user is not. This is the package documentation's snippet.
func Example() {
	if err := staffRoles(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// ann@vendor holds roles 0x1
	// ann@vendor is staff: true
	// ed@dealer is staff: false
}

func staffRoles() error {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Clock: storetest.FixedClock{T: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}})
	admin, ann, ed := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ann@vendor"}, entitlement.Actor{User: "ed@dealer"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "dealer", Name: "Dealer", Kind: entitlement.KindDealer}); err != nil {
		return err
	}
	for _, u := range []entitlement.User{{ID: ann.User, Name: "Ann", Partner: "vendor", Roles: entitlement.RoleLMSUser},
		{ID: ed.User, Name: "Ed", Partner: "dealer", Roles: entitlement.RoleLMSUser}} {
		if err := l.AddUser(ctx, admin, u); err != nil {
			return err
		}
	}

	// An administrator grants the role: one audited operation that returns the roles held.
	held, err := extop.Update(ctx, l, admin, "grant approver", func(x *entitlement.Op) (uint32, error) {
		if err := extop.SetRoles(x, rolesBucket, "ann@vendor", roleApprover, roleApprover, roleName); err != nil {
			return 0, err
		}
		return extop.Roles(x, rolesBucket, "ann@vendor")
	})
	if err != nil {
		return err
	}
	fmt.Printf("ann@vendor holds roles %#x\n", held)

	for _, actor := range []entitlement.Actor{ann, ed} {
		// A read for an LMS user: may the actor approve?
		staff, err := extop.View(ctx, l, actor, "approvals", "see approvals", func(x *entitlement.Op) (bool, error) {
			return extop.Staff(x, rolesBucket, roleApprover)
		})
		if err != nil {
			return err
		}
		fmt.Printf("%s is staff: %v\n", actor.User, staff)
	}
	return nil
}
