package entitlement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The attacks below play against the embedded store's writers' cache (hotcache.go) and its probe:
// each one tries to make a writer read a value other than the committed state plus its own writes.

// hotStore opens the embedded store on an in-memory file system.
func hotStore(t *testing.T) (*fileStore, vfs.FS) {
	t.Helper()
	fs := vfs.NewMem()
	s := openMemFileStore(t, fs, true)
	t.Cleanup(func() { _ = s.Close() })
	return s, fs
}

// hotRead is one read as a writer sees it: through Get, then through probe.
type hotRead struct {
	val   []byte
	found bool
}

func (r hotRead) String() string {
	if !r.found {
		return "absent"
	}
	return fmt.Sprintf("%q", r.val)
}

// readBoth reads bucket/key through Get and probe and fails unless they agree.
func readBoth(tx Tx, bucket, key string) (hotRead, error) {
	v, ok, err := tx.Get(bucket, key)
	if err != nil {
		return hotRead{}, err
	}
	pv, pok, err := probe(tx, bucket, key)
	if err != nil {
		return hotRead{}, err
	}
	if ok != pok || !bytes.Equal(v, pv) {
		return hotRead{}, fmt.Errorf("%s/%s: get %v %q, probe %v %q", bucket, key, ok, v, pok, pv)
	}
	return hotRead{val: bytes.Clone(v), found: ok}, nil
}

