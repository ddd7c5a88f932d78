package license

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/signing"
)

// Hand-built CBOR for hostile payloads.
func u(n uint64) []byte          { return appendHead(nil, majUint, n) }
func tx(s string) []byte         { return appendText(nil, s) }
func bs(b []byte) []byte         { return append(appendHead(nil, majBytes, uint64(len(b))), b...) }
func kv(k byte, v []byte) []byte { return append([]byte{k}, v...) }
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
func m(kvs ...[]byte) []byte {
	return cat(append([][]byte{appendHead(nil, majMap, uint64(len(kvs)))}, kvs...)...)
}
func arr(items ...[]byte) []byte {
	return cat(append([][]byte{appendHead(nil, majArray, uint64(len(items)))}, items...)...)
}

var (
	goodHost = m(kv(1, tx("SV8100")), kv(2, tx("191000343919")))
	goodLine = m(kv(2, tx("BE107585")), kv(4, u(1)), kv(5, u(20)))
	issuedKV = kv(3, u(uint64(testIssued.Unix())))
)

// top builds a payload from its top-level pairs; with no arguments, a valid minimal payload.
func top(kvs ...[]byte) []byte {
	if len(kvs) == 0 {
		kvs = [][]byte{kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))}
	}
	return m(kvs...)
}

// withLine is a valid payload whose only line is line.
func withLine(line []byte) []byte {
	return top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(line)))
}

// withHost is a valid payload with host h.
func withHost(h []byte) []byte {
	return top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, h), kv(8, arr(goodLine)))
}

type payloadCase struct {
	name    string
	in      []byte
	wantErr error // nil: accepted
	why     string
}

