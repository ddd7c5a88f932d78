package signing

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/veraison/go-cose"
)

// go-cose (github.com/veraison/go-cose, a test-only dependency) is the independent COSE implementation
// that checks interoperability both ways.

// TestInterop_GoCOSEVerifiesOurs: go-cose verifies what Sign1 writes, with every option, and reads
// back the same headers.
func TestInterop_GoCOSEVerifiesOurs(t *testing.T) {
	k := testKey(t, "a")
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, ed25519.PublicKey(k.Public().Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts *Sign1Options
	}{
		{"defaults", nil},
		{"content type and aad", &Sign1Options{ContentType: "application/vnd.lmskit.license+cbor", ExternalAAD: []byte("aad")}},
		{"explicit kid", &Sign1Options{KeyID: []byte("11")}},
		{"empty payload", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := []byte("payload for " + tc.name)
			if tc.name == "empty payload" {
				payload = nil
			}
			msg, err := Sign1(k, payload, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var m cose.Sign1Message
			if err := m.UnmarshalCBOR(msg); err != nil {
				t.Fatalf("go-cose cannot decode our message: %v", err)
			}
			var aad []byte
			wantKID := k.Public().KeyID().Bytes()
			if tc.opts != nil {
				aad = tc.opts.ExternalAAD
				if tc.opts.KeyID != nil {
					wantKID = tc.opts.KeyID
				}
			}
			if err := m.Verify(aad, verifier); err != nil {
				t.Fatalf("go-cose does not verify our message: %v", err)
			}
			if !bytes.Equal(m.Payload, payload) {
				t.Errorf("go-cose payload = %q", m.Payload)
			}
			alg, err := m.Headers.Protected.Algorithm()
			if err != nil || alg != cose.AlgorithmEdDSA {
				t.Errorf("go-cose alg = %v, %v", alg, err)
			}
			if got, _ := m.Headers.Protected[cose.HeaderLabelKeyID].([]byte); !bytes.Equal(got, wantKID) {
				t.Errorf("go-cose kid = %x, want %x", got, wantKID)
			}
			if tc.opts != nil && tc.opts.ContentType != "" {
				if got := m.Headers.Protected[cose.HeaderLabelContentType]; got != tc.opts.ContentType {
					t.Errorf("go-cose content type = %v", got)
				}
			}
			// Re-encoding by go-cose reproduces our bytes: nothing in them is non-canonical.
			again, err := m.MarshalCBOR()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, msg) {
				t.Errorf("go-cose re-encoding differs:\n ours %x\n them %x", msg, again)
			}
			// A tampered payload fails in go-cose too.
			m.Payload = append([]byte("x"), m.Payload...)
			if err := m.Verify(aad, verifier); err == nil {
				t.Error("go-cose verified a tampered message")
			}
		})
	}
}

// TestInterop_WeVerifyGoCOSE: Verify1 verifies what go-cose signs, tagged and untagged, kid in either
// bucket, with content types and external AAD, and refuses it when tampered.
func TestInterop_WeVerifyGoCOSE(t *testing.T) {
	k := testKey(t, "a")
	kid := k.Public().KeyID().Bytes()
	kr := trust(t, k)
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, ed25519.NewKeyFromSeed(k.Seed()))
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("signed by go-cose")
	for _, tc := range []struct {
		name    string
		headers cose.Headers
		aad     []byte
		untag   bool
	}{
		{"kid protected", cose.Headers{Protected: cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid}}, nil, false},
		{"kid unprotected", cose.Headers{
			Protected:   cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA},
			Unprotected: cose.UnprotectedHeader{cose.HeaderLabelKeyID: kid}}, nil, false},
		{"content type and aad", cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid,
			cose.HeaderLabelContentType: "application/cbor"}}, []byte("aad"), false},
		{"numeric content type", cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid,
			cose.HeaderLabelContentType: 60}}, nil, false},
		{"untagged", cose.Headers{Protected: cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid}}, nil, true},
		{"crit kid", cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA, cose.HeaderLabelKeyID: kid,
			cose.HeaderLabelCritical: []any{cose.HeaderLabelKeyID}}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msg []byte
			if tc.untag {
				msg, err = cose.Sign1Untagged(nil, signer, tc.headers, payload, tc.aad)
			} else {
				msg, err = cose.Sign1(nil, signer, tc.headers, payload, tc.aad)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, gotKID, err := kr.Verify1(msg, tc.aad)
			if err != nil {
				t.Fatalf("Verify1 refuses go-cose's message: %v\n%x", err, msg)
			}
			if !bytes.Equal(got, payload) || !bytes.Equal(gotKID, kid) {
				t.Errorf("payload %q kid %x", got, gotKID)
			}
			bad := append([]byte(nil), msg...)
			bad[len(bad)-64-2-1] ^= 1 // last payload byte, before the signature head 58 40
			if _, _, err := kr.Verify1(bad, tc.aad); !errors.Is(err, ErrSignature) {
				t.Errorf("tampered go-cose message: err = %v, want ErrSignature", err)
			}
		})
	}
}
