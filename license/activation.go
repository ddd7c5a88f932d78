package license

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
)

// The activation code is shown with a license download so that a support call can confirm which
// file is installed: 16 decimal digits in four groups, like 3407-7473-3325-4604.
//
// Algorithm (version 1): h = SHA-256("lmskit activation code v1\x00" || signed), where signed is
// the whole signed file (the COSE_Sign1 bytes). The first 8 bytes of h, read as a big-endian
// unsigned integer, modulo 10^15, written as 15 digits with leading zeros, are the first 15 digits.
// The 16th is the Damm check digit of the first 15 (H. M. Damm, 2004, with the weakly totally
// anti-symmetric quasigroup of order 10 tabulated in damm below). A Damm digit catches every
// single mistyped digit and every swap of two neighbouring digits. The modulo bias is below 2^-13
// relative to uniform over the 10^15 values, which does not matter for an identifier.

const activationDomain = "lmskit activation code v1\x00"

// damm is the quasigroup of Damm's check digit scheme: damm[interim][digit].
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// dammDigit returns the check digit for digits (each 0..9). Appending it makes dammDigit of the
// whole sequence 0.
func dammDigit(digits []byte) byte {
	var interim byte
	for _, d := range digits {
		interim = damm[interim][d]
	}
	return interim
}

// ActCode is a parsed activation code: 16 digits whose check digit holds, as [ParseActivationCode]
// reads it from what a user typed; [ActivationCode] computes the text of a file's code. The zero
// ActCode is invalid. It is comparable.
type ActCode struct {
	d     [16]byte // digit values 0..9
	valid bool
}

// ActivationCode returns the activation code of a signed license file, like
// "3407-7473-3325-4604". The same bytes always give the same code.
func ActivationCode(signed []byte) string {
	return activationOf(signed).String()
}

func activationOf(signed []byte) ActCode {
	h := sha256.New()
	h.Write([]byte(activationDomain))
	h.Write(signed)
	var sum [sha256.Size]byte
	v := binary.BigEndian.Uint64(h.Sum(sum[:0])[:8]) % 1_000_000_000_000_000
	var a ActCode
	for i := 14; i >= 0; i-- {
		a.d[i] = byte(v % 10)
		v /= 10
	}
	a.d[15] = dammDigit(a.d[:15])
	a.valid = true
	return a
}

// ParseActivationCode parses an activation code as a person types it: 16 digits, in groups of four
// separated by '-' or ' ', or all together; white space around it is ignored. It returns an error
// matching [ErrMalformed] when the text is not 16 digits or when the check digit does not hold
// (one digit mistyped, or two neighbours swapped).
func ParseActivationCode(s string) (ActCode, error) {
	bad := func(off int, reason string) (ActCode, error) {
		return ActCode{}, &FormatError{What: "activation code", Offset: off, Reason: reason}
	}
	if len(s) > 64 {
		return bad(-1, "longer than 64 bytes")
	}
	var a ActCode
	n := 0
	start, end := 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	grouped := end-start == 19
	for i := start; i < end; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 16 {
				return bad(i, "more than 16 digits")
			}
			a.d[n] = c - '0'
			n++
		case (c == '-' || c == ' ') && grouped && (i-start)%5 == 4:
		default:
			return bad(i, "unexpected "+quote(string(rune(c)))+"; want 16 digits, in groups of four separated by '-'")
		}
	}
	if n != 16 {
		return bad(-1, itoa(n)+" digits; want 16")
	}
	if dammDigit(a.d[:]) != 0 {
		return bad(-1, "check digit does not match: a digit is mistyped or two neighbours are swapped")
	}
	a.valid = true
	return a, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// IsValid reports whether a holds a parsed or computed code.
func (a ActCode) IsValid() bool { return a.valid }

// GoString returns license.ActCode("3407-7473-3325-4604") for %#v, not the digits one by one.
func (a ActCode) GoString() string { return "license.ActCode(" + strconv.Quote(a.String()) + ")" }

// String returns the code as "3407-7473-3325-4604", or "" for the zero ActCode.
func (a ActCode) String() string {
	if !a.valid {
		return ""
	}
	b := make([]byte, 0, 19)
	for i, d := range a.d {
		if i > 0 && i%4 == 0 {
			b = append(b, '-')
		}
		b = append(b, '0'+d)
	}
	return string(b)
}

// Matches reports whether a is the activation code of the signed file.
func (a ActCode) Matches(signed []byte) bool {
	return a.valid && activationOf(signed) == a
}

// MarshalText returns [ActCode.String].
func (a ActCode) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText accepts what [ParseActivationCode] accepts, and the empty text as the zero ActCode.
func (a *ActCode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = ActCode{}
		return nil
	}
	v, err := ParseActivationCode(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
