package entitlement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMemBucket_KeysInOrder checks the in-memory store's chunked key order against a plain sorted
// list after every step of random puts and deletes, with enough keys for chunks to split and
// empty: every scan (prefix, start) sees exactly the reference's keys, in order.
func TestMemBucket_KeysInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := &memBucket{m: map[string][]byte{}}
	var ref []string
	key := func() string { return fmt.Sprintf("%c%04d", 'a'+rng.IntN(3), rng.IntN(1500)) }
	check := func(step int) {
		for _, q := range [][2]string{{"", ""}, {"b", "b"}, {"a", "a07"}, {"c", "c1499"}, {"", "b0750"}, {"a1", "a1"}} {
			var got []string
			if err := b.scan(q[0], max(q[0], q[1]), func(k string, _ []byte) (bool, error) { got = append(got, k); return true, nil }); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, k := range ref {
				if strings.HasPrefix(k, q[0]) && k >= q[1] {
					want = append(want, k)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: scan %q from %q: %d keys, want %d", step, q[0], q[1], len(got), len(want))
			}
		}
		for i, c := range b.chunks {
			if len(c) == 0 || len(c) > maxChunk {
				t.Fatalf("step %d: chunk %d holds %d keys", step, i, len(c))
			}
		}
	}
	for step := range 12000 {
		k := key()
		i, found := slices.BinarySearch(ref, k)
		if step%3 == 2 || (step > 8000 && step%3 != 0) {
			b.del(k)
			if found {
				ref = slices.Delete(ref, i, i+1)
			}
		} else {
			b.put(k, []byte(k))
			if !found {
				ref = slices.Insert(ref, i, k)
			}
		}
		if step == 8000 && len(b.chunks) < 4 {
			t.Fatalf("%d keys in %d chunks: the test splits too few", len(ref), len(b.chunks))
		}
		if step%97 == 0 || step > 11900 {
			check(step)
		}
	}
	if len(b.m) != len(ref) {
		t.Fatalf("map holds %d keys, the order %d", len(b.m), len(ref))
	}
	check(-1)
}
