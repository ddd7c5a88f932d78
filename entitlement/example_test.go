package entitlement_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// The guide's SV8100 example on an in-memory ledger, with a fixed test key (real keys never live in
// source), a fixed clock and fixed randomness, then the file opened as the PBX opens it.
func Example() {
	ctx := context.Background()
	key, _ := signing.NewKeyFromSeed([]byte("example issuer key, not secret!!"))
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Issuer: entitlement.LicenseIssuer{Key: key},
		Clock:  fixedClock{time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)},
		Rand:   rand.NewChaCha8([32]byte{1}),
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	partner := entitlement.Actor{User: "user@partner-x"}
	_ = l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"})
	_ = l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor})
	_ = l.AddUser(ctx, admin, entitlement.User{ID: "user@partner-x", Name: "LMS User", Partner: "partner-x", Roles: entitlement.RoleLMSUser})
	shipped, _ := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO123456", SO: "SO1280677", Lines: []entitlement.OrderLine{
		{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 5}, {Part: "BE107576", Qty: 1}, {Part: "BE107585", Qty: 20}}})

	cust, _ := l.CreateCustomer(ctx, partner, entitlement.Customer{Name: "NEW CUSTOMER NAME"})
	loc, _ := l.CreateLocation(ctx, partner, entitlement.Location{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"})
	var picks []entitlement.Pick
	for _, s := range shipped {
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
	}
	_, _ = l.Attach(ctx, partner, loc.ID, picks)
	file, err := l.Activate(ctx, partner, loc.ID, entitlement.Activation{AcceptAgreement: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("download:", file.Name)

	// The PBX side: unpack, verify with the trusted key, check the binding, stack.
	kr := signing.NewKeyring()
	_ = kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{})
	signed, _ := license.ReadSVIZip(file.Data)
	f, err := license.Open(signed, kr)
	if err != nil {
		fmt.Println(err)
		return
	}
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	fmt.Println("binding:", f.Check(host, time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)))
	set, _ := license.Stack(f.Lines...)
	fmt.Println("IP terminals:", set.Count("BE107585"), "IP trunks:", set.Count("BE107582"), "SMDR:", set.Has("BE107576"))
	// Output:
	// download: 191000343919-svi.zip
	// binding: <nil>
	// IP terminals: 20 IP trunks: 5 SMDR: true
}

// A distributor's user acts as a dealer's user where the shipping allowance exists; the audit log
// records both names.
func ExampleLedger_Impersonate() {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Clock: fixedClock{time.Date(2016, 12, 29, 9, 0, 0, 0, time.UTC)},
		Rand:  rand.NewChaCha8([32]byte{2}),
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	_ = l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"})
	_ = l.AddPartner(ctx, admin, entitlement.Partner{ID: "dist-x", Name: "Distributor X", Kind: entitlement.KindDistributor})
	_ = l.AddPartner(ctx, admin, entitlement.Partner{ID: "dealer-y", Name: "Dealer Y", Kind: entitlement.KindDealer})
	_ = l.AddUser(ctx, admin, entitlement.User{ID: "Ed Distributor X", Name: "Ed", Partner: "dist-x", Roles: entitlement.RoleLMSUser})
	_ = l.AddUser(ctx, admin, entitlement.User{ID: "Dealer Y", Name: "Dealer Y", Partner: "dealer-y", Roles: entitlement.RoleLMSUser})

	_, err := l.Impersonate(ctx, "Ed Distributor X", "Dealer Y")
	fmt.Println("without allowance:", err)

	_ = l.SetAllowance(ctx, admin, "dist-x", "dealer-y", true)
	imp, _ := l.Impersonate(ctx, "Ed Distributor X", "Dealer Y")
	fmt.Println("acting as:", imp)
	c, _ := l.CreateCustomer(ctx, imp, entitlement.Customer{Name: "Edwins Customer"})
	fmt.Println("customer of:", c.Partner)

	recs, _ := l.Audit(ctx, admin, 0, 100)
	last := recs[len(recs)-1]
	fmt.Println("audit:", last.Op, "by", last.Identity())
	// Output:
	// without allowance: impersonate: entitlement: not allowed: impersonation of "Dealer Y" by "Ed Distributor X": no shipping allowance dist-x→dealer-y
	// acting as: IMP:Ed Distributor X/Dealer Y
	// customer of: dealer-y
	// audit: create customer by IMP:Ed Distributor X/Dealer Y
}

// A package built on the ledger runs its own operation in the ledger's transaction: the actor is
// resolved and checked, the operation keeps a record of its own, and one audit record joins the
// chain.
func ExampleLedger_Update() {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Clock: fixedClock{time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)},
		Events: func(e entitlement.Event) {
			fmt.Println("event:", e.Kind, e.Ref)
		},
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}); err != nil {
		fmt.Println(err)
		return
	}
	type note struct {
		Text string `cbor:"1,keyasint"`
	}
	err := l.Update(ctx, admin, "example.note", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "write notes"); err != nil {
			return err
		}
		x.Ref("note", "1")
		x.Emit(entitlement.Event{Kind: "example.noted", Ref: "1"})
		return x.Put("example.notes", "1", note{Text: "written " + x.Now().Format("2006-01-02")})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var n note
	_ = l.View(ctx, admin, "example.read", func(x *entitlement.Op) error {
		_, err := x.Get("example.notes", "1", &n)
		return err
	})
	records, _ := l.VerifyAudit(ctx)
	fmt.Println(n.Text, "- audit records:", records)
	// Output:
	// event: example.noted 1
	// written 2014-12-15 - audit records: 2
}
