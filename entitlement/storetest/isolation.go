package storetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// runIsolation runs the suite's attacks on what a transaction sees: its own writes in a scan,
// buckets whose names are prefixes of each other, values that must not change under a caller,
// torn and rolled-back states, panics inside a scan, a context canceled while Updates commit, and
// Close while operations run.
func runIsolation(t *testing.T, o Opener) {
	ctx := context.Background()
	t.Run("ScanSeesOwnWrites", func(t *testing.T) {
		// Inside an Update a scan sees the transaction's own puts, overwrites and deletes, in
		// order, over what was committed before.
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for _, k := range []string{"a", "c", "e", "g"} {
				if err := tx.Put("b", k, []byte("old "+k)); err != nil {
					return err
				}
			}
			return nil
		}))
		want := []string{"a=old a", "d=", "e=new", "f=f2", "g=old g"}
		for _, view := range []bool{false, true} {
			var got []string
			fn := func(tx entitlement.Tx) error {
				got = nil
				if err := tx.Scan("b", "", func(k string, v []byte) (bool, error) {
					got = append(got, k+"="+string(v))
					return true, nil
				}); err != nil {
					return err
				}
				// ScanFrom seeks into the same mix: from the deleted key c, and from the
				// new key d.
				for _, start := range []string{"c", "d"} {
					var from []string
					if err := tx.ScanFrom("b", "", start, func(k string, v []byte) (bool, error) {
						from = append(from, k+"="+string(v))
						return true, nil
					}); err != nil {
						return err
					}
					if !slices.Equal(from, want[1:]) {
						return fmt.Errorf("ScanFrom %q (view %v): got %q, want %q", start, view, from, want[1:])
					}
				}
				return nil
			}
			if !view {
				must(t, s.Update(ctx, func(tx entitlement.Tx) error {
					for _, err := range []error{
						tx.Delete("b", "c"), tx.Put("b", "e", []byte("new")), tx.Put("b", "d", nil),
						tx.Put("b", "h", []byte("h")), tx.Delete("b", "h"),
						tx.Put("b", "f", []byte("f1")), tx.Put("b", "f", []byte("f2")),
					} {
						if err != nil {
							return err
						}
					}
					return fn(tx)
				}))
			} else {
				must(t, s.View(ctx, fn)) // and the commit keeps exactly that
			}
			if !slices.Equal(got, want) {
				t.Fatalf("scan (view %v): got %q, want %q", view, got, want)
			}
		}
	})
	t.Run("WritesToOtherBucketsDuringScan", func(t *testing.T) {
		// The contract forbids writes to the scanned bucket only: large writes to another
		// bucket from the callback (a store's write buffer grows and moves) leave the scan
		// intact, and a scan of that other bucket started inside sees them.
		s := o.Open(t)
		const n = 200
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for i := range n {
				if err := tx.Put("src", fmt.Sprintf("%04d", i), []byte(fmt.Sprint("v", i))); err != nil {
					return err
				}
			}
			return nil
		}))
		big := bytes.Repeat([]byte("x"), 8<<10)
		seen := 0
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			seen = 0
			return tx.Scan("src", "", func(k string, v []byte) (bool, error) {
				if want := fmt.Sprintf("%04d", seen); k != want || string(v) != fmt.Sprint("v", seen) {
					return false, fmt.Errorf("scan step %d: key %q value %q, want %q", seen, k, v, want)
				}
				seen++
				if err := tx.Put("dst", k, big); err != nil {
					return false, err
				}
				if seen%25 != 0 {
					return true, nil
				}
				copies := 0
				err := tx.Scan("dst", "", func(string, []byte) (bool, error) { copies++; return true, nil })
				if err == nil && copies != seen {
					err = fmt.Errorf("a scan of the other bucket sees %d of the %d keys written to it", copies, seen)
				}
				return true, err
			})
		}))
		if seen != n {
			t.Fatalf("the scan saw %d keys, want %d", seen, n)
		}
	})
	t.Run("WritesDuringScanRefused", func(t *testing.T) {
		// A Put or a Delete in the bucket being scanned, from the scan's callback or from a
		// scan of another bucket inside it, is refused; the Update then keeps nothing.
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			if err := tx.Put("b", "k", []byte("v")); err != nil {
				return err
			}
			return tx.Put("other", "k", []byte("v"))
		}))
		for name, write := range map[string]func(tx entitlement.Tx) error{
			"put":    func(tx entitlement.Tx) error { return tx.Put("b", "k2", nil) },
			"delete": func(tx entitlement.Tx) error { return tx.Delete("b", "k") },
		} {
			for _, nested := range []bool{false, true} {
				var refused error
				err := s.Update(ctx, func(tx entitlement.Tx) error {
					refused = nil
					return tx.Scan("b", "", func(string, []byte) (bool, error) {
						if !nested {
							refused = write(tx)
							return false, nil
						}
						return false, tx.Scan("other", "", func(string, []byte) (bool, error) {
							refused = write(tx)
							return false, nil
						})
					})
				})
				if err != nil {
					t.Fatal(err)
				}
				if refused == nil {
					t.Fatalf("a %s in the bucket being scanned (nested %v) was accepted", name, nested)
				}
			}
		}
		checkOnly(t, s, map[string]string{"b/k": "v", "other/k": "v"})
	})
	t.Run("BucketsDoNotOverlap", func(t *testing.T) {
		// Bucket names and keys that are prefixes of each other, or that would run together
		// if a store joined them: every bucket holds exactly its own keys. An empty value is a
		// key that exists; a deleted key is none.
		s := o.Open(t)
		puts := [][2]string{{"a", "b\x00c"}, {"a", "bc"}, {"a\x01b", "c"}, {"ab", "c"}, {"ab", "\x00"}, {"a\x01", "b\x01c"}, {"b", "a"}, {"a", "gone"}}
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for _, p := range puts {
				if err := tx.Put(p[0], p[1], []byte(p[0]+"/"+p[1])); err != nil {
					return err
				}
			}
			if err := tx.Put("a", "empty", []byte{}); err != nil {
				return err
			}
			return tx.Delete("a", "gone")
		}))
		want := map[string][]string{
			"a":      {"a/b\x00c", "a/bc", ""},
			"a\x01b": {"a\x01b/c"},
			"ab":     {"ab/\x00", "ab/c"},
			"a\x01":  {"a\x01/b\x01c"},
			"b":      {"b/a"},
		}
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			for b, w := range want {
				var got []string
				if err := tx.Scan(b, "", func(k string, v []byte) (bool, error) {
					got = append(got, string(v))
					return true, nil
				}); err != nil {
					return err
				}
				if !slices.Equal(got, w) {
					return fmt.Errorf("bucket %q holds %q, want %q", b, got, w)
				}
			}
			if v, ok, err := tx.Get("a", "empty"); err != nil || !ok || len(v) != 0 {
				return fmt.Errorf("empty value: %q %v %v", v, ok, err)
			}
			if _, ok, err := tx.Get("a", "gone"); err != nil || ok {
				return fmt.Errorf("deleted key: %v %v", ok, err)
			}
			if _, ok, err := tx.Get("a", "b"); err != nil || ok {
				return fmt.Errorf("a key of bucket a\\x01b read as bucket a: %v %v", ok, err)
			}
			return nil
		}))
	})
	t.Run("ValuesDoNotChangeUnderTheCaller", func(t *testing.T) {
		// A value returned by Get or a scan keeps its bytes for the rest of the transaction,
		// whatever the transaction writes or reads afterwards.
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for i := range 50 {
				if err := tx.Put("v", fmt.Sprintf("%02d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
					return err
				}
			}
			return nil
		}))
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			v, _, err := tx.Get("v", "07")
			if err != nil {
				return err
			}
			var held [][]byte
			if err := tx.Scan("v", "", func(_ string, v []byte) (bool, error) {
				held = append(held, v)
				return true, nil
			}); err != nil {
				return err
			}
			for i := range 50 {
				k := fmt.Sprintf("%02d", i)
				if err := tx.Put("v", k, bytes.Repeat([]byte{0xee}, 100+i)); err != nil {
					return err
				}
				if _, _, err := tx.Get("v", k); err != nil {
					return err
				}
			}
			if !bytes.Equal(v, bytes.Repeat([]byte{7}, 100)) {
				return fmt.Errorf("a value returned by Get changed under the caller: % x", v[:8])
			}
			for i, h := range held {
				if !bytes.Equal(h, bytes.Repeat([]byte{byte(i)}, 100)) {
					return fmt.Errorf("the value of key %02d passed to a scan changed under the caller", i)
				}
			}
			return nil
		}))
	})
	t.Run("LargeValue", func(t *testing.T) {
		// Values have no limit of their own: 10 MiB goes in and comes out whole.
		s := o.Open(t)
		big := make([]byte, 10<<20)
		for i := range big {
			big[i] = byte(i * 7 >> 3)
		}
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("big", "k", big) }))
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("big", "small", []byte("s")) }))
		check := func(tx entitlement.Tx) error {
			v, ok, err := tx.Get("big", "k")
			if err != nil || !ok || !bytes.Equal(v, big) {
				return fmt.Errorf("10 MiB value: %d bytes, ok %v, err %v", len(v), ok, err)
			}
			return nil
		}
		must(t, s.View(ctx, check))
		if o.Reopen != nil {
			s = o.Reopen(t, s)
			must(t, s.View(ctx, check))
		}
	})
	t.Run("PanicInScan", func(t *testing.T) {
		// A panic inside a scan's callback, recovered by the caller, leaves nothing behind:
		// the Update's writes are gone, the store keeps working and closes cleanly.
		s := o.Open(t)
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "keep", []byte("1")) }))
		for _, update := range []bool{false, true} {
			func() {
				defer func() { _ = recover() }()
				run := s.View
				if update {
					run = s.Update
				}
				err := run(ctx, func(tx entitlement.Tx) error {
					if update {
						if err := tx.Put("other", "new", []byte("x")); err != nil {
							return err
						}
					}
					return tx.Scan("b", "", func(string, []byte) (bool, error) { panic("storetest: boom in a scan") })
				})
				if err == nil {
					t.Errorf("a transaction whose scan panicked reported success (update %v)", update)
				}
			}()
		}
		checkOnly(t, s, map[string]string{"b/keep": "1"})
		must(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "after", []byte("2")) }))
		checkOnly(t, s, map[string]string{"b/keep": "1", "b/after": "2"})
		if err := s.Close(); err != nil {
			t.Fatalf("Close after a panic in a scan: %v", err)
		}
	})
	t.Run("NoTornOrRolledBackReads", func(t *testing.T) {
		// Writers move amounts between accounts, some of them failing after their writes;
		// every View and every Update sees the books balance (no torn state, nothing of a
		// rolled-back transaction) and no account goes below zero.
		s := o.Open(t)
		const accounts, total = 8, 8000
		must(t, s.Update(ctx, func(tx entitlement.Tx) error {
			for i := range accounts {
				if err := tx.Put("acct", fmt.Sprint(i), binary.AppendUvarint(nil, total/accounts)); err != nil {
					return err
				}
			}
			return nil
		}))
		sum := func(tx entitlement.Tx) error {
			n := uint64(0)
			seen := 0
			err := tx.Scan("acct", "", func(_ string, v []byte) (bool, error) {
				x, l := binary.Uvarint(v)
				if l <= 0 {
					return false, fmt.Errorf("a torn value % x", v)
				}
				n += x
				seen++
				return true, nil
			})
			if err == nil && (n != total || seen != accounts) {
				err = fmt.Errorf("the books read %d over %d accounts, want %d over %d", n, seen, total, accounts)
			}
			return err
		}
		errFail := errors.New("storetest: fail after writing")
		var wg sync.WaitGroup
		var firstErr atomic.Pointer[error]
		report := func(err error) {
			if err != nil {
				firstErr.CompareAndSwap(nil, &err)
			}
		}
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 9))
				for i := range 40 {
					from, to, amt := fmt.Sprint(r.IntN(accounts)), fmt.Sprint(r.IntN(accounts)), uint64(1+r.IntN(50))
					fail := i%4 == 3
					err := s.Update(ctx, func(tx entitlement.Tx) error {
						if err := sum(tx); err != nil {
							return err
						}
						fv, _, err := tx.Get("acct", from)
						if err != nil {
							return err
						}
						f, _ := binary.Uvarint(fv)
						if f < amt {
							return nil
						}
						if err := tx.Put("acct", from, binary.AppendUvarint(nil, f-amt)); err != nil {
							return err
						}
						tv, _, err := tx.Get("acct", to)
						if err != nil {
							return err
						}
						x, _ := binary.Uvarint(tv)
						if err := tx.Put("acct", to, binary.AppendUvarint(nil, x+amt)); err != nil {
							return err
						}
						if fail {
							return errFail
						}
						return nil
					})
					if fail && errors.Is(err, errFail) {
						err = nil
					}
					report(err)
				}
			}()
		}
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 60 {
					report(s.View(ctx, sum))
				}
			}()
		}
		wg.Wait()
		if p := firstErr.Load(); p != nil {
			t.Fatal(*p)
		}
		must(t, s.View(ctx, sum))
	})
	t.Run("CancelWhileCommitting", func(t *testing.T) {
		// A context canceled at each moment the store looks at it (the k-th call of its Done or
		// Err, for every k until an Update no longer looks), from several goroutines at once:
		// an Update that returned nil is in the store, one that returned an error left nothing.
		s := o.Open(t)
		const workers = 4
		var wg sync.WaitGroup
		var mu sync.Mutex
		results := map[string]error{}
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int64(3); ; i++ {
					k := i / 3 // each moment three times: some stores race with the cancellation
					cctx := newCancelAt(ctx, k)
					key := fmt.Sprintf("%d-%04d", w, i)
					err := s.Update(cctx, func(tx entitlement.Tx) error { return tx.Put("cancel", key, []byte{1}) })
					cctx.cancel()
					mu.Lock()
					results[key] = err
					mu.Unlock()
					if cctx.looks.Load() < k || k > 500 {
						return // the Update finished before the k-th look: every moment was tried
					}
				}
			}()
		}
		wg.Wait()
		committed, refused := 0, 0
		must(t, s.View(ctx, func(tx entitlement.Tx) error {
			for key, err := range results {
				_, ok, gerr := tx.Get("cancel", key)
				if gerr != nil {
					return gerr
				}
				switch {
				case err == nil && !ok:
					return fmt.Errorf("update %s reported success but its write is not in the store", key)
				case err != nil && ok:
					return fmt.Errorf("update %s reported %q but its write is in the store", key, err)
				case err != nil && !errors.Is(err, context.Canceled):
					return fmt.Errorf("update %s: %v, want success or context.Canceled", key, err)
				case err == nil:
					committed++
				default:
					refused++
				}
			}
			return nil
		}))
		t.Logf("%d committed, %d canceled", committed, refused)
	})
	t.Run("CloseWhileBusy", func(t *testing.T) {
		// Close while Updates and Views run: each operation either completes (an Update that
		// returned nil is in the store until Close) or fails with ErrClosed; none panics or
		// hangs, and after Close every operation fails with ErrClosed.
		s := o.Open(t)
		var wg sync.WaitGroup
		var ops atomic.Int64
		started := make(chan struct{})
		var once sync.Once
		var firstErr atomic.Pointer[error]
		report := func(err error) { firstErr.CompareAndSwap(nil, &err) }
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					var err error
					if (w+i)%2 == 0 {
						err = s.Update(ctx, func(tx entitlement.Tx) error {
							return tx.Put("busy", fmt.Sprint(w, "-", i), []byte("v"))
						})
					} else {
						err = s.View(ctx, func(tx entitlement.Tx) error {
							_, _, err := tx.Get("busy", fmt.Sprint(w, "-", i-1))
							return err
						})
					}
					if ops.Add(1) > 40 {
						once.Do(func() { close(started) })
					}
					if errors.Is(err, entitlement.ErrClosed) {
						return
					}
					if err != nil {
						report(fmt.Errorf("an operation during Close: %w", err))
						return
					}
				}
			}()
		}
		<-started
		if err := s.Close(); err != nil {
			t.Fatalf("Close while busy: %v", err)
		}
		wg.Wait()
		if p := firstErr.Load(); p != nil {
			t.Fatal(*p)
		}
		if err := s.Update(ctx, func(entitlement.Tx) error { return nil }); !errors.Is(err, entitlement.ErrClosed) {
			t.Fatalf("Update after Close: %v, want ErrClosed", err)
		}
		if err := s.View(ctx, func(entitlement.Tx) error { return nil }); !errors.Is(err, entitlement.ErrClosed) {
			t.Fatalf("View after Close: %v, want ErrClosed", err)
		}
	})
}

// cancelAt is a context that cancels itself at the k-th call of its Done or Err method: a
// cancellation placed at one exact moment of what a store does with the context.
type cancelAt struct {
	context.Context
	cancel func()
	at     int64
	looks  atomic.Int64
}

func newCancelAt(parent context.Context, k int64) *cancelAt {
	c, cancel := context.WithCancel(parent)
	return &cancelAt{Context: c, cancel: cancel, at: k}
}

func (c *cancelAt) look() {
	if c.looks.Add(1) == c.at {
		c.cancel()
	}
}

func (c *cancelAt) Done() <-chan struct{} { c.look(); return c.Context.Done() }

func (c *cancelAt) Err() error { c.look(); return c.Context.Err() }
