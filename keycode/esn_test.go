package keycode

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDoc000_ESNGrammar: a device of the second vendor is known by its ESN; the grammar lmskit
// adopts (the pre-sales document gives none) is 8 to 40 letters and digits, folded to upper case,
// and every refusal says where and what was expected.
func TestDoc000_ESNGrammar(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, why string
	}{
		{"twenty", "2102350DLF10H1000123", "2102350DLF10H1000123", "the usual 20-character serial"},
		{"lower case", "21023508849wcb000015", "21023508849WCB000015", "letters are folded to upper case"},
		{"spaces around", "  2102350DLF10H1000123\n", "2102350DLF10H1000123", "input is trimmed"},
		{"shortest", "ABCD1234", "ABCD1234", "8 characters"},
		{"longest", strings.Repeat("9", 40), strings.Repeat("9", 40), "40 characters"},
	} {
		c, err := Parse(ESN, tc.in)
		if err != nil || c.String() != tc.want || c.System() != ESN || c.Form() != FormESN {
			t.Errorf("%s: Parse(ESN, %q) = %q %s, %v; want %q (%s)", tc.name, tc.in, c, c.Form(), err, tc.want, tc.why)
		}
	}
	for _, tc := range []struct {
		name, in string
		off      int
		want     string
	}{
		{"too short", "ABCD123", 7, "letter or digit"},
		{"too long", strings.Repeat("9", 41), 40, "end of code"},
		{"dash", "2102-350DLF10H1000123", 4, "letter or digit"},
		{"inner space", "2102 350DLF10H1000123", 4, "letter or digit"},
		{"non-ASCII", "2102350DLF10H100012é", 19, "letter or digit"},
		{"empty", "", 0, "ESN"},
	} {
		c, err := Parse(ESN, tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) || !c.IsZero() || pe.Offset != tc.off || !strings.Contains(pe.Want, tc.want) {
			t.Errorf("%s: Parse(ESN, %q) = %q, %#v; want a ParseError at %d wanting %q", tc.name, tc.in, c, err, tc.off, tc.want)
		}
	}
}

// TestESN_NotDetected: Detect never names ESN (its grammar would accept most codes), but a code
// of another system still parses as an ESN when that is what the caller says it is.
func TestESN_NotDetected(t *testing.T) {
	for _, s := range []string{"2102350DLF10H1000123", "190400324412", "22CC538207AFD058020640CD57xO"} {
		if slices.Contains(Detect(s), ESN) {
			t.Errorf("Detect(%q) names ESN", s)
		}
	}
	if d := Detect("2102350DLF10H1000123"); len(d) != 0 {
		t.Errorf("Detect of an ESN = %v", d)
	}
	if _, err := Parse(ESN, "190400324412"); err != nil {
		t.Errorf("an SV8100-looking serial as an ESN: %v", err)
	}
	for _, name := range []string{"ESN", "esn", "Equipment Serial Number"} {
		if s, ok := LookupSystem(name); !ok || s != ESN {
			t.Errorf("LookupSystem(%q) = %q, %v", name, s, ok)
		}
	}
	c := MustParse(ESN, "2102350dlf10h1000123")
	text, err := c.MarshalText()
	if err != nil || string(text) != "ESN:2102350DLF10H1000123" {
		t.Errorf("text %q, %v", text, err)
	}
	var back Code
	if err := back.UnmarshalText(text); err != nil || back != c {
		t.Errorf("text round trip: %v, %v", back, err)
	}
	if d := cmp.Diff(ESN, Systems()[len(Systems())-1]); d != "" {
		t.Errorf("ESN is not listed last (-want +got):\n%s", d)
	}
	if _, err := c.LMC(); !errors.Is(err, ErrNoLMCForm) {
		t.Errorf("LMC of an ESN: %v", err)
	}
	if err := c.Verify(); !errors.Is(err, ErrNoCheck) {
		t.Errorf("Verify of an ESN: %v", err)
	}
}
