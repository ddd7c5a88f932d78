package storetest

import (
	"os"
	"syscall"
)

// datasync is fdatasync: the file's data and what is needed to read it back, not its times.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
