package entitlement

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every refusal wraps one of them with what was refused and where; match with
// errors.Is. A refused operation changes nothing.
var (
	// ErrNotAllowed: the acting user may not do this (role, partner scope, allowance).
	ErrNotAllowed = errors.New("entitlement: not allowed")
	// ErrNotFound: the named partner, user, customer, location, line or order does not exist,
	// or (for a partner's user) belongs to another partner, which is told apart from nothing.
	ErrNotFound = errors.New("entitlement: not found")
	// ErrExists: the thing being created exists already (a location for the HWKC, an order, a user).
	ErrExists = errors.New("entitlement: already exists")
	// ErrInvalid: a malformed request (empty name, bad HWKC, negative quantity, unknown part).
	ErrInvalid = errors.New("entitlement: invalid request")
	// ErrQuantity: more was asked than is available in the bin or attached.
	ErrQuantity = errors.New("entitlement: quantity not available")
	// ErrAgreement: activation without the accepted license agreement.
	ErrAgreement = errors.New("entitlement: license agreement not accepted")
	// ErrNoDemo: the location has no demo licenses left, or its system has none.
	ErrNoDemo = errors.New("entitlement: no demo license available")
	// ErrState: the operation does not fit the current state (detach an activated line, activate
	// with nothing attached, download before any file was issued).
	ErrState = errors.New("entitlement: wrong state")
	// ErrRule: a per-system rule refused the operation (see [Rules]).
	ErrRule = errors.New("entitlement: system rule")
	// ErrCorrupt: stored data failed to decode or an integrity check (audit chain, conservation)
	// failed.
	ErrCorrupt = errors.New("entitlement: ledger integrity")
	// ErrAuth: an API token is unknown, malformed, revoked or expired, or its user no longer
	// exists ([Ledger.Authenticate]). The message never says which, nor quotes the token.
	ErrAuth = errors.New("entitlement: not authenticated")
	// ErrKeyReused: an idempotency key came back with a different request ([Ledger.Idempotent]).
	ErrKeyReused = errors.New("entitlement: idempotency key reused for another request")
)

func notAllowed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrNotAllowed, fmt.Sprintf(format, a...))
}

func wrapf(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, a...))
}
