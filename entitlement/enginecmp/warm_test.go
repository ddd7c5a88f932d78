package enginecmp

import (
	"os"
	"path/filepath"
	"syscall"
	"fmt"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// warm writes n MiB through s (in 1 MiB updates) and deletes it again, so the engine reaches its
// steady state (for Pebble: its write-ahead log files recycled, overwritten in place).
func warm(tb testing.TB, s entitlement.Store, n int) entitlement.Store {
	val := make([]byte, 4096)
	for i := range n {
		if err := s.Update(ctx, func(tx entitlement.Tx) error {
			for j := range 256 {
				if err := tx.Put("warm", fmt.Sprintf("%04d/%03d", i, j), val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

func BenchmarkWarm(b *testing.B) {
	for _, mib := range []int{0, 20, 40} {
		b.Run(fmt.Sprint("F", mib), benchF)
		b.Run(fmt.Sprint("pebble-warm", mib), func(b *testing.B) { emptyUpdate(b, warm(b, openPebble(b), mib)) })
		b.Run(fmt.Sprint("sqlite-warm", mib), func(b *testing.B) { emptyUpdate(b, warm(b, openSQLite(b), mib)) })
	}
}

func BenchmarkFAppend(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWarm2(b *testing.B) {
	b.Run("F", benchF)
	b.Run("Fappend", BenchmarkFAppend)
	b.Run("pebble-warm60", func(b *testing.B) { emptyUpdate(b, warm(b, openPebble(b), 60)) })
	b.Run("F", benchF)
}

func BenchmarkWarm3(b *testing.B) {
	b.Run("F", benchF)
	b.Run("pebble-warm150", func(b *testing.B) { emptyUpdate(b, warm(b, openPebble(b), 150)) })
	b.Run("F", benchF)
}
