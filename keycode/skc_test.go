package keycode

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadGuideSKCs(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "guide_skcs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGuide_SoftwareKeyCodes: all 49 software key codes of the guide parse, and their random
// characters use exactly the 30 symbols of SKCAlphabet.
func TestGuide_SoftwareKeyCodes(t *testing.T) {
	codes := loadGuideSKCs(t)
	if len(codes) != 49 {
		t.Fatalf("%d codes in testdata/guide_skcs.txt, want the guide's 49", len(codes))
	}
	used := map[byte]bool{}
	sysCodes := map[string]bool{}
	for _, s := range codes {
		k, err := ParseSoftwareKeyCode(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if k.String() != s {
			t.Errorf("ParseSoftwareKeyCode(%q) = %q", s, k)
		}
		for i := 0; i < len(s); i++ {
			if i != 2 && i != 3 {
				used[s[i]] = true
			}
		}
		sysCodes[k.SystemCode()] = true
	}
	var got []byte
	for c := range used {
		got = append(got, c)
	}
	slices.Sort(got)
	if diff := cmp.Diff(SKCAlphabet, string(got)); diff != "" {
		t.Errorf("symbols of the guide's codes (-want +got):\n%s", diff)
	}
	for sys, want := range map[System]string{SV8100: "19", SV8500: "22", SRMGC: "22", SV9100CP10: "34", SV9100CP20: "44", SV9500: "35", IS3000: "IS", IPDECT: "DE"} {
		if got, ok := SKCSystemCode(sys); !ok || got != want {
			t.Errorf("SKCSystemCode(%s) = %q, %v; want %q", sys, got, ok, want)
		}
		if !sysCodes[want] {
			t.Errorf("no guide code carries system code %q", want)
		}
	}
	if _, ok := SKCSystemCode(BXOVOC); ok {
		t.Error("BX/OVOC has an SKC system code the guide does not show")
	}
}

// TestSoftwareKeyCode_Rejections: wrong symbols, lengths and hostile input.
func TestSoftwareKeyCode_Rejections(t *testing.T) {
	cases := []struct {
		name    string
		why     string
		in      string
		offset  int
		suggest rune
	}{
		{"empty", "nothing", "", 0, 0},
		{"short", "20 characters", "AA19MXCH1TN7A43ML65", 19, 0},
		{"long", "20 characters", "AA19MXCH1TN7A43ML65BX", 20, 0},
		{"O for 0", "O is not in the alphabet; 0 is", "AA19MXCH1TN7A43ML6OB", 18, '0'},
		{"S for 5", "S is not in the alphabet; 5 is", "AA19MXCH1TN7A43MLS5B", 17, '5'},
		{"Y", "Y is not in the alphabet and has no confusion", "AA19MXCH1TN7A43MLY5B", 17, 0},
		{"punctuation in system code", "system code is letters or digits", "AA1-MXCH1TN7A43ML65B", 3, 0},
		{"huge", "capped", strings.Repeat("A", MaxInput+1), MaxInput, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseSoftwareKeyCode(tc.in)
			var pe *ParseError
			if !errors.As(err, &pe) || !k.IsZero() {
				t.Fatalf("got %v, %v; want a *ParseError (%s)", k, err, tc.why)
			}
			if pe.Offset != tc.offset || pe.Suggest != tc.suggest {
				t.Errorf("%s: offset %d suggest %q; want %d %q (%v)", tc.why, pe.Offset, pe.Suggest, tc.offset, tc.suggest, pe)
			}
			if !strings.Contains(pe.Error(), "software key code") {
				t.Errorf("message %q", pe.Error())
			}
		})
	}
	k, err := ParseSoftwareKeyCode(" aa19mxch1tn7a43ml65b ")
	if err != nil || k.String() != "AA19MXCH1TN7A43ML65B" {
		t.Errorf("lower case: %v, %v", k, err)
	}
}

// TestNewSoftwareKeyCode: generated codes parse, carry the system code, are deterministic for a
// fixed source, and draw every symbol of the alphabet.
func TestNewSoftwareKeyCode(t *testing.T) {
	src := chacha(3)
	seen := map[byte]int{}
	for range 2000 {
		k, err := NewSoftwareKeyCode(src, "is")
		if err != nil {
			t.Fatal(err)
		}
		if k.SystemCode() != "IS" {
			t.Fatalf("system code %q", k.SystemCode())
		}
		p, err := ParseSoftwareKeyCode(k.String())
		if err != nil || p != k {
			t.Fatalf("generated %q does not parse back: %v", k, err)
		}
		for i := 0; i < SKCLen; i++ {
			if i != 2 && i != 3 {
				seen[k.String()[i]]++
			}
		}
	}
	if len(seen) != len(SKCAlphabet) {
		t.Errorf("drew %d symbols, want %d", len(seen), len(SKCAlphabet))
	}
	// 36000 draws over 30 symbols: 1200 each expected; a biased draw would show.
	for c, n := range seen {
		if n < 1000 || n > 1400 {
			t.Errorf("symbol %q drawn %d times of 36000", c, n)
		}
	}
	a, _ := NewSoftwareKeyCode(chacha(4), "19")
	b, _ := NewSoftwareKeyCode(chacha(4), "19")
	if a != b || a.IsZero() {
		t.Errorf("fixed source gave %v and %v", a, b)
	}
	for _, bad := range []string{"", "1", "123", "1-", "é"} {
		if k, err := NewSoftwareKeyCode(chacha(5), bad); err == nil || !k.IsZero() {
			t.Errorf("system code %q: %v, %v", bad, k, err)
		}
	}
	if _, err := NewSoftwareKeyCode(nil, "19"); err == nil {
		t.Error("nil source accepted")
	}
	if _, err := NewSoftwareKeyCode(bytes.NewReader(make([]byte, 5)), "19"); err == nil {
		t.Error("short source accepted")
	}
	if _, err := NewSoftwareKeyCode(bytes.NewReader(bytes.Repeat([]byte{0xff}, 4096)), "19"); err == nil {
		t.Error("a source of only rejected bytes gave a code")
	}
}

// TestSoftwareKeyCode_Text: text round trip, zero value, and refusal of non-canonical text.
func TestSoftwareKeyCode_Text(t *testing.T) {
	k, _ := ParseSoftwareKeyCode("AA19MXCH1TN7A43ML65B")
	b, _ := k.MarshalText()
	var back SoftwareKeyCode
	if err := back.UnmarshalText(b); err != nil || back != k {
		t.Errorf("round trip: %v, %v", back, err)
	}
	if err := back.UnmarshalText(nil); err != nil || !back.IsZero() {
		t.Errorf("empty text: %v, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("aa19mxch1tn7a43ml65b")); err == nil {
		t.Error("non-canonical text accepted")
	}
	if err := back.UnmarshalText([]byte("nope")); err == nil {
		t.Error("bad text accepted")
	}
}

// TestProductKey: the BX hardware delivery serial and the software product keys of the guide.
func TestProductKey(t *testing.T) {
	cases := []struct {
		in, want string
		hw       bool
	}{
		{"DT2729220", "DT2729220", true},
		{" dt2729220 ", "DT2729220", true},
		{"91FA4F6DBFF01B3", "91FA4F6DBFF01B3", false},
		{"V1D50EAF7FF016S3", "V1D50EAF7FF016S3", false},
		{"NEC890D3BFF01RC2", "NEC890D3BFF01RC2", false},
	}
	for _, tc := range cases {
		k, err := ParseProductKey(tc.in)
		if err != nil || k.String() != tc.want || k.IsHardware() != tc.hw {
			t.Errorf("ParseProductKey(%q) = %q hw=%v, %v", tc.in, k, k.IsHardware(), err)
		}
		b, _ := k.MarshalText()
		var back ProductKey
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("text round trip of %q: %v", k, err)
		}
	}
	bad := []struct {
		in      string
		offset  int
		suggest rune
	}{
		{"", 0, 0},
		{"DT272922", 8, 0},
		{"DT27292200", 9, 0},
		{"DT27Z9220", 4, '2'},
		{"DX2729220", 1, 0},
		{"91FA4F6DBFF01B3-", 15, 0},
		{strings.Repeat("D", MaxInput+1), MaxInput, 0},
	}
	for _, tc := range bad {
		k, err := ParseProductKey(tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) || !k.IsZero() {
			t.Errorf("ParseProductKey(%q) = %v, %v", tc.in, k, err)
			continue
		}
		if pe.Offset != tc.offset || pe.Suggest != tc.suggest {
			t.Errorf("ParseProductKey(%q): offset %d suggest %q; want %d %q", tc.in, pe.Offset, pe.Suggest, tc.offset, tc.suggest)
		}
	}
	var z ProductKey
	if err := z.UnmarshalText([]byte("dt2729220")); err == nil {
		t.Error("non-canonical text accepted")
	}
	if err := z.UnmarshalText(nil); err != nil || !z.IsZero() {
		t.Error("empty text")
	}
}

// TestNames: Full Computer Names and domain names are validated and lower-cased.
func TestNames(t *testing.T) {
	got, err := NormalizeComputerName(" HVPC030PBX.DEVNLNEC.LOCAL ")
	if err != nil || got != "hvpc030pbx.devnlnec.local" {
		t.Errorf("FCN: %q, %v", got, err)
	}
	got, err = NormalizeDomainName("Domain.Local.")
	if err != nil || got != "domain.local" {
		t.Errorf("domain: %q, %v", got, err)
	}
	bad := []struct{ in string }{
		{""}, {"."}, {"a..b"}, {"-a.b"}, {"a-.b"}, {"a b"}, {"a/b"}, {strings.Repeat("a", 64) + ".b"},
		{strings.Repeat("a.", 127) + "ab"}, {strings.Repeat("a", 2000)}, {"é.local"},
	}
	for _, tc := range bad {
		_, err := NormalizeComputerName(tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.System != IS3000 {
			t.Errorf("FCN %q: %v", tc.in, err)
		}
		_, err = NormalizeDomainName(tc.in)
		if !errors.As(err, &pe) || pe.System != ThreeC {
			t.Errorf("domain %q: %v", tc.in, err)
		}
	}
}

// TestParseMAC: the guide's bare form and the standard forms; only 48 bits.
func TestParseMAC(t *testing.T) {
	want := []byte{0x6c, 0xe4, 0xda, 0x01, 0x37, 0x8c}
	for _, in := range []string{"6CE4DA01378C", "6ce4da01378c", "6C:E4:DA:01:37:8C", "6c-e4-da-01-37-8c", "6ce4.da01.378c"} {
		m, err := ParseMAC(in)
		if err != nil || !bytes.Equal(m, want) {
			t.Errorf("ParseMAC(%q) = %v, %v", in, m, err)
		}
	}
	for _, in := range []string{"", "6CE4DA01378", "6CE4DA01378G", "6CE4DA0137OC", "00:00:5e:00:53:01:00:01", strings.Repeat("a", 500)} {
		var pe *ParseError
		if _, err := ParseMAC(in); !errors.As(err, &pe) {
			t.Errorf("ParseMAC(%q) = %v; want a *ParseError", in, err)
		}
	}
	_, err := ParseMAC("6CE4DA0137OC")
	var pe *ParseError
	if errors.As(err, &pe) && (pe.Offset != 10 || pe.Suggest != '0') {
		t.Errorf("O for 0: %+v", pe)
	}
}
