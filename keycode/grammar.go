package keycode

import (
	"fmt"
	"strings"
)

// class is a set of accepted characters for one position of a code.
type class uint8

const (
	cDigit      class = 1 << iota // 0-9
	cHex                          // 0-9 A-F; a-f accepted and folded to upper case
	cHexUpper                     // 0-9 A-F exactly (no folding: used inside mixed-case grammars)
	cAlnum                        // 0-9 A-Z a-z, case kept
	cUpperAlnum                   // 0-9 A-Z; a-z accepted and folded to upper case
	cSKC                          // the software key code alphabet; lower case folded
)

// classOf[b] is the set of classes that accept byte b.
var classOf = func() (t [256]class) {
	for b := '0'; b <= '9'; b++ {
		t[b] = cDigit | cHex | cHexUpper | cAlnum | cUpperAlnum
	}
	for b := 'A'; b <= 'Z'; b++ {
		t[b] |= cAlnum | cUpperAlnum
		t[b+'a'-'A'] |= cAlnum | cUpperAlnum
		if b <= 'F' {
			t[b] |= cHex | cHexUpper
			t[b+'a'-'A'] |= cHex
		}
	}
	for i := 0; i < len(SKCAlphabet); i++ {
		c := SKCAlphabet[i]
		t[c] |= cSKC
		if 'A' <= c && c <= 'Z' {
			t[c+'a'-'A'] |= cSKC
		}
	}
	return t
}()

// canonOf[b] is the set of classes for which b is already canonical (no case folding needed).
var canonOf = func() (t [256]class) {
	t = classOf
	for b := 'a'; b <= 'z'; b++ {
		t[b] &^= cHex | cUpperAlnum | cSKC
	}
	return t
}()

// folds reports whether class k upper-cases the letters it accepts.
func (k class) folds() bool { return k&(cHex|cUpperAlnum|cSKC) != 0 }

func (k class) describe() string {
	switch k {
	case cDigit:
		return "decimal digit"
	case cHex:
		return "hex digit"
	case cHexUpper:
		return "upper-case hex digit"
	case cAlnum:
		return "letter or digit"
	case cUpperAlnum:
		return "letter or digit"
	case cSKC:
		return "one of " + SKCAlphabet
	}
	return "?"
}

// seg is one part of a grammar: a literal or a run of n characters of a class.
type seg struct {
	lit   string // literal text, canonical spelling; matched ignoring ASCII case unless exact
	exact bool   // literal must match case exactly
	drop  bool   // literal is left out of the canonical code (label and QR decorations)
	cls   class
	n     int
}

func (s seg) len() int {
	if s.lit != "" {
		return len(s.lit)
	}
	return s.n
}

// spec is one accepted form of one system's grammar. All forms have a fixed length.
type spec struct {
	form  Form
	n     int // length of the accepted input
	segs  []seg
	dirty bool // canonical differs from input even when no letter is folded (drop segments)
	// reclassify: after normalising, classify the canonical code again with the system's
	// canonical forms (the QR form of SV9500 may carry any SV9500 code).
	reclassify bool
	// refine lists narrower forms tried, in order, once the input fits this one; the first that fits
	// gives the code its form.
	refine []spec
	// extra validates what the character classes cannot (the time in a temp key). It returns the
	// offset and a description of the first problem, or -1.
	extra func(s string) (int, string)
}

func lit(s string) seg            { return seg{lit: s} }
func exact(s string) seg          { return seg{lit: s, exact: true} }
func dropLit(s string) seg        { return seg{lit: s, drop: true} }
func run(k class, n int) seg      { return seg{cls: k, n: n} }
func mk(f Form, segs ...seg) spec { return newSpec(f, segs) }

func newSpec(f Form, in []seg) spec {
	// Adjacent literals with the same flags become one, so quick compares them in one go.
	var segs []seg
	for _, s := range in {
		if n := len(segs); n > 0 && s.lit != "" && segs[n-1].lit != "" &&
			segs[n-1].exact == s.exact && segs[n-1].drop == s.drop {
			segs[n-1].lit += s.lit
			continue
		}
		segs = append(segs, s)
	}
	sp := spec{form: f, segs: segs}
	for _, s := range segs {
		sp.n += s.len()
		if s.drop {
			sp.dirty = true
		}
	}
	return sp
}

// Results of quick.
const (
	fitsCanonical = iota // s is a canonical code of the spec
	fitsDirty            // s fits but its canonical form differs
	noFit
)

// quick is the hot path of match: whether s fits sp, and whether it is already canonical.
func (sp *spec) quick(s string) int {
	if len(s) != sp.n {
		return noFit
	}
	res := fitsCanonical
	i := 0
	for si := range sp.segs {
		g := &sp.segs[si]
		if g.lit != "" {
			t, l := s[i:i+len(g.lit)], g.lit
			i += len(l)
			for j := 0; j < len(t) && j < len(l); j++ {
				if t[j] != l[j] {
					if g.exact || lower(t[j]) != lower(l[j]) {
						return noFit
					}
					res = fitsDirty
				}
			}
			continue
		}
		t := s[i : i+g.n]
		i += g.n
		k := g.cls
		// The common case, a canonical run, costs one table lookup and an AND per character and no
		// branch on its value; only a run that is not canonical is looked at again.
		acc := k
		for j := 0; j < len(t); j++ {
			acc &= canonOf[t[j]]
		}
		if acc != 0 {
			continue
		}
		for j := 0; j < len(t); j++ {
			if canonOf[t[j]]&k == 0 {
				if classOf[t[j]]&k == 0 {
					return noFit
				}
				res = fitsDirty
			}
		}
	}
	if sp.extra != nil {
		if off, _ := sp.extra(s); off >= 0 {
			return noFit
		}
	}
	if sp.dirty {
		res = fitsDirty
	}
	return res
}

