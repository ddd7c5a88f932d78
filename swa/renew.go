package swa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// RenewalRequest asks for a renewal quote or a renewal ("SWA Renewal in LMS"): per location, or
// co-terming a customer's locations, all of them or a chosen subset, to one end date.
type RenewalRequest struct {
	// Customer is the customer whose agreements are renewed; it may be empty when Locations
	// names locations (all of one customer).
	Customer string
	// Locations are the locations to renew; nil means every location of the customer with an
	// agreement ("Renew and Co-term all existing and expired Software Assurance agreements").
	Locations []string
	// Start is the renewal activation moment, a day (the calendar date Start names in its own
	// zone, as for End); the zero time means today. A running agreement renews from the day after
	// it expires; a lapsed one from Start, with the reinstatement fee.
	Start time.Time
	// End, when set, is the desired end month: every agreement then ends on the last day of that
	// month (the co-term). The month is the one End names in its own zone: 2017-05-01 00:00 in
	// Amsterdam is May 2017. Otherwise each renews for Months months (0 means 12, the guide's
	// default quote).
	End    time.Time
	Months int // the months of each renewal without End; 0 means 12
	// Reference and AuthorizeUnits are the renewal form's reference and checkbox (Renew only).
	Reference      string
	AuthorizeUnits bool
}

// RenewalQuote is the renewal page: per location and product, the renewal's start, end, months
// and units, or the reason its quote failed; the total and the units available.
type RenewalQuote struct {
	Customer string    // the customer whose locations the quote covers
	At       time.Time // when the quote was made
	Start    time.Time // the renewal activation moment
	// Lines are the agreements quoted, by location name, failed ones included.
	Lines     []RenewalLine
	Units     int64 // "A total of 1078 SWA Units": the lines that did not fail
	Available int64 // "There are 6415 token currently available for use"
	// Failed is the reason the renewal as a whole cannot proceed (a co-term where no location
	// renews for 12 months or more, a single renewal shorter than 12 months); "" when it can.
	Failed string
}

// RenewalLine is one agreement of a renewal quote.
type RenewalLine struct {
	Location, Name, HWKC string // the location's id, name and hardware key code
	Product, Application string // the product's Name in the terms table and its screen name
	Agreement            string // the agreement in force or lapsed (its number before renewal)
	// Start is the renewal's first day (the guide's SWAStartDate), End its last, Months the
	// months begun in between.
	Start, End    time.Time
	Months        int           // the months begun from Start to End
	Units         int64         // the term's units; Reinstatement's fee comes on top unless waived
	Reinstatement Reinstatement // the fee for a lapsed agreement
	// Failed is the reason the line's quote failed, as the guide's screen gives it; "" when it
	// quotes. FailedDetail repeats the guide's "Quote Failed: DesiredEndMonth=…, SWAStartDate=…,
	// AppID=…, SystemSerialCode=…, AgreementNumber=…" form.
	Failed, FailedDetail string
}

// Total is the line's units with its reinstatement fee, 0 for a failed line.
func (l RenewalLine) Total() int64 {
	if l.Failed != "" {
		return 0
	}
	if l.Reinstatement.Waived {
		return l.Units
	}
	return l.Units + l.Reinstatement.Units
}

// The reasons a renewal quote fails, as the guide's screens word them.
const (
	ReasonEndBeforeStart = "DesiredEndMonth is earlier than SWAStartDate"
	ReasonMaxSWA         = "Quotes are available for less than 5 year agreement due to MAX SWA"
	ReasonTooLong        = "the duration is longer than the product's maximum renewal"
	ReasonPending        = "an SWA assignment is pending on the location"
	ReasonNoTerms        = "the product has no terms table"
	ReasonCoterm12       = "if you coterm (renew more than one system in the same go) minimum one system requires SWA duration of 12 months"
	ReasonSingle12       = "for an individual system the minimum of 12 months is applicable"
	ReasonNothing        = "no agreement to renew"
)

