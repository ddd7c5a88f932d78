package swa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Quote is the guide's "Quote Information" for a location: per SWA product, the units each term
// costs, with the reinstatement fee where one applies, and the units available in the bin.
type Quote struct {
	// Location, Customer, Name and HWKC identify the location quoted ("Name: Test Customer
	// Hendrikus - SV8300 system 18CYG-IPS-…").
	Location, Customer, Name, HWKC string
	// At is when the quote was made.
	At        time.Time
	Available int64 // "SWA Units Available"
	// Products are the location's SWA products, one quote each.
	Products []ProductQuote
}

// ProductQuote is one product of a quote.
type ProductQuote struct {
	// Product is the product's Name in the terms table, Application the name the quote screen
	// shows ("SIP@Net").
	Product, Application string
	State                State // the product's state on the location
	// Start is the day an agreement assigned now starts: the day after grace for a location in
	// grace, today otherwise (a reinstated agreement is never back-dated: the fee pays for the
	// lapse).
	Start time.Time
	// Options are the terms on offer ("264 units for 12 months"), shortest first, ending with
	// "0 — Activate SWA later" (Months 0). Empty when the product is not quotable now (pending,
	// active or renewable).
	Options []Option
	// Reinstatement is the fee for a location past grace or with a lapsed agreement.
	Reinstatement Reinstatement
	// EndDateChoice offers an end date between MinEnd and MaxEnd instead of a term (systems
	// activated before 2013-06-01: "minimum is 3 months - maximum is determined by product").
	EndDateChoice  bool
	MinEnd, MaxEnd time.Time // the earliest and latest end day on offer
}

// Option is one term of a quote.
type Option struct {
	Months int       // the term's months; 0 for "Activate SWA later"
	Units  int64     // the term's units
	End    time.Time // the agreement's last day
	Total  int64     // Units plus the reinstatement fee unless waived ("A total of 321 SWA Units")
}

// Reinstatement is a quote's reinstatement fee: Months lapsed months since Since (the first day
// without grace or agreement), counted as every month begun, and Units =
// ReinstatementUnits(12-month rate, Months). Waived is set when the product's table waives it.
type Reinstatement struct {
	Months int       // lapsed months, every month begun
	Units  int64     // the fee in units
	Since  time.Time // the first day without grace or agreement
	Waived bool      // the product's table waives the fee
}

// Quote quotes SWA for a location of the actor's partner (an SWA role is needed). It fails with
// [ErrNoTerms] when an SWA-eligible license of the location has no product terms, and with
// entitlement.ErrState when the location has no activated SWA-eligible license.
func (b *Book) Quote(ctx context.Context, a entitlement.Actor, location string) (Quote, error) {
	var out Quote
	err := b.read(ctx, a, "swa.quote", func(r *run) error {
		out = Quote{}
		loc, lr, err := r.ownLocRec(location, "quote Software Assurance")
		if err != nil {
			return err
		}
		out, err = r.quote(loc, &lr)
		return err
	})
	return out, err
}

func (r *run) quote(loc entitlement.Location, lr *locRec) (Quote, error) {
	pending, err := r.settleLocation(lr)
	if err != nil {
		return Quote{}, err
	}
	apps, missing, err := r.apps(loc, lr)
	if err != nil {
		return Quote{}, err
	}
	if len(missing) > 0 {
		return Quote{}, wrapf(ErrNoTerms, "location %s: %s", loc.ID, strings.Join(missing, "; "))
	}
	if len(apps) == 0 {
		return Quote{}, wrapf(entitlement.ErrState, "location %s has no activated SWA-eligible license", loc.ID)
	}
	q := Quote{Location: loc.ID, Customer: loc.Customer, Name: loc.Name, HWKC: loc.HWKC, At: r.now}
	if q.Available, err = r.available(loc.Partner); err != nil {
		return Quote{}, err
	}
	for _, av := range apps {
		q.Products = append(q.Products, r.quoteProduct(av, r.state(av, pending)))
	}
	return q, nil
}

