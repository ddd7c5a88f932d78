package entitlement_test

import (
	"bytes"
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
// source), a fixed clock and fixed randomness, then the file opened as the PBX opens it. The
// package documentation's snippet is the partner's part of it.
func Example() {
	if err := sv8100Example(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// download: 191000343919-svi.zip
	// binding: <nil>
	// IP terminals: 20 IP trunks: 5 SMDR: true
}

func sv8100Example() error {
	ctx := context.Background()
	key, err := signing.NewKeyFromSeed([]byte("example issuer key, not secret!!"))
	if err != nil {
		return err
	}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Issuer: entitlement.LicenseIssuer{Key: key},
		Clock:  fixedClock{time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)},
		Rand:   rand.NewChaCha8([32]byte{1}),
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	user := entitlement.Actor{User: "user@partner-x"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: "user@partner-x", Name: "LMS User", Partner: "partner-x", Roles: entitlement.RoleLMSUser}); err != nil {
		return err
	}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO123456", SO: "SO1280677", Lines: []entitlement.OrderLine{
		{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 5}, {Part: "BE107576", Qty: 1}, {Part: "BE107585", Qty: 20}}})
	if err != nil {
		return err
	}

	// The package documentation's snippet.
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A",
		System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		return err
	}
	var picks []entitlement.Pick
	for _, s := range shipped { // lines of the partner's bin
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	if _, err := l.Attach(ctx, user, loc.ID, picks); err != nil { // bin → attached, each line gets an SKC
		return err
	}
	file, err := l.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true})
	if err != nil {
		return err
	}
	fmt.Println("download:", file.Name)

	// The PBX side: unpack, verify with the trusted key, check the binding, stack.
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return err
	}
	signed, err := license.ReadSVIZip(file.Data)
	if err != nil {
		return err
	}
	f, err := license.Open(signed, kr)
	if err != nil {
		return err
	}
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	fmt.Println("binding:", f.Check(host, time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)))
	set, err := license.Stack(f.Lines...)
	if err != nil {
		return err
	}
	fmt.Println("IP terminals:", set.Count("BE107585"), "IP trunks:", set.Count("BE107582"), "SMDR:", set.Has("BE107576"))
	return nil
}

// A distributor's user acts as a dealer's user where the shipping allowance exists; the audit log
// records both names.
func ExampleLedger_Impersonate() {
	if err := impersonateExample(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// without allowance: impersonate: entitlement: not allowed: impersonation of "Dealer Y" by "Ed Distributor X": no shipping allowance dist-x→dealer-y
	// acting as: IMP:Ed Distributor X/Dealer Y
	// customer of: dealer-y
	// audit: create customer by IMP:Ed Distributor X/Dealer Y
}

func impersonateExample() error {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Clock: fixedClock{time.Date(2016, 12, 29, 9, 0, 0, 0, time.UTC)},
		Rand:  rand.NewChaCha8([32]byte{2}),
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	for _, step := range []func() error{
		func() error {
			return l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"})
		},
		func() error {
			return l.AddPartner(ctx, admin, entitlement.Partner{ID: "dist-x", Name: "Distributor X", Kind: entitlement.KindDistributor})
		},
		func() error {
			return l.AddPartner(ctx, admin, entitlement.Partner{ID: "dealer-y", Name: "Dealer Y", Kind: entitlement.KindDealer})
		},
		func() error {
			return l.AddUser(ctx, admin, entitlement.User{ID: "Ed Distributor X", Name: "Ed", Partner: "dist-x", Roles: entitlement.RoleLMSUser})
		},
		func() error {
			return l.AddUser(ctx, admin, entitlement.User{ID: "Dealer Y", Name: "Dealer Y", Partner: "dealer-y", Roles: entitlement.RoleLMSUser})
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}

	_, err := l.Impersonate(ctx, "Ed Distributor X", "Dealer Y")
	fmt.Println("without allowance:", err)

	if err := l.SetAllowance(ctx, admin, "dist-x", "dealer-y", true); err != nil {
		return err
	}
	imp, err := l.Impersonate(ctx, "Ed Distributor X", "Dealer Y")
	if err != nil {
		return err
	}
	fmt.Println("acting as:", imp)
	c, err := l.CreateCustomer(ctx, imp, entitlement.Customer{Name: "Edwins Customer"})
	if err != nil {
		return err
	}
	fmt.Println("customer of:", c.Partner)

	recs, err := l.Audit(ctx, admin, 0, 100)
	if err != nil {
		return err
	}
	last := recs[len(recs)-1]
	fmt.Println("audit:", last.Op, "by", last.Identity())
	return nil
}

// A package built on the ledger runs its own operation in the ledger's transaction: the actor is
// resolved and checked, the operation keeps a record of its own, and one audit record joins the
// chain.
func ExampleLedger_Update() {
	if err := updateExample(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// event: example.noted 1
	// written 2014-12-15 - audit records: 2
}

func updateExample() error {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Clock: fixedClock{time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)},
		Events: func(e entitlement.Event) {
			fmt.Println("event:", e.Kind, e.Ref)
		},
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}); err != nil {
		return err
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
		return err
	}
	var n note
	err = l.View(ctx, admin, "example.read", func(x *entitlement.Op) error {
		_, err := x.Get("example.notes", "1", &n)
		return err
	})
	if err != nil {
		return err
	}
	records, err := l.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Println(n.Text, "- audit records:", records)
	return nil
}

// An online backup: a consistent copy of the running ledger from one read transaction, restored
// into an empty store, which verifies as the ledger does.
func ExampleLedger_Backup() {
	if err := backupExample(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// backup: 11 records
	// restored: 11 records, 3 audit records verified
}

func backupExample() error {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: fixedClock{time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)}})
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if _, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO1", SO: "SO1",
		Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}}); err != nil {
		return err
	}

	var backup bytes.Buffer // a file in practice
	n, err := l.Backup(ctx, &backup)
	if err != nil {
		return err
	}
	fmt.Println("backup:", n, "records")

	restored := entitlement.NewMemStore() // entitlement.OpenFile of a new file in practice
	m, err := entitlement.Import(ctx, restored, &backup, nil)
	if err != nil {
		return err
	}
	audited, err := entitlement.VerifyAudit(ctx, restored, nil)
	if err != nil {
		return err
	}
	fmt.Println("restored:", m, "records,", audited, "audit records verified")
	return nil
}
