package enginecmp

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
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
	// group is the engine opened for concurrent writers, with its group commit.
	group func(tb testing.TB) entitlement.Store
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
	{"pebble", openPebble, openPebble},
	{"sqlite", openSQLite, openSQLite},
}

var rounds = flag.Int("rounds", 3, "interleaved rounds of BenchmarkEngines")

// BenchmarkEngines measures, in rounds, F (one 4 KiB write and fdatasync) and then each engine:
// an empty durable update (one tiny put), a durable update writing about 1 KiB over four keys
// (and a shared counter, as every ledger operation moves the audit head), and that update from
// 1, 8 and 64 goroutines with the engine's group commit (bbolt: its Batch with a 1 ms delay;
// Pebble: the store's default; SQLite: one transaction per group, a savepoint per function).
//
//	cd entitlement/enginecmp && go test -run '^$' -bench Engines -benchtime 1s
func BenchmarkEngines(b *testing.B) {
	for r := range *rounds {
		b.Run(fmt.Sprintf("round%d/F", r+1), benchF)
		for _, e := range engines {
			b.Run(fmt.Sprintf("round%d/%s/empty", r+1, e.name), func(b *testing.B) { emptyUpdate(b, e.open(b)) })
			b.Run(fmt.Sprintf("round%d/%s/1KiB", r+1, e.name), func(b *testing.B) { parallel(b, e.open(b), 1) })
			for _, n := range []int{1, 8, 64} {
				b.Run(fmt.Sprintf("round%d/%s/group-%d", r+1, e.name, n), func(b *testing.B) { parallel(b, e.group(b), n) })
			}
		}
	}
}

// benchF is the floor: one 4 KiB write over the same block of a preallocated file and fdatasync.
func benchF(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	if _, err := f.WriteAt(buf, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		buf[0] = byte(i)
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
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

// parallel runs b.N updates of about 1 KiB from n goroutines and reports updates per second.
func parallel(b *testing.B, s entitlement.Store, n int) {
	val := make([]byte, 256)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
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
}
