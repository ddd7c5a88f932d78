package entitlement_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lmskit/lmskit/entitlement"
)

// Open the durable store, ship orders through Bulk (many at once, so that their operations
// share log syncs), and read the result back.
func ExampleBulk() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	store, err := entitlement.OpenFile(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	l := entitlement.New(store, entitlement.Config{})
	admin := entitlement.Actor{User: "admin@vendor"}
	_ = l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"})
	_ = l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor})

	errs := entitlement.Bulk(ctx, 100, 0, func(ctx context.Context, i int) error {
		_, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: fmt.Sprintf("PO%03d", i), SO: "SO1",
			Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 10}}})
		return err
	})
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	d, err := l.LookupOrder(ctx, admin, "PO042")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("failed:", failed)
	fmt.Println("PO042:", d.Shipped[0].Part, d.Shipped[0].Shipped)
	fmt.Println("conservation:", entitlement.CheckConservation(ctx, store))
	// Output:
	// failed: 0
	// PO042: BE107585 10
	// conservation: <nil>
}

// A ledger file of the earlier bbolt store still opens with OpenFile; MigrateFile copies it to the
// current engine (with the ledger service stopped).
func ExampleMigrateFile() {
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	old := filepath.Join(dir, "ledger.db")
	b, _ := os.ReadFile(filepath.Join("testdata", "ledger-bbolt-v1.db"))
	_ = os.WriteFile(old, b, 0o600)

	if err := entitlement.MigrateFile(old, filepath.Join(dir, "ledger")); err != nil {
		fmt.Println(err)
		return
	}
	store, err := entitlement.OpenFile(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	n, err := entitlement.VerifyAudit(context.Background(), store, nil)
	fmt.Println("audit records:", n, err)
	// Output:
	// audit records: 14 <nil>
}
