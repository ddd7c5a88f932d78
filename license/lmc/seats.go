package lmc

import (
	"cmp"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// seats is the seat-lease book. One mutex guards it; every operation is short and does no I/O, so
// holding it never waits on a client. The invariant, checked by the tests after every step: for every
// part, the seats on the leases held (expired-but-not-yet-swept ones included) never exceed the
// licensed count.
type seats struct {
	now  func() time.Time
	wall bool // now is the wall clock: a caller's fresh reading of it may stand in
	ttl  time.Duration

	mu     sync.Mutex
	rng    *rand.ChaCha8
	seq    uint64
	limits map[string]int // counted parts and their licensed counts
	byID   map[string]*leaseRec
	parts  map[string]*partSeats
	tombs  map[string]tomb // revoked leases, remembered until they would have expired
}

type leaseRec struct {
	id      string
	app     string
	part    string
	n       int
	seq     uint64 // also the lease's handle, in decimal
	taken   time.Time
	expires time.Time
	peer    peer // the process that took it, when the server knows
}

type partSeats struct {
	used   int
	leases map[string]*leaseRec
}

type tomb struct {
	until time.Time
	err   error
}

func newSeats(now func() time.Time, ttl time.Duration) *seats {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (it panics itself if it cannot).
		panic("lmc: reading a random seed: " + err.Error())
	}
	return &seats{
		now:    now,
		ttl:    ttl,
		rng:    rand.NewChaCha8(seed),
		limits: map[string]int{},
		byID:   map[string]*leaseRec{},
		parts:  map[string]*partSeats{},
		tombs:  map[string]tomb{},
	}
}

// leaseInfo is what a checkout hands back: a copy, never the book's own record.
type leaseInfo struct {
	id      string
	expires time.Time
}

func (s *seats) checkout(app, part string, n int, who peer) (leaseInfo, error) {
	return s.checkoutAt(app, part, n, who, time.Time{})
}

