package dealreg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/extop"
)

// The event kinds of this package, on the ledger's event stream (Config.Events). Each names the
// registration in Ref and its deal partner in Partner.
const (
	EventAccepted entitlement.EventKind = "dealreg.accepted"
	EventReturned entitlement.EventKind = "dealreg.returned" // returned for supplement: Detail says what to add
	EventRejected entitlement.EventKind = "dealreg.rejected"
	// EventExpiring: an accepted registration's validity ends within the policy's notice time
	// (Due): extend it with the vendor's contact, once per validity end.
	EventExpiring entitlement.EventKind = "dealreg.expiring"
	// EventExpired: a registration's validity ended (Due).
	EventExpired entitlement.EventKind = "dealreg.expired"
	// EventInvalid: an accepted registration went the policy's time (4 weeks) without an update
	// and is invalid.
	EventInvalid entitlement.EventKind = "dealreg.invalid"
)

// Info is what a registration says about the deal. Every field is required: a registration that
// lacks one is incomplete.
type Info struct {
	Customer string `cbor:"1,keyasint" json:"customer"` // the specific customer name
	Project  string `cbor:"2,keyasint" json:"project"`  // the project name
	// Budget is the project's budget in minor units of Currency (an ISO 4217 code).
	Budget   int64  `cbor:"3,keyasint" json:"budget"`
	Currency string `cbor:"4,keyasint" json:"currency"`
	// Products are the products or solutions of the deal: each in the partner's authorised
	// products.
	Products []string `cbor:"5,keyasint" json:"products"`
	// DecisionChain is the project's decision-making chain: who decides, in order.
	DecisionChain []string `cbor:"6,keyasint" json:"decision_chain"`
	// Implementation is when the project is to be implemented.
	Implementation time.Time `cbor:"7,keyasint" json:"implementation"`
	// Region is where the deal is: in the partner's authorised regions.
	Region string `cbor:"8,keyasint" json:"region"`
}

// IncompleteError refuses a registration that lacks information, naming every field missing. It
// matches entitlement.ErrInvalid.
type IncompleteError struct {
	Missing []string
}

// Error lists the missing fields.
func (e *IncompleteError) Error() string {
	return "dealreg: the registration is incomplete: missing " + strings.Join(e.Missing, ", ")
}

// Unwrap makes an IncompleteError match entitlement.ErrInvalid.
func (e *IncompleteError) Unwrap() error { return entitlement.ErrInvalid }

// complete checks that the information is complete and well formed.
func (in Info) complete() error {
	var miss []string
	if strings.TrimSpace(in.Customer) == "" {
		miss = append(miss, "customer name")
	}
	if strings.TrimSpace(in.Project) == "" {
		miss = append(miss, "project name")
	}
	if in.Budget <= 0 || len(in.Currency) != 3 || strings.ToUpper(in.Currency) != in.Currency {
		miss = append(miss, "budget (an amount and its currency code)")
	}
	if !slices.ContainsFunc(in.Products, func(p string) bool { return strings.TrimSpace(p) != "" }) {
		miss = append(miss, "products or solutions")
	}
	if !slices.ContainsFunc(in.DecisionChain, func(p string) bool { return strings.TrimSpace(p) != "" }) {
		miss = append(miss, "decision-making chain")
	}
	if in.Implementation.IsZero() {
		miss = append(miss, "implementation time")
	}
	if strings.TrimSpace(in.Region) == "" {
		miss = append(miss, "region")
	}
	if len(miss) > 0 {
		return &IncompleteError{Missing: miss}
	}
	for _, f := range [][2]string{{"customer name", in.Customer}, {"project name", in.Project}, {"region", in.Region}} {
		if err := checkText(f[0], f[1], 200); err != nil {
			return err
		}
	}
	if len(in.Products) > 100 || len(in.DecisionChain) > 100 {
		return fmt.Errorf("%w: dealreg: more than 100 products or decision makers", entitlement.ErrInvalid)
	}
	for _, v := range append(slices.Clone(in.Products), in.DecisionChain...) {
		if err := checkText("list entry", v, 200); err != nil {
			return err
		}
	}
	return nil
}

