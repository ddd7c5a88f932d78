package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// runLedger runs the LMS guide's SV8100 example ("LMS License handling procedure") on the durable
// embedded ledger in a temporary directory: the vendor ships PO123456 into Partner X's bin, the
// partner creates the customer and the location 191000343919, attaches the four lines, activates
// them (accepting the license agreement) and downloads 191000343919-svi.zip. Then the PBX side
// installs the file with the vendor's public key and prints the grant.
func runLedger(w io.Writer) error {
	fmt.Fprintln(w, "== the guide's SV8100 example on the embedded ledger (entitlement)")
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lmskit-ledger-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// A fixed test key, a fixed clock (the guide's date) and fixed randomness keep the output the
	// same on every run. Real issuer keys never live in source; a real server reads its key from
	// its own secret store and leaves Clock and Rand nil (time.Now, crypto/rand).
	key, err := signing.NewKeyFromSeed([]byte("quickstart test key, not secret!"))
	if err != nil {
		return err
	}
	now := time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)
	store, err := entitlement.OpenFile(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	l := entitlement.New(store, entitlement.Config{
		Issuer: entitlement.LicenseIssuer{Key: key},
		Clock:  fixedClock(now),
		Rand:   rand.NewChaCha8([32]byte{'q', 's'}),
	})

	admin := entitlement.Actor{User: "lms-admin@vendor.example"}
	user := entitlement.Actor{User: "lms-user@partner-x.example"}
	steps := []func() error{
		func() error {
			return l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Administrator"})
		},
		func() error {
			return l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor})
		},
		func() error {
			return l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "LMS User, Partner X", Partner: "partner-x", Roles: entitlement.RoleLMSUser})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics",
		Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 5}, {Part: "BE107576", Qty: 1}, {Part: "BE107585", Qty: 20}}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ledger: shipped PO123456 into Partner X's bin (%d lines)\n", len(shipped))

	// I. Create New Customer. II. Create New Customer Location.
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "NEW CUSTOMER NAME", Address: "STREET AND NUMBER, TOWN OR VILLAGE"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ledger: location %q %s %s, id %s, %d demo licenses\n", loc.Name, loc.System, loc.HWKC, loc.ID, loc.DemosLeft)

	// III. Select and Attach Licenses (all of them: no quantity changed).
	var picks []entitlement.Pick
	for _, s := range shipped {
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	lines, err := l.Attach(ctx, user, loc.ID, picks)
	if err != nil {
		return err
	}
	for _, ln := range lines {
		part, _ := l.Catalog().Part(ln.Part)
		fmt.Fprintf(w, "ledger: attached %s  %s (%s) ×%d\n", ln.SKC, part.Name, ln.Part, ln.Qty)
	}

	// IV. Activate Licenses and Download License file.
	if _, err := l.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil {
		return err
	}
	file, err := l.Download(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	if err := entitlement.CheckConservation(ctx, store); err != nil {
		return err
	}
	n, err := l.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ledger: activated; download %s (%d bytes), activation code %s; %d audit records verified\n",
		file.Name, len(file.Data), file.ActivationCode, n)

	// The PBX: it trusts the vendor's public key, observes its own HWKC, installs the file.
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return err
	}
	code, err := keycode.Parse(keycode.SV8100, "191000343919")
	if err != nil {
		return err
	}
	dev, err := license.OpenDevice(license.DeviceConfig{
		Host:    license.Host{System: keycode.SV8100, Code: code},
		Keyring: kr,
		State:   license.DirState(filepath.Join(dir, "pbx")),
		Secret:  []byte("quickstart firmware secret, demo only"),
		Clock:   func() time.Time { return now.Add(24 * time.Hour) },
		// The firmware's build time: the guide's example runs in 2012, so a clock reading from
		// then is plausible (the default floor is 2025).
		EarliestPlausible: now.Add(-24 * time.Hour),
	})
	if err != nil {
		return err
	}
	signed, err := license.ReadSVIZip(file.Data)
	if err != nil {
		return err
	}
	if err := dev.Install(signed); err != nil {
		return err
	}
	g := dev.Grant()
	fmt.Fprintf(w, "pbx: %s\n", g)
	fmt.Fprintf(w, "pbx: IP terminals %d, IP trunks %d, 256 ports %v, SMDR %v\n",
		g.Count("BE107585"), g.Count("BE107582"), g.Has("BE107573"), g.Has("BE107576"))
	return nil
}

// fixedClock is an entitlement.Clock that always reads the same time.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
