package keycode

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleCodes is one code of every system and several forms, including derived ones.
func sampleCodes(t testing.TB) []Code {
	t.Helper()
	out := []Code{
		MustParse(SL1000, "280001451316"),
		MustParse(SV8300, "18CYG-IPS-00000000BJZ02319QK"),
		MustParse(SV8500, "22CC538207AFD058020640CD57xO"),
		MustParse(SRMGC, "22-130320025726-607-TEMP-KEY"),
		MustParse(SV9500, "35G00N470108E0S0A8832EF2d3Po"),
		MustParse(IS3000, "aa0024IC960002104009xxx12345AA"),
		MustParse(ThreeCCAT2, "3C342CB25F2C"),
		MustParse(DECTNS, "1FFFFFF5"),
		MustParse(LMC, "LMIS0014SA2792885418"),
		MustParse(BXOVOC, "358744541284567"),
		MustParse(UM4730, "11-10465697"),
		MustParse(MobiCallSupervisor, "1A2F"),
	}
	return append(out, derivedSamples(t)...)
}

// TestCode_TextJSONCBOR: every encoding keeps the system and round-trips to an == Code, and the
// zero Code has its own encoding.
func TestCode_TextJSONCBOR(t *testing.T) {
	codes := append(sampleCodes(t), Code{})
	for _, c := range codes {
		t.Run(c.System().String()+"/"+c.String(), func(t *testing.T) {
			text, err := c.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var fromText Code
			if err := fromText.UnmarshalText(text); err != nil || fromText != c {
				t.Errorf("text %q: %#v, %v", text, fromText, err)
			}
			js, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var fromJSON Code
			if err := json.Unmarshal(js, &fromJSON); err != nil || fromJSON != c {
				t.Errorf("JSON %s: %#v, %v", js, fromJSON, err)
			}
			cb, err := c.MarshalCBOR()
			if err != nil {
				t.Fatal(err)
			}
			var fromCBOR Code
			if err := fromCBOR.UnmarshalCBOR(cb); err != nil || fromCBOR != c {
				t.Errorf("CBOR %x: %#v, %v", cb, fromCBOR, err)
			}
		})
	}
}

// TestCode_EncodingForms pins the exact bytes of each encoding.
func TestCode_EncodingForms(t *testing.T) {
	c := MustParse(SV8100, "190400324412")
	text, _ := c.MarshalText()
	js, _ := json.Marshal(c)
	cb, _ := c.MarshalCBOR()
	type forms struct{ Text, JSON, CBOR string }
	want := forms{
		Text: "SV8100:190400324412",
		JSON: `{"system":"SV8100","code":"190400324412"}`,
		CBOR: "\x82\x66SV8100\x6c190400324412",
	}
	if diff := cmp.Diff(want, forms{string(text), string(js), string(cb)}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Short texts have the length in the head; 24 bytes or more take a one-byte length.
	long := MustParse(IS3000, "aa0014SA2792883418AA")
	lb, _ := long.MarshalCBOR()
	if lb[1] != 0x77 || !bytes.HasPrefix(lb[2:], []byte("iS3000")) {
		t.Errorf("iS3000 head %x", lb[:4])
	}
	lc := MustParse(LMC, "LM16717688D912171C3E3E603E1836")
	cbl, _ := lc.MarshalCBOR()
	at := 2 + len(LMC)
	if cbl[1] != 0x60|byte(len(LMC)) || cbl[at] != 0x78 || cbl[at+1] != 30 {
		t.Errorf("UIP code heads %x and %x", cbl[1], cbl[at:at+2])
	}
	z, _ := Code{}.MarshalCBOR()
	zj, _ := json.Marshal(Code{})
	zt, _ := Code{}.MarshalText()
	if string(z) != "\xf6" || string(zj) != "null" || len(zt) != 0 {
		t.Errorf("zero: %x %s %q", z, zj, zt)
	}
}

// TestCode_DecodeRejects: decoders accept only the canonical encoding and leave the Code unchanged
// on error.
func TestCode_DecodeRejects(t *testing.T) {
	keep := MustParse(SV9300, "36LYRAABK000000000CP10A087HY")
	t.Run("text", func(t *testing.T) {
		for _, in := range []string{
			"190400324412",         // no system
			"SV8100:",              // no code
			":190400324412",        // no system
			"sv8100:190400324412",  // system not exact
			"SV8100:190400324412 ", // not canonical: trailing space
			"SV9500:A_3565-A9C3-0842-67EF-2E44-A473-6DI2", // not canonical: QR form
			"SV8100:1904003244",                           // bad code
			"SV7000:190400324412",                         // unknown system
			"SV8100:190400324412:x",                       // extra colon
		} {
			c := keep
			if err := c.UnmarshalText([]byte(in)); err == nil || c != keep {
				t.Errorf("UnmarshalText(%q) = %v, left %#v", in, err, c)
			}
		}
	})
	t.Run("JSON", func(t *testing.T) {
		for _, in := range []string{
			`"SV8100:190400324412"`,
			`{"system":"SV8100"}`,
			`{"code":"190400324412"}`,
			`{"system":"SV8100","code":"190400324412","x":1}`,
			`{"system":"SV8100","code":"190400324412","code":"190400324412"}`,
			`{"system":"SV8100","\u0063ode":"190400324412","code":"190400324412"}`,
			`{"System":"SV8100","code":"190400324412"}`,
			`{"system":"SV8100","code":190400324412}`,
			`{"system":"SV8100","code":"190400324412"} {}`,
			`{"system":"SV8100","code":"190400324412"`,
			`{"system":"SV8100","code":"4410011575a6"}`,
			`[]`, `true`, ``,
			`{"system":"SV8100","code":"` + strings.Repeat("1", 10000) + `"}`,
		} {
			c := keep
			if err := c.UnmarshalJSON([]byte(in)); err == nil || c != keep {
				t.Errorf("UnmarshalJSON(%q) = %v, left %#v", in, err, c)
			}
		}
	})
	t.Run("CBOR", func(t *testing.T) {
		good := "\x82\x66SV8100\x6c190400324412"
		for _, tc := range []struct{ name, in string }{
			{"empty", ""},
			{"three elements", "\x83\x66SV8100\x6c190400324412\x60"},
			{"indefinite array", "\x9f\x66SV8100\x6c190400324412\xff"},
			{"indefinite text", "\x82\x7f\x66SV8100\xff\x6c190400324412"},
			{"long head for short text", "\x82\x78\x06SV8100\x6c190400324412"},
			{"two-byte head", "\x82\x79\x00\x06SV8100\x6c190400324412"},
			{"byte string", "\x82\x46SV8100\x6c190400324412"},
			{"tagged", "\xd8\x18" + good},
			{"trailing byte", good + "\x00"},
			{"truncated", good[:len(good)-1]},
			{"invalid UTF-8", "\x82\x66SV81\xff\xfe\x6c190400324412"},
			{"undefined", "\xf7"},
			{"map", "\xa1\x66SV8100\x6c190400324412"},
			{"non-canonical code", "\x82\x69SV9100 CP20\x6c4410011575a6"},
			{"unknown system", "\x82\x66SV7000\x6c190400324412"},
			{"length past end", "\x82\x66SV8100\x78\xff190400324412"},
		} {
			c := keep
			if err := c.UnmarshalCBOR([]byte(tc.in)); err == nil || c != keep {
				t.Errorf("%s: UnmarshalCBOR(%x) = %v, left %#v", tc.name, tc.in, err, c)
			}
		}
	})
	t.Run("errors are typed", func(t *testing.T) {
		var c Code
		err := c.UnmarshalText([]byte("SV8100:1904003244"))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("bad code in text: %v; want a *ParseError", err)
		}
		err = c.UnmarshalText([]byte("nope:1"))
		if !errors.Is(err, ErrUnknownSystem) {
			t.Errorf("unknown system in text: %v; want ErrUnknownSystem", err)
		}
	})
}

