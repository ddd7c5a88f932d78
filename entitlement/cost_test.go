package entitlement_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// countingStore counts the keys every transaction touches (gets, puts, deletes, keys visited by
// scans), so the test can show that an operation's cost does not grow with the ledger.
type countingStore struct {
	entitlement.Store
	n int
}

type countingTx struct {
	entitlement.Tx
	s *countingStore
}

func (s *countingStore) Update(ctx context.Context, fn func(entitlement.Tx) error) error {
	return s.Store.Update(ctx, func(tx entitlement.Tx) error { return fn(countingTx{tx, s}) })
}

func (s *countingStore) View(ctx context.Context, fn func(entitlement.Tx) error) error {
	return s.Store.View(ctx, func(tx entitlement.Tx) error { return fn(countingTx{tx, s}) })
}

func (t countingTx) Get(b, k string) ([]byte, bool, error) { t.s.n++; return t.Tx.Get(b, k) }
func (t countingTx) Put(b, k string, v []byte) error       { t.s.n++; return t.Tx.Put(b, k, v) }
func (t countingTx) Delete(b, k string) error              { t.s.n++; return t.Tx.Delete(b, k) }
func (t countingTx) ScanFrom(b, p, s string, fn func(string, []byte) (bool, error)) error {
	return t.Tx.ScanFrom(b, p, s, func(k string, v []byte) (bool, error) { t.s.n++; return fn(k, v) })
}
func (t countingTx) Scan(b, p string, fn func(string, []byte) (bool, error)) error {
	return t.Tx.Scan(b, p, func(k string, v []byte) (bool, error) { t.s.n++; return fn(k, v) })
}

// TestCostIndependentOfLedgerSize measures the keys touched by each operation of one partner on a
// small ledger and on one where other partners hold 200 locations with lines: they must be equal.
func TestCostIndependentOfLedgerSize(t *testing.T) {
	measure := func(otherLocations int) map[string]int {
		cs := &countingStore{Store: entitlement.NewMemStore()}
		f := storetest.NewFixture(t, cs, 21)
		l := f.L
		// One location more on each ledger: what an operation reads the first time a ledger
		// runs it (a counter's old place, an actor's resolution that the ledger then keeps) is
		// behind both measurements.
		for i := range otherLocations + 1 {
			loc := newLocation(t, f, f.Other, "SV8100", fmt.Sprintf("19%010d", 5000+i))
			s := shipSV8100(t, f, f.OtherP, fmt.Sprint("OPO", i))
			must[[]entitlement.Line](t)(l.Attach(ctx, f.Other, loc.ID, picksAll(s)))
			if i%2 == 0 {
				must[entitlement.Issued](t)(l.Activate(ctx, f.Other, loc.ID, entitlement.Activation{AcceptAgreement: true}))
			}
		}
		cost := map[string]int{}
		run := func(name string, fn func()) {
			cs.n = 0
			fn()
			cost[name] = cs.n
		}
		var shipped []entitlement.ShippedLine
		run("ship", func() { shipped = shipSV8100(t, f, f.DistP, "PO1") })
		var cust entitlement.Customer
		run("create customer", func() {
			cust = must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
		})
		var loc entitlement.Location
		run("create location", func() {
			loc = must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "l", System: "SV8100", HWKC: "191000343919"}))
		})
		var lines []entitlement.Line
		run("attach", func() { lines = must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped))) })
		run("detach", func() { ok(t, l.Detach(ctx, f.Dist, loc.ID, []string{lines[0].SKC})) })
		run("activate", func() {
			must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
		})
		run("regenerate", func() { must[entitlement.Issued](t)(l.Regenerate(ctx, f.Dist, loc.ID)) })
		run("lookup hwkc", func() { must[entitlement.LocationView](t)(l.LookupHWKC(ctx, f.Dist, "191000343919")) })
		run("lookup skc", func() { _, _, err := l.LookupSKC(ctx, f.Dist, lines[1].SKC); ok(t, err) })
		run("lookup po", func() { must[entitlement.OrderDetails](t)(l.LookupOrder(ctx, f.Dist, "PO1")) })
		run("bin", func() { must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist)) })
		run("reship", func() {
			must[entitlement.Reshipment](t)(l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "R", SO: "R",
				Picks: []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}}))
		})
		run("resold", func() { must[[]entitlement.Reshipment](t)(l.Resold(ctx, f.Dist, 1)) })
		run("demo", func() { must[entitlement.Issued](t)(l.GenerateDemo(ctx, f.Dist, loc.ID)) })
		run("recently activated", func() { must[[]entitlement.Line](t)(l.RecentlyActivated(ctx, f.Dist, 5)) })
		run("audit page", func() {
			head, _, err := l.AuditHead(ctx)
			ok(t, err)
			if got := must[[]entitlement.AuditRecord](t)(l.Audit(ctx, f.Admin, head-5, 3)); len(got) != 3 || got[0].Seq != head-4 {
				t.Fatalf("audit page after %d: %d records from %d", head-5, len(got), got[0].Seq)
			}
		})
		run("admin search by hwkc", func() { must[[]entitlement.Location](t)(l.SearchLocations(ctx, f.Admin, "1910003439", 0)) })
		return cost
	}
	small, large := measure(0), measure(200)
	for op, n := range small {
		if large[op] != n {
			t.Errorf("%s touches %d keys on a small ledger and %d with 200 more locations of another partner", op, n, large[op])
		}
	}
	t.Logf("keys touched per operation: %v", small)
}