// quoteProduct quotes one product in state st.
func (r *run) quoteProduct(av appView, st State) ProductQuote {
	pq := ProductQuote{Product: av.p.Name, Application: av.p.Application, State: st}
	if st != StateGrace && st != StateExpired {
		return pq
	}
	pq.Start = r.today
	if st == StateGrace {
		pq.Start = GraceEnd(av.first).AddDate(0, 0, 1)
	} else {
		since := GraceEnd(av.first).AddDate(0, 0, 1)
		if av.rec != nil && !av.rec.End.IsZero() {
			since = av.rec.End.AddDate(0, 0, 1)
		}
		n := monthsBegun(since, r.today)
		pq.Reinstatement = Reinstatement{Months: n, Units: int64(ReinstatementUnits(int(av.tb.Rate12()), n)), Since: since,
			Waived: av.tb.WaiveReinstatement}
	}
	fee := pq.Reinstatement.Units
	if pq.Reinstatement.Waived {
		fee = 0
	}
	// A table's terms are at most 60 months (ParseTerms), so no quoted agreement runs past 5 years
	// from its start.
	for _, t := range av.tb.Terms {
		pq.Options = append(pq.Options, Option{Months: t.Months, Units: t.Units, End: termEnd(pq.Start, t.Months), Total: t.Units + fee})
	}
	pq.Options = append(pq.Options, Option{})
	if av.tb.EndDateChoice {
		pq.EndDateChoice = true
		pq.MinEnd = termEnd(pq.Start, av.tb.MinMonths)
		pq.MaxEnd = termEnd(pq.Start, av.tb.MaxMonths())
	}
	return pq
}

// Choice is what an assignment takes for one product: a quoted term (Months), or, where the quote
// offers the end-date choice, an End day (the calendar date End names in its own zone). Months 0
// without End is "activate SWA later": the product is left out.
type Choice struct {
	// Product names the product; it may be empty when the location has one product to quote.
	Product string
	Months  int       // a quoted term's months
	End     time.Time // the chosen end day, where the quote offers the end-date choice
}

// AssignRequest is the guide's quote form: the choices, a reference and the checkbox.
type AssignRequest struct {
	Choices []Choice // one per product to assign
	// Reference is the optional reference number ("If you wish to add a reference number").
	Reference string
	// AuthorizeUnits must be true: "By selecting the checkbox you are authorizing that SWA units
	// will be extracted from your SWA unit bin" ([ErrUnauthorized] otherwise).
	AuthorizeUnits bool
}

