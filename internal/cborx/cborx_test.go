package cborx

import (
	"bytes"
	"testing"
)

type sample struct {
	A int    `cbor:"1,keyasint"`
	B string `cbor:"2,keyasint,omitempty"`
}

func TestEncodeIsCoreDeterministic(t *testing.T) {
	got, err := EncMode().Marshal(map[int]int{10: 1, 1: 2, -1: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted bytewise on their encodings: 0x01, 0x0a, 0x20.
	want := []byte{0xa3, 0x01, 0x02, 0x0a, 0x01, 0x20, 0x03}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x, want % x", got, want)
	}
}

func TestDecodeRejects(t *testing.T) {
	dm := MustDecMode(Limits{MaxArray: 16, MaxMap: 16, MaxNested: 4})
	tests := []struct {
		name string
		in   []byte
		why  string
	}{
		{"duplicate key", []byte{0xa2, 0x01, 0x01, 0x01, 0x02}, "a duplicate key would let two readers see two values"},
		{"indefinite map", []byte{0xbf, 0x01, 0x01, 0xff}, "indefinite lengths are not deterministic"},
		{"unknown field", []byte{0xa1, 0x03, 0x01}, "version 1 formats reject keys they do not know"},
		{"invalid utf8", []byte{0xa1, 0x02, 0x61, 0xff}, "text strings must be UTF-8"},
		{"array over cap", append([]byte{0x91}, bytes.Repeat([]byte{0x01}, 17)...), "arrays are capped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "array over cap" {
				var a []int
				if err := dm.Unmarshal(tc.in, &a); err == nil {
					t.Fatalf("accepted %x; %s", tc.in, tc.why)
				}
				return
			}
			var s sample
			if err := dm.Unmarshal(tc.in, &s); err == nil {
				t.Fatalf("accepted %x into %+v; %s", tc.in, s, tc.why)
			}
		})
	}
}

func TestDecodeAcceptsWellFormed(t *testing.T) {
	dm := MustDecMode(Limits{})
	b, err := EncMode().Marshal(sample{A: 7, B: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := dm.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s != (sample{A: 7, B: "x"}) {
		t.Fatalf("got %+v", s)
	}
}