// withPrefix returns a copy of sp for the code prefixed by a literal (the LMC forms).
func withPrefix(f Form, prefix string, sp spec) spec {
	segs := append([]seg{lit(prefix)}, sp.segs...)
	out := newSpec(f, segs)
	if sp.extra != nil {
		inner := sp.extra
		out.extra = func(s string) (int, string) {
			off, want := inner(s[len(prefix):])
			if off >= 0 {
				off += len(prefix)
			}
			return off, want
		}
	}
	return out
}

// mismatch describes where an input stopped fitting a spec.
type mismatch struct {
	off  int // offset into the input; -1 when the input fits
	seg  int // index of the segment at off (len(segs) when the input is too long)
	pos  int // position inside that segment
	want string
}

// match checks s against sp. fold reports whether the canonical form differs from s.
func (sp *spec) match(s string) (m mismatch, fold bool) {
	i := 0
	for si := range sp.segs {
		g := &sp.segs[si]
		if g.lit != "" {
			for j := 0; j < len(g.lit); j++ {
				if i >= len(s) {
					return mismatch{off: i, seg: si, pos: j}, fold
				}
				c, w := s[i], g.lit[j]
				if c != w {
					if g.exact || lower(c) != lower(w) {
						return mismatch{off: i, seg: si, pos: j}, fold
					}
					fold = true
				}
				i++
			}
			continue
		}
		for j := 0; j < g.n; j++ {
			if i >= len(s) {
				return mismatch{off: i, seg: si, pos: j}, fold
			}
			c := s[i]
			if classOf[c]&g.cls == 0 {
				return mismatch{off: i, seg: si, pos: j}, fold
			}
			if 'a' <= c && c <= 'z' && g.cls.folds() {
				fold = true
			}
			i++
		}
	}
	if i != len(s) {
		return mismatch{off: i, seg: len(sp.segs)}, fold
	}
	if sp.extra != nil {
		if off, want := sp.extra(s); off >= 0 {
			return mismatch{off: off, seg: -1, want: want}, fold
		}
	}
	return mismatch{off: -1}, fold || sp.dirty
}

// canonical builds the canonical code of an input that matched sp.
func (sp *spec) canonical(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, g := range sp.segs {
		if g.lit != "" {
			if !g.drop {
				b.WriteString(g.lit)
			}
			i += len(g.lit)
			continue
		}
		for j := 0; j < g.n; j++ {
			c := s[i]
			if 'a' <= c && c <= 'z' && g.cls.folds() {
				c -= 'a' - 'A'
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// describe fills in m.want and returns the suggested character for the input s.
func (sp *spec) describe(s string, m *mismatch) rune {
	if m.want != "" {
		return 0
	}
	if m.seg >= len(sp.segs) {
		m.want = fmt.Sprintf("end of code (%d characters)", sp.codeLen())
		return 0
	}
	g := &sp.segs[m.seg]
	var want string
	if g.lit != "" {
		want = fmt.Sprintf("%q", g.lit[m.pos:m.pos+1])
		if len(g.lit) > 1 {
			want += fmt.Sprintf(" of %q", g.lit)
		}
	} else {
		want = g.cls.describe()
	}
	if m.off >= len(s) {
		m.want = fmt.Sprintf("%s (%d characters in all)", want, sp.n)
		return 0
	}
	m.want = want
	c := s[m.off]
	for _, p := range confusions(c) {
		if g.lit != "" {
			if lower(p) == lower(g.lit[m.pos]) {
				return rune(g.lit[m.pos])
			}
			continue
		}
		if classOf[p]&g.cls != 0 {
			if 'a' <= p && p <= 'z' && g.cls.folds() {
				p -= 'a' - 'A'
			}
			return rune(p)
		}
	}
	return 0
}

// codeLen is the length of the canonical code of sp.
func (sp *spec) codeLen() int {
	n := 0
	for _, g := range sp.segs {
		if !g.drop {
			n += g.len()
		}
	}
	return n
}

// confusions returns the characters that a label reader (human or OCR) mistakes c for.
func confusions(c byte) []byte {
	switch c {
	case '5':
		return []byte{'S'}
	case 'S', 's':
		return []byte{'5'}
	case '8':
		return []byte{'B'}
	case 'B', 'b':
		return []byte{'8'}
	case '0':
		return []byte{'O'}
	case 'O', 'o':
		return []byte{'0'}
	case '1':
		return []byte{'I'}
	case 'I', 'i':
		return []byte{'1'}
	case '6':
		return []byte{'G'}
	case 'G', 'g':
		return []byte{'6'}
	case '2':
		return []byte{'Z'}
	case 'Z', 'z':
		return []byte{'2'}
	}
	return nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