// Request is a deal registration as a partner submits it.
type Request struct {
	// OnBehalfOf is the client-facing partner a distributor registers the deal for; "" when the
	// registering partner registers for itself.
	OnBehalfOf string
	Info       Info
	// Opportunity is the key of the opportunity, as the caller names it; "" means
	// OpportunityKey(Info.Customer, Info.Project). Only one registration of an opportunity is
	// accepted.
	Opportunity string
}

// Status is a registration's status.
type Status uint8

// The statuses of a registration.
const (
	Submitted Status = iota + 1 // waiting for the vendor's approval
	Returned                    // returned for supplement or modification
	Accepted                    // accepted: the deal is the partner's while it is valid
	Rejected
	Expired // its validity ended
	Invalid // not updated for the policy's time (4 consecutive weeks)
)

var statusNames = [...]string{"none", "submitted", "returned", "accepted", "rejected", "expired", "invalid"}

// String returns the status's name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// open reports whether a registration in s can still change.
func (s Status) open() bool { return s == Submitted || s == Returned || s == Accepted }

// Registration is a deal registration and what became of it.
type Registration struct {
	ID string `cbor:"1,keyasint" json:"id"` // "DR-<n>"
	// Partner is the deal's partner: the client-facing partner (or a distributor registering for
	// itself); By is the partner that registered it (a distributor on its behalf, or Partner).
	Partner     string    `cbor:"2,keyasint" json:"partner"`
	By          string    `cbor:"3,keyasint" json:"by"`
	Registrant  string    `cbor:"4,keyasint" json:"registrant"` // the actor's identity
	Info        Info      `cbor:"5,keyasint" json:"info"`
	Opportunity string    `cbor:"6,keyasint" json:"opportunity"`
	Status      Status    `cbor:"7,keyasint" json:"status"`
	Submitted   time.Time `cbor:"8,keyasint" json:"submitted"`
	Updated     time.Time `cbor:"9,keyasint" json:"updated"` // the last update of its information
	ValidUntil  time.Time `cbor:"10,keyasint" json:"valid_until"`
	// PriceApplied is when the price was applied for; zero before.
	PriceApplied time.Time `cbor:"11,keyasint,omitzero" json:"price_applied,omitzero"`
	// Noticed is the validity end the expiry notice was sent for (zero before any).
	Noticed time.Time `cbor:"12,keyasint,omitzero" json:"noticed,omitzero"`
	Reason  string    `cbor:"13,keyasint,omitempty" json:"reason,omitempty"` // of a return, rejection, expiry or invalidity
	History []Change  `cbor:"14,keyasint" json:"history"`
}

// Change is one step of a registration's history.
type Change struct {
	Time time.Time `cbor:"1,keyasint" json:"time"`
	By   string    `cbor:"2,keyasint" json:"by"`
	What string    `cbor:"3,keyasint" json:"what"`
	To   Status    `cbor:"4,keyasint" json:"to"`
}

func (r *Registration) record(x *entitlement.Op, by, what string, to Status) {
	r.History = append(r.History, Change{Time: x.Now(), By: by, What: what, To: to})
	r.Status = to
}

// profile loads a partner's profile; ok is false without one.
func profile(x *entitlement.Op, partner string) (Profile, bool, error) {
	var pr Profile
	if partner == "" || strings.ContainsAny(partner, "\x00\x01") {
		return pr, false, nil
	}
	ok, err := x.Get(bProfiles, partner, &pr)
	return pr, ok, err
}

// inScope checks a deal against its partner's profile: its tier may register, and the region and
// every product are authorised.
func inScope(pr Profile, in Info) error {
	if !slices.Contains(pr.Regions, in.Region) {
		return fmt.Errorf("%w: dealreg: region %q is outside partner %s's authorised regions", entitlement.ErrNotAllowed, in.Region, pr.Partner)
	}
	for _, p := range in.Products {
		if !slices.Contains(pr.Products, p) {
			return fmt.Errorf("%w: dealreg: product %q is outside partner %s's authorised products", entitlement.ErrNotAllowed, p, pr.Partner)
		}
	}
	return nil
}

