package loadmix

import (
	"context"
	"fmt"

	"github.com/lmskit/lmskit/entitlement"
)

// InProcess runs the mix on a ledger directly: the floor the HTTP figures are read against.
type InProcess struct {
	L     *entitlement.Ledger // the ledger, bootstrapped
	Admin entitlement.Actor   // its administrator, who sets the partners up
	// Prefix names this run's partners (<prefix>-<client>), so several runs share a ledger.
	Prefix string
}

// Setup implements Driver: a distributor with an LMS user, a shipment of a million BE107585 and a
// customer.
func (d *InProcess) Setup(ctx context.Context, client int) (Partner, error) {
	id := fmt.Sprintf("%s-%d", d.Prefix, client)
	user := entitlement.Actor{User: "user@" + id}
	if err := d.L.AddPartner(ctx, d.Admin, entitlement.Partner{ID: id, Name: "Load partner " + id, Kind: entitlement.KindDistributor}); err != nil {
		return Partner{}, err
	}
	if err := d.L.AddUser(ctx, d.Admin, entitlement.User{ID: user.User, Name: "Load user", Partner: id, Roles: entitlement.RoleLMSUser}); err != nil {
		return Partner{}, err
	}
	lines, err := d.L.Ship(ctx, d.Admin, entitlement.Order{Partner: id, PO: "PO-" + id, SO: "SO-" + id,
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1_000_000}}})
	if err != nil {
		return Partner{}, err
	}
	c, err := d.L.CreateCustomer(ctx, user, entitlement.Customer{Name: "Load customer"})
	if err != nil {
		return Partner{}, err
	}
	return Partner{User: user.User, Customer: c.ID, Line: lines[0].ID}, nil
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
	}
	return nil
}
