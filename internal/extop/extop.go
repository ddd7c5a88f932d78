// Package extop holds what the packages built on the ledger's extension point (the second
// vendor's workflows) share: operations that return a value, and the roles those packages define
// for the vendor's own staff (the pre-sales approvers, the deal-registration approvers), kept in
// each package's own extension bucket and granted by an administrator.
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
