package keycode_test

import (
	"testing"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/keycode"
)

// host is how a license payload might carry codes: by value, one of them optional.
type host struct {
	System    keycode.System          `cbor:"1,keyasint"`
	Code      keycode.Code            `cbor:"2,keyasint"`
	Secondary keycode.Code            `cbor:"3,keyasint"`
	Product   keycode.ProductKey      `cbor:"4,keyasint"`
	SKC       keycode.SoftwareKeyCode `cbor:"5,keyasint"`
}

// TestCBOR_ThroughFxamacker: fxamacker/cbor, with lmskit's deterministic encoding and strict
// decoding modes, uses Code's MarshalCBOR/UnmarshalCBOR, and a zero Code comes back zero.
func TestCBOR_ThroughFxamacker(t *testing.T) {
	in := host{
		System:    keycode.SV9500,
		Code:      keycode.MustParse(keycode.SV9500, "3565A9C3084267EF2E44A4736DI2"),
		Secondary: keycode.MustParse(keycode.SV9500, "3565ACE34C8C5745F64708D363FK"),
	}
	var err error
	if in.Product, err = keycode.ParseProductKey("DT2729220"); err != nil {
		t.Fatal(err)
	}
	if in.SKC, err = keycode.ParseSoftwareKeyCode("9135AE822NVETDU8PRB8"); err != nil {
		t.Fatal(err)
	}
	dm := cborx.MustDecMode(cborx.Limits{})
	for _, h := range []host{in, {System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "190400324412")}} {
		b, err := cborx.EncMode().Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var out host
		if err := dm.Unmarshal(b, &out); err != nil {
			t.Fatalf("decode %x: %v", b, err)
		}
		if out != h {
			t.Errorf("round trip: got %#v, want %#v", out, h)
		}
		again, _ := cborx.EncMode().Marshal(out)
		if string(again) != string(b) {
			t.Errorf("re-encoding differs: %x vs %x", again, b)
		}
	}
	// A code of another shape inside a valid CBOR document is refused by the whole decode.
	bad := []byte("\xa3\x01\x66SV9500\x02\x82\x66SV9500\x44abcd\x03\xf6")
	var out host
	if err := dm.Unmarshal(bad, &out); err == nil {
		t.Errorf("byte-string code accepted: %#v", out)
	}
}
