package entitlement

import (
	"context"
	"errors"
)

// Store is the transactional key-value storage the ledger keeps its books in. Keys and values are
// opaque to the store; the ledger encodes records and keeps its own indexes, so an implementation
// needs no knowledge of the ledger's types. Implementations: [NewMemStore] (tests),
// [OpenFile] (the durable embedded store, the default: Pebble in one directory, one log sync per
// group of commits) and entitlement/pgstore (PostgreSQL, for a server past one machine). The
// conformance suite in entitlement/storetest runs against every implementation; [Export] and
// [Import] move a ledger from one to another.
//
// Update runs fn in a read-write transaction: if fn returns nil the transaction commits and, for a
// durable store, is on stable storage when Update returns; if fn returns an error or panics, nothing
// it wrote is kept. Read-write transactions are serialisable (an implementation may simply run them
// one at a time). A store may call fn more than once for one Update (to retry, or to take a failing
// function out of a group commit): fn must derive everything from what it reads in the
// transaction and keep no effect of an earlier call (storetest.Retrying runs every update twice to
// check this). View runs fn in a read-only transaction that sees one consistent state.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction of a [Store]. Bucket names and keys are limited as [CheckKey] says. A Tx
// must not be used after the function it was passed to returns, nor from another goroutine. Byte
// slices returned by Get and passed to Scan callbacks are valid only inside the transaction and
// must not be modified.
type Tx interface {
	// Get returns the value under key in bucket; ok is false when there is none (a bucket that
	// was never written holds nothing).
	Get(bucket, key string) (val []byte, ok bool, err error)
	// Put stores val under key in bucket, creating the bucket if needed. The store keeps its own
	// copy of val. Put on a read-only transaction returns ErrReadOnly.
	Put(bucket, key string, val []byte) error
	// Delete removes key from bucket; deleting a missing key is not an error.
	Delete(bucket, key string) error
	// Scan calls fn for every key in bucket that starts with prefix, in ascending byte order,
	// until fn returns false or an error (which Scan returns). Writes to the scanned bucket
	// from inside fn are not allowed.
	Scan(bucket, prefix string, fn func(key string, val []byte) (more bool, err error)) error
	// ScanFrom is Scan starting at the first key that is at least start (a seek, not a filter:
	// keys before start cost nothing), so a listing can page through a large bucket. A start
	// before the prefix scans the whole prefix; one past it finds nothing.
	ScanFrom(bucket, prefix, start string, fn func(key string, val []byte) (more bool, err error)) error
}

// ErrReadOnly is returned by Put and Delete inside View.
var ErrReadOnly = errors.New("entitlement: write in a read-only transaction")

// ErrClosed is returned by a Store after Close.
var ErrClosed = errors.New("entitlement: store is closed")

// CheckKey is the limit every Store enforces on bucket names (1 to 64 bytes) and keys (1 to 1024
// bytes: bbolt allows 32 KiB, but PostgreSQL indexes want short keys). Store implementations call it
// in Get, Put and Delete.
func CheckKey(bucket, key string) error {
	if bucket == "" || len(bucket) > 64 {
		return errors.New("entitlement: bucket name must be 1 to 64 bytes")
	}
	if key == "" || len(key) > 1024 {
		return errors.New("entitlement: key must be 1 to 1024 bytes")
	}
	return nil
}
