package storetest

import (
	"context"
	"errors"

	"github.com/lmskit/lmskit/entitlement"
)

// errRetryRollback rolls back the first run of a retried update.
var errRetryRollback = errors.New("storetest: first run rolled back for a retry")

// Retrying wraps a store so that every Update runs fn twice, as the Store contract allows (a
// bbolt group commit or a PostgreSQL serialisation retry): the first run is rolled back whatever
// it returns, and the second run's result is what Update commits and returns. A ledger whose
// update functions keep an effect of an earlier call (a result slice appended to across calls, a
// captured argument written back) returns wrong results on this store.
func Retrying(s entitlement.Store) entitlement.Store { return retrying{s} }

type retrying struct{ entitlement.Store }

func (r retrying) Update(ctx context.Context, fn func(entitlement.Tx) error) error {
	err := r.Store.Update(ctx, func(tx entitlement.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRetryRollback
	})
	if err != nil && !errors.Is(err, errRetryRollback) && (errors.Is(err, entitlement.ErrClosed) || ctx.Err() != nil) {
		return err
	}
	return r.Store.Update(ctx, fn)
}
