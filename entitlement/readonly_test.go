package entitlement_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// treeDigest lists every file and directory under root with its mode, size, modification time
// and a digest of its content: two listings are equal only if nothing under root was written.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	ok(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "%s %v %d %d", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(c))
		}
		b.WriteByte('\n')
		return nil
	}))
	return b.String()
}

// copyTree copies the files under from to to (which must not exist).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	ok(t, filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.Mkdir(filepath.Join(to, rel), 0o700)
		}
		c, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), c, 0o600)
	}))
}

func export(t *testing.T, s entitlement.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := entitlement.Export(ctx, s, &b)
	ok(t, err)
	return b.Bytes()
}

// TestOpenFile_ReadOnlyChangesNothing opens a ledger read-only in each form it may take (a store
// closed cleanly, the image a crash leaves of one still open, a bbolt-format file): it reads the
// whole ledger, refuses an Update with ErrReadOnly, and afterwards every file of the tree has the
// same name, mode, size, time stamp and content as before.
func TestOpenFile_ReadOnlyChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ledger")
	s, err := entitlement.OpenFile(dir, nil)
	ok(t, err)
	f := storetest.NewFixture(t, s, 3)
	shipSV8100(t, f, f.DistP, "PO-RO-1")
	want := export(t, s)
	crashed := filepath.Join(t.TempDir(), "crashed")
	copyTree(t, dir, crashed) // the store is still open: its log is not flushed, its LOCK held
	ok(t, s.Close())
	bolt := copyBoltLedger(t)
	bs, err := entitlement.OpenFile(bolt, &entitlement.FileOptions{ReadOnly: true})
	ok(t, err)
	wantBolt := export(t, bs)
	ok(t, bs.Close())

	for _, c := range []struct {
		name, path string
		want       []byte
	}{
		{"closed store", dir, want},
		{"crash image", crashed, want},
		{"bbolt-format file", bolt, wantBolt},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := treeDigest(t, c.path)
			ro, err := entitlement.OpenFile(c.path, &entitlement.FileOptions{ReadOnly: true, Timeout: -1})
			ok(t, err)
			if got := export(t, ro); !bytes.Equal(got, c.want) {
				t.Errorf("the read-only open reads a different ledger:\n%s\nwant\n%s", got, c.want)
			}
			err = ro.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte("v")) })
			if !errors.Is(err, entitlement.ErrReadOnly) {
				t.Errorf("Update on a read-only open: %v, want ErrReadOnly", err)
			}
			ok(t, ro.Close())
			if after := treeDigest(t, c.path); after != before {
				t.Fatalf("a read-only open wrote to the store:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

// TestOpenFile_ReadOnlyWithoutWriteAccess opens a store read-only as a user who may read it but
// not write to it (an auditor's account, a read-only mount): the open succeeds, and the ledger
// reads. As root the test runs the open in a child process as uid/gid 65534 (nobody), since root
// may write anywhere; as anyone else it takes write permission away from the store.
func TestOpenFile_ReadOnlyWithoutWriteAccess(t *testing.T) {
	if os.Getenv(lockEnv) != "" {
		t.Skip("in the child")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "ledger")
	s, err := entitlement.OpenFile(dir, nil)
	ok(t, err)
	f := storetest.NewFixture(t, s, 5)
	shipSV8100(t, f, f.DistP, "PO-AUDITOR")
	want := export(t, s)
	ok(t, s.Close())
	// Readable by all, writable by none.
	setModes := func(dirMode, fileMode fs.FileMode) {
		ok(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.Chmod(p, dirMode)
			}
			return os.Chmod(p, fileMode)
		}))
	}
	setModes(0o555, 0o444)
	t.Cleanup(func() { setModes(0o755, 0o644) })
	before := treeDigest(t, dir)
	if os.Geteuid() != 0 {
		ro, err := entitlement.OpenFile(dir, &entitlement.FileOptions{ReadOnly: true, Timeout: -1})
		ok(t, err)
		if got := export(t, ro); !bytes.Equal(got, want) {
			t.Errorf("the read-only open reads a different ledger")
		}
		ok(t, ro.Close())
	} else {
		// The test binary's directory is private to root: run a copy of it from base.
		ok(t, os.Chmod(filepath.Dir(base), 0o755))
		ok(t, os.Chmod(base, 0o755))
		self, err := os.Executable()
		ok(t, err)
		exe := filepath.Join(base, "entitlement.test")
		b, err := os.ReadFile(self)
		ok(t, err)
		ok(t, os.WriteFile(exe, b, 0o755))
		cmd := exec.Command(exe, "-test.run=^TestLockChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockEnv+"=ro:"+dir)
		cmd.Dir = base
		cmd.Stdin = strings.NewReader("")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "HELD") {
			t.Fatalf("a read-only open as a user who may not write to the store: %v\n%s", err, out)
		}
	}
	if after := treeDigest(t, dir); after != before {
		t.Fatalf("a read-only open wrote to the store:\nbefore\n%s\nafter\n%s", before, after)
	}
}
