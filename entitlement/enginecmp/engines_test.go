package enginecmp

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	bolt "go.etcd.io/bbolt"
)

var ctx = context.Background()

// TestSQLiteConformance holds the measured SQLite store to the contract the others pass.
func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
		s, err := OpenSQLite(filepath.Join(t.TempDir(), "ledger.sqlite"), false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// TestBoltConformance checks that a bbolt-format file opened by entitlement.OpenFile is the
// bbolt engine measured here.
func TestBoltConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store { return openBolt(t, 0) }})
}

type engine struct {
	name string
	open func(tb testing.TB) entitlement.Store
	// group, if set, opens the engine for concurrent writers with its group commit; nil means
	// the store open returned groups commits already.
	groupOpen func(tb testing.TB) entitlement.Store
}

func openBolt(tb testing.TB, group time.Duration) entitlement.Store {
	path := filepath.Join(tb.TempDir(), "ledger.db")
	db, err := bolt.Open(path, 0o600, nil) // an empty bbolt file: OpenFile opens it on bbolt
	if err != nil {
		tb.Fatal(err)
	}
	db.Close()
	s, err := entitlement.OpenFile(path, &entitlement.FileOptions{GroupCommit: group})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPebble(tb testing.TB) entitlement.Store {
	s, err := entitlement.OpenFile(filepath.Join(tb.TempDir(), "ledger"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openSQLite(tb testing.TB) entitlement.Store {
	s, err := OpenSQLite(filepath.Join(tb.TempDir(), "ledger.sqlite"), false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

var engines = []engine{
	{"bbolt", func(tb testing.TB) entitlement.Store { return openBolt(tb, 0) }, func(tb testing.TB) entitlement.Store { return openBolt(tb, time.Millisecond) }},
	{"pebble", openPebble, nil},
	{"sqlite", openSQLite, nil},
}

var rounds = flag.Int("rounds", 3, "interleaved rounds of BenchmarkEngines")

// BenchmarkEngines measures, in rounds, F (one 4 KiB write over the same block of a file and
// fdatasync) and then each engine through entitlement.Store, on a fresh store and on one in its
// steady state (100 MiB written over the same keys first: Pebble's first log files recycled, SQLite's
// log checkpointed and reused, bbolt's file grown): an empty durable update (one tiny put), a
// durable update writing about 1 KiB over four keys and moving a shared counter (as every
// ledger operation moves the audit head), and that update from 1, 8 and 64 goroutines with the
// engine's group commit (bbolt: its Batch with a 1 ms delay, the earlier FileOptions.GroupCommit;
// Pebble: the store's default, no delay; SQLite: one transaction per group, a savepoint per
// function, no delay). F runs again at the end of each round.
//
//	cd entitlement/enginecmp && go test -run '^$' -bench Engines -benchtime 1s -timeout 30m
func BenchmarkEngines(b *testing.B) {
	for r := range *rounds {
		b.Run(fmt.Sprintf("round%d/F", r+1), storetest.FloorF)
		for _, e := range engines {
			for _, state := range []string{"fresh", "steady"} {
				s, g := e.open(b), entitlement.Store(nil)
				if g = s; e.groupOpen != nil {
					g = e.groupOpen(b)
				}
				if state == "steady" {
					storetest.Warm(b, s)
					if g != s {
						storetest.Warm(b, g)
					}
				}
				name := fmt.Sprintf("round%d/%s/%s/", r+1, e.name, state)
				b.Run(name+"empty", func(b *testing.B) { emptyUpdate(b, s) })
				b.Run(name+"1KiB", func(b *testing.B) { parallel(b, s, 1) })
				for _, n := range []int{1, 8, 64} {
					b.Run(fmt.Sprintf("%sgroup-%d", name, n), func(b *testing.B) { parallel(b, g, n) })
				}
			}
		}
		b.Run(fmt.Sprintf("round%d/F", r+1), storetest.FloorF)
	}
}

func emptyUpdate(b *testing.B, s entitlement.Store) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte{byte(i)}) }); err != nil {
			b.Fatal(err)
		}
	}
}

// update1KiB reads and moves the shared head and writes 4 × 256 bytes under the writer's keys.
func update1KiB(tx entitlement.Tx, w, i int, val []byte) error {
	v, _, err := tx.Get("meta", "head")
	if err != nil {
		return err
	}
	var n uint64
	if len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	if err := tx.Put("meta", "head", binary.BigEndian.AppendUint64(nil, n+1)); err != nil {
		return err
	}
	for j := range 4 {
		bucket := "lines"
		if j%2 == 1 {
			bucket = "audit"
		}
		if err := tx.Put(bucket, fmt.Sprintf("%03d/%08d/%d", w, i, j), val); err != nil {
			return err
		}
	}
	return nil
}

// parallel runs b.N updates of about 1 KiB from n goroutines and reports updates per second and
// the process's CPU time per update.
func parallel(b *testing.B, s entitlement.Store, n int) {
	val := make([]byte, 256)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := s.Update(ctx, func(tx entitlement.Tx) error { return update1KiB(tx, w, i, val) }); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "CPU-µs/op")
}

// cpuTime is the CPU time (user and system) the process has used so far: the engine's background
// work (compactions, checkpoints) included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
