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
// The package documentation's snippet is the part of swaExample that assigns.
func Example() {
	if err := swaExample(); err != nil {
		fmt.Println(err)
	}
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

func swaExample() error {
	ctx := context.Background()
	clock := &exampleClock{time.Date(2014, 12, 15, 9, 0, 0, 0, time.UTC)}
	key, err := signing.NewKeyFromSeed([]byte("swa example test key, not secret"))
	if err != nil {
		return err
	}
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: clock, Issuer: entitlement.LicenseIssuer{Key: key},
		Rand: rand.NewChaCha8([32]byte{'s', 'w', 'a'})})
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "LMS Admin"}); err != nil {
		return err
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}); err != nil {
		return err
	}
	if err := l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "Ed", Partner: "distx",
		Roles: entitlement.RoleLMSUser | entitlement.RoleSWADistributor}); err != nil {
		return err
	}

	book, err := swa.New(l, swa.Config{}) // the shipped product terms; SWA units now go to the units bin
	if err != nil {
		return err
	}

	// The vendor ships an order with SWA units (BE112031, expiring) and the licenses of two systems.
	licenses := []entitlement.OrderLine{{Part: "960026138000", Qty: 2}, {Part: "EU920000", Qty: 2}, {Part: "EU920014", Qty: 80}}
	shipped, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO-1412", SO: "SO-1412", Expires: time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC),
		Lines: append([]entitlement.OrderLine{{Part: "BE112031", Qty: 1000}}, licenses...)})
	if err != nil {
		return err
	}
	bin, err := book.Bin(ctx, user) // "SWA Units (UnAllocated / Allocated / Available)"
	if err != nil {
		return err
	}
	fmt.Printf("units bin: %d available, shipment %s expires %s\n", bin.Available, bin.Shipments[0].SO, bin.Shipments[0].Expires.Format("01/02/2006"))

	// Two locations of one customer; half of the licenses attached to each on December 15, 2014.
	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Ed Austria"})
	if err != nil {
		return err
	}
	newLocation := func(name, hwkc string) (entitlement.Location, error) {
		loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: name, System: "iS3000", HWKC: hwkc})
		if err != nil {
			return loc, err
		}
		var picks []entitlement.Pick
		for _, s := range shipped {
			picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped / 2})
		}
		_, err = l.Attach(ctx, user, loc.ID, picks)
		return loc, err
	}
	loc, err := newLocation("SIP@Net 1", "aa0014SA2792654321AA")
	if err != nil {
		return err
	}
	loc2, err := newLocation("SIP@Net 2", "aa0014SA2792978543AA")
	if err != nil {
		return err
	}

	// The package documentation's snippet: activate, then assign from the quote that comes back.
	act, err := book.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil)
	if err != nil {
		return err
	}
	pq := act.Quote.Products[0] // the terms: "66 units for 12 months", …, "0 Activate SWA later"
	fmt.Printf("activated, file %d; %s in grace, SWA would start %s:", act.File.Serial, pq.Application, pq.Start.Format("01/02/2006"))
	for _, o := range pq.Options {
		fmt.Printf(" %d/%d", o.Units, o.Months)
	}
	fmt.Printf("\nfree of charge: %s\n", act.FreeOfCharge[0].Name)

	asg, err := book.Assign(ctx, user, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}},
		Reference: "order 4711", AuthorizeUnits: true}) // pending for the 24-hour cooling-off
	if err != nil {
		return err
	}
	st, err := book.Status(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	fmt.Printf("assigned %d units: %s, %s left\n", asg.Units, st.State, st.TimeLeft)
	clock.t = clock.t.Add(24 * time.Hour)
	st, err = book.Status(ctx, user, loc.ID)
	if err != nil {
		return err
	}
	fmt.Printf("after 24 hours: %s, agreement %s expires %s\n", st.State, shape(st.Products[0].Agreement), st.Products[0].Expires.Format("01/02/2006"))

	// With SWA in force Lic-078 attaches without a purchase order.
	foc, err := book.AttachFreeOfCharge(ctx, user, loc.ID, swa.FreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true})
	if err != nil {
		return err
	}
	fmt.Printf("free of charge: %s under PO %s / SO %s, file %d\n", foc.Lines[0].Part, foc.PO, foc.SO, foc.File.Serial)

	// The second location: activated and assigned 24 months in one step, pushed at once.
	act, err = book.Activate(ctx, user, loc2.ID, entitlement.Activation{AcceptAgreement: true},
		&swa.AssignRequest{Choices: []swa.Choice{{Months: 24}}, AuthorizeUnits: true})
	if err != nil {
		return err
	}
	if _, err := book.Push(ctx, user, act.Assignment.ID, "customer asked for it today"); err != nil {
		return err
	}

	// January 2016: co-term both agreements to March 2018 in one renewal.
	clock.t = time.Date(2016, 1, 15, 9, 0, 0, 0, time.UTC)
	req := swa.RenewalRequest{Customer: cust.ID, End: time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)}
	q, err := book.RenewalQuote(ctx, user, req)
	if err != nil {
		return err
	}
	for _, ln := range q.Lines {
		fmt.Printf("renew %s: %s to %s, %d months, %d units\n", ln.Name, ln.Start.Format("01/02/2006"), ln.End.Format("01/02/2006"), ln.Months, ln.Units)
	}
	req.AuthorizeUnits = true
	r, err := book.Renew(ctx, user, req)
	if err != nil {
		return err
	}
	for _, it := range r.Items {
		fmt.Printf("renewed: %s expires %s\n", shape(it.Agreement), it.End.Format("01/02/2006"))
	}
	bin, err = book.Bin(ctx, user)
	if err != nil {
		return err
	}
	fmt.Printf("units left: %d of 1000\n", bin.Available)
	return swa.CheckConservation(ctx, l)
}
