package entitlement_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	bolt "go.etcd.io/bbolt"
)

// copyBoltLedger copies testdata/ledger-bbolt-v1.db (see its .md) into a fresh directory.
func copyBoltLedger(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ledger-bbolt-v1.db"))
	ok(t, err)
	path := filepath.Join(t.TempDir(), "ledger.db")
	ok(t, os.WriteFile(path, b, 0o600))
	return path
}

// checkBoltLedger checks what testdata/ledger-bbolt-v1.md says the ledger holds.
func checkBoltLedger(t *testing.T, s entitlement.Store) *storetest.Fixture {
	t.Helper()
	f := storetest.NewFixture(t, s, 7)
	if _, err := f.L.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	ok(t, entitlement.CheckConservation(ctx, s))
	v, err := f.L.LookupHWKC(ctx, f.Dist, "191000343919")
	ok(t, err)
	if len(v.Activated) != 4 || len(v.Attached) != 0 || v.File == nil || v.File.Serial != 1 {
		t.Fatalf("location 191000343919 has %d activated and %d attached lines and file %+v, want 4, 0 and serial 1", len(v.Activated), len(v.Attached), v.File)
	}
	for _, po := range []string{"PO-MIGRATE-1", "PO-MIGRATE-2"} {
		if _, err := f.L.LookupOrder(ctx, f.Admin, po); err != nil {
			t.Fatalf("order %s: %v", po, err)
		}
	}
	return f
}

// TestOpenFile_BoltFormat opens a ledger file written by the bbolt store before the current
// engine: it still opens (on bbolt), reads as it was written and takes new operations.
func TestOpenFile_BoltFormat(t *testing.T) {
	path := copyBoltLedger(t)
	s, err := entitlement.OpenFile(path, nil)
	ok(t, err)
	defer s.Close()
	f := checkBoltLedger(t, s)
	shipSV8100(t, f, f.DistP, "PO-AFTER")
	ok(t, entitlement.CheckConservation(ctx, s))
}

// TestMigrateFile migrates the bbolt ledger file to the current engine: every bucket holds the
// same keys and values, the ledger's export of both is the same bytes, the ledger reads the same,
// takes new operations, and the old file is unchanged.
func TestMigrateFile(t *testing.T) {
	oldPath := copyBoltLedger(t)
	before, err := os.ReadFile(oldPath)
	ok(t, err)
	newPath := filepath.Join(t.TempDir(), "ledger")
	ok(t, entitlement.MigrateFile(oldPath, newPath))
	if fi, err := os.Stat(newPath); err != nil || !fi.IsDir() {
		t.Fatalf("migrated store %s: %v, %v", newPath, fi, err)
	}
	if _, err := os.Stat(newPath + ".migrating"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the migration's working copy is still there: %v", err)
	}
	after, err := os.ReadFile(oldPath)
	ok(t, err)
	if !bytes.Equal(before, after) {
		t.Fatal("the migration changed the old file")
	}

	// Every record of the old file, read with bbolt itself, is in the new store.
	want := map[string]map[string]string{}
	db, err := bolt.Open(oldPath, 0o600, &bolt.Options{ReadOnly: true})
	ok(t, err)
	ok(t, db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			m := map[string]string{}
			want[string(name)] = m
			return b.ForEach(func(k, v []byte) error { m[string(k)] = string(v); return nil })
		})
	}))
	ok(t, db.Close())
	s, err := entitlement.OpenFile(newPath, nil)
	ok(t, err)
	defer s.Close()
	n := 0
	ok(t, s.View(ctx, func(tx entitlement.Tx) error {
		for bucket, m := range want {
			got := map[string]string{}
			if err := tx.Scan(bucket, "", func(k string, v []byte) (bool, error) { got[k] = string(v); return true, nil }); err != nil {
				return err
			}
			if len(got) != len(m) {
				t.Errorf("bucket %q: %d keys after migration, %d before", bucket, len(got), len(m))
			}
			for k, v := range m {
				if got[k] != v {
					t.Errorf("bucket %q key %q: %q after migration, %q before", bucket, k, got[k], v)
				}
				n++
			}
		}
		return nil
	}))
	if n < 20 {
		t.Fatalf("only %d records compared: the test file is not what its .md says", n)
	}
	// The ledger's own export of both reads the same, byte for byte.
	old, err := entitlement.OpenFile(oldPath, &entitlement.FileOptions{ReadOnly: true})
	ok(t, err)
	wantExport := export(t, old)
	ok(t, old.Close())
	if got := export(t, s); !bytes.Equal(got, wantExport) {
		t.Fatalf("the migrated ledger exports differently:\n%s\nbefore the migration:\n%s", got, wantExport)
	}
	f := checkBoltLedger(t, s)
	shipped := shipSV8100(t, f, f.DistP, "PO-AFTER")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000000077")
	_, err = f.L.Attach(ctx, f.Dist, loc.ID, picksAll(shipped))
	ok(t, err)
	ok(t, entitlement.CheckConservation(ctx, s))
	if _, err := f.L.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFile_Refusals: a migration that cannot be done changes nothing and says why.
