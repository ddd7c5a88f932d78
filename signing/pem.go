package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// MaxPEMSize caps the input of [ParsePrivateKeyPEM] and [ParsePublicKeyPEM].
const MaxPEMSize = 64 << 10

// DER prefixes of the only two structures written here (RFC 8410 sections 4 and 7): a PKIX
// SubjectPublicKeyInfo and a version-1 PKCS#8 OneAsymmetricKey, both with algorithm id-Ed25519
// (1.3.101.112) and no parameters. The key bytes follow.
var (
	pkixEd25519Prefix  = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	pkcs8Ed25519Prefix = []byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20}
)

const (
	pemPrivateKey = "PRIVATE KEY"
	pemPublicKey  = "PUBLIC KEY"
)

// MarshalPEM returns k as a PKCS#8 "PRIVATE KEY" PEM block (RFC 8410), the form
// `openssl genpkey -algorithm ed25519` writes and `openssl pkey` reads. The output holds the secret
// seed: write it only where a private key belongs. It returns nil for a zero PrivateKey.
func (k *PrivateKey) MarshalPEM() []byte {
	if !k.usable() {
		return nil
	}
	der := make([]byte, 0, len(pkcs8Ed25519Prefix)+SeedSize)
	der = append(der, pkcs8Ed25519Prefix...)
	der = append(der, k.priv.Seed()...)
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
}

// MarshalPEM returns p as a PKIX "PUBLIC KEY" PEM block (RFC 8410), the form `openssl pkey -pubout`
// writes. It returns nil for the zero PublicKey.
func (p PublicKey) MarshalPEM() []byte {
	if !p.valid {
		return nil
	}
	der := make([]byte, 0, len(pkixEd25519Prefix)+PublicKeySize)
	der = append(der, pkixEd25519Prefix...)
	der = append(der, p.k[:]...)
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der})
}

// ParsePrivateKeyPEM parses one PKCS#8 "PRIVATE KEY" PEM block holding an Ed25519 key, such as
// `openssl genpkey -algorithm ed25519` writes. Anything but white space around the block, PEM
// headers, an encrypted key or another algorithm is an error.
func ParsePrivateKeyPEM(data []byte) (*PrivateKey, error) {
	der, err := decodeOnePEM(data, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: private key: %v", ErrMalformed, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: private key is %T, want an Ed25519 key", ErrMalformed, key)
	}
	return newPrivateKey(priv), nil
}

// ParsePublicKeyPEM parses one PKIX "PUBLIC KEY" PEM block holding an Ed25519 key, such as
// `openssl pkey -pubout` writes.
func ParsePublicKeyPEM(data []byte) (PublicKey, error) {
	der, err := decodeOnePEM(data, pemPublicKey)
	if err != nil {
		return PublicKey{}, err
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: public key is %T, want an Ed25519 key", ErrMalformed, key)
	}
	return PublicKeyFromBytes(pub)
}

// decodeOnePEM returns the bytes of the single PEM block of type want in data.
func decodeOnePEM(data []byte, want string) ([]byte, error) {
	if len(data) > MaxPEMSize {
		return nil, fmt.Errorf("%w: PEM input is %d bytes, over the %d-byte limit", ErrMalformed, len(data), MaxPEMSize)
	}
	trimmed := bytes.TrimSpace(data)
	block, rest := pem.Decode(trimmed)
	if block == nil {
		return nil, fmt.Errorf("%w: no %q PEM block", ErrMalformed, want)
	}
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("%w: text before the %q PEM block", ErrMalformed, want)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the %q PEM block", ErrMalformed, want)
	}
	if block.Type != want {
		return nil, fmt.Errorf("%w: PEM block is %q, want %q", ErrMalformed, truncate(block.Type), want)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: %q PEM block has headers (an encrypted key is not supported)", ErrMalformed, want)
	}
	return block.Bytes, nil
}
