package keycode

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets, one per grammar family, each seeded from the golden vectors and the rejected ones.
// Properties: no panic; a rejection is a *ParseError with a zero Code and an offset inside the input;
// an accepted input gives a Code of the stated system that parses back to itself from its canonical
// form, that Detect names, and whose encodings round-trip.

func fuzzFamily(f *testing.F, systems []System) {
	seed := func(s string) {
		for i := range systems {
			f.Add(uint8(i), s)
		}
	}
	v := vectorFileFor(f)
	for _, tc := range v.Valid {
		seed(tc.Input)
	}
	for _, tc := range v.Invalid {
		seed(tc.Input)
	}
	g := loadGuideCodes(f)
	for _, tc := range g.Valid {
		seed(tc.Input)
	}
	for _, tc := range g.Damaged {
		seed(tc.Input)
	}
	for _, s := range []string{"", " ", "\x00", "\xff\xfe", strings.Repeat("9", MaxInput+1), "A_", "LM", "aaAA"} {
		seed(s)
	}
	f.Fuzz(func(t *testing.T, sel uint8, s string) {
		checkParse(t, systems[int(sel)%len(systems)], s)
	})
}

// vectorFileFor reads the package copy of the vectors (fuzzing runs without ../shared too).
func vectorFileFor(f *testing.F) vectorFile {
	var v vectorFile
	b := mustRead(f, "testdata/keycodes.json")
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	return v
}

func checkParse(t *testing.T, sys System, s string) {
	c, err := Parse(sys, s)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q, %q): %v is not a *ParseError", sys, s, err)
		}
		if !c.IsZero() {
			t.Fatalf("Parse(%q, %q) returned %#v beside its error", sys, s, c)
		}
		if pe.Offset < 0 || pe.Offset > len(pe.Input) || pe.Want == "" || pe.System != sys {
			t.Fatalf("Parse(%q, %q): bad error %+v", sys, s, pe)
		}
		_ = pe.Error()
		return
	}
	if c.System() != sys || c.IsZero() || c.Form() == 0 {
		t.Fatalf("Parse(%q, %q) = %#v", sys, s, c)
	}
	again, err := Parse(sys, c.String())
	if err != nil || again != c {
		t.Fatalf("Parse(%q, %q) = %q, but its canonical form parses to %#v, %v", sys, s, c, again, err)
	}
	if d := Detect(s); sys != ESN && !slices.Contains(d, sys) || slices.Contains(d, ESN) {
		t.Fatalf("Detect(%q) = %v lacks %q", s, Detect(s), sys)
	}
	text, _ := c.MarshalText()
	var fromText Code
	if err := fromText.UnmarshalText(text); err != nil || fromText != c {
		t.Fatalf("text %q: %#v, %v", text, fromText, err)
	}
	cb, _ := c.MarshalCBOR()
	var fromCBOR Code
	if err := fromCBOR.UnmarshalCBOR(cb); err != nil || fromCBOR != c {
		t.Fatalf("CBOR %x: %#v, %v", cb, fromCBOR, err)
	}
	if l, err := c.LMC(); err == nil {
		p, err := l.PBX()
		want := c
		if c.Form() == Form3C {
			// "LM3C…" does not say 3C or 3C CAT2: PBX reads the system from the check characters
			// (CAT2's and not 3C's: 3C CAT2; otherwise 3C), whatever system c was parsed as.
			want = MustParse(ThreeC, c.String())
			if want.Verify() != nil && MustParse(ThreeCCAT2, c.String()).Verify() == nil {
				want = MustParse(ThreeCCAT2, c.String())
			}
		}
		if err != nil || p != want {
			t.Fatalf("LMC(%q) = %q, back %#v, %v; want %#v", c, l, p, err, want)
		}
	}
	if err := c.Verify(); err != nil && !errors.Is(err, ErrCheck) && !errors.Is(err, ErrNoCheck) {
		t.Fatalf("Verify(%q): %v", c, err)
	}
	if tk, seq, ok := c.TempKey(); ok {
		back, err := TempKey(sys, tk, seq)
		if err != nil || back != c {
			t.Fatalf("TempKey round trip of %q: %v, %v", c, back, err)
		}
	}
}

