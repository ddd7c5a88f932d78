package entitlement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// openBolt opens a ledger file in the bbolt format (the embedded store before the current
// engine): [OpenFile] keeps such a file working on its own engine, and [MigrateFile] copies it to
// the current one.
func openBolt(path string, o FileOptions) (Store, error) {
	timeout := o.Timeout
	if timeout < 0 {
		timeout = time.Nanosecond // bbolt reads 0 as "wait for ever"
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoSync: o.UnsafeNoSync, NoFreelistSync: true,
		FreelistType: bolt.FreelistMapType, ReadOnly: o.ReadOnly})
	if errors.Is(err, bolterr.ErrTimeout) {
		return nil, fmt.Errorf("entitlement: open %s: %w (waited %v for its lock; stop the other server, or take an online backup through it)",
			path, ErrLocked, max(o.Timeout, 0))
	}
	if err != nil {
		return nil, fmt.Errorf("entitlement: open %s: %w", path, err)
	}
	if o.GroupCommit > 0 {
		db.MaxBatchDelay = o.GroupCommit
		db.MaxBatchSize = 64
	}
	return &boltStore{db: db, group: o.GroupCommit > 0}, nil
}

// boltMagic is what a bbolt file holds at offset 16 of its first page (the meta page's magic,
// little-endian 0xED0CDAED).
var boltMagic = []byte{0xed, 0xda, 0x0c, 0xed}

// isBoltFile reports whether the file at path starts like a bbolt database.
func isBoltFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [20]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false, nil
	}
	return bytes.Equal(head[16:20], boltMagic), nil
}

type boltStore struct {
	db    *bolt.DB
	group bool
}

func (s *boltStore) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
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
	switch {
	case errors.Is(err, bolterr.ErrDatabaseNotOpen):
		return ErrClosed
	case errors.Is(err, bolterr.ErrDatabaseReadOnly):
		return ErrReadOnly
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
