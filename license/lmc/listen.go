package lmc

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// Listen opens a listener for [Server.Serve].
//
// For network "unix", address is the socket's path. A socket file left behind by an LMC that crashed
// is removed first; a live one (something answers on it) or a file that is not a socket is an error.
// The socket is made mode 0600: only the LMC's own user may connect. To let applications running as
// other users in, make the socket's directory theirs to enter and widen the mode with os.Chmod (for
// example 0660 with a shared group); the socket's permissions are the only access control.
//
// For "tcp", "tcp4" and "tcp6", the address must be on a loopback interface ("127.0.0.1:7707",
// "[::1]:7707", "localhost:7707"), and the server must have a token.
func Listen(network, address string) (net.Listener, error) {
	switch network {
	case "unix":
		if err := removeStaleSocket(address); err != nil {
			return nil, err
		}
		l, err := net.Listen("unix", address)
		if err != nil {
			return nil, fmt.Errorf("lmc: listening on %s: %w", address, err)
		}
		if err := os.Chmod(address, 0o600); err != nil {
			l.Close()
			return nil, fmt.Errorf("lmc: setting the socket's mode: %w", err)
		}
		return l, nil
	case "tcp", "tcp4", "tcp6":
		a, err := net.ResolveTCPAddr(network, address)
		if err != nil {
			return nil, fmt.Errorf("lmc: listening on %s: %w", address, err)
		}
		if a.IP == nil || !a.IP.IsLoopback() {
			return nil, fmt.Errorf("%w: refusing to listen on %s: the LMC serves loopback addresses only", ErrUnauthorized, address)
		}
		l, err := net.ListenTCP(network, a)
		if err != nil {
			return nil, fmt.Errorf("lmc: listening on %s: %w", address, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w: the LMC serves unix sockets and loopback TCP, not %q", ErrBadRequest, network)
}

func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lmc: checking %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("lmc: %s exists and is not a socket", path)
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("lmc: another LMC is serving on %s", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("lmc: probing %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("lmc: removing the stale socket %s: %w", path, err)
	}
	return nil
}
