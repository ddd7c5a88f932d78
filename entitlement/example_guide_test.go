package entitlement_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// The guide's SV9100 CP10 → CP20 migration with the per-system rules: the location keeps its id,
// takes the CP20 code and system, and its activated lines are carried over with new software key
// codes on a MIGSU_ order; the old lines stay as read-only history.
func ExampleLedger_MigrateSV9100() {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Issuer: exampleIssuer{},
		Clock:  fixedClock{time.Date(2019, 7, 17, 10, 0, 0, 0, time.UTC)},
		Rand:   rand.NewChaCha8([32]byte{2}),
		Rules:  entitlement.GuideRules(),
	})
	admin, ed := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	_ = l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"})
	_ = l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor})
	_ = l.AddUser(ctx, admin, entitlement.User{ID: ed.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser})
	shipped, _ := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "SV91-4 Lics", SO: "SV91-4 Lics",
		Lines: []entitlement.OrderLine{{Part: "BE114063", Qty: 8}, {Part: "BE114074", Qty: 1}}})
	cust, _ := l.CreateCustomer(ctx, ed, entitlement.Customer{Name: "Olympia"})
	// The system type must match the code's range: a CP20 code is refused for a CP10 location.
	_, err := l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: "SV9100-4", System: "SV9100 CP10", HWKC: "441018029547"})
	fmt.Println("CP20 code as CP10:", err != nil)
	loc, _ := l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: "SV9100-4", System: "SV9100 CP10", HWKC: "341006761783"})
	_, _ = l.Attach(ctx, ed, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 8}, {Line: shipped[1].ID, Qty: 1}})
	_, _ = l.Activate(ctx, ed, loc.ID, entitlement.Activation{AcceptAgreement: true})

	f, err := l.MigrateSV9100(ctx, ed, loc.ID, "441018029547")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := l.Location(ctx, ed, loc.ID)
	fmt.Println(v.System, v.HWKC, "formerly", v.FormerHWKC, "file", f.Name)
	for _, ln := range v.Activated {
		fmt.Println("activated", ln.Part, ln.Qty, ln.PO)
	}
	for _, ln := range v.History {
		fmt.Println("history  ", ln.Part, ln.Qty, ln.PO, ln.State)
	}
	// Output:
	// CP20 code as CP10: true
	// SV9100 CP20 441018029547 formerly [341006761783] file 441018029547-svi.zip
	// activated BE114063 8 MIGSU_201907171
	// activated BE114074 1 MIGSU_201907171
	// history   BE114074 1 SV91-4 Lics migrated
	// history   BE114063 8 SV91-4 Lics migrated
}

// exampleIssuer names the file as the license package does and signs nothing (the example shows
// the books; Example shows a real file).
type exampleIssuer struct{}

func (exampleIssuer) Issue(r entitlement.IssueRequest) (entitlement.Issued, error) {
	return entitlement.Issued{Name: r.Location.HWKC + "-svi.zip", Data: []byte("file"), File: []byte("file")}, nil
}
