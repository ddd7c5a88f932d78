package swa

import (
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Agreement numbers read 50<code>0-<4 letters><5 digits>-<suffix>, as the guide's screens show
// them (50180-EVCY45796-N, 50IS0-TMZK79764-N, 50DE0-APPG37376-R02): <code> is the product's code
// in the terms table (the system's two characters: 18 for SV8300, IS for iS3000), the letters
// and digits are drawn from the ledger's randomness (Config.Rand of the ledger) and the number
// without its suffix, the base, is recorded in the book so no base is ever issued twice. The
// suffix is W for the grace agreement a location gets with its first activation, N when an
// agreement comes into force, and Rnn for its nn-th renewal. A product keeps its base from W
// through N and every renewal; an agreement made after a lapse (a reinstatement) gets a new base
// with suffix N. So every full number is unique.

// numRec records an issued agreement number base.
type numRec struct {
	Location string `cbor:"1,keyasint"`
	Product  string `cbor:"2,keyasint"`
}

// newBase draws a new agreement number base for a product.
func (r *run) newBase(p Product, location string) (string, error) {
	const letters, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
	for range 16 {
		b := []byte("50" + p.Code + "0-")
		for i := range 9 {
			set := letters
			if i >= 4 {
				set = digits
			}
			n, err := randomIndex(r.x.Rand(), byte(len(set)))
			if err != nil {
				return "", err
			}
			b = append(b, set[n])
		}
		base := string(b)
		var nr numRec
		if ok, err := r.x.Get(bNum, base, &nr); err != nil {
			return "", err
		} else if ok {
			continue
		}
		return base, r.x.Put(bNum, base, numRec{Location: location, Product: p.Name})
	}
	return "", wrapf(entitlement.ErrCorrupt, "agreement numbers keep repeating: check the ledger's randomness")
}

// openGrace records the grace agreement (suffix W) of a product on a location that has none yet:
// the guide shows it from the first activation, over the grace period.
func (r *run) openGrace(lr *locRec, av appView) error {
	if lr.app(av.p.Name) != nil {
		return nil
	}
	if err := r.mustWrite(); err != nil {
		return err
	}
	base, err := r.newBase(av.p, lr.Location)
	if err != nil {
		return err
	}
	app := appRec{Product: av.p.Name, Base: base, Suffix: "W"}
	app.History = []Period{{Kind: PeriodGrace, Agreement: app.number(), Start: av.first, End: GraceEnd(av.first), At: r.now}}
	lr.Apps = append(lr.Apps, app)
	r.x.Ref("agreement", app.number())
	return nil
}

// activate brings a pending assignment into force: each item's agreement gets its number (N) and
// term, the held units are consumed, the pending mark goes. by and reason are the pusher's (empty
// when the cooling-off ended).
func (r *run) activate(a *Assignment, by, reason string) error {
	if err := r.mustWrite(); err != nil {
		return err
	}
	loc, err := r.x.Location(a.Location)
	if err != nil {
		return err
	}
	lr, err := r.loadLoc(loc)
	if err != nil {
		return err
	}
	for i := range a.Items {
		it := &a.Items[i]
		p, ok := r.b.terms.Product(it.Product)
		if !ok {
			return wrapf(ErrNoTerms, "product %q of assignment %d is no longer in the terms table", it.Product, a.ID)
		}
		app := lr.app(it.Product)
		kind := PeriodNew
		switch {
		case app == nil:
			base, err := r.newBase(p, lr.Location)
			if err != nil {
				return err
			}
			lr.Apps = append(lr.Apps, appRec{Product: it.Product, Base: base})
			app = &lr.Apps[len(lr.Apps)-1]
		case !app.End.IsZero(): // it had an agreement, which lapsed: a new number
			base, err := r.newBase(p, lr.Location)
			if err != nil {
				return err
			}
			app.Base, app.Renewals, kind = base, 0, PeriodReinstated
		}
		app.Suffix, app.Start, app.End = "N", it.Start, it.End
		app.History = append(app.History, Period{Kind: kind, Agreement: app.number(), Start: it.Start, End: it.End, Months: it.Months,
			Units: it.Units + it.Reinstatement, Reference: a.Reference, At: r.now, Assignment: a.ID})
		if err := r.setExpiry(lr, app); err != nil {
			return err
		}
		it.Agreement = app.number()
		r.x.Ref("agreement", it.Agreement)
		r.x.Emit(r.event(EventActivated, loc, it.Agreement, it.End,
			fmt.Sprintf("SWA activated on %s: %s until %s", it.Product, it.Agreement, it.End.Format("2006-01-02"))))
	}
	for _, d := range a.Draws {
		s, err := r.shipment(d.Shipment)
		if err != nil {
			return err
		}
		s.Pending -= d.Qty
		s.Consumed += d.Qty
		if err := r.putShipment(s); err != nil {
			return err
		}
		r.x.Note("consumed %d units of shipment %d (SO %s, PO %s) for assignment %d", d.Qty, s.ID, s.SO, s.PO, a.ID)
	}
	a.State, a.Closed, a.ClosedBy, a.Reason, a.Pushed = AssignmentActive, r.now, by, reason, by != ""
	if by == "" {
		r.x.Note("assignment %d settled: its cooling-off ended on %s", a.ID, a.Due.Format(time.RFC3339))
	} else {
		r.x.Note("assignment %d pushed by %s: %s", a.ID, by, reason)
	}
	r.x.Ref("swa-assignment", fmt.Sprint(a.ID))
	if lr.Pending == a.ID {
		lr.Pending = 0
	}
	if err := r.saveLoc(lr); err != nil {
		return err
	}
	return r.putAssignment(*a)
}

// event builds an event about a location.
func (r *run) event(kind entitlement.EventKind, loc entitlement.Location, ref string, due time.Time, detail string) entitlement.Event {
	return entitlement.Event{Kind: kind, Partner: loc.Partner, Customer: loc.Customer, Location: loc.ID, HWKC: loc.HWKC,
		Ref: ref, Due: due, CustomerEmail: loc.CustomerEmail, DealerEmail: loc.DealerEmail, Detail: detail}
}

// setExpiry puts the agreement's next entry in the expiry index: its renewal warning, or its lapse
// when the warning's day has passed already.
func (r *run) setExpiry(lr locRec, app *appRec) error {
	if app.Expiry != "" {
		if err := r.x.Delete(bExp, app.Expiry); err != nil {
			return err
		}
		app.Expiry = ""
	}
	if app.End.IsZero() {
		return nil
	}
	e := expEntry{Partner: lr.Partner, Location: lr.Location, Product: app.Product, Stage: 1, End: app.End}
	when := app.End.Add(-r.b.cfg.RenewalWindow)
	app.Expiry = key(hexTime(when), lr.Location, app.Product)
	return r.x.Put(bExp, app.Expiry, e)
}

// settleDue settles the assignments of partner ("" for all) whose cooling-off ended and returns
// the agreement numbers that came into force.
func (r *run) settleDue(partner string) ([]string, error) {
	due, err := r.pendingOf(partner, true)
	if err != nil {
		return nil, err
	}
	var numbers []string
	for i := range due {
		if r.now.Before(due[i].Due) {
			continue
		}
		if err := r.activate(&due[i], "", ""); err != nil {
			return nil, err
		}
		for _, it := range due[i].Items {
			numbers = append(numbers, it.Agreement)
		}
	}
	return numbers, nil
}

// settleLocation settles the location's pending assignment if its cooling-off ended, and returns
// the assignment still pending (nil when none).
func (r *run) settleLocation(lr *locRec) (*Assignment, error) {
	if lr.Pending == 0 {
		return nil, nil
	}
	a, err := r.assignment(lr.Pending)
	if err != nil {
		return nil, err
	}
	if r.now.Before(a.Due) {
		return &a, nil
	}
	if err := r.activate(&a, "", ""); err != nil {
		return nil, err
	}
	lr.Pending = 0
	// activate saved the location record with the agreement; read it back into lr.
	var fresh locRec
	if _, err := r.x.Get(bLoc, lr.Location, &fresh); err != nil {
		return nil, err
	}
	fresh.Partner, fresh.Customer = lr.Partner, lr.Customer
	*lr = fresh
	return nil, nil
}
