package entitlement

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// openMemFileStore opens the file store on fs (a crashable in-memory file system) with the
// engine options and layout openPebble uses on disk.
func openMemFileStore(t *testing.T, fs vfs.FS, create bool) *fileStore {
	t.Helper()
	if create {
		if err := fs.MkdirAll("ledger", 0o700); err != nil {
			t.Fatal(err)
		}
	}
	lock, err := pebble.LockDirectory("ledger", fs)
	if err != nil {
		t.Fatal(err)
	}
	po := pebbleOptions(lock)
	po.FS = fs
	db, err := pebble.Open("ledger", po)
	if err != nil {
		t.Fatal(err)
	}
	if create {
		if err := db.Set(storeMarker, storeVersion, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	return newFileStore(db, lock, false, false)
}

// raise sets a to n if n is larger.
func raise(a *atomic.Int64, n int64) {
	for {
		old := a.Load()
		if n <= old || a.CompareAndSwap(old, n) {
			return
		}
	}
}

// TestFileStore_PowerLoss cuts the power while writers commit from several goroutines (group
// commit), Views read and Updates that fail read: only what was synced survives, with a random
// part of what was not. Every Update acknowledged before the cut is in the store after it, and so
// is every value a View, or an Update that had returned its failure, saw before it: nobody is told
// of a state a crash takes back. (The SIGKILL crash test cannot see this: the operating system
// keeps a killed process's unsynced writes.)
func TestFileStore_PowerLoss(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	const writers = 6
	ctx := context.Background()
	errRead := errors.New("read, then fail")
	for round := range rounds {
		fs := vfs.NewCrashableMem()
		s := openMemFileStore(t, fs, true)
		// Writer w counts up under key w; acked[w] is the last count its Update returned for,
		// viewed[w] and failed[w] the highest a View, or a failed Update after it returned, saw.
		var acked, viewed, failed [writers]atomic.Int64
		read := func(tx Tx, into *[writers]atomic.Int64) {
			for w := range writers {
				v, _, err := tx.Get("c", strconv.Itoa(w))
				if err != nil {
					t.Error(err)
				}
				n, _ := strconv.ParseInt(string(v), 10, 64)
				raise(&into[w], n)
			}
		}
		stop := make(chan struct{})
		stopped := func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := int64(1); !stopped(); n++ {
					if err := s.Update(ctx, func(tx Tx) error {
						return tx.Put("c", strconv.Itoa(w), []byte(strconv.FormatInt(n, 10)))
					}); err != nil {
						t.Error(err)
						return
					}
					acked[w].Store(n)
				}
			}()
		}
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stopped() {
					if err := s.View(ctx, func(tx Tx) error { read(tx, &viewed); return nil }); err != nil {
						t.Error(err)
						return
					}
					var saw [writers]atomic.Int64
					if err := s.Update(ctx, func(tx Tx) error { read(tx, &saw); return errRead }); !errors.Is(err, errRead) {
						t.Error(err)
						return
					}
					for w := range writers {
						raise(&failed[w], saw[w].Load())
					}
				}
			}()
		}
		for acked[r.IntN(writers)].Load() < int64(1+r.IntN(40)) {
			runtime.Gosched()
		}
		var want [writers][3]int64
		for w := range writers {
			want[w] = [3]int64{acked[w].Load(), viewed[w].Load(), failed[w].Load()}
		}
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: r.IntN(100), RNG: rand.New(rand.NewPCG(seed, uint64(round)))})
		close(stop)
		wg.Wait()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openMemFileStore(t, crashed, false)
		if err := s.View(ctx, func(tx Tx) error {
			for w := range writers {
				v, _, err := tx.Get("c", strconv.Itoa(w))
				if err != nil {
					return err
				}
				n, _ := strconv.ParseInt(string(v), 10, 64)
				if n < max(want[w][0], want[w][1], want[w][2]) {
					return fmt.Errorf("round %d: writer %d's count is %d after the power cut; before it %d was acknowledged, a View saw %d, a failed Update %d",
						round, w, n, want[w][0], want[w][1], want[w][2])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileStore_LogFailureFailsClosed makes the log's writes and syncs fail while writers commit
// from several goroutines: every Update from then on fails (none panics or hangs), Views are
// refused, Close returns, and every Update that was acknowledged is in what the disk kept.
func TestFileStore_LogFailureFailsClosed(t *testing.T) {
	for round := range 10 {
		mem := vfs.NewCrashableMem()
		var failing atomic.Bool
		fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
			switch op.Kind {
			case errorfs.OpFileWrite, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
				if failing.Load() && strings.HasSuffix(op.Path, ".log") {
					return errorfs.ErrInjected
				}
			}
			return nil
		}))
		s := openMemFileStore(t, fs, true)
		ctx := context.Background()
		const writers = 6
		var acked [writers]atomic.Int64
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := int64(1); ; n++ {
					err := s.Update(ctx, func(tx Tx) error {
						return tx.Put("c", strconv.Itoa(w), []byte(strconv.FormatInt(n, 10)))
					})
					if err != nil {
						if !errors.Is(err, errorfs.ErrInjected) {
							t.Errorf("writer %d: %v, want the log's error", w, err)
						}
						return
					}
					acked[w].Store(n)
				}
			}()
		}
		for acked[round%writers].Load() < int64(5+round*3) {
			runtime.Gosched()
		}
		failing.Store(true)
		wg.Wait() // every writer sees the failure
		if err := s.View(ctx, func(Tx) error { return nil }); !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("View after the log failed: %v", err)
		}
		_ = s.Close() // Pebble reports the log's error again
		kept := openMemFileStore(t, mem.CrashClone(vfs.CrashCloneCfg{}), false)
		if err := kept.View(ctx, func(tx Tx) error {
			for w := range writers {
				v, _, err := tx.Get("c", strconv.Itoa(w))
				if err != nil {
					return err
				}
				if n, _ := strconv.ParseInt(string(v), 10, 64); n < acked[w].Load() {
					return fmt.Errorf("round %d: writer %d's count is %d on disk, %d was acknowledged", round, w, n, acked[w].Load())
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := kept.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