func TestMigrateFile_Refusals(t *testing.T) {
	oldPath := copyBoltLedger(t)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	ok(t, os.Mkdir(exists, 0o700))
	notBolt := filepath.Join(dir, "notbolt")
	ok(t, os.WriteFile(notBolt, bytes.Repeat([]byte("x"), 4096), 0o600))
	leftover := filepath.Join(dir, "leftover")
	ok(t, os.Mkdir(leftover+".migrating", 0o700))
	for _, c := range []struct{ name, old, new string }{
		{"target exists", oldPath, exists},
		{"source not a bbolt ledger", notBolt, filepath.Join(dir, "n1")},
		{"source missing", filepath.Join(dir, "missing"), filepath.Join(dir, "n2")},
		{"interrupted migration's copy left", oldPath, leftover},
	} {
		err := entitlement.MigrateFile(c.old, c.new)
		if err == nil {
			t.Errorf("%s: MigrateFile succeeded", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
	}
	for _, p := range []string{filepath.Join(dir, "n1"), filepath.Join(dir, "n2"), leftover} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused migration left %s", p)
		}
	}
	if ents, _ := os.ReadDir(exists); len(ents) != 0 {
		t.Errorf("a refused migration wrote into the existing %s", exists)
	}
}

// TestMigrateFile_DamagedFile damages the bbolt file at one place after another: MigrateFile
// either migrates what bbolt reads (bbolt keeps no checksums on its data pages) into a store that
// opens, or fails and leaves nothing at the new path; it never crashes.
func TestMigrateFile_DamagedFile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "ledger-bbolt-v1.db"))
	ok(t, err)
	dir := t.TempDir()
	for off := 4096; off < len(good); off += 2048 {
		bad := bytes.Clone(good)
		for i := range 16 {
			bad[off+i] ^= 0xa5
		}
		oldPath := filepath.Join(dir, fmt.Sprint("old", off))
		newPath := filepath.Join(dir, fmt.Sprint("new", off))
		ok(t, os.WriteFile(oldPath, bad, 0o600))
		if err := entitlement.MigrateFile(oldPath, newPath); err != nil {
			if _, serr := os.Stat(newPath); !errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("damage at %d: MigrateFile failed (%v) but left %s", off, err, newPath)
			}
			continue
		}
		s, err := entitlement.OpenFile(newPath, nil)
		ok(t, err)
		ok(t, s.Close())
	}
}

const migrateEnv = "LMSKIT_ENTITLEMENT_MIGRATE_CHILD"

// TestMigrateChild is the child half of TestMigrateFile_HostileFile: it migrates the file named in
// migrateEnv with its address space limited to 3 GiB (a loop that only allocates ends there)
// and prints CORRUPT when MigrateFile refused it with ErrCorrupt and left nothing behind (no
// store, no working copy).
func TestMigrateChild(t *testing.T) {
	path := os.Getenv(migrateEnv)
	if path == "" {
		t.Skip("child process of TestMigrateFile_HostileFile only")
	}
	ok(t, syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: 3 << 30, Max: 3 << 30}))
	newPath := path + ".new"
	err := entitlement.MigrateFile(path, newPath)
	_, serr := os.Stat(newPath)
	_, terr := os.Stat(newPath + ".migrating")
	switch {
	case errors.Is(err, entitlement.ErrCorrupt) && errors.Is(serr, os.ErrNotExist) && errors.Is(terr, os.ErrNotExist):
		fmt.Println("CORRUPT", err)
	default:
		fmt.Println("ERR", err, serr, terr)
	}
}

