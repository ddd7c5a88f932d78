package signing

import (
	"crypto/ed25519"
	"fmt"
	"strings"
)

// Algorithm is a COSE algorithm identifier (IANA "COSE Algorithms" registry).
type Algorithm int64

const (
	// AlgEdDSA (-8) is EdDSA as registered by RFC 9053; with an Ed25519 key it means Ed25519. Sign1
	// writes it by default.
	AlgEdDSA Algorithm = -8
	// AlgEd25519 (-19) is the fully specified Ed25519 algorithm of RFC 9864. Verification accepts it
	// for Ed25519 keys; Sign1 writes it when asked.
	AlgEd25519 Algorithm = -19
)

// String returns the registry name of a, or its number.
func (a Algorithm) String() string {
	switch a {
	case AlgEdDSA:
		return "EdDSA"
	case AlgEd25519:
		return "Ed25519"
	}
	return fmt.Sprintf("Algorithm(%d)", int64(a))
}

// COSE header labels (RFC 9052 section 3.1) and the COSE_Sign1 tag (RFC 9052 section 4.2).
const (
	labelAlg         = 1
	labelCrit        = 2
	labelContentType = 3
	labelKID         = 4
	tagSign1         = 18
)

// MaxMessageSize caps a COSE_Sign1 message: [Sign1] refuses to write a larger one and verification
// refuses to read one.
const MaxMessageSize = 1 << 20

// MaxKeyIDLen caps the length of a kid in [Sign1Options.KeyID] and [Keyring.Add].
const MaxKeyIDLen = 64

// Sign1Options are the optional parts of [Sign1]. The zero value (or nil) signs with alg EdDSA, the
// signing key's [KeyID], no content type and no external AAD.
type Sign1Options struct {
	// ContentType, when not empty, is written to the protected header (label 3) as a text media
	// type, e.g. "application/cbor": "type/subtype" with RFC 6838 restricted names, optionally
	// followed by parameters ("; name=value", no further "/"), printable ASCII without leading or
	// trailing space (RFC 9052 section 3.1).
	ContentType string
	// ExternalAAD is authenticated with the message but not carried in it (RFC 9052 section 4.3);
	// the verifier must pass the same bytes. Nil and empty are the same.
	ExternalAAD []byte
	// KeyID, when not nil, is the kid written to the protected header instead of the signing key's
	// KeyID bytes. At most MaxKeyIDLen bytes, not empty.
	KeyID []byte
	// Algorithm is the alg written to the protected header: zero means AlgEdDSA (-8); AlgEd25519
	// (-19) is the only other choice.
	Algorithm Algorithm
}

// Sign1 signs payload with key and returns a tagged (18) COSE_Sign1 message (RFC 9052 section 4.2)
// whose protected header holds alg, content type (when given) and kid, encoded per RFC 8949 core
// deterministic rules, with an empty unprotected header and the payload attached. Ed25519 is
// deterministic, so the same inputs always give the same bytes. opts may be nil.
func Sign1(key *PrivateKey, payload []byte, opts *Sign1Options) ([]byte, error) {
	if !key.usable() {
		return nil, errNilKey
	}
	var o Sign1Options
	if opts != nil {
		o = *opts
	}
	alg := o.Algorithm
	if alg == 0 {
		alg = AlgEdDSA
	}
	if alg != AlgEdDSA && alg != AlgEd25519 {
		return nil, fmt.Errorf("%w: cannot sign with %v and an Ed25519 key", ErrAlgorithm, alg)
	}
	if o.ContentType != "" {
		if err := checkContentType(o.ContentType); err != nil {
			return nil, err
		}
	}
	var kidBuf [KeyIDSize]byte
	kid := o.KeyID
	if kid == nil {
		id := key.pub.KeyID()
		kidBuf = id.b
		kid = kidBuf[:]
	} else if len(kid) == 0 || len(kid) > MaxKeyIDLen {
		return nil, fmt.Errorf("signing: key id is %d bytes, want 1 to %d", len(kid), MaxKeyIDLen)
	}

	// The protected header map, core deterministic: keys 1, 3, 4 in order.
	var protBuf [128]byte
	prot := protBuf[:0]
	if o.ContentType != "" {
		prot = appendHead(prot, majorMap, 3)
	} else {
		prot = appendHead(prot, majorMap, 2)
	}
	prot = appendHead(prot, majorUint, labelAlg)
	prot = appendInt(prot, int64(alg))
	if o.ContentType != "" {
		prot = appendHead(prot, majorUint, labelContentType)
		prot = appendHead(prot, majorText, uint64(len(o.ContentType)))
		prot = append(prot, o.ContentType...)
	}
	prot = appendHead(prot, majorUint, labelKID)
	prot = appendHead(prot, majorBytes, uint64(len(kid)))
	prot = append(prot, kid...)

	// One buffer holds first the Sig_structure and then, written over its prefix, the message. Both
	// end in the payload; the message's prefix is always shorter than the Sig_structure's, so the
	// message is the buffer's tail and the payload is copied once.
	//
	//	Sig_structure: 84 6a "Signature1" bstr(protected) bstr(aad) bstr(payload)
	//	COSE_Sign1:    d2 84 bstr(protected) a0 bstr(payload) 58 40 signature
	tbsPrefix := 1 + 1 + len(sigContext) + headLen(uint64(len(prot))) + len(prot) +
		headLen(uint64(len(o.ExternalAAD))) + len(o.ExternalAAD) + headLen(uint64(len(payload)))
	msgPrefix := 1 + 1 + headLen(uint64(len(prot))) + len(prot) + 1 + headLen(uint64(len(payload)))
	msgLen := msgPrefix + len(payload) + 2 + ed25519.SignatureSize
	if msgLen > MaxMessageSize {
		return nil, fmt.Errorf("signing: message would be %d bytes, over the %d-byte limit", msgLen, MaxMessageSize)
	}
	buf := make([]byte, tbsPrefix+len(payload)+2+ed25519.SignatureSize)
	tbs := appendSigStructurePrefix(buf[:0], prot, o.ExternalAAD, len(payload))
	tbs = append(tbs, payload...)

	sig := ed25519.Sign(key.priv, tbs)

	off := tbsPrefix - msgPrefix
	m := buf[off:off]
	m = appendHead(m, majorTag, tagSign1)
	m = appendHead(m, majorArray, 4)
	m = appendHead(m, majorBytes, uint64(len(prot)))
	m = append(m, prot...)
	m = appendHead(m, majorMap, 0)
	m = appendHead(m, majorBytes, uint64(len(payload)))
	// The payload is already in place behind the prefix.
	m = m[:len(m)+len(payload)]
	m = appendHead(m, majorBytes, ed25519.SignatureSize)
	m = append(m, sig...)
	return m, nil
}

