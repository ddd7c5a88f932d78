package lifecycle_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/ledgertest"
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

// fixture is a ledger with the real license issuer, the storetest partners (an administrator, a
// distributor with an SV8100 location, its dealer, another distributor), a clock the test moves
// and the events delivered.
type fixture struct {
	*storetest.Fixture
	l      *entitlement.Ledger
	clock  *ledgertest.Clock
	loc    entitlement.Location
	t      testing.TB
	events ledgertest.Events
}

func newFixture(t testing.TB, s entitlement.Store) *fixture {
	t.Helper()
	if s == nil {
		s = storetest.Retrying(entitlement.NewMemStore())
	}
	f := &fixture{clock: ledgertest.NewClock(t0), t: t}
	f.Fixture = storetest.NewFixture(t, s, 5)
	f.l = entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: f.clock,
		Rand: rand.NewChaCha8([32]byte{5}), Events: f.events.Add})
	f.L = f.l
	c := must[entitlement.Customer](t)(f.l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business"}))
	f.loc = must[entitlement.Location](t)(f.l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Location A",
		System: "SV8100", HWKC: "191000343919", CustomerEmail: "it@tons.example", DealerEmail: "ed@distx.example"}))
	return f
}

// take returns and forgets the events delivered so far.
func (f *fixture) take() []entitlement.Event { return f.events.Take() }

// ship ships lines to the distributor.
func (f *fixture) ship(po string, lines ...entitlement.OrderLine) []entitlement.ShippedLine {
	f.t.Helper()
	return must[[]entitlement.ShippedLine](f.t)(f.l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: po, SO: po, Lines: lines}))
}

// unchanged runs op, which must fail matching want, and checks that it changed nothing.
func (f *fixture) unchanged(want error, op func() error) error {
	f.t.Helper()
	return ledgertest.Unchanged(f.t, f.l, want, op)
}

func (f *fixture) conserved() {
	f.t.Helper()
	if err := entitlement.CheckConservation(ctx, f.l.Store()); err != nil {
		f.t.Fatal(err)
	}
}

func must[T any](t testing.TB) func(T, error) T { return ledgertest.Must[T](t) }

func ok(t testing.TB, err error) { t.Helper(); ledgertest.OK(t, err) }

func picksAll(lines []entitlement.ShippedLine) []entitlement.Pick {
	var p []entitlement.Pick
	for _, s := range lines {
		p = append(p, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	return p
}
