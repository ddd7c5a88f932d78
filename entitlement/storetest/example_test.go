package storetest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// TestConformance runs the suite as an implementation's tests do, here on the in-memory store.
// The package documentation's snippet is this function.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
		s := entitlement.NewMemStore() // the implementation under test: a fresh, empty store
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	}})
}

// A ledger for a test: the in-memory store wrapped by Retrying (every update function runs twice,
// the first run rolled back), a fixed clock, fixed randomness and the test issuer, whose "file" is
// a text listing of what the ledger asked it to issue, signed with a fixed test key (real keys
// never live in source). The books come out as if every update had run once.
func Example() {
	if err := retryingLedger(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 191000343919-svi.zip, serial 1:
	// location fef55fe0-e125-450a-a608-d5e20ffc2d12 system SV8100 hwkc 191000343919 serial 1 issued 2012-12-28T10:00:00Z demo false
	// WK19XN1TX234BXWR2MU4 BE107585 20 PO123456 SO1280677
	// conservation: <nil>
}

func retryingLedger() error {
	ctx := context.Background()
	store := storetest.Retrying(entitlement.NewMemStore())
	l := entitlement.New(store, entitlement.Config{
		Issuer: storetest.Issuer{},
		Clock:  storetest.FixedClock{T: time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)},
		Rand:   rand.NewChaCha8([32]byte{1}),
	})
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "user@partner-x"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "LMS User", Partner: "partner-x", Roles: entitlement.RoleLMSUser}); err != nil {
		return err
	}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO123456", SO: "SO1280677",
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 20}}})
	if err != nil {
		return err
	}
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		return err
	}
	if _, err := l.Attach(ctx, user, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 20}}); err != nil {
		return err
	}
	file, err := l.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true})
	if err != nil {
		return err
	}
	fmt.Printf("%s, serial %d:\n%s", file.Name, file.Serial, file.File)
	fmt.Println("conservation:", entitlement.CheckConservation(ctx, store))
	return nil
}
