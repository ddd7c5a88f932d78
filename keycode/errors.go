package keycode

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Match them with errors.Is; the message text is not API.
var (
	// ErrUnknownSystem: the System passed in is not one of this package's system types.
	ErrUnknownSystem = errors.New("keycode: unknown system")
	// ErrNoLMCForm: the code's system has no License Manager Client form (Code.LMC), or an LMC code
	// names no PBX lmskit knows (Code.PBX).
	ErrNoLMCForm = errors.New("keycode: no License Manager Client form")
	// ErrNoCheck: the code carries no lmskit check characters (a factory code read from hardware, a
	// temp key), so Code.Verify has nothing to verify.
	ErrNoCheck = errors.New("keycode: code carries no lmskit check characters")
	// ErrCheck: the lmskit check characters of a derived code do not match: the code was mistyped,
	// or it was not derived by lmskit.
	ErrCheck = errors.New("keycode: check characters do not match")
	// ErrZero: an operation on the zero Code.
	ErrZero = errors.New("keycode: zero Code")
)

// ParseError reports why a string is not a valid code, and where. Every rejection by Parse,
// ParseSoftwareKeyCode, ParseProductKey and the derivation inputs is a *ParseError.
type ParseError struct {
	// Input is the input after white space was trimmed; an input over the length cap is cut to
	// the cap (and Offset is then the cap: the first byte beyond it).
	Input string
	// System is the system the input was parsed for; empty for a software key code or product key.
	System System
	// Offset is the byte offset into Input of the first character that does not fit, or len(Input)
	// when the input ends early.
	Offset int
	// Want says, in words, what was expected at Offset: a character class, a literal, or a length.
	Want string
	// Suggest is the character the input most likely meant at Offset, when the character there is
	// one of the label-reading confusions (5/S, 8/B, 0/O, 1/I, 6/G, 2/Z) and the other one fits;
	// 0 when there is no suggestion.
	Suggest rune
	// what names the kind of value in the message ("code", "software key code", ...).
	what string
}

// Error describes the failure, quoting the input and naming the offending character.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("keycode: ")
	if e.System != "" {
		b.WriteString(string(e.System))
		b.WriteByte(' ')
	}
	what := e.what
	if what == "" {
		what = "code"
	}
	fmt.Fprintf(&b, "%s %q: offset %d: ", what, e.Input, e.Offset)
	if e.Offset < len(e.Input) {
		r, n := utf8.DecodeRuneInString(e.Input[e.Offset:])
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&b, "got byte %#02x, ", e.Input[e.Offset])
		} else {
			fmt.Fprintf(&b, "got %q, ", r)
		}
	}
	b.WriteString("want ")
	b.WriteString(e.Want)
	if e.Suggest != 0 {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggest)
	}
	return b.String()
}

// SystemError reports a system name [ParseSystem] does not know, with the systems the name may have
// meant. It matches [ErrUnknownSystem].
type SystemError struct {
	// Input is the name as given (cut to 64 bytes).
	Input string
	// Ambiguous is set when the name starts several systems' names ("SV9100"): one of Candidates
	// must be chosen.
	Ambiguous bool
	// Candidates are the systems the name may have meant, in the order of [Systems]: the systems
	// it starts, or else those within a typing error or two. Empty when nothing is near.
	Candidates []System
}

// Error names the candidates, or every system when there are none.
func (e *SystemError) Error() string {
	var b strings.Builder
	if e.Ambiguous {
		fmt.Fprintf(&b, "keycode: system %q is ambiguous: %s", e.Input, orList(e.Candidates))
		return b.String()
	}
	fmt.Fprintf(&b, "keycode: unknown system %q", e.Input)
	if len(e.Candidates) > 0 {
		fmt.Fprintf(&b, " (did you mean %s?)", orList(e.Candidates))
		return b.String()
	}
	fmt.Fprintf(&b, "; the systems are %s", orList(Systems()))
	return b.String()
}

// Unwrap makes a SystemError match ErrUnknownSystem.
func (e *SystemError) Unwrap() error { return ErrUnknownSystem }

// orList joins names as "a, b or c".
func orList(s []System) string {
	var b strings.Builder
	for i, x := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(x))
	}
	return b.String()
}
