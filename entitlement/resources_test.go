package entitlement_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// engineGoroutines lists the goroutines running code of the storage engines.
func engineGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "cockroachdb/pebble") || strings.Contains(g, "go.etcd.io/bbolt") {
			found = append(found, g)
		}
	}
	return found
}

// openFiles counts this process's open file descriptors (Linux: /proc/self/fd).
func openFiles(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files")
	}
	return len(ents)
}

// TestOpenFile_ReleasesResources opens, uses and closes stores of both formats, read-write and
// read-only, over and over: afterwards no file descriptor stays open and no goroutine of the
// engines runs.
func TestOpenFile_ReleasesResources(t *testing.T) {
	fds := openFiles(t)
	if g := engineGoroutines(); len(g) != 0 {
		t.Skipf("engine goroutines from other tests still run: %d", len(g))
	}
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "ledger"), copyBoltLedger(t)}
	for range 5 {
		for _, p := range paths {
			for _, ro := range []bool{false, true} {
				s, err := entitlement.OpenFile(p, &entitlement.FileOptions{ReadOnly: ro})
				ok(t, err)
				if !ro {
					ok(t, s.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", make([]byte, 1<<20)) }))
				}
				ok(t, s.View(ctx, func(tx entitlement.Tx) error {
					return tx.Scan("b", "", func(string, []byte) (bool, error) { return true, nil })
				}))
				ok(t, s.Close())
			}
		}
	}
	if n := openFiles(t); n != fds {
		t.Errorf("%d file descriptors open after Close, %d before", n, fds)
	}
	if g := engineGoroutines(); len(g) != 0 {
		t.Errorf("%d engine goroutines still run after Close:\n%s", len(g), strings.Join(g, "\n\n"))
	}
}
