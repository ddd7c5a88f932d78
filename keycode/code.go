package keycode

import (
	"errors"
	"fmt"
	"strings"
)

// MaxInput is the longest input Parse looks at, white space included. Longer inputs are refused
// before any other work.
const MaxInput = 128

// Code is a hardware key code of one system in its canonical form. It is a small immutable value:
// two parses of the same code are ==, so a Code can be a map key. The zero Code is not a code
// (IsZero); every method treats it as invalid.
type Code struct {
	s    string
	sys  uint8
	form Form
}

// Parse validates s as a hardware key code of system sys and returns its canonical Code.
//
// White space around s is trimmed. The SV9500 label (QR) form "A_3565-A9C3-…" and its dashed form
// become "3565A9C3…"; hex digits and the fixed letters of a grammar ("aa…AA", "TEMP-KEY") are put in
// their canonical case; mixed-case grammars (the 28-character codes) keep the case they were given.
// Temp keys parse under SR-MGC and SV9500 and their time is validated.
//
// Every rejection is a *ParseError, except an unknown sys, which is an error wrapping
// ErrUnknownSystem. Parse of an already canonical code does not allocate.
func Parse(sys System, s string) (Code, error) {
	idx := sys.index()
	if idx == 0 {
		return Code{}, fmt.Errorf("%w: %q", ErrUnknownSystem, truncate(string(sys)))
	}
	if len(s) > MaxInput {
		return Code{}, &ParseError{Input: strings.Clone(s[:MaxInput]), System: sys, Offset: MaxInput,
			Want: fmt.Sprintf("at most %d characters", MaxInput)}
	}
	s = strings.TrimSpace(s)
	c, ok := parseFast(idx, s)
	if ok {
		return c, nil
	}
	return Code{}, parseError(idx, s)
}

// MustParse is Parse for codes fixed in tests and examples; it panics on an error.
func MustParse(sys System, s string) Code {
	c, err := Parse(sys, s)
	if err != nil {
		panic(err)
	}
	return c
}

// parseFast tries every form of system idx whose length fits s. It does no work that allocates
// unless s needs normalising.
func parseFast(idx uint8, s string) (Code, bool) {
	g := grammars[idx]
	for i := range g {
		sp := &g[i]
		r := sp.quick(s)
		if r == noFit {
			continue
		}
		for j := range sp.refine {
			if rr := sp.refine[j].quick(s); rr != noFit {
				sp, r = &sp.refine[j], rr
				break
			}
		}
		if r == fitsCanonical {
			return Code{s: s, sys: idx, form: sp.form}, true
		}
		canon := sp.canonical(s)
		if sp.reclassify {
			return parseFast(idx, canon)
		}
		return Code{s: canon, sys: idx, form: sp.form}, true
	}
	return Code{}, false
}

// parseError explains why s fits no form of system idx: it reports the form that s fits
// furthest into (on a tie, the one whose length is nearest, then the first).
func parseError(idx uint8, s string) *ParseError {
	e := &ParseError{Input: s, System: systems[idx]}
	if s == "" {
		e.Want = "a " + string(systems[idx]) + " code"
		return e
	}
	g := grammars[idx]
	best, bestOff := -1, -1
	var bestM mismatch
	for i := range g {
		m, _ := g[i].match(s)
		if m.off < 0 {
			// Fits, but the normalised code does not (cannot happen for the tables in this
			// package); report the whole input.
			m = mismatch{off: 0, seg: -1, want: "a canonical code"}
		}
		// Furthest wins; on a tie the form whose length is nearest the input's explains best.
		if m.off > bestOff || m.off == bestOff && absDiff(g[i].n, len(s)) < absDiff(g[best].n, len(s)) {
			best, bestOff, bestM = i, m.off, m
		}
	}
	// An input that runs out inside the furthest form is explained better by a form whose length is
	// nearer the input's (UM4730 "1110465697" lacks the dash of its 11-character form, not three
	// digits of the 13-digit one).
	if bestOff == len(s) && len(g) > 1 {
		for i := range g {
			if absDiff(g[i].n, len(s)) < absDiff(g[best].n, len(s)) {
				m, _ := g[i].match(s)
				if m.off >= 0 {
					best, bestM = i, m
				}
			}
		}
	}
	e.Suggest = g[best].describe(s, &bestM)
	e.Offset = bestM.off
	e.Want = bestM.want
	return e
}

func absDiff(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}

// truncate cuts s for an error message.
func truncate(s string) string {
	if len(s) <= MaxInput {
		return s
	}
	return s[:MaxInput] + "..."
}

