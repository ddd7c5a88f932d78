package entitlement

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestFileStore_BlockCacheHoldsBlocks: once the memtables are full (Pebble reserves their memory
// out of the block cache), a table read twice is read from the cache the second time. With the
// cache no larger than the memtables, every read went to the file.
func TestFileStore_BlockCacheHoldsBlocks(t *testing.T) {
	s, err := OpenFile(filepath.Join(t.TempDir(), "ledger"), &FileOptions{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.(*fileStore).db
	ctx := context.Background()
	val := make([]byte, 1000)
	// About three memtables of records: flushed tables, one memtable full and one filling.
	for i := range 30 {
		if err := s.Update(ctx, func(tx Tx) error {
			for j := range 1000 {
				if err := tx.Put("b", fmt.Sprintf("%06d", i*1000+j), val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() {
		for i := 0; i < 30000; i += 997 {
			if err := s.View(ctx, func(tx Tx) error {
				_, ok, err := tx.Get("b", fmt.Sprintf("%06d", i))
				if !ok && err == nil {
					err = fmt.Errorf("key %06d missing", i)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	read()
	before := db.Metrics().BlockCache
	read()
	after := db.Metrics().BlockCache
	if hits, misses := after.Hits-before.Hits, after.Misses-before.Misses; hits == 0 || misses > hits/10 {
		t.Fatalf("second read of the same keys: %d block cache hits, %d misses (cache holds %d blocks)", hits, misses, after.Count)
	}
}
