// Package seal encrypts and authenticates small records (device state, trial markers) so that a record
// edited, truncated, or copied from another host is detected. Derive the host's key once, seal a
// record before writing it, and open it after reading it back:
//
//	key, err := seal.NewKey(secret, identity, "lmskit device state")
//	if err != nil {
//		return err
//	}
//	sealed := key.Seal("state", []byte(`{"trial_start":"2026-03-01"}`)) // written to the device's disk
//	state, err := key.Open("state", sealed) // read back at start-up
//	if err != nil {
//		return err // errors.Is(err, seal.ErrAuth): edited, or not this host's
//	}
//
// The package's Example runs it with a fixed test secret; real firmware secrets never live in
// source.
//
// # Format
//
// A [Key] is derived with HKDF-SHA256 (RFC 5869) from a firmware secret and the host's identity, under a
// purpose string that separates unrelated uses. Records are sealed with XChaCha20-Poly1305 and a random
// 192-bit nonce, so nonces never need to be counted or stored. The sealed form is
//
//	magic "LMSK" | version 0x01 | nonce (24 bytes) | ciphertext | tag (16 bytes)
//
// and the associated data binds the magic, the version, the record's kind and the host identity, so a
// record of one kind cannot be replayed as another and a record made for one host fails on another even
// if both somehow shared a key.
//
// # Security
//
// Sealing hides a record's contents but not its length, and does not stop a whole older record of
// the same host and kind from being put back: callers that care about replay keep a counter inside
// the record and compare it with one kept elsewhere. The key is only as secret as the firmware
// secret: whoever extracts it from the firmware can seal records for any host whose identity they
// know.
package seal

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// Version is the sealed-record format version this package writes and reads.
const Version = 1

// MinSecret is the shortest firmware secret NewKey accepts, in bytes.
const MinSecret = 16

// Overhead is how many bytes sealing adds to a plaintext.
const Overhead = len(magic) + 1 + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

const magic = "LMSK"

// salt is the fixed HKDF salt of format version 1.
const salt = "lmskit/seal/v1"

// Errors returned by Open. Open's errors wrap exactly one of these.
var (
	// ErrFormat: the bytes are not a sealed record (too short, wrong magic).
	ErrFormat = errors.New("seal: not a sealed record")
	// ErrVersion: a sealed record of a format version this package does not read.
	ErrVersion = errors.New("seal: unsupported record version")
	// ErrAuth: the record was edited, truncated, sealed for another host, another kind or another
	// secret.
	ErrAuth = errors.New("seal: record fails authentication")
)

// Key seals and opens records for one host. It is safe for concurrent use.
type Key struct {
	aead     cipher.AEAD
	identity []byte
}

// NewKey derives a key from the firmware secret and the host identity for one purpose. The secret must
// be at least [MinSecret] bytes and should be high-entropy and specific to the product; the identity is
// the canonical encoding of what identifies the host (its key code and system). The purpose separates
// keys for unrelated uses of the same secret.
func NewKey(secret, identity []byte, purpose string) (*Key, error) {
	if len(secret) < MinSecret {
		return nil, fmt.Errorf("seal: secret is %d bytes, want at least %d", len(secret), MinSecret)
	}
	if purpose == "" {
		return nil, errors.New("seal: empty purpose")
	}
	info := lengthPrefixed(nil, []byte(purpose))
	info = lengthPrefixed(info, identity)
	k := make([]byte, chacha20poly1305.KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, []byte(salt), info), k); err != nil {
		return nil, fmt.Errorf("seal: deriving key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Key{aead: aead, identity: append([]byte(nil), identity...)}, nil
}

// Seal encrypts and authenticates plaintext as a record of the given kind.
func (k *Key) Seal(kind string, plaintext []byte) []byte {
	out := make([]byte, 0, Overhead+len(plaintext))
	out = append(out, magic...)
	out = append(out, Version)
	nonce := out[len(out) : len(out)+chacha20poly1305.NonceSizeX]
	rand.Read(nonce) // crypto/rand.Read never fails; it crashes the program rather than return weak bytes
	out = out[:len(out)+len(nonce)]
	return k.aead.Seal(out, nonce, plaintext, k.ad(kind))
}

// Open checks and decrypts a record sealed by Seal with the same kind and an equal key. The error wraps
// [ErrFormat], [ErrVersion] or [ErrAuth]; on error no plaintext is returned.
func (k *Key) Open(kind string, sealed []byte) ([]byte, error) {
	hdr := len(magic) + 1
	if len(sealed) < Overhead || string(sealed[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w (%d bytes)", ErrFormat, len(sealed))
	}
	if v := sealed[len(magic)]; v != Version {
		return nil, fmt.Errorf("%w %d", ErrVersion, v)
	}
	nonce := sealed[hdr : hdr+chacha20poly1305.NonceSizeX]
	pt, err := k.aead.Open(nil, nonce, sealed[hdr+len(nonce):], k.ad(kind))
	if err != nil {
		return nil, fmt.Errorf("%w: %s record", ErrAuth, kind)
	}
	return pt, nil
}

func (k *Key) ad(kind string) []byte {
	ad := append([]byte(magic), Version)
	ad = lengthPrefixed(ad, []byte(kind))
	return lengthPrefixed(ad, k.identity)
}

func lengthPrefixed(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}
