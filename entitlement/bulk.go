package entitlement

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultBulkWorkers is the number of items [Bulk] runs at once when workers is 0: enough
// that a log sync is shared by dozens of operations.
const DefaultBulkWorkers = 64

// Bulk is the bulk path: it runs the items of a bulk load, op(ctx, i) for every i in [0, n),
// from workers goroutines at once (0 means [DefaultBulkWorkers]), so that the store's group
// commit writes the operations of many items with one log sync. An item is whatever a caller
// loads as a unit, typically a few ledger operations in order (ship an order, create its
// location, attach, activate).
//
// Nothing about an operation changes: each ledger operation an item makes is its own transaction
// with the same rules, actor checks and audit record as when called alone, all or nothing; the
// operations of one item run in the order op makes them, and items run in no particular order
// relative to each other (items that depend on each other belong in one item). Bulk returns
// once every started item has finished, with each item's error by index (nil for success; the
// operations an item made before its error stay done, as when called one at a time). When ctx
// is canceled no further item starts, and those not started report ctx's error.
//
// A panic in op is Bulk's caller's, as if op had been called there: no further item starts, and
// once the items under way have finished Bulk panics with the same value in the caller's
// goroutine (where a recover, an HTTP server's say, can catch it; a panic in a goroutine of
// Bulk's own would end the process).
//
// Bulk needs a store whose Update calls from many goroutines share a sync, as [OpenFile]'s
// does; on another store it still runs the items concurrently.
func Bulk(ctx context.Context, n, workers int, op func(ctx context.Context, i int) error) []error {
	if workers <= 0 {
		workers = DefaultBulkWorkers
	}
	n = max(n, 0) // [0, n) is empty
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, &p)
				}
			}()
			for panicked.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				errs[i] = op(ctx, i)
			}
		}()
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
	return errs
}
