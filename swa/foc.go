package swa

import (
	"context"
	"fmt"
	"slices"

	"github.com/lmskit/lmskit/entitlement"
)

// Offer is an upgrade license a location may attach free of charge ("Upgrade Licenses — Assured
// Licenses").
type Offer struct {
	Part, Name string // the upgrade's part number and name in the catalog
	// Qty is the quantity attached: 1 for a version or flag license, the quantity of the licenses
	// it replaces that are activated on the location for a count license.
	Qty int64
	// Replaces is the part it succeeds in the catalog (Lic-073 for Lic-078).
	Replaces string
}

// offers lists the free-of-charge upgrades of a location and whether it may claim any now (SWA in
// force or grace running for one of its products). The upgrades are the newest versions, per the
// catalog's successor data, of the licenses that fit the location's system, that the location does
// not hold yet, and whose product (the terms table's product of the license they succeed) is in
// force on the location: Software Assurance of one product (BCT on an SV9100) hands out no upgrade
// of another. Lic-078 for an iS3000/SIP@Net system (the successor of Lic-073, which an order with
// SWA does not ship), System R8 for an SV8300 in a catalog that has it. A count upgrade comes in
// the quantity of the licenses it succeeds that are activated on the location (an attached line
// can still go back to the bin).
func (r *run) offers(loc entitlement.Location, lr *locRec) ([]Offer, bool, error) {
	apps, _, err := r.apps(loc, lr)
	if err != nil {
		return nil, false, err
	}
	covered := map[string]bool{} // products in force
	for _, av := range apps {
		if r.inForce(av) {
			covered[av.p.Name] = true
		}
	}
	if len(covered) == 0 {
		return nil, false, nil
	}
	lines, err := r.x.Lines(loc.ID)
	if err != nil {
		return nil, false, err
	}
	held, activated := map[string]bool{}, map[string]int64{}
	for _, ln := range lines {
		switch ln.State {
		case entitlement.StateActivated:
			activated[ln.Part] += ln.Qty
			held[ln.Part] = true
		case entitlement.StateAttached:
			held[ln.Part] = true
		}
	}
	cat := r.x.Ledger().Catalog()
	var out []Offer
	for _, from := range cat.Parts() {
		if from.Successor == "" {
			continue
		}
		to, ok := cat.Part(from.Successor)
		for steps := 0; ok && to.Successor != "" && steps < 32; steps++ {
			to, ok = cat.Part(to.Successor)
		}
		if !ok || to.SWAUnits || !to.FitsSystem(loc.System) || held[to.Number] {
			continue
		}
		if p, ok := r.b.terms.productFor(loc.System, from.Number); !ok || !covered[p.Name] {
			continue
		}
		i := slices.IndexFunc(out, func(o Offer) bool { return o.Part == to.Number })
		if i < 0 {
			out = append(out, Offer{Part: to.Number, Name: to.Name, Replaces: from.Number})
			i = len(out) - 1
		}
		if activated[from.Number] > 0 { // name a predecessor the location holds; a count adds them up
			out[i].Replaces = from.Number
			if to.Kind == entitlement.PartCount {
				out[i].Qty += activated[from.Number]
			}
		}
	}
	for i := range out {
		if part, _ := cat.Part(out[i].Part); part.Kind != entitlement.PartCount || out[i].Qty == 0 {
			out[i].Qty = 1
		}
	}
	return out, true, nil
}

// claimable returns a location of the actor's partner and its free-of-charge offers, refusing a
// location with neither SWA in force nor a grace period (entitlement.ErrState).
func (r *run) claimable(location, what string) (entitlement.Location, []Offer, error) {
	loc, lr, err := r.ownLocRec(location, what)
	if err != nil {
		return loc, nil, err
	}
	if _, err := r.settleLocation(&lr); err != nil {
		return loc, nil, err
	}
	offers, covered, err := r.offers(loc, &lr)
	if err != nil {
		return loc, nil, err
	}
	if !covered {
		return loc, nil, wrapf(entitlement.ErrState, "location %s has neither SWA in force nor a grace period: no free-of-charge licenses", loc.ID)
	}
	return loc, offers, nil
}

// FreeOfCharge lists the upgrade licenses a location of the actor's partner may attach free of
// charge now (an SWA role is needed): with SWA in force or in the grace period, "the latest version
// licenses for that Customer Location", each for the product whose SWA or grace covers it. Outside
// SWA and grace it is refused with entitlement.ErrState.
func (b *Book) FreeOfCharge(ctx context.Context, a entitlement.Actor, location string) ([]Offer, error) {
	var out []Offer
	err := b.read(ctx, a, "swa.free-of-charge", func(r *run) error {
		out = nil
		var err error
		_, out, err = r.claimable(location, "see free-of-charge licenses")
		return err
	})
	return out, err
}

