package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRFC8032Vectors checks key derivation and raw signing against RFC 8032 section 7.1, and pins each
// key's KeyID to a value computed outside Go.
func TestRFC8032Vectors(t *testing.T) {
	for _, v := range loadRFC8032(t) {
		t.Run(v.Name, func(t *testing.T) {
			k, err := NewKeyFromSeed(mustHex(t, v.SecretKey))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(v.PublicKey, fmt.Sprintf("%x", k.Public().Bytes())); diff != "" {
				t.Errorf("public key (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(v.SecretKey, fmt.Sprintf("%x", k.Seed())); diff != "" {
				t.Errorf("seed (-want +got):\n%s", diff)
			}
			sig := ed25519.Sign(k.priv, mustHex(t, v.Message))
			if diff := cmp.Diff(v.Signature, fmt.Sprintf("%x", sig)); diff != "" {
				t.Errorf("signature (-want +got):\n%s", diff)
			}
			pub, err := PublicKeyFromBytes(mustHex(t, v.PublicKey))
			if err != nil {
				t.Fatal(err)
			}
			if pub != k.Public() {
				t.Errorf("PublicKeyFromBytes = %v, want %v", pub, k.Public())
			}
			if diff := cmp.Diff(v.KeyID, pub.KeyID().String()); diff != "" {
				t.Errorf("KeyID (-want +got):\n%s", diff)
			}
			// A COSE message from the vector key verifies, and fails with the vector's signature
			// (which signs the bare message, not a Sig_structure).
			msg, err := Sign1(k, mustHex(t, v.Message), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := trust(t, k).Verify1(msg, nil); err != nil {
				t.Errorf("Verify1: %v", err)
			}
		})
	}
}

func TestPublicKeyFromBytes_Lengths(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		in        []byte
	}{
		{"nil", "no key at all", nil},
		{"31 bytes", "one short: crypto/ed25519 would panic on it", make([]byte, 31)},
		{"33 bytes", "one long", make([]byte, 33)},
		{"64 bytes", "a whole private key passed by mistake", make([]byte, 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PublicKeyFromBytes(tc.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: err = %v, want ErrMalformed", tc.why, err)
			}
			if p.IsValid() {
				t.Errorf("%s: returned a valid key with an error", tc.why)
			}
		})
	}
}

func TestPublicKey_ZeroValue(t *testing.T) {
	var p PublicKey
	if p.IsValid() || p.Bytes() != nil || p.KeyID().IsValid() || p.MarshalPEM() != nil {
		t.Errorf("zero PublicKey: IsValid %v, Bytes %x, KeyID %v, PEM %q", p.IsValid(), p.Bytes(), p.KeyID(), p.MarshalPEM())
	}
	if got := p.String(); got != "signing.PublicKey(invalid)" {
		t.Errorf("String = %q", got)
	}
}

func TestPublicKey_BytesIsACopy(t *testing.T) {
	k := testKey(t, "a")
	b := k.Public().Bytes()
	b[0] ^= 0xff
	if bytes.Equal(b, k.Public().Bytes()) {
		t.Error("changing the slice Bytes returned changed the key")
	}
}

func TestNewKeyFromSeed_Lengths(t *testing.T) {
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := NewKeyFromSeed(make([]byte, n)); !errors.Is(err, ErrMalformed) {
			t.Errorf("seed of %d bytes: err = %v, want ErrMalformed", n, err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy source failed") }

func TestGenerateKey(t *testing.T) {
	k1, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Public() == k2.Public() {
		t.Error("two generated keys are equal")
	}
	// A fixed reader gives the key of the seed it yields.
	seed := bytes.Repeat([]byte{7}, SeedSize)
	k3, err := GenerateKey(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	k4, _ := NewKeyFromSeed(seed)
	if k3.Public() != k4.Public() {
		t.Error("GenerateKey from a fixed reader differs from NewKeyFromSeed of the same seed")
	}
	if _, err := GenerateKey(failingReader{}); err == nil || !strings.Contains(err.Error(), "entropy source failed") {
		t.Errorf("failing reader: err = %v", err)
	}
}

// TestPrivateKey_NoSecretInFormatting: printing a key in any fmt verb shows its id, never the seed.
func TestPrivateKey_NoSecretInFormatting(t *testing.T) {
	k := testKey(t, "a")
	seedHex := fmt.Sprintf("%x", k.Seed())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(verb, k)
		if strings.Contains(got, seedHex) || strings.Contains(got, seedHex[:16]) || strings.Contains(got, fmt.Sprint(k.Seed()[:4])) {
			t.Errorf("%s prints secret material: %s", verb, got)
		}
		if !strings.Contains(got, k.Public().KeyID().String()) {
			t.Errorf("%s = %q, want the key id", verb, got)
		}
	}
	var nilKey *PrivateKey
	if got := nilKey.String(); got != "signing.PrivateKey(nil)" {
		t.Errorf("nil key String = %q", got)
	}
}

// TestKeyID_Thumbprint: the KeyID is the RFC 9679 thumbprint recomputed with the CBOR library's core
// deterministic encoder, truncated to 16 bytes.
func TestKeyID_Thumbprint(t *testing.T) {
	for _, label := range []string{"a", "b", "c"} {
		k := testKey(t, label)
		coseKey := map[int]any{1: 1, -1: 6, -2: k.Public().Bytes()}
		sum := sha256.Sum256(enc(t, coseKey))
		if diff := cmp.Diff(sum[:KeyIDSize], k.Public().KeyID().Bytes()); diff != "" {
			t.Errorf("key %s: KeyID (-want +got):\n%s", label, diff)
		}
	}
}

func TestKeyID_TextRoundTrip(t *testing.T) {
	id := testKey(t, "a").Public().KeyID()
	s := id.String()
	if len(s) != 32 || strings.ToLower(s) != s {
		t.Fatalf("String = %q, want 32 lower-case hex digits", s)
	}
	for _, in := range []string{s, strings.ToUpper(s)} {
		got, err := ParseKeyID(in)
		if err != nil {
			t.Fatalf("ParseKeyID(%q): %v", in, err)
		}
		if got != id {
			t.Errorf("ParseKeyID(%q) = %v, want %v", in, got, id)
		}
	}
	text, err := id.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var back KeyID
	if err := back.UnmarshalText(text); err != nil || back != id {
		t.Errorf("UnmarshalText(MarshalText) = %v, %v; want %v", back, err, id)
	}
	fromBytes, err := KeyIDFromBytes(id.Bytes())
	if err != nil || fromBytes != id {
		t.Errorf("KeyIDFromBytes(Bytes) = %v, %v", fromBytes, err)
	}
	if MustParseKeyID(s) != id {
		t.Error("MustParseKeyID differs from ParseKeyID")
	}
}

func TestKeyID_ZeroValue(t *testing.T) {
	var id KeyID
	if id.IsValid() || !id.IsZero() || id.String() != "" || id.Bytes() != nil {
		t.Errorf("zero KeyID: valid %v, zero %v, %q, %x", id.IsValid(), id.IsZero(), id.String(), id.Bytes())
	}
	text, _ := id.MarshalText()
	if len(text) != 0 {
		t.Errorf("zero KeyID marshals to %q", text)
	}
	back := MustParseKeyID("866eefbd6718c8846cd7ddfe43fc74ab")
	if err := back.UnmarshalText(nil); err != nil || back.IsValid() {
		t.Errorf("UnmarshalText(empty) = %v, %v; want the zero value", back, err)
	}
}

func TestParseKeyID_Bad(t *testing.T) {
	for _, tc := range []struct{ name, in, why string }{
		{"empty", "", "nothing"},
		{"short", "866eefbd6718c8846cd7ddfe43fc74a", "31 digits"},
		{"long", "866eefbd6718c8846cd7ddfe43fc74abb", "33 digits"},
		{"not hex", "866eefbd6718c8846cd7ddfe43fc74ag", "g is not a digit"},
		{"spaces", " 866eefbd6718c8846cd7ddfe43fc74a", "white space is not trimmed"},
		{"much too long", strings.Repeat("a", 1000), "quoted shortened in the error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ParseKeyID(tc.in)
			if !errors.Is(err, ErrMalformed) || id.IsValid() {
				t.Fatalf("%s: ParseKeyID = %v, %v; want ErrMalformed", tc.why, id, err)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error is %d characters long", len(err.Error()))
			}
			var u KeyID
			if err := u.UnmarshalText([]byte(tc.in)); tc.in != "" && err == nil {
				t.Errorf("UnmarshalText accepted %q", tc.in)
			}
		})
	}
	if _, err := KeyIDFromBytes(make([]byte, 15)); !errors.Is(err, ErrMalformed) {
		t.Errorf("KeyIDFromBytes(15 bytes) err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseKeyID did not panic on bad input")
		}
	}()
	MustParseKeyID("x")
}

func TestPrivateKey_ZeroValue(t *testing.T) {
	k := &PrivateKey{}
	if k.Seed() != nil || k.MarshalPEM() != nil || k.Public().IsValid() {
		t.Error("a zero PrivateKey yields key material")
	}
	var nilKey *PrivateKey
	if nilKey.Seed() != nil || nilKey.MarshalPEM() != nil {
		t.Error("a nil PrivateKey yields key material")
	}
}
