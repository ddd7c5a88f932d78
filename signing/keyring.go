package signing

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Window bounds the signing time of the messages a trusted key may have signed: NotBefore <= t <
// NotAfter. A zero NotBefore means no lower bound, a zero NotAfter no upper bound, so the zero Window
// is always valid. A retired key keeps verifying files signed before its NotAfter; a compromised key
// is revoked instead ([Keyring.Revoke]), since whoever holds it can write any signing time.
type Window struct {
	// NotBefore is the earliest signing time accepted (inclusive); zero means no lower bound.
	NotBefore time.Time
	// NotAfter is the first signing time no longer accepted (exclusive); zero means no upper bound.
	NotAfter time.Time
}

// IsZero reports whether w has no bounds.
func (w Window) IsZero() bool { return w.NotBefore.IsZero() && w.NotAfter.IsZero() }

// Contains reports whether a message signed at t falls inside w.
func (w Window) Contains(t time.Time) bool {
	if !w.NotBefore.IsZero() && t.Before(w.NotBefore) {
		return false
	}
	if !w.NotAfter.IsZero() && !t.Before(w.NotAfter) {
		return false
	}
	return true
}

// String returns w in RFC 3339 form, with "-" for an open bound.
func (w Window) String() string {
	b, a := "-", "-"
	if !w.NotBefore.IsZero() {
		b = w.NotBefore.UTC().Format(time.RFC3339)
	}
	if !w.NotAfter.IsZero() {
		a = w.NotAfter.UTC().Format(time.RFC3339)
	}
	return "[" + b + ", " + a + ")"
}

// Keyring holds the public keys a verifier trusts, each filed under a kid with a validity [Window],
// and the kids and keys it has revoked. Create one with [NewKeyring] (the zero value is also an empty
// keyring). A Keyring is safe for concurrent use: Add and Revoke publish a new immutable snapshot that
// verifications in flight do not see half-made.
type Keyring struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[ringSnapshot]
}

type ringSnapshot struct {
	byKID       map[string][]trustedKey
	revokedKIDs map[string]struct{}
	revokedKeys map[[PublicKeySize]byte]struct{}
}

type trustedKey struct {
	pub    PublicKey
	ed     ed25519.PublicKey
	window Window
}

var emptySnapshot = &ringSnapshot{}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring {
	return &Keyring{}
}

func (kr *Keyring) load() *ringSnapshot {
	if kr == nil {
		return emptySnapshot // a nil *Keyring trusts nothing
	}
	if s := kr.snap.Load(); s != nil {
		return s
	}
	return emptySnapshot
}

// clone returns a deep copy of s that a writer may change.
func (s *ringSnapshot) clone() *ringSnapshot {
	c := &ringSnapshot{
		byKID:       make(map[string][]trustedKey, len(s.byKID)+1),
		revokedKIDs: make(map[string]struct{}, len(s.revokedKIDs)+1),
		revokedKeys: make(map[[PublicKeySize]byte]struct{}, len(s.revokedKeys)+1),
	}
	for k, v := range s.byKID {
		c.byKID[k] = append([]trustedKey(nil), v...)
	}
	for k := range s.revokedKIDs {
		c.revokedKIDs[k] = struct{}{}
	}
	for k := range s.revokedKeys {
		c.revokedKeys[k] = struct{}{}
	}
	return c
}

