package signing

import (
	"encoding/hex"
	"fmt"
)

// KeyIDSize is the length in bytes of a [KeyID].
const KeyIDSize = 16

// KeyID identifies a public key: the first 16 bytes of its SHA-256 COSE Key Thumbprint (RFC 9679), see
// [PublicKey.KeyID]. It is a small comparable value; the zero value is invalid. Its canonical text
// form is 32 lower-case hexadecimal digits.
type KeyID struct {
	b     [KeyIDSize]byte
	valid bool
}

// KeyIDFromBytes returns the KeyID whose bytes are b, which must be 16 bytes long.
func KeyIDFromBytes(b []byte) (KeyID, error) {
	if len(b) != KeyIDSize {
		return KeyID{}, fmt.Errorf("%w: key id is %d bytes, want %d", ErrMalformed, len(b), KeyIDSize)
	}
	var id KeyID
	copy(id.b[:], b)
	id.valid = true
	return id, nil
}

// ParseKeyID parses the text form of a KeyID: 32 hexadecimal digits (either case).
func ParseKeyID(s string) (KeyID, error) {
	if len(s) != 2*KeyIDSize {
		return KeyID{}, fmt.Errorf("%w: key id %q is %d characters, want %d hexadecimal digits", ErrMalformed, truncate(s), len(s), 2*KeyIDSize)
	}
	var id KeyID
	if _, err := hex.Decode(id.b[:], []byte(s)); err != nil {
		return KeyID{}, fmt.Errorf("%w: key id %q: %v", ErrMalformed, s, err)
	}
	id.valid = true
	return id, nil
}

// MustParseKeyID is ParseKeyID for constants in tests and examples; it panics on a bad input.
func MustParseKeyID(s string) KeyID {
	id, err := ParseKeyID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// IsValid reports whether id is a key id, that is, not the zero value.
func (id KeyID) IsValid() bool { return id.valid }

// IsZero reports whether id is the zero value.
func (id KeyID) IsZero() bool { return !id.valid }

// Bytes returns a copy of the 16 bytes of id, or nil for the zero value. These are the bytes [Sign1]
// writes as the kid header and the bytes to pass to [Keyring.Add].
func (id KeyID) Bytes() []byte {
	if !id.valid {
		return nil
	}
	b := make([]byte, KeyIDSize)
	copy(b, id.b[:])
	return b
}

// String returns the canonical text form of id (32 lower-case hexadecimal digits), or "" for the zero
// value.
func (id KeyID) String() string {
	if !id.valid {
		return ""
	}
	return hex.EncodeToString(id.b[:])
}

// MarshalText implements [encoding.TextMarshaler]: the canonical form, empty for the zero value.
func (id KeyID) MarshalText() ([]byte, error) {
	return []byte(id.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. Empty text gives the zero value.
func (id *KeyID) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*id = KeyID{}
		return nil
	}
	v, err := ParseKeyID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// truncate shortens s for quoting in an error message.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
