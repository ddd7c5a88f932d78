package keycode

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// digits62 spells the values 0..61 of the check scheme; radix-10 and radix-16 codes use its prefix.
const digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checker is an ISO 7064-style pure check over one radix with a prime modulus, started from a
// per-system value so that a payload valid for one system fails for another.
//
// The characters of the payload and the k check characters, read as radix-N digits after the start
// value r0, form a number that is 1 modulo p. With p prime, N <= p and p not dividing N-1, every single
// substitution (which changes the number by d*N^i, 0 < |d| < N) and every swap of two adjacent
// characters (which changes it by (a-b)(N-1)N^i) is detected; other errors escape with probability
// about 1/p.
type checker struct {
	radix int
	p     int
	k     int
	r0    int
}

func newChecker(tag string, radix, p, k int) checker {
	sum := sha256.Sum256([]byte("lmskit/keycode/v1/check/" + tag))
	r0 := int(binary.BigEndian.Uint64(sum[:8]) % uint64(p))
	return checker{radix: radix, p: p, k: k, r0: r0}
}

// value reads one character in the checker's radix; -1 when it is not a digit of that radix.
func (ck checker) value(c byte) int {
	var v int
	switch {
	case '0' <= c && c <= '9':
		v = int(c - '0')
	case 'A' <= c && c <= 'Z':
		v = int(c-'A') + 10
	case 'a' <= c && c <= 'z':
		v = int(c-'a') + 36
	default:
		return -1
	}
	if v >= ck.radix {
		return -1
	}
	return v
}

// appendCheck appends to b the k check characters of the payload b[from:].
func (ck checker) appendCheck(b []byte, from int) []byte {
	r := ck.r0
	for _, c := range b[from:] {
		v := ck.value(c)
		if v < 0 {
			panic("keycode: check over a character outside the radix") // derivations build payloads
		}
		r = (r*ck.radix + v) % ck.p
	}
	for range ck.k {
		r = r * ck.radix % ck.p
	}
	c := ((1-r)%ck.p + ck.p) % ck.p
	n := len(b)
	for range ck.k {
		b = append(b, 0)
	}
	for i := n + ck.k - 1; i >= n; i-- {
		b[i] = digits62[c%ck.radix]
		c /= ck.radix
	}
	return b
}

// valid reports whether s (payload and check characters) checks.
func (ck checker) valid(s string) bool {
	r := ck.r0
	for i := 0; i < len(s); i++ {
		v := ck.value(s[i])
		if v < 0 {
			return false
		}
		r = (r*ck.radix + v) % ck.p
	}
	return r == 1
}

// The check schemes of the codes lmskit derives, one per system (the package documentation's "Check characters").
var (
	checkIS3000  = newChecker("iS3000 dongle-less", 10, 97, 2)
	check3C      = newChecker("3C", 16, 251, 2)
	check3CCAT2  = newChecker("3C CAT2", 16, 251, 2)
	checkSV9500V = newChecker("SV9500 Standard Server", 62, 3833, 2)
	checkSV9500M = newChecker("SV9500 Small Enterprise", 62, 3833, 2)
	checkUIP     = newChecker("UIP", 16, 65521, 4)
)

// checkRegion returns the checker of c's form and the part of the code it covers.
func (c Code) checkRegion() (checker, string, bool) {
	switch c.form {
	case FormIS3000DongleLess:
		return checkIS3000, c.s[8:20], true
	case Form3C:
		if c.System() == ThreeCCAT2 {
			return check3CCAT2, c.s[2:], true
		}
		return check3C, c.s[2:], true
	case FormSV9500Virtual:
		return checkSV9500V, c.s[2:], true
	case FormSV9500SE:
		return checkSV9500M, c.s[2:], true
	case FormUIP:
		return checkUIP, c.s[2:], true
	}
	return checker{}, "", false
}

// Verify checks the lmskit check characters of a code lmskit derives: SV9500 Standard Server and
// Small Enterprise codes ("35V…", "35M…"), iS3000 dongle-less codes, 3C and 3C CAT2 codes, UIP codes,
// and the LMC forms of these. It returns nil when they match; an error wrapping ErrCheck when they do
// not (the code was mistyped, derived for another system, or made by another issuer such as LMS
// itself); an error wrapping ErrNoCheck for forms that carry no lmskit check characters (codes read
// from hardware, temp keys); ErrZero for the zero Code.
//
// Verify needs no secret: it catches typing errors, not forgeries. Whether the issuer really derived a
// code is answered by deriving it again with the issuer's Deriver and comparing.
func (c Code) Verify() error {
	if c.IsZero() {
		return ErrZero
	}
	if c.form == FormLMC || c.form == FormLMCIS3000 {
		p, err := c.PBX()
		if err != nil {
			return fmt.Errorf("%w: %s %q", ErrNoCheck, c.form, c.s)
		}
		if err := p.Verify(); err != nil {
			return fmt.Errorf("%w (in LMC code %q)", err, c.s)
		}
		return nil
	}
	ck, region, ok := c.checkRegion()
	if !ok {
		return fmt.Errorf("%w: %s %q", ErrNoCheck, c.form, c.s)
	}
	if !ck.valid(region) {
		return fmt.Errorf("%w: %s code %q (mistyped, or not derived by lmskit)", ErrCheck, c.System(), c.s)
	}
	return nil
}