func payloadCases() []payloadCase {
	good := top()
	hostileLines := func(n uint64) []byte {
		return cat(top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost))[:0],
			appendHead(nil, majMap, 6), kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), []byte{8}, appendHead(nil, majArray, n))
	}
	return []payloadCase{
		{"minimal", good, nil, "the smallest valid payload"},
		{"empty", nil, ErrMalformed, "nothing is not a file"},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrMalformed, "bytes after the payload would be unsigned-looking junk"},
		{"truncated", good[:len(good)-1], ErrMalformed, "cut short"},
		{"array at top", arr(u(1)), ErrMalformed, "the payload is a map"},
		{"indefinite map", cat([]byte{0xbf}, good[1:], []byte{0xff}), ErrMalformed, "indefinite lengths are not deterministic"},
		{"indefinite text", top(kv(1, u(1)), cat([]byte{2, 0x7f, 0x61, 'S', 0xff}), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "indefinite strings are not deterministic"},
		{"non-shortest map head", cat([]byte{0xb8, 6}, good[1:]), ErrMalformed, "lengths are in shortest form"},
		{"non-shortest uint", top(kv(1, []byte{0x18, 1}), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "integers are in shortest form"},
		{"non-shortest issued", top(kv(1, u(1)), kv(2, tx("S1")), kv(3, []byte{0x1b, 0, 0, 0, 0, 0x69, 0xa4, 0x00, 0x00}), kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "a 4-byte value in 8 bytes is another encoding of it"},
		{"non-shortest text length", top(kv(1, u(1)), kv(2, []byte{0x78, 2, 'S', '1'}), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "string lengths are in shortest form"},
		{"reserved additional info", top(kv(1, []byte{0x1c}), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "28-30 are reserved"},
		{"duplicate key", top(kv(1, u(1)), kv(2, tx("S1")), kv(2, tx("S2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "two values for one key would let two readers disagree"},
		{"keys out of order", top(kv(1, u(1)), issuedKV, kv(2, tx("S1")), kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "deterministic encoding sorts keys"},
		{"unknown key 9", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, u(0))), ErrMalformed, "version 1 has no key 9"},
		{"key zero", top(kv(0, u(0)), kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "no key 0"},
		{"text key", top(cat(tx("v"), u(1)), kv(2, tx("S1"))), ErrMalformed, "keys are integers"},
		{"too many pairs", cat([]byte{0xaa}, good[1:]), ErrMalformed, "at most nine keys"},
		{"missing version", top(kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "the version says how to read the rest"},
		{"version 2 without supersedes", top(kv(1, u(2)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "version 2 is version 1 with supersedes: a file that supersedes nothing is written as version 1, so one content has one encoding"},
		{"version 3", top(kv(1, u(3)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "a later format is not read as this one"},
		{"supersedes", top(kv(1, u(2)), kv(2, tx("L.2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("L"))), nil, "a version 2 file names the series it supersedes; its serial is the series, a dot and its number"},
		{"supersedes empty lines", top(kv(1, u(2)), kv(2, tx("L.3")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr()), kv(9, tx("L"))), nil, "a file that revokes everything holds no line and still supersedes"},
		{"supersedes in version 1", top(kv(1, u(1)), kv(2, tx("L.2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("L"))), ErrMalformed, "version 1 has no key 9, so a version 1 reader and this one agree"},
		{"supersedes empty", top(kv(1, u(2)), kv(2, tx("L.2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx(""))), ErrMalformed, "an empty field is left out"},
		{"supersedes as bytes", top(kv(1, u(2)), kv(2, tx("L.2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, bs([]byte("L")))), ErrMalformed, "the series is text"},
		{"supersedes other series", top(kv(1, u(2)), kv(2, tx("L.2")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("M"))), ErrInvalid, "the serial must be of the series it supersedes, or a file could end another location's files"},
		{"supersedes sequence zero", top(kv(1, u(2)), kv(2, tx("L.0")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("L"))), ErrInvalid, "sequence numbers start at 1"},
		{"supersedes leading zero", top(kv(1, u(2)), kv(2, tx("L.02")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("L"))), ErrInvalid, "one number, one spelling"},
		{"supersedes no number", top(kv(1, u(2)), kv(2, tx("L.x")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine)), kv(9, tx("L"))), ErrInvalid, "the sequence is decimal"},
		{"missing serial", top(kv(1, u(1)), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "required"},
		{"missing lines", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost)), ErrMalformed, "required, even when empty"},
		{"negative issued", top(kv(1, u(1)), kv(2, tx("S1")), kv(3, []byte{0x20}), kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "times are unsigned"},
		{"issued after 9999", top(kv(1, u(1)), kv(2, tx("S1")), kv(3, u(maxUnix+1)), kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "times are capped"},
		{"float term", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, []byte{0xf9, 0x3c, 0x00}), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "no floats"},
		{"true term", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, []byte{0xf5}), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "no simple values"},
		{"tagged serial", top(kv(1, u(1)), kv(2, cat([]byte{0xc0}, tx("S1"))), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "no tags"},
		{"bytes serial", top(kv(1, u(1)), kv(2, bs([]byte("S1"))), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "text is text"},
		{"empty serial", top(kv(1, u(1)), kv(2, tx("")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "empty fields are left out, so a present empty one is another encoding"},
		{"serial over cap", top(kv(1, u(1)), kv(2, tx(strings.Repeat("s", 65))), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "strings are capped"},
		{"serial bad alphabet", top(kv(1, u(1)), kv(2, tx("S 1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine))), ErrInvalid, "serials are a restricted alphabet"},
		{"huge string length", top(kv(1, u(1)), kv(2, []byte{0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})), ErrMalformed, "a length must not be trusted"},
		{"term zero", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(0)), kv(7, goodHost), kv(8, arr(goodLine))), ErrInvalid, "the zero term is invalid"},
		{"permanent with not_after", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(5, u(uint64(testNotAfter.Unix()))), kv(7, goodHost), kv(8, arr(goodLine))), ErrInvalid, "a permanent file does not end"},
		{"demo without not_after", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(2)), kv(7, goodHost), kv(8, arr(goodLine))), ErrInvalid, "a demo ends"},
		{"entitlement two letters", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(6, tx("TT")), kv(7, goodHost), kv(8, arr(goodLine))), ErrMalformed, "codes are one letter"},
		{"entitlement unknown", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(6, tx("Z")), kv(7, goodHost), kv(8, arr(goodLine))), ErrInvalid, "only §8 codes"},
		{"host missing code", withHost(m(kv(1, tx("SV8100")))), ErrMalformed, "a file is bound to a code"},
		{"host unknown key", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(9, u(1)))), ErrMalformed, "version 1 host has eight keys"},
		{"host code with space", withHost(m(kv(1, tx("SV8100")), kv(2, tx(" 191000343919")))), ErrMalformed, "codes are written in canonical form"},
		{"host code not of system", withHost(m(kv(1, tx("SV8100")), kv(2, tx("!")))), ErrMalformed, "the code must parse under the system"},
		{"host ip 5 bytes", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(4, bs([]byte{1, 2, 3, 4, 5})))), ErrMalformed, "IPv4 is 4 bytes, IPv6 16"},
		{"host ip mapped", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(4, bs([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1})))), ErrMalformed, "one address, one encoding"},
		{"host ip as text", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(4, tx("10.0.0.1")))), ErrMalformed, "addresses are bytes"},
		{"host mac 5 bytes", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(5, bs([]byte{1, 2, 3, 4, 5})))), ErrMalformed, "a MAC is 6 bytes"},
		{"host mac zero", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(5, bs(make([]byte, 6))))), ErrMalformed, "the zero MAC is written as nothing"},
		{"host upper-case name", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(6, tx("PBX.local")))), ErrInvalid, "computer names are kept lower-case"},
		{"host product key dash", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(8, tx("DT-1")))), ErrMalformed, "product keys follow keycode's grammar"},
		{"host product key lower", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(8, tx("dt2729220")))), ErrMalformed, "product keys are written in canonical (upper) case"},
		{"host name not canonical", withHost(m(kv(1, tx("SV8100")), kv(2, tx("191000343919")), kv(7, tx("-x.com")))), ErrInvalid, "domain names follow keycode's rules"},
		{"lines over cap", hostileLines(MaxLines + 1), ErrMalformed, "at most 10,000 lines, checked before allocating"},
		{"lines more than bytes", hostileLines(500), ErrMalformed, "a count the data cannot hold is refused before allocating"},
		{"lines not array", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, goodLine)), ErrMalformed, "lines are an array"},
		{"line missing qty", withLine(m(kv(2, tx("P")), kv(4, u(1)))), ErrMalformed, "qty is required"},
		{"line missing part", withLine(m(kv(4, u(1)), kv(5, u(1)))), ErrMalformed, "part is required"},
		{"line qty zero", withLine(m(kv(2, tx("P")), kv(4, u(1)), kv(5, u(0)))), ErrInvalid, "a line grants something"},
		{"line qty over max", withLine(m(kv(2, tx("P")), kv(4, u(1)), kv(5, u(MaxQty+1)))), ErrMalformed, "quantities fit in int32"},
		{"line kind 9", withLine(m(kv(2, tx("P")), kv(4, u(9)), kv(5, u(1)))), ErrInvalid, "three kinds"},
		{"line name invalid utf8", withLine(m(kv(2, tx("P")), kv(3, []byte{0x62, 'a', 0xff}), kv(4, u(1)), kv(5, u(1)))), ErrMalformed, "text is UTF-8"},
		{"line name control", withLine(m(kv(2, tx("P")), kv(3, tx("a\x00b")), kv(4, u(1)), kv(5, u(1)))), ErrMalformed, "no control characters"},
		{"line part over cap", withLine(m(kv(2, tx(strings.Repeat("p", MaxPartLen+1))), kv(4, u(1)), kv(5, u(1)))), ErrMalformed, "part numbers are capped"},
		{"line nested map", withLine(m(kv(2, tx("P")), kv(3, m()), kv(4, u(1)), kv(5, u(1)))), ErrMalformed, "names are text"},
		{"line empty po", withLine(m(kv(2, tx("P")), kv(4, u(1)), kv(5, u(1)), kv(6, tx("")))), ErrMalformed, "present-but-empty is a second encoding"},
		{"line unknown key", withLine(m(kv(2, tx("P")), kv(4, u(1)), kv(5, u(1)), kv(9, u(1)))), ErrMalformed, "version 1 lines have eight keys"},
		{"lines two kinds", top(kv(1, u(1)), kv(2, tx("S1")), issuedKV, kv(4, u(1)), kv(7, goodHost), kv(8, arr(goodLine, m(kv(2, tx("BE107585")), kv(4, u(3)), kv(5, u(1)))))), ErrInvalid, "a file's lines must stack"},
	}
}

func TestPayloadHostile(t *testing.T) {
	for _, tc := range payloadCases() {
		t.Run(tc.name, func(t *testing.T) {
			f, err := UnmarshalPayload(tc.in)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("refused: %v; %s", err, tc.why)
				}
				again, err := f.MarshalPayload()
				if err != nil || !bytes.Equal(again, tc.in) {
					t.Fatalf("re-encoding gave %x, %v; want %x", again, err, tc.in)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %x as %+v; %s", tc.in, f, tc.why)
			}
			if f != nil {
				t.Error("a file came back with the error")
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not match %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "license: ") {
				t.Errorf("message %q", err)
			}
			// The same bytes, properly signed, are refused by Open with the same sentinel.
			msg, serr := signing.Sign1(testKey, tc.in, &signing.Sign1Options{ContentType: ContentType})
			if serr != nil {
				t.Fatal(serr)
			}
			if _, err := Open(msg, testKeyring(t)); !errors.Is(err, tc.wantErr) {
				t.Errorf("Open: %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestFormatErrorSaysWhere(t *testing.T) {
	_, err := UnmarshalPayload(withLine(m(kv(2, tx("P")), kv(3, tx("a\x00b")), kv(4, u(1)), kv(5, u(1)))))
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%v is not a *FormatError", err)
	}
	if fe.Field != "lines[0].name" || fe.Offset <= 0 {
		t.Errorf("FormatError = %+v, want field lines[0].name and an offset", fe)
	}
}

// TestPayloadIsCoreDeterministic checks the hand-written encoder against the CBOR library: the
// library's strict decoder reads our payloads, and its core deterministic encoder writes the
// same bytes back.
func TestPayloadIsCoreDeterministic(t *testing.T) {
	dm := cborx.MustDecMode(cborx.Limits{MaxArray: MaxLines, MaxMap: 16})
	for name, f := range map[string]*File{"sv8100": sv8100File(t), "full": fullFile(t), "big": bigFile(t, 300)} {
		p, err := f.MarshalPayload()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := dm.Unmarshal(p, &v); err != nil {
			t.Fatalf("%s: strict decoder refused our payload: %v", name, err)
		}
		again, err := cborx.EncMode().Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, p) {
			t.Errorf("%s: core deterministic re-encoding differs:\n ours %s\n lib  %s", name, hex.EncodeToString(p), hex.EncodeToString(again))
		}
	}
}
