package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
)

// TestVerify1_HandBuilt: messages assembled here by RFC 9052's rules with the CBOR library (not by
// Sign1) verify, across the choices a conforming signer elsewhere may make.
func TestVerify1_HandBuilt(t *testing.T) {
	k := testKey(t, "a")
	kid := k.Public().KeyID().Bytes()
	kr := trust(t, k)
	payload := []byte("license payload")
	emptyMap := []byte{0xa0}
	for _, tc := range []struct {
		name, why   string
		tagged      bool
		protected   []byte
		unprotected []byte
		aad         []byte
		wantCT      string
		wantCF      int
		wantAlg     Algorithm
	}{
		{"kid protected, tagged", "what Sign1 writes", true,
			enc(t, map[int]any{1: -8, 4: kid}), emptyMap, nil, "", -1, AlgEdDSA},
		{"kid unprotected, untagged", "kid may be in either bucket; the tag is optional", false,
			enc(t, map[int]any{1: -8}), enc(t, map[int]any{4: kid}), nil, "", -1, AlgEdDSA},
		{"alg -19", "RFC 9864's fully specified Ed25519", true,
			enc(t, map[int]any{1: -19, 4: kid}), emptyMap, nil, "", -1, AlgEd25519},
		{"numeric content type", "CoAP Content-Format 60 (application/cbor)", true,
			enc(t, map[int]any{1: -8, 3: 60, 4: kid}), emptyMap, nil, "", 60, AlgEdDSA},
		{"text content type in unprotected", "content type may be unprotected", true,
			enc(t, map[int]any{1: -8, 4: kid}), enc(t, map[int]any{3: "application/cbor"}), nil, "application/cbor", -1, AlgEdDSA},
		{"unknown headers", "labels not understood and not critical are ignored", true,
			enc(t, map[any]any{1: -8, 4: kid, 99: "x", "ext": []any{1, map[int]any{2: 3}}}),
			enc(t, map[any]any{-70000: cbor.Tag{Number: 1, Content: 1700000000}, "note": "hi", 33: []byte{1}}), nil, "", -1, AlgEdDSA},
		{"crit lists known labels", "crit may name labels we process", true,
			enc(t, map[int]any{1: -8, 2: []any{3, 4}, 3: "t", 4: kid}), emptyMap, nil, "t", -1, AlgEdDSA},
		{"non-canonical protected", "alg -8 with a one-byte argument, keys out of order: verified as received",
			true, []byte{0xa2, 0x04, 0x50, kid[0], kid[1], kid[2], kid[3], kid[4], kid[5], kid[6], kid[7], kid[8], kid[9], kid[10], kid[11], kid[12], kid[13], kid[14], kid[15], 0x01, 0x38, 0x07},
			emptyMap, nil, "", -1, AlgEdDSA},
		{"external aad", "AAD bound by both sides", true,
			enc(t, map[int]any{1: -8, 4: kid}), emptyMap, []byte("host HWKC"), "", -1, AlgEdDSA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := handMessage(t, k, tc.tagged, tc.protected, tc.unprotected, payload, tc.aad)
			got, gotKID, err := kr.Verify1(msg, tc.aad)
			if err != nil {
				t.Fatalf("%s: Verify1: %v", tc.why, err)
			}
			if !bytes.Equal(got, payload) || !bytes.Equal(gotKID, kid) {
				t.Errorf("payload %q kid %x", got, gotKID)
			}
			v, err := kr.Verify(msg, &VerifyOptions{ExternalAAD: tc.aad})
			if err != nil {
				t.Fatal(err)
			}
			type summary struct {
				CT  string
				CF  int
				Alg Algorithm
				Key PublicKey
			}
			want := summary{tc.wantCT, tc.wantCF, tc.wantAlg, k.Public()}
			if diff := cmp.Diff(want, summary{v.ContentType, v.ContentFormat, v.Algorithm, v.Key}, cmp.Comparer(PublicKey.Equal)); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
			if tc.aad != nil {
				if _, _, err := kr.Verify1(msg, nil); !errors.Is(err, ErrSignature) {
					t.Errorf("without the AAD: err = %v, want ErrSignature", err)
				}
			}
		})
	}
}

