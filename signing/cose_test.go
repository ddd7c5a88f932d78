package signing

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/internal/cborx"
)

// sign1Wire is a COSE_Sign1 decoded by the CBOR library, for checking Sign1's output independently.
type sign1Wire struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[int64]any
	Payload     []byte
	Signature   []byte
}

func decodeWire(t *testing.T, msg []byte) (tag uint64, w sign1Wire) {
	t.Helper()
	dm := cborx.MustDecMode(cborx.Limits{})
	var raw cbor.RawTag
	if err := dm.Unmarshal(msg, &raw); err != nil {
		t.Fatalf("output is not a tagged CBOR item: %v", err)
	}
	if err := dm.Unmarshal(raw.Content, &w); err != nil {
		t.Fatalf("output is not a COSE_Sign1 array: %v", err)
	}
	return raw.Number, w
}

// TestSign1_Structure: Sign1 writes RFC 9052 section 4.2 exactly: tag 18, protected header with alg,
// content type and kid in core deterministic encoding, an empty unprotected map, the payload, and an
// Ed25519 signature over the Sig_structure of section 4.4, rebuilt here with the CBOR library.
func TestSign1_Structure(t *testing.T) {
	k := testKey(t, "a")
	kid := k.Public().KeyID().Bytes()
	payload := []byte("the payload")
	aad := []byte("context bound by both sides")
	for _, tc := range []struct {
		name, why string
		opts      *Sign1Options
		wantProt  map[int]any
		aad       []byte
	}{
		{"defaults", "nil options: alg -8 and the key's KeyID", nil,
			map[int]any{1: -8, 4: kid}, nil},
		{"content type", "content type goes to the protected header", &Sign1Options{ContentType: "application/cbor"},
			map[int]any{1: -8, 3: "application/cbor", 4: kid}, nil},
		{"alg -19", "the fully specified Ed25519 id when asked", &Sign1Options{Algorithm: AlgEd25519},
			map[int]any{1: -19, 4: kid}, nil},
		{"explicit kid", "a kid named elsewhere", &Sign1Options{KeyID: []byte("vendor-2026")},
			map[int]any{1: -8, 4: []byte("vendor-2026")}, nil},
		{"external aad", "AAD is signed but not carried", &Sign1Options{ExternalAAD: aad},
			map[int]any{1: -8, 4: kid}, aad},
		{"long content type", "a content type past the 23-byte short form", &Sign1Options{ContentType: "application/" + strings.Repeat("x", 120)},
			map[int]any{1: -8, 3: "application/" + strings.Repeat("x", 120), 4: kid}, nil},
		{"content type with parameters", "parameters follow a semicolon", &Sign1Options{ContentType: `application/cose; cose-type="cose-sign1"`},
			map[int]any{1: -8, 3: `application/cose; cose-type="cose-sign1"`, 4: kid}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign1(k, payload, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			tag, w := decodeWire(t, msg)
			if tag != 18 {
				t.Errorf("tag = %d, want 18", tag)
			}
			if diff := cmp.Diff(enc(t, tc.wantProt), w.Protected); diff != "" {
				t.Errorf("%s: protected header (-want +got):\n%s", tc.why, diff)
			}
			if len(w.Unprotected) != 0 {
				t.Errorf("unprotected header = %v, want empty", w.Unprotected)
			}
			if !bytes.Equal(w.Payload, payload) {
				t.Errorf("payload = %q", w.Payload)
			}
			aadBytes := tc.aad
			if aadBytes == nil {
				aadBytes = []byte{}
			}
			tbs := enc(t, []any{"Signature1", w.Protected, aadBytes, payload})
			if !ed25519.Verify(ed25519.PublicKey(k.Public().Bytes()), tbs, w.Signature) {
				t.Error("signature does not hold over the hand-built Sig_structure")
			}
			// The whole message is what the CBOR library writes for the same values.
			want := enc(t, cbor.Tag{Number: 18, Content: []any{w.Protected, map[int]any{}, payload, w.Signature}})
			if diff := cmp.Diff(want, msg); diff != "" {
				t.Errorf("message (-library +ours):\n%s", diff)
			}
		})
	}
}