// dealPartner decides whose deal a request registers: the registering partner's own (a
// client-facing partner, or a distributor where the policy lets distributors register for
// themselves), or a client-facing partner's, on whose behalf a distributor holding the shipping
// allowance to it registers. It returns the deal partner's profile.
func (b *Book) dealPartner(x *entitlement.Op, onBehalf string) (Profile, error) {
	me := x.Partner()
	mine, ok, err := profile(x, me.ID)
	if err != nil {
		return Profile{}, err
	}
	if !ok {
		return Profile{}, fmt.Errorf("%w: dealreg: partner %s has no deal-registration profile: it must be a Registered Partner at least", entitlement.ErrNotAllowed, me.ID)
	}
	if onBehalf == "" || onBehalf == me.ID {
		if mine.Tier == TierDistributor && !b.p.DistributorsForThemselves {
			return Profile{}, fmt.Errorf("%w: dealreg: distributor %s registers deals on behalf of client-facing partners; for itself only where the policy allows", entitlement.ErrNotAllowed, me.ID)
		}
		return mine, nil
	}
	if mine.Tier != TierDistributor {
		return Profile{}, fmt.Errorf("%w: dealreg: only a distributor registers on behalf of another partner", entitlement.ErrNotAllowed)
	}
	if ok, err := x.Allowance(me.ID, onBehalf); err != nil {
		return Profile{}, err
	} else if !ok {
		return Profile{}, fmt.Errorf("%w: dealreg: distributor %s has no allowance to act for %s", entitlement.ErrNotAllowed, me.ID, onBehalf)
	}
	cft, ok, err := profile(x, onBehalf)
	if err != nil {
		return Profile{}, err
	}
	if !ok || !cft.Tier.ClientFacing() {
		return Profile{}, fmt.Errorf("%w: dealreg: %s is not a client-facing partner", entitlement.ErrNotAllowed, onBehalf)
	}
	return cft, nil
}

// Submit registers a deal (an LMS user of a partner). The information must be complete: an
// [*IncompleteError] names every missing field. The partner must have a profile of a tier that may
// register (a distributor registers on behalf of a client-facing partner it holds the shipping
// allowance to, and for itself only where the policy allows), and the region and products must be
// in the deal partner's authorised scope (entitlement.ErrNotAllowed). An opportunity with an
// accepted registration is refused with entitlement.ErrExists. The registration is valid for the
// policy's months from now and waits for the vendor's approval. One audited operation ("dealreg
// submit").
func (b *Book) Submit(ctx context.Context, a entitlement.Actor, req Request) (Registration, error) {
	var r Registration
	err := b.l.Update(ctx, a, "dealreg submit", func(x *entitlement.Op) error {
		if err := x.LMSUser("register deals"); err != nil {
			return err
		}
		if err := req.Info.complete(); err != nil {
			return err
		}
		deal, err := b.dealPartner(x, req.OnBehalfOf)
		if err != nil {
			return err
		}
		if err := inScope(deal, req.Info); err != nil {
			return err
		}
		opp := req.Opportunity
		if opp == "" {
			opp = OpportunityKey(req.Info.Customer, req.Info.Project)
		} else {
			opp = foldKey(opp)
		}
		if err := checkText("opportunity", opp, 400); err != nil {
			return err
		}
		if taken, err := b.accepted(x, opp); err != nil {
			return err
		} else if taken != "" {
			return fmt.Errorf("%w: dealreg: the opportunity %q has an accepted registration", entitlement.ErrExists, opp)
		}
		n, err := x.Next("dealreg")
		if err != nil {
			return err
		}
		now := x.Now()
		r = Registration{ID: "DR-" + strconv.FormatUint(n, 10), Partner: deal.Partner, By: x.Partner().ID, Registrant: x.Actor().String(),
			Info: cloneInfo(req.Info), Opportunity: opp, Submitted: now, Updated: now, ValidUntil: now.AddDate(0, b.p.ValidityMonths, 0)}
		r.record(x, x.Actor().String(), "submitted", Submitted)
		x.Ref("registration", r.ID)
		for _, p := range []string{r.Partner, r.By} {
			if err := x.Put(bByP, p+"\x01"+r.ID, struct{}{}); err != nil {
				return err
			}
		}
		if err := x.Put(bOpen, r.ID, struct{}{}); err != nil {
			return err
		}
		return x.Put(bRegs, r.ID, r)
	})
	return r, err
}

