package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/pgstore"
)

// exampleClock is the examples' fixed clock.
type exampleClock struct{}

func (exampleClock) Now() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

// Two license servers share one ledger on PostgreSQL: what one ships, the other reads, and the
// books and the audit chain check out on either. The package documentation's snippet is the part
// of pgExample that opens a store and builds a ledger on it. conn is the private cluster the tests
// start (TestMain; without PostgreSQL the example is left out, and in CI it must run); on a server
// it is a connection string such as "host=/run/postgresql dbname=lmskit" or a postgres:// URL.
func Example() {
	if err := pgExample(context.Background(), connString, fmt.Sprintf("lmskit_example_%d", os.Getpid())); err != nil {
		fmt.Println(err)
	}
	// Output:
	// server 1 shipped PO-1: BE107585 ×20
	// server 2 reads PO-1: BE107585 ×20, in the bin 20
	// conservation: <nil>
	// audit chain: 3 records
}

func pgExample(ctx context.Context, conn, table string) error {
	cfg := entitlement.Config{Clock: exampleClock{}}                      // a server sets Issuer, and leaves Clock nil for the wall clock
	store, err := pgstore.Open(ctx, conn, &pgstore.Options{Table: table}) // Table "" means lmskit_ledger
	if err != nil {
		return err
	}
	defer store.Close()
	l := entitlement.New(store, cfg) // the ledger on PostgreSQL

	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO-1", SO: "SO-1",
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 20}}})
	if err != nil {
		return err
	}
	fmt.Printf("server 1 shipped PO-1: %s ×%d\n", shipped[0].Part, shipped[0].Shipped)

	// A second server (another process, another machine) opens the same table.
	store2, err := pgstore.Open(ctx, conn, &pgstore.Options{Table: table})
	if err != nil {
		return err
	}
	defer store2.Close()
	l2 := entitlement.New(store2, cfg)
	d, err := l2.LookupOrder(ctx, admin, "PO-1")
	if err != nil {
		return err
	}
	fmt.Printf("server 2 reads PO-1: %s ×%d, in the bin %d\n", d.Shipped[0].Part, d.Shipped[0].Shipped, d.Shipped[0].InBin)

	fmt.Println("conservation:", entitlement.CheckConservation(ctx, store2))
	n, err := entitlement.VerifyAudit(ctx, store2, nil)
	if err != nil {
		return err
	}
	fmt.Printf("audit chain: %d records\n", n)
	return nil
}
