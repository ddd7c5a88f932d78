package signing

import "errors"

// Sentinel errors for the outcomes a caller acts on. Errors returned by this package wrap one of these
// with detail; match them with [errors.Is]. The message text is not API.
var (
	// ErrMalformed reports bytes that are not a well-formed COSE_Sign1 message (or armor, or PEM key)
	// within this package's limits: truncated, oversized, wrong CBOR types or tag, extra elements,
	// indefinite lengths, duplicate or misplaced header labels, an unknown critical header.
	ErrMalformed = errors.New("signing: malformed")

	// ErrUnknownKey reports a message whose key id names no trusted key, or that carries no key id.
	ErrUnknownKey = errors.New("signing: unknown key")

	// ErrRevoked reports a message whose key id, or every key filed under it, has been revoked.
	ErrRevoked = errors.New("signing: key revoked")

	// ErrAlgorithm reports a protected header whose algorithm is missing or is not one the trusted key
	// can verify.
	ErrAlgorithm = errors.New("signing: algorithm mismatch")

	// ErrSignature reports a signature that does not hold for any trusted key under the message's key
	// id, including an empty signature or one of the wrong length.
	ErrSignature = errors.New("signing: bad signature")

	// ErrOutsideWindow reports a message whose signature holds, but whose signing time (as reported by
	// [VerifyOptions.SigningTime]) lies outside the validity window of every key that verified it.
	ErrOutsideWindow = errors.New("signing: signing time outside the key's validity window")
)