func cloneInfo(in Info) Info {
	in.Products, in.DecisionChain = slices.Clone(in.Products), slices.Clone(in.DecisionChain)
	in.Implementation = in.Implementation.UTC()
	return in
}

// accepted returns the id of the opportunity's accepted registration, or "".
func (b *Book) accepted(x *entitlement.Op, opp string) (string, error) {
	var id string
	ok, err := x.Get(bOpp, opp, &id)
	if err != nil || !ok {
		return "", err
	}
	return id, nil
}

// load loads a registration the actor may see: its registering or deal partner's, or any for
// the vendor's staff (an administrator or an approver); another's is entitlement.ErrNotFound.
func (b *Book) load(x *entitlement.Op, id string) (Registration, error) {
	var r Registration
	if id == "" || len(id) > 32 || strings.ContainsAny(id, "\x00\x01") {
		return r, fmt.Errorf("%w: dealreg: registration %q", entitlement.ErrNotFound, id)
	}
	ok, err := x.Get(bRegs, id, &r)
	if err != nil {
		return r, err
	}
	staff, err := extop.Staff(x, bRoles, uint32(RoleApprover))
	if err != nil {
		return r, err
	}
	if !ok || !staff && r.Partner != x.Partner().ID && r.By != x.Partner().ID {
		return Registration{}, fmt.Errorf("%w: dealreg: registration %s", entitlement.ErrNotFound, id)
	}
	return r, nil
}

// needApprover refuses unless the actor holds the approver role (an administrator does not, by
// being one: approval is a role of its own).
func needApprover(x *entitlement.Op, what string) error {
	holds, err := extop.Holds(x, bRoles, uint32(RoleApprover))
	if err != nil {
		return err
	}
	if !holds {
		return fmt.Errorf("%w: dealreg: %s may not %s: it needs the approver role", entitlement.ErrNotAllowed, x.Actor(), what)
	}
	return nil
}

// update runs fn on a registration as one audited operation named name and saves it.
func (b *Book) update(ctx context.Context, a entitlement.Actor, name, id string, fn func(x *entitlement.Op, r *Registration) error) (Registration, error) {
	var out Registration
	err := b.l.Update(ctx, a, name, func(x *entitlement.Op) error {
		r, err := b.load(x, id)
		if err != nil {
			return err
		}
		if err := fn(x, &r); err != nil {
			return err
		}
		x.Ref("registration", r.ID)
		if !r.Status.open() {
			if err := x.Delete(bOpen, r.ID); err != nil {
				return err
			}
		}
		out = r
		return x.Put(bRegs, r.ID, r)
	})
	return out, err
}

func stateErr(r Registration, what string) error {
	return fmt.Errorf("%w: dealreg: registration %s is %s: it cannot be %s", entitlement.ErrState, r.ID, r.Status, what)
}

// Update replaces a registration's information (an LMS user of its registering or deal partner):
// the regular update that keeps an accepted registration valid, or the supplement a returned one
// was asked for, which submits it again. The information must be complete and in scope; the
// opportunity stays the one it was registered for. One audited operation ("dealreg update").
func (b *Book) Update(ctx context.Context, a entitlement.Actor, id string, in Info) (Registration, error) {
	return b.update(ctx, a, "dealreg update", id, func(x *entitlement.Op, r *Registration) error {
		if err := x.LMSUser("update deal registrations"); err != nil {
			return err
		}
		if r.Partner != x.Partner().ID && r.By != x.Partner().ID {
			return fmt.Errorf("%w: dealreg: only the registering or deal partner updates %s", entitlement.ErrNotAllowed, r.ID)
		}
		if !r.Status.open() {
			return stateErr(*r, "updated")
		}
		if err := in.complete(); err != nil {
			return err
		}
		pr, ok, err := profile(x, r.Partner)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: dealreg: partner %s has no profile any more", entitlement.ErrNotAllowed, r.Partner)
		}
		if err := inScope(pr, in); err != nil {
			return err
		}
		r.Info, r.Updated = cloneInfo(in), x.Now()
		to := r.Status
		if to == Returned {
			to = Submitted
		}
		r.record(x, x.Actor().String(), "updated", to)
		return nil
	})
}

