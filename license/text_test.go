package license

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPrintableASCIIAgrees checks the eight-at-a-time scan against the plain rule on every byte
// value at every position of strings of 0 to 25 bytes.
func TestPrintableASCIIAgrees(t *testing.T) {
	for n := range 26 {
		testPrintableASCIIAt(t, n)
	}
}

func testPrintableASCIIAt(t *testing.T, n int) {
	base := []byte(strings.Repeat("a", n))
	if !printableASCII(string(base)) {
		t.Fatalf("%d letters refused", n)
	}
	for pos := range base {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			want := c >= 0x20 && c <= 0x7e
			if got := printableASCII(string(b)); got != want {
				t.Fatalf("byte %#x at %d: got %v want %v", c, pos, got, want)
			}
		}
	}
}

func TestTextProblem(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"ascii", "LK-SYS-256 PORT LIC", true},
		{"utf8", "Lizenz für Kanäle", true},
		{"tab", "a\tb", false},
		{"del", "a\x7fb", false},
		{"c1", "a\u0085b", false},
		{"bad utf8", "a\xc3", false},
		{"surrogate", "a\xed\xa0\x80", false},
		{"long", strings.Repeat("x", 33), false},
	}
	for _, tc := range tests {
		if got := textProblem(tc.in, 32) == ""; got != tc.ok {
			t.Errorf("%s: ok=%v, want %v", tc.name, got, tc.ok)
		}
	}
	_ = utf8.RuneError
}
