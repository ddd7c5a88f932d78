package entitlement

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// FileOptions configures [OpenFile]. The zero value is the safe default.
type FileOptions struct {
	// Timeout bounds the wait for the ledger held by another process; zero means 5 seconds, a
	// negative value means do not wait.
	Timeout time.Duration
	// GroupCommit applies only to a ledger file in the bbolt format, the embedded store before
	// the current engine (see [MigrateFile]): when positive, concurrent Updates on such a file
	// share one transaction, waiting up to this long for others to join. The current engine
	// always groups concurrent commits, with no delay, and ignores it.
	GroupCommit time.Duration
	// UnsafeNoSync skips the sync at commit. A crash can then lose committed transactions (and,
	// on a bbolt-format file, corrupt it). Only for tests and benchmarks that do not test
	// durability.
	UnsafeNoSync bool
	// ReadOnly opens an existing store for View only (Update returns [ErrReadOnly]), never
	// creates one and changes nothing on disk, not even a time stamp (the store may be on a
	// read-only file system): for audit, check and export tools. Read-only opens share the
	// store with each other but not with a read-write one, so while a server holds it
	// OpenFile waits Timeout and fails with [ErrLocked].
	ReadOnly bool
}

// defaultLockTimeout is how long OpenFile and MigrateFile wait for a ledger another process holds.
const defaultLockTimeout = 5 * time.Second

// ErrLocked is returned by [OpenFile] and [MigrateFile] when another process (or another open
// Store in this process) holds the ledger.
var ErrLocked = errors.New("entitlement: another process holds the ledger file")

// syncDir fsyncs a directory, making an entry created in it durable (a variable so a test can
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

// OpenFile opens (creating if needed) the durable ledger store at path: a directory, mode 0700,
// holding a Pebble database (a write-ahead log and sorted tables).
//
// Every committed Update is on stable storage before it returns, so a crash at any point loses no
// acknowledged transaction; a newly created store also has its directory entry synced before
// OpenFile returns (unless UnsafeNoSync). Concurrent Updates are grouped: the log is synced once
// for every transaction that arrived while the previous sync ran, and a lone Update costs one
// sync. Views read the newest state that is on stable storage and never wait for writers.
//
// When the disk refuses a write or sync of the log, the store fails closed: the Updates waiting
// on that sync and every operation after it return the disk's error, and the store must be
// closed and opened again. Pebble itself stops the process (a panic) if a writer reaches the
// log after the disk failed but before the store has seen the failure and the log's current
// 32 KiB block fills: a stop at that point loses nothing acknowledged either, since the writers
// in flight have not been answered, and the next open recovers from the log as after a crash.
//
// One process at a time may hold the store: while another holds it, OpenFile waits up to
// Timeout and then fails with [ErrLocked].
//
// A path that is a ledger file of the earlier bbolt format opens on that engine, as before (two
// syncs per commit, FileOptions.GroupCommit as configured); [MigrateFile] copies it to the current
// engine.
func OpenFile(path string, opts *FileOptions) (Store, error) {
	var o FileOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout == 0 {
		o.Timeout = defaultLockTimeout
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.Mode().IsRegular():
		bolt, err := isBoltFile(path)
		if err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", path, err)
		}
		if !bolt {
			return nil, fmt.Errorf("entitlement: open %s: %w: a file that is not a ledger", path, ErrCorrupt)
		}
		return openBolt(path, o)
	case err == nil && fi.IsDir():
		return openPebble(path, o, false)
	case errors.Is(err, fs.ErrNotExist) && o.ReadOnly:
		return nil, fmt.Errorf("entitlement: open %s read-only: %w", path, err)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(path, 0o700); err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", path, err)
		}
		return openPebble(path, o, true)
	default:
		return nil, fmt.Errorf("entitlement: open %s: %w", path, err)
	}
}

// storeMarker is the key, outside every bucket (no bucket name is empty), that marks a Pebble
// database as a ledger store, and its value the layout version.
var storeMarker, storeVersion = []byte("\x00lmskit"), []byte("ledger store 1")

