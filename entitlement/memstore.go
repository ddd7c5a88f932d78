package entitlement

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// NewMemStore returns an in-memory [Store] for tests and examples. Writers run one at a time and
// are rolled back from an undo log when they fail; readers share a read lock. Nothing survives
// the process.
func NewMemStore() Store {
	return &memStore{buckets: map[string]*memBucket{}}
}

type memStore struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
	closed  bool
}

// memBucket keeps a map for lookups and its keys in ascending order for scans, in chunks of at
// most maxChunk keys: a new key moves the keys after it in its own chunk only, not every key after
// it in the bucket, so a put or delete costs O(log n + maxChunk) however large the bucket grows
// (one sorted slice made every insert near the front of a large bucket, such as the newest-first
// lists, copy the whole bucket).
type memBucket struct {
	m      map[string][]byte
	chunks [][]string // each non-empty and sorted; every key of a chunk before every key of the next
}

// maxChunk is the most keys a chunk holds; a chunk that grows past it is split in two.
const maxChunk = 256

// chunkFor is the index of the chunk that holds k or where k belongs: the first chunk whose last
// key is at least k, else the last chunk. The bucket has at least one chunk.
func (b *memBucket) chunkFor(k string) int {
	i := sort.Search(len(b.chunks), func(i int) bool { c := b.chunks[i]; return c[len(c)-1] >= k })
	return min(i, len(b.chunks)-1)
}

func (b *memBucket) put(k string, v []byte) {
	if _, ok := b.m[k]; !ok {
		b.insert(k)
	}
	b.m[k] = v
}

func (b *memBucket) insert(k string) {
	if len(b.chunks) == 0 {
		b.chunks = [][]string{{k}}
		return
	}
	ci := b.chunkFor(k)
	c := b.chunks[ci]
	j, _ := slices.BinarySearch(c, k)
	c = slices.Insert(c, j, k)
	if len(c) <= maxChunk {
		b.chunks[ci] = c
		return
	}
	half := len(c) / 2
	right := slices.Clone(c[half:])
	clear(c[half:])
	b.chunks[ci] = c[:half]
	b.chunks = slices.Insert(b.chunks, ci+1, right)
}

func (b *memBucket) del(k string) {
	if _, ok := b.m[k]; !ok {
		return
	}
	delete(b.m, k)
	ci := b.chunkFor(k)
	c := b.chunks[ci]
	j, found := slices.BinarySearch(c, k)
	if !found {
		return
	}
	if c = slices.Delete(c, j, j+1); len(c) > 0 {
		b.chunks[ci] = c
	} else {
		b.chunks = slices.Delete(b.chunks, ci, ci+1)
	}
}

// scan calls fn for the keys from start on, in order, while they start with prefix, until fn
// returns false or an error. fn must not change the bucket.
func (b *memBucket) scan(prefix, start string, fn func(string, []byte) (bool, error)) error {
	if len(b.chunks) == 0 {
		return nil
	}
	ci := b.chunkFor(start)
	j, _ := slices.BinarySearch(b.chunks[ci], start)
	for ; ci < len(b.chunks); ci, j = ci+1, 0 {
		for _, k := range b.chunks[ci][j:] {
			if !strings.HasPrefix(k, prefix) {
				return nil
			}
			if more, err := fn(k, b.m[k]); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

type undo struct {
	bucket, key string
	val         []byte
	existed     bool
}

type memTx struct {
	s        *memStore
	writable bool
	undo     []undo
	scanning map[string]int
	done     bool
}

func (s *memStore) Update(ctx context.Context, fn func(Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	tx := &memTx{s: s, writable: true}
	committed := false
	defer func() {
		tx.done = true
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

func (s *memStore) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	tx := &memTx{s: s}
	defer func() { tx.done = true }()
	return fn(tx)
}

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (tx *memTx) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		b := tx.s.buckets[u.bucket]
		if u.existed {
			b.put(u.key, u.val)
		} else {
			b.del(u.key)
		}
	}
	tx.undo = nil
}

func (tx *memTx) check(bucket, key string, write bool) error {
	if tx.done {
		return fmt.Errorf("entitlement: transaction used after it ended")
	}
	if write && !tx.writable {
		return ErrReadOnly
	}
	if write && tx.scanning[bucket] > 0 {
		return fmt.Errorf("entitlement: write to bucket %q during its scan", bucket)
	}
	return CheckKey(bucket, key)
}

func (tx *memTx) Get(bucket, key string) ([]byte, bool, error) {
	if err := tx.check(bucket, key, false); err != nil {
		return nil, false, err
	}
	b := tx.s.buckets[bucket]
	if b == nil {
		return nil, false, nil
	}
	v, ok := b.m[key]
	return v, ok, nil
}

func (tx *memTx) Put(bucket, key string, val []byte) error {
	if err := tx.check(bucket, key, true); err != nil {
		return err
	}
	b := tx.s.buckets[bucket]
	if b == nil {
		b = &memBucket{m: map[string][]byte{}}
		tx.s.buckets[bucket] = b
	}
	old, existed := b.m[key]
	tx.undo = append(tx.undo, undo{bucket, key, old, existed})
	b.put(key, slices.Clone(val))
	return nil
}

func (tx *memTx) Delete(bucket, key string) error {
	if err := tx.check(bucket, key, true); err != nil {
		return err
	}
	b := tx.s.buckets[bucket]
	if b == nil {
		return nil
	}
	old, existed := b.m[key]
	if !existed {
		return nil
	}
	tx.undo = append(tx.undo, undo{bucket, key, old, true})
	b.del(key)
	return nil
}

func (tx *memTx) Scan(bucket, prefix string, fn func(string, []byte) (bool, error)) error {
	return tx.ScanFrom(bucket, prefix, prefix, fn)
}

func (tx *memTx) ScanFrom(bucket, prefix, start string, fn func(string, []byte) (bool, error)) error {
	if tx.done {
		return fmt.Errorf("entitlement: transaction used after it ended")
	}
	if bucket == "" {
		return CheckKey(bucket, "k")
	}
	b := tx.s.buckets[bucket]
	if b == nil {
		return nil
	}
	if tx.scanning == nil {
		tx.scanning = map[string]int{}
	}
	tx.scanning[bucket]++
	defer func() { tx.scanning[bucket]-- }()
	return b.scan(prefix, max(prefix, start), fn)
}