// Return returns a submitted registration to its partner for supplement or modification (an
// approver); reason says what to add. One audited operation ("dealreg return").
func (b *Book) Return(ctx context.Context, a entitlement.Actor, id, reason string) (Registration, error) {
	return b.update(ctx, a, "dealreg return", id, func(x *entitlement.Op, r *Registration) error {
		if err := needApprover(x, "return registrations"); err != nil {
			return err
		}
		if err := checkText("reason", reason, 500); err != nil {
			return err
		}
		if r.Status != Submitted {
			return stateErr(*r, "returned")
		}
		r.Reason = reason
		r.record(x, x.Actor().String(), "returned for supplement: "+reason, Returned)
		x.Emit(regEvent(EventReturned, *r, reason))
		return nil
	})
}

// Reject rejects a submitted or returned registration (an approver). One audited operation
// ("dealreg reject").
func (b *Book) Reject(ctx context.Context, a entitlement.Actor, id, reason string) (Registration, error) {
	return b.update(ctx, a, "dealreg reject", id, func(x *entitlement.Op, r *Registration) error {
		if err := needApprover(x, "reject registrations"); err != nil {
			return err
		}
		if err := checkText("reason", reason, 500); err != nil {
			return err
		}
		if r.Status != Submitted && r.Status != Returned {
			return stateErr(*r, "rejected")
		}
		r.Reason = reason
		r.record(x, x.Actor().String(), "rejected: "+reason, Rejected)
		x.Emit(regEvent(EventRejected, *r, reason))
		return nil
	})
}

// Accept accepts a submitted registration (an approver): only when the deal is not in the
// vendor's own pipeline (the policy's [Pipeline], asked first, outside the transaction), no other
// registration of its opportunity is accepted (entitlement.ErrExists; one per opportunity, whatever
// the concurrency: the check and the claim are one transaction), its partner's tier and authorised
// scope still cover it, it is still valid, and any price application came the policy's lead after
// the registration. One audited operation ("dealreg accept").
func (b *Book) Accept(ctx context.Context, a entitlement.Actor, id string) (Registration, error) {
	var r Registration
	if err := b.l.View(ctx, a, "dealreg accept", func(x *entitlement.Op) error {
		var err error
		r, err = b.load(x, id)
		return err
	}); err != nil {
		return Registration{}, err
	}
	in, err := b.p.Pipeline.InPipeline(ctx, r)
	if err != nil {
		return Registration{}, fmt.Errorf("dealreg accept: %w: dealreg: the vendor's pipeline did not answer: %v", entitlement.ErrState, err)
	}
	return b.update(ctx, a, "dealreg accept", id, func(x *entitlement.Op, r *Registration) error {
		if err := needApprover(x, "accept registrations"); err != nil {
			return err
		}
		if r.Status != Submitted {
			return stateErr(*r, "accepted")
		}
		if in {
			return fmt.Errorf("%w: dealreg: the deal of %s is in the vendor's own pipeline", entitlement.ErrState, r.ID)
		}
		if !x.Now().Before(r.ValidUntil) {
			return fmt.Errorf("%w: dealreg: registration %s expired %s", entitlement.ErrState, r.ID, r.ValidUntil.Format(time.RFC3339))
		}
		if !r.PriceApplied.IsZero() && r.PriceApplied.Sub(r.Submitted) < b.p.PriceLead {
			return fmt.Errorf("%w %w: dealreg: the price of %s was applied for %s after its registration, less than %s", ErrTooEarly, entitlement.ErrState,
				r.ID, r.PriceApplied.Sub(r.Submitted), b.p.PriceLead)
		}
		pr, ok, err := profile(x, r.Partner)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: dealreg: partner %s has no profile", entitlement.ErrNotAllowed, r.Partner)
		}
		if err := inScope(pr, r.Info); err != nil {
			return err
		}
		if taken, err := b.accepted(x, r.Opportunity); err != nil {
			return err
		} else if taken != "" {
			return fmt.Errorf("%w: dealreg: the opportunity %q has an accepted registration", entitlement.ErrExists, r.Opportunity)
		}
		if err := x.Put(bOpp, r.Opportunity, r.ID); err != nil {
			return err
		}
		r.record(x, x.Actor().String(), "accepted", Accepted)
		x.Emit(regEvent(EventAccepted, *r, "the deal is registered until "+r.ValidUntil.Format(time.DateOnly)))
		return nil
	})
}