// Assign assigns SWA units to a location of the actor's partner (an SWA role is needed): the units
// of the chosen terms and the reinstatement fee (unless waived) are drawn from the bin, from the
// shipments that expire first, and held for the cooling-off period (Config.CoolingOff, 24 hours).
// The assignment then comes into force by itself, on the next operation or read that meets it or
// on [Book.Settle]; [Book.Push] brings it into force at once and [Book.Cancel] returns its units
// within the period. An agreement assigned in grace starts the day after grace ends. Refused with
// entitlement.ErrQuantity when the bin holds too few units, with entitlement.ErrState when the
// location has a pending assignment or the product an agreement in force (renew it instead), and
// with entitlement.ErrInvalid for a term the quote does not offer.
func (b *Book) Assign(ctx context.Context, a entitlement.Actor, location string, req AssignRequest) (Assignment, error) {
	var out Assignment
	err := b.update(ctx, a, "swa.assign", func(r *run) error {
		out = Assignment{}
		loc, lr, err := r.ownLocRec(location, "assign SWA units")
		if err != nil {
			return err
		}
		out, err = r.assign(loc, &lr, req)
		return err
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}

func (r *run) assign(loc entitlement.Location, lr *locRec, req AssignRequest) (Assignment, error) {
	if err := checkText("reference", req.Reference); err != nil {
		return Assignment{}, err
	}
	pending, err := r.settleLocation(lr)
	if err != nil {
		return Assignment{}, err
	}
	if pending != nil {
		return Assignment{}, wrapf(entitlement.ErrState, "location %s has assignment %d in its cooling-off period until %s: cancel or push it first",
			loc.ID, pending.ID, pending.Due.Format(time.RFC3339))
	}
	q, err := r.quote(loc, lr)
	if err != nil {
		return Assignment{}, err
	}
	apps, _, err := r.apps(loc, lr)
	if err != nil {
		return Assignment{}, err
	}
	if len(req.Choices) > len(apps)+8 {
		return Assignment{}, wrapf(entitlement.ErrInvalid, "%d choices for %d products", len(req.Choices), len(apps))
	}
	asg := Assignment{Kind: KindAssign, State: AssignmentPending, Partner: loc.Partner, Customer: loc.Customer, Location: loc.ID,
		Reference: req.Reference, Created: r.now, By: r.x.Actor().String(), Due: r.now.Add(r.b.cfg.CoolingOff)}
	for _, ch := range req.Choices {
		if ch.Months == 0 && ch.End.IsZero() {
			continue // activate later
		}
		i := slices.IndexFunc(q.Products, func(pq ProductQuote) bool { return pq.Product == ch.Product })
		if ch.Product == "" && len(q.Products) == 1 {
			i = 0
		}
		if i < 0 {
			return Assignment{}, wrapf(entitlement.ErrInvalid, "location %s has no SWA product %q", loc.ID, ch.Product)
		}
		pq := q.Products[i]
		if slices.ContainsFunc(asg.Items, func(it Item) bool { return it.Product == pq.Product }) {
			return Assignment{}, wrapf(entitlement.ErrInvalid, "product %s chosen twice", pq.Product)
		}
		it, err := r.item(loc, pq, apps[slices.IndexFunc(apps, func(av appView) bool { return av.p.Name == pq.Product })], ch)
		if err != nil {
			return Assignment{}, err
		}
		asg.Items = append(asg.Items, it)
		asg.Units += it.Units + it.Reinstatement
	}
	if len(asg.Items) == 0 {
		return Assignment{}, wrapf(entitlement.ErrInvalid, "no term chosen (0 is \"activate SWA later\")")
	}
	if !req.AuthorizeUnits {
		return Assignment{}, wrapf(ErrUnauthorized, "%d units would be drawn from the SWA units bin", asg.Units)
	}
	if asg.Draws, err = r.draw(loc.Partner, asg.Units, true); err != nil {
		return Assignment{}, err
	}
	if asg.ID, err = r.x.Next("swa.assignment"); err != nil {
		return Assignment{}, err
	}
	for _, av := range apps {
		if lr.app(av.p.Name) == nil {
			if err := r.openGrace(lr, av); err != nil {
				return Assignment{}, err
			}
		}
	}
	lr.Pending = asg.ID
	if err := r.saveLoc(*lr); err != nil {
		return Assignment{}, err
	}
	if err := r.putAssignment(asg); err != nil {
		return Assignment{}, err
	}
	r.x.Ref("location", loc.ID)
	r.x.Ref("swa-assignment", fmt.Sprint(asg.ID))
	for _, it := range asg.Items {
		r.x.Note("%s: %d months from %s to %s, %d units, reinstatement %d units (%d months)", it.Product, it.Months,
			it.Start.Format("2006-01-02"), it.End.Format("2006-01-02"), it.Units, it.Reinstatement, it.ReinstatementMonths)
	}
	r.x.Emit(r.event(EventAssigned, loc, fmt.Sprint(asg.ID), asg.Due,
		fmt.Sprintf("%d SWA units assigned; SWA is activated after the cooling-off period", asg.Units)))
	return asg, nil
}

// item prices one choice against the product's quote.
func (r *run) item(loc entitlement.Location, pq ProductQuote, av appView, ch Choice) (Item, error) {
	if len(pq.Options) == 0 {
		return Item{}, wrapf(entitlement.ErrState, "product %s of location %s is %s: nothing to assign (renew an agreement in force)",
			pq.Product, loc.ID, pq.State)
	}
	it := Item{Location: loc.ID, Product: pq.Product, Start: pq.Start}
	if !pq.Reinstatement.Waived {
		it.Reinstatement, it.ReinstatementMonths = pq.Reinstatement.Units, pq.Reinstatement.Months
	}
	if !ch.End.IsZero() {
		if !pq.EndDateChoice {
			return Item{}, wrapf(entitlement.ErrInvalid, "product %s offers no end-date choice: choose a term", pq.Product)
		}
		end := calendarDay(ch.End)
		if end.Before(pq.MinEnd) || end.After(pq.MaxEnd) {
			return Item{}, wrapf(entitlement.ErrInvalid, "end date %s for %s: choose from %s to %s", end.Format("2006-01-02"),
				pq.Product, pq.MinEnd.Format("2006-01-02"), pq.MaxEnd.Format("2006-01-02"))
		}
		it.End, it.Months = end, monthsBegun(it.Start, end)
		it.Units = av.tb.Units(it.Months)
		return it, nil
	}
	for _, o := range pq.Options {
		if o.Months == ch.Months && o.Months > 0 {
			it.Months, it.End, it.Units = o.Months, o.End, o.Units
			return it, nil
		}
	}
	var offered []string
	for _, o := range pq.Options[:len(pq.Options)-1] {
		offered = append(offered, fmt.Sprint(o.Months))
	}
	return Item{}, wrapf(entitlement.ErrInvalid, "%d months is not a term quoted for %s (quoted: %s)", ch.Months, pq.Product, strings.Join(offered, ", "))
}

// checkText checks free text: at most 1000 bytes, no control characters.
func checkText(what, s string) error {
	if len(s) > 1000 {
		return wrapf(entitlement.ErrInvalid, "%s is longer than 1000 bytes", what)
	}
	for i, c := range s {
		if c < 0x20 && c != '\t' || c == 0x7f || c == 0xfffd {
			return wrapf(entitlement.ErrInvalid, "%s has an invalid character at byte %d", what, i)
		}
	}
	return nil
}

// Activated is what [Book.Activate] returns: the license file, and what the guide's quote pop-up
// shows next.
type Activated struct {
	// File is the issued license file; its Warnings carry what the system's rules reported (an
	// iS3000/SIP@Net system activated without Lic-073 or Lic-078 will not run).
	File entitlement.Issued
	// Quote is the SWA quote for the location, when the user holds an SWA role and every
	// SWA-eligible license has product terms; nil otherwise (Book.Quote gives the reason).
	Quote *Quote
	// Assignment is the assignment made in the same step, when one was requested.
	Assignment *Assignment
	// FreeOfCharge are the upgrade licenses the location may now attach free of charge (Lic-078
	// for an iS3000/SIP@Net system in grace), for a user with an SWA role.
	FreeOfCharge []Offer
}

// Activate is the guide's recommended path, "SWA assignment directly (immediately following
// License activation)", as one step: it activates the location's attached lines exactly as
// entitlement.Ledger.Activate does (act), records the grace agreement (W) of the products whose
// grace begins, and returns the file with the SWA quote and the free-of-charge offers. With assign
// non-nil it also assigns SWA units as [Book.Assign] does, in the same transaction: if the
// assignment is refused (too few units, no authorisation) nothing is activated either.
func (b *Book) Activate(ctx context.Context, a entitlement.Actor, location string, act entitlement.Activation, assign *AssignRequest) (Activated, error) {
	var out Activated
	err := b.update(ctx, a, "swa.activate", func(r *run) error {
		out = Activated{}
		swaRole := r.needSWA("assign SWA units") == nil
		if assign != nil && !swaRole {
			return r.needSWA("assign SWA units")
		}
		var err error
		if out.File, err = r.x.Activate(location, act); err != nil {
			return err
		}
		loc, err := r.x.Location(location)
		if err != nil {
			return err
		}
		lr, err := r.loadLoc(loc)
		if err != nil {
			return err
		}
		if _, err := r.settleLocation(&lr); err != nil {
			return err
		}
		apps, _, err := r.apps(loc, &lr)
		if err != nil {
			return err
		}
		for _, av := range apps {
			if av.rec == nil && r.state(av, nil) == StateGrace {
				if err := r.openGrace(&lr, av); err != nil {
					return err
				}
			}
		}
		if err := r.saveLoc(lr); err != nil {
			return err
		}
		if assign != nil {
			asg, err := r.assign(loc, &lr, *assign)
			if err != nil {
				return err
			}
			out.Assignment = &asg
		}
		if !swaRole {
			return nil
		}
		if q, err := r.quote(loc, &lr); err == nil {
			out.Quote = &q
		}
		out.FreeOfCharge, _, err = r.offers(loc, &lr)
		return err
	})
	if err != nil {
		return Activated{}, err
	}
	return out, nil
}