// FreeOfChargeRequest picks offered upgrades to attach.
type FreeOfChargeRequest struct {
	Parts []string // the offered parts to attach ([Offer].Part)
	// AcceptAgreement must be true: the licenses are activated in the same step
	// (entitlement.ErrAgreement otherwise).
	AcceptAgreement bool
}

// FreeOfChargeResult is what [Book.AttachFreeOfCharge] did.
type FreeOfChargeResult struct {
	PO, SO string                    // the generated order numbers (SA…, CO…)
	Lines  []entitlement.Line        // the lines on the location, activated
	File   entitlement.Issued        // the re-issued license file
	Offers []Offer                   // what was attached
	Order  []entitlement.ShippedLine // the free-of-charge order in the partner's license bin, fully activated
}

// AttachFreeOfCharge claims offered upgrade licenses for a location of the actor's partner (an SWA
// role and the LMS user role are needed), without a purchase order: in one transaction they are
// shipped into the partner's license bin under generated order numbers, PO SA<yyyyMMdd><n> and SO
// CO<yyyyMMdd><n> (the guide's SA20130317414 / CO20130317414; n is the book's counter), attached to
// the location, activated and the file re-issued. Activating in the same step is lmskit's choice:
// an attached free-of-charge line could be detached into the bin and attached to a location without
// SWA. Outside SWA and grace the claim is refused (entitlement.ErrState), as is a part that is not
// on offer (entitlement.ErrInvalid). Once activated the licenses stay: a later lapse revokes nothing.
func (b *Book) AttachFreeOfCharge(ctx context.Context, a entitlement.Actor, location string, req FreeOfChargeRequest) (FreeOfChargeResult, error) {
	var out FreeOfChargeResult
	err := b.update(ctx, a, "swa.attach-free-of-charge", func(r *run) error {
		out = FreeOfChargeResult{}
		loc, offers, err := r.claimable(location, "claim free-of-charge licenses")
		if err != nil {
			return err
		}
		if len(req.Parts) == 0 || len(req.Parts) > len(offers) {
			return wrapf(entitlement.ErrInvalid, "%d parts selected, %d on offer", len(req.Parts), len(offers))
		}
		ord := entitlement.Order{Partner: loc.Partner}
		for _, p := range req.Parts {
			i := slices.IndexFunc(offers, func(o Offer) bool { return o.Part == p })
			if i < 0 {
				return wrapf(entitlement.ErrInvalid, "part %q is not a free-of-charge upgrade for location %s", p, loc.ID)
			}
			if slices.ContainsFunc(out.Offers, func(o Offer) bool { return o.Part == p }) {
				return wrapf(entitlement.ErrInvalid, "part %s selected twice", p)
			}
			out.Offers = append(out.Offers, offers[i])
			ord.Lines = append(ord.Lines, entitlement.OrderLine{Part: p, Qty: offers[i].Qty})
		}
		if !req.AcceptAgreement {
			return entitlement.ErrAgreement
		}
		n, err := r.x.Next("swa.free-of-charge")
		if err != nil {
			return err
		}
		suffix := fmt.Sprintf("%s%03d", r.now.Format("20060102"), n)
		ord.PO, ord.SO = "SA"+suffix, "CO"+suffix
		if out.Order, err = r.x.Ship(ord); err != nil {
			return err
		}
		picks := make([]entitlement.Pick, len(out.Order))
		for i, s := range out.Order {
			picks[i] = entitlement.Pick{Line: s.ID, Qty: s.Shipped}
		}
		if out.Lines, err = r.x.Attach(loc.ID, picks); err != nil {
			return err
		}
		skcs := make([]string, len(out.Lines))
		for i, ln := range out.Lines {
			skcs[i] = ln.SKC
		}
		if out.File, err = r.x.Activate(loc.ID, entitlement.Activation{SKCs: skcs, AcceptAgreement: true}); err != nil {
			return err
		}
		for i := range out.Lines {
			out.Lines[i].State, out.Lines[i].ActivatedAt = entitlement.StateActivated, r.x.Now()
		}
		out.PO, out.SO = ord.PO, ord.SO
		r.x.Note("free-of-charge upgrade under PO %s / SO %s", ord.PO, ord.SO)
		return nil
	})
	if err != nil {
		return FreeOfChargeResult{}, err
	}
	return out, nil
}