// TestMigrateFile_HostileFile damages the page structure of the bbolt ledger file where bbolt's
// reader follows it blindly: page numbers that lead out of the file or back up the tree, element
// offsets far outside their page, counts and overflows that do not fit. MigrateFile refuses each
// file with ErrCorrupt and leaves nothing at the new path; before, some crashed the process (a
// memory fault outside bbolt's map) and a cycle allocated until the process died. Each runs in a
// child process, so that a crash fails the test instead of ending it.
func TestMigrateFile_HostileFile(t *testing.T) {
	if os.Getenv(migrateEnv) != "" {
		t.Skip("in the child")
	}
	if raceEnabled {
		t.Skip("the child limits its address space, which the race detector's shadow memory does not fit")
	}
	good, err := os.ReadFile(filepath.Join("testdata", "ledger-bbolt-v1.db"))
	ok(t, err)
	// The file's current tree (see ledger-bbolt-v1.md; meta page 1, transaction 15): the root
	// bucket is branch page 7 over leaf pages 5 and 6; page 5 holds bucket "allow" inline
	// (element 0) and bucket "audit" rooted at leaf page 3 (element 1). Pages 11 to 15 are
	// past the last page in use.
	const ps = 4096
	le := binary.LittleEndian
	page := func(b []byte, id int) []byte { return b[id*ps : (id+1)*ps] }
	leaf := func(b []byte, id, i int) (elem, val []byte) {
		e := page(b, id)[16+16*i:]
		pos, ksize, vsize := int(le.Uint32(e[4:])), int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		return e, e[pos+ksize : pos+ksize+vsize]
	}
	if le.Uint16(page(good, 7)[8:]) != 0x01 || le.Uint16(page(good, 5)[8:]) != 0x02 || le.Uint16(page(good, 3)[8:]) != 0x02 {
		t.Fatal("testdata/ledger-bbolt-v1.db is not laid out as this test expects")
	}
	if _, v := leaf(good, 5, 1); le.Uint64(v) != 3 {
		t.Fatal("testdata/ledger-bbolt-v1.db: bucket audit is not rooted at page 3")
	}
	for _, c := range []struct {
		name   string
		damage func(b []byte)
	}{
		{"a branch's child is the branch itself", func(b []byte) { le.PutUint64(page(b, 7)[16+8:], 7) }},
		{"a branch's child far past the file", func(b []byte) { le.PutUint64(page(b, 7)[16+8:], 1<<18) }},
		{"a branch's child past the last page in use", func(b []byte) { le.PutUint64(page(b, 7)[16+8:], 13) }},
		{"a branch's child is a meta page", func(b []byte) { le.PutUint64(page(b, 7)[16+16+8:], 1) }},
		{"a bucket rooted far past the file", func(b []byte) { _, v := leaf(b, 5, 1); le.PutUint64(v, 1<<22) }},
		{"a bucket rooted at the leaf that holds it", func(b []byte) { _, v := leaf(b, 5, 1); le.PutUint64(v, 5) }},
		{"a leaf element far outside its page", func(b []byte) { le.PutUint32(page(b, 3)[16+4:], 1<<30) }},
		{"a leaf key longer than its page", func(b []byte) { le.PutUint32(page(b, 3)[16+8:], 1<<31) }},
		{"a page that counts more elements than it holds", func(b []byte) { le.PutUint16(page(b, 3)[10:], 0xffff) }},
		{"a page that overflows past the file", func(b []byte) { le.PutUint32(page(b, 3)[12:], 1<<20) }},
		{"an inline bucket page that counts more elements than it holds", func(b []byte) {
			_, v := leaf(b, 5, 0)
			le.PutUint16(v[16+10:], 0xffff)
		}},
		{"a branch without children", func(b []byte) { le.PutUint16(page(b, 7)[10:], 0) }},
		{"a key in the root bucket that is not a bucket", func(b []byte) { e, _ := leaf(b, 5, 0); le.PutUint32(e, 0) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := bytes.Clone(good)
			c.damage(bad)
			path := filepath.Join(t.TempDir(), "old.db")
			ok(t, os.WriteFile(path, bad, 0o600))
			exe, err := os.Executable()
			ok(t, err)
			cmd := exec.Command(exe, "-test.run=^TestMigrateChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), migrateEnv+"="+path)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "CORRUPT") {
				if len(out) > 2000 {
					out = out[:2000]
				}
				t.Fatalf("MigrateFile of the damaged file: %v\n%s", err, out)
			}
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(l, "CORRUPT") {
					t.Log(l)
				}
			}
		})
	}
}
