// Package extop holds what the packages built on the ledger's extension point (the second
// vendor's workflows) share: operations that return a value, and the roles those packages define
// for the vendor's own staff (the pre-sales approvers, the deal-registration approvers), kept in
// each package's own extension bucket and granted by an administrator. A package grants a staff
// role in one audited operation, and asks in a read whether the actor is its staff:
//
//	// An administrator grants the role: one audited operation that returns the roles held.
//	held, err := extop.Update(ctx, l, admin, "grant approver", func(x *entitlement.Op) (uint32, error) {
//		if err := extop.SetRoles(x, rolesBucket, "ann@vendor", roleApprover, roleApprover, roleName); err != nil {
//			return 0, err
//		}
//		return extop.Roles(x, rolesBucket, "ann@vendor")
//	})
//	if err != nil {
//		return err
//	}
//
//	// A read for an LMS user: may the actor approve?
//	staff, err := extop.View(ctx, l, actor, "approvals", "see approvals", func(x *entitlement.Op) (bool, error) {
//		return extop.Staff(x, rolesBucket, roleApprover)
//	})
//	if err != nil {
//		return err
//	}
//
// The package's Example runs it on a ledger in memory. [Update] and [View] wrap the ledger's
// Update and View for an operation that returns a value; [SetRoles] grants (or, with no roles,
// withdraws) a vendor user's roles as an administrator's act; [Roles], [Staff] and [Holds] read
// them. [Staff] counts an administrator as staff; [Holds] asks for the role itself, and neither
// counts an actor acting through impersonation.
package extop

import (
	"context"

	"github.com/lmskit/lmskit/entitlement"
)

// Update runs fn as one audited operation of the ledger (entitlement.Ledger.Update) and returns
// its result; the result of a run the store repeats is the last run's.
func Update[T any](ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, name string, fn func(x *entitlement.Op) (T, error)) (T, error) {
	var out T
	err := l.Update(ctx, a, name, func(x *entitlement.Op) error {
		var err error
		out, err = fn(x)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// View runs fn as a read-only operation for an LMS user (or administrator): what describes the
// read in a refusal ("see entitlements").
func View[T any](ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, name, what string, fn func(x *entitlement.Op) (T, error)) (T, error) {
	var out T
	err := l.View(ctx, a, name, func(x *entitlement.Op) error {
		if err := x.LMSUser(what); err != nil {
			return err
		}
		var err error
		out, err = fn(x)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
