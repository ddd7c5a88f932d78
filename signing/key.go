package signing

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// PublicKeySize is the length in bytes of a raw Ed25519 public key.
const PublicKeySize = ed25519.PublicKeySize

// SeedSize is the length in bytes of an Ed25519 private key seed (RFC 8032).
const SeedSize = ed25519.SeedSize

// PublicKey is an Ed25519 public key. It is a small comparable value; the zero value is not a key
// (IsValid reports false) and verifies nothing.
type PublicKey struct {
	k     [PublicKeySize]byte
	valid bool
}

// PublicKeyFromBytes returns the Ed25519 public key whose raw encoding (RFC 8032 section 5.1.2) is b.
// Any length other than 32 bytes is an error. The bytes are copied.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: ed25519 public key is %d bytes, want %d", ErrMalformed, len(b), PublicKeySize)
	}
	var p PublicKey
	copy(p.k[:], b)
	p.valid = true
	return p, nil
}

// IsValid reports whether p holds a key, that is, whether it is not the zero value.
func (p PublicKey) IsValid() bool { return p.valid }

// Bytes returns a copy of the raw 32-byte key, or nil for the zero value.
func (p PublicKey) Bytes() []byte {
	if !p.valid {
		return nil
	}
	b := make([]byte, PublicKeySize)
	copy(b, p.k[:])
	return b
}

// Equal reports whether p and q are the same key.
func (p PublicKey) Equal(q PublicKey) bool { return p == q }

// KeyID returns the key id derived from p: the first 16 bytes of the RFC 9679 COSE Key Thumbprint
// with SHA-256, that is SHA-256 over the core deterministic CBOR encoding of the COSE_Key
// {1 (kty): 1 (OKP), -1 (crv): 6 (Ed25519), -2 (x): p.Bytes()}. Any COSE implementation can recompute
// it. The zero PublicKey has the zero (invalid) KeyID.
func (p PublicKey) KeyID() KeyID {
	if !p.valid {
		return KeyID{}
	}
	sum := sha256.Sum256(p.thumbprintInput())
	var id KeyID
	copy(id.b[:], sum[:KeyIDSize])
	id.valid = true
	return id
}

// thumbprintInput is the RFC 9679 hash input for an Ed25519 key, encoded per RFC 8949 section 4.2.1:
// map(3) {1: 1, -1: 6, -2: bstr(32)}, keys in bytewise order of their encodings (0x01, 0x20, 0x21).
func (p PublicKey) thumbprintInput() []byte {
	b := make([]byte, 0, 8+PublicKeySize)
	b = append(b, 0xa3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20)
	return append(b, p.k[:]...)
}

// String returns the key id of p in its canonical form, so that printing a key never prints more
// than its identity.
func (p PublicKey) String() string {
	if !p.valid {
		return "signing.PublicKey(invalid)"
	}
	return "signing.PublicKey(" + p.KeyID().String() + ")"
}

// PrivateKey is an Ed25519 private key. Create one with [GenerateKey], [NewKeyFromSeed] or
// [ParsePrivateKeyPEM]. A PrivateKey is safe for concurrent use. Printing it with fmt shows only its
// key id.
type PrivateKey struct {
	priv ed25519.PrivateKey
	pub  PublicKey
}

// GenerateKey returns a new private key drawn from rand, or from crypto/rand when rand is nil.
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("signing: generating key: %w", err)
	}
	return newPrivateKey(priv), nil
}

// NewKeyFromSeed returns the private key derived from a 32-byte RFC 8032 seed. The same seed always
// gives the same key: use it for fixed test keys and examples, never for real keys in source.
func NewKeyFromSeed(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("%w: ed25519 seed is %d bytes, want %d", ErrMalformed, len(seed), SeedSize)
	}
	return newPrivateKey(ed25519.NewKeyFromSeed(seed)), nil
}

func newPrivateKey(priv ed25519.PrivateKey) *PrivateKey {
	k := &PrivateKey{priv: priv}
	copy(k.pub.k[:], priv[SeedSize:])
	k.pub.valid = true
	return k
}

// Public returns the public key of k (the zero PublicKey for a nil k).
func (k *PrivateKey) Public() PublicKey {
	if k == nil {
		return PublicKey{}
	}
	return k.pub
}

// Seed returns a copy of the 32-byte RFC 8032 seed of k, or nil for a PrivateKey not made by this
// package. Handle it as the secret it is.
func (k *PrivateKey) Seed() []byte {
	if !k.usable() {
		return nil
	}
	return k.priv.Seed()
}

// usable reports whether k holds a key: not nil, and made by one of this package's constructors
// rather than declared as a zero value.
func (k *PrivateKey) usable() bool {
	return k != nil && len(k.priv) == ed25519.PrivateKeySize
}

// String returns the key id of k's public key, never secret material.
func (k *PrivateKey) String() string {
	if k == nil {
		return "signing.PrivateKey(nil)"
	}
	return "signing.PrivateKey(" + k.pub.KeyID().String() + ")"
}

// GoString is String, so that %#v does not print the secret either.
func (k *PrivateKey) GoString() string { return k.String() }

// errNilKey is returned when a nil or zero *PrivateKey is passed where a key is needed.
var errNilKey = errors.New("signing: nil or zero private key (make keys with GenerateKey, NewKeyFromSeed or ParsePrivateKeyPEM)")
