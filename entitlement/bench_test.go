package entitlement_test

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

func openBench(b *testing.B, noSync bool) entitlement.Store {
	b.Helper()
	s, err := entitlement.OpenFile(filepath.Join(b.TempDir(), "bench.db"), &entitlement.FileOptions{UnsafeNoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkFloor_F is the floor of every durable operation, F: one 4 KiB write over the same block
// of a file on the same disk and its fdatasync (storetest.FloorF).
func BenchmarkFloor_F(b *testing.B) { storetest.FloorF(b) }

// BenchmarkFloor_FileStoreEmptyUpdate is one durable Update of the default store with one small
// put, on a fresh store.
func BenchmarkFloor_FileStoreEmptyUpdate(b *testing.B) { emptyUpdate(b, openBench(b, false)) }

func emptyUpdate(b *testing.B, s entitlement.Store) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte{byte(i)}) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor_Ed25519Sign is the floor of issuing: one bare Ed25519 signature over 4 KiB.
func BenchmarkFloor_Ed25519Sign(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	msg := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(key, msg)
	}
}

// bulkN is the number of locations of BenchmarkBulk10000x10 (fewer for a quick profile).
var bulkN = flag.Int("bulk", 10000, "locations of BenchmarkBulk10000x10")

var (
	rounds = flag.Int("rounds", 3, "interleaved rounds of BenchmarkVsF")
	states = flag.String("states", "fresh,steady,nosync,memstore", "stores BenchmarkVsF measures, in order")
)

// BenchmarkVsF measures the ledger's durable operations on entitlement.OpenFile with its default
// options beside F, in interleaved rounds (-rounds, default 3). Each round runs F, then on each
// store of -states: an empty update, a one-seat attach, attaches of one seat from 1, 8 and 64
// goroutines (each onto its own location from one shared bin line, so every attach conflicts on
// that line and on the audit head) and the activation and issue of a 50-line location; then F
// again. The stores: "fresh" (a new store), "steady" (a store in its steady state: its first
// write-ahead log files written and recycled, as in a ledger that has run a while), "nosync"
// (the same engine without syncs: the CPU of the ledger and the engine) and "memstore" (the
// in-memory store: no engine, the core's own allocations). Every benchmark reports the CPU time
// of the whole process per operation (CPU-µs/op: every goroutine, the engine's background work
// included), which the load of a shared machine changes far less than the wall time.
//
//	go test -run '^$' -bench VsF -benchtime 1s -rounds 3 ./entitlement/
func BenchmarkVsF(b *testing.B) {
	for r := range *rounds {
		b.Run(fmt.Sprintf("round%d/F", r+1), storetest.FloorF)
		for _, state := range strings.Split(*states, ",") {
			var s entitlement.Store
			switch state {
			case "memstore":
				s = entitlement.NewMemStore()
			case "nosync":
				s = openBench(b, true)
			case "steady":
				s = openBench(b, false)
				storetest.Warm(b, s)
			case "fresh":
				s = openBench(b, false)
			default:
				b.Fatalf("-states: %q is none of fresh, steady, nosync, memstore", state)
			}
			f := storetest.NewFixture(b, s, 3)
			shipped, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "BIG", SO: "BIG", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1e9}}})
			if err != nil {
				b.Fatal(err)
			}
			// Attaches go round-robin onto a pool of locations made for the run, at most
			// perLocation seats each: an attach's cost grows with the lines already on its
			// location (the system's rules read them), and the figure should not depend on b.N.
			nloc := 0
			pool := func(b *testing.B) (attach func(i int) error) {
				b.StopTimer()
				defer b.StartTimer()
				locs := make([]string, max(64, (b.N+perLocation-1)/perLocation))
				for j := range locs {
					locs[j] = newLocation(b, f, f.Dist, "SV8100", fmt.Sprintf("19%010d", nloc)).ID
					nloc++
				}
				return func(i int) error {
					_, err := f.L.Attach(ctx, f.Dist, locs[i%len(locs)], []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}})
					return err
				}
			}
			name := func(op string) string { return fmt.Sprintf("round%d/%s/%s", r+1, state, op) }
			b.Run(name("EmptyUpdate"), func(b *testing.B) { emptyUpdate(b, s) })
			b.Run(name("AttachOne"), func(b *testing.B) {
				attach := pool(b)
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := range b.N {
					if err := attach(i); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu0)
			})
			for _, n := range []int{1, 8, 64} {
				b.Run(name(fmt.Sprintf("Attach-%d", n)), func(b *testing.B) { parallel(b, n, pool(b)) })
			}
			b.Run(name("ActivateIssue50"), func(b *testing.B) { activateIssue50(b, s, f) })
		}
		b.Run(fmt.Sprintf("round%d/F", r+1), storetest.FloorF)
	}
}

