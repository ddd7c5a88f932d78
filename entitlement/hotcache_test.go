package entitlement_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// TestFileStore_ReadsMatchAModel runs random transactions on the embedded store (gets, puts and
// deletes over more keys than the writers' cache of recent records holds, with its usual bounds
// and with small ones so that its generations turn over; values longer and shorter than it
// keeps; a third of them rolled back, by an error, a panic or a context cancelled after the
// function succeeded; some read-only) and checks every read against a model: inside a writer its
// own writes over the committed state, after it what a View reads. Reads go through Get, through
// the ledger's probe for a key that is most likely absent, and through scans of the hot keys
// (which do not go through the cache) interleaved with the cached reads.
// A cache that served a rolled-back write, a deleted key, a value replaced by a later writer or
// the value from before a writer's own write fails it.
func TestFileStore_ReadsMatchAModel(t *testing.T) {
	for _, bounds := range [][2]int{{4096, 1 << 20}, {300, 1 << 20}, {4096, 16 << 10}, {16, 2 << 10}} {
		t.Run(fmt.Sprintf("cache%dkeys%dbytes", bounds[0], bounds[1]), func(t *testing.T) {
			defer entitlement.SetHotCacheBounds(bounds[0], bounds[1])()
			readsMatchAModel(t)
		})
	}
}

func readsMatchAModel(t *testing.T) {
	s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "m"), &entitlement.FileOptions{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	committed := map[string][]byte{}
	nkeys, steps := 6000, 3000
	if testing.Short() {
		steps = 600
	}
	key := func() string {
		if rng.IntN(4) == 0 {
			return fmt.Sprintf("hot%02d", rng.IntN(20)) // read and written by most transactions
		}
		return fmt.Sprintf("k%05d", rng.IntN(nkeys))
	}
	value := func(step int) []byte {
		n := 1 + rng.IntN(64)
		if rng.IntN(8) == 0 {
			n = 400 + rng.IntN(400) // around the cache's limit on a value's length
		}
		return bytes.Repeat([]byte{byte(step), byte(step >> 8)}, n)
	}
	errRollback := errors.New("rollback")
	for step := range steps {
		tx := map[string][]byte{} // this transaction's writes; nil value: deleted
		rollback := rng.IntN(3) == 0
		how := rng.IntN(3) // a rollback by an error, a panic or a context cancelled after fn
		ops := 1 + rng.IntN(30)
		readOnly := rng.IntN(5) == 0
		cctx, cancel := context.WithCancel(ctx)
		err := update(s, cctx, func(t2 entitlement.Tx) error {
			clear(tx)
			read := func(k string) error {
				want, ok := tx[k]
				if !ok {
					want, ok = committed[k], committed[k] != nil
				} else {
					ok = want != nil
				}
				get := t2.Get
				if rng.IntN(3) == 0 {
					get = func(b, k string) ([]byte, bool, error) { return entitlement.Probe(t2, b, k) }
				}
				got, found, err := get("b", k)
				if err != nil {
					return err
				}
				if found != ok || !bytes.Equal(got, want) {
					return fmt.Errorf("step %d: get %s: %v %d bytes, want %v %d bytes", step, k, found, len(got), ok, len(want))
				}
				return nil
			}
			for range ops {
				k := key()
				op := rng.IntN(4)
				switch {
				case op == 3:
					// A scan of the hot keys (scans do not go through the cache) sees what
					// the model holds: the committed state under this writer's writes.
					if err := scanMatches(t2, committed, tx, rng.IntN(2) == 0); err != nil {
						return fmt.Errorf("step %d: %w", step, err)
					}
				case op == 0 || readOnly:
					if err := read(k); err != nil {
						return err
					}
				case op == 1:
					v := value(step)
					tx[k] = v
					if err := t2.Put("b", k, v); err != nil {
						return err
					}
				default:
					tx[k] = nil
					if err := t2.Delete("b", k); err != nil {
						return err
					}
				}
				if wrote := !readOnly && (op == 1 || op == 2); wrote && rng.IntN(2) == 0 {
					// Read back what was just written (or deleted): the read a cache
					// that kept a writer's own value would fill itself from.
					if err := read(k); err != nil {
						return err
					}
				}
			}
			if rollback {
				switch how {
				case 0:
					return errRollback
				case 1:
					panic(errRollback)
				}
				cancel()
			}
			return nil
		})
		cancel()
		if err != nil && !(rollback && (errors.Is(err, errRollback) || errors.Is(err, context.Canceled))) {
			t.Fatal(err)
		}
		if rollback && err == nil {
			t.Fatalf("step %d: a rolled-back Update succeeded", step)
		}
		if !rollback {
			for k, v := range tx {
				if v == nil {
					delete(committed, k)
				} else {
					committed[k] = v
				}
			}
		}
		if step%50 == 0 {
			if err := s.View(ctx, func(t2 entitlement.Tx) error {
				for i := range 200 {
					k := fmt.Sprintf("k%05d", rng.IntN(nkeys))
					if i < 20 {
						k = fmt.Sprintf("hot%02d", i)
					}
					get := t2.Get
					if i%2 == 1 {
						get = func(b, k string) ([]byte, bool, error) { return entitlement.Probe(t2, b, k) }
					}
					got, found, err := get("b", k)
					if err != nil {
						return err
					}
					if want := committed[k]; found != (want != nil) || !bytes.Equal(got, want) {
						return fmt.Errorf("step %d: view get %s: %v %d bytes, want %d bytes", step, k, found, len(got), len(want))
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// update is s.Update with a panic in fn turned into its error.
func update(s entitlement.Store, ctx context.Context, fn func(entitlement.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	return s.Update(ctx, fn)
}

// scanMatches scans bucket b's keys starting "hot" (from "hot1" when from is set) and compares
// them with the committed state under the transaction's writes (a nil value: deleted).
func scanMatches(tx entitlement.Tx, committed, writes map[string][]byte, from bool) error {
	want := map[string][]byte{}
	for _, m := range []map[string][]byte{committed, writes} {
		for k, v := range m {
			if strings.HasPrefix(k, "hot") && (!from || k >= "hot1") {
				want[k] = v
			}
		}
	}
	var keys []string
	for k, v := range want {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	start := "hot"
	if from {
		start = "hot1"
	}
	var got []string
	err := tx.ScanFrom("b", "hot", start, func(k string, v []byte) (bool, error) {
		if !bytes.Equal(v, want[k]) {
			return false, fmt.Errorf("scan: %s is %d bytes, want %d", k, len(v), len(want[k]))
		}
		got = append(got, k)
		return true, nil
	})
	if err != nil {
		return err
	}
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		return fmt.Errorf("scan from %s: keys %v, want %v", start, got, keys)
	}
	return nil
}
