package license

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/veraison/go-cose"

	"github.com/lmskit/lmskit/internal/cborx"
)

// go-cose (github.com/veraison/go-cose, a test-only dependency) is an independent COSE
// implementation: it must verify a license file lmskit signs, and a file it signs with the
// envelope FORMAT.md describes must open in lmskit.

func TestInterop_GoCOSEVerifiesALicense(t *testing.T) {
	signed := mustSign(t, fullFile(t))
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, ed25519.PublicKey(testKey.Public().Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var m cose.Sign1Message
	if err := m.UnmarshalCBOR(signed); err != nil {
		t.Fatalf("go-cose cannot decode a license file: %v", err)
	}
	if err := m.Verify(nil, verifier); err != nil {
		t.Fatalf("go-cose does not verify a license file: %v", err)
	}
	if ct := m.Headers.Protected[cose.HeaderLabelContentType]; ct != ContentType {
		t.Errorf("content type %v", ct)
	}
	// And a general CBOR library, in strict mode, reads the payload.
	var v map[uint64]any
	if err := cborx.MustDecMode(cborx.Limits{}).Unmarshal(m.Payload, &v); err != nil {
		t.Fatalf("strict CBOR decode of the payload: %v", err)
	}
	if v[keyVersion] != uint64(1) || v[keySerial] != "LMS-2026-000042" {
		t.Errorf("payload read elsewhere: version %v serial %v", v[keyVersion], v[keySerial])
	}
}

func TestInterop_GoCOSESignedLicenseOpens(t *testing.T) {
	payload, err := fullFile(t).MarshalPayload()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, ed25519.NewKeyFromSeed(testKey.Seed()))
	if err != nil {
		t.Fatal(err)
	}
	m := cose.NewSign1Message()
	m.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	m.Headers.Protected[cose.HeaderLabelContentType] = ContentType
	m.Headers.Protected[cose.HeaderLabelKeyID] = testKey.Public().KeyID().Bytes()
	m.Payload = payload
	if err := m.Sign(rand.Reader, nil, signer); err != nil {
		t.Fatal(err)
	}
	msg, err := m.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(msg, testKeyring(t))
	if err != nil {
		t.Fatalf("a go-cose signed license does not open: %v", err)
	}
	if f.Serial != "LMS-2026-000042" {
		t.Errorf("serial %q", f.Serial)
	}
	// Ed25519 is deterministic and both encode the same headers canonically: the same bytes,
	// so the same activation code.
	if !bytes.Equal(msg, mustSign(t, fullFile(t))) {
		t.Errorf("go-cose wrote other bytes for the same file:\n them %x\n ours %x", msg, mustSign(t, fullFile(t)))
	}
}
