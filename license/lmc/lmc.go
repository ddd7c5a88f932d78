package lmc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// Config configures [Open]. Dir, Source and Keyring are required.
type Config struct {
	// Dir is the LMC's directory: it holds the installed files (licenses/), the host codes last seen
	// (host) and, for UIP, the generated code (uip-code). Created with mode 0700 if missing.
	Dir string
	// Source tells the LMC its host's key code.
	Source Source
	// Keyring holds the vendor keys license files must be signed with.
	Keyring *signing.Keyring
	// Clock returns the current time; nil means time.Now. Lease TTLs and fixed-term files run on it.
	Clock func() time.Time
	// LeaseTTL is how long a lease lives unless renewed. Zero means 2 minutes; applications renew at
	// a third of it.
	LeaseTTL time.Duration
	// RefreshInterval is how often [LMC.Run] asks the source again. Zero means 1 minute.
	RefreshInterval time.Duration
	// SourceTimeout bounds one question to the source. Zero means 5 seconds.
	SourceTimeout time.Duration
}

// DefaultLeaseTTL is the lease TTL when [Config.LeaseTTL] is zero.
const DefaultLeaseTTL = 2 * time.Minute

// MaxFiles is the most license files an LMC holds at once.
const MaxFiles = 256

// An LMC is the License Management Client of one machine: it learns its host code from a [Source],
// holds the application license files bound to its LMC code, answers feature checks and hands out
// seat leases. It implements [Client]; serve it to other processes with [NewServer]. All methods
// are safe for concurrent use. Has, Count and Version read an immutable snapshot with one atomic
// load and never wait (while a fixed-term file is active they also read the clock, and the first
// call after the file starts or ends rebuilds the snapshot).
type LMC struct {
	cfg   Config
	now   func() time.Time
	seats *seats
	g     atomic.Pointer[grant]

	mu          sync.Mutex // the slow path: refresh, install, remove, term changes
	files       []*installed
	observed    keycode.Code // the host code last learned (from the source or remembered)
	bound       keycode.Code // the LMC code the active files are bound to
	reachable   bool
	lastContact time.Time
	sourceErr   string
	revoked     int // leases revoked by count changes, ever
}

// grant is the immutable snapshot readers use.
type grant struct {
	set         license.Set
	until       time.Time    // when the snapshot next changes by itself; zero: never
	timed       bool         // until is set: readers must look at the clock
	hostChanged bool         // new checkouts refused
	code        keycode.Code // the LMC code of the host as last seen
	bound       keycode.Code // the LMC code the active files are bound to
	active      int
}

// Open opens the LMC in cfg.Dir: it loads the installed files and the host codes remembered there,
// asks the source once and publishes the grant. A file in the directory that no longer verifies is
// kept out of the grant and listed by [LMC.Files] with its error.
//
// A misconfigured source fails Open with an error matching [ErrBadSource]: a static source without a
// code, a PBX source without its URL or pinned key, or a source whose code has no LMC form (the LMC
// never serves from a silently empty code). A source that cannot be reached is not an error: the
// LMC serves what it has, and [LMC.Status] reports the source's error from the start (Reachable
// false, SourceError set).
func Open(ctx context.Context, cfg Config) (*LMC, error) {
	if cfg.Dir == "" || cfg.Source == nil || cfg.Keyring == nil {
		return nil, errors.New("lmc: open: Dir, Source and Keyring are required")
	}
	if c, ok := cfg.Source.(checker); ok {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("lmc: open: %w", err)
		}
	}
	wall := cfg.Clock == nil
	if wall {
		cfg.Clock = time.Now
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = time.Minute
	}
	if cfg.SourceTimeout <= 0 {
		cfg.SourceTimeout = 5 * time.Second
	}
	l := &LMC{cfg: cfg, now: cfg.Clock, seats: newSeats(cfg.Clock, cfg.LeaseTTL)}
	l.seats.wall = wall
	if err := l.load(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.rebuildLocked(l.now(), "opened")
	l.mu.Unlock()
	if err := l.Refresh(ctx); errors.Is(err, ErrBadSource) {
		return nil, fmt.Errorf("lmc: open: %w", err)
	} // an unreachable source is reported by Status
	return l, nil
}

// Refresh asks the source for the host code, records the answer (or why there was none), re-evaluates
// the files at the current time and reclaims expired leases. It returns the source's error, if
// any; the LMC keeps serving either way.
func (l *LMC) Refresh(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, l.cfg.SourceTimeout)
	code, err := l.cfg.Source.HostCode(sctx)
	cancel()
	if err == nil && code.IsZero() {
		err = errNoSourceCode
	}
	if err == nil {
		if _, lerr := lmcCodeOf(code); lerr != nil {
			err = lerr
		}
	}
	now := l.now()
	l.mu.Lock()
	var saveErr error
	if err != nil {
		l.reachable, l.sourceErr = false, err.Error()
	} else {
		l.reachable, l.lastContact, l.sourceErr = true, now, ""
		if code != l.observed {
			l.observed = code
			saveErr = l.saveHostLocked()
		}
	}
	saveErr = errors.Join(saveErr, l.rebuildLocked(now, "refreshed"))
	l.mu.Unlock()
	l.seats.sweep()
	if err != nil {
		return err
	}
	return saveErr
}

