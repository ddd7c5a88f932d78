package lmc

import (
	"fmt"
	"unicode/utf8"
)

// Bounds on what callers may name. They keep every request small and every error quotable.
const (
	maxNameLen  = 64      // an application name or a part number, in bytes
	maxSeats    = 1 << 20 // seats in one checkout
	leaseIDLen  = 32      // hex characters of a lease id
	minTokenLen = 16      // bytes of a connection token
	maxTokenLen = 256     // bytes of a connection token
)

// checkName validates an application name or part number: 1 to 64 bytes of printable UTF-8 without
// spaces at either end.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrBadRequest, what)
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("%w: %s is %d bytes long, at most %d allowed", ErrBadRequest, what, len(s), maxNameLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrBadRequest, what)
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s has a control character at byte %d", ErrBadRequest, what, i)
		}
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return fmt.Errorf("%w: %s %q has a leading or trailing space", ErrBadRequest, what, s)
	}
	return nil
}

func checkSeats(n int) error {
	if n < 1 || n > maxSeats {
		return fmt.Errorf("%w: seat count %d out of range 1..%d", ErrBadRequest, n, maxSeats)
	}
	return nil
}

func checkLeaseID(id string) error {
	if len(id) != leaseIDLen {
		return fmt.Errorf("%w: lease id must be %d hex characters, got %d", ErrBadRequest, leaseIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c-'0' > 9 && c-'a' > 5 { // (byte arithmetic: below '0' or 'a' wraps round)
			return fmt.Errorf("%w: lease id has a non-hex character at %d", ErrBadRequest, i)
		}
	}
	return nil
}
