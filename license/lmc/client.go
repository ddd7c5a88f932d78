package lmc

import (
	"context"
	"sync"
	"time"
)

// Client is what an application uses to ask the LMC about its licenses. The in-process [*LMC] and the
// [*Conn] returned by [Dial] both implement it, with the same meaning and the same errors, so an
// application can be written once and pointed at either.
type Client interface {
	// Has reports whether the part is in the active grant (any kind: counted, version or flag).
	Has(ctx context.Context, part string) (bool, error)
	// Count returns the licensed quantity of a counted part (0 when absent or not counted).
	Count(ctx context.Context, part string) (int, error)
	// Version returns the highest licensed version of a version part (0 when absent).
	Version(ctx context.Context, part string) (int, error)
	// Checkout takes n seats of a counted part for the application app and returns the lease that
	// holds them. The lease must be renewed within its TTL or its seats are reclaimed.
	Checkout(ctx context.Context, app, part string, n int) (*Lease, error)
	// RenewLease extends the lease with the given id by one TTL and returns the new expiry.
	// [Lease.Renew] calls it; servers use it directly.
	RenewLease(ctx context.Context, id string) (time.Time, error)
	// ReleaseLease returns the lease's seats at once. [Lease.Release] calls it.
	ReleaseLease(ctx context.Context, id string) error
	// Usage reports who holds the seats of a counted part.
	Usage(ctx context.Context, part string) (Usage, error)
	// Status reports the LMC's codes, whether its source answers, and whether the host changed.
	Status(ctx context.Context) (Status, error)
}

// A Lease holds seats of one counted part for one application. Its id is a random 128-bit bearer
// value: whoever knows it can renew or release the lease, so do not log it. A Lease is safe for
// concurrent use.
type Lease struct {
	owner Client
	id    string
	app   string
	part  string
	n     int

	mu      sync.Mutex
	expires time.Time
}

func newLease(owner Client, id, app, part string, n int, expires time.Time) *Lease {
	return &Lease{owner: owner, id: id, app: app, part: part, n: n, expires: expires}
}

// ID returns the lease's bearer id.
func (l *Lease) ID() string { return l.id }

// App returns the application the lease was taken for.
func (l *Lease) App() string { return l.app }

// Part returns the part number whose seats the lease holds.
func (l *Lease) Part() string { return l.part }

// Seats returns how many seats the lease holds.
func (l *Lease) Seats() int { return l.n }

// Expires returns when the lease lapses unless renewed (the LMC's clock).
func (l *Lease) Expires() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

// Renew extends the lease by one TTL. An error wrapping [ErrLeaseRevoked] or [ErrLeaseLost] means the
// seats are no longer held and the application must stop using them; [ErrUnavailable] means the LMC
// could not be asked and the lease stands until [Lease.Expires].
func (l *Lease) Renew(ctx context.Context) error {
	exp, err := l.owner.RenewLease(ctx, l.id)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.expires = exp
	l.mu.Unlock()
	return nil
}

// Release returns the lease's seats. Releasing a lease the LMC no longer holds returns an error wrapping
// [ErrLeaseLost] (or [ErrLeaseRevoked]); the seats are not held either way.
func (l *Lease) Release(ctx context.Context) error {
	return l.owner.ReleaseLease(ctx, l.id)
}

// Usage is who holds the seats of one counted part.
type Usage struct {
	Part    string   // the part number
	Count   int      // licensed seats
	InUse   int      // seats out on live leases
	Holders []Holder // one entry per application, sorted by App
}

// Holder is what one application holds of a part.
type Holder struct {
	App    string // the application name given at checkout
	Seats  int    // seats held over all its leases
	Leases int    // number of leases
}

// Status is the LMC's view of its host and its files.
type Status struct {
	// Code is the LMC code (the `LM…` or `LMIS…` form, or the UIP code) that application license files
	// must be bound to: what the user enters as the location's hardware key code in the license server.
	// Empty when the host code was never learned.
	Code string
	// HostCode is the host key code last read from the source (the PBX's HWKC, or the UIP code).
	HostCode string
	// Bound is the LMC code the active files are bound to; it differs from Code after a host change
	// until files for the new code are installed.
	Bound string
	// Reachable is whether the last read from the source succeeded.
	Reachable bool
	// LastContact is when the source last answered (zero if never in this process).
	LastContact time.Time
	// SourceError says why the last read from the source failed ("" when it did not).
	SourceError string
	// HostChanged is set when the source reports another code than the active files are bound to;
	// checkouts fail with [ErrHostChanged] while it is set.
	HostChanged bool
	// Files is the number of installed files; Active how many of them the grant is built from.
	Files, Active int
	// Until is when the grant next changes by itself (the earliest end of an active fixed-term file);
	// zero if never.
	Until time.Time
}

// Both implementations answer to the same interface.
var (
	_ Client = (*LMC)(nil)
	_ Client = (*Conn)(nil)
)
