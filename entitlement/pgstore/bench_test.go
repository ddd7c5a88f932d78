package pgstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// BenchmarkConcurrentAttach8 attaches one seat per operation from 8 goroutines, each onto its own
// location, all from one shared bin line, on PostgreSQL at SERIALIZABLE isolation: conflicting
// attaches fail serialization and are retried. The test cluster runs with fsync off, so this
// measures the transaction and retry cost, not durability.
func BenchmarkConcurrentAttach8(b *testing.B) {
	if connString == "" {
		b.Skip("no PostgreSQL")
	}
	ctx := context.Background()
	s := openB(b)
	f := storetest.NewFixture(b, s, 3)
	l := f.L
	shipped, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "BIG", SO: "BIG", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1e9}}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var locs [8]string
	for i := range locs {
		loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "b", System: "SV8100", HWKC: fmt.Sprintf("19%010d", i)})
		if err != nil {
			b.Fatal(err)
		}
		locs[i] = loc.ID
	}
	var next atomic.Int32
	b.ReportAllocs()
	b.SetParallelism(4) // 4 × GOMAXPROCS (2 here) = 8 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		loc := locs[int(next.Add(1)-1)%8]
		for pb.Next() {
			if _, err := l.Attach(ctx, f.Dist, loc, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func openB(b *testing.B) entitlement.Store {
	name := fmt.Sprintf("lmskit_bench_%d", tables.Add(1))
	s, err := pgstoreOpen(name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
