package entitlement_test

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"runtime"
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

// BenchmarkFloor_FileStoreEmptyUpdate is the floor of every durable operation: one bbolt
// read-write transaction with one small put and its fsync.
func BenchmarkFloor_FileStoreEmptyUpdate(b *testing.B) {
	s := openBench(b, false)
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

// BenchmarkActivateIssue50 activates a location with 50 attached lines on the durable file store
// (fsync on) and issues its signed license file (LicenseIssuer: CBOR payload, COSE_Sign1 Ed25519,
// svi zip). Setup (ship, create, attach) is outside the timer.
func BenchmarkActivateIssue50(b *testing.B) {
	s := openBench(b, false)
	f := storetest.NewFixture(b, s, 1)
	l := realIssuer(s)
	parts := []string{"BE107573", "BE107576", "BE107582", "BE107585"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		ord := entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("PO", i), SO: "SO"}
		for j := range 50 {
			ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: parts[j%4], Qty: int64(j + 1)})
		}
		shipped, err := l.Ship(ctx, f.Admin, ord)
		if err != nil {
			b.Fatal(err)
		}
		loc := newLocation(b, f, f.Dist, "SV8100", fmt.Sprintf("19%010d", i))
		if _, err := l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		if err != nil || file.Serial != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkBulk10000x10 ships, attaches and activates 10,000 locations × 10 lines on the file
// store: 40,000 transactions, each with its audit record. "durable" has fsync on (every operation
// on stable storage when it returns); "nosync" shows the CPU share without fsync. One iteration is
// the whole run; it reports the process's peak resident memory (which includes the mapped file).
// Run each on its own, with a long timeout:
//
//	go test -run '^$' -bench 'Bulk10000x10/durable' -benchtime 1x -timeout 30m ./entitlement/
func BenchmarkBulk10000x10(b *testing.B) {
	b.Run("durable", func(b *testing.B) { bulk(b, false) })
	b.Run("nosync", func(b *testing.B) { bulk(b, true) })
}

func bulk(b *testing.B, noSync bool) {
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
		for i := range bulkN {
			ord := entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("PO", i), SO: "SO"}
			for j := range 10 {
				ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: "BE107585", Qty: int64(j + 1)})
			}
			shipped, err := l.Ship(ctx, f.Admin, ord)
			if err != nil {
				b.Fatal(err)
			}
			loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "bulk", System: "SV8100", HWKC: fmt.Sprintf("19%010d", i)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)); err != nil {
				b.Fatal(err)
			}
			if _, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
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

// BenchmarkConcurrentAttach8 attaches one seat per operation from 8 goroutines, each onto its own
// location from one shared bin line, on the durable file store (fsync on): with every Update its
// own transaction (bbolt runs writers one at a time; compare BenchmarkFloor_FileStoreEmptyUpdate)
// and with group commit (FileOptions.GroupCommit 1 ms: concurrent attaches share one fsync).
func BenchmarkConcurrentAttach8(b *testing.B) {
	b.Run("serial-commit", func(b *testing.B) { concurrentAttach(b, openBench(b, false)) })
	b.Run("group-commit", func(b *testing.B) {
		s, err := entitlement.OpenFile(filepath.Join(b.TempDir(), "bench.db"), &entitlement.FileOptions{GroupCommit: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		concurrentAttach(b, s)
	})
}

func concurrentAttach(b *testing.B, s entitlement.Store) {
	f := storetest.NewFixture(b, s, 3)
	l := f.L
	shipped, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "BIG", SO: "BIG", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1e9}}})
	if err != nil {
		b.Fatal(err)
	}
	var locs [8]string
	for i := range locs {
		locs[i] = newLocation(b, f, f.Dist, "SV8100", fmt.Sprintf("19%010d", i)).ID
	}
	var next atomic.Int32
	b.ReportAllocs()
	b.SetParallelism((8 + runtimeProcs() - 1) / runtimeProcs())
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

// realIssuer is a ledger on s that issues real license files (package license) with the test key.
func realIssuer(s entitlement.Store) *entitlement.Ledger {
	return entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: storetest.FixedClock{T: t0}})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

const bulkN = 10000