// FuzzParse12 covers the 12-character families (SL, SV8100, SV9100, 3C, OVOC, uMobility).
func FuzzParse12(f *testing.F) {
	fuzzFamily(f, []System{SL1000, SL2100, SV8100, SV9100CP10, SV9100CP20, ThreeC, ThreeCCAT2, UMobility, BXOVOC})
}

// FuzzParse28 covers the 28-character families, the SV9500 label form and the derived forms.
func FuzzParse28(f *testing.F) {
	f.Add(uint8(3), "35V0123456789ABCDEF0123456xy")
	f.Add(uint8(3), "35M0123456789ABCDEF0123456xy")
	fuzzFamily(f, []System{SV8300, SV9300, SV8500, SV9500})
}

// FuzzParseTempKey covers temp keys and their time validation.
func FuzzParseTempKey(f *testing.F) {
	f.Add(uint8(0), "22-000229000000-000-TEMP-KEY")
	f.Add(uint8(1), "35-991231235959-999-temp-key")
	fuzzFamily(f, []System{SRMGC, SV9500})
}

// FuzzParseESN covers the equipment serial number: any 8 to 40 letters and digits, folded.
func FuzzParseESN(f *testing.F) {
	for _, s := range []string{"2102350DLF10H1000123", "abcdefgh", "ABCDEFG", strings.Repeat("Z", 41), "2102-350", "21023508849wcb000015 "} {
		f.Add(uint8(0), s)
	}
	fuzzFamily(f, []System{ESN})
}

// FuzzParseDongle covers the iS3000 family and the dongle systems.
func FuzzParseDongle(f *testing.F) {
	fuzzFamily(f, []System{IS3000, BCT, RCC})
}

// FuzzParseLMC covers the License Manager Client grammar.
func FuzzParseLMC(f *testing.F) {
	fuzzFamily(f, []System{LMC})
}

// FuzzParseShort covers DECT PARIs, BX/OVOC serials and the external products.
func FuzzParseShort(f *testing.F) {
	fuzzFamily(f, []System{IPDECT, DECTNS, BXOVOC, UM4730, ExpenseManagement, MobiCallMaster, MobiCallSupervisor, MobiBox})
}

// FuzzParseSoftwareKeyCode: no panic; accepted codes are canonical after one parse.
func FuzzParseSoftwareKeyCode(f *testing.F) {
	for _, s := range loadGuideSKCs(f) {
		f.Add(s)
		f.Add(strings.ToLower(s))
	}
	f.Add("AA19MXCH1TN7A43ML6OB")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseSoftwareKeyCode(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !k.IsZero() || pe.Offset > len(pe.Input) {
				t.Fatalf("ParseSoftwareKeyCode(%q): %v, %#v", s, err, k)
			}
			return
		}
		again, err := ParseSoftwareKeyCode(k.String())
		if err != nil || again != k || len(k.String()) != SKCLen {
			t.Fatalf("%q -> %q -> %v, %v", s, k, again, err)
		}
	})
}

// FuzzParseProductKey: no panic; accepted keys are canonical after one parse.
func FuzzParseProductKey(f *testing.F) {
	for _, s := range []string{"DT2729220", "dt2729220", "91FA4F6DBFF01B3", "V1D50EAF7FF016S3", "DT27Z9220", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseProductKey(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !k.IsZero() || pe.Offset > len(pe.Input) {
				t.Fatalf("ParseProductKey(%q): %v, %#v", s, err, k)
			}
			return
		}
		again, err := ParseProductKey(k.String())
		if err != nil || again != k {
			t.Fatalf("%q -> %q -> %v, %v", s, k, again, err)
		}
	})
}

