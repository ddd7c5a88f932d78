package systems_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// guideLedger is an in-memory ledger with the guide's rules, a vendor administrator and one
// distributor's LMS user. The issuer key and the deriver secret are fixed test values: real ones
// never live in source.
func guideLedger(ctx context.Context, now time.Time) (*entitlement.Ledger, entitlement.Actor, entitlement.Actor, error) {
	key, err := signing.NewKeyFromSeed([]byte("example issuer key, not secret!!"))
	if err != nil {
		return nil, entitlement.Actor{}, entitlement.Actor{}, err
	}
	deriver, err := keycode.NewDeriver([]byte("example deriver secret, not real"))
	if err != nil {
		return nil, entitlement.Actor{}, entitlement.Actor{}, err
	}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{
		Issuer:  entitlement.LicenseIssuer{Key: key},
		Rules:   systems.GuideRules(),
		Deriver: deriver,
		Clock:   fixedClock{now},
		Rand:    rand.NewChaCha8([32]byte{2}),
	})
	admin, ed := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	return l, admin, ed, partnerX(ctx, l, admin, ed)
}

// The package documentation's example: an SV9500 Standard Server gets a temp key and its LMC
// child, takes the Virtualization Option alone, and the LAN1 IP gives it its virtual code and
// file.
func Example() {
	if err := sv9500(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// created with a temp key: true; LMC child LM + the temp key: true
	// virtual code 35V…, file serial 1, Virtualization Option activated: true, LMC child follows: true
}

func sv9500() error {
	ctx := context.Background()
	key, err := signing.NewKeyFromSeed([]byte("example issuer key, not secret!!"))
	if err != nil {
		return err
	}
	deriver, err := keycode.NewDeriver([]byte("example deriver secret, not real"))
	if err != nil {
		return err
	}
	store, issuer := entitlement.NewMemStore(), entitlement.LicenseIssuer{Key: key}
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}

	l := entitlement.New(store, entitlement.Config{Rules: systems.GuideRules(), Deriver: deriver, Issuer: issuer})
	if err := partnerX(ctx, l, admin, user); err != nil {
		return err
	}
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Virtual SV9500",
		System: "SV9500 Standard Server"}) // a temp key and the LMC child
	if err != nil {
		return err
	}
	v, err := l.Location(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	fmt.Printf("created with a temp key: %v; LMC child LM + the temp key: %v\n",
		strings.HasSuffix(loc.HWKC, "-TEMP-KEY"), v.Children[0].HWKC == "LM"+loc.HWKC)
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO9500", SO: "SO9500",
		Lines: []entitlement.OrderLine{{Part: systems.PartVirtualizationOption, Qty: 1}}})
	if err != nil {
		return err
	}
	if _, err := l.Attach(ctx, user, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}); err != nil {
		return err
	}
	file, err := systems.SetLAN1IP(ctx, l, user, loc.ID, netip.MustParseAddr("192.168.10.20"))
	if err != nil {
		return err
	}
	if v, err = l.Location(ctx, user, loc.ID); err != nil {
		return err
	}
	fmt.Printf("virtual code %s…, file serial %d, Virtualization Option activated: %v, LMC child follows: %v\n",
		v.HWKC[:3], file.Serial, len(v.Activated) == 1, v.Children[0].HWKC == "LM"+v.HWKC)
	return nil
}

// partnerX bootstraps the vendor and adds Distributor X with its LMS user.
func partnerX(ctx context.Context, l *entitlement.Ledger, admin, user entitlement.Actor) error {
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	return l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser})
}

// The guide's SV9100 CP10 → CP20 migration: the location keeps its id, takes the CP20 code and
// system, and its activated lines are carried over with new software key codes on a MIGSU_ order;
// the old lines stay as read-only history.
func ExampleMigrateSV9100() {
	if err := migrate(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// CP20 code as CP10: entitlement: system rule
	// SV9100 CP20 441018029547 formerly [341006761783] file 441018029547-svi.zip
	// activated BE114063 8 MIGSU_201907171
	// activated BE114074 1 MIGSU_201907171
	// history   BE114074 1 SV91-4 Lics migrated
	// history   BE114063 8 SV91-4 Lics migrated
}

func migrate() error {
	ctx := context.Background()
	l, admin, ed, err := guideLedger(ctx, time.Date(2019, 7, 17, 10, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "SV91-4 Lics", SO: "SV91-4 Lics",
		Lines: []entitlement.OrderLine{{Part: "BE114063", Qty: 8}, {Part: "BE114074", Qty: 1}}})
	if err != nil {
		return err
	}
	cust, err := l.CreateCustomer(ctx, ed, entitlement.Customer{Name: "Olympia"})
	if err != nil {
		return err
	}
	// The system type must match the code's range: a CP20 code is refused for a CP10 location.
	_, err = l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: "SV9100-4", System: "SV9100 CP10", HWKC: "441018029547"})
	if errors.Is(err, entitlement.ErrRule) {
		fmt.Println("CP20 code as CP10:", entitlement.ErrRule)
	}
	loc, err := l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: "SV9100-4", System: "SV9100 CP10", HWKC: "341006761783"})
	if err != nil {
		return err
	}
	if _, err := l.Attach(ctx, ed, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 8}, {Line: shipped[1].ID, Qty: 1}}); err != nil {
		return err
	}
	if _, err := l.Activate(ctx, ed, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil {
		return err
	}

	f, err := systems.MigrateSV9100(ctx, l, ed, loc.ID, "441018029547")
	if err != nil {
		return err
	}
	v, err := l.Location(ctx, ed, loc.ID)
	if err != nil {
		return err
	}
	fmt.Println(v.System, v.HWKC, "formerly", v.FormerHWKC, "file", f.Name)
	for _, ln := range v.Activated {
		fmt.Println("activated", ln.Part, ln.Qty, ln.PO)
	}
	for _, ln := range v.History {
		fmt.Println("history  ", ln.Part, ln.Qty, ln.PO, ln.State)
	}
	return nil
}