// RenewalQuote quotes a renewal for a customer of the actor's partner (an SWA role is needed).
// The default request (zero Start, End and Months) is the guide's initial quote: activation today,
// 12 months, every location of the customer with an agreement. Each line's duration is at most the
// product's RenewalMaxMonths (36 in the guide) and no renewed agreement runs past 5 years from the
// day it is made; a single renewal is 12 months or more, and in a co-term at least one location
// renews for 12 months or more. Units per line come from the product's table by month count
// ([Table.Units]). Failures are reported in the quote, not as errors.
func (b *Book) RenewalQuote(ctx context.Context, a entitlement.Actor, req RenewalRequest) (RenewalQuote, error) {
	var out RenewalQuote
	err := b.read(ctx, a, "swa.renewal-quote", func(r *run) error {
		out = RenewalQuote{}
		if err := r.needSWA("quote SWA renewals"); err != nil {
			return err
		}
		var err error
		out, _, err = r.renewalQuote(req)
		return err
	})
	return out, err
}

// renewalTarget is what a quote line renews.
type renewalTarget struct {
	loc entitlement.Location
	lr  locRec
	av  appView
}

func (r *run) renewalQuote(req RenewalRequest) (RenewalQuote, []renewalTarget, error) {
	if req.Months < 0 || req.Months > maxMonths {
		return RenewalQuote{}, nil, wrapf(entitlement.ErrInvalid, "renewal of %d months", req.Months)
	}
	months := req.Months
	if months == 0 {
		months = 12
	}
	start := r.today
	if !req.Start.IsZero() {
		start = calendarDay(req.Start)
		if start.Before(r.today) {
			return RenewalQuote{}, nil, wrapf(entitlement.ErrInvalid, "renewal activation moment %s is in the past", start.Format("2006-01-02"))
		}
	}
	locs, err := r.renewalLocations(req)
	if err != nil {
		return RenewalQuote{}, nil, err
	}
	q := RenewalQuote{At: r.now, Start: start}
	if len(locs) > 0 {
		q.Customer = locs[0].Customer
	}
	var targets []renewalTarget
	renewing := map[string]bool{} // locations with a line that quotes
	for _, loc := range locs {
		lr, err := r.loadLoc(loc)
		if err != nil {
			return RenewalQuote{}, nil, err
		}
		pending, err := r.settleLocation(&lr)
		if err != nil {
			return RenewalQuote{}, nil, err
		}
		apps, _, err := r.apps(loc, &lr)
		if err != nil {
			return RenewalQuote{}, nil, err
		}
		for _, av := range apps {
			if av.rec == nil || av.rec.End.IsZero() {
				continue // no agreement: a quote and an assignment, not a renewal
			}
			ln := r.renewalLine(loc, av, pending, start, req.End, months)
			if ln.Failed == "" {
				renewing[loc.ID] = true
			}
			q.Lines = append(q.Lines, ln)
			targets = append(targets, renewalTarget{loc: loc, lr: lr, av: av})
		}
	}
	long := false
	for _, ln := range q.Lines {
		q.Units += ln.Total()
		long = long || ln.Failed == "" && ln.Months >= 12
	}
	switch {
	case len(renewing) == 0:
		q.Failed = ReasonNothing
	case len(renewing) == 1:
		for _, ln := range q.Lines {
			if ln.Failed == "" && ln.Months < 12 {
				q.Failed = ReasonSingle12
			}
		}
	case !long:
		q.Failed = ReasonCoterm12
	}
	if len(locs) > 0 {
		if q.Available, err = r.available(locs[0].Partner); err != nil {
			return RenewalQuote{}, nil, err
		}
	}
	return q, targets, nil
}