// FuzzCodeDecode: the text, JSON and CBOR decoders never panic, leave the Code unchanged on error,
// and accept only what re-encodes to the same bytes.
func FuzzCodeDecode(f *testing.F) {
	for _, c := range sampleCodes(f) {
		b, _ := c.MarshalText()
		f.Add(b)
		b, _ = json.Marshal(c)
		f.Add(b)
		b, _ = c.MarshalCBOR()
		f.Add(b)
	}
	f.Add([]byte("\xf6"))
	f.Add([]byte("null"))
	f.Add([]byte("\x74AA19MXCH1TN7A43ML65B"))
	f.Add([]byte("\x69DT2729220"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keep := MustParse(SV8100, "190400324412")
		c := keep
		if err := c.UnmarshalText(b); err != nil {
			if c != keep {
				t.Fatalf("UnmarshalText(%q) changed the Code on error", b)
			}
		} else if out, _ := c.MarshalText(); string(out) != string(b) {
			t.Fatalf("text %q re-encodes as %q", b, out)
		}
		c = keep
		if err := c.UnmarshalCBOR(b); err != nil {
			if c != keep {
				t.Fatalf("UnmarshalCBOR(%x) changed the Code on error", b)
			}
		} else if out, _ := c.MarshalCBOR(); string(out) != string(b) {
			t.Fatalf("CBOR %x re-encodes as %x", b, out)
		}
		var k SoftwareKeyCode
		if err := k.UnmarshalCBOR(b); err == nil {
			if out, _ := k.MarshalCBOR(); string(out) != string(b) {
				t.Fatalf("SKC CBOR %x re-encodes as %x", b, out)
			}
		}
		var pk ProductKey
		if err := pk.UnmarshalCBOR(b); err == nil {
			if out, _ := pk.MarshalCBOR(); string(out) != string(b) {
				t.Fatalf("product key CBOR %x re-encodes as %x", b, out)
			}
		}
		c = keep
		if err := c.UnmarshalJSON(b); err != nil {
			if c != keep {
				t.Fatalf("UnmarshalJSON(%q) changed the Code on error", b)
			}
		} else {
			out, _ := json.Marshal(c)
			var back Code
			if err := json.Unmarshal(out, &back); err != nil || back != c {
				t.Fatalf("JSON %q decoded to %#v which does not round-trip", b, c)
			}
		}
	})
}

// FuzzDerivationInputs: names and MACs from untrusted input never panic; accepted names are
// idempotent under normalisation and derive; accepted MACs are 48 bits.
func FuzzDerivationInputs(f *testing.F) {
	for _, s := range []string{"hvpc030pbx.devlnec.local", "HVPC030PBX.DEVNLNEC.LOCAL", "domain.local.", "a..b", "-a", "6CE4DA01378C", "6c:e4:da:01:37:8c", "", "\xff"} {
		f.Add(s)
	}
	d, err := NewDeriver(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := NormalizeComputerName(s); err == nil {
			if again, err := NormalizeComputerName(n); err != nil || again != n {
				t.Fatalf("NormalizeComputerName(%q) = %q, then %q, %v", s, n, again, err)
			}
			c, err := d.IS3000DongleLess(s, 1)
			if err != nil || c.Verify() != nil {
				t.Fatalf("IS3000DongleLess(%q): %v, %v", s, c, err)
			}
		} else {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("NormalizeComputerName(%q): %v", s, err)
			}
			if _, err := d.IS3000DongleLess(s, 1); err == nil {
				t.Fatalf("IS3000DongleLess accepted %q", s)
			}
		}
		if n, err := NormalizeDomainName(s); err == nil {
			if _, err := d.ThreeC(ThreeCCAT2, n, 1); err != nil {
				t.Fatalf("ThreeC(%q): %v", n, err)
			}
		}
		if mac, err := ParseMAC(s); err == nil {
			if len(mac) != 6 {
				t.Fatalf("ParseMAC(%q) = %v", s, mac)
			}
			if _, err := d.SV9500SmallEnterprise(mac); err != nil {
				t.Fatal(err)
			}
		} else {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseMAC(%q): %v", s, err)
			}
		}
	})
}