// TestSign1_Deterministic: same inputs, same bytes; any change of input changes the signature.
func TestSign1_Deterministic(t *testing.T) {
	k := testKey(t, "a")
	a, err := Sign1(k, []byte("p"), &Sign1Options{ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Sign1(k, []byte("p"), &Sign1Options{ContentType: "text/plain"})
	if !bytes.Equal(a, b) {
		t.Error("two signatures of the same inputs differ")
	}
	c, err := Sign1(k, []byte("p"), &Sign1Options{ContentType: "text/plain", ExternalAAD: []byte{0}})
	if err != nil || bytes.Equal(a, c) {
		t.Error("external AAD did not change the signature")
	}
	// Nil and empty AAD and payload are the same.
	d, _ := Sign1(k, nil, &Sign1Options{ExternalAAD: nil})
	e, _ := Sign1(k, []byte{}, &Sign1Options{ExternalAAD: []byte{}})
	if !bytes.Equal(d, e) {
		t.Error("nil and empty inputs sign differently")
	}
}

// TestSign1_PayloadSizes crosses every CBOR length-head boundary, where the buffer layout of Sign1 and
// Verify1 changes, and round-trips each size.
func TestSign1_PayloadSizes(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	for _, n := range []int{0, 1, 23, 24, 255, 256, 65535, 65536, 100000} {
		payload := bytes.Repeat([]byte{byte(n)}, n)
		for _, aadLen := range []int{0, 24, 256} {
			aad := bytes.Repeat([]byte{1}, aadLen)
			msg, err := Sign1(k, payload, &Sign1Options{ExternalAAD: aad})
			if err != nil {
				t.Fatalf("n=%d aad=%d: %v", n, aadLen, err)
			}
			_, w := decodeWire(t, msg)
			tbs := enc(t, []any{"Signature1", w.Protected, aad, payload})
			if !ed25519.Verify(ed25519.PublicKey(k.Public().Bytes()), tbs, w.Signature) {
				t.Fatalf("n=%d aad=%d: signature does not hold over the hand-built Sig_structure", n, aadLen)
			}
			got, kid, err := kr.Verify1(msg, aad)
			if err != nil {
				t.Fatalf("n=%d aad=%d: Verify1: %v", n, aadLen, err)
			}
			if !bytes.Equal(got, payload) || !bytes.Equal(kid, k.Public().KeyID().Bytes()) {
				t.Fatalf("n=%d aad=%d: payload or kid differ", n, aadLen)
			}
		}
	}
}

func TestSign1_Bad(t *testing.T) {
	k := testKey(t, "a")
	for _, tc := range []struct {
		name, why string
		key       *PrivateKey
		payload   []byte
		opts      *Sign1Options
		want      error
	}{
		{"nil key", "a programmer error reported, not a panic", nil, nil, nil, errNilKey},
		{"zero key", "a declared PrivateKey{} would make crypto/ed25519 panic", &PrivateKey{}, nil, nil, errNilKey},
		{"ES256", "an Ed25519 key signs only EdDSA", k, nil, &Sign1Options{Algorithm: -7}, ErrAlgorithm},
		{"empty kid", "a kid is at least one byte", k, nil, &Sign1Options{KeyID: []byte{}}, nil},
		{"long kid", "kids are capped", k, nil, &Sign1Options{KeyID: make([]byte, MaxKeyIDLen+1)}, nil},
		{"bad UTF-8", "content type is a text string", k, nil, &Sign1Options{ContentType: "a/\xff"}, nil},
		{"no subtype", "RFC 9052: type/subtype", k, nil, &Sign1Options{ContentType: "text"}, nil},
		{"two slashes", "RFC 9052: type/subtype", k, nil, &Sign1Options{ContentType: "a/b/c"}, nil},
		{"leading space", "RFC 9052: no surrounding white space", k, nil, &Sign1Options{ContentType: " a/b"}, nil},
		{"control character", "printable ASCII only", k, nil, &Sign1Options{ContentType: "a/b\n"}, nil},
		{"bad name", "RFC 6838 restricted-name starts with a letter or digit", k, nil, &Sign1Options{ContentType: "-a/b"}, nil},
		{"slash in parameters", "go-cose and RFC 9052 want one slash", k, nil, &Sign1Options{ContentType: "a/b; x=c/d"}, nil},
		{"oversized", "a message no verifier would read", k, make([]byte, MaxMessageSize), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign1(tc.key, tc.payload, tc.opts)
			if err == nil || msg != nil {
				t.Fatalf("%s: Sign1 = %d bytes, %v; want an error", tc.why, len(msg), err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.why, err, tc.want)
			}
		})
	}
}

// TestSign1_ReturnedSliceIsSafe: appending to a returned message does not write into anything shared.
func TestSign1_ReturnedSliceIsSafe(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	msg, _ := Sign1(k, []byte("payload"), nil)
	payload, kid, err := kr.Verify1(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	kidCopy := append([]byte(nil), kid...)
	_ = append(kid, 0xee) // must not overwrite the Sig_structure buffer behind it
	if !bytes.Equal(payload, []byte("payload")) || !bytes.Equal(kid, kidCopy) {
		t.Error("appending to kid changed payload or kid")
	}
	payload[0] = 'P'
	if _, _, err := kr.Verify1(msg, nil); err != nil {
		t.Errorf("changing the returned payload changed the message: %v", err)
	}
}