// checkoutAt is checkout at the time now, a fresh reading of the wall clock by the caller (the
// server's, of the request's arrival), taken only when the book runs on the wall clock; the zero
// time means the book reads its clock.
func (s *seats) checkoutAt(app, part string, n int, who peer, now time.Time) (leaseInfo, error) {
	if now.IsZero() || !s.wall {
		now = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, ok := s.limits[part]
	if !ok {
		return leaseInfo{}, fmt.Errorf("%w: part %q has no counted seats", ErrNotLicensed, part)
	}
	if n > limit {
		return leaseInfo{}, fmt.Errorf("%w: part %q: %d seats requested, %d licensed", ErrNoSeats, part, n, limit)
	}
	ps := s.parts[part]
	if ps == nil {
		ps = &partSeats{leases: map[string]*leaseRec{}}
		s.parts[part] = ps
	}
	if limit-ps.used < n {
		s.sweepPart(ps, now)
		if limit-ps.used < n {
			return leaseInfo{}, fmt.Errorf("%w: part %q: %d seats requested, %d of %d free", ErrNoSeats, part, n, limit-ps.used, limit)
		}
	}
	var raw [16]byte
	_, _ = s.rng.Read(raw[:]) // never fails
	s.seq++
	rec := &leaseRec{id: hex.EncodeToString(raw[:]), app: app, part: part, n: n, seq: s.seq, taken: now, expires: now.Add(s.ttl), peer: who}
	ps.used += n
	ps.leases[rec.id] = rec
	s.byID[rec.id] = rec
	return leaseInfo{id: rec.id, expires: rec.expires}, nil
}

func (s *seats) renew(id string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rec := s.byID[id]
	if rec == nil {
		return time.Time{}, s.goneLocked(id, now)
	}
	if !now.Before(rec.expires) {
		s.dropLocked(rec)
		return time.Time{}, fmt.Errorf("%w: lease on %q expired at %s and was reclaimed", ErrLeaseLost, rec.part, rec.expires.UTC().Format(time.RFC3339))
	}
	rec.expires = now.Add(s.ttl)
	return rec.expires, nil
}

func (s *seats) release(id string) error {
	return s.releaseAt(id, time.Time{})
}

// releaseAt is release at the time now, as checkoutAt.
func (s *seats) releaseAt(id string, now time.Time) error {
	if now.IsZero() || !s.wall {
		now = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.byID[id]
	if rec == nil {
		err := s.goneLocked(id, now)
		delete(s.tombs, id)
		return err
	}
	s.dropLocked(rec)
	if !now.Before(rec.expires) {
		// Reclaimed already in all but bookkeeping: say so, as a renewal would, whether or not a
		// sweep got to it first.
		return fmt.Errorf("%w: lease on %q expired at %s and was reclaimed", ErrLeaseLost, rec.part, rec.expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// goneLocked explains why id is not held.
func (s *seats) goneLocked(id string, now time.Time) error {
	if t, ok := s.tombs[id]; ok && now.Before(t.until) {
		return t.err
	}
	return fmt.Errorf("%w: the LMC holds no lease with that id (expired, released, or the LMC restarted)", ErrLeaseLost)
}

func (s *seats) dropLocked(rec *leaseRec) {
	ps := s.parts[rec.part]
	ps.used -= rec.n
	delete(ps.leases, rec.id)
	delete(s.byID, rec.id)
}

func (s *seats) sweepPart(ps *partSeats, now time.Time) {
	for _, rec := range ps.leases {
		if !now.Before(rec.expires) {
			s.dropLocked(rec)
		}
	}
}

// sweep reclaims every expired lease and forgets tombstones past their time.
func (s *seats) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, ps := range s.parts {
		s.sweepPart(ps, now)
	}
	for id, t := range s.tombs {
		if !now.Before(t.until) {
			delete(s.tombs, id)
		}
	}
}

// setLimits installs new counts and revokes, newest first, the leases beyond each part's new count.
// It returns how many leases it revoked.
func (s *seats) setLimits(limits map[string]int, why string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = limits
	now := s.now()
	for id, t := range s.tombs {
		if !now.Before(t.until) {
			delete(s.tombs, id)
		}
	}
	revoked := 0
	for part, ps := range s.parts {
		limit := limits[part]
		if ps.used <= limit {
			continue
		}
		s.sweepPart(ps, now)
		if ps.used <= limit {
			continue
		}
		recs := make([]*leaseRec, 0, len(ps.leases))
		for _, rec := range ps.leases {
			recs = append(recs, rec)
		}
		slices.SortFunc(recs, func(a, b *leaseRec) int { return cmp.Compare(b.seq, a.seq) }) // newest first
		for _, rec := range recs {
			if ps.used <= limit {
				break
			}
			s.revokeLocked(rec, fmt.Errorf("%w: part %q now has %d licensed seats (%s)", ErrLeaseRevoked, part, limit, why))
			revoked++
		}
	}
	return revoked
}

func (s *seats) usage(part string) Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := Usage{Part: part, Count: s.limits[part]}
	ps := s.parts[part]
	if ps == nil {
		return u
	}
	s.sweepPart(ps, s.now())
	u.InUse = ps.used
	byApp := map[string]*Holder{}
	for _, rec := range ps.leases {
		h := byApp[rec.app]
		if h == nil {
			h = &Holder{App: rec.app}
			byApp[rec.app] = h
		}
		h.Seats += rec.n
		h.Leases++
	}
	for _, h := range byApp {
		u.Holders = append(u.Holders, *h)
	}
	slices.SortFunc(u.Holders, func(a, b Holder) int { return strings.Compare(a.App, b.App) })
	return u
}

// list returns every live lease, sorted by part, application and handle.
func (s *seats) list() []LeaseInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]LeaseInfo, 0, len(s.byID))
	for _, rec := range s.byID {
		if !now.Before(rec.expires) {
			continue
		}
		li := LeaseInfo{Handle: strconv.FormatUint(rec.seq, 10), App: rec.app, Part: rec.part, Seats: rec.n,
			Count: s.limits[rec.part], Taken: rec.taken, Expires: rec.expires, PID: rec.peer.pid, UID: -1}
		if rec.peer.known {
			li.UID = rec.peer.uid
		}
		out = append(out, li)
	}
	slices.SortFunc(out, func(a, b LeaseInfo) int {
		return cmp.Or(strings.Compare(a.Part, b.Part), strings.Compare(a.App, b.App), cmp.Compare(len(a.Handle), len(b.Handle)),
			strings.Compare(a.Handle, b.Handle))
	})
	return out
}

// revokeLocked drops rec and leaves a tombstone, so that its holder learns at its next renewal
// that the lease was revoked, and why.
func (s *seats) revokeLocked(rec *leaseRec, why error) {
	s.dropLocked(rec)
	s.tombs[rec.id] = tomb{until: rec.expires, err: why}
}

// revokeHandle revokes the live lease whose handle is handle.
func (s *seats) revokeHandle(handle string) error {
	seq, err := strconv.ParseUint(handle, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: lease handle %q is not a number", ErrBadRequest, handle)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, rec := range s.byID {
		if rec.seq == seq && now.Before(rec.expires) {
			s.revokeLocked(rec, fmt.Errorf("%w: the administrator revoked the lease (handle %s) on %q", ErrLeaseRevoked, handle, rec.part))
			return nil
		}
	}
	return fmt.Errorf("%w: no live lease has handle %s", ErrLeaseLost, handle)
}

// revokeApp revokes every live lease of app (of part only, when part is not empty) and returns how
// many it revoked.
func (s *seats) revokeApp(app, part string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, rec := range s.byID {
		if rec.app == app && (part == "" || rec.part == part) && now.Before(rec.expires) {
			s.revokeLocked(rec, fmt.Errorf("%w: the administrator revoked the leases of %q on %q", ErrLeaseRevoked, app, rec.part))
			n++
		}
	}
	return n
}
