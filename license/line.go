package license

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Kind says how the lines of one part stack.
type Kind uint8

// The kinds of license line. The zero Kind is invalid.
const (
	// Count lines carry a quantity (seats, ports, channels); quantities of one part add up.
	Count Kind = 1
	// Version lines carry a version number in Qty; the highest version of one part wins.
	Version Kind = 2
	// Flag lines switch a feature on; the part is present or not. Qty is the number of flag
	// licenses on the line and must be at least 1, but does not change what the part grants.
	Flag Kind = 3
)

var kindNames = [...]string{Count: "count", Version: "version", Flag: "flag"}

// IsValid reports whether k is one of [Count], [Version], [Flag].
func (k Kind) IsValid() bool { return k >= Count && k <= Flag }

// String returns "count", "version" or "flag", or "kind(N)" for an invalid kind.
func (k Kind) String() string {
	if k.IsValid() {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the name of a valid kind, and an error for an invalid one.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.IsValid() {
		return nil, fieldErr("kind", "invalid kind "+strconv.Itoa(int(k)))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText accepts "count", "version" or "flag".
func (k *Kind) UnmarshalText(b []byte) error {
	for i := Count; i <= Flag; i++ {
		if string(b) == kindNames[i] {
			*k = i
			return nil
		}
	}
	return fieldErr("kind", "unknown kind "+strconv.Quote(string(b)))
}

// MaxQty is the largest quantity one line may carry and the largest sum stacking may reach. It is
// the same on every platform (the largest int32), so a file that stacks on a 64-bit server also
// stacks on 32-bit firmware.
const MaxQty = math.MaxInt32

// Caps on the text fields of a file, in bytes of UTF-8.
const (
	MaxSerialLen   = 64  // File.Serial
	MaxSKCLen      = 32  // Line.SKC
	MaxPartLen     = 32  // Line.Part
	MaxNameLen     = 128 // Line.Name
	MaxOrderLen    = 64  // Line.PO and Line.SO
	MaxHostNameLen = 253 // Host.ComputerName and Host.Domain (the DNS limit)
	MaxProductKey  = 32  // Host.ProductKey
	// MaxLines caps File.Lines. The signed file is capped too ([MaxFileSize]): 10,000 lines fit
	// when they average under about 100 bytes each; with every field at its longest a file
	// reaches the size cap at 2,961 lines.
	MaxLines = 10000
)

// Line is one license line: one activated order line of one part.
type Line struct {
	// SKC is the software key code of the line (20 characters in files LMS issues); may be empty.
	SKC string
	// Part is the part number, like "BE107573". Lines stack by Part. Required.
	Part string
	// Name is the part name, like "LK-SYS-256 PORT LIC"; informative, may be empty.
	Name string
	// Kind says how the line stacks. Required.
	Kind Kind
	// Qty is the quantity of a Count line, the version number of a Version line, and the number of
	// flag licenses of a Flag line: 1 to MaxQty.
	Qty int
	// PO and SO are the purchase and sales order the line was shipped under; may be empty.
	PO, SO string
	// Activated is when the line was activated, kept to the second in UTC; the zero time means
	// not recorded.
	Activated time.Time
}

// validate checks one line on its own; idx is its position, for the error.
func (l *Line) validate(idx int) error {
	bad := func(field, reason string) error {
		return &LineError{Index: idx, Part: l.Part, Field: field, Reason: reason}
	}
	if l.Part == "" {
		return bad("part", "empty part number")
	}
	if err := l.validateTexts(bad); err != nil {
		return err
	}
	return l.validateValues(idx)
}

// validateTexts checks the text fields; the payload decoder checks them as it reads.
func (l *Line) validateTexts(bad func(field, reason string) error) error {
	if r := textProblem(l.Part, MaxPartLen); r != "" {
		return bad("part", r)
	}
	if r := textProblem(l.SKC, MaxSKCLen); r != "" {
		return bad("skc", r)
	}
	if r := textProblem(l.Name, MaxNameLen); r != "" {
		return bad("name", r)
	}
	if r := textProblem(l.PO, MaxOrderLen); r != "" {
		return bad("po", r)
	}
	if r := textProblem(l.SO, MaxOrderLen); r != "" {
		return bad("so", r)
	}
	return nil
}

// validateValues checks kind, quantity and time.
func (l *Line) validateValues(idx int) error {
	bad := func(field, reason string) error {
		return &LineError{Index: idx, Part: l.Part, Field: field, Reason: reason}
	}
	if !l.Kind.IsValid() {
		return bad("kind", "invalid kind "+strconv.Itoa(int(l.Kind)))
	}
	if l.Qty < 1 {
		return bad("qty", "quantity "+strconv.Itoa(l.Qty)+" is not positive")
	}
	if l.Qty > MaxQty {
		return bad("qty", "quantity "+strconv.Itoa(l.Qty)+" is over the maximum "+strconv.Itoa(MaxQty))
	}
	if r := timeProblem(l.Activated); r != "" {
		return bad("activated", r)
	}
	return nil
}

// textProblem returns why s is not an acceptable text field (valid UTF-8, no control characters,
// at most max bytes), or "".
func textProblem(s string, max int) string {
	if len(s) <= max && printableASCII(s) {
		return ""
	}
	return textProblemSlow(s, max)
}

func textProblemSlow(s string, max int) string {
	if len(s) > max {
		return "longer than " + strconv.Itoa(max) + " bytes"
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "control character at byte " + strconv.Itoa(i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return "invalid UTF-8 at byte " + strconv.Itoa(i)
		}
		if r >= 0x80 && r <= 0x9f {
			return "control character at byte " + strconv.Itoa(i)
		}
		i += n
	}
	return ""
}

// printableASCII reports whether every byte of s is in 0x20..0x7e, eight bytes at a time (the
// last eight overlapping the ones before when the length is not a multiple of eight).
func printableASCII(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c-0x20 > 0x5e {
				return false
			}
		}
		return true
	}
	for i := 0; i+8 <= len(s); i += 8 {
		if !printable8(s[i:]) {
			return false
		}
	}
	return len(s)%8 == 0 || printable8(s[len(s)-8:])
}

// printable8 reports whether the first eight bytes of s are all in 0x20..0x7e.
func printable8(s string) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	// A byte >= 0x80, a byte < 0x20, or a byte == 0x7f (x^0x7f has a zero byte) sets a high bit.
	y := x ^ 0x7f*ones
	return (x|(x-0x20*ones)|(y-ones)&^y)&high == 0
}

// Times are kept as whole seconds since 1970 UTC, up to the end of year 9999.
const maxUnix = 253402300799 // 9999-12-31T23:59:59Z

// timeProblem returns why a non-zero t cannot be kept in a file, or "".
func timeProblem(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	u := t.Unix()
	if u < 0 || u > maxUnix {
		return "time " + t.UTC().Format(time.RFC3339) + " is outside 1970..9999"
	}
	return ""
}

// fileTime is how a time read from a file is returned: whole seconds, UTC.
func fileTime(sec uint64) time.Time { return time.Unix(int64(sec), 0).UTC() }
