package swa_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/signing"
	"github.com/lmskit/lmskit/swa"
)

// exampleClock is the example's clock: the guide's dates, moved by hand. Tests never sleep.
type exampleClock struct{ t time.Time }

func (c *exampleClock) Now() time.Time { return c.t }

// shape hides the random letters and digits of an agreement number: 50IS0-????#####-N.
func shape(number string) string {
	return regexp.MustCompile(`-[A-Z]{4}[0-9]{5}-`).ReplaceAllString(number, "-????#####-")
}

// The whole path of Software Assurance on the guide's iS3000/SIP@Net system: units shipped into
// the distributor's units bin, licenses activated with the quote that follows, SWA assigned in
// grace and in force after the 24-hour cooling-off, Lic-078 attached free of charge, and the
// customer's two locations co-termed in one renewal. The signing key is a fixed test key and the
// randomness is seeded so the output is the same on every run; real keys never live in source.
func Example() {
	ctx := context.Background()
	clock := &exampleClock{time.Date(2014, 12, 15, 9, 0, 0, 0, time.UTC)}
	key, _ := signing.NewKeyFromSeed([]byte("swa example test key, not secret"))
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: clock, Issuer: entitlement.LicenseIssuer{Key: key},
		Rand: rand.NewChaCha8([32]byte{'s', 'w', 'a'})})
	admin, ed := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	check := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	check(l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Admin"}))
	check(l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}))
	check(l.AddUser(ctx, admin, entitlement.User{ID: ed.User, Name: "Ed", Partner: "distx",
		Roles: entitlement.RoleLMSUser | entitlement.RoleSWADistributor}))
	book, err := swa.New(l, swa.Config{}) // the shipped product terms; units now reach the units bin
	check(err)

	// The vendor ships an order with SWA units (BE112031, expiring) and the licenses of two systems.
	licenses := []entitlement.OrderLine{{Part: "960026138000", Qty: 2}, {Part: "EU920000", Qty: 2}, {Part: "EU920014", Qty: 80}}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO-1412", SO: "SO-1412", Expires: time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC),
		Lines: append([]entitlement.OrderLine{{Part: "BE112031", Qty: 1000}}, licenses...)})
	check(err)
	bin, _ := book.Bin(ctx, ed)
	fmt.Printf("units bin: %d available, shipment %s expires %s\n", bin.Available, bin.Shipments[0].SO, bin.Shipments[0].Expires.Format("01/02/2006"))

	// Two locations of one customer; the licenses are attached and activated on December 15, 2014.
	cust, _ := l.CreateCustomer(ctx, ed, entitlement.Customer{Name: "Ed Austria"})
	var locs []entitlement.Location
	for i, code := range []string{"aa0014SA2792654321AA", "aa0014SA2792978543AA"} {
		loc, err := l.CreateLocation(ctx, ed, entitlement.Location{Customer: cust.ID, Name: fmt.Sprintf("SIP@Net %d", i+1), System: "iS3000", HWKC: code})
		check(err)
		var picks []entitlement.Pick
		for _, s := range shipped {
			picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped / 2})
		}
		_, err = l.Attach(ctx, ed, loc.ID, picks)
		check(err)
		locs = append(locs, loc)
	}
	act, err := book.Activate(ctx, ed, locs[0].ID, entitlement.Activation{AcceptAgreement: true}, nil)
	check(err)
	pq := act.Quote.Products[0]
	fmt.Printf("activated, file %d; %s in grace, SWA would start %s:", act.File.Serial, pq.Application, pq.Start.Format("01/02/2006"))
	for _, o := range pq.Options {
		fmt.Printf(" %d/%d", o.Units, o.Months)
	}
	fmt.Printf("\nfree of charge: %s\n", act.FreeOfCharge[0].Name)

	// Assign 66 units for 12 months: pending for 24 hours, then in force by itself.
	asg, err := book.Assign(ctx, ed, locs[0].ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, Reference: "order 4711", AuthorizeUnits: true})
	check(err)
	st, _ := book.Status(ctx, ed, locs[0].ID)
	fmt.Printf("assigned %d units: %s, %s left\n", asg.Units, st.State, st.TimeLeft)
	clock.t = clock.t.Add(24 * time.Hour)
	st, _ = book.Status(ctx, ed, locs[0].ID)
	fmt.Printf("after 24 hours: %s, agreement %s expires %s\n", st.State, shape(st.Products[0].Agreement), st.Products[0].Expires.Format("01/02/2006"))

	// With SWA in force Lic-078 attaches without a purchase order.
	foc, err := book.AttachFreeOfCharge(ctx, ed, locs[0].ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
	check(err)
	fmt.Printf("free of charge: %s under PO %s / SO %s, file %d\n", foc.Lines[0].Part, foc.PO, foc.SO, foc.File.Serial)

	// The second location: activated and assigned 24 months in one step, pushed at once.
	act, err = book.Activate(ctx, ed, locs[1].ID, entitlement.Activation{AcceptAgreement: true},
		&swa.AssignRequest{Choices: []swa.Choice{{Months: 24}}, AuthorizeUnits: true})
	check(err)
	_, err = book.Push(ctx, ed, act.Assignment.ID, "customer asked for it today")
	check(err)

	// January 2016: co-term both agreements to March 2018 in one renewal.
	clock.t = time.Date(2016, 1, 15, 9, 0, 0, 0, time.UTC)
	req := swa.RenewalRequest{Customer: cust.ID, End: time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)}
	q, err := book.RenewalQuote(ctx, ed, req)
	check(err)
	for _, ln := range q.Lines {
		fmt.Printf("renew %s: %s to %s, %d months, %d units\n", ln.Name, ln.Start.Format("01/02/2006"), ln.End.Format("01/02/2006"), ln.Months, ln.Units)
	}
	req.AuthorizeUnits = true
	r, err := book.Renew(ctx, ed, req)
	check(err)
	for _, it := range r.Items {
		fmt.Printf("renewed: %s expires %s\n", shape(it.Agreement), it.End.Format("01/02/2006"))
	}
	bin, _ = book.Bin(ctx, ed)
	fmt.Printf("units left: %d of 1000\n", bin.Available)
	check(swa.CheckConservation(ctx, l))
	// Output:
	// units bin: 1000 available, shipment SO-1412 expires 12/31/2016
	// activated, file 1; SIP@Net in grace, SWA would start 04/01/2015: 66/12 129/24 189/36 251/48 304/60 0/0
	// free of charge: Lic 078 - SWA Upgrade Q4-2013
	// assigned 66 units: pending, 24h0m0s left
	// after 24 hours: active, agreement 50IS0-????#####-N expires 03/31/2016
	// free of charge: 960026473134 under PO SA20141216001 / SO CO20141216001, file 2
	// renew SIP@Net 1: 04/01/2016 to 03/31/2018, 24 months, 129 units
	// renew SIP@Net 2: 04/01/2017 to 03/31/2018, 12 months, 66 units
	// renewed: 50IS0-????#####-R01 expires 03/31/2018
	// renewed: 50IS0-????#####-R01 expires 03/31/2018
	// units left: 610 of 1000
}
