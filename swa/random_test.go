package swa_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/swa"
)

// expected reports whether err is a refusal a random sequence may legitimately meet.
func expected(err error) bool {
	for _, s := range []error{entitlement.ErrNotAllowed, entitlement.ErrNotFound, entitlement.ErrExists, entitlement.ErrInvalid,
		entitlement.ErrQuantity, entitlement.ErrAgreement, entitlement.ErrState, entitlement.ErrRule,
		swa.ErrNoTerms, swa.ErrUnauthorized, swa.ErrQuote} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

type actor struct {
	a       entitlement.Actor
	partner string
}

func randomActors(f *fx) []actor {
	imp := entitlement.Actor{User: f.Dist.User, As: f.Dealer.User}
	return []actor{{f.Dist, f.DistP}, {f.Dealer, f.DealerP}, {f.Other, f.OtherP}, {imp, f.DealerP}, {f.Dist, f.DistP}, {f.Dealer, f.DealerP}}
}

// randomOp prepares one random SWA operation (or one of the ledger operations SWA depends on) for
// actor ac: it runs what the operation needs first (reads, which may settle what is due, shipments,
// attaches) and returns the operation's name and the operation itself, one change at most, so a
// caller can compare the store around it.
func randomOp(r *rand.Rand, f *fx, ac actor, seq *int) (string, func() error) {
	*seq++
	n := *seq
	a, b, l := ac.a, f.B, f.L
	fail := func(err error) func() error { return func() error { return err } }
	pickLocation := func() (entitlement.Location, bool) {
		locs, err := l.SearchLocations(ctx, a, "", 0)
		if err != nil || len(locs) == 0 {
			return entitlement.Location{}, false
		}
		return locs[r.IntN(len(locs))], true
	}
	pending := func() uint64 {
		list, err := b.Reservations(ctx, a)
		if err != nil || len(list) == 0 || r.IntN(10) == 0 {
			return uint64(r.IntN(40) + 1) // sometimes an unknown or someone else's id
		}
		return list[r.IntN(len(list))].ID
	}
	switch k := r.IntN(100); {
	case k < 6:
		exp := f.C.Now().Add(time.Duration(r.IntN(24*400)) * time.Hour)
		if r.IntN(8) == 0 {
			exp = time.Time{} // refused: no expiry date
		}
		lines := []entitlement.OrderLine{{Part: "BE112031", Qty: r.Int64N(600) + 1}}
		if r.IntN(3) == 0 {
			lines = append(lines, entitlement.OrderLine{Part: "EU920000", Qty: 1})
		}
		return "ship units", func() error {
			_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: ac.partner, PO: fmt.Sprintf("U-%s-%d", a, n), SO: "SO", Expires: exp, Lines: lines})
			return err
		}
	case k < 12:
		cs, err := l.Customers(ctx, a, "")
		if err != nil {
			return "create location", fail(err)
		}
		if len(cs) == 0 || r.IntN(4) == 0 {
			return "create customer", func() error {
				_, err := l.CreateCustomer(ctx, a, entitlement.Customer{Name: fmt.Sprintf("customer %d", n)})
				return err
			}
		}
		loc := entitlement.Location{Customer: cs[r.IntN(len(cs))].ID, Name: fmt.Sprintf("loc %d", n), System: "iS3000",
			HWKC: fmt.Sprintf("aa0014SA27%08dAA", r.IntN(100000))}
		if r.IntN(2) == 0 {
			loc.System, loc.HWKC = "SV8300", fmt.Sprintf("18CYG-IPS-00000000BJ%06dSE", r.IntN(100000))
		}
		return "create location", func() error { _, err := l.CreateLocation(ctx, a, loc); return err }
	case k < 30:
		loc, ok := pickLocation()
		if !ok {
			return "activate (no location)", fail(nil)
		}
		v, err := l.Location(ctx, a, loc.ID)
		if err != nil {
			return "activate", fail(err)
		}
		if len(v.Attached) == 0 || r.IntN(4) == 0 {
			lines := sipNetLicenses
			if loc.System == "SV8300" {
				lines = sv8300Licenses
			}
			shipped, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: loc.Partner, PO: fmt.Sprintf("L-%s-%d", a, n), SO: "SO", Lines: lines[:1+r.IntN(len(lines))]})
			if err != nil {
				return "ship licenses", fail(err)
			}
			var picks []entitlement.Pick
			for _, s := range shipped {
				picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
			}
			return "attach", func() error { _, err := l.Attach(ctx, a, loc.ID, picks); return err }
		}
		var req *swa.AssignRequest
		if r.IntN(3) == 0 {
			req = &swa.AssignRequest{Choices: []swa.Choice{{Months: 12 * (1 + r.IntN(3))}}, AuthorizeUnits: r.IntN(6) != 0}
		}
		return "activate", func() error {
			_, err := b.Activate(ctx, a, loc.ID, entitlement.Activation{AcceptAgreement: r.IntN(8) != 0}, req)
			return err
		}
	case k < 48:
		loc, ok := pickLocation()
		if !ok {
			return "assign (no location)", fail(nil)
		}
		q, err := b.Quote(ctx, a, loc.ID)
		if err != nil {
			return "quote", fail(err)
		}
		ch := swa.Choice{Months: 12 * (1 + r.IntN(5))}
		for _, p := range q.Products {
			if p.EndDateChoice && r.IntN(2) == 0 {
				ch = swa.Choice{End: p.MinEnd.AddDate(0, r.IntN(30), 0)}
			}
		}
		auth := r.IntN(8) != 0
		return "assign", func() error {
			_, err := b.Assign(ctx, a, loc.ID, swa.AssignRequest{Choices: []swa.Choice{ch}, AuthorizeUnits: auth})
			return err
		}
	case k < 55:
		id, reason := pending(), []string{"", "customer asked"}[r.IntN(2)]
		return "push", func() error { _, err := b.Push(ctx, a, id, reason); return err }
	case k < 62:
		id := pending()
		return "cancel", func() error { _, err := b.Cancel(ctx, a, id, "random"); return err }
	case k < 67:
		// The reservation tools: a distributor escalates its dealer's reservation, the
		// administrator pushes or cancels an escalated one.
		list, err := b.Reservations(ctx, a)
		if err != nil {
			return "reservations", fail(err)
		}
		for _, x := range list {
			if x.Partner != ac.partner && !x.Escalated && r.IntN(3) != 0 {
				return "escalate", func() error { _, err := b.Escalate(ctx, a, x.ID, "random"); return err }
			}
		}
		esc, err := b.Reservations(ctx, f.Admin)
		if err != nil {
			return "reservations", fail(err)
		}
		id := pending()
		if len(esc) > 0 && r.IntN(5) != 0 {
			id = esc[r.IntN(len(esc))].ID
		}
		switch r.IntN(3) {
		case 0:
			return "escalate", func() error { _, err := b.Escalate(ctx, a, id, "random"); return err }
		case 1:
			return "push", func() error { _, err := b.Push(ctx, f.Admin, id, "escalated"); return err }
		}
		return "cancel", func() error { _, err := b.Cancel(ctx, f.Admin, id, "escalated"); return err }
	case k < 74:
		bin, err := b.Bin(ctx, a)
		if err != nil {
			return "reship", fail(err)
		}
		var picks []swa.UnitPick
		for range r.IntN(3) + 1 {
			p := swa.UnitPick{Shipment: uint64(r.IntN(30) + 1), Qty: r.Int64N(50)}
			if len(bin.Shipments) > 0 && r.IntN(5) != 0 {
				s := bin.Shipments[r.IntN(len(bin.Shipments))]
				p = swa.UnitPick{Shipment: s.ID, Qty: r.Int64N(s.Available + 2)}
			}
			picks = append(picks, p)
		}
		return "reship", func() error {
			_, err := b.Reship(ctx, a, swa.ReshipRequest{DealerUser: f.Dealer.User, PO: fmt.Sprintf("R-%s-%d", a, n), SO: "RS", Picks: picks})
			return err
		}
	case k < 80:
		loc, ok := pickLocation()
		for range 4 { // prefer a location with an agreement
			if st, err := b.Status(ctx, a, loc.ID); !ok || err != nil || len(st.Products) > 0 && !st.Products[0].Start.IsZero() {
				break
			}
			loc, ok = pickLocation()
		}
		if !ok {
			return "renew (no location)", fail(nil)
		}
		req := swa.RenewalRequest{Customer: loc.Customer, Months: 6 + r.IntN(36), AuthorizeUnits: r.IntN(8) != 0}
		if r.IntN(2) == 0 {
			req = swa.RenewalRequest{Locations: []string{loc.ID}, End: f.C.Now().AddDate(0, r.IntN(60), 0), AuthorizeUnits: true}
		}
		return "renew", func() error { _, err := b.Renew(ctx, a, req); return err }
	case k < 85:
		loc, ok := pickLocation()
		if !ok {
			return "free of charge (no location)", fail(nil)
		}
		offers, err := b.FreeOfCharge(ctx, a, loc.ID)
		if err != nil && r.IntN(2) == 0 {
			return "free of charge", fail(err)
		}
		parts := []string{"960026473134"}
		if len(offers) > 0 {
			parts = []string{offers[0].Part}
		}
		accept := r.IntN(6) != 0
		return "attach free of charge", func() error {
			_, err := b.AttachFreeOfCharge(ctx, a, loc.ID, swa.FreeOfChargeRequest{Parts: parts, AcceptAgreement: accept})
			return err
		}
	case k < 89:
		// Time passes: cooling-offs end, shipments and agreements expire.
		d := time.Duration(1+r.IntN(30)) * time.Hour
		if r.IntN(3) == 0 {
			d = time.Duration(1+r.IntN(40)) * 24 * time.Hour
		}
		f.C.Add(d)
		who := []entitlement.Actor{a, f.Admin}[r.IntN(2)]
		return "settle", func() error { _, err := b.Settle(ctx, who); return err }
	default:
		loc, ok := pickLocation()
		if !ok {
			return "read (no location)", fail(nil)
		}
		switch r.IntN(4) {
		case 0:
			return "status", func() error { _, err := b.Status(ctx, a, loc.ID); return err }
		case 1:
			return "prospective", func() error { _, err := b.Prospective(ctx, a); return err }
		case 2:
			return "renewal quote", func() error { _, err := b.RenewalQuote(ctx, a, swa.RenewalRequest{Customer: loc.Customer}); return err }
		}
		return "bin", func() error { _, err := b.Bin(ctx, a); return err }
	}
}

