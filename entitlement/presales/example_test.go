package presales_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// Example applies twice for a temporary license of a product with an enterprise part template:
// the first application, below the approval-free count, is issued at once; the second needs the
// policy's approval steps. The issuer key is a fixed test key; real keys never live in source.
func Example() {
	if err := presalesExample(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// TL-1: issued without approval; the ESN has 1 application
	// file TL-1:C:20240331090000.1 type C, ends 2024-03-31, bound to ESN 2102350DLF10H1000123
	// TL-2: pending (count 1 of 1 approval-free)
	// TL-2: issued after 2 approvals
}

func presalesExample() error {
	ctx := context.Background()
	key, err := signing.NewKeyFromSeed([]byte("presales example key, not secret"))
	if err != nil {
		return err
	}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key},
		Clock: storetest.FixedClock{T: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}})
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	contact, director := entitlement.Actor{User: "pc@vendor"}, entitlement.Actor{User: "rd@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	for _, u := range []entitlement.User{{ID: user.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser},
		{ID: contact.User, Name: "Project contact", Partner: "vendor", Roles: entitlement.RoleLMSUser},
		{ID: director.User, Name: "Regional director", Partner: "vendor", Roles: entitlement.RoleLMSUser}} {
		if err := l.AddUser(ctx, admin, u); err != nil {
			return err
		}
	}
	ap := presales.Product{ID: "AP", Name: "Enterprise AP", SelfService: true,
		Parts:    []presales.Part{{Part: "EN-AP-LIC", Name: "AP access license", Kind: entitlement.PartCount}},
		Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}}
	book, err := presales.New(l, presales.Policy{ApprovalFree: 1, Products: []presales.Product{ap}})
	if err != nil {
		return err
	}
	if err := book.SetRoles(ctx, admin, contact.User, presales.RoleProjectContact); err != nil {
		return err
	}
	if err := book.SetRoles(ctx, admin, director.User, presales.RoleRegionalDirector); err != nil {
		return err
	}
	if _, err := book.AddDevice(ctx, user, "2102350DLF10H1000123"); err != nil { // an unknown ESN that passes the ESN rules
		return err
	}
	req := presales.Request{ESN: "2102350DLF10H1000123", NoCustomer: true, Days: 30,
		Products: []presales.ProductRequest{{Product: "AP", UseTemplate: true, Values: ap.Template}}}
	app, err := book.Apply(ctx, user, req) // the template unchanged, below the approval-free count: issued at once
	if err != nil {
		return err
	}
	dev, err := book.Device(ctx, user, req.ESN)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s without approval; the ESN has %d application\n", app.Number, app.Status, dev.Applications)
	f, err := book.Download(ctx, user, app.Number) // self-service download
	if err != nil {
		return err
	}
	signed, err := license.ReadSVIZip(f.Data)
	if err != nil {
		return err
	}
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return err
	}
	lf, err := license.Open(signed, kr)
	if err != nil {
		return err
	}
	fmt.Printf("file %s type %s, ends %s, bound to %s %s\n", lf.Serial, lf.Entitlement, lf.NotAfter.Format(time.DateOnly), lf.Host.System, lf.Host.Code)
	second, err := book.Apply(ctx, user, req) // the count has reached the approval-free count: approval
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s (count %d of 1 approval-free)\n", second.Number, second.Status, second.Count)
	if _, err := book.Approve(ctx, contact, second.Number, "pre-sales test agreed"); err != nil {
		return err
	}
	second, err = book.Approve(ctx, director, second.Number, "")
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s after %d approvals\n", second.Number, second.Status, len(second.Approvals))
	return nil
}
