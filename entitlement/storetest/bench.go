package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// FloorF is the floor every durable store is measured against, F: one 4 KiB write over the same
// block of a file on the disk of b.TempDir() and its fdatasync. Run it in the same round as the
// store benchmarks it stands under and read their figures as ratios to it.
func FloorF(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	if _, err := f.WriteAt(buf, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		buf[0] = byte(i)
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := datasync(f); err != nil {
			b.Fatal(err)
		}
	}
}

// Warm brings a durable store to its steady state before a benchmark: it writes 100 MiB through
// s, the same 256 keys of 4 KiB over and over in 1 MiB updates (so little is left to compact),
// then deletes them. A log-structured store has then written, flushed and recycled its first
// log files, so a sync overwrites blocks of a file of unchanged size, as in a ledger that has
// run a while; a fresh store's first logs grow, and fdatasync then also writes the file size.
func Warm(tb testing.TB, s entitlement.Store) {
	tb.Helper()
	ctx := context.Background()
	val := make([]byte, 4096)
	for i := range 101 {
		if err := s.Update(ctx, func(tx entitlement.Tx) error {
			for j := range 256 {
				k := fmt.Sprintf("%03d", j)
				if i == 100 {
					if err := tx.Delete("warm", k); err != nil {
						return err
					}
				} else if err := tx.Put("warm", k, val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
}
