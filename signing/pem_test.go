package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPEM_RoundTrip(t *testing.T) {
	k := testKey(t, "a")
	priv, err := ParsePrivateKeyPEM(k.MarshalPEM())
	if err != nil {
		t.Fatal(err)
	}
	if priv.Public() != k.Public() || !bytes.Equal(priv.Seed(), k.Seed()) {
		t.Error("private key PEM round trip changed the key")
	}
	pub, err := ParsePublicKeyPEM(k.Public().MarshalPEM())
	if err != nil {
		t.Fatal(err)
	}
	if pub != k.Public() {
		t.Error("public key PEM round trip changed the key")
	}
}

// TestPEM_MatchesX509: the hand-written DER is what crypto/x509 writes for the same keys.
func TestPEM_MatchesX509(t *testing.T) {
	k := testKey(t, "a")
	der8, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(k.Seed()))
	if err != nil {
		t.Fatal(err)
	}
	want := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der8})
	if diff := cmp.Diff(string(want), string(k.MarshalPEM())); diff != "" {
		t.Errorf("private PEM (-x509 +ours):\n%s", diff)
	}
	derPub, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(k.Public().Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: derPub})
	if diff := cmp.Diff(string(want), string(k.Public().MarshalPEM())); diff != "" {
		t.Errorf("public PEM (-x509 +ours):\n%s", diff)
	}
}

// TestPEM_GoldenRFC8032: the PEM files of RFC 8032 TEST 1, as OpenSSL writes them, are in testdata and
// load to the vector key; ours are byte-for-byte the same.
func TestPEM_GoldenRFC8032(t *testing.T) {
	k, err := NewKeyFromSeed(mustHex(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		ours []byte
	}{
		{"rfc8032-test1-private.pem", k.MarshalPEM()},
		{"rfc8032-test1-public.pem", k.Public().MarshalPEM()},
	} {
		golden, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(golden), string(tc.ours)); diff != "" {
			t.Errorf("%s (-golden +ours):\n%s", tc.file, diff)
		}
	}
}

func opensslPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("skipped: the openssl command is not installed; PEM interoperability is covered by testdata golden files")
	}
	return p
}

// TestPEM_OpenSSL runs the openssl CLI both ways: a key it generates loads here, and keys written here
// load in openssl, which derives the same public key.
func TestPEM_OpenSSL(t *testing.T) {
	openssl := opensslPath(t)
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}

	// openssl -> lmskit
	genPath := filepath.Join(dir, "gen.pem")
	run("genpkey", "-algorithm", "ed25519", "-out", genPath)
	genPEM, err := os.ReadFile(genPath)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKeyPEM(genPEM)
	if err != nil {
		t.Fatalf("openssl genpkey output does not load: %v\n%s", err, genPEM)
	}
	pubFromOpenSSL := run("pkey", "-in", genPath, "-pubout")
	pub, err := ParsePublicKeyPEM(pubFromOpenSSL)
	if err != nil {
		t.Fatalf("openssl pkey -pubout output does not load: %v", err)
	}
	if pub != k.Public() {
		t.Error("openssl's public key differs from the one derived here")
	}
	if diff := cmp.Diff(string(pubFromOpenSSL), string(k.Public().MarshalPEM())); diff != "" {
		t.Errorf("public PEM (-openssl +ours):\n%s", diff)
	}

	// lmskit -> openssl
	ours := testKey(t, "openssl")
	privPath := filepath.Join(dir, "ours.pem")
	pubPath := filepath.Join(dir, "ours.pub.pem")
	if err := os.WriteFile(privPath, ours.MarshalPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, ours.Public().MarshalPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(ours.Public().MarshalPEM()), string(run("pkey", "-in", privPath, "-pubout"))); diff != "" {
		t.Errorf("openssl's public key from our private key (-ours +openssl):\n%s", diff)
	}
	if diff := cmp.Diff(string(ours.MarshalPEM()), string(run("pkey", "-in", privPath))); diff != "" {
		t.Errorf("openssl re-encoding of our private key (-ours +openssl):\n%s", diff)
	}
	if diff := cmp.Diff(string(ours.Public().MarshalPEM()), string(run("pkey", "-pubin", "-in", pubPath))); diff != "" {
		t.Errorf("openssl re-encoding of our public key (-ours +openssl):\n%s", diff)
	}
}

func TestParsePEM_Bad(t *testing.T) {
	k := testKey(t, "a")
	privPEM := k.MarshalPEM()
	pubPEM := k.Public().MarshalPEM()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), bytes.NewReader(bytes.Repeat([]byte{1}, 128)))
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	withHeaders := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})
	for _, tc := range []struct {
		name, why string
		in        []byte
		public    bool
	}{
		{"empty", "nothing to parse", nil, false},
		{"not PEM", "no BEGIN line", []byte("hello"), false},
		{"public as private", "wrong block type", pubPEM, false},
		{"private as public", "wrong block type", privPEM, true},
		{"EC private key", "another algorithm", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), false},
		{"EC public key", "another algorithm", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER}), true},
		{"bad DER", "PEM fine, DER not", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x01}}), false},
		{"bad public DER", "PEM fine, DER not", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30}}), true},
		{"encrypted", "PEM headers mean a legacy encrypted key", withHeaders, false},
		{"text before", "only white space may surround the block", append([]byte("key:\n"), privPEM...), false},
		{"data after", "only white space may surround the block", append(append([]byte{}, privPEM...), "x"...), false},
		{"two blocks", "one file, one key", append(append([]byte{}, privPEM...), privPEM...), false},
		{"oversized", "capped before parsing", append(bytes.Repeat([]byte(" "), MaxPEMSize), privPEM...), false},
		{"damaged base64", "a corrupted line", bytes.Replace(privPEM, []byte("MC4C"), []byte("M!4C"), 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.public {
				var p PublicKey
				p, err = ParsePublicKeyPEM(tc.in)
				if p.IsValid() {
					t.Errorf("%s: returned a key with error %v", tc.why, err)
				}
			} else {
				var p *PrivateKey
				p, err = ParsePrivateKeyPEM(tc.in)
				if p != nil {
					t.Errorf("%s: returned a key with error %v", tc.why, err)
				}
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err = %v, want ErrMalformed", tc.why, err)
			}
		})
	}
}