// Extend extends an accepted registration's validity to until (an approver: the vendor extends
// it, as the partner asks its contact to). until must be later than the current end. One audited
// operation ("dealreg extend").
func (b *Book) Extend(ctx context.Context, a entitlement.Actor, id string, until time.Time) (Registration, error) {
	return b.update(ctx, a, "dealreg extend", id, func(x *entitlement.Op, r *Registration) error {
		if err := needApprover(x, "extend registrations"); err != nil {
			return err
		}
		if r.Status != Accepted {
			return stateErr(*r, "extended")
		}
		until = until.UTC().Truncate(time.Second)
		if !until.After(r.ValidUntil) {
			return fmt.Errorf("%w: dealreg: %s is valid until %s already", entitlement.ErrInvalid, r.ID, r.ValidUntil.Format(time.RFC3339))
		}
		r.ValidUntil = until
		r.record(x, x.Actor().String(), "extended to "+until.Format(time.DateOnly), Accepted)
		return nil
	})
}

// ApplyPrice records the price application of a deal (an LMS user of its registering or deal
// partner), on a submitted or accepted registration. The rule is checked here: the price is
// applied for at least the policy's lead (15 days) after the registration, else the application is
// refused with [ErrTooEarly] (and entitlement.ErrState) and nothing is recorded. One audited
// operation ("dealreg price application").
func (b *Book) ApplyPrice(ctx context.Context, a entitlement.Actor, id string) (Registration, error) {
	return b.update(ctx, a, "dealreg price application", id, func(x *entitlement.Op, r *Registration) error {
		if err := x.LMSUser("apply for prices"); err != nil {
			return err
		}
		if r.Partner != x.Partner().ID && r.By != x.Partner().ID {
			return fmt.Errorf("%w: dealreg: only the registering or deal partner applies for the price of %s", entitlement.ErrNotAllowed, r.ID)
		}
		if r.Status != Submitted && r.Status != Accepted || !r.PriceApplied.IsZero() {
			return stateErr(*r, "given a price application")
		}
		if lead := x.Now().Sub(r.Submitted); lead < b.p.PriceLead {
			return fmt.Errorf("%w %w: dealreg: %s was registered %s ago; the price is applied for at least %s after the registration",
				ErrTooEarly, entitlement.ErrState, r.ID, lead.Round(time.Minute), days(b.p.PriceLead))
		}
		r.PriceApplied = x.Now()
		r.record(x, x.Actor().String(), "price applied for", r.Status)
		return nil
	})
}

// days writes a duration in days ("28 days"), or as it is when it is no whole number of days.
func days(d time.Duration) string {
	if d%(24*time.Hour) != 0 {
		return d.String()
	}
	return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + " days"
}

func regEvent(kind entitlement.EventKind, r Registration, detail string) entitlement.Event {
	return entitlement.Event{Kind: kind, Partner: r.Partner, Ref: r.ID, Due: r.ValidUntil, Detail: detail}
}

// SweepResult counts what a sweep changed and raised.
type SweepResult struct {
	Expiring, Expired, Invalid int
}