// TestKeys_CBOR: software key codes and product keys encode as CBOR text strings, zero as null,
// and decode only that.
func TestKeys_CBOR(t *testing.T) {
	k, _ := ParseSoftwareKeyCode("AA19MXCH1TN7A43ML65B")
	pk, _ := ParseProductKey("DT2729220")
	kb, _ := k.MarshalCBOR()
	pb, _ := pk.MarshalCBOR()
	if string(kb) != "\x74AA19MXCH1TN7A43ML65B" || string(pb) != "\x69DT2729220" {
		t.Errorf("encodings %x %x", kb, pb)
	}
	var k2 SoftwareKeyCode
	var p2 ProductKey
	if err := k2.UnmarshalCBOR(kb); err != nil || k2 != k {
		t.Errorf("SKC round trip: %v %v", k2, err)
	}
	if err := p2.UnmarshalCBOR(pb); err != nil || p2 != pk {
		t.Errorf("product key round trip: %v %v", p2, err)
	}
	zk, _ := SoftwareKeyCode{}.MarshalCBOR()
	zp, _ := ProductKey{}.MarshalCBOR()
	if string(zk) != "\xf6" || string(zp) != "\xf6" {
		t.Errorf("zero: %x %x", zk, zp)
	}
	if err := k2.UnmarshalCBOR(zk); err != nil || !k2.IsZero() {
		t.Errorf("null SKC: %v", err)
	}
	if err := p2.UnmarshalCBOR(zp); err != nil || !p2.IsZero() {
		t.Errorf("null product key: %v", err)
	}
	for _, bad := range []string{"", "\x60", "\x74aa19mxch1tn7a43ml65b", "\x54AA19MXCH1TN7A43ML65B", "\x78\x14AA19MXCH1TN7A43ML65B", "\x74AA19MXCH1TN7A43ML65B\x00", "\x69DT272922"} {
		k2, p2 = k, pk
		if err := k2.UnmarshalCBOR([]byte(bad)); err == nil || k2 != k {
			t.Errorf("SKC accepted %x", bad)
		}
		if err := p2.UnmarshalCBOR([]byte(bad)); err == nil || p2 != pk {
			t.Errorf("product key accepted %x", bad)
		}
	}
}
