package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArmor_Golden(t *testing.T) {
	got := Armor("LMSKIT LICENSE", map[string]string{"System": "OpenScape 4000", "Serial": "L-0001", "HWKC": "A1B2\nC3"}, []byte("hello, world"))
	want := "-----BEGIN LMSKIT LICENSE-----\n" +
		"HWKC: A1B2 C3\n" +
		"Serial: L-0001\n" +
		"System: OpenScape 4000\n" +
		"\n" +
		"aGVsbG8sIHdvcmxk\n" +
		"-----END LMSKIT LICENSE-----\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("armor (-want +got):\n%s", diff)
	}
}

func TestArmor_RoundTrip(t *testing.T) {
	k := testKey(t, "a")
	msg, _ := Sign1(k, bytes.Repeat([]byte("license "), 100), nil)
	for _, tc := range []struct {
		name, why string
		headers   map[string]string
		data      []byte
	}{
		{"signed message with headers", "the license file's human form", map[string]string{"System": "OS4K", "Serial": "42"}, msg},
		{"no headers", "headers are optional", nil, msg},
		{"empty data", "nothing to encode is still a block", map[string]string{"A": "b"}, nil},
		{"header values with colons and dashes", "a value comes from data (a host id, a name)",
			map[string]string{"A": "a: b", "B": "18CYG-IPS-00000000BJZ02319QK", "C": "----"}, msg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			armored := Armor("LMSKIT LICENSE", tc.headers, tc.data)
			if !bytes.Equal(armored, Armor("LMSKIT LICENSE", tc.headers, tc.data)) {
				t.Error("Armor is not deterministic")
			}
			typ, headers, data, err := Dearmor(append(append([]byte("\n  \r\n"), armored...), "\n\n"...))
			if err != nil {
				t.Fatalf("%s: %v", tc.why, err)
			}
			if typ != "LMSKIT LICENSE" || !bytes.Equal(data, tc.data) {
				t.Errorf("Dearmor = %q, %d bytes", typ, len(data))
			}
			if diff := cmp.Diff(tc.headers, headers); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArmor_HeaderValuesQuotingArmorLines: a header value that quotes an armor line would make PEM
// readers (encoding/pem finds "-----BEGIN " anywhere) lose the block; Armor shortens such dash runs so
// its output always reads back, and says nothing else about the value.
func TestArmor_HeaderValuesQuotingArmorLines(t *testing.T) {
	in := map[string]string{
		"A": "-----BEGIN LMSKIT LICENSE-----",
		"B": "x\n-----END LMSKIT LICENSE-----",
		"C": "---------BEGIN X",
	}
	want := map[string]string{
		"A": "----BEGIN LMSKIT LICENSE----",
		"B": "x ----END LMSKIT LICENSE----",
		"C": "----BEGIN X",
	}
	typ, headers, data, err := Dearmor(Armor("LMSKIT LICENSE", in, []byte("payload")))
	if err != nil {
		t.Fatalf("Armor's output does not read back: %v", err)
	}
	if typ != "LMSKIT LICENSE" || string(data) != "payload" {
		t.Errorf("Dearmor = %q, %q", typ, data)
	}
	if diff := cmp.Diff(want, headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

// TestArmor_InvalidTypeOrKey: a block type or header key that cannot be written gives nil, as
// pem.EncodeToMemory does, and never a panic.
func TestArmor_InvalidTypeOrKey(t *testing.T) {
	for _, tc := range []struct {
		name, typ string
		headers   map[string]string
	}{
		{"empty type", "", nil},
		{"type with newline", "A\nB", nil},
		{"type with dashes", "A-----B", nil},
		{"type with spaces around", " T", nil},
		{"key with colon", "T", map[string]string{"a:b": "c"}},
		{"key with newline", "T", map[string]string{"a\nb": "c"}},
		{"empty key", "T", map[string]string{"": "c"}},
		{"key with spaces around", "T", map[string]string{" a": "c"}},
		{"key with dashes", "T", map[string]string{"a-----b": "c"}},
		{"one bad key among good ones", "T", map[string]string{"A": "1", "B:": "2", "C": "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Armor(tc.typ, tc.headers, []byte("x")); got != nil {
				t.Errorf("Armor = %q, want nil", got)
			}
		})
	}
}

func TestDearmor_Bad(t *testing.T) {
	good := Armor("LMSKIT LICENSE", map[string]string{"A": "b"}, []byte("data"))
	for _, tc := range []struct {
		name, why string
		in        []byte
	}{
		{"empty", "nothing", nil},
		{"no block", "plain text", []byte("just text")},
		{"text before", "only white space may surround the block", append([]byte("Dear customer,\n"), good...)},
		{"text after", "only white space may surround the block", append(append([]byte(nil), good...), "regards"...)},
		{"two blocks", "one armored block per input", append(append([]byte(nil), good...), good...)},
		{"damaged then good", "encoding/pem would skip a damaged block and take the next", append([]byte("-----BEGIN X-----\n!!!\n-----END X-----\n"), good...)},
		{"bad base64", "corrupted body", bytes.Replace(good, []byte("ZGF0YQ=="), []byte("ZGF0YQ!="), 1)},
		{"missing END", "truncated", good[:len(good)-10]},
		{"mismatched END", "END names another type", bytes.Replace(good, []byte("END LMSKIT"), []byte("END OTHER"), 1)},
		{"empty header key", "a key Armor would not write (found by FuzzDearmor)", []byte("-----BEGIN X-----\n:\n\n-----END X-----")},
		{"oversized", "size cap before parsing", append(append([]byte(nil), good...), bytes.Repeat([]byte(" "), MaxArmorSize)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, h, data, err := Dearmor(tc.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: err = %v, want ErrMalformed", tc.why, err)
			}
			if typ != "" || h != nil || data != nil {
				t.Errorf("%s: partial result with an error", tc.why)
			}
			if strings.Contains(err.Error(), "ZGF0") {
				t.Errorf("error quotes the armored data: %v", err)
			}
		})
	}
}
