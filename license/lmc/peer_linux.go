package lmc

import (
	"net"
	"syscall"
)

// peerOf returns the credentials of the process at the other end of a unix socket (SO_PEERCRED),
// as the kernel recorded them when it connected.
func peerOf(c net.Conn) peer {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return peer{}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return peer{}
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil || cred == nil {
		return peer{}
	}
	return peer{pid: int(cred.Pid), uid: int(cred.Uid), known: true}
}
