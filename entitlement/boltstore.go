package entitlement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// FileOptions configures [OpenFile]. The zero value is the safe default.
type FileOptions struct {
	// Timeout bounds the wait for the file lock held by another process; zero means 5 seconds.
	Timeout time.Duration
	// GroupCommit, when positive, lets concurrent Updates share one transaction and one fsync:
	// an Update waits up to this long for others to join (bbolt's Batch). Each caller still gets
	// its own outcome: a failing function is taken out of the group and run alone, so a function
	// may be called more than once (the Store contract allows it). Zero means every Update is its
	// own transaction, the lowest latency for a lone caller.
	GroupCommit time.Duration
	// UnsafeNoSync skips fsync at commit. A crash can then lose committed transactions or corrupt
	// the file. Only for tests and benchmarks that do not test durability.
	UnsafeNoSync bool
	// ReadOnly opens an existing file for View only (Update returns ErrReadOnly), sharing the file
	// with other read-only openers but not with a writer: while a writer holds it, OpenFile waits
	// Timeout and then fails with ErrLocked. For audit and export tools.
	ReadOnly bool
}

// syncDir fsyncs a directory, making a file created in it durable (a variable so a test can
// watch it).
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// OpenFile opens (creating if needed, mode 0600) the durable single-file ledger store at path.
// Every committed Update is fsynced before it returns, so a crash at any point loses no committed
// transaction; a newly created file also has its directory entry fsynced before OpenFile returns
// (unless UnsafeNoSync), so the file itself survives a crash. One process at a time may hold the
// file: while another holds it, OpenFile waits up to FileOptions.Timeout and then fails with
// [ErrLocked].
func OpenFile(path string, opts *FileOptions) (Store, error) {
	var o FileOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist) && !o.ReadOnly
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.UnsafeNoSync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, ReadOnly: o.ReadOnly})
	if errors.Is(err, bolterr.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s: another process holds the ledger file (waited %v for its lock; stop the other server, or take an online backup through it)",
			ErrLocked, path, o.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("entitlement: open %s: %w", path, err)
	}
	if created && !o.UnsafeNoSync {
		if err := syncDir(filepath.Dir(path)); err != nil {
			db.Close()
			return nil, fmt.Errorf("entitlement: open %s: sync directory: %w", path, err)
		}
	}
	if o.GroupCommit > 0 {
		db.MaxBatchDelay = o.GroupCommit
		db.MaxBatchSize = 64
	}
	return &boltStore{db: db, group: o.GroupCommit > 0, readOnly: o.ReadOnly}, nil
}

type boltStore struct {
	db       *bolt.DB
	group    bool
	readOnly bool
}

func (s *boltStore) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return ErrReadOnly
	}
	run := s.db.Update
	if s.group {
		run = s.db.Batch
	}
	err := run(func(btx *bolt.Tx) error {
		if err := fn(&boltTx{tx: btx}); err != nil {
			return err
		}
		return ctx.Err()
	})
	if errors.Is(err, bolterr.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (s *boltStore) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.View(func(btx *bolt.Tx) error { return fn(&boltTx{tx: btx}) })
	if errors.Is(err, bolterr.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func (s *boltStore) Close() error { return s.db.Close() }

type boltTx struct {
	tx       *bolt.Tx
	scanning map[string]int
}

func (t *boltTx) Get(bucket, key string) ([]byte, bool, error) {
	if err := CheckKey(bucket, key); err != nil {
		return nil, false, err
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil, false, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, false, nil
	}
	return v, true, nil
}

func (t *boltTx) writeCheck(bucket, key string) error {
	if !t.tx.Writable() {
		return ErrReadOnly
	}
	if t.scanning[bucket] > 0 {
		return fmt.Errorf("entitlement: write to bucket %q during its scan", bucket)
	}
	return CheckKey(bucket, key)
}

func (t *boltTx) Put(bucket, key string, val []byte) error {
	if err := t.writeCheck(bucket, key); err != nil {
		return err
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return fmt.Errorf("entitlement: bucket %q: %w", bucket, err)
	}
	if val == nil {
		val = []byte{}
	}
	// bbolt keeps a reference to val until commit; copy so callers may reuse buffers.
	return b.Put([]byte(key), bytes.Clone(val))
}

func (t *boltTx) Delete(bucket, key string) error {
	if err := t.writeCheck(bucket, key); err != nil {
		return err
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

func (t *boltTx) Scan(bucket, prefix string, fn func(string, []byte) (bool, error)) error {
	return t.ScanFrom(bucket, prefix, prefix, fn)
}

func (t *boltTx) ScanFrom(bucket, prefix, start string, fn func(string, []byte) (bool, error)) error {
	if bucket == "" {
		return CheckKey(bucket, "k")
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	if t.scanning == nil {
		t.scanning = map[string]int{}
	}
	t.scanning[bucket]++
	defer func() { t.scanning[bucket]-- }()
	c := b.Cursor()
	p := []byte(prefix)
	for k, v := c.Seek([]byte(max(prefix, start))); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		more, err := fn(string(k), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