// TestRandomConcurrentUnitsConservation runs random SWA operation sequences from six goroutines
// (two on the distributor's books, three on the dealer's, one of them impersonating, one on
// another distributor's) while time moves, on every store, and checks the ledger's and the units'
// conservation after every step.
func TestRandomConcurrentUnitsConservation(t *testing.T) {
	stores := map[string]func(t *testing.T) entitlement.Store{
		"mem": func(*testing.T) entitlement.Store { return entitlement.NewMemStore() },
		"bbolt": func(t *testing.T) entitlement.Store {
			s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "l.db"), &entitlement.FileOptions{UnsafeNoSync: true})
			must(t, err)
			return s
		},
		"bbolt-group-commit": func(t *testing.T) entitlement.Store {
			s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "l.db"), &entitlement.FileOptions{UnsafeNoSync: true, GroupCommit: 200 * time.Microsecond})
			must(t, err)
			return s
		},
		// Every update runs twice, the first run rolled back (the Store contract allows retries).
		"mem-retrying": func(*testing.T) entitlement.Store { return storetest.Retrying(entitlement.NewMemStore()) },
	}
	steps := 120
	if testing.Short() || raceEnabled {
		steps = 50
	}
	all := map[string]int{}
	var allMu sync.Mutex
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			f := newFx(t, fxOpt{store: s, start: date(2014, 12, 1).Add(9 * time.Hour)})
			var wg sync.WaitGroup
			for i, ac := range randomActors(f) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(i), 12))
					seq := 0
					for range steps {
						op, run := randomOp(r, f, ac, &seq)
						err := run()
						if err != nil && !expected(err) {
							t.Errorf("%s by %s: unexpected error %v", op, ac.a, err)
							return
						}
						if err == nil {
							allMu.Lock()
							all[op]++
							allMu.Unlock()
						}
						if err := swa.CheckConservation(ctx, f.L); err != nil {
							t.Errorf("after %s by %s: %v", op, ac.a, err)
							return
						}
					}
				}()
			}
			// The administrator revokes and grants the shipping allowance meanwhile.
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range steps / 4 {
					if err := f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, i%2 == 1); err != nil {
						t.Error(err)
						return
					}
				}
				if err := f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, true); err != nil {
					t.Error(err)
				}
			}()
			wg.Wait()
			if _, err := f.L.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
			must(t, swa.CheckConservation(ctx, f.L))
		})
	}
	t.Logf("successful operations: %v", all)
}

