package entitlement

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// smallBoltFile writes a small bbolt file of 1 KiB pages, laid out as a ledger file is: bucket
// "a" inline in the root's leaf, bucket "b" a tree of a branch over leaves. It returns its bytes
// and the page numbers of b's branch and of its first leaf.
func smallBoltFile(t testing.TB) (file []byte, branch, leaf int) {
	path := filepath.Join(t.TempDir(), "small.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		a, err := tx.CreateBucket([]byte("a"))
		if err != nil {
			return err
		}
		if err := a.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		b, err := tx.CreateBucket([]byte("b"))
		if err != nil {
			return err
		}
		for i := range 40 {
			if err := b.Put([]byte{'k', byte(i)}, make([]byte, 40)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	file, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	for id := 2; (id+1)*1024 <= len(file); id++ {
		p := file[id*1024:]
		if le.Uint64(p) != uint64(id) {
			continue
		}
		if le.Uint16(p[8:]) == 0x01 && branch == 0 {
			branch, leaf = id, int(le.Uint64(p[16+8:]))
		}
	}
	if branch == 0 {
		t.Fatal("the small bbolt file has no branch page")
	}
	return file, branch, leaf
}

// FuzzReadBolt reads any file through the bbolt reader MigrateFile uses (readBolt: checkBoltFile,
// then bbolt's own cursor): it never crashes, loops or faults; what it refuses is ErrCorrupt; what
// it accepts passes the ledger's key rules. Seeds: a small bbolt file with 1 KiB pages (see
// smallBoltFile), and page numbers and offsets of it bent into cycles and out of the file.
// (TestMigrateFile_HostileFile and TestMigrateFile_DamagedFile damage the ledger file of
// testdata, which is too large for the fuzzer to work on.)
func FuzzReadBolt(f *testing.F) {
	good, branch, leaf := smallBoltFile(f)
	f.Add(good)
	le := binary.LittleEndian
	for _, bend := range []struct{ off, val int }{
		{branch*1024 + 16 + 8, branch},    // the branch's first child: itself
		{branch*1024 + 16 + 8, 1 << 18},   // far past the file
		{branch*1024 + 16 + 8, 1},         // a meta page
		{leaf*1024 + 16 + 4, 1 << 16},     // a leaf element's offset out of its page
		{leaf*1024 + 12, 1 << 20},         // a leaf that overflows past the file
		{branch*1024 + 16 + 16 + 8, leaf}, // two children the same page
	} {
		b := append([]byte(nil), good...)
		le.PutUint32(b[bend.off:], uint32(bend.val))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "old.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var db *bolt.DB
		if err := guarded(func() (err error) {
			db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Millisecond})
			return err
		}); err != nil {
			return // not a bbolt file at all: MigrateFile refuses it before reading
		}
		defer db.Close()
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		err = readBolt(db, file, func(bucket, key, _ []byte) error {
			if err := CheckKey(string(bucket), string(key)); err != nil {
				t.Fatalf("readBolt passed on bucket %q key %q: %v", bucket, key, err)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("readBolt: %v, want nil or ErrCorrupt", err)
		}
	})
}

// TestReadBolt_SmallFile reads the small bbolt file whole, and refuses each of its damaged forms
// (the fuzz seeds) with ErrCorrupt.
func TestReadBolt_SmallFile(t *testing.T) {
	good, branch, leaf := smallBoltFile(t)
	read := func(data []byte) (int, error) {
		path := filepath.Join(t.TempDir(), "old.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		n := 0
		err = readBolt(db, file, func(_, _, _ []byte) error { n++; return nil })
		return n, err
	}
	if n, err := read(good); err != nil || n != 41 {
		t.Fatalf("the small file: %d keys, %v; want 41", n, err)
	}
	le := binary.LittleEndian
	for _, bend := range []struct {
		name     string
		off, val int
	}{
		{"a branch's child is the branch", branch*1024 + 16 + 8, branch},
		{"a branch's child far past the file", branch*1024 + 16 + 8, 1 << 18},
		{"a branch's child is a meta page", branch*1024 + 16 + 8, 1},
		{"a leaf element's offset out of its page", leaf*1024 + 16 + 4, 1 << 16},
		{"a leaf that overflows past the file", leaf*1024 + 12, 1 << 20},
		{"two children of a branch are one page", branch*1024 + 16 + 16 + 8, leaf},
	} {
		b := bytes.Clone(good)
		le.PutUint32(b[bend.off:], uint32(bend.val))
		if _, err := read(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", bend.name, err)
		}
	}
}