// Sweep makes the registrations' due changes (administrator only: a scheduler's account calls it,
// daily for example; time is the ledger's clock): a registration whose validity ended is Expired;
// an accepted one not updated for the policy's time (4 consecutive weeks) is Invalid; an accepted
// one whose validity ends within the notice time raises [EventExpiring], once per validity end.
// An expired or invalid registration frees its opportunity. One audited operation ("dealreg
// sweep"); the cost is proportional to the open registrations.
func (b *Book) Sweep(ctx context.Context, a entitlement.Actor) (SweepResult, error) {
	var res SweepResult
	err := b.l.Update(ctx, a, "dealreg sweep", func(x *entitlement.Op) error {
		res = SweepResult{}
		if err := x.Need(entitlement.RoleAdmin, "sweep deal registrations"); err != nil {
			return err
		}
		var ids []string
		if err := x.Scan(bOpen, "", func(key string, _ func(any) error) (bool, error) {
			ids = append(ids, key)
			return true, nil
		}); err != nil {
			return err
		}
		now := x.Now()
		for _, id := range ids {
			var r Registration
			if _, err := x.Get(bRegs, id, &r); err != nil {
				return err
			}
			switch {
			case !now.Before(r.ValidUntil):
				r.Reason = "its validity ended " + r.ValidUntil.Format(time.RFC3339)
				r.record(x, x.Actor().String(), "expired", Expired)
				x.Emit(regEvent(EventExpired, r, r.Reason))
				res.Expired++
			case r.Status == Accepted && now.Sub(r.Updated) >= b.p.StaleAfter:
				r.Reason = fmt.Sprintf("not updated since %s, %s without an update", r.Updated.Format(time.DateOnly), days(b.p.StaleAfter))
				r.record(x, x.Actor().String(), "invalid", Invalid)
				x.Emit(regEvent(EventInvalid, r, r.Reason))
				res.Invalid++
			case r.Status == Accepted && r.ValidUntil.Sub(now) <= b.p.NoticeBefore && !r.Noticed.Equal(r.ValidUntil):
				r.Noticed = r.ValidUntil
				x.Emit(regEvent(EventExpiring, r, "valid until "+r.ValidUntil.Format(time.DateOnly)+": ask the vendor to extend it if the deal needs longer"))
				res.Expiring++
			default:
				continue
			}
			if !r.Status.open() {
				if err := x.Delete(bOpen, r.ID); err != nil {
					return err
				}
				if taken, err := b.accepted(x, r.Opportunity); err != nil {
					return err
				} else if taken == r.ID {
					if err := x.Delete(bOpp, r.Opportunity); err != nil {
						return err
					}
				}
			}
			x.Ref("registration", r.ID)
			if err := x.Put(bRegs, r.ID, r); err != nil {
				return err
			}
		}
		x.Note("expiring %d, expired %d, invalid %d", res.Expiring, res.Expired, res.Invalid)
		return nil
	})
	return res, err
}

// Registration returns a registration the actor may see.
func (b *Book) Registration(ctx context.Context, a entitlement.Actor, id string) (Registration, error) {
	return extop.View(ctx, b.l, a, "dealreg registration", "see deal registrations", func(x *entitlement.Op) (Registration, error) {
		return b.load(x, id)
	})
}

// Registrations returns the registrations a partner registered or is the deal partner of, for an
// actor who may see them (the partner's users, or the vendor's staff), oldest first.
func (b *Book) Registrations(ctx context.Context, a entitlement.Actor, partner string) ([]Registration, error) {
	var out []Registration
	err := b.l.View(ctx, a, "dealreg registrations", func(x *entitlement.Op) error {
		if err := x.LMSUser("see deal registrations"); err != nil {
			return err
		}
		staff, err := extop.Staff(x, bRoles, uint32(RoleApprover))
		if err != nil {
			return err
		}
		if !staff && partner != x.Partner().ID || strings.ContainsAny(partner, "\x00\x01") {
			return fmt.Errorf("%w: partner %q", entitlement.ErrNotFound, partner)
		}
		out = nil
		prefix := partner + "\x01"
		return x.Scan(bByP, prefix, func(key string, _ func(any) error) (bool, error) {
			r, err := b.load(x, key[len(prefix):])
			if err != nil && !errors.Is(err, entitlement.ErrNotFound) {
				return false, err
			}
			if err == nil {
				out = append(out, r)
			}
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Registration) int { return a.Submitted.Compare(b.Submitted) })
	return out, err
}