// TestRandomSequentialRunReachesEveryOperation: the random operations of the concurrent test, run
// by the same actors taking turns from fixed seeds, succeed at every kind of SWA operation, so the
// concurrent test's mix is known to exercise them all. (Which of them succeed under concurrency
// depends on the interleaving; this run does not, so its coverage is the same on every machine.)
func TestRandomSequentialRunReachesEveryOperation(t *testing.T) {
	f := newFx(t, fxOpt{store: entitlement.NewMemStore(), start: date(2014, 12, 1).Add(9 * time.Hour)})
	acts := randomActors(f)
	rs := make([]*rand.Rand, len(acts))
	seqs := make([]int, len(acts))
	for i := range acts {
		rs[i] = rand.New(rand.NewPCG(uint64(i), 12))
	}
	all := map[string]int{}
	for step := range 120 * len(acts) {
		i := step % len(acts)
		op, run := randomOp(rs[i], f, acts[i], &seqs[i])
		err := run()
		if err != nil && !expected(err) {
			t.Fatalf("%s by %s: unexpected error %v", op, acts[i].a, err)
		}
		if err == nil {
			all[op]++
		}
		if step%40 == 0 {
			must(t, swa.CheckConservation(ctx, f.L))
		}
	}
	must(t, swa.CheckConservation(ctx, f.L))
	for _, op := range []string{"ship units", "activate", "assign", "push", "cancel", "reship", "renew", "attach free of charge", "settle"} {
		if all[op] == 0 {
			t.Errorf("no successful %s in the sequential run: %v", op, all)
		}
	}
}

