package entitlement_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

var sizeN = flag.Int("size", 100000, "locations of the large ledger of BenchmarkCostAtSize")

// sizeRun numbers BenchmarkCostAtSize's measurements (their codes and order numbers are new).
var sizeRun int

// BenchmarkCostAtSize is TestCostIndependentOfLedgerSize at scale: one partner's operations on a
// ledger where another partner holds -size locations (default 100,000: each with a line of a
// 10-line order attached, every other one activated, so the ledger holds as many shipped lines,
// location lines, files and audit records) beside the same operations on a ledger without
// them, in interleaved rounds (-rounds), on the file store without syncs (the cost of the ledger and the engine, not
// of the disk). Each reports its time, the process's CPU time and the keys the operation touches
// (gets, puts, deletes and keys visited by scans) per operation: the keys must be the same at
// both sizes, and the time grows only with the engine's O(log n) per key. Building the large
// ledger takes a few minutes:
//
//	go test -run '^$' ./entitlement/ -bench CostAtSize -benchtime 2000x -rounds 3 -timeout 60m
func BenchmarkCostAtSize(b *testing.B) {
	type ledger struct {
		name string
		cs   *countingStore
		f    *storetest.Fixture
	}
	var ledgers []ledger
	for _, n := range []int{0, *sizeN} {
		s := openBench(b, true)
		f := storetest.NewFixture(b, s, 7)
		cust := must[entitlement.Customer](b)(f.L.CreateCustomer(ctx, f.Other, entitlement.Customer{Name: "other"}))
		errs := entitlement.Bulk(ctx, (n+9)/10, 0, func(ctx context.Context, i int) error {
			ord := entitlement.Order{Partner: f.OtherP, PO: fmt.Sprint("SIZE", i), SO: "SO"}
			for range 10 {
				ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: "BE107585", Qty: 4})
			}
			shipped, err := f.L.Ship(ctx, f.Admin, ord)
			if err != nil {
				return err
			}
			for j := range min(10, n-10*i) {
				loc, err := f.L.CreateLocation(ctx, f.Other, entitlement.Location{Customer: cust.ID, Name: "other", System: "SV8100", HWKC: fmt.Sprintf("190%09d", 10*i+j)})
				if err != nil {
					return err
				}
				if _, err := f.L.Attach(ctx, f.Other, loc.ID, []entitlement.Pick{{Line: shipped[j].ID, Qty: 2}}); err != nil {
					return err
				}
				if j%2 == 0 {
					if _, err := f.L.Activate(ctx, f.Other, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		for i, err := range errs {
			if err != nil {
				b.Fatalf("building %d locations, item %d: %v", n, i, err)
			}
		}
		// The operations measured run on the same store through a counter of the keys they touch,
		// with a ledger of their own randomness (new codes and ids).
		cs := &countingStore{Store: s}
		ledgers = append(ledgers, ledger{fmt.Sprintf("locations-%d", n), cs, storetest.NewFixture(b, cs, 8)})
	}
	type opFunc func(b *testing.B, f *storetest.Fixture) func(i int)
	runs := 0 // numbers the measurements, for their new codes and order numbers
	ops := []struct {
		name string
		prep opFunc // returns the operation for i in [0, b.N), prepared outside the timer
	}{
		{"Ship", func(b *testing.B, f *storetest.Fixture) func(int) {
			return func(i int) {
				must[[]entitlement.ShippedLine](b)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("S", sizeRun, "-", i), SO: "SO",
					Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1}}}))
			}
		}},
		{"CreateLocation", func(b *testing.B, f *storetest.Fixture) func(int) {
			cust := must[entitlement.Customer](b)(f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "measured"}))
			return func(i int) {
				must[entitlement.Location](b)(f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "m", System: "SV8100",
					HWKC: fmt.Sprintf("1917%03d%05d", sizeRun%1000, i)}))
			}
		}},
		{"AttachOne", func(b *testing.B, f *storetest.Fixture) func(int) {
			big := must[[]entitlement.ShippedLine](b)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("A", sizeRun), SO: "SO",
				Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: int64(b.N)}}}))
			locs := measuredLocations(b, f, "16", (b.N+perLocation-1)/perLocation)
			return func(i int) {
				must[[]entitlement.Line](b)(f.L.Attach(ctx, f.Dist, locs[i/perLocation], []entitlement.Pick{{Line: big[0].ID, Qty: 1}}))
			}
		}},
		{"ActivateOne", func(b *testing.B, f *storetest.Fixture) func(int) {
			big := must[[]entitlement.ShippedLine](b)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("B", sizeRun), SO: "SO",
				Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: int64(b.N)}}}))
			locs := measuredLocations(b, f, "15", b.N)
			for _, loc := range locs {
				must[[]entitlement.Line](b)(f.L.Attach(ctx, f.Dist, loc, []entitlement.Pick{{Line: big[0].ID, Qty: 1}}))
			}
			return func(i int) {
				must[entitlement.Issued](b)(f.L.Activate(ctx, f.Dist, locs[i], entitlement.Activation{AcceptAgreement: true}))
			}
		}},
		{"LookupHWKC", func(b *testing.B, f *storetest.Fixture) func(int) {
			locs := measuredLocations(b, f, "14", 1)
			hw := must[entitlement.LocationView](b)(f.L.Location(ctx, f.Dist, locs[0])).HWKC
			return func(int) { must[entitlement.LocationView](b)(f.L.LookupHWKC(ctx, f.Dist, hw)) }
		}},
		{"RecentlyAttached", func(b *testing.B, f *storetest.Fixture) func(int) {
			return func(int) { must[[]entitlement.Line](b)(f.L.RecentlyAttached(ctx, f.Dist, 20)) }
		}},
		// The incremental check: conservation and the audit chain from a checkpoint taken
		// before 20 attaches of one seat, which is what it reads whatever the ledger's size.
		{"CheckFromCheckpoint", func(b *testing.B, f *storetest.Fixture) func(int) {
			start := time.Now()
			cp := must[entitlement.Checkpoint](b)(f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{}))
			b.Logf("the full check (the zero checkpoint) of this ledger: %v", time.Since(start))
			big := must[[]entitlement.ShippedLine](b)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("C", sizeRun), SO: "SO",
				Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 20}}}))
			locs := measuredLocations(b, f, "13", 1)
			for range 20 {
				must[[]entitlement.Line](b)(f.L.Attach(ctx, f.Dist, locs[0], []entitlement.Pick{{Line: big[0].ID, Qty: 1}}))
			}
			return func(int) {
				if next := must[entitlement.Checkpoint](b)(f.L.CheckConservationFrom(ctx, cp)); next.Seq != cp.Seq+23 {
					b.Fatalf("checked up to %d, want %d (the checkpoint's %d and 23 operations)", next.Seq, cp.Seq+23, cp.Seq)
				}
			}
		}},
	}
	for r := range *rounds {
		for _, op := range ops {
			for _, l := range ledgers {
				b.Run(fmt.Sprintf("round%d/%s/%s", r+1, op.name, l.name), func(b *testing.B) {
					runs++
					sizeRun = runs
					run := op.prep(b, l.f)
					l.cs.n = 0
					b.ReportAllocs()
					b.ResetTimer()
					cpu0 := cpuTime()
					for i := range b.N {
						run(i)
					}
					b.StopTimer()
					reportCPU(b, cpu0)
					b.ReportMetric(float64(l.cs.n)/float64(b.N), "keys/op")
				})
			}
		}
	}
}

// measuredLocations creates n locations of the distributor for a measurement (at most 100,000),
// their codes starting with 19 and prefix (2 digits).
func measuredLocations(b *testing.B, f *storetest.Fixture, prefix string, n int) []string {
	cust := must[entitlement.Customer](b)(f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "measured " + prefix}))
	locs := make([]string, n)
	for i := range locs {
		locs[i] = must[entitlement.Location](b)(f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "m", System: "SV8100",
			HWKC: fmt.Sprintf("19%s%03d%05d", prefix, sizeRun%1000, i)})).ID
	}
	return locs
}
