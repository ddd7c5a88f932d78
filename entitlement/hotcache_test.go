package entitlement_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// TestFileStore_ReadsMatchAModel runs random transactions on the embedded store (gets, puts and
// deletes over more keys than the writers' cache of recent records holds, with its usual bounds
// and with small ones so that its generations turn over; values longer and shorter than it
// keeps; a third of them rolled back by an error, some read-only) and checks every read against
// a model: inside a writer its own writes over the committed state, after it what a View reads.
// Reads go through Get and through the ledger's probe for a key that is most likely absent.
// A cache that served a rolled-back write, a deleted key, a value replaced by a later writer or
// the value from before a writer's own write fails it.
func TestFileStore_ReadsMatchAModel(t *testing.T) {
	for _, bounds := range [][2]int{{4096, 1 << 20}, {300, 1 << 20}, {4096, 16 << 10}} {
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
		ops := 1 + rng.IntN(30)
		readOnly := rng.IntN(5) == 0
		err := s.Update(ctx, func(t2 entitlement.Tx) error {
			clear(tx)
			for range ops {
				k := key()
				switch op := rng.IntN(3); {
				case op == 0 || readOnly:
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
			}
			if rollback {
				return errRollback
			}
			return nil
		})
		if err != nil && !(rollback && errors.Is(err, errRollback)) {
			t.Fatal(err)
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