func openPebble(dir string, o FileOptions, created bool) (_ Store, err error) {
	if !created {
		// Look before taking the lock, so that a directory that is not a ledger is left as it
		// was (the lock would add a file to it).
		desc, err := pebble.Peek(dir, vfs.Default)
		if err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
		}
		if !desc.Exists {
			ents, err := os.ReadDir(dir)
			if err != nil {
				return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
			}
			for _, e := range ents {
				if e.Name() != "LOCK" { // an empty directory, or one whose creation was cut short
					return nil, fmt.Errorf("entitlement: open %s: %w: a directory that is not a ledger", dir, ErrCorrupt)
				}
			}
			if o.ReadOnly {
				return nil, fmt.Errorf("entitlement: open %s read-only: %w: no ledger in the directory", dir, ErrCorrupt)
			}
			created = true
		}
	}
	lock, err := lockDir(dir, o.Timeout, o.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	if !created && !o.ReadOnly {
		// A read-write open upgrades the database's format and writes to it before the marker
		// can be read: look on a read-only open first, so that a database that is not a
		// ledger (another program's) is left as it was.
		if err := peekLedger(dir, lock); err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
		}
	}
	po := pebbleOptions(lock)
	po.ReadOnly = o.ReadOnly
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	sync := pebble.Sync
	if o.UnsafeNoSync {
		sync = pebble.NoSync
	}
	if created {
		if err := db.Set(storeMarker, storeVersion, sync); err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
		}
		if !o.UnsafeNoSync {
			if err := syncDir(filepath.Dir(dir)); err != nil {
				return nil, fmt.Errorf("entitlement: open %s: sync directory: %w", dir, err)
			}
		}
	} else {
		missing, err := checkMarker(db)
		if err == nil && missing && o.ReadOnly {
			err = fmt.Errorf("%w: an empty database", ErrCorrupt)
		}
		if err != nil {
			return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
		}
		if missing { // a database with no key at all is one whose creation was cut short: finish it
			if err := db.Set(storeMarker, storeVersion, sync); err != nil {
				return nil, fmt.Errorf("entitlement: open %s: %w", dir, err)
			}
		}
	}
	return newFileStore(db, lock, o.UnsafeNoSync, o.ReadOnly), nil
}

// peekLedger opens the database in dir read-only (under lock, which stays held) and checks that it
// is a ledger store, or one whose creation was cut short.
func peekLedger(dir string, lock *pebble.Lock) error {
	po := pebbleOptions(lock)
	po.ReadOnly = true
	db, err := pebble.Open(dir, po)
	if err != nil {
		return err
	}
	_, err = checkMarker(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkMarker reports whether db is a ledger store of this layout; missing means a database with
// no key at all (no marker, nothing else). Anything else is an error matching ErrCorrupt.
func checkMarker(db *pebble.DB) (missing bool, err error) {
	v, c, err := db.Get(storeMarker)
	if errors.Is(err, pebble.ErrNotFound) {
		empty, err := isEmpty(db)
		if err != nil {
			return false, err
		}
		if !empty {
			return false, fmt.Errorf("%w: a database that is not a ledger", ErrCorrupt)
		}
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer c.Close()
	if string(v) != string(storeVersion) {
		return false, fmt.Errorf("%w: unknown ledger store version", ErrCorrupt)
	}
	return false, nil
}

// isEmpty reports whether db holds no key.
func isEmpty(db *pebble.DB) (bool, error) {
	it, err := db.NewIter(nil)
	if err != nil {
		return false, err
	}
	empty := !it.First()
	return empty, it.Close()
}

// pebbleOptions are the engine's settings. Bloom filters on every level: an operation looks up
// keys that do not exist (a new software key code, a free id), and without a filter each such
// lookup reads an index and a data block of every table that could hold it. Pebble reserves its
// memtables' memory out of the block cache, so the cache must be larger than the memtables it
// holds (the active one and one being flushed): with a 32 MiB cache and 16 MiB memtables nothing
// was left for blocks, and every read of a table went to the file. 12 MiB memtables and a 36 MiB
// cache leave at least 12 MiB for blocks and keep a bulk load under 150 MiB resident; 8 MiB
// memtables stalled a bulk load's writes on their flushes (entitlement/BENCHMARKS.md).
func pebbleOptions(lock *pebble.Lock) *pebble.Options {
	o := &pebble.Options{
		Lock:               lock,
		Logger:             quietLogger{},
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       12 << 20,
		CacheSize:          36 << 20,
	}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return o
}

// errHeldElsewhere and errHeldHere are what the directory lock fails with while another process,
// or another open store in this process, holds the store.
var (
	errHeldElsewhere = errors.New("entitlement: the lock file is held by another process")
	errHeldHere      = errors.New("entitlement: the lock file is held by another store open in this process")
)

// lockDir takes the store's lock file, shared for a read-only open, waiting up to timeout while
// another process holds it.
func lockDir(dir string, timeout time.Duration, shared bool) (*pebble.Lock, error) {
	deadline := time.Now().Add(timeout)
	for {
		lock, err := pebble.LockDirectory(dir, lockFS(shared))
		if err == nil {
			return lock, nil
		}
		if !lockHeld(err) {
			return nil, err
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w (lock file %s)", ErrLocked, filepath.Join(dir, "LOCK"))
		}
		time.Sleep(min(50*time.Millisecond, time.Until(deadline)))
	}
}
