package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	mrand "math/rand/v2"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// sv9500Clock is the fixed clock of the SV9500 scenario, so every run prints the same.
type sv9500Clock struct{ t time.Time }

func (c sv9500Clock) Now() time.Time { return c.t }

// runScenario is the second ledger scenario: an SV9500 Standard Server, which has no hardware key
// code of its own. On the embedded bbolt store in a temporary directory, with the guide's
// per-system rules: the location is created with a temp key (and its LMC child); the first attach
// is the Virtualization Option BE114234 alone; giving the LAN1 IP derives the virtual HWKC,
// activates BE114234 and issues the file bound to that IP; then the rest attaches and activates,
// and the server opens its file as the PBX would. The issuer key and the deriver secret are made
// for this run (real ones never live in source); output that depends on them is shown by shape.
func runScenario(w io.Writer) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lmskit-sv9500-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := entitlement.OpenFile(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		return err
	}
	defer store.Close()

	key, err := signing.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	deriver, err := keycode.NewDeriver(secret)
	if err != nil {
		return err
	}
	l := entitlement.New(store, entitlement.Config{
		Clock:   sv9500Clock{time.Date(2015, 6, 1, 3, 58, 32, 0, time.UTC)},
		Issuer:  entitlement.LicenseIssuer{Key: key},
		Rules:   systems.GuideRules(),
		Deriver: deriver,
		Rand:    mrand.NewChaCha8([32]byte{95}), // deterministic ids and SKCs for the printout
	})
	admin := entitlement.Actor{User: "admin@vendor"}
	ed := entitlement.Actor{User: "ed@distx"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: ed.User, Name: "Ed Distributor X", Partner: "distx", Roles: entitlement.RoleLMSUser}); err != nil {
		return err
	}
	fmt.Fprintln(w, "== SV9500 Standard Server: temp key, Virtualization Option, LAN1 IP, virtual HWKC")
	cust, err := l.CreateCustomer(ctx, ed, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: "Virtual SV9500", System: "SV9500 Standard Server"})
	if err != nil {
		return err
	}
	v, err := l.Location(ctx, ed, loc.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "location created with temp key %s; LMC child %s\n", loc.HWKC, v.Children[0].HWKC)

	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO9500", SO: "SO9500", Lines: []entitlement.OrderLine{
		{Part: "BE114234", Qty: 1}, {Part: "BE114511", Qty: 1}, {Part: "BE114263", Qty: 50}}})
	if err != nil {
		return err
	}
	pick := func(s ...entitlement.ShippedLine) []entitlement.Pick {
		var p []entitlement.Pick
		for _, x := range s {
			p = append(p, entitlement.Pick{Line: x.ID, Qty: x.InBin})
		}
		return p
	}
	if _, err := l.Attach(ctx, ed, loc.ID, pick(shipped...)); err != nil {
		fmt.Fprintf(w, "attach everything first: refused (%s)\n", strings.TrimPrefix(err.Error(), "attach: entitlement: system rule: "))
	} else {
		return fmt.Errorf("attach of everything before the IP was accepted")
	}
	if _, err := l.Attach(ctx, ed, loc.ID, pick(shipped[0])); err != nil {
		return err
	}
	fmt.Fprintln(w, "attached BE114234 (SV9500 Lic Virtualization Option) alone")

	ip := netip.MustParseAddr("192.168.10.20")
	f, err := systems.SetLAN1IP(ctx, l, ed, loc.ID, ip)
	if err != nil {
		return err
	}
	v, err = l.Location(ctx, ed, loc.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "LAN1 IP %s: virtual HWKC %s… (%d characters), BE114234 activated: %v, file serial %d, temp key retired: %v\n",
		ip, v.HWKC[:3], len(v.HWKC), len(v.Activated) == 1 && v.Activated[0].Part == "BE114234", f.Serial,
		len(v.FormerHWKC) == 1 && v.FormerHWKC[0] == loc.HWKC)
	fmt.Fprintf(w, "LMC child follows: %v\n", v.Children[0].HWKC == "LM"+v.HWKC)

	if _, err := l.Attach(ctx, ed, loc.ID, pick(shipped[1:]...)); err != nil {
		return err
	}
	f, err = l.Activate(ctx, ed, loc.ID, entitlement.Activation{AcceptAgreement: true})
	if err != nil {
		return err
	}
	if _, err := systems.SetLAN1IP(ctx, l, ed, loc.ID, netip.MustParseAddr("192.168.10.21")); !errors.Is(err, entitlement.ErrNotAllowed) {
		return fmt.Errorf("a second virtual HWKC by a partner's user: %v, want ErrNotAllowed", err)
	}
	fmt.Fprintln(w, "a second virtual HWKC by the distributor's user: refused (administrator only)")
	if err := entitlement.CheckConservation(ctx, store); err != nil {
		return err
	}

	// The server opens its file: signature, host binding (code and LAN1 IP), lines.
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return err
	}
	signed, err := license.ReadSVIZip(f.Data)
	if err != nil {
		return err
	}
	file, err := license.Open(signed, kr)
	if err != nil {
		return err
	}
	code := keycode.MustParse(keycode.SV9500, v.HWKC)
	if err := file.Check(license.Host{System: keycode.SV9500, Code: code, IP: ip}, time.Now()); err != nil {
		return err
	}
	err = file.Check(license.Host{System: keycode.SV9500, Code: code, IP: netip.MustParseAddr("192.168.10.99")}, time.Now())
	fmt.Fprintf(w, "file %s… opened on the server at %s; on another IP: %v\n", f.Name[:3], ip, err != nil)
	for _, ln := range file.Lines {
		fmt.Fprintf(w, "  %s %-34s %3d\n", ln.Part, ln.Name, ln.Qty)
	}
	return nil
}
