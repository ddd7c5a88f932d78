package lmc

import "errors"

// Errors a caller acts on. Every error the LMC returns that matches one of these wraps it with detail
// (the part, the counts, the codes involved); match with [errors.Is]. Errors that cross the socket keep
// their identity: a [Conn] returns errors that match the same sentinels as the in-process [LMC].
var (
	// ErrNotLicensed: the part is not in any active license file.
	ErrNotLicensed = errors.New("lmc: part not licensed")
	// ErrNotCounted: the part is licensed but is not a counted part, so it has no seats to lease.
	ErrNotCounted = errors.New("lmc: part is not counted")
	// ErrNoSeats: every seat of the part is out (or more were asked for than are licensed).
	ErrNoSeats = errors.New("lmc: no free seats")
	// ErrLeaseLost: the LMC does not hold this lease: it expired and was reclaimed, was released, or the
	// LMC restarted. The holder must stop using the seats and may check out again.
	ErrLeaseLost = errors.New("lmc: lease lost")
	// ErrLeaseRevoked: the licensed count dropped (a file was removed or expired) and this lease was
	// beyond the new count. The holder must stop using the seats.
	ErrLeaseRevoked = errors.New("lmc: lease revoked")
	// ErrHostChanged: the PBX reports a different key code than the installed files are bound to (a CPU
	// replacement). New checkouts are refused until files for the new code are installed.
	ErrHostChanged = errors.New("lmc: host key code changed")
	// ErrNoHostCode: the LMC has never learned its host code (the source is unreachable and nothing is
	// remembered), so it cannot say which code files must be bound to.
	ErrNoHostCode = errors.New("lmc: host key code unknown")
	// ErrBadRequest: an argument is out of range or malformed (an empty part, a seat count below 1, a
	// frame that does not decode).
	ErrBadRequest = errors.New("lmc: bad request")
	// ErrUnauthorized: a connection presented a wrong or missing token, or a PBX answer failed its
	// challenge-response check.
	ErrUnauthorized = errors.New("lmc: unauthorized")
	// ErrUnavailable: the LMC (or the PBX, for a source) could not be reached or went away mid-call.
	ErrUnavailable = errors.New("lmc: unavailable")
	// ErrNotInstalled: Remove of a serial that is not installed.
	ErrNotInstalled = errors.New("lmc: no such file installed")
	// ErrClosed: the client or server was closed by its owner.
	ErrClosed = errors.New("lmc: closed")
	// ErrNotSupported: the LMC at the other end of a [Conn] speaks an older protocol that does not
	// have the operation (see [ServerInfo]), or the client a [Server] serves cannot administer.
	ErrNotSupported = errors.New("lmc: not supported")
	// ErrBadSource: the [Source] is misconfigured in a way waiting will not cure: a code with no LMC
	// form (an SV8100 code, say), a static source without a code, a PBX source without its URL or
	// pinned key. [Open] fails with it.
	ErrBadSource = errors.New("lmc: misconfigured source")
)
