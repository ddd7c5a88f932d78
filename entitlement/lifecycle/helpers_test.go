package lifecycle_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/signing"
)

var ctx = context.Background()

// t0 is the fixture's start: the day the guide's SV8100 example was shipped.
var t0 = time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)

// issuerKey is a fixed test key (real keys never live in source).
var issuerKey = func() *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed([]byte("lifecycle test key, not a secret"))
	if err != nil {
		panic(err)
	}
	return k
}()

func keyring(t testing.TB) *signing.Keyring {
	kr := signing.NewKeyring()
	if err := kr.Add(issuerKey.Public().KeyID().Bytes(), issuerKey.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	return kr
}

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is a ledger with the real license issuer, the storetest partners (an administrator, a
// distributor with an SV8100 location, its dealer, another distributor), a clock the test moves
// and the events delivered.
type fixture struct {
	*storetest.Fixture
	l      *entitlement.Ledger
	clock  *clock
	loc    entitlement.Location
	t      testing.TB
	mu     sync.Mutex
	events []entitlement.Event
}

func newFixture(t testing.TB, s entitlement.Store) *fixture {
	t.Helper()
	if s == nil {
		s = storetest.Retrying(entitlement.NewMemStore())
	}
	f := &fixture{clock: &clock{t: t0}, t: t}
	f.Fixture = storetest.NewFixture(t, s, 5)
	f.l = entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: f.clock,
		Rand: rand.NewChaCha8([32]byte{5}), Events: func(e entitlement.Event) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, e)
		}})
	f.L = f.l
	c := must[entitlement.Customer](t)(f.l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business"}))
	f.loc = must[entitlement.Location](t)(f.l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Location A",
		System: "SV8100", HWKC: "191000343919", CustomerEmail: "it@tons.example", DealerEmail: "ed@distx.example"}))
	return f
}

// take returns and forgets the events delivered so far.
func (f *fixture) take() []entitlement.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.events
	f.events = nil
	return e
}

// ship ships lines to the distributor.
func (f *fixture) ship(po string, lines ...entitlement.OrderLine) []entitlement.ShippedLine {
	f.t.Helper()
	return must[[]entitlement.ShippedLine](f.t)(f.l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: po, SO: po, Lines: lines}))
}

// unchanged runs op, which must fail matching want, and checks that it changed nothing.
func (f *fixture) unchanged(want error, op func() error) error {
	f.t.Helper()
	before := must[entitlement.Snapshot](f.t)(f.l.Snapshot(ctx))
	err := op()
	if !errors.Is(err, want) {
		f.t.Fatalf("got %v, want %v", err, want)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](f.t)(f.l.Snapshot(ctx))); d != "" {
		f.t.Fatalf("a refused operation changed the ledger:\n%s", d)
	}
	return err
}

func (f *fixture) conserved() {
	f.t.Helper()
	if err := entitlement.CheckConservation(ctx, f.l.Store()); err != nil {
		f.t.Fatal(err)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func picksAll(lines []entitlement.ShippedLine) []entitlement.Pick {
	var p []entitlement.Pick
	for _, s := range lines {
		p = append(p, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	return p
}