// checkContentType enforces the media type syntax described at Sign1Options.ContentType.
func checkContentType(ct string) error {
	bad := func(why string) error {
		return fmt.Errorf("signing: content type %q: %s", truncate(ct), why)
	}
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c < 0x20 || c > 0x7e {
			return bad("not printable ASCII")
		}
	}
	if strings.TrimSpace(ct) != ct {
		return bad("leading or trailing space")
	}
	mediaType, params, hasParams := strings.Cut(ct, ";")
	typ, sub, ok := strings.Cut(strings.TrimRight(mediaType, " "), "/")
	if !ok || !restrictedName(typ) || !restrictedName(sub) {
		return bad("want type/subtype (RFC 6838 section 4.2)")
	}
	if hasParams && strings.Contains(params, "/") {
		return bad("\"/\" in the parameters")
	}
	return nil
}

// restrictedName reports whether s is an RFC 6838 restricted-name: 1 to 127 characters, a letter or
// digit first, then letters, digits and !#$&-^_.+
func restrictedName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && strings.IndexByte("!#$&-^_.+", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// sigContext is the context string of a COSE_Sign1 Sig_structure (RFC 9052 section 4.4).
const sigContext = "Signature1"

// appendSigStructurePrefix appends the Sig_structure (RFC 9052 section 4.4) up to and including the
// head of the payload byte string: ["Signature1", bstr protected, bstr external_aad, bstr payload].
func appendSigStructurePrefix(b, protected, aad []byte, payloadLen int) []byte {
	b = appendHead(b, majorArray, 4)
	b = appendHead(b, majorText, uint64(len(sigContext)))
	b = append(b, sigContext...)
	b = appendHead(b, majorBytes, uint64(len(protected)))
	b = append(b, protected...)
	b = appendHead(b, majorBytes, uint64(len(aad)))
	b = append(b, aad...)
	return appendHead(b, majorBytes, uint64(payloadLen))
}

// CBOR major types (RFC 8949 section 3.1), shifted into the initial byte's top three bits.
const (
	majorUint   byte = 0 << 5
	majorNeg    byte = 1 << 5
	majorBytes  byte = 2 << 5
	majorText   byte = 3 << 5
	majorArray  byte = 4 << 5
	majorMap    byte = 5 << 5
	majorTag    byte = 6 << 5
	majorSimple byte = 7 << 5
)

// appendHead appends the shortest head (RFC 8949 section 4.2.1) of the given major type and argument.
func appendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return append(b, major|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, major|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, major|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// headLen is the length of the shortest head for argument n.
func headLen(n uint64) int {
	switch {
	case n < 24:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffffff:
		return 5
	}
	return 9
}

// appendInt appends a CBOR integer (major type 0 or 1).
func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendHead(b, majorUint, uint64(v))
	}
	return appendHead(b, majorNeg, uint64(-(v + 1)))
}
