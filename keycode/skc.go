package keycode

import (
	"fmt"
	"io"
	"strings"
)

// SKCAlphabet is the 30-symbol alphabet of the random characters of a software key code: 0-9 and A-Z
// without I, O, Q, S, Y and Z. The 49 codes in the guide use exactly these symbols.
const SKCAlphabet = "0123456789ABCDEFGHJKLMNPRTUVWX"

// SKCLen is the length of a software key code.
const SKCLen = 20

// SoftwareKeyCode (SKC) identifies one attached or activated license line: 2 random characters, the
// 2-character system code of the location ("19" SV8100, "IS" iS3000, ...), then 16 random characters
// (as the guide's software key codes read). It is a small comparable value; the zero value is invalid.
type SoftwareKeyCode struct {
	s string
}

var skcSpec = mk(0, run(cSKC, 2), run(cUpperAlnum, 2), run(cSKC, 16))

// ParseSoftwareKeyCode validates s as a software key code. White space around it is trimmed and
// lower-case letters are folded to upper case. A rejection is a *ParseError whose System is empty.
func ParseSoftwareKeyCode(s string) (SoftwareKeyCode, error) {
	if len(s) > MaxInput {
		return SoftwareKeyCode{}, &ParseError{Input: strings.Clone(s[:MaxInput]), Offset: MaxInput,
			Want: fmt.Sprintf("at most %d characters", MaxInput), what: "software key code"}
	}
	s = strings.TrimSpace(s)
	m, dirty := skcSpec.match(s)
	if m.off < 0 {
		if dirty {
			s = skcSpec.canonical(s)
		}
		return SoftwareKeyCode{s: s}, nil
	}
	e := &ParseError{Input: s, what: "software key code"}
	if s == "" {
		e.Want = "a software key code"
		return SoftwareKeyCode{}, e
	}
	e.Suggest = skcSpec.describe(s, &m)
	e.Offset, e.Want = m.off, m.want
	return SoftwareKeyCode{}, e
}

// skcSystemCodes maps systems to the system code inside their software key codes, as the guide's
// codes show them.
var skcSystemCodes = map[System]string{
	SV8100:     "19",
	SV8500:     "22",
	SRMGC:      "22",
	SV9100CP10: "34",
	SV9100CP20: "44",
	SV9500:     "35",
	IS3000:     "IS",
	IPDECT:     "DE",
	DECTNS:     "DE",
}

// SKCSystemCode returns the 2-character system code that software key codes of sys carry, for the
// systems whose code the guide shows; ok is false for the others.
func SKCSystemCode(sys System) (code string, ok bool) {
	code, ok = skcSystemCodes[sys]
	return code, ok
}

// NewSoftwareKeyCode generates a software key code for the 2-character system code sysCode (see
// SKCSystemCode; letters and digits), drawing its 18 random characters uniformly from SKCAlphabet with
// bytes read from r (crypto/rand.Reader in production; a fixed reader gives a fixed code).
func NewSoftwareKeyCode(r io.Reader, sysCode string) (SoftwareKeyCode, error) {
	if len(sysCode) != 2 || classOf[sysCode[0]]&cUpperAlnum == 0 || classOf[sysCode[1]]&cUpperAlnum == 0 {
		return SoftwareKeyCode{}, fmt.Errorf("keycode: software key code system code %q: want 2 letters or digits", truncate(sysCode))
	}
	var sym [18]byte
	if err := randomSymbols(r, SKCAlphabet, sym[:]); err != nil {
		return SoftwareKeyCode{}, err
	}
	var b [SKCLen]byte
	copy(b[:2], sym[:2])
	b[2], b[3] = upper(sysCode[0]), upper(sysCode[1])
	copy(b[4:], sym[2:])
	return SoftwareKeyCode{s: string(b[:])}, nil
}

// randomSymbols fills out with symbols of alphabet chosen uniformly with bytes from r (rejection
// sampling: bytes at or above the largest multiple of len(alphabet) are drawn again).
func randomSymbols(r io.Reader, alphabet string, out []byte) error {
	if r == nil {
		return fmt.Errorf("keycode: nil random source")
	}
	n := len(alphabet)
	limit := 256 - 256%n
	var buf [32]byte
	i := 0
	for tries := 0; i < len(out); tries++ {
		if tries > 64 {
			return fmt.Errorf("keycode: random source gives too few usable bytes")
		}
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return fmt.Errorf("keycode: reading random source: %w", err)
		}
		for _, c := range buf {
			if int(c) >= limit {
				continue
			}
			out[i] = alphabet[int(c)%n]
			i++
			if i == len(out) {
				break
			}
		}
	}
	return nil
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// String returns the canonical code, or "" for the zero value.
func (k SoftwareKeyCode) String() string { return k.s }

// IsZero reports whether k is the zero value.
func (k SoftwareKeyCode) IsZero() bool { return k.s == "" }

// SystemCode returns the 2-character system code inside k ("19", "IS", ...); "" for the zero value.
func (k SoftwareKeyCode) SystemCode() string {
	if k.s == "" {
		return ""
	}
	return k.s[2:4]
}

// MarshalText returns the canonical code; the zero value gives empty text.
func (k SoftwareKeyCode) MarshalText() ([]byte, error) { return []byte(k.s), nil }

// UnmarshalText parses a canonical code; empty text gives the zero value. Text that is not in
// canonical form is refused, so that encoding is not malleable.
func (k *SoftwareKeyCode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = SoftwareKeyCode{}
		return nil
	}
	v, err := ParseSoftwareKeyCode(string(b))
	if err != nil {
		return err
	}
	if v.s != string(b) {
		return &ParseError{Input: truncate(string(b)), what: "software key code", Want: fmt.Sprintf("the canonical form %q", v.s)}
	}
	*k = v
	return nil
}
