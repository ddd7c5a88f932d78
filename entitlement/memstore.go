package entitlement

import (
	"context"
	"fmt"
	"slices"
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

// memBucket keeps a map for lookups and a sorted key slice for ordered scans.
type memBucket struct {
	m    map[string][]byte
	keys []string
}

func (b *memBucket) put(k string, v []byte) {
	if _, ok := b.m[k]; !ok {
		i, _ := slices.BinarySearch(b.keys, k)
		b.keys = slices.Insert(b.keys, i, k)
	}
	b.m[k] = v
}

func (b *memBucket) del(k string) {
	if _, ok := b.m[k]; !ok {
		return
	}
	delete(b.m, k)
	if i, found := slices.BinarySearch(b.keys, k); found {
		b.keys = slices.Delete(b.keys, i, i+1)
	}
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
	i, _ := slices.BinarySearch(b.keys, max(prefix, start))
	for ; i < len(b.keys); i++ {
		k := b.keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		more, err := fn(k, b.m[k])
		if err != nil || !more {
			return err
		}
	}
	return nil
}
