package entitlement

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// MigrateFile copies the ledger file at oldPath, in the bbolt format of the embedded store before
// the current engine, into a new store at newPath in the current format (what [OpenFile] creates).
// newPath must not exist. The old file is opened read-only and left as it was; it must not be in
// use by another process (stop the ledger service first), or MigrateFile fails at once with
// [ErrLocked].
//
// The copy is written beside newPath (newPath + ".migrating"), synced, read back and compared
// record by record with the old file (a SHA-256 over every bucket, key and value in order), and
// only then renamed to newPath: a failed or interrupted migration leaves no store at newPath. A
// damaged page structure in the old file is refused with [ErrCorrupt] (its page tree is checked
// before bbolt's own reader, which would crash or loop, follows it); damage inside a key or a
// value, which bbolt keeps no checksum of, is copied as it reads ([VerifyAudit] finds it). The
// audit chain, the counters and every record move unchanged, so [VerifyAudit] and
// [CheckConservation] give the same answers before and after.
func MigrateFile(oldPath, newPath string) error {
	fail := func(err error) error { return fmt.Errorf("entitlement: migrate %s to %s: %w", oldPath, newPath, err) }
	if _, err := os.Lstat(newPath); err == nil {
		return fail(fmt.Errorf("%w: %s exists", ErrInvalid, newPath))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	tmp := newPath + ".migrating"
	if _, err := os.Lstat(tmp); err == nil {
		return fail(fmt.Errorf("%w: %s exists (left by an interrupted migration: remove it)", ErrInvalid, tmp))
	}
	isBolt, err := isBoltFile(oldPath)
	if err != nil {
		return fail(err)
	}
	if !isBolt {
		return fail(fmt.Errorf("%w: %s is not a ledger file in the bbolt format", ErrInvalid, oldPath))
	}
	var old *bolt.DB
	err = guarded(func() (err error) {
		old, err = bolt.Open(oldPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Millisecond})
		return err
	})
	if errors.Is(err, bolterr.ErrTimeout) {
		return fail(ErrLocked)
	}
	if err != nil {
		return fail(err)
	}
	defer old.Close()
	// The file again, for checkBoltFile to read its pages before bbolt follows them. (bbolt's
	// lock is a flock, which belongs to its own descriptor: this one's close leaves it.)
	oldFile, err := os.Open(oldPath)
	if err != nil {
		return fail(err)
	}
	defer oldFile.Close()
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fail(err)
	}
	if err := migrateInto(old, oldFile, tmp); err != nil {
		os.RemoveAll(tmp)
		return fail(err)
	}
	if err := os.Rename(tmp, newPath); err != nil {
		os.RemoveAll(tmp)
		return fail(err)
	}
	if err := syncDir(filepath.Dir(newPath)); err != nil {
		return fail(err)
	}
	return nil
}

// migrateInto copies every record of old (whose file is oldFile) into a new store in dir, syncs
// it, then reads it back and compares each bucket's digest with the old file's.
func migrateInto(old *bolt.DB, oldFile *os.File, dir string) (err error) {
	st, err := openPebble(dir, FileOptions{Timeout: -1, UnsafeNoSync: true}, true)
	if err != nil {
		return err
	}
	s := st.(*fileStore)
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	want := map[string]hash.Hash{}
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	apply := func() error {
		err := s.db.Apply(b, pebble.NoSync)
		b.Close()
		b = s.db.NewBatch()
		return err
	}
	err = readBolt(old, oldFile, func(name, k, v []byte) error {
		h := want[string(name)]
		if h == nil {
			h = sha256.New()
			want[string(name)] = h
		}
		digest(h, k, v)
		if err := b.Set(append(append([]byte{byte(len(name))}, name...), k...), v, nil); err != nil {
			return err
		}
		if b.Len() >= 4<<20 {
			return apply()
		}
		return nil
	})
	if err == nil {
		err = apply()
	}
	if err == nil {
		// One synced log record makes everything before it durable; the flush writes the
		// records into sorted tables so that the first open does not replay the whole log.
		err = s.db.LogData(nil, pebble.Sync)
	}
	if err == nil {
		err = s.db.Flush()
	}
	if err != nil {
		return err
	}
	got := map[string]hash.Hash{}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{1}, UpperBound: []byte{65}})
	if err != nil {
		return err
	}
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		name := string(k[1 : 1+int(k[0])])
		h := got[name]
		if h == nil {
			h = sha256.New()
			got[name] = h
		}
		digest(h, k[1+len(name):], it.Value())
	}
	if err := it.Close(); err != nil {
		return err
	}
	for name, h := range want {
		g := got[name]
		if g == nil {
			g = sha256.New() // an empty bucket is no keys at all in the new store
		}
		if !bytes.Equal(g.Sum(nil), h.Sum(nil)) {
			return fmt.Errorf("%w: bucket %q reads back differently", ErrCorrupt, name)
		}
		delete(got, name)
	}
	for name := range got {
		return fmt.Errorf("%w: bucket %q appeared in the copy", ErrCorrupt, name)
	}
	return nil
}

// readBolt calls fn for every key and value of every bucket of the bbolt ledger file old (whose
// file is oldFile), in order. A damaged file is an error matching ErrCorrupt, not a crash: its
// pages are checked before bbolt follows them, and what bbolt still panics or faults on is
// caught. So is what is not a ledger: a nested bucket, a bucket name or key that [CheckKey]
// refuses.
func readBolt(old *bolt.DB, oldFile *os.File, fn func(bucket, key, val []byte) error) error {
	fi, err := oldFile.Stat()
	if err != nil {
		return err
	}
	return guarded(func() error {
		return old.View(func(btx *bolt.Tx) error {
			if err := checkBoltFile(oldFile, fi.Size(), old.Info().PageSize, uint64(btx.ID())); err != nil {
				return err
			}
			return btx.ForEach(func(name []byte, bk *bolt.Bucket) error {
				return bk.ForEach(func(k, v []byte) error {
					if v == nil {
						return fmt.Errorf("%w: nested bucket %q in bucket %q", ErrCorrupt, k, name)
					}
					if err := CheckKey(string(name), string(k)); err != nil {
						return fmt.Errorf("%w: bucket %q key %q: %v", ErrCorrupt, name, k, err)
					}
					return fn(name, k, v)
				})
			})
		})
	})
}

// digest adds one key and value to h, length-prefixed so that no two sequences collide.
func digest(h hash.Hash, k, v []byte) {
	h.Write(binary.AppendUvarint(nil, uint64(len(k))))
	h.Write(k)
	h.Write(binary.AppendUvarint(nil, uint64(len(v))))
	h.Write(v)
}
