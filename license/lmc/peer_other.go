//go:build !linux

package lmc

import "net"

// peerOf knows no peer credentials outside Linux: a unix socket then serves no administrator.
func peerOf(net.Conn) peer { return peer{} }
