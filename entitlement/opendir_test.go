package entitlement

import (
	"context"
	"errors"
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

// TestFileStore_FailedUpdateSeesOnlyDurable: an Update that commits nothing while another
// writer's batch is applied but not yet synced syncs the log itself and publishes what it read,
// so a View after it sees that batch.
func TestFileStore_FailedUpdateSeesOnlyDurable(t *testing.T) {
	st, err := OpenFile(filepath.Join(t.TempDir(), "ledger"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*fileStore)
	ctx := context.Background()
	// A batch applied as a writer applies it, its sync not waited for and its snapshot not
	// published: what another writer's Update looks like between apply and publish.
	b, snap, _, err := s.write(ctx, func(tx Tx) error { return tx.Put("b", "k", []byte("v")) })
	if err != nil || b == nil {
		t.Fatalf("write: %v", err)
	}
	defer func() {
		if err := b.SyncWait(); err != nil {
			t.Error(err)
		}
		b.Close()
		snap.Close()
	}()
	seen := func() (ok bool) {
		if err := s.View(ctx, func(tx Tx) error { _, ok, err = tx.Get("b", "k"); return err }); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if seen() {
		t.Fatal("a View saw a batch whose sync nobody has waited for")
	}
	errBoom := errors.New("boom")
	err = s.Update(ctx, func(tx Tx) error {
		if _, ok, err := tx.Get("b", "k"); err != nil || !ok {
			t.Errorf("the next writer does not read the applied batch: %v %v", ok, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: %v", err)
	}
	if !seen() {
		t.Fatal("after a failed Update that read the batch, a View does not see it")
	}
}
