package loadmix

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// InProcess runs the mix on a ledger and its SWA book directly: the floor the HTTP figures are
// read against.
type InProcess struct {
	L     *entitlement.Ledger // the ledger, bootstrapped
	Book  *swa.Book           // the ledger's SWA book (swa.New on L)
	Admin entitlement.Actor   // its administrator, who sets the partners up
	// Prefix names this run's partners (<prefix>-<client>), so several runs share a ledger.
	Prefix string
}

// Setup implements Driver: a distributor with an LMS user who is its SWA Distributor Admin, a
// shipment of a million BE107585, an iS3000 system's licenses and SWA units, a customer, and an
// iS3000 location with those licenses activated (in grace: its SWA quote offers every term).
func (d *InProcess) Setup(ctx context.Context, client int, code string) (Partner, error) {
	id := fmt.Sprintf("%s-%d", d.Prefix, client)
	user := entitlement.Actor{User: "user@" + id}
	if err := d.L.AddPartner(ctx, d.Admin, entitlement.Partner{ID: id, Name: "Load partner " + id, Kind: entitlement.KindDistributor}); err != nil {
		return Partner{}, err
	}
	if err := d.L.AddUser(ctx, d.Admin, entitlement.User{ID: user.User, Name: "Load user", Partner: id,
		Roles: entitlement.RoleLMSUser | entitlement.RoleSWADistributor}); err != nil {
		return Partner{}, err
	}
	ord := entitlement.Order{Partner: id, PO: "PO-" + id, SO: "SO-" + id, Expires: time.Now().UTC().AddDate(2, 0, 0),
		Lines: []entitlement.OrderLine{{Part: stockPart, Qty: 1_000_000}}}
	for _, p := range is3000Parts {
		ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: p.part, Qty: p.qty})
	}
	lines, err := d.L.Ship(ctx, d.Admin, ord)
	if err != nil {
		return Partner{}, err
	}
	c, err := d.L.CreateCustomer(ctx, user, entitlement.Customer{Name: "Load customer"})
	if err != nil {
		return Partner{}, err
	}
	p := Partner{User: user.User, Customer: c.ID}
	var picks []entitlement.Pick
	for _, s := range lines { // the units went to the SWA units bin, not the license bin
		if s.Part == stockPart {
			p.Line = s.ID
		} else {
			picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
		}
	}
	loc, err := d.L.CreateLocation(ctx, user, entitlement.Location{Customer: c.ID, Name: "SWA " + code, System: "iS3000", HWKC: is3000Code(code)})
	if err != nil {
		return Partner{}, err
	}
	if _, err := d.L.Attach(ctx, user, loc.ID, picks); err != nil {
		return Partner{}, err
	}
	if _, err := d.Book.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil); err != nil {
		return Partner{}, err
	}
	p.SWALocation = loc.ID
	return p, nil
}

// Round implements Driver.
func (d *InProcess) Round(ctx context.Context, p Partner, code string, t Timer) error {
	a := entitlement.Actor{User: p.User}
	var loc entitlement.Location
	if err := t(OpCreateLocation, func() (err error) {
		loc, err = d.L.CreateLocation(ctx, a, entitlement.Location{Customer: p.Customer, Name: "Load " + code, System: "SV8100", HWKC: code})
		return err
	}); err != nil {
		return err
	}
	var lines []entitlement.Line
	if err := t(OpAttach, func() (err error) {
		lines, err = d.L.Attach(ctx, a, loc.ID, []entitlement.Pick{{Line: p.Line, Qty: 1}})
		return err
	}); err != nil {
		return err
	}
	if err := t(OpActivate, func() error {
		_, err := d.L.Activate(ctx, a, loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	}); err != nil {
		return err
	}
	if err := t(OpDownload, func() error { _, err := d.L.Download(ctx, a, loc.ID); return err }); err != nil {
		return err
	}
	for range 2 {
		if err := t(OpLookupHWKC, func() error { _, err := d.L.LookupHWKC(ctx, a, code); return err }); err != nil {
			return err
		}
		if err := t(OpLookupSKC, func() error { _, _, err := d.L.LookupSKC(ctx, a, lines[0].SKC); return err }); err != nil {
			return err
		}
		if err := t(OpSWAQuote, func() error { _, err := d.Book.Quote(ctx, a, p.SWALocation); return err }); err != nil {
			return err
		}
	}
	return nil
}