// Run refreshes every RefreshInterval, and at the moment a fixed-term file starts or ends, until ctx
// is cancelled; it then returns ctx's error. Waits are on the wall clock.
func (l *LMC) Run(ctx context.Context) error {
	for {
		l.Refresh(ctx)
		wait := l.cfg.RefreshInterval
		if u := l.g.Load().until; !u.IsZero() {
			if d := u.Sub(l.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// current returns the grant, re-evaluating it first if a fixed-term file started or ended since it
// was made. Only a grant with a fixed-term file in it pays for the clock read.
func (l *LMC) current() *grant {
	if g := l.g.Load(); !g.timed {
		return g
	}
	return l.currentSlow()
}

func (l *LMC) currentSlow() *grant {
	g := l.g.Load()
	now := l.now()
	if now.Before(g.until) {
		return g
	}
	l.mu.Lock()
	if g = l.g.Load(); !g.until.IsZero() && !now.Before(g.until) {
		l.rebuildLocked(now, "a fixed-term file started or ended")
		g = l.g.Load()
	}
	l.mu.Unlock()
	return g
}

// Has implements [Client]. It never fails; a fixed-term file counts until the moment it ends.
func (l *LMC) Has(_ context.Context, part string) (bool, error) {
	g := l.g.Load()
	if g.timed {
		g = l.currentSlow()
	}
	return g.set.Has(part), nil
}

// Count implements [Client]. It never fails; a fixed-term file counts until the moment it ends.
func (l *LMC) Count(_ context.Context, part string) (int, error) {
	g := l.g.Load()
	if g.timed {
		g = l.currentSlow()
	}
	return g.set.Count(part), nil
}

// Version implements [Client]. It never fails; a fixed-term file counts until the moment it ends.
func (l *LMC) Version(_ context.Context, part string) (int, error) {
	g := l.g.Load()
	if g.timed {
		g = l.currentSlow()
	}
	return g.set.Version(part), nil
}

// Checkout implements [Client]. It refuses with [ErrHostChanged] while the host reports another code
// than the active files are bound to, [ErrNotLicensed] or [ErrNotCounted] for parts without seats,
// [ErrNoSeats] when too few are free, and [ErrBadRequest] for an empty or overlong name or a seat
// count outside 1..1048576.
func (l *LMC) Checkout(ctx context.Context, app, part string, n int) (*Lease, error) {
	li, err := l.checkout(ctx, app, part, n, time.Time{})
	if err != nil {
		return nil, err
	}
	ls := newLease(l, li.id, app, part, n, li.expires)
	ls.ttl, ls.now = l.cfg.LeaseTTL, l.now
	return ls, nil
}

// checkout is Checkout without the Lease, for the server, which may give its reading of the wall
// clock (see seats.checkoutAt); zero means none.
func (l *LMC) checkout(ctx context.Context, app, part string, n int, now time.Time) (leaseInfo, error) {
	if err := checkName("application", app); err != nil {
		return leaseInfo{}, err
	}
	if err := checkName("part", part); err != nil {
		return leaseInfo{}, err
	}
	if err := checkSeats(n); err != nil {
		return leaseInfo{}, err
	}
	return l.checkoutChecked(ctx, app, part, n, now)
}

// checkoutChecked is checkout of arguments already checked (the server checks every request's).
func (l *LMC) checkoutChecked(ctx context.Context, app, part string, n int, now time.Time) (leaseInfo, error) {
	if err := ctx.Err(); err != nil {
		return leaseInfo{}, err
	}
	g := l.current()
	if g.hostChanged {
		return leaseInfo{}, fmt.Errorf("%w: the host now has LMC code %s but the installed files are for %s; install files for the new code",
			ErrHostChanged, g.code, g.bound)
	}
	switch g.set.Kind(part) {
	case 0:
		return leaseInfo{}, fmt.Errorf("%w: %q", ErrNotLicensed, part)
	case license.Count:
	default:
		return leaseInfo{}, fmt.Errorf("%w: %q is a %s part", ErrNotCounted, part, g.set.Kind(part))
	}
	return l.seats.checkoutAt(app, part, n, peerFrom(ctx), now)
}

// RenewLease implements [Client].
func (l *LMC) RenewLease(_ context.Context, id string) (time.Time, error) {
	if err := checkLeaseID(id); err != nil {
		return time.Time{}, err
	}
	l.current()
	return l.seats.renew(id)
}

// ReleaseLease implements [Client].
func (l *LMC) ReleaseLease(_ context.Context, id string) error {
	if err := checkLeaseID(id); err != nil {
		return err
	}
	return l.seats.release(id)
}

// Usage implements [Client].
func (l *LMC) Usage(_ context.Context, part string) (Usage, error) {
	if err := checkName("part", part); err != nil {
		return Usage{}, err
	}
	l.current()
	return l.seats.usage(part), nil
}

// Status implements [Client].
func (l *LMC) Status(context.Context) (Status, error) {
	g := l.current()
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{
		HostCode:    codeString(l.observed),
		Bound:       codeString(g.bound),
		Code:        codeString(g.code),
		Reachable:   l.reachable,
		LastContact: l.lastContact,
		SourceError: l.sourceErr,
		HostChanged: g.hostChanged,
		Files:       len(l.files),
		Active:      g.active,
		Until:       g.until,
	}
	return st, nil
}

// Code returns the LMC code application files must be bound to (the zero Code if the host code was
// never learned): what the user enters as the hardware key code of the location in the license server.
func (l *LMC) Code() keycode.Code { return l.g.Load().code }

func codeString(c keycode.Code) string {
	if c.IsZero() {
		return ""
	}
	return c.String()
}

func limitsOf(s license.Set) map[string]int {
	m := map[string]int{}
	for _, p := range s.Parts() {
		if s.Kind(p) == license.Count {
			m[p] = s.Count(p)
		}
	}
	return m
}
