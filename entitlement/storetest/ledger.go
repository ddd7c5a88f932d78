package storetest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Issuer is a deterministic test issuer: the "file" is a text listing of the request signed with
// a fixed test Ed25519 key (real keys never live in source). It stands in for the license package
// in store conformance runs, which test the books, not the file format.
type Issuer struct{}

var testKey = ed25519.NewKeyFromSeed([]byte("storetest fixed test key, 32 b!!"))

// Issue implements entitlement.Issuer.
func (Issuer) Issue(r entitlement.IssueRequest) (entitlement.Issued, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "location %s system %s hwkc %s serial %d issued %s demo %v\n", r.Location.ID, r.System.Name,
		r.Location.HWKC, r.Serial, r.Issued.Format(time.RFC3339), r.Demo)
	for _, ln := range r.Lines {
		fmt.Fprintf(&b, "%s %s %d %s %s\n", ln.SKC, ln.Part, ln.Qty, ln.PO, ln.SO)
	}
	file := []byte(b.String())
	sig := ed25519.Sign(testKey, file)
	return entitlement.Issued{Name: r.Location.HWKC + "-svi.zip", File: file, Data: append(file, sig...)}, nil
}

// FixedClock is a clock that always says T.
type FixedClock struct {
	T time.Time // the time Now returns
}

// Now implements entitlement.Clock.
func (c FixedClock) Now() time.Time { return c.T }

// Fixture is a ledger with a vendor administrator, a distributor, a dealer with a shipping
// allowance from it, and a second unrelated distributor, each with one LMS user.
type Fixture struct {
	L *entitlement.Ledger // the ledger on the store given to NewFixture
	// Admin is the vendor's administrator; Dist, Dealer and Other the LMS users of the
	// distributor, the dealer and the unrelated distributor.
	Admin, Dist, Dealer, Other entitlement.Actor
	// DistP, DealerP and OtherP are the partner ids of the distributor, the dealer and the
	// unrelated distributor.
	DistP, DealerP, OtherP string
}

// NewFixture builds a [Fixture] on s with a fixed clock and deterministic randomness. On a store
// that holds a fixture already it only attaches to it.
func NewFixture(t testing.TB, s entitlement.Store, seed uint64) *Fixture {
	t.Helper()
	ctx := context.Background()
	var sb [32]byte
	sb[0], sb[1] = byte(seed), byte(seed>>8)
	l := entitlement.New(s, entitlement.Config{
		Clock:  FixedClock{time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)},
		Issuer: Issuer{},
		Rand:   rand.NewChaCha8(sb),
	})
	f := &Fixture{L: l, Admin: entitlement.Actor{User: "admin@vendor"}, Dist: entitlement.Actor{User: "ed@distx"},
		Dealer: entitlement.Actor{User: "dealer@y"}, Other: entitlement.Actor{User: "zed@distz"},
		DistP: "distx", DealerP: "dealery", OtherP: "distz"}
	chk := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "LMS Admin"}); errors.Is(err, entitlement.ErrExists) {
		return f // an existing fixture ledger, reopened
	} else {
		chk(err)
	}
	chk(l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}))
	chk(l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "dealery", Name: "Dealer Y", Kind: entitlement.KindDealer}))
	chk(l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "distz", Name: "Distributor Z", Kind: entitlement.KindDistributor}))
	chk(l.AddUser(ctx, f.Admin, entitlement.User{ID: "ed@distx", Name: "Ed Distributor X", Partner: "distx", Roles: entitlement.RoleLMSUser}))
	chk(l.AddUser(ctx, f.Admin, entitlement.User{ID: "dealer@y", Name: "Dealer Y", Partner: "dealery", Roles: entitlement.RoleLMSUser}))
	chk(l.AddUser(ctx, f.Admin, entitlement.User{ID: "zed@distz", Name: "Zed", Partner: "distz", Roles: entitlement.RoleLMSUser}))
	chk(l.SetAllowance(ctx, f.Admin, "distx", "dealery", true))
	return f
}

func ledgerScenario(t *testing.T, s entitlement.Store) {
	ctx := context.Background()
	f := NewFixture(t, s, 1)
	l := f.L
	check := func() {
		t.Helper()
		must(t, entitlement.CheckConservation(ctx, s))
	}
	shipped, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO123456", SO: "SO1280677",
		Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 5}, {Part: "BE107576", Qty: 1}, {Part: "BE107585", Qty: 20}}})
	must(t, err)
	check()
	cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "NEW CUSTOMER NAME"})
	must(t, err)
	loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"})
	must(t, err)
	var picks []entitlement.Pick
	for _, sl := range shipped {
		picks = append(picks, entitlement.Pick{Line: sl.ID, Qty: sl.Shipped})
	}
	picks[3].Qty = 10
	lines, err := l.Attach(ctx, f.Dist, loc.ID, picks)
	must(t, err)
	check()
	must(t, l.Detach(ctx, f.Dist, loc.ID, []string{lines[0].SKC}))
	check()

	// A refused operation changes nothing.
	before, err := l.Snapshot(ctx)
	must(t, err)
	for name, op := range map[string]func() error{
		"attach more than the bin": func() error {
			_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 11}})
			return err
		},
		"other partner attaches": func() error {
			_, err := l.Attach(ctx, f.Other, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 1}})
			return err
		},
		"activate without agreement": func() error {
			_, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{})
			return err
		},
	} {
		if err := op(); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		after, err := l.Snapshot(ctx)
		must(t, err)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: the refused operation changed the ledger", name)
		}
	}

	file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
	must(t, err)
	if file.Name != "191000343919-svi.zip" || file.Serial != 1 {
		t.Fatalf("issued %q serial %d", file.Name, file.Serial)
	}
	check()
	if _, err := l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "PO-12345", SO: "SO-12345",
		Picks: []entitlement.Pick{{Line: shipped[3].ID, Qty: 4}, {Line: shipped[0].ID, Qty: 1}}}); err != nil {
		t.Fatal(err)
	}
	check()
	bin, err := l.Bin(ctx, f.Dealer)
	must(t, err)
	if len(bin) != 2 {
		t.Fatalf("dealer bin has %d lines, want 2", len(bin))
	}
	if _, err := l.ReturnLines(ctx, f.Dealer, []entitlement.Pick{{Line: bin[0].ID, Qty: 1}}, "wrong part"); err != nil {
		t.Fatal(err)
	}
	check()
	if _, err := l.GenerateDemo(ctx, f.Dist, loc.ID); err != nil {
		t.Fatal(err)
	}
	check()

	// Concurrent attaches from one bin never oversell.
	ship2, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO2", SO: "SO2", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 10}}})
	must(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: ship2[0].ID, Qty: 1}})
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if !errors.Is(err, entitlement.ErrQuantity) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if ok != 10 {
		t.Fatalf("%d concurrent attaches of 1 succeeded from a line of 10", ok)
	}
	check()
	n, err := l.VerifyAudit(ctx)
	must(t, err)
	if n < 15 {
		t.Fatalf("audit has %d records", n)
	}
}
