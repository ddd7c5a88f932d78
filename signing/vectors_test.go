package signing

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wgKeyring trusts the RFC 8032 TEST 1 key under kid "11", as the COSE WG examples do.
func wgKeyring(t *testing.T) (*Keyring, *PrivateKey) {
	t.Helper()
	v, _ := loadCOSEVector(t, "eddsa-examples/eddsa-sig-01.json")
	k, err := NewKeyFromSeed(mustHex(t, v.Input.Sign0.Key.DHex))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", k.Public().Bytes()); got != v.Input.Sign0.Key.XHex {
		t.Fatalf("vector key x = %s, derived %s", v.Input.Sign0.Key.XHex, got)
	}
	kr := NewKeyring()
	if err := kr.Add([]byte(v.Input.Sign0.Key.KID), k.Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	return kr, k
}

// TestCOSEWG_EdDSASig01: the COSE working group's Ed25519 example (kid in the unprotected bucket, a
// numeric content type in the protected one) verifies, and its Sig_structure is the one we build.
func TestCOSEWG_EdDSASig01(t *testing.T) {
	v, msg := loadCOSEVector(t, "eddsa-examples/eddsa-sig-01.json")
	kr, _ := wgKeyring(t)
	payload, kid, err := kr.Verify1(msg, nil)
	if err != nil {
		t.Fatalf("Verify1: %v", err)
	}
	if diff := cmp.Diff(v.Input.Plaintext, string(payload)); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("11", string(kid)); diff != "" {
		t.Errorf("kid (-want +got):\n%s", diff)
	}
	got, err := kr.Verify(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentFormat != 0 || got.ContentType != "" || got.Algorithm != AlgEdDSA {
		t.Errorf("Verify: content format %d, type %q, alg %v; want 0, \"\", EdDSA", got.ContentFormat, got.ContentType, got.Algorithm)
	}
	var m sign1
	if err := parseSign1(msg, &m); err != nil {
		t.Fatal(err)
	}
	tbs := appendSigStructurePrefix(nil, m.protected, nil, len(m.payload))
	tbs = append(tbs, m.payload...)
	if diff := cmp.Diff(v.Intermediates.ToBeSignHex, fmt.Sprintf("%X", tbs)); diff != "" {
		t.Errorf("Sig_structure (-vector +ours):\n%s", diff)
	}
	// The same message signed again here, with the vector's headers, is byte-for-byte the vector:
	// Ed25519 is deterministic and our hand-built message follows the same rules.
	_, k := wgKeyring(t)
	again := handMessage(t, k, true, m.protected, []byte{0xa1, 0x04, 0x42, '1', '1'}, m.payload, nil)
	if !bytes.Equal(again, msg) {
		t.Errorf("re-signed vector differs:\n got %X\nwant %X", again, msg)
	}
}

// TestCOSEWG_EdDSASig02: the Ed448 example is refused cleanly, whether or not a key is filed under
// its kid.
func TestCOSEWG_EdDSASig02(t *testing.T) {
	_, msg := loadCOSEVector(t, "eddsa-examples/eddsa-sig-02.json")
	if _, _, err := NewKeyring().Verify1(msg, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("empty keyring: err = %v, want ErrUnknownKey", err)
	}
	kr := NewKeyring()
	if err := kr.Add([]byte("ed448"), testKey(t, "a").Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kr.Verify1(msg, nil); !errors.Is(err, ErrSignature) {
		t.Errorf("Ed25519 key under the kid: err = %v, want ErrSignature (a 114-byte Ed448 signature)", err)
	}
}

// TestCOSEWG_Sign1Tests: the WG's ES256 sign1 cases are all refused, each for its own reason, with the
// Ed25519 key trusted under their kid "11" (so the refusal is not merely "unknown key").
func TestCOSEWG_Sign1Tests(t *testing.T) {
	kr, _ := wgKeyring(t)
	for _, tc := range []struct {
		file, why string
		want      error
	}{
		{"sign-fail-01.json", "tag 998 instead of 18", ErrMalformed},
		{"sign-fail-02.json", "payload altered; alg ES256 is not the trusted key's", ErrAlgorithm},
		{"sign-fail-03.json", "alg changed to -999", ErrAlgorithm},
		{"sign-fail-04.json", "alg changed to the text \"unknown\"", ErrAlgorithm},
		{"sign-fail-06.json", "protected attribute added; alg ES256", ErrAlgorithm},
		{"sign-fail-07.json", "protected attribute removed; alg ES256", ErrAlgorithm},
		{"sign-pass-01.json", "alg only in the unprotected bucket (protected is an empty map)", ErrAlgorithm},
		{"sign-pass-02.json", "valid ES256 with external AAD: not an Ed25519 algorithm", ErrAlgorithm},
		{"sign-pass-03.json", "valid untagged ES256: not an Ed25519 algorithm", ErrAlgorithm},
	} {
		t.Run(tc.file, func(t *testing.T) {
			v, msg := loadCOSEVector(t, filepath.Join("sign1-tests", tc.file))
			payload, kid, err := kr.Verify1(msg, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s (%s): err = %v, want %v", v.Title, tc.why, err, tc.want)
			}
			if payload != nil || kid != nil {
				t.Errorf("%s: returned payload or kid with an error", v.Title)
			}
		})
	}
}

// TestCOSEWG_AlteredEd25519: the WG's alterations (tag, payload, alg, protected header) applied to the
// Ed25519 example itself, where the algorithm is right, so each is refused by the check it targets.
func TestCOSEWG_AlteredEd25519(t *testing.T) {
	_, msg := loadCOSEVector(t, "eddsa-examples/eddsa-sig-01.json")
	kr, _ := wgKeyring(t)
	// msg: D2 84 45 A2 01 27 03 00 A1 04 42 31 31 54 <20-byte payload> 58 40 <sig>
	alter := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), msg...)) }
	for _, tc := range []struct {
		name, why string
		msg       []byte
		want      error
	}{
		{"tag 998", "sign-fail-01's change", alter(func(b []byte) []byte {
			return append([]byte{0xd9, 0x03, 0xe6}, b[1:]...)
		}), ErrMalformed},
		{"payload altered", "sign-fail-02's change: last payload byte", alter(func(b []byte) []byte {
			b[14+19] ^= 0x01
			return b
		}), ErrSignature},
		{"alg changed to ES256", "sign-fail-03's kind of change: alg -8 -> -7", alter(func(b []byte) []byte {
			b[5] = 0x26
			return b
		}), ErrAlgorithm},
		{"alg changed to -19", "an accepted alg id, but not the one signed", alter(func(b []byte) []byte {
			b[5] = 0x32 // -19
			return b
		}), ErrSignature},
		{"content type removed", "sign-fail-07's change: protected attribute removed", alter(func(b []byte) []byte {
			return append([]byte{0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27}, b[8:]...)
		}), ErrSignature},
		{"attribute added", "sign-fail-06's change: protected attribute added", alter(func(b []byte) []byte {
			return append([]byte{0xd2, 0x84, 0x47, 0xa3, 0x01, 0x27, 0x03, 0x00, 0x07, 0x00}, b[8:]...)
		}), ErrSignature},
		{"untagged", "the same message without its tag still verifies", msg[1:], nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := kr.Verify1(tc.msg, nil)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("%s: err = %v, want %v", tc.why, err, tc.want)
			}
		})
	}
}
