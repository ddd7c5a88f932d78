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