// reportCPU reports the process's CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "CPU-µs/op")
}

// perLocation is how many seats the attach benchmarks put on one location.
const perLocation = 20

// parallel runs op(i) for i in [0, b.N) from exactly n goroutines and reports operations per
// second and the process's CPU time per operation (every goroutine, the engine's background work
// included: on a shared machine it is steadier than the wall time).
func parallel(b *testing.B, n int, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	reportCPU(b, cpu0)
}

// BenchmarkActivateIssue50 activates a location with 50 attached lines on the durable file store
// (fsync on) and issues its signed license file (LicenseIssuer: CBOR payload, COSE_Sign1 Ed25519,
// svi zip). Setup (ship, create, attach) is outside the timer.
func BenchmarkActivateIssue50(b *testing.B) {
	s := openBench(b, false)
	activateIssue50(b, s, storetest.NewFixture(b, s, 1))
}

func activateIssue50(b *testing.B, s entitlement.Store, f *storetest.Fixture) {
	l := realIssuer(s)
	parts := []string{"BE107573", "BE107576", "BE107582", "BE107585"}
	b.ReportAllocs()
	var cpu time.Duration
	defer func() { b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "CPU-µs/op") }()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		ord := entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("PO50-", i), SO: "SO"}
		for j := range 50 {
			ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: parts[j%4], Qty: int64(j + 1)})
		}
		shipped, err := l.Ship(ctx, f.Admin, ord)
		if err != nil {
			b.Fatal(err)
		}
		loc := newLocation(b, f, f.Dist, "SV8100", fmt.Sprintf("19%010d", 100000+i))
		if _, err := l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		cpu += cpuTime() - cpu0
		if err != nil || file.Serial != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkBulk10000x10 ships, attaches and activates 10,000 locations × 10 lines on the file
// store: 40,000 operations, each its own transaction with its audit record. "import" loads them
// through entitlement.Import (64 items at once, group commit: many operations per log sync);
// "serial" calls them one after another (a sync each); "nosync" is serial without syncs (the CPU
// share). One iteration is the whole run; it reports the CPU time of the load (user and system,
// every goroutine: on a machine shared with other jobs the wall time is what the job was given)
// and the process's peak resident set as the operating system counts it (mapped pages included). Run each on its own, with a long timeout:
//
//	go test -run '^$' -bench 'Bulk10000x10/import' -benchtime 1x -timeout 30m ./entitlement/
func BenchmarkBulk10000x10(b *testing.B) {
	b.Run("import", func(b *testing.B) { bulk(b, false, entitlement.DefaultBulkWorkers) })
	b.Run("serial", func(b *testing.B) { bulk(b, false, 1) })
	b.Run("nosync", func(b *testing.B) { bulk(b, true, 1) })
}

func bulk(b *testing.B, noSync bool, workers int) {
	for b.Loop() {
		b.StopTimer()
		s := openBench(b, noSync)
		f := storetest.NewFixture(b, s, 2)
		l := realIssuer(s)
		cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "bulk"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		errs := entitlement.Bulk(ctx, *bulkN, workers, func(ctx context.Context, i int) error {
			ord := entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("PO", i), SO: "SO"}
			for j := range 10 {
				ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: "BE107585", Qty: int64(j + 1)})
			}
			shipped, err := l.Ship(ctx, f.Admin, ord)
			if err != nil {
				return err
			}
			loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "bulk", System: "SV8100", HWKC: fmt.Sprintf("19%010d", i)})
			if err != nil {
				return err
			}
			if _, err := l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)); err != nil {
				return err
			}
			_, err = l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
			return err
		})
		for i, err := range errs {
			if err != nil {
				b.Fatalf("item %d: %v", i, err)
			}
		}
		b.StopTimer()
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "CPU-s")
		if err := entitlement.CheckConservation(ctx, s); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// realIssuer is a ledger on s that issues real license files (package license) with the test key.
func realIssuer(s entitlement.Store) *entitlement.Ledger {
	return entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: storetest.FixedClock{T: t0}})
}