// wantState reads every key of want twice in a writer (a cache miss, then a hit) and once in a
// View, through Get and probe, and fails unless each read is want's (a nil value: absent).
func wantState(t *testing.T, s *fileStore, bucket string, want map[string][]byte) {
	t.Helper()
	check := func(where string, tx Tx) error {
		for k, w := range want {
			got, err := readBoth(tx, bucket, k)
			if err != nil {
				return err
			}
			if got.found != (w != nil) || !bytes.Equal(got.val, w) {
				return fmt.Errorf("%s: %s/%s is %v, want %q (present %v)", where, bucket, k, got, w, w != nil)
			}
		}
		return nil
	}
	for pass := range 2 {
		if err := s.Update(context.Background(), func(tx Tx) error { return check(fmt.Sprintf("writer pass %d", pass), tx) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.View(context.Background(), func(tx Tx) error { return check("view", tx) }); err != nil {
		t.Fatal(err)
	}
}

func putAll(t *testing.T, s *fileStore, bucket string, kv map[string][]byte) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx Tx) error {
		for k, v := range kv {
			if err := tx.Put(bucket, k, v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAttack_HotCache_CallerMutatesGetValue: a caller that modifies a value Get returned (which
// the Tx contract forbids) must at worst spoil its own transaction; a cached value handed out
// and then modified would be served to every later writer, which would write records derived
// from it into the ledger.
func TestAttack_HotCache_CallerMutatesGetValue(t *testing.T) {
	s, _ := hotStore(t)
	want := map[string][]byte{"k": []byte("original")}
	putAll(t, s, "b", want)
	for range 3 { // the first read fills the cache, the later ones are served from it
		if err := s.Update(context.Background(), func(tx Tx) error {
			v, ok, err := tx.Get("b", "k")
			if err != nil || !ok {
				return fmt.Errorf("get: %v %v", ok, err)
			}
			copy(v, "MUTATED!")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	wantState(t, s, "b", want)
}

// TestAttack_HotCache_AbortedWriterLeavesNothing: a writer that reads keys (so the cache holds
// them), writes, deletes and creates keys, reads its own writes and is then rolled back (its
// function returns an error, panics, or its context is cancelled after it succeeded) must leave
// nothing the next writer reads, through Get or probe, on a cache hit or miss.
func TestAttack_HotCache_AbortedWriterLeavesNothing(t *testing.T) {
	errAbort := errors.New("abort")
	for _, how := range []string{"error", "panic", "cancel"} {
		t.Run(how, func(t *testing.T) {
			s, _ := hotStore(t)
			committed := map[string][]byte{"k1": []byte("v1"), "k2": []byte("v2"), "k3": nil, "k4": []byte("v4")}
			putAll(t, s, "b", map[string][]byte{"k1": []byte("v1"), "k2": []byte("v2"), "k4": []byte("v4")})
			wantState(t, s, "b", committed) // all cached now
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panicked: %v", r)
					}
				}()
				return s.Update(ctx, func(tx Tx) error {
					steps := []func() error{
						func() error { return tx.Put("b", "k1", []byte("rolled back")) },
						func() error { return tx.Delete("b", "k2") },
						func() error { return tx.Put("b", "k3", []byte("never")) },
						func() error { return tx.Delete("b", "k4") },
						func() error { return tx.Put("b", "k4", []byte("back again")) },
					}
					for _, step := range steps {
						if err := step(); err != nil {
							return err
						}
					}
					for k, w := range map[string]string{"k1": "rolled back", "k3": "never", "k4": "back again"} {
						if got, err := readBoth(tx, "b", k); err != nil || string(got.val) != w {
							return fmt.Errorf("own write of %s: %v %v", k, got, err)
						}
					}
					if got, err := readBoth(tx, "b", "k2"); err != nil || got.found {
						return fmt.Errorf("own delete of k2: %v %v", got, err)
					}
					switch how {
					case "error":
						return errAbort
					case "panic":
						panic("abort")
					}
					cancel()
					return nil
				})
			}()
			if err == nil {
				t.Fatal("the aborted Update succeeded")
			}
			wantState(t, s, "b", committed)
		})
	}
}

// TestAttack_HotCache_DeletePutDeleteInOneTx: a cached key deleted, written, deleted (and the
// reverse) in one transaction, read after each step, then committed.
func TestAttack_HotCache_DeletePutDeleteInOneTx(t *testing.T) {
	for _, seq := range [][]string{{"del", "put:a", "del"}, {"put:a", "del", "put:b"}, {"del", "del"}, {"put:a", "put:b"}} {
		t.Run(strings.Join(seq, ","), func(t *testing.T) {
			s, _ := hotStore(t)
			putAll(t, s, "b", map[string][]byte{"k": []byte("start")})
			wantState(t, s, "b", map[string][]byte{"k": []byte("start")})
			var final []byte
			if err := s.Update(context.Background(), func(tx Tx) error {
				for _, op := range seq {
					var err error
					if v, ok := strings.CutPrefix(op, "put:"); ok {
						err, final = tx.Put("b", "k", []byte(v)), []byte(v)
					} else {
						err, final = tx.Delete("b", "k"), nil
					}
					if err != nil {
						return err
					}
					got, err := readBoth(tx, "b", "k")
					if err != nil {
						return err
					}
					if got.found != (final != nil) || !bytes.Equal(got.val, final) {
						return fmt.Errorf("after %s: %v, want %q", op, got, final)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			wantState(t, s, "b", map[string][]byte{"k": final})
		})
	}
}

// TestAttack_HotCache_ScanAgreesWithGet: scans do not go through the cache; after cached Gets and
// the writer's own writes, a Scan and a ScanFrom in the same transaction must see exactly what
// Get sees. A write refused during a scan (which the function ignores) must not reach the cache.
func TestAttack_HotCache_ScanAgreesWithGet(t *testing.T) {
	s, _ := hotStore(t)
	start := map[string][]byte{}
	for i := range 6 {
		start[fmt.Sprintf("p%d", i)] = []byte(fmt.Sprintf("v%d", i))
	}
	putAll(t, s, "b", start)
	wantState(t, s, "b", start) // cached
	final := map[string][]byte{}
	if err := s.Update(context.Background(), func(tx Tx) error {
		if err := tx.Put("b", "p2", []byte("new2")); err != nil {
			return err
		}
		if err := tx.Delete("b", "p3"); err != nil {
			return err
		}
		if err := tx.Put("b", "p6", []byte("new6")); err != nil {
			return err
		}
		gets := map[string][]byte{}
		for i := range 8 {
			k := fmt.Sprintf("p%d", i)
			got, err := readBoth(tx, "b", k)
			if err != nil {
				return err
			}
			if got.found {
				gets[k] = got.val
			}
		}
		scanned := map[string][]byte{}
		if err := tx.Scan("b", "p", func(k string, v []byte) (bool, error) {
			scanned[k] = bytes.Clone(v)
			// Refused: the bucket is being scanned. A function that ignores the refusal
			// commits without this write.
			if err := tx.Put("b", k, []byte("during scan")); err == nil {
				return false, errors.New("a write during the scan was accepted")
			}
			return true, nil
		}); err != nil {
			return err
		}
		if fmt.Sprint(scanned) != fmt.Sprint(gets) {
			return fmt.Errorf("scan %q, gets %q", scanned, gets)
		}
		from := map[string][]byte{}
		if err := tx.ScanFrom("b", "p", "p3", func(k string, v []byte) (bool, error) {
			from[k] = bytes.Clone(v)
			return true, nil
		}); err != nil {
			return err
		}
		for k, v := range gets {
			if k >= "p3" && !bytes.Equal(from[k], v) {
				return fmt.Errorf("scan from p3: %s is %q, get %q", k, from[k], v)
			}
		}
		if len(from) != 3 { // p4 p5 p6
			return fmt.Errorf("scan from p3: %q", from)
		}
		for k, v := range gets {
			final[k] = v
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	final["p3"], final["p7"] = nil, nil
	wantState(t, s, "b", final)
}

// TestAttack_HotCache_LongValues: values around the cache's limit on a value's length and past a
// generation's byte bound replace cached short ones and are replaced by them.
func TestAttack_HotCache_LongValues(t *testing.T) {
	s, _ := hotStore(t)
	for _, n := range []int{5, hotMaxValue, hotMaxValue + 1, 3, hotBytes + 10, hotMaxValue, 0, 7, 2 * hotMaxValue, 1} {
		v := bytes.Repeat([]byte{byte(n)}, n)
		putAll(t, s, "b", map[string][]byte{"k": v})
		if err := s.Update(context.Background(), func(tx Tx) error {
			got, err := readBoth(tx, "b", "k")
			if err != nil || !got.found || !bytes.Equal(got.val, v) {
				return fmt.Errorf("after a put of %d bytes: %d bytes, %v", n, len(got.val), err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantState(t, s, "b", map[string][]byte{"k": v})
	}
}

// TestAttack_HotCache_SameKeyInTwoBuckets: keys whose bucket and key concatenate alike, and one
// key in two buckets, written one at a time.
func TestAttack_HotCache_SameKeyInTwoBuckets(t *testing.T) {
	s, _ := hotStore(t)
	pairs := [][2]string{{"a", "bk"}, {"ab", "k"}, {"b", "k"}, {"c", "k"}}
	for _, p := range pairs {
		putAll(t, s, p[0], map[string][]byte{p[1]: []byte(p[0] + "/" + p[1])})
	}
	for i, p := range pairs {
		putAll(t, s, p[0], map[string][]byte{p[1]: []byte("new " + p[0])})
		for j, q := range pairs {
			want := []byte(q[0] + "/" + q[1])
			if j <= i {
				want = []byte("new " + q[0])
			}
			wantState(t, s, q[0], map[string][]byte{q[1]: want})
		}
	}
}

// TestAttack_HotCache_HashBitCollisions: keys whose bits in the running writer's set of written
// keys collide: a write of one must neither hide the other's cached value nor let its own value
// into the cache.
func TestAttack_HotCache_HashBitCollisions(t *testing.T) {
	s, _ := hotStore(t)
	wantState(t, s, "b", map[string][]byte{"x": nil}) // seeds the cache
	// Find three keys with one bit.
	byBit := map[[2]uint64][]string{}
	var same []string
	for i := 0; same == nil; i++ {
		k := fmt.Sprintf("c%d", i)
		n, b := s.hot.bit(append([]byte{1, 'b'}, k...))
		id := [2]uint64{uint64(n), b}
		byBit[id] = append(byBit[id], k)
		if len(byBit[id]) == 3 {
			same = byBit[id]
		}
	}
	a, b, c := same[0], same[1], same[2]
	putAll(t, s, "b", map[string][]byte{a: []byte("a0"), b: []byte("b0"), c: []byte("c0")})
	wantState(t, s, "b", map[string][]byte{a: []byte("a0"), b: []byte("b0")}) // a and b cached, c not
	if err := s.Update(context.Background(), func(tx Tx) error {
		if err := tx.Put("b", a, []byte("a1")); err != nil {
			return err
		}
		for k, w := range map[string]string{a: "a1", b: "b0", c: "c0"} {
			got, err := readBoth(tx, "b", k)
			if err != nil || string(got.val) != w {
				return fmt.Errorf("%s: %v %v, want %s", k, got, err, w)
			}
		}
		return tx.Put("b", c, []byte("c1"))
	}); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, "b", map[string][]byte{a: []byte("a1"), b: []byte("b0"), c: []byte("c1")})
}

// TestAttack_HotCache_RotationUnderHeldValues: with tiny bounds the generations turn over many
// times inside one writer; values it holds must not change, and every read must match the engine.
func TestAttack_HotCache_RotationUnderHeldValues(t *testing.T) {
	defer SetHotCacheBounds(3, 40)()
	s, _ := hotStore(t)
	want := map[string][]byte{}
	for i := range 40 {
		want[fmt.Sprintf("k%02d", i)] = []byte(fmt.Sprintf("value %02d.........", i))
	}
	putAll(t, s, "b", want)
	for round := range 3 {
		if err := s.Update(context.Background(), func(tx Tx) error {
			held := map[string][]byte{}
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				v, ok, err := tx.Get("b", k)
				if err != nil || !ok || !bytes.Equal(v, want[k]) {
					return fmt.Errorf("round %d: get %s: %q %v %v", round, k, v, ok, err)
				}
				held[k] = v
				if i%3 == 0 { // written: the next round must read the new value
					nv := []byte(fmt.Sprintf("r%d %s", round, k))
					if err := tx.Put("b", k, nv); err != nil {
						return err
					}
					want[k] = nv
				}
				for j := range 4 { // re-read earlier keys: moves between generations
					ok2 := keys[(i*7+j)%(i+1)]
					if _, _, err := tx.Get("b", ok2); err != nil {
						return err
					}
				}
			}
			for k, v := range held {
				if !strings.Contains(string(v), k[1:]) {
					return fmt.Errorf("round %d: the value of %s held by the writer changed to %q", round, k, v)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantState(t, s, "b", want)
	}
}

// TestAttack_HotCache_ReopenStartsEmpty: a store reopened on the same files after another writer
// changed them reads the files, not what an earlier open cached.
func TestAttack_HotCache_ReopenStartsEmpty(t *testing.T) {
	fs := vfs.NewMem()
	s := openMemFileStore(t, fs, true)
	putAll(t, s, "b", map[string][]byte{"k": []byte("one")})
	wantState(t, s, "b", map[string][]byte{"k": []byte("one")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMemFileStore(t, fs, false)
	if len(s.hot.young)+len(s.hot.old) != 0 {
		t.Fatalf("a reopened store's cache holds %d keys", len(s.hot.young)+len(s.hot.old))
	}
	putAll(t, s, "b", map[string][]byte{"k": []byte("two")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMemFileStore(t, fs, false)
	defer s.Close()
	wantState(t, s, "b", map[string][]byte{"k": []byte("two")})
}

// TestAttack_HotCache_ViewsBesideWriters: Views run while writers move units between keys through
// cached reads; every View sees the total, through Get and probe (run under -race).
func TestAttack_HotCache_ViewsBesideWriters(t *testing.T) {
	s, _ := hotStore(t)
	const keys, total = 8, 8000
	init := map[string][]byte{}
	for i := range keys {
		init[fmt.Sprint(i)] = []byte(fmt.Sprint(total / keys))
	}
	putAll(t, s, "u", init)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 200 {
				from, to := fmt.Sprint((w+n)%keys), fmt.Sprint((w+3*n+1)%keys)
				err := s.Update(ctx, func(tx Tx) error {
					var a, b int
					for k, p := range map[string]*int{from: &a, to: &b} {
						v, _, err := tx.Get("u", k)
						if err != nil {
							return err
						}
						fmt.Sscan(string(v), p)
					}
					if from == to || a == 0 {
						return nil
					}
					if n%5 == 0 { // rolled back after writing
						_ = tx.Put("u", from, []byte("0"))
						return errors.New("rollback")
					}
					if err := tx.Put("u", from, []byte(fmt.Sprint(a-1))); err != nil {
						return err
					}
					return tx.Put("u", to, []byte(fmt.Sprint(b+1)))
				})
				if err != nil && err.Error() != "rollback" {
					errs <- err
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if err := s.View(ctx, func(tx Tx) error {
					return sumUnits(tx, "a View", keys, total)
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
	if err := s.Update(ctx, func(tx Tx) error { return sumUnits(tx, "a writer", keys, total) }); err != nil {
		t.Fatal(err)
	}
}

// sumUnits reads the units under keys 0 to keys-1 of bucket u through Get and probe (whose
// iterator options every View shares) and fails unless they add up to total.
func sumUnits(tx Tx, who string, keys, total int) error {
	sum := 0
	for i := range keys {
		got, err := readBoth(tx, "u", fmt.Sprint(i))
		if err != nil {
			return err
		}
		var n int
		fmt.Sscan(string(got.val), &n)
		sum += n
	}
	if sum != total {
		return fmt.Errorf("%s sees %d units, want %d", who, sum, total)
	}
	return nil
}

// TestAttack_Probe_MatchesGetInEveryLevel: probe and Get agree on keys present, absent, deleted
// and sharing a prefix with others, in the memtable, flushed to level 0, compacted to the last
// level, with tombstones at each of those, and over a writer's own batch.
func TestAttack_Probe_MatchesGetInEveryLevel(t *testing.T) {
	s, _ := hotStore(t)
	keys := []string{"a", "ab", "abb", "abc", "abcd", "abd", "ac", "b", "abc\x00", "ab\xff"}
	state := map[string][]byte{}
	for _, k := range keys {
		state[k] = nil
	}
	set := func(kv map[string][]byte) {
		if err := s.Update(context.Background(), func(tx Tx) error {
			for k, v := range kv {
				var err error
				if v == nil {
					err = tx.Delete("b", k)
				} else {
					err = tx.Put("b", k, v)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for k, v := range kv {
			state[k] = v
		}
	}
	flush := func() {
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	compact := func() {
		if err := s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		// Probe before Get: a Get fills the cache, which probe consults first.
		if err := s.Update(context.Background(), func(tx Tx) error {
			for _, k := range keys {
				pv, pok, err := probe(tx, "b", k)
				if err != nil {
					return err
				}
				if w := state[k]; pok != (w != nil) || !bytes.Equal(pv, w) {
					return fmt.Errorf("%s: probe %q: %v %q, want %q", stage, k, pok, pv, w)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantState(t, s, "b", state)
		// Over the writer's batch: its writes and deletes of every key.
		if err := s.Update(context.Background(), func(tx Tx) error {
			mine := map[string][]byte{}
			for i, k := range keys {
				if i%2 == 0 {
					mine[k] = []byte("mine " + k)
					if err := tx.Put("b", k, mine[k]); err != nil {
						return err
					}
				} else if err := tx.Delete("b", k); err != nil {
					return err
				}
			}
			for _, k := range keys {
				got, err := readBoth(tx, "b", k)
				if err != nil {
					return err
				}
				if got.found != (mine[k] != nil) || !bytes.Equal(got.val, mine[k]) {
					return fmt.Errorf("%s: own write of %q read %v", stage, k, got)
				}
			}
			return errors.New("roll back")
		}); err == nil || err.Error() != "roll back" {
			t.Fatal(err)
		}
	}
	check("empty")
	set(map[string][]byte{"ab": []byte("1"), "abc": []byte("2"), "abd": []byte("3"), "b": []byte("4")})
	check("memtable")
	flush()
	check("level 0")
	compact()
	check("compacted")
	set(map[string][]byte{"abc": nil, "abcd": []byte("5")})
	check("tombstone in memtable")
	flush()
	check("tombstone in level 0")
	set(map[string][]byte{"abc": []byte("6"), "ab": nil})
	check("over a tombstone")
	compact()
	check("compacted again")
	set(map[string][]byte{"abcd": nil, "abc\x00": []byte("7")})
	flush()
	compact()
	check("all compacted")
}

// TestAttack_HotCache_PutBufferReusedByCaller: the ledger encodes records into a buffer it
// reuses (op.scratch) and Puts from it; the cache must keep what was Put, not the buffer.
func TestAttack_HotCache_PutBufferReusedByCaller(t *testing.T) {
	s, _ := hotStore(t)
	want := map[string][]byte{"k1": []byte("k1 old"), "k2": []byte("k2 old")}
	putAll(t, s, "b", want)
	wantState(t, s, "b", want) // cached
	if err := s.Update(context.Background(), func(tx Tx) error {
		buf := []byte("k1 new")
		if err := tx.Put("b", "k1", buf); err != nil {
			return err
		}
		copy(buf, "k2 new")
		if err := tx.Put("b", "k2", buf); err != nil {
			return err
		}
		copy(buf, "XXXXXX")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, "b", map[string][]byte{"k1": []byte("k1 new"), "k2": []byte("k2 new")})
}

// TestAttack_HotCache_LargeBatch: a batch larger than half a memtable is applied by the engine
// another way (as a memtable of its own); the cached keys it writes and the keys it writes that
// the cache does not hold must read as written.
func TestAttack_HotCache_LargeBatch(t *testing.T) {
	s, _ := hotStore(t)
	putAll(t, s, "b", map[string][]byte{"k": []byte("before"), "gone": []byte("x")})
	wantState(t, s, "b", map[string][]byte{"k": []byte("before"), "gone": []byte("x"), "new": nil})
	big := bytes.Repeat([]byte{'v'}, 64<<10)
	if err := s.Update(context.Background(), func(tx Tx) error {
		for i := range 150 { // about 9.6 MiB: over half the 12 MiB memtable
			if err := tx.Put("big", fmt.Sprintf("%04d", i), big); err != nil {
				return err
			}
		}
		if err := tx.Delete("b", "gone"); err != nil {
			return err
		}
		if err := tx.Put("b", "new", []byte("new")); err != nil {
			return err
		}
		return tx.Put("b", "k", []byte("after"))
	}); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, "b", map[string][]byte{"k": []byte("after"), "gone": nil, "new": []byte("new")})
	wantState(t, s, "big", map[string][]byte{"0000": big, "0149": big, "0150": nil})
}

// TestAttack_HotCache_ReadOnlyOpen: a read-only open refuses Update and reads, through Get and
// probe, what the last read-write open committed.
func TestAttack_HotCache_ReadOnlyOpen(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenFile(dir, &FileOptions{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*fileStore)
	putAll(t, s, "b", map[string][]byte{"k": []byte("one")})
	wantState(t, s, "b", map[string][]byte{"k": []byte("one")})
	putAll(t, s, "b", map[string][]byte{"k": []byte("two")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenFile(dir, &FileOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Update(context.Background(), func(Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update on a read-only open: %v", err)
	}
	if err := ro.View(context.Background(), func(tx Tx) error {
		got, err := readBoth(tx, "b", "k")
		if err != nil || string(got.val) != "two" {
			return fmt.Errorf("read-only view: %v %v", got, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
