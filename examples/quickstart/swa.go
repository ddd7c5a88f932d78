package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/signing"
	"github.com/lmskit/lmskit/swa"
)

// swaClock is the SWA scenario's clock: the guide's dates, moved by the scenario.
type swaClock struct{ t time.Time }

func (c *swaClock) Now() time.Time { return c.t }

// runSWA replays the LMS guide's iS3000/SIP@Net example of "SWA Activation outside Grace period or
// Active SWA period (reinstatement)" with the swa package on the embedded ledger: the vendor ships
// SWA units; the partner activates the SIP@Net Server's licenses on 15-12-2014 (grace until
// 31-03-2015) without SWA; three months after grace the quote is 304 units for 60 months plus 17
// reinstatement units, 321 in all; the partner assigns and pushes it, and the agreement shows with
// its expiry; Lic-078 then attaches free of charge. Fixed key, clock and randomness keep the
// output the same on every run (real keys never live in source).
func runSWA(w io.Writer) error {
	fmt.Fprintln(w, "== Software Assurance: the guide's iS3000/SIP@Net reinstatement example (swa)")
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lmskit-swa-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := entitlement.OpenFile(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	key, err := signing.NewKeyFromSeed([]byte("quickstart swa key, not secret!!"))
	if err != nil {
		return err
	}
	clock := &swaClock{time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)}
	l := entitlement.New(store, entitlement.Config{Clock: clock, Issuer: entitlement.LicenseIssuer{Key: key},
		Rules: systems.GuideRules(), Rand: rand.NewChaCha8([32]byte{'s', 'w', 'a', 'q', 's'})})
	admin := entitlement.Actor{User: "lms-admin@vendor.example"}
	user := entitlement.Actor{User: "ed@partner-x.example"} // "LMS User (with SWA Role)"
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Administrator"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "partner-x", Name: "Partner X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "Ed", Partner: "partner-x",
		Roles: entitlement.RoleLMSUser | entitlement.RoleSWADistributor}); err != nil {
		return err
	}
	book, err := swa.New(l, swa.Config{})
	if err != nil {
		return err
	}

	// The vendor ships 8967 SWA units with an expiry date, and the system's licenses (Lic-073 is
	// not on an order with SWA).
	expires := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "partner-x", PO: "SIP@Net Lics", SO: "SIP@Net Lics", Expires: expires,
		Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 8967}, {Part: "960026138000", Qty: 1}, {Part: "EU920000", Qty: 1},
			{Part: "960025871000", Qty: 4}, {Part: "960026036000", Qty: 2}, {Part: "EU920014", Qty: 40}}})
	if err != nil {
		return err
	}
	bin, err := book.Bin(ctx, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: shipped %d SWA units (%s) into Partner X's units bin, expiring %s\n", bin.Available, bin.Shipments[0].Part, day(bin.Shipments[0].Expires))

	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Ed Austria"})
	if err != nil {
		return err
	}
	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "SIP@Net Server", System: "iS3000", HWKC: "aa0014SA2792654321AA"})
	if err != nil {
		return err
	}
	var picks []entitlement.Pick
	for _, s := range shipped {
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
	}
	if _, err := l.Attach(ctx, user, loc.ID, picks); err != nil {
		return err
	}
	// The recommended path in one step: activation, its quote and the free-of-charge offer. The
	// activation succeeds without Lic-073/Lic-078; the system's rules warn that it will not run
	// until Lic-078 is attached, which the same step offers.
	act, err := book.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil) // no SWA now
	if err != nil {
		return err
	}
	for _, warning := range act.File.Warnings {
		fmt.Fprintf(w, "swa: warning: %s\n", warning)
	}
	st, err := book.Status(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	p := st.Products[0]
	fmt.Fprintf(w, "swa: %s licenses activated on %s %s (file %d); grace until %s, grace agreement %s\n",
		day(p.GraceStart), loc.Name, loc.HWKC, act.File.Serial, day(p.GraceEnd), p.Agreement)
	fmt.Fprintf(w, "swa: offered free of charge in grace: %s (instead of %s)\n", act.FreeOfCharge[0].Name, act.FreeOfCharge[0].Replaces)

	// Three months after grace: the quote adds the reinstatement fee.
	clock.t = time.Date(2015, 6, 30, 10, 0, 0, 0, time.UTC)
	if st, err = book.Status(ctx, user, loc.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: %s status %s: grace ended %s without SWA\n", day(clock.t), st.State, day(st.Products[0].GraceEnd))
	q, err := book.Quote(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	pq := q.Products[0]
	var opts []string
	for _, o := range pq.Options {
		if o.Months == 0 {
			opts = append(opts, "0 activate SWA later")
			continue
		}
		opts = append(opts, fmt.Sprintf("%d units for %d months", o.Units, o.Months))
	}
	fmt.Fprintf(w, "swa: quote (%d units available): %s\n", q.Available, strings.Join(opts, ", "))
	sixty := pq.Options[len(pq.Options)-2]
	fmt.Fprintf(w, "swa: reinstatement fees: %d months, %d units; %d + %d = %d units for %d months\n",
		pq.Reinstatement.Months, pq.Reinstatement.Units, sixty.Units, pq.Reinstatement.Units, sixty.Total, sixty.Months)

	asg, err := book.Assign(ctx, user, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 60}}, Reference: "Ed Austria SWA", AuthorizeUnits: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: assigned %d units, %s for the cooling-off (%s left)\n", asg.Units, asg.State, asg.TimeLeft(clock.t))
	if _, err := book.Push(ctx, user, asg.ID, "Need to activate SWA Immediately"); err != nil {
		return err
	}
	if st, err = book.Status(ctx, user, loc.ID); err != nil {
		return err
	}
	p = st.Products[0]
	bin, err = book.Bin(ctx, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: pushed; %s %s agreement %s from %s, expires %s; %d units left\n", p.Application, p.State, p.Agreement, day(p.Start), day(p.Expires), bin.Available)

	foc, err := book.AttachFreeOfCharge(ctx, user, loc.ID, swa.FreeOfChargeRequest{Parts: []string{act.FreeOfCharge[0].Part}, AcceptAgreement: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: %s attached free of charge under PO %s / SO %s and activated: file %d\n", foc.Offers[0].Name, foc.PO, foc.SO, foc.File.Serial)
	if err := swa.CheckConservation(ctx, l); err != nil {
		return err
	}
	n, err := l.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swa: units and licenses conserved; %d audit records verified\n", n)
	return nil
}

// day prints a date as the guide's screens do.
func day(t time.Time) string { return t.Format("01/02/2006") }
