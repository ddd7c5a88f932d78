package signing

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/internal/cborx"
)

// sentinels is every sentinel error of the package; each error Verify1 returns wraps exactly one.
var sentinels = []error{ErrMalformed, ErrUnknownKey, ErrRevoked, ErrAlgorithm, ErrSignature, ErrOutsideWindow}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// testKey returns a fixed key derived from a label. Test keys only: real keys never live in source.
func testKey(t testing.TB, label string) *PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte("lmskit signing test key " + label))
	k, err := NewKeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// trust returns a keyring that trusts each key under its KeyID with an unbounded window.
func trust(t testing.TB, keys ...*PrivateKey) *Keyring {
	t.Helper()
	kr := NewKeyring()
	for _, k := range keys {
		if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), Window{}); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// sentinelOf returns the one sentinel err wraps, or nil.
func sentinelOf(err error) error {
	var found error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			if found != nil {
				return errors.New("wraps more than one sentinel")
			}
			found = s
		}
	}
	return found
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// coseVectorPath returns the path of a COSE vector file: the shared copy beside the repository when
// present, else the package's own copy in testdata/cose.
func coseVectorPath(t testing.TB, rel string) string {
	t.Helper()
	shared := filepath.Join(repoRoot(t), "..", "shared", "vectors", "cose", rel)
	if _, err := os.Stat(shared); err == nil {
		return shared
	}
	return filepath.Join("testdata", "cose", rel)
}

// coseVector is the part of a cose-wg/Examples file the tests read.
type coseVector struct {
	Title string `json:"title"`
	Fail  bool   `json:"fail"`
	Input struct {
		Plaintext string `json:"plaintext"`
		Sign0     struct {
			Key struct {
				KID  string `json:"kid"`
				Crv  string `json:"crv"`
				XHex string `json:"x_hex"`
				DHex string `json:"d_hex"`
			} `json:"key"`
		} `json:"sign0"`
		Failures map[string]any `json:"failures"`
	} `json:"input"`
	Intermediates struct {
		ToBeSignHex string `json:"ToBeSign_hex"`
	} `json:"intermediates"`
	Output struct {
		CBOR string `json:"cbor"`
	} `json:"output"`
}

func loadCOSEVector(t testing.TB, rel string) (coseVector, []byte) {
	t.Helper()
	data, err := os.ReadFile(coseVectorPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	var v coseVector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return v, mustHex(t, strings.ToLower(v.Output.CBOR))
}

// rfc8032Vector is one entry of testdata/rfc8032.json.
type rfc8032Vector struct {
	Name      string `json:"name"`
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
	Message   string `json:"message"`
	Signature string `json:"signature"`
	KeyID     string `json:"key_id"`
}

func loadRFC8032(t testing.TB) []rfc8032Vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rfc8032.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []rfc8032Vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors in testdata/rfc8032.json")
	}
	return f.Vectors
}

// enc encodes v with the project's core deterministic mode.
func enc(t testing.TB, v any) []byte {
	t.Helper()
	b, err := cborx.EncMode().Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// handMessage builds a COSE_Sign1 by the rules of RFC 9052 sections 4.2 and 4.4 with the CBOR library,
// independently of this package's encoder: Sig_structure = ["Signature1", protected, aad, payload],
// signed with raw Ed25519, then [protected, unprotected, payload, signature], tagged 18 when tagged.
// protected and unprotected are raw encodings (protected the serialized map, unprotected the map item).
func handMessage(t testing.TB, key *PrivateKey, tagged bool, protected, unprotected, payload, aad []byte) []byte {
	t.Helper()
	if aad == nil {
		aad = []byte{}
	}
	tbs := enc(t, []any{"Signature1", protected, aad, payload})
	sig := ed25519.Sign(key.priv, tbs)
	body := []any{protected, cbor.RawMessage(unprotected), payload, sig}
	if tagged {
		return enc(t, cbor.Tag{Number: 18, Content: body})
	}
	return enc(t, body)
}