// TestVerify1_Refused: bad input of every kind the issue names gets a clear error wrapping the right
// sentinel, and no payload. Messages are properly signed where the structure allows, so the refusal
// is for the stated reason and not merely a bad signature.
func TestVerify1_Refused(t *testing.T) {
	k := testKey(t, "a")
	kid := k.Public().KeyID().Bytes()
	kr := trust(t, k)
	payload := []byte("license payload")
	prot := enc(t, map[int]any{1: -8, 4: kid})
	empty := []byte{0xa0}
	good := handMessage(t, k, true, prot, empty, payload, nil)
	sig := good[len(good)-64:]
	body := func(elems ...any) []byte { return enc(t, cbor.Tag{Number: 18, Content: elems}) }
	hand := func(p, u []byte) []byte { return handMessage(t, k, true, p, u, payload, nil) }

	for _, tc := range []struct {
		name, why string
		msg       []byte
		want      error
	}{
		{"empty", "no bytes", nil, ErrMalformed},
		{"truncated", "cut inside the signature", good[:len(good)-1], ErrMalformed},
		{"trailing byte", "one item only", append(append([]byte(nil), good...), 0x00), ErrMalformed},
		{"oversized", "size cap before parsing", append(append([]byte(nil), good...), make([]byte, MaxMessageSize)...), ErrMalformed},
		{"not an array", "a map where the array belongs", enc(t, cbor.Tag{Number: 18, Content: map[int]int{1: 2}}), ErrMalformed},
		{"three elements", "missing signature", body(prot, cbor.RawMessage(empty), payload), ErrMalformed},
		{"five elements", "extra array element", body(prot, cbor.RawMessage(empty), payload, sig, 0), ErrMalformed},
		{"wrong tag", "tag 17 is COSE_Mac0", enc(t, cbor.Tag{Number: 17, Content: []any{prot, cbor.RawMessage(empty), payload, sig}}), ErrMalformed},
		{"tag 98", "COSE_Sign is another structure", enc(t, cbor.Tag{Number: 98, Content: []any{prot, cbor.RawMessage(empty), payload, sig}}), ErrMalformed},
		{"double tag", "18(18(...))", append([]byte{0xd2}, good...), ErrMalformed},
		{"indefinite array", "indefinite lengths are forbidden", append(append([]byte{0xd2, 0x9f}, good[2:]...), 0xff), ErrMalformed},
		{"indefinite payload", "indefinite byte string", concat([]byte{0xd2, 0x84}, enc(t, prot), empty, []byte{0x5f, 0x41, 'x', 0xff, 0x58, 0x40}, sig), ErrMalformed},
		{"protected is a map", "protected must be a byte string", body(map[int]int{1: -8}, cbor.RawMessage(empty), payload, sig), ErrMalformed},
		{"protected holds an int", "the serialized protected header must be a map", hand([]byte{0x01}, empty), ErrMalformed},
		{"protected trailing bytes", "two items in the protected bstr", hand(append(append([]byte(nil), prot...), 0x00), empty), ErrMalformed},
		{"protected indefinite map", "indefinite lengths in the protected header", hand(append(append([]byte{0xbf}, prot[1:]...), 0xff), empty), ErrMalformed},
		{"unprotected is an array", "unprotected must be a map", body(prot, []int{}, payload, sig), ErrMalformed},
		{"payload is text", "wrong major type", body(prot, cbor.RawMessage(empty), "text", sig), ErrMalformed},
		{"detached payload", "nil payload is not supported", body(prot, cbor.RawMessage(empty), nil, sig), ErrMalformed},
		{"signature is an int", "wrong major type", body(prot, cbor.RawMessage(empty), payload, 5), ErrMalformed},
		{"duplicate protected label", "alg twice in one bucket", hand([]byte{0xa3, 0x01, 0x27, 0x01, 0x27, 0x04, 0x41, 0x00}, empty), ErrMalformed},
		{"duplicate label, two widths", "alg twice, once with a one-byte argument", hand([]byte{0xa3, 0x01, 0x27, 0x18, 0x01, 0x27, 0x04, 0x41, 0x00}, empty), ErrMalformed},
		{"duplicate unprotected label", "kid twice in one bucket", hand(enc(t, map[int]any{1: -8}), []byte{0xa2, 0x04, 0x41, 0x01, 0x04, 0x41, 0x02}), ErrMalformed},
		{"duplicate text label", "the same text label twice", hand(prot, []byte{0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}), ErrMalformed},
		{"label in both buckets", "kid protected and unprotected", hand(prot, enc(t, map[int]any{4: kid})), ErrMalformed},
		{"label is a byte string", "labels are integers or text", hand(prot, []byte{0xa1, 0x41, 0x01, 0x01}), ErrMalformed},
		{"label is bad UTF-8", "text labels must be valid UTF-8", hand(prot, []byte{0xa1, 0x61, 0xff, 0x01}), ErrMalformed},
		{"header value bad UTF-8", "text anywhere in a header must be valid UTF-8", hand(prot, []byte{0xa1, 0x18, 0x63, 0x61, 0xff}), ErrMalformed},
		{"kid is text", "kid must be a byte string", hand(enc(t, map[int]any{1: -8, 4: "kid"}), empty), ErrMalformed},
		{"alg is a byte string", "alg must be an integer or text", hand(enc(t, map[int]any{1: []byte{0xf8}, 4: kid}), empty), ErrMalformed},
		{"content type negative", "content type must be uint or text", hand(enc(t, map[int]any{1: -8, 3: -1, 4: kid}), empty), ErrMalformed},
		{"content type too big", "CoAP content formats are 16-bit", hand(enc(t, map[int]any{1: -8, 3: 70000, 4: kid}), empty), ErrMalformed},
		{"crit unknown label", "a critical header we do not understand", hand(enc(t, map[int]any{1: -8, 2: []any{99}, 4: kid, 99: 1}), empty), ErrMalformed},
		{"crit unknown text label", "a critical text header we do not understand", hand(enc(t, map[any]any{1: -8, 2: []any{"x"}, 4: kid, "x": 1}), empty), ErrMalformed},
		{"crit absent label", "crit names a label not in the protected header", hand(enc(t, map[int]any{1: -8, 2: []any{3}, 4: kid}), empty), ErrMalformed},
		{"crit empty", "crit must list at least one label", hand(enc(t, map[int]any{1: -8, 2: []any{}, 4: kid}), empty), ErrMalformed},
		{"crit not an array", "crit is an array of labels", hand(enc(t, map[int]any{1: -8, 2: 4, 4: kid}), empty), ErrMalformed},
		{"crit unprotected", "crit must be protected", hand(prot, enc(t, map[int]any{2: []any{4}})), ErrMalformed},
		{"no kid", "the key is found by kid only", hand(enc(t, map[int]any{1: -8}), empty), ErrUnknownKey},
		{"unknown kid", "a kid the keyring does not hold", hand(enc(t, map[int]any{1: -8, 4: []byte("other")}), empty), ErrUnknownKey},
		{"no alg", "the protected header must name the algorithm", hand(enc(t, map[int]any{4: kid}), empty), ErrAlgorithm},
		{"empty protected", "a zero-length protected header is an empty map: no alg", hand([]byte{}, enc(t, map[int]any{1: -8, 4: kid})), ErrAlgorithm},
		{"alg unprotected", "alg must be protected", hand(enc(t, map[int]any{4: kid}), enc(t, map[int]any{1: -8})), ErrAlgorithm},
		{"alg ES256", "the trusted key is Ed25519", hand(enc(t, map[int]any{1: -7, 4: kid}), empty), ErrAlgorithm},
		{"alg text", "\"EdDSA\" as text is not the registered id", hand(enc(t, map[any]any{1: "EdDSA", 4: kid}), empty), ErrAlgorithm},
		{"alg huge", "an integer beyond int64", hand([]byte{0xa2, 0x01, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x04, 0x50, kid[0], kid[1], kid[2], kid[3], kid[4], kid[5], kid[6], kid[7], kid[8], kid[9], kid[10], kid[11], kid[12], kid[13], kid[14], kid[15]}, empty), ErrAlgorithm},
		{"empty signature", "no signature bytes", body(prot, cbor.RawMessage(empty), payload, []byte{}), ErrSignature},
		{"short signature", "63 bytes", body(prot, cbor.RawMessage(empty), payload, sig[:63]), ErrSignature},
		{"long signature", "65 bytes", body(prot, cbor.RawMessage(empty), payload, append(append([]byte(nil), sig...), 0)), ErrSignature},
		{"zero signature", "64 zero bytes", body(prot, cbor.RawMessage(empty), payload, make([]byte, 64)), ErrSignature},
		{"other key", "signed by a key not trusted under this kid", handMessage(t, testKey(t, "b"), true, prot, empty, payload, nil), ErrSignature},
		{"aad mismatch", "signed with AAD, verified without", handMessage(t, k, true, prot, empty, payload, []byte("x")), ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, kid, err := kr.Verify1(tc.msg, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s: err = %v, want %v", tc.why, err, tc.want)
			}
			if s := sentinelOf(err); s != tc.want {
				t.Errorf("%s: error wraps %v, want only %v", tc.why, s, tc.want)
			}
			if payload != nil || kid != nil {
				t.Errorf("%s: payload or kid returned with an error", tc.why)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
}

// TestVerify1_EveryPrefixRefused: each proper prefix of a good message is an error, never a panic.
func TestVerify1_EveryPrefixRefused(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	msg, err := Sign1(k, []byte("payload"), &Sign1Options{ContentType: "application/cbor"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(msg); i++ {
		if p, _, err := kr.Verify1(msg[:i], nil); err == nil || p != nil {
			t.Fatalf("prefix of %d bytes: payload %q, err %v", i, p, err)
		}
	}
}

// TestVerify1_EveryBitFlipRefused: no single bit of a signed message can change without refusal.
func TestVerify1_EveryBitFlipRefused(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	msg, err := Sign1(k, []byte("pay"), &Sign1Options{ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		for bit := 0; bit < 8; bit++ {
			m := append([]byte(nil), msg...)
			m[i] ^= 1 << bit
			if p, _, err := kr.Verify1(m, nil); err == nil {
				t.Fatalf("flip of bit %d of byte %d verified: payload %q", bit, i, p)
			}
		}
	}
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestVerify1_ErrorOffsets: an error inside the protected header names the offset in the whole
// message, not in the protected byte string.
func TestVerify1_ErrorOffsets(t *testing.T) {
	k := testKey(t, "a")
	// Protected {1: -8, h'00': 1}: the byte-string label is at offset 3 of the protected bytes, which
	// start at offset 3 of the message (d2 84 45 | a2 01 27 41 00 01).
	prot := []byte{0xa2, 0x01, 0x27, 0x41, 0x00, 0x01}
	msg := handMessage(t, k, true, prot, []byte{0xa0}, []byte("p"), nil)
	if !bytes.Equal(msg[:3], []byte{0xd2, 0x84, 0x46}) {
		t.Fatalf("unexpected prefix % x", msg[:3])
	}
	_, _, err := trust(t, k).Verify1(msg, nil)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if want := "protected header label at offset 6 is a byte string"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
}
