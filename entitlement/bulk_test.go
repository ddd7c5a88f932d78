package entitlement_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// TestBulk loads items through Bulk on the durable store, where every fifth item asks to
// attach more than its order shipped: those items report the refusal at their index, their
// refused attach changes nothing (the shipment before it stays, whole), every other item is
// complete, and the audit chain and conservation hold.
func TestBulk(t *testing.T) {
	s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "ledger"), nil)
	ok(t, err)
	defer s.Close()
	f := storetest.NewFixture(t, s, 31)
	l := f.L
	cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "import"})
	ok(t, err)
	head0, _, err := l.AuditHead(ctx)
	ok(t, err)
	const n = 60
	errs := entitlement.Bulk(ctx, n, 16, func(ctx context.Context, i int) error {
		shipped, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("IMP", i), SO: "SO",
			Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 4}, {Part: "BE107582", Qty: 2}}})
		if err != nil {
			return err
		}
		loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "import", System: "SV8100", HWKC: fmt.Sprintf("19%010d", 700+i)})
		if err != nil {
			return err
		}
		picks := picksAll(shipped)
		if i%5 == 0 {
			picks[1].Qty++ // more than the bin holds: refused whole
		}
		_, err = l.Attach(ctx, f.Dist, loc.ID, picks)
		return err
	})
	if len(errs) != n {
		t.Fatalf("%d errors for %d items", len(errs), n)
	}
	for i, err := range errs {
		if (err != nil) != (i%5 == 0) {
			t.Fatalf("item %d: %v", i, err)
		}
		d, lerr := l.LookupOrder(ctx, f.Admin, fmt.Sprint("IMP", i))
		ok(t, lerr)
		for _, ln := range d.Shipped {
			want := int64(0)
			if i%5 == 0 {
				want = ln.Shipped
			}
			if ln.InBin != want {
				t.Fatalf("item %d (error %v): line %s has %d in the bin, want %d", i, err, ln.Part, ln.InBin, want)
			}
		}
	}
	ok(t, entitlement.CheckConservation(ctx, s))
	head, _, err := l.AuditHead(ctx)
	ok(t, err)
	if want := head0 + n*2 + n*4/5; head != want { // ship and create for every item, attach for 4 of 5
		t.Fatalf("audit head %d after the import, want %d (one record per operation that committed)", head, want)
	}
	if _, err := l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBulk_Canceled: once ctx is canceled no further item starts; those report ctx's error.
func TestBulk_Canceled(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make([]bool, 10)
	errBad := errors.New("item 2 failed")
	errs := entitlement.Bulk(cctx, 10, 1, func(ctx context.Context, i int) error {
		ran[i] = true
		if i == 2 {
			cancel()
			return errBad
		}
		return nil
	})
	for i, err := range errs {
		switch {
		case i < 2 && (err != nil || !ran[i]):
			t.Fatalf("item %d: ran %v, %v", i, ran[i], err)
		case i == 2 && !errors.Is(err, errBad):
			t.Fatalf("item 2: %v, want its own error", err)
		case i > 2 && (ran[i] || !errors.Is(err, context.Canceled)):
			t.Fatalf("item %d after the cancel: ran %v, %v", i, ran[i], err)
		}
	}
	for _, n := range []int{0, -1} { // [0, n) is empty: no item runs (-1 made Bulk panic)
		if errs := entitlement.Bulk(ctx, n, 0, func(context.Context, int) error { return errBad }); len(errs) != 0 {
			t.Fatalf("%d items: %v", n, errs)
		}
	}
}

// TestBulk_Panic: a panic in one item reaches Bulk's caller with its value, as it would calling
// the item itself (before, it ended the process from a goroutine of Bulk's); no item starts after
// it, and the items under way finish first.
func TestBulk_Panic(t *testing.T) {
	recovered := func(n, workers int, op func(ctx context.Context, i int) error) (p any) {
		defer func() { p = recover() }()
		entitlement.Bulk(ctx, n, workers, op)
		return nil
	}
	// One worker: the items after the panicking one never start.
	var started atomic.Int64
	got := recovered(10, 1, func(_ context.Context, i int) error {
		started.Add(1)
		if i == 2 {
			panic("item 2 is broken")
		}
		return nil
	})
	if got != "item 2 is broken" || started.Load() != 3 {
		t.Fatalf("Bulk's caller recovered %v after %d items started, want item 2's panic after 3", got, started.Load())
	}
	// Four workers, three of them held in their items until the fourth panics: Bulk panics
	// only once the three have finished.
	var held, finished atomic.Int64
	release := make(chan struct{})
	got = recovered(100, 4, func(_ context.Context, i int) error {
		if i >= 3 {
			if i == 5 {
				close(release)
				panic("item 5 is broken")
			}
			return nil
		}
		held.Add(1)
		<-release
		finished.Add(1)
		return nil
	})
	if got != "item 5 is broken" || held.Load() != 3 || finished.Load() != 3 {
		t.Fatalf("Bulk's caller recovered %v with %d of %d held items finished, want item 5's panic after all 3", got, finished.Load(), held.Load())
	}
}
