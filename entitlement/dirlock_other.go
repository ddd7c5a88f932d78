//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package entitlement

import (
	"errors"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// lockFS is the file system the store's directory lock is taken through: here Pebble's own lock,
// exclusive even for a read-only open.
func lockFS(bool) vfs.FS { return vfs.Default }

// lockHeld reports whether a lock error means someone else holds the lock: another process
// (EAGAIN or EACCES) or another open store in this process (Pebble's own check).
func lockHeld(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || err.Error() == "lock held by current process"
}
