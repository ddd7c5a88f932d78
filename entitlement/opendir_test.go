package entitlement

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenFile_SyncsDirectoryOfNewFile checks that creating the store file fsyncs its directory
// (the new directory entry must survive a crash), and that reopening an existing file does not.
func TestOpenFile_SyncsDirectoryOfNewFile(t *testing.T) {
	var synced []string
	orig := syncDir
	syncDir = func(dir string) error { synced = append(synced, dir); return orig(dir) }
	t.Cleanup(func() { syncDir = orig })
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	s, err := OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(synced, []string{dir}) {
		t.Fatalf("creating %s synced directories %q, want [%s]", path, synced, dir)
	}
	synced = nil
	if s, err = OpenFile(path, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 0 {
		t.Fatalf("reopening an existing file synced %q", synced)
	}
}

// TestFileStore_WaitDurable: an Update that commits nothing but may have read a batch not yet
// synced waits for a log sync (an empty synced log record) before it returns.
func TestFileStore_WaitDurable(t *testing.T) {
	st, err := OpenFile(filepath.Join(t.TempDir(), "ledger"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*fileStore)
	if err := s.waitDurable(s.applied + 1); err != nil { // beyond the published state: syncs
		t.Fatal(err)
	}
	if err := s.waitDurable(0); err != nil { // published already: returns at once
		t.Fatal(err)
	}
}