// Detect returns every system whose grammar accepts s, in the order of Systems. Twelve-character
// codes are typically ambiguous (SL1000, SV8100, 3C, OVOC, ...). [ESN] is never detected: its
// grammar (any 8 to 40 letters and digits) would accept most codes of the other systems; parse an
// equipment serial number with Parse(keycode.ESN, s).
func Detect(s string) []System {
	if len(s) > MaxInput {
		return nil
	}
	s = strings.TrimSpace(s)
	var out []System
	for i := 1; i < len(systems); i++ {
		if systems[i] == ESN {
			continue
		}
		if _, ok := parseFast(uint8(i), s); ok {
			out = append(out, systems[i])
		}
	}
	return out
}

// IsZero reports whether c is the zero Code.
func (c Code) IsZero() bool { return c.sys == 0 }

// IsValid reports whether c is a parsed code (not the zero Code).
func (c Code) IsValid() bool { return c.sys != 0 }

// String returns the canonical code, or "" for the zero Code.
func (c Code) String() string { return c.s }

// System returns the system the code was parsed or derived for; "" for the zero Code.
func (c Code) System() System { return systems[c.sys] }

// Form returns which kind of key code c is.
func (c Code) Form() Form { return c.form }

// GoString returns a Go expression for c, for %#v.
func (c Code) GoString() string {
	if c.IsZero() {
		return "keycode.Code{}"
	}
	return fmt.Sprintf("keycode.MustParse(%q, %q)", string(c.System()), c.s)
}

// LMC returns the License Manager Client code of a PBX code: "LM" + the code for SV8300, SV8500,
// SV9300, SV9500 (temp keys included), 3C and 3C CAT2 (the guide applies the LMC method to 3C); for
// iS3000 / SIP@Net the leading "aa" and trailing "AA" are dropped and "LMIS" put in front. Other
// systems have no LMC form: the error wraps ErrNoLMCForm.
func (c Code) LMC() (Code, error) {
	switch c.System() {
	case SV8300, SV8500, SV9300, SV9500, ThreeC, ThreeCCAT2:
		return mustLMC("LM" + c.s)
	case IS3000:
		return mustLMC("LMIS" + c.s[2:len(c.s)-2])
	case "":
		return Code{}, ErrZero
	}
	return Code{}, fmt.Errorf("%w: %s code %q", ErrNoLMCForm, c.System(), c.s)
}

func mustLMC(s string) (Code, error) {
	c, ok := parseFast(LMC.index(), s)
	if !ok {
		// Every PBX grammar has its LMC twin in the LMC grammar; reaching here is a table bug.
		return Code{}, parseError(LMC.index(), s)
	}
	return c, nil
}

// PBX returns the PBX code inside an LMC code: the inverse of LMC, except for the system of a 3C
// code. 3C and 3C CAT2 share one grammar and one code space, and "LM3C…" does not say which it
// was, so PBX reads it from the code's check characters: a code that carries 3C CAT2's lmskit
// check characters and not 3C's (so lmskit derived it for 3C CAT2) comes back as 3C CAT2; every
// other 3C code (3C's check characters, or none of lmskit's, like the codes LMS generated) comes
// back as 3C. A code that Parse read as 3C but that carries CAT2's check characters therefore
// comes back as 3C CAT2. LMC codes of the SV7000 and 2000IPS (systems lmskit has no type for),
// UIP codes, and codes of other systems give an error wrapping ErrNoLMCForm.
func (c Code) PBX() (Code, error) {
	if c.IsZero() {
		return Code{}, ErrZero
	}
	switch c.form {
	case FormLMC:
		inner := c.s[2:]
		var sys System
		switch inner[:2] {
		case "18":
			sys = SV8300
		case "22":
			sys = SV8500
		case "36":
			sys = SV9300
		case "35":
			sys = SV9500
		case "3C":
			// 3C and 3C CAT2 share one grammar; the LMC form does not say which it was.
			sys = ThreeC
		}
		if sys != "" {
			if p, ok := parseFast(sys.index(), inner); ok {
				if sys == ThreeC && errors.Is(p.Verify(), ErrCheck) {
					// A code lmskit derived for 3C CAT2 carries CAT2's check characters.
					if q, ok := parseFast(ThreeCCAT2.index(), inner); ok && q.Verify() == nil {
						return q, nil
					}
				}
				return p, nil
			}
		}
	case FormLMCIS3000:
		if p, ok := parseFast(IS3000.index(), "aa"+c.s[4:]+"AA"); ok {
			return p, nil
		}
	}
	return Code{}, fmt.Errorf("%w: %s code %q names no PBX lmskit has a system for", ErrNoLMCForm, c.System(), c.s)
}
