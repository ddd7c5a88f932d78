package entitlement_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/lmskit/lmskit/entitlement"
)

const lockEnv = "LMSKIT_ENTITLEMENT_LOCK_CHILD"

// TestLockChild is the child half of TestOpenFile_HeldByAnotherProcess: it opens the store named
// in lockEnv ("ro:" before the path: read-only; "pebble:": only takes Pebble's own lock on it),
// says HELD, and holds it until its standard input closes.
func TestLockChild(t *testing.T) {
	path := os.Getenv(lockEnv)
	if path == "" {
		t.Skip("child process of TestOpenFile_HeldByAnotherProcess only")
	}
	if path, isPebble := strings.CutPrefix(path, "pebble:"); isPebble {
		// The lock as Pebble takes it itself (and lmskit did before it took its own).
		lock, err := pebble.LockDirectory(path, vfs.Default)
		if err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
			os.Exit(2)
		}
		os.Stdout.WriteString("HELD\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		ok(t, lock.Close())
		return
	}
	path, readOnly := strings.CutPrefix(path, "ro:")
	s, err := entitlement.OpenFile(path, &entitlement.FileOptions{ReadOnly: readOnly, Timeout: -1})
	if err != nil {
		os.Stdout.WriteString("ERR " + err.Error() + "\n")
		os.Exit(2)
	}
	os.Stdout.WriteString("HELD\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	ok(t, s.Close())
}

// TestOpenFile_HeldByAnotherProcess: while another process holds the ledger (store or bbolt-format
// file), OpenFile fails with ErrLocked and a message that says so; once it lets go, OpenFile
// succeeds. Read-only opens share the ledger with each other, never with a read-write open.
func TestOpenFile_HeldByAnotherProcess(t *testing.T) {
	if os.Getenv(lockEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	ok(t, err)
	for _, format := range []string{"current", "bbolt"} {
		for _, c := range []struct {
			child, parent string
			locked        bool
		}{
			{"rw", "rw", true}, {"rw", "ro", true}, {"ro", "rw", true}, {"ro", "ro", false},
			// An lmskit from before the store took its own lock held the directory with
			// Pebble's: the same fcntl lock on the same file.
			{"pebble", "rw", true}, {"pebble", "ro", true},
		} {
			if c.child == "pebble" && format == "bbolt" {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s held, %s open", format, c.child, c.parent), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "ledger")
				if format == "bbolt" {
					path = copyBoltLedger(t)
				} else {
					s, err := entitlement.OpenFile(path, nil)
					ok(t, err)
					ok(t, s.Close())
				}
				cmd := exec.Command(exe, "-test.run=^TestLockChild$", "-test.count=1")
				spec := path
				if c.child != "rw" {
					spec = c.child + ":" + path
				}
				cmd.Env = append(os.Environ(), lockEnv+"="+spec)
				stdin, err := cmd.StdinPipe()
				ok(t, err)
				out, err := cmd.StdoutPipe()
				ok(t, err)
				cmd.Stderr = os.Stderr
				ok(t, cmd.Start())
				defer cmd.Wait()
				defer stdin.Close()
				sc := bufio.NewScanner(out)
				for sc.Scan() && sc.Text() != "HELD" {
					if strings.HasPrefix(sc.Text(), "ERR") {
						t.Fatalf("child: %s", sc.Text())
					}
				}
				o := &entitlement.FileOptions{Timeout: -1, ReadOnly: c.parent == "ro"}
				s, err := entitlement.OpenFile(path, o)
				if !c.locked {
					ok(t, err)
					ok(t, s.View(ctx, func(entitlement.Tx) error { return nil }))
					ok(t, s.Close())
				} else if !errors.Is(err, entitlement.ErrLocked) || !strings.Contains(err.Error(), "another process holds the ledger file") {
					t.Fatalf("OpenFile while another process holds the ledger: %v", err)
				} else {
					t.Logf("refused: %v", err)
				}
				if format == "bbolt" && c.child == "rw" {
					err := entitlement.MigrateFile(path, filepath.Join(t.TempDir(), "migrated"))
					if !errors.Is(err, entitlement.ErrLocked) {
						t.Fatalf("MigrateFile while another process holds the file: %v", err)
					}
				}
				ok(t, stdin.Close())
				_, _ = io.Copy(io.Discard, out)
				ok(t, cmd.Wait())
				s, err = entitlement.OpenFile(path, o)
				ok(t, err)
				ok(t, s.Close())
			})
		}
	}
}

// TestOpenFile_HeldInThisProcess: a second open of a store that is open in this process is
// refused the same way, read-only or not, and under another name of the same directory (a
// symbolic link), and works after the first Close. A refused open does not release the first
// one's lock: another process is still refused.
func TestOpenFile_HeldInThisProcess(t *testing.T) {
	if os.Getenv(lockEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger")
	alias := filepath.Join(dir, "alias")
	s, err := entitlement.OpenFile(path, nil)
	ok(t, err)
	ok(t, os.Symlink(path, alias))
	for _, c := range []struct {
		name, path string
		readOnly   bool
	}{
		{"same path", path, false}, {"same path, read-only", path, true},
		{"symbolic link", alias, false}, {"symbolic link, read-only", alias, true},
	} {
		s2, err := entitlement.OpenFile(c.path, &entitlement.FileOptions{Timeout: -1, ReadOnly: c.readOnly})
		if err == nil {
			s2.Close()
		}
		if !errors.Is(err, entitlement.ErrLocked) {
			t.Fatalf("second open, %s: %v", c.name, err)
		}
	}
	exe, err := os.Executable()
	ok(t, err)
	cmd := exec.Command(exe, "-test.run=^TestLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockEnv+"=ro:"+path)
	cmd.Stdin = strings.NewReader("") // a child that gets the store lets it go at once
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "ERR") || !strings.Contains(string(out), "another process holds the ledger file") {
		t.Fatalf("another process opens the store after refused opens here: %q", out)
	}
	ok(t, s.Close())
	s, err = entitlement.OpenFile(alias, &entitlement.FileOptions{Timeout: -1})
	ok(t, err)
	ok(t, s.Close())
	if err := s.Close(); !errors.Is(err, entitlement.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// TestOpenFile_NotALedger: a directory or file that is not a ledger store, or another program's
// Pebble database (of an older format), is refused with ErrCorrupt and left as it was, read-write
// or read-only (a read-write open of the database used to upgrade its format, which the program's
// own older engine then could not read); a store whose creation was cut short (an empty
// database without the ledger's marker) opens.
func TestOpenFile_NotALedger(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	ok(t, os.Mkdir(other, 0o700))
	ok(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600))
	file := filepath.Join(dir, "file")
	ok(t, os.WriteFile(file, bytes.Repeat([]byte("x"), 8192), 0o600))
	foreign := filepath.Join(dir, "foreign")
	db, err := pebble.Open(foreign, &pebble.Options{FormatMajorVersion: pebble.FormatMinSupported})
	ok(t, err)
	ok(t, db.Set([]byte("another program's key"), []byte("v"), pebble.Sync))
	ok(t, db.Close())
	for _, p := range []string{other, file, foreign} {
		before := treeDigest(t, p)
		for _, ro := range []bool{false, true} {
			if _, err := entitlement.OpenFile(p, &entitlement.FileOptions{Timeout: -1, ReadOnly: ro}); !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("OpenFile(%s, read-only %v): %v, want ErrCorrupt", p, ro, err)
			}
			if after := treeDigest(t, p); after != before {
				t.Fatalf("OpenFile(%s, read-only %v) changed what it refused:\nbefore\n%s\nafter\n%s", p, ro, before, after)
			}
		}
	}
	empty := filepath.Join(dir, "empty")
	ok(t, os.Mkdir(empty, 0o700))
	s, err := entitlement.OpenFile(empty, nil)
	ok(t, err)
	ok(t, s.Close())
}
