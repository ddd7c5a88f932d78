package lmc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock the test moves by hand; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// checkInvariant verifies the book from scratch: the per-part totals match the leases, no part has
// more seats out than licensed, and every lease is filed under its part.
func (s *seats) checkInvariant() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := 0
	for part, ps := range s.parts {
		sum := 0
		for id, rec := range ps.leases {
			if s.byID[id] != rec || rec.part != part {
				return fmt.Errorf("lease %s misfiled", id)
			}
			sum += rec.n
			seen++
		}
		if sum != ps.used {
			return fmt.Errorf("part %s: used %d, leases sum to %d", part, ps.used, sum)
		}
		if limit := s.limits[part]; ps.used > limit {
			return fmt.Errorf("part %s: %d seats out, %d licensed", part, ps.used, limit)
		}
	}
	if seen != len(s.byID) {
		return fmt.Errorf("%d leases filed by part, %d by id", seen, len(s.byID))
	}
	return nil
}

func TestSeats(t *testing.T) {
	const ttl = time.Minute
	type step struct {
		do      string // checkout, renew, release, advance, limits, usage
		lease   int    // index into the leases taken so far
		app     string
		part    string
		n       int
		d       time.Duration
		limits  map[string]int
		wantErr error
		want    *Usage
	}
	tests := []struct {
		name  string
		why   string
		steps []step
	}{
		{
			name: "fill and refuse",
			why:  "seats are handed out up to the count and not one more",
			steps: []step{
				{do: "checkout", app: "MA4000", part: "P", n: 3},
				{do: "checkout", app: "BCT", part: "P", n: 2},
				{do: "checkout", app: "BCT", part: "P", n: 1, wantErr: ErrNoSeats},
				{do: "usage", part: "P", want: &Usage{Part: "P", Count: 5, InUse: 5, Holders: []Holder{{"BCT", 2, 1}, {"MA4000", 3, 1}}}},
			},
		},
		{
			name: "unknown part",
			why:  "a part with no counted seats cannot be leased",
			steps: []step{
				{do: "checkout", app: "A", part: "NOPE", n: 1, wantErr: ErrNotLicensed},
			},
		},
		{
			name: "more than licensed",
			why:  "asking for more than the whole count is refused even when nothing is out",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 6, wantErr: ErrNoSeats},
			},
		},
		{
			name: "release frees",
			why:  "released seats go back at once; a second release says the lease is gone",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 5},
				{do: "release", lease: 0},
				{do: "release", lease: 0, wantErr: ErrLeaseLost},
				{do: "checkout", app: "B", part: "P", n: 5},
			},
		},
		{
			name: "renew keeps alive",
			why:  "a lease renewed within its TTL is never reclaimed",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 5},
				{do: "advance", d: ttl - time.Second},
				{do: "renew", lease: 0},
				{do: "advance", d: ttl - time.Second},
				{do: "checkout", app: "B", part: "P", n: 1, wantErr: ErrNoSeats},
				{do: "renew", lease: 0},
			},
		},
		{
			name: "ttl reclaim on demand",
			why:  "a lease not renewed within its TTL gives its seats to the next checkout",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 5},
				{do: "advance", d: ttl},
				{do: "checkout", app: "B", part: "P", n: 5},
				{do: "renew", lease: 0, wantErr: ErrLeaseLost},
			},
		},
		{
			name: "ttl expiry on renew",
			why:  "renewing at or after the expiry is too late, to the nanosecond",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 1},
				{do: "advance", d: ttl},
				{do: "renew", lease: 0, wantErr: ErrLeaseLost},
				{do: "usage", part: "P", want: &Usage{Part: "P", Count: 5}},
			},
		},
		{
			name: "revoke newest first",
			why:  "when the count drops, the leases taken last go first and their holders learn on renew",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 2},
				{do: "checkout", app: "B", part: "P", n: 2},
				{do: "checkout", app: "C", part: "P", n: 1},
				{do: "limits", limits: map[string]int{"P": 2}},
				{do: "usage", part: "P", want: &Usage{Part: "P", Count: 2, InUse: 2, Holders: []Holder{{"A", 2, 1}}}},
				{do: "renew", lease: 0},
				{do: "renew", lease: 1, wantErr: ErrLeaseRevoked},
				{do: "renew", lease: 2, wantErr: ErrLeaseRevoked},
				{do: "checkout", app: "D", part: "P", n: 1, wantErr: ErrNoSeats},
			},
		},
		{
			name: "revocation is forgotten after the lease would have expired",
			why:  "tombstones are bounded in time; afterwards the lease is simply lost",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 2},
				{do: "limits", limits: map[string]int{}},
				{do: "renew", lease: 0, wantErr: ErrLeaseRevoked},
				{do: "advance", d: ttl},
				{do: "renew", lease: 0, wantErr: ErrLeaseLost},
			},
		},
		{
			name: "count raised",
			why:  "raising the count revokes nothing and opens seats",
			steps: []step{
				{do: "checkout", app: "A", part: "P", n: 5},
				{do: "limits", limits: map[string]int{"P": 7}},
				{do: "renew", lease: 0},
				{do: "checkout", app: "B", part: "P", n: 2},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock(t0)
			s := newSeats(clk.Now, ttl)
			s.setLimits(map[string]int{"P": 5}, "test")
			var ids []string
			for i, st := range tc.steps {
				var err error
				switch st.do {
				case "checkout":
					var li leaseInfo
					li, err = s.checkout(st.app, st.part, st.n, peer{})
					if err == nil {
						ids = append(ids, li.id)
						if want := clk.Now().Add(ttl); !li.expires.Equal(want) {
							t.Fatalf("step %d: expires %v, want %v", i, li.expires, want)
						}
					}
				case "renew":
					_, err = s.renew(ids[st.lease])
				case "release":
					err = s.release(ids[st.lease])
				case "advance":
					clk.Advance(st.d)
				case "limits":
					s.setLimits(st.limits, "test")
				case "usage":
					if diff := cmp.Diff(*st.want, s.usage(st.part)); diff != "" {
						t.Fatalf("step %d (%s): usage (-want +got):\n%s", i, tc.why, diff)
					}
				}
				if !errors.Is(err, st.wantErr) || (err == nil) != (st.wantErr == nil) {
					t.Fatalf("step %d %s (%s): err %v, want %v", i, st.do, tc.why, err, st.wantErr)
				}
				if err := s.checkInvariant(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
		})
	}
}

