package swa

import (
	"errors"
	"fmt"
)

// Sentinel errors of the Software Assurance book. Refusals that the ledger already names wrap the
// ledger's sentinels instead: entitlement.ErrNotAllowed (an SWA role, the shipping allowance, the
// administrator), entitlement.ErrNotFound (a location, customer or shipment that is not the
// actor's), entitlement.ErrInvalid (a malformed request), entitlement.ErrQuantity (too few units in
// the bin), entitlement.ErrState (an operation that does not fit the location's SWA state: a
// pending assignment, an active agreement, a settled assignment to cancel) and
// entitlement.ErrAgreement (a free-of-charge activation without the accepted license agreement).
// Match with errors.Is; a refused operation changes nothing.
var (
	// ErrNoTerms: a location's SWA-eligible product has no product terms table (or none for its
	// activation date), so no quote can be made. The terms table is data the vendor supplies
	// ([ParseTerms]); the book never guesses a price.
	ErrNoTerms = errors.New("swa: no product terms")
	// ErrTerms: a product terms table is malformed or does not fit the ledger's catalog.
	ErrTerms = errors.New("swa: invalid product terms")
	// ErrUnauthorized: an assignment or renewal without the explicit authorisation that units are
	// drawn from the SWA units bin (the guide's checkbox).
	ErrUnauthorized = errors.New("swa: units not authorised")
	// ErrQuote: a renewal whose quote failed for a selected location or as a whole (the reasons
	// are in the message and in [RenewalQuote]).
	ErrQuote = errors.New("swa: quote failed")
)

func wrapf(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, a...))
}
