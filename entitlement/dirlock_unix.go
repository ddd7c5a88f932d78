//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package entitlement

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// lockFS is the file system the store's directory lock is taken through: the operating system's,
// with the lock Pebble takes (an fcntl lock on the LOCK file, so Pebble's own lock and an earlier
// lmskit's exclude it too) but without truncating the file, and for a read-only open a shared
// lock on the file opened read-only. A read-only open then changes nothing in the directory (not
// even a time stamp), works where it may not write, and shares the store with other read-only
// opens, never with a read-write one.
func lockFS(shared bool) vfs.FS { return dirLockFS{FS: vfs.Default, shared: shared} }

type dirLockFS struct {
	vfs.FS
	shared bool
}

// heldLocks are the LOCK files this process holds. An fcntl lock belongs to the process: a second
// lock of the same file here would succeed, and closing it would release the first.
var heldLocks struct {
	sync.Mutex
	files []os.FileInfo
}

func heldHere(fi os.FileInfo) bool {
	return slices.ContainsFunc(heldLocks.files, func(h os.FileInfo) bool { return os.SameFile(h, fi) })
}

func (fs dirLockFS) Lock(name string) (io.Closer, error) {
	heldLocks.Lock()
	defer heldLocks.Unlock()
	if fi, err := os.Stat(name); err == nil && heldHere(fi) {
		return nil, errHeldHere
	}
	flag, typ := os.O_RDWR|os.O_CREATE, int16(syscall.F_WRLCK)
	if fs.shared {
		flag, typ = os.O_RDONLY, syscall.F_RDLCK
	}
	f, err := os.OpenFile(name, flag, 0o666) // the permissions Pebble gives its files
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		lk := syscall.Flock_t{Type: typ, Whence: io.SeekStart}
		if err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
			err = fmt.Errorf("%w: %w", errHeldElsewhere, err)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	heldLocks.files = append(heldLocks.files, fi)
	return &dirLock{f: f, fi: fi}, nil
}

type dirLock struct {
	f  *os.File
	fi os.FileInfo
}

func (l *dirLock) Close() error {
	heldLocks.Lock()
	defer heldLocks.Unlock()
	heldLocks.files = slices.DeleteFunc(heldLocks.files, func(h os.FileInfo) bool { return h == l.fi })
	return l.f.Close()
}

// lockHeld reports whether a lock error means someone else holds the lock: another process, or
// another open store in this process.
func lockHeld(err error) bool {
	return errors.Is(err, errHeldElsewhere) || errors.Is(err, errHeldHere)
}
