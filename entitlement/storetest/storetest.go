package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// Opener opens a fresh, empty store for one subtest. Reopen, if not nil, closes s and opens the
// same storage again (for durability checks); stores without persistence leave it nil.
type Opener struct {
	// Open returns a fresh, empty store of the implementation under test. The suite closes only
	// the store of its subtest of Close (which then meets a second Close), so Open registers the
	// store's Close with t.Cleanup.
	Open func(t *testing.T) entitlement.Store
	// Reopen closes s and returns the same storage opened again; nil for a store without
	// persistence.
	Reopen func(t *testing.T, s entitlement.Store) entitlement.Store
}

var errBoom = errors.New("storetest: boom")

// Run runs the conformance suite.
func Run(t *testing.T, o Opener) {
	ctx := context.Background()
	t.Run("PutGetDelete", func(t *testing.T) {
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			if _, ok, err := tx.Get("b", "missing"); err != nil || ok {
				return fmt.Errorf("get from a missing bucket: ok=%v err=%v", ok, err)
			}
			if err := tx.Put("b", "k1", []byte("v1")); err != nil {
				return err
			}
			if err := tx.Put("b", "k2", nil); err != nil {
				return err
			}
			v, ok, err := tx.Get("b", "k1")
			if err != nil || !ok || string(v) != "v1" {
				return fmt.Errorf("read own write: %q %v %v", v, ok, err)
			}
			if v, ok, err := tx.Get("b", "k2"); err != nil || !ok || len(v) != 0 {
				return fmt.Errorf("empty value: %q %v %v", v, ok, err)
			}
			return tx.Delete("b", "nothing-here")
		}))
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			v, ok, err := tx.Get("b", "k1")
			if err != nil || !ok || string(v) != "v1" {
				return fmt.Errorf("committed value: %q %v %v", v, ok, err)
			}
			return nil
		}))
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Delete("b", "k1") }))
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			if _, ok, _ := tx.Get("b", "k1"); ok {
				return errors.New("deleted key still there")
			}
			return nil
		}))
	})
	t.Run("PutCopiesValue", func(t *testing.T) {
		s := o.Open(t)
		buf := []byte("abc")
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			err := tx.Put("b", "k", buf)
			buf[0] = 'X'
			return err
		}))
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			if v, _, _ := tx.Get("b", "k"); string(v) != "abc" {
				return fmt.Errorf("store kept the caller's buffer: %q", v)
			}
			return nil
		}))
	})
	t.Run("ScanOrderAndPrefix", func(t *testing.T) {
		s := o.Open(t)
		keys := []string{"a\x00z", "a\x00b", "a", "b\x00a", "a\x00\xff", "a\x01", "ab"}
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for _, k := range keys {
				if err := tx.Put("s", k, []byte(k)); err != nil {
					return err
				}
			}
			return nil
		}))
		var got []string
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			return tx.Scan("s", "a\x00", func(k string, v []byte) (bool, error) {
				if k != string(v) {
					return false, fmt.Errorf("key %q has value %q", k, v)
				}
				got = append(got, k)
				return true, nil
			})
		}))
		want := []string{"a\x00b", "a\x00z", "a\x00\xff"}
		if !slices.Equal(got, want) {
			t.Fatalf("prefix scan: got %q, want %q", got, want)
		}
		got = nil
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			return tx.Scan("s", "", func(k string, _ []byte) (bool, error) {
				got = append(got, k)
				return len(got) < 3, nil
			})
		}))
		if want := []string{"a", "a\x00b", "a\x00z"}; !slices.Equal(got, want) {
			t.Fatalf("full scan stopped after 3: got %q, want %q", got, want)
		}
		err := s.View(ctx, func(tx entitlement.Tx) error {
			return tx.Scan("s", "", func(string, []byte) (bool, error) { return false, errBoom })
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("scan callback error: got %v", err)
		}
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			return tx.Scan("no-such-bucket", "", func(string, []byte) (bool, error) {
				return false, errors.New("called for a missing bucket")
			})
		}))
	})
	t.Run("ScanFrom", func(t *testing.T) {
		s := o.Open(t)
		keys := []string{"a", "p\x00a", "p\x00b", "p\x00d", "p\x00e", "q"}
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for _, k := range keys {
				if err := tx.Put("f", k, []byte("v"+k)); err != nil {
					return err
				}
			}
			return nil
		}))
		for _, c := range []struct {
			name, prefix, start string
			limit               int
			want                []string
		}{
			{"start on a key", "p\x00", "p\x00b", 0, []string{"p\x00b", "p\x00d", "p\x00e"}},
			{"start between keys", "p\x00", "p\x00c", 0, []string{"p\x00d", "p\x00e"}},
			{"start before the prefix", "p\x00", "a", 0, []string{"p\x00a", "p\x00b", "p\x00d", "p\x00e"}},
			{"start past the prefix", "p\x00", "p\x01", 0, nil},
			{"start past every key", "", "z", 0, nil},
			{"no prefix", "", "p\x00e", 0, []string{"p\x00e", "q"}},
			{"stop early", "p\x00", "p\x00b", 2, []string{"p\x00b", "p\x00d"}},
		} {
			for _, view := range []bool{false, true} {
				var got []string
				run := s.Update
				if view {
					run = s.View
				}
				must(t, run(ctx, func(tx entitlement.Tx) error {
					got = nil
					return tx.ScanFrom("f", c.prefix, c.start, func(k string, v []byte) (bool, error) {
						if string(v) != "v"+k {
							return false, fmt.Errorf("value of %q is %q", k, v)
						}
						got = append(got, k)
						return c.limit == 0 || len(got) < c.limit, nil
					})
				}))
				if !slices.Equal(got, c.want) {
					t.Fatalf("%s (view %v): ScanFrom(%q, %q) = %q, want %q", c.name, view, c.prefix, c.start, got, c.want)
				}
			}
		}
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			return tx.ScanFrom("no-such-bucket", "", "a", func(string, []byte) (bool, error) {
				return false, errors.New("a missing bucket holds nothing")
			})
		}))
	})
	t.Run("LargeScanWithReads", func(t *testing.T) {
		// More keys than a store may fetch at once, with reads inside the callback (the ledger
		// reads records while it scans an index).
		s := o.Open(t)
		const n = 700
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for i := range n {
				if err := tx.Put("idx", fmt.Sprintf("p\x00%05d", i), nil); err != nil {
					return err
				}
				if err := tx.Put("rec", fmt.Sprintf("%05d", i), []byte(fmt.Sprint(i))); err != nil {
					return err
				}
			}
			return tx.Put("idx", "q", nil)
		}))
		for _, update := range []bool{false, true} {
			seen := 0
			scan := func(tx entitlement.Tx) error {
				return tx.Scan("idx", "p\x00", func(k string, _ []byte) (bool, error) {
					v, ok, err := tx.Get("rec", k[2:])
					if err != nil || !ok || string(v) != fmt.Sprint(seen) {
						return false, fmt.Errorf("key %q: record %q %v %v, want %d", k, v, ok, err, seen)
					}
					seen++
					return true, nil
				})
			}
			if update {
				must(t, s.Update(ctx, scan))
			} else {
				must(t, s.View(ctx, scan))
			}
			if seen != n {
				t.Fatalf("scan saw %d keys, want %d", seen, n)
			}
		}
	})
	t.Run("RollbackOnError", func(t *testing.T) {
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "keep", []byte("1")) }))
		err := s.Update(ctx, func(tx entitlement.Tx) error {
			_ = tx.Put("b", "keep", []byte("changed"))
			_ = tx.Put("b", "new", []byte("x"))
			_ = tx.Put("other", "new", []byte("x"))
			_ = tx.Delete("b", "keep")
			_ = tx.Put("b", "keep", []byte("again"))
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Update returned %v, want the callback's error", err)
		}
		checkOnly(t, s, map[string]string{"b/keep": "1"})
	})
	t.Run("RollbackOnPanic", func(t *testing.T) {
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "keep", []byte("1")) }))
		// The panic either propagates or comes back as an error (a group-commit store turns it
		// into one); either way nothing is kept and Update does not report success.
		func() {
			defer func() { _ = recover() }()
			err := s.Update(ctx, func(tx entitlement.Tx) error {
				_ = tx.Put("b", "keep", []byte("changed"))
				panic("boom")
			})
			if err == nil {
				t.Error("Update reported success for a function that panicked")
			}
		}()
		checkOnly(t, s, map[string]string{"b/keep": "1"})
		// The store must still work after the panic (locks released).
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "after", []byte("2")) }))
	})
	t.Run("ReadOnlyView", func(t *testing.T) {
		s := o.Open(t)
		err := s.View(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte("v")) })
		if !errors.Is(err, entitlement.ErrReadOnly) {
			t.Fatalf("Put in View: got %v, want ErrReadOnly", err)
		}
		err = s.View(ctx, func(tx entitlement.Tx) error { return tx.Delete("b", "k") })
		if !errors.Is(err, entitlement.ErrReadOnly) {
			t.Fatalf("Delete in View: got %v, want ErrReadOnly", err)
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		s := o.Open(t)
		for _, c := range []struct{ name, bucket, key string }{
			{"empty bucket", "", "k"}, {"empty key", "b", ""}, {"huge key", "b", string(make([]byte, 2000))},
		} {
			err := s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put(c.bucket, c.key, []byte("v")) })
			if err == nil {
				t.Errorf("%s: Put accepted it", c.name)
			}
		}
	})
	t.Run("WriteDuringScanRefused", func(t *testing.T) {
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte("v")) }))
		err := s.Update(ctx, func(tx entitlement.Tx) error {
			return tx.Scan("b", "", func(string, []byte) (bool, error) { return true, tx.Put("b", "k2", nil) })
		})
		if err == nil {
			t.Fatal("a write to the bucket being scanned was accepted")
		}
		checkOnly(t, s, map[string]string{"b/k": "v"})
	})
	t.Run("CanceledContext", func(t *testing.T) {
		s := o.Open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Update(cctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", nil) }); !errors.Is(err, context.Canceled) {
			t.Fatalf("Update with a canceled context: %v", err)
		}
		checkOnly(t, s, map[string]string{})
	})
	t.Run("ConcurrentIncrements", func(t *testing.T) {
		s := o.Open(t)
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					err := s.Update(ctx, func(tx entitlement.Tx) error {
						v, _, err := tx.Get("c", "n")
						if err != nil {
							return err
						}
						n := 0
						if len(v) > 0 {
							n = int(v[0]) | int(v[1])<<8
						}
						n++
						return tx.Put("c", "n", []byte{byte(n), byte(n >> 8)})
					})
					if err != nil {
						errs <- err
						return
					}
					if err := s.View(ctx, func(tx entitlement.Tx) error {
						_, _, err := tx.Get("c", "n")
						return err
					}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			v, _, _ := tx.Get("c", "n")
			if n := int(v[0]) | int(v[1])<<8; n != workers*each {
				return fmt.Errorf("lost updates: counter %d, want %d", n, workers*each)
			}
			return nil
		}))
	})
	t.Run("Closed", func(t *testing.T) {
		s := o.Open(t)
		must(t, s.Close())
		if err := s.Update(ctx, func(entitlement.Tx) error { return nil }); err == nil {
			t.Fatal("Update after Close succeeded")
		}
	})
	if o.Reopen != nil {
		t.Run("Reopen", func(t *testing.T) {
			s := o.Open(t)
			must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte("durable")) }))
			_ = s.Update(ctx, func(tx entitlement.Tx) error { _ = tx.Put("b", "gone", nil); return errBoom })
			s = o.Reopen(t, s)
			checkOnly(t, s, map[string]string{"b/k": "durable"})
		})
	}
	runIsolation(t, o)
	t.Run("Ledger", func(t *testing.T) { ledgerScenario(t, o.Open(t)) })
	// The same scenario with every update run twice (the first run rolled back), as the Store
	// contract allows: results must come from the run that commits.
	t.Run("LedgerRetried", func(t *testing.T) { ledgerScenario(t, Retrying(o.Open(t))) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkOnly checks that buckets b and other hold exactly want ("bucket/key" → value).
func checkOnly(t *testing.T, s entitlement.Store, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	must(t, s.View(context.Background(), func(tx entitlement.Tx) error {
		for _, b := range []string{"b", "other"} {
			if err := tx.Scan(b, "", func(k string, v []byte) (bool, error) {
				got[b+"/"+k] = string(v)
				return true, nil
			}); err != nil {
				return err
			}
		}
		return nil
	}))
	if len(got) != len(want) {
		t.Fatalf("store holds %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("store holds %q, want %q", got, want)
		}
	}
}
