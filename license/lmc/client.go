package lmc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
// concurrent use. The methods of a nil *Lease (what a failed checkout returns) do not panic: the
// accessors return zero values and Renew, Release and KeepAlive an error matching [ErrBadRequest].
type Lease struct {
	owner Client
	id    string
	app   string
	part  string
	n     int
	ttl   time.Duration // the LMC's lease TTL; 0 when it did not say

	// For KeepAlive: the clock (nil means time.Now) and the timer (nil means a real one); tests set
	// them.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	expires time.Time
}

func newLease(owner Client, id, app, part string, n int, expires time.Time) *Lease {
	return &Lease{owner: owner, id: id, app: app, part: part, n: n, expires: expires}
}

var errNilLease = fmt.Errorf("%w: no lease (the checkout that was to make it failed)", ErrBadRequest)

// ID returns the lease's bearer id ("" for a nil Lease).
func (l *Lease) ID() string {
	if l == nil {
		return ""
	}
	return l.id
}

// App returns the application the lease was taken for.
func (l *Lease) App() string {
	if l == nil {
		return ""
	}
	return l.app
}

// Part returns the part number whose seats the lease holds.
func (l *Lease) Part() string {
	if l == nil {
		return ""
	}
	return l.part
}

// Seats returns how many seats the lease holds (0 for a nil Lease).
func (l *Lease) Seats() int {
	if l == nil {
		return 0
	}
	return l.n
}

// Expires returns when the lease lapses unless renewed (the LMC's clock).
func (l *Lease) Expires() time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

// Renew extends the lease by one TTL. An error wrapping [ErrLeaseRevoked] or [ErrLeaseLost] means the
// seats are no longer held and the application must stop using them; [ErrUnavailable] means the LMC
// could not be asked and the lease stands until [Lease.Expires].
func (l *Lease) Renew(ctx context.Context) error {
	if l == nil {
		return errNilLease
	}
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
	if l == nil {
		return errNilLease
	}
	return l.owner.ReleaseLease(ctx, l.id)
}

// KeepAlive renews the lease in the background until ctx ends, so that an application keeps its
// seats without a renewal loop of its own. It renews at a third of the lease's TTL, each wait
// drawn at random within 10 % of that so that many applications do not renew in step; a renewal
// that cannot reach the LMC ([ErrUnavailable]) is tried again every twelfth of the TTL while the
// lease stands.
//
// The channel receives at most one error and is then closed: the lease is lost, and the
// application must stop using its seats. The error matches [ErrLeaseRevoked] (the count dropped or
// the administrator revoked it) or [ErrLeaseLost] (it was reclaimed, or the LMC restarted, or the
// LMC could not be reached before the lease expired; then it matches [ErrUnavailable] too). When
// ctx ends the channel is closed with no error; the lease is neither released nor renewed again
// (call [Lease.Release] to give the seats back). Call KeepAlive once per lease; on a nil Lease the
// channel holds an error matching [ErrBadRequest].
func (l *Lease) KeepAlive(ctx context.Context) <-chan error {
	ch := make(chan error, 1)
	if l == nil {
		ch <- errNilLease
		close(ch)
		return ch
	}
	go l.keepAlive(ctx, ch)
	return ch
}

// keepAliveJitter is the spread of the waits between renewals: ±10 %.
const keepAliveJitter = 0.1

func (l *Lease) keepAlive(ctx context.Context, ch chan<- error) {
	defer close(ch)
	now, after := l.now, l.after
	if now == nil {
		now = time.Now
	}
	if after == nil {
		t := time.NewTimer(time.Hour)
		t.Stop()
		defer t.Stop()
		after = func(d time.Duration) <-chan time.Time {
			t.Reset(d) // since Go 1.23, Reset leaves no stale tick in the channel
			return t.C
		}
	}
	ttl := l.ttl
	if ttl <= 0 {
		// An LMC of protocol version 1 does not say its TTL; the expiry it gave says about as much.
		ttl = min(max(time.Until(l.Expires()), time.Second), time.Hour)
	}
	deadline := now().Add(ttl) // the lease stands at least until then, on this process's clock
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	wait := jittered(ttl/3, rng)
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
		if ctx.Err() != nil {
			return
		}
		start := now()
		rctx, cancel := context.WithDeadline(ctx, deadline)
		err := l.Renew(rctx)
		cancel()
		switch {
		case err == nil:
			deadline, lastErr = start.Add(ttl), nil
			wait = jittered(ttl/3, rng)
			continue
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrLeaseRevoked), errors.Is(err, ErrLeaseLost), errors.Is(err, ErrBadRequest), errors.Is(err, ErrClosed):
			ch <- err
			return
		}
		lastErr = err
		left := deadline.Sub(now())
		if left <= 0 {
			ch <- fmt.Errorf("%w: the LMC could not be reached before the lease expired: %w", ErrLeaseLost, lastErr)
			return
		}
		wait = min(jittered(ttl/12, rng), left)
	}
}

func jittered(d time.Duration, rng *rand.Rand) time.Duration {
	return time.Duration(float64(d) * (1 - keepAliveJitter + 2*keepAliveJitter*rng.Float64()))
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