// Add trusts pub for messages whose kid is kid and whose signing time falls inside window. Usually
// kid is pub.KeyID().Bytes(); any 1 to MaxKeyIDLen bytes are accepted so that keys named elsewhere can
// be trusted too. Kids need not be unique: verification tries every key filed under the kid. Adding a
// key already filed under kid replaces its window (this is how a key is retired: give it a NotAfter).
// Adding under a revoked kid, or a revoked key, is refused with an error wrapping [ErrRevoked]. A nil
// *Keyring (which trusts nothing) refuses every key with an error.
func (kr *Keyring) Add(kid []byte, pub PublicKey, window Window) error {
	if kr == nil {
		return errors.New("signing: keyring: Add on a nil *Keyring (make one with NewKeyring)")
	}
	if len(kid) == 0 || len(kid) > MaxKeyIDLen {
		return fmt.Errorf("signing: keyring: kid is %d bytes, want 1 to %d", len(kid), MaxKeyIDLen)
	}
	if !pub.IsValid() {
		return fmt.Errorf("signing: keyring: kid %s: public key is the zero value", kidString(kid))
	}
	if !window.NotBefore.IsZero() && !window.NotAfter.IsZero() && !window.NotBefore.Before(window.NotAfter) {
		return fmt.Errorf("signing: keyring: kid %s: window %v is empty", kidString(kid), window)
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	old := kr.load()
	if _, ok := old.revokedKIDs[string(kid)]; ok {
		return fmt.Errorf("%w: keyring: kid %s was revoked", ErrRevoked, kidString(kid))
	}
	if _, ok := old.revokedKeys[pub.k]; ok {
		return fmt.Errorf("%w: keyring: key %s was revoked", ErrRevoked, pub.KeyID())
	}
	s := old.clone()
	keys := s.byKID[string(kid)]
	for i := range keys {
		if keys[i].pub == pub {
			keys[i].window = window
			kr.snap.Store(s)
			return nil
		}
	}
	s.byKID[string(kid)] = append(keys, trustedKey{pub: pub, ed: ed25519.PublicKey(pub.Bytes()), window: window})
	kr.snap.Store(s)
	return nil
}

// Revoke stops trusting kid outright, and every key filed under it under any kid: messages naming kid
// fail with [ErrRevoked], and so do those whose only keys are revoked. Revoking is permanent for the
// life of the Keyring; a kid not yet added is remembered so that it can never be added. Revoke on a
// nil *Keyring does nothing: it trusts no key to begin with.
func (kr *Keyring) Revoke(kid []byte) {
	if kr == nil {
		return
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	s := kr.load().clone()
	s.revokedKIDs[string(kid)] = struct{}{}
	for _, k := range s.byKID[string(kid)] {
		s.revokedKeys[k.pub.k] = struct{}{}
	}
	delete(s.byKID, string(kid))
	kr.snap.Store(s)
}

// VerifyOptions are the optional parts of [Keyring.Verify]. Nil means no external AAD and no window
// check.
type VerifyOptions struct {
	// ExternalAAD must be the bytes the signer passed as Sign1Options.ExternalAAD.
	ExternalAAD []byte

	// SigningTime, when not nil, is called once with the payload after a signature holds, and returns
	// the time the payload says it was signed (a license's issue time, say). The key that verified must
	// then have a Window that contains it; if it does not, the other keys under the same kid are tried,
	// and when none fits Verify fails with [ErrOutsideWindow]. The payload passed in is authenticated;
	// an error from SigningTime is returned wrapped and no payload is returned.
	SigningTime func(payload []byte) (time.Time, error)

	// RequireCanonical refuses, with ErrMalformed, a message whose unsigned envelope is not exactly
	// what Sign1 writes (tag 18, an empty unprotected header, shortest CBOR heads). The signature does
	// not cover the tag, the unprotected header or the encoding of the outer heads, so without this
	// anyone can change a signed message's bytes without changing its payload. Set it where the
	// message bytes themselves must be unique (a file whose bytes are hashed or compared); leave it
	// unset to accept conforming messages from other COSE implementations.
	RequireCanonical bool
}

// Verified is the outcome of a successful [Keyring.Verify].
type Verified struct {
	// Payload is a copy of the message's payload; the caller owns it.
	Payload []byte
	// KID is a copy of the kid the message named.
	KID []byte
	// Key is the trusted key whose signature held.
	Key PublicKey
	// Window is the validity window Key was added with.
	Window Window
	// Algorithm is the alg of the protected header (AlgEdDSA or AlgEd25519).
	Algorithm Algorithm
	// ContentType is the protected or unprotected content type when it is a text media type; ""
	// otherwise.
	ContentType string
	// ContentFormat is the content type when it is an integer (a CoAP Content-Format number); -1 when
	// the message has no content type or a text one.
	ContentFormat int
	// SigningTime is what VerifyOptions.SigningTime returned, or the zero time.
	SigningTime time.Time
}

// Verify1 verifies a COSE_Sign1 message (tagged 18 or untagged) against the keyring and returns its
// payload and kid (both copies the caller owns) only when the signature holds under a trusted,
// unrevoked key filed under the message's kid. externalAAD must match what the signer used.
//
// The kid is taken from the protected header, else the unprotected one. The algorithm comes from the
// trusted key (Ed25519) and the protected header must name it: alg -8 (EdDSA) or -19 (Ed25519).
// Unknown labels in crit are refused. The signature is checked over the protected header bytes as
// received. Errors wrap [ErrMalformed], [ErrUnknownKey], [ErrRevoked], [ErrAlgorithm] or
// [ErrSignature].
//
// Verify1 does not consult key windows: it has no signing time. Use [Keyring.Verify] with
// VerifyOptions.SigningTime to enforce them.
func (kr *Keyring) Verify1(msg, externalAAD []byte) (payload []byte, kid []byte, err error) {
	var res verifyResult
	if err := kr.verify(msg, externalAAD, nil, false, &res); err != nil {
		return nil, nil, err
	}
	return res.payload, res.kid, nil
}

// Verify is [Keyring.Verify1] with options, returning what a caller needs to judge the message
// further: which key verified, its window, the content type. With VerifyOptions.SigningTime set it
// also enforces the windows of the keys (see [VerifyOptions]). opts may be nil.
func (kr *Keyring) Verify(msg []byte, opts *VerifyOptions) (*Verified, error) {
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	var res verifyResult
	if err := kr.verify(msg, o.ExternalAAD, o.SigningTime, o.RequireCanonical, &res); err != nil {
		return nil, err
	}
	v := &Verified{
		Payload:       res.payload,
		KID:           res.kid,
		Key:           res.key.pub,
		Window:        res.key.window,
		Algorithm:     res.alg,
		ContentFormat: -1,
		SigningTime:   res.signingTime,
	}
	if res.ctSet {
		if res.ctIsText {
			v.ContentType = string(res.ctText)
		} else {
			v.ContentFormat = res.ctNum
		}
	}
	return v, nil
}

type verifyResult struct {
	payload     []byte
	kid         []byte
	key         trustedKey
	alg         Algorithm
	ctText      []byte // aliases the message
	ctNum       int
	ctSet       bool
	ctIsText    bool
	signingTime time.Time
}

func (kr *Keyring) verify(msg, aad []byte, signingTime func([]byte) (time.Time, error), requireCanonical bool, res *verifyResult) error {
	var m sign1
	if err := parseSign1(msg, &m); err != nil {
		return err
	}
	if requireCanonical && !m.canonical(msg) {
		return fmt.Errorf("%w: message is not in the canonical form Sign1 writes (tag 18, empty unprotected header, shortest heads)", ErrMalformed)
	}
	h := &m.hdr
	if !h.kidSet {
		return fmt.Errorf("%w: message has no kid", ErrUnknownKey)
	}
	s := kr.load()
	if _, ok := s.revokedKIDs[string(h.kid)]; ok {
		return fmt.Errorf("%w: kid %s", ErrRevoked, kidString(h.kid))
	}
	keys := s.byKID[string(h.kid)]
	if len(keys) == 0 {
		return fmt.Errorf("%w: kid %s", ErrUnknownKey, kidString(h.kid))
	}
	// Every trusted key is Ed25519, so the protected header must say EdDSA or Ed25519.
	switch {
	case h.algSet:
		if a := Algorithm(h.alg); a != AlgEdDSA && a != AlgEd25519 {
			return fmt.Errorf("%w: protected alg is %v, the trusted key for kid %s is Ed25519", ErrAlgorithm, a, kidString(h.kid))
		}
	case h.algText:
		return fmt.Errorf("%w: protected alg is a text string, the trusted key is Ed25519", ErrAlgorithm)
	case h.algUnprot:
		return fmt.Errorf("%w: alg is in the unprotected header; it must be protected", ErrAlgorithm)
	default:
		return fmt.Errorf("%w: protected header has no alg", ErrAlgorithm)
	}
	if len(m.signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrSignature, len(m.signature), ed25519.SignatureSize)
	}

	// One allocation holds the kid and the Sig_structure, whose tail is the payload: both are
	// returned to the caller, who owns them.
	tbsLen := 1 + 1 + len(sigContext) + headLen(uint64(len(m.protected))) + len(m.protected) +
		headLen(uint64(len(aad))) + len(aad) + headLen(uint64(len(m.payload))) + len(m.payload)
	buf := make([]byte, len(h.kid)+tbsLen)
	kid := buf[:copy(buf, h.kid):len(h.kid)]
	tbs := appendSigStructurePrefix(buf[len(h.kid):len(h.kid)], m.protected, aad, len(m.payload))
	tbs = append(tbs, m.payload...)
	payload := tbs[len(tbs)-len(m.payload):]

	var (
		revoked, outside int
		when             time.Time
		timeKnown        bool
		lastWindow       Window
	)
	for _, k := range keys {
		if _, ok := s.revokedKeys[k.pub.k]; ok {
			revoked++
			continue
		}
		if !ed25519.Verify(k.ed, tbs, m.signature) {
			continue
		}
		if signingTime != nil {
			if !timeKnown {
				t, err := signingTime(payload)
				if err != nil {
					return fmt.Errorf("signing: reading the signing time of a verified message: %w", err)
				}
				when, timeKnown = t, true
			}
			if !k.window.Contains(when) {
				outside++
				lastWindow = k.window
				continue
			}
		}
		*res = verifyResult{
			payload: payload, kid: kid, key: k, alg: Algorithm(h.alg),
			ctText: h.ctText, ctNum: h.ctNum, ctSet: h.ctSet, ctIsText: h.ctIsText,
			signingTime: when,
		}
		return nil
	}
	switch {
	case outside > 0:
		return fmt.Errorf("%w: kid %s: signed at %s, key window %v", ErrOutsideWindow, kidString(h.kid), when.UTC().Format(time.RFC3339), lastWindow)
	case revoked == len(keys):
		return fmt.Errorf("%w: every key under kid %s is revoked", ErrRevoked, kidString(h.kid))
	case revoked > 0:
		// Say so when the message was signed by a revoked key rather than by no key at all.
		for _, k := range keys {
			if _, ok := s.revokedKeys[k.pub.k]; ok && ed25519.Verify(k.ed, tbs, m.signature) {
				return fmt.Errorf("%w: kid %s: signed by revoked key %s", ErrRevoked, kidString(h.kid), k.pub.KeyID())
			}
		}
	}
	return fmt.Errorf("%w: no trusted key under kid %s verifies the message", ErrSignature, kidString(h.kid))
}

// kidString formats a kid for an error message: hexadecimal, shortened when long.
func kidString(kid []byte) string {
	const max = 32
	if len(kid) > max {
		return hex.EncodeToString(kid[:max]) + "..."
	}
	return hex.EncodeToString(kid)
}