// TestSeatsRandomConcurrent runs randomized sequences of every operation from many goroutines at once,
// including count changes and clock moves, and checks the invariant after every step.
func TestSeatsRandomConcurrent(t *testing.T) {
	const (
		workers = 16
		steps   = 400
		ttl     = time.Minute
	)
	clk := newFakeClock(t0)
	s := newSeats(clk.Now, ttl)
	s.setLimits(map[string]int{"P1": 10, "P2": 3}, "start")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var mine []string
			for i := range steps {
				switch k := rng.IntN(100); {
				case k < 40:
					part := []string{"P1", "P2", "P3"}[rng.IntN(3)]
					li, err := s.checkout(fmt.Sprintf("app%d", w%4), part, 1+rng.IntN(3), peer{})
					if err == nil {
						mine = append(mine, li.id)
					} else if !errors.Is(err, ErrNoSeats) && !errors.Is(err, ErrNotLicensed) {
						errs <- fmt.Errorf("worker %d step %d: checkout: %v", w, i, err)
						return
					}
				case k < 60 && len(mine) > 0:
					_, err := s.renew(mine[rng.IntN(len(mine))])
					if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
						errs <- fmt.Errorf("worker %d step %d: renew: %v", w, i, err)
						return
					}
				case k < 80 && len(mine) > 0:
					j := rng.IntN(len(mine))
					err := s.release(mine[j])
					if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
						errs <- fmt.Errorf("worker %d step %d: release: %v", w, i, err)
						return
					}
					mine = append(mine[:j], mine[j+1:]...)
				case k < 85:
					clk.Advance(time.Duration(rng.IntN(30)) * time.Second)
				case k < 90:
					s.setLimits(map[string]int{"P1": rng.IntN(12), "P2": rng.IntN(5), "P3": rng.IntN(2)}, "random")
				case k < 95:
					s.usage("P1")
				default:
					s.sweep()
				}
				if err := s.checkInvariant(); err != nil {
					errs <- fmt.Errorf("worker %d step %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSeatsSweep(t *testing.T) {
	clk := newFakeClock(t0)
	s := newSeats(clk.Now, time.Minute)
	s.setLimits(map[string]int{"P": 5}, "start")
	li, err := s.checkout("A", "P", 2, peer{})
	if err != nil {
		t.Fatal(err)
	}
	s.checkout("B", "P", 1, peer{})
	s.setLimits(map[string]int{"P": 2}, "drop") // B's lease is revoked and tombstoned
	clk.Advance(time.Minute)
	s.sweep()
	s.mu.Lock()
	leases, tombs := len(s.byID), len(s.tombs)
	s.mu.Unlock()
	if leases != 0 || tombs != 0 {
		t.Fatalf("after sweep: %d leases, %d tombstones; want none", leases, tombs)
	}
	if _, err := s.renew(li.id); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("renew after sweep: %v, want ErrLeaseLost", err)
	}
}
