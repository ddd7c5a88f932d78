package lifecycle_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

// TestRandom_ConservationWithRevocations runs random moves of the self-developed machine from
// several goroutines at once (pool, unpool, activate, revoke, cancel pooled and ready quantities,
// reship and return) on permanent and fixed-term entitlements, and checks after every step that
// no quantity was created or lost: Shipped = InBin + Attached + Activated + ReshippedOut +
// Returned + Revoked + Cancelled on every line, in agreement with the location lines. A refusal
// must be one a caller expects, never a broken ledger.
func TestRandom_ConservationWithRevocations(t *testing.T) {
	f := newFixture(t, nil)
	dealerCust := must[entitlement.Customer](t)(f.l.CreateCustomer(ctx, f.Dealer, entitlement.Customer{Name: "Dealer's customer"}))
	dealerLoc := must[entitlement.Location](t)(f.l.CreateLocation(ctx, f.Dealer, entitlement.Location{Customer: dealerCust.ID, Name: "D",
		System: "SV8100", HWKC: "190400324412"}))
	for i := range 4 {
		f.ship(fmt.Sprintf("PO-R%d", i),
			entitlement.OrderLine{Part: "BE107585", Qty: 40},
			entitlement.OrderLine{Part: "BE107582", Qty: 12, Type: license.TypeSubscription, NotAfter: t0.AddDate(1, i, 0)},
			entitlement.OrderLine{Part: "BE107573", Qty: 3, Type: license.TypePresalesExpansion, NotAfter: t0.AddDate(0, 2, 0)})
	}
	type actor struct {
		a   entitlement.Actor
		loc string
	}
	partners := []actor{{f.Dist, f.loc.ID}, {f.Dealer, dealerLoc.ID}}
	steps := 60
	if testing.Short() {
		steps = 20
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		counts   = map[string]int{}
		problems []string
	)
	expected := func(err error) bool {
		for _, e := range []error{entitlement.ErrState, entitlement.ErrQuantity, entitlement.ErrNotFound, entitlement.ErrInvalid} {
			if errors.Is(err, e) {
				return !errors.Is(err, entitlement.ErrCorrupt)
			}
		}
		return false
	}
	for w := range 4 {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 13))
			for step := range steps {
				p := partners[r.IntN(len(partners))]
				name, err := randomMove(f, r, p.a, p.loc)
				if err != nil && !expected(err) {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("worker %d step %d %s: unexpected %v", w, step, name, err))
					mu.Unlock()
					return
				}
				if cerr := entitlement.CheckConservation(ctx, f.l.Store()); cerr != nil {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("worker %d step %d after %s (%v): %v", w, step, name, err, cerr))
					mu.Unlock()
					return
				}
				mu.Lock()
				if err == nil {
					counts[name]++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	f.conserved()
	if _, err := f.l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, mv := range []string{"pool", "activate", "revoke", "cancel pooled", "cancel ready"} {
		if counts[mv] == 0 && !testing.Short() {
			t.Errorf("no %s succeeded in %v: the test did not exercise it", mv, counts)
		}
	}
	t.Logf("moves made: %v", counts)
}

// randomMove makes one random move as a (or the license desk) on loc.
func randomMove(f *fixture, r *rand.Rand, a entitlement.Actor, loc string) (string, error) {
	bin, err := f.l.Bin(ctx, a)
	if err != nil {
		return "bin", err
	}
	v, err := f.l.Location(ctx, a, loc)
	if err != nil {
		return "location", err
	}
	pickSKC := func(lines []entitlement.Line) []string {
		if len(lines) == 0 {
			return []string{"NOSUCHSKC"}
		}
		return []string{lines[r.IntN(len(lines))].SKC}
	}
	pickLine := func() (entitlement.ShippedLine, bool) {
		if len(bin) == 0 {
			return entitlement.ShippedLine{}, false
		}
		return bin[r.IntN(len(bin))], true
	}
	switch r.IntN(8) {
	case 0, 1:
		s, ok := pickLine()
		if !ok {
			return "pool", nil
		}
		_, err := lifecycle.Pool(ctx, f.l, a, loc, []entitlement.Pick{{Line: s.ID, Qty: 1 + r.Int64N(min(s.InBin, 5))}})
		return "pool", err
	case 2:
		return "unpool", lifecycle.Unpool(ctx, f.l, a, loc, pickSKC(v.Attached))
	case 3:
		_, err := lifecycle.Activate(ctx, f.l, a, loc, entitlement.Activation{AcceptAgreement: true, SKCs: pickSKC(v.Attached)})
		return "activate", err
	case 4:
		_, err := lifecycle.Revoke(ctx, f.l, f.Admin, loc, pickSKC(v.Activated), "returned")
		return "revoke", err
	case 5:
		return "cancel pooled", lifecycle.Cancel(ctx, f.l, f.Admin, loc, pickSKC(v.Attached), "cancelled")
	case 6:
		s, ok := pickLine()
		if !ok {
			return "cancel ready", nil
		}
		_, err := lifecycle.CancelReady(ctx, f.l, f.Admin, s.ID, 1+r.Int64N(min(s.InBin, 3)), "cancelled")
		return "cancel ready", err
	default:
		s, ok := pickLine()
		if !ok {
			return "reship", nil
		}
		if a == f.Dist {
			_, err := f.l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: f.Dealer.User,
				PO: fmt.Sprintf("RS-%d", r.Uint64()), SO: "RS", Picks: []entitlement.Pick{{Line: s.ID, Qty: 1 + r.Int64N(min(s.InBin, 4))}}})
			return "reship", err
		}
		_, err := f.l.ReturnLines(ctx, a, []entitlement.Pick{{Line: s.ID, Qty: 1}}, "random return")
		return "return", err
	}
}

// TestDoc002_ConservationCountsRevokedAndCancelled: the conservation check accounts for revoked
// and cancelled quantities: it passes with them, and an edit that drops one is caught.
func TestDoc002_ConservationCountsRevokedAndCancelled(t *testing.T) {
	sd := newSelfDev(t)
	sd.conserved()
	// A ledger whose revoked quantity was booked as cancelled (a record edited outside the ledger)
	// is caught: the revoked location lines no longer add up.
	snap := must[entitlement.Snapshot](t)(sd.l.Snapshot(ctx))
	var broken entitlement.Store = entitlement.NewMemStore()
	ok(t, broken.Update(ctx, func(tx entitlement.Tx) error {
		for b, kv := range snap {
			for k, v := range kv {
				val := []byte(v)
				if b == "lines" {
					var s entitlement.ShippedLine
					if err := decodeLine(val, &s); err != nil {
						return err
					}
					if s.Revoked > 0 {
						s.Revoked-- // counted as cancelled instead: only the revoked lines disagree
						s.Cancelled++
						var err error
						if val, err = encodeLine(s); err != nil {
							return err
						}
					}
				}
				if err := tx.Put(b, k, val); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	if err := entitlement.CheckConservation(ctx, broken); !errors.Is(err, entitlement.ErrCorrupt) {
		t.Fatalf("a revoked quantity booked as cancelled outside the ledger: %v", err)
	}
}

func decodeLine(b []byte, s *entitlement.ShippedLine) error { return cbor.Unmarshal(b, s) }

func encodeLine(s entitlement.ShippedLine) ([]byte, error) {
	opts := cbor.CoreDetEncOptions()
	opts.Time = cbor.TimeUnix
	em, err := opts.EncMode()
	if err != nil {
		return nil, err
	}
	return em.Marshal(s)
}