// TestRandomRefusalsChangeNothing runs a random single-goroutine sequence and compares a full
// snapshot of the store before and after every refused operation, checking conservation after
// every step.
func TestRandomRefusalsChangeNothing(t *testing.T) {
	f := newFx(t, fxOpt{start: date(2014, 12, 1).Add(9 * time.Hour)})
	r := rand.New(rand.NewPCG(5, 5))
	acts := randomActors(f)
	seqs := make([]int, len(acts))
	refused := map[string]int{}
	done := map[string]int{}
	for range 700 {
		i := r.IntN(len(acts))
		op, run := randomOp(r, f, acts[i], &seqs[i])
		before := f.snapshot(t)
		err := run()
		if err != nil {
			if !expected(err) {
				t.Fatalf("%s: %v", op, err)
			}
			refused[op]++
			if after := f.snapshot(t); !reflect.DeepEqual(before, after) {
				t.Fatalf("refused %s (%v) changed the ledger", op, err)
			}
		} else {
			done[op]++
		}
		f.conserved(t)
	}
	for _, op := range []string{"assign", "push", "cancel", "reship", "renew", "attach free of charge", "activate"} {
		if refused[op] == 0 || done[op] == 0 {
			t.Errorf("%s: %d successful, %d refused; want both", op, done[op], refused[op])
		}
	}
	t.Logf("done %v\nrefused %v", done, refused)
}
