package ledgertest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/ledgertest"
)

// exampleTB is the testing.TB the Example gives the helpers, where a test gives its own t: it
// prints what a test would report and ends the example at the first fatal report.
type exampleTB struct {
	testing.TB // nil: the helpers call only the methods below
}

func (exampleTB) Helper() {}

func (exampleTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

func (exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A ledger on the test's clock, with its events recorded: a dealer's user is refused a partner,
// the refusal changes nothing, and an operation a day later emits an event the recorder keeps.
// This is the package documentation's snippet.
func Example() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("a test would fail:", r)
		}
	}()
	ledgerTest(exampleTB{})
	// Output:
	// refused, not allowed: true
	// example.note 2026-03-02T09:00:00Z a day later
}

// ledgerTest is what a test of a package built on the ledger does, with its t.
func ledgerTest(t testing.TB) {
	ctx := context.Background()
	vendor, adminUser := entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}
	admin, dealerUser := entitlement.Actor{User: adminUser.ID}, entitlement.Actor{User: "ed@dealer"}

	clock := ledgertest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	events := &ledgertest.Events{}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: clock, Events: events.Add})
	ledgertest.OK(t, l.Bootstrap(ctx, vendor, adminUser)) // OK fails the test on an error
	ledgertest.OK(t, l.AddPartner(ctx, admin, entitlement.Partner{ID: "dealer", Name: "Dealer", Kind: entitlement.KindDealer}))
	ledgertest.OK(t, l.AddUser(ctx, admin, entitlement.User{ID: dealerUser.User, Name: "Ed", Partner: "dealer", Roles: entitlement.RoleLMSUser}))

	// A refused operation: the error matches, and the ledger holds what it held before.
	err := ledgertest.Unchanged(t, l, entitlement.ErrNotAllowed, func() error {
		return l.AddPartner(ctx, dealerUser, entitlement.Partner{ID: "rogue", Name: "Rogue", Kind: entitlement.KindDealer})
	})
	fmt.Println("refused, not allowed:", errors.Is(err, entitlement.ErrNotAllowed))

	clock.Set(clock.Now().Add(24 * time.Hour)) // the next day
	ledgertest.OK(t, l.Update(ctx, admin, "example note", func(x *entitlement.Op) error {
		x.Emit(entitlement.Event{Kind: "example.note", Time: x.Now(), Detail: "a day later"})
		return nil
	}))
	for _, e := range events.Take() { // the events delivered since the last Take
		fmt.Println(e.Kind, e.Time.Format(time.RFC3339), e.Detail)
	}
}