// renewalLocations resolves a request to its locations, all of one customer of the actor's
// partner.
func (r *run) renewalLocations(req RenewalRequest) ([]entitlement.Location, error) {
	if len(req.Locations) > 10000 {
		return nil, wrapf(entitlement.ErrInvalid, "more than 10000 locations")
	}
	if req.Locations == nil {
		if req.Customer == "" {
			return nil, wrapf(entitlement.ErrInvalid, "no customer and no locations to renew")
		}
		c, err := r.x.Customer(req.Customer)
		if err != nil {
			return nil, err
		}
		if c.Partner != r.x.Partner().ID {
			return nil, wrapf(entitlement.ErrNotAllowed, "%s may not renew SWA for customer %s of partner %s", r.x.Actor(), c.ID, c.Partner)
		}
		locs, err := r.x.Locations(req.Customer)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(locs, func(a, b entitlement.Location) int {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return locs, nil
	}
	if len(req.Locations) == 0 {
		return nil, wrapf(entitlement.ErrInvalid, "no location selected")
	}
	var out []entitlement.Location
	for _, id := range req.Locations {
		loc, err := r.ownLocation(id, "renew SWA")
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(l entitlement.Location) bool { return l.ID == loc.ID }) {
			return nil, wrapf(entitlement.ErrInvalid, "location %s selected twice", loc.ID)
		}
		customer := req.Customer
		if customer == "" && len(out) > 0 {
			customer = out[0].Customer
		}
		if customer != "" && loc.Customer != customer {
			return nil, wrapf(entitlement.ErrInvalid, "location %s is not a location of customer %s: a renewal co-terms one customer's locations", loc.ID, customer)
		}
		out = append(out, loc)
	}
	return out, nil
}

// renewalLine quotes one agreement's renewal.
func (r *run) renewalLine(loc entitlement.Location, av appView, pending *Assignment, start, desiredEnd time.Time, months int) RenewalLine {
	rec := av.rec
	ln := RenewalLine{Location: loc.ID, Name: loc.Name, HWKC: loc.HWKC, Product: av.p.Name, Application: av.p.Application,
		Agreement: rec.number()}
	if pending != nil {
		ln.Failed = ReasonPending
		return ln
	}
	if !av.hasTable {
		ln.Failed = ReasonNoTerms
		return ln
	}
	next := rec.End.AddDate(0, 0, 1)
	ln.Start = next
	// Not renewed within the agreement (made after its last day, or starting after the day that
	// follows it): the reinstatement fee applies, from the day after the agreement.
	if r.today.After(rec.End) || next.Before(start) {
		ln.Start = start
		n := monthsBegun(next, start)
		ln.Reinstatement = Reinstatement{Months: n, Units: int64(ReinstatementUnits(int(av.tb.Rate12()), n)), Since: next,
			Waived: av.tb.WaiveReinstatement}
	}
	if desiredEnd.IsZero() {
		ln.End = termEnd(ln.Start, months)
	} else {
		ln.End = endOfMonth(calendarDay(desiredEnd))
	}
	if ln.End.Before(ln.Start) {
		ln.Failed = ReasonEndBeforeStart
		ln.FailedDetail = fmt.Sprintf("Quote Failed: DesiredEndMonth=%s, SWAStartDate=%d-%d-%d 0:0:0, AppID=%s, SystemSerialCode=%s, AgreementNumber=%s",
			ln.End.Format("2006/01"), ln.Start.Year(), ln.Start.Month(), ln.Start.Day(), av.p.Name, loc.HWKC, ln.Agreement)
		return ln
	}
	ln.Months = monthsBegun(ln.Start, ln.End)
	switch {
	case ln.Months > av.p.RenewalMaxMonths:
		ln.Failed = ReasonTooLong
		ln.FailedDetail = fmt.Sprintf("%d months from %s to %s; at most %d for %s", ln.Months, ln.Start.Format("2006-01-02"),
			ln.End.Format("2006-01-02"), av.p.RenewalMaxMonths, av.p.Name)
	case ln.End.After(fiveYears(r.today)):
		ln.Failed = ReasonMaxSWA
		ln.FailedDetail = fmt.Sprintf("the renewal would end on %s, more than 5 years after %s", ln.End.Format("2006-01-02"), r.today.Format("2006-01-02"))
	default:
		ln.Units = av.tb.Units(ln.Months)
	}
	return ln
}

// Renew renews the agreements a [RenewalRequest] names, as quoted by [Book.RenewalQuote] (an SWA
// role is needed): the units of every line (reinstatement fees included) are drawn from the bin at
// once, each agreement's suffix becomes the next Rnn and its expiry moves to the line's end. A
// renewal is in force at once (the guide's renewal has no cooling-off). Refused with [ErrQuote]
// when the quote fails as a whole or for a selected line (deselect it), [ErrUnauthorized] without
// the checkbox, and entitlement.ErrQuantity when the bin holds too few units.
func (b *Book) Renew(ctx context.Context, a entitlement.Actor, req RenewalRequest) (Assignment, error) {
	var out Assignment
	err := b.update(ctx, a, "swa.renew", func(r *run) error {
		out = Assignment{}
		if err := r.needSWA("renew SWA"); err != nil {
			return err
		}
		if err := checkText("reference", req.Reference); err != nil {
			return err
		}
		q, targets, err := r.renewalQuote(req)
		if err != nil {
			return err
		}
		var failed []string
		for _, ln := range q.Lines {
			if ln.Failed != "" {
				failed = append(failed, fmt.Sprintf("location %s (%s): %s", ln.Location, ln.Product, ln.Failed))
			}
		}
		if q.Failed != "" {
			failed = append(failed, q.Failed)
		}
		if len(failed) > 0 {
			return wrapf(ErrQuote, "%s", strings.Join(failed, "; "))
		}
		if !req.AuthorizeUnits {
			return wrapf(ErrUnauthorized, "%d units would be drawn from the SWA units bin", q.Units)
		}
		locs := targets[0].loc
		asg := Assignment{Kind: KindRenewal, State: AssignmentActive, Partner: locs.Partner, Customer: locs.Customer,
			Reference: req.Reference, Created: r.now, By: r.x.Actor().String(), Units: q.Units, Closed: r.now}
		if asg.Draws, err = r.draw(locs.Partner, q.Units, false); err != nil {
			return err
		}
		if asg.ID, err = r.x.Next("swa.assignment"); err != nil {
			return err
		}
		saved := map[string]*locRec{}
		for i, ln := range q.Lines {
			t := targets[i]
			lr := saved[t.loc.ID]
			if lr == nil {
				fresh := t.lr
				lr = &fresh
				saved[t.loc.ID] = lr
			}
			app := lr.app(ln.Product)
			app.Renewals++
			app.Suffix, app.Start, app.End = fmt.Sprintf("R%02d", app.Renewals), ln.Start, ln.End
			it := Item{Location: ln.Location, Product: ln.Product, Months: ln.Months, Start: ln.Start, End: ln.End, Units: ln.Units,
				Agreement: app.number()}
			if !ln.Reinstatement.Waived {
				it.Reinstatement, it.ReinstatementMonths = ln.Reinstatement.Units, ln.Reinstatement.Months
			}
			asg.Items = append(asg.Items, it)
			app.History = append(app.History, Period{Kind: PeriodRenewal, Agreement: app.number(), Start: ln.Start, End: ln.End,
				Months: ln.Months, Units: ln.Total(), Reference: req.Reference, At: r.now, Assignment: asg.ID})
			if err := r.setExpiry(*lr, app); err != nil {
				return err
			}
			r.x.Ref("agreement", app.number())
			r.x.Note("renewed %s on location %s: %d months from %s to %s, %d units", app.number(), ln.Location, ln.Months,
				ln.Start.Format("2006-01-02"), ln.End.Format("2006-01-02"), ln.Total())
			r.x.Emit(r.event(EventRenewed, t.loc, app.number(), ln.End,
				fmt.Sprintf("SWA renewed: %s until %s", app.number(), ln.End.Format("2006-01-02"))))
		}
		for _, lr := range saved {
			if err := r.saveLoc(*lr); err != nil {
				return err
			}
		}
		r.x.Ref("swa-assignment", fmt.Sprint(asg.ID))
		if err := r.putAssignment(asg); err != nil {
			return err
		}
		out = asg
		return nil
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}
