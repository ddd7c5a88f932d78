package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/license"
)

// The self-developed machine on the ledger: a shipped line's quantity in the bin is Ready; a
// location line is Pooled while attached, Activated once activated (and as migrated history),
// Inactive once revoked, Order Cancelled once cancelled; a cancelled bin quantity is Order
// Cancelled too. Each move below is one audited operation of the ledger.

// StatusOf returns the delivery status of a location line: Pooled (attached), Activated
// (activated, or migrated history of an activated line), Inactive (revoked), Order Cancelled.
func StatusOf(ln entitlement.Line) Status {
	switch ln.State {
	case entitlement.StateAttached:
		return Pooled
	case entitlement.StateActivated, entitlement.StateMigrated:
		return Activated
	case entitlement.StateRevoked:
		return Inactive
	case entitlement.StateCancelled:
		return OrderCancelled
	}
	return 0
}

// binStatus is the status of a shipped line's bin entitlement: Ready while some of it is in the
// bin, else none (0): the moves from Ready (Pool, Cancel) are then refused.
func binStatus(s entitlement.ShippedLine) Status {
	if s.InBin > 0 {
		return Ready
	}
	return 0
}

// checkLines refuses, with a [*MoveError] naming the first, location lines from which mv is not
// a legal move.
func checkLines(x *entitlement.Op, location string, skcs []string, mv Move) error {
	lines, err := x.Lines(location)
	if err != nil {
		return err
	}
	for _, code := range skcs {
		i := slices.IndexFunc(lines, func(ln entitlement.Line) bool { return ln.SKC == code })
		if i < 0 {
			continue // the ledger's own operation names it as not found
		}
		if _, err := check(SelfDeveloped, code, StatusOf(lines[i]), mv, 0); err != nil {
			return err
		}
	}
	return nil
}

// Pool attaches bin quantities to a location: the move Pool (Ready → Pooled) for each pick, by
// the ledger's Attach with its checks (the partner's LMS user, its own bin and location, the
// system's rules). A pick of a shipped line with nothing Ready is refused with a [*MoveError];
// more than is Ready with entitlement.ErrQuantity. One audited operation ("pool").
func Pool(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, picks []entitlement.Pick) ([]entitlement.Line, error) {
	var out []entitlement.Line
	err := l.Update(ctx, a, "pool", func(x *entitlement.Op) error {
		for _, p := range picks {
			if p.Qty <= 0 {
				continue
			}
			s, err := x.Shipped(p.Line)
			if err != nil {
				return err
			}
			if _, err := check(SelfDeveloped, "line "+strconv.FormatUint(s.ID, 10), binStatus(s), MovePool, 0); err != nil {
				return err
			}
		}
		var err error
		out, err = x.Attach(location, picks)
		return err
	})
	return out, err
}

// Unpool returns pooled lines of a location to the bin: the move Unpool (Pooled → Ready), by the
// ledger's Detach with its checks. A line that is not Pooled is refused with a [*MoveError]. One
// audited operation ("unpool").
func Unpool(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, skcs []string) error {
	return l.Update(ctx, a, "unpool", func(x *entitlement.Op) error {
		if err := checkLines(x, location, skcs, MoveUnpool); err != nil {
			return err
		}
		return x.Detach(location, skcs)
	})
}

// Activate activates pooled lines of a location and issues its files: the move Activate (Pooled
// → Activated), by the ledger's Activate with its checks (the license agreement, the system's
// rules). act.SKCs nil means every pooled line. A named line that is not Pooled is refused with a
// [*MoveError]. One audited operation ("activate"); the result is the location's download.
func Activate(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, act entitlement.Activation) (entitlement.Issued, error) {
	var out entitlement.Issued
	err := l.Update(ctx, a, "activate", func(x *entitlement.Op) error {
		if err := checkLines(x, location, act.SKCs, MoveActivate); err != nil {
			return err
		}
		var err error
		out, err = x.Activate(location, act)
		return err
	})
	return out, err
}

// checkReason refuses an empty or oversized reason.
func checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" || len(reason) > 500 || strings.ContainsAny(reason, "\x00\n\r") {
		return fmt.Errorf("%w: lifecycle: a reason of 1 to 500 bytes on one line is required", entitlement.ErrInvalid)
	}
	return nil
}

// Revoke revokes activated lines of a location (administrator only): the move Revoke (Activated →
// Inactive), the entitlement revoked or returned. The lines stay on the location as history, their
// quantities count as revoked on their shipped lines, and the location's files are re-issued
// without them in the same transaction: the files that held them are superseded (format version
// 2), so a device that installs the new files stops granting them. A line that is not Activated
// is refused with a [*MoveError]; reason (why it was revoked) is required and kept in the audit
// record. One audited operation ("revoke"); the result is the location's new download, and
// [EventRevoked] tells the partner to install it.
func Revoke(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, skcs []string, reason string) (entitlement.Issued, error) {
	var out entitlement.Issued
	err := l.Update(ctx, a, "revoke", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "revoke entitlements"); err != nil {
			return err
		}
		if err := checkReason(reason); err != nil {
			return err
		}
		if err := checkLines(x, location, skcs, MoveRevoke); err != nil {
			return err
		}
		lines, err := x.RevokeLines(location, skcs)
		if err != nil {
			return err
		}
		if out, err = x.Reissue(location); err != nil {
			return err
		}
		x.Note("revoked: %s", reason)
		for _, ln := range lines {
			if err := x.Delete(bucketSweep, "n\x01"+ln.SKC); err != nil { // no notice is due any more
				return err
			}
		}
		loc, err := x.Location(location)
		if err != nil {
			return err
		}
		x.Emit(locationEvent(EventRevoked, loc, lines, out.Name, out.Serial,
			fmt.Sprintf("%d entitlements revoked (%s): install the location's new license files", len(lines), reason)))
		return nil
	})
	return out, err
}

// Cancel cancels pooled lines of a location (administrator only): the move Cancel (Pooled → Order
// Cancelled), for an order cancelled before activation. The lines stay on the location as history
// and count as cancelled on their shipped lines. A line that is not Pooled is refused with a
// [*MoveError]; reason is required. One audited operation ("cancel"); [EventCancelled] tells the
// partner.
func Cancel(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, skcs []string, reason string) error {
	return l.Update(ctx, a, "cancel", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "cancel entitlements"); err != nil {
			return err
		}
		if err := checkReason(reason); err != nil {
			return err
		}
		if err := checkLines(x, location, skcs, MoveCancel); err != nil {
			return err
		}
		lines, err := x.CancelLines(location, skcs)
		if err != nil {
			return err
		}
		x.Note("cancelled: %s", reason)
		loc, err := x.Location(location)
		if err != nil {
			return err
		}
		x.Emit(locationEvent(EventCancelled, loc, lines, "", 0, fmt.Sprintf("%d pooled entitlements cancelled (%s)", len(lines), reason)))
		return nil
	})
}

// CancelReady cancels qty of a shipped line's Ready quantity, in the partner's bin
// (administrator only): the move Cancel (Ready → Order Cancelled). A line with nothing Ready is
// refused with a [*MoveError], more than is Ready with entitlement.ErrQuantity; reason is
// required. One audited operation ("cancel"); [EventCancelled] tells the partner.
func CancelReady(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, line uint64, qty int64, reason string) (entitlement.ShippedLine, error) {
	var out entitlement.ShippedLine
	err := l.Update(ctx, a, "cancel", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "cancel entitlements"); err != nil {
			return err
		}
		if err := checkReason(reason); err != nil {
			return err
		}
		s, err := x.Shipped(line)
		if err != nil {
			return err
		}
		if _, err := check(SelfDeveloped, "line "+strconv.FormatUint(s.ID, 10), binStatus(s), MoveCancel, 0); err != nil {
			return err
		}
		if out, err = x.CancelBin(line, qty); err != nil {
			return err
		}
		x.Note("cancelled: %s", reason)
		x.Emit(entitlement.Event{Kind: EventCancelled, Partner: s.Partner, PO: s.PO, SO: s.SO,
			Lines:  []entitlement.OrderLine{{Part: s.Part, Qty: qty, Type: s.Type, NotAfter: s.NotAfter}},
			Ref:    "line " + strconv.FormatUint(s.ID, 10),
			Detail: fmt.Sprintf("%d of %s cancelled in the bin (%s)", qty, s.Part, reason)})
		return nil
	})
	return out, err
}

// locationEvent is an event about lines of a location.
func locationEvent(kind entitlement.EventKind, loc entitlement.Location, lines []entitlement.Line, ref string, serial uint64, detail string) entitlement.Event {
	e := entitlement.Event{Kind: kind, Partner: loc.Partner, Customer: loc.Customer, Location: loc.ID, HWKC: loc.HWKC,
		Ref: ref, Serial: serial, CustomerEmail: loc.CustomerEmail, DealerEmail: loc.DealerEmail, Detail: detail}
	for _, ln := range lines {
		e.Lines = append(e.Lines, entitlement.OrderLine{Part: ln.Part, Qty: ln.Qty, Type: ln.Type, NotAfter: ln.NotAfter})
	}
	return e
}

// Entitlement is an entitlement's details, as its page shows them: the shipped order line with
// its type and the type's category, how much of it is in each delivery status, its location lines
// with theirs, and, for an annual-fee entitlement, the fee's basis and term.
type Entitlement struct {
	Line entitlement.ShippedLine
	// Type is the line's entitlement type (T when none was given) and TypeName its name;
	// Commercial and FixedTerm are its category.
	Type                  license.EntitlementType
	TypeName              string
	Commercial, FixedTerm bool
	// The quantities in each status of the self-developed machine (Ready is the bin). What was
	// reshipped to a dealer or returned is counted on the line, not here.
	Ready, Pooled, Activated, Inactive, Cancelled int64
	// Lines are the location lines taken from it, each with its status.
	Lines []LineStatus
	// Fee is the annual-fee basis and term, nil for an entitlement shipped without one.
	Fee *Fee
}

// LineStatus is a location line with its delivery status.
type LineStatus struct {
	entitlement.Line
	Status Status
}

// Fee is an annual-fee entitlement's basis and its term, computed with [FeeTerm] from the dates
// given at shipment and, for rule 01, the activation date of its first activated line.
type Fee struct {
	AnnualFee
	Dates OrderDates
	Term  Term
}

// Details returns the details of a shipped line the actor may see (a partner's user its own
// partner's, an administrator any; another partner's is entitlement.ErrNotFound).
func Details(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, line uint64) (Entitlement, error) {
	var e Entitlement
	err := l.View(ctx, a, "entitlement details", func(x *entitlement.Op) error {
		if err := x.LMSUser("see entitlements"); err != nil {
			return err
		}
		s, err := x.Shipped(line)
		if err != nil {
			return err
		}
		lines, err := x.SourceLines(line)
		if err != nil {
			return err
		}
		t := s.EntitlementType()
		e = Entitlement{Line: s, Type: t, TypeName: t.Name(), Commercial: t.Commercial(), FixedTerm: t.FixedTerm(),
			Ready: s.InBin, Pooled: s.Attached, Activated: s.Activated, Inactive: s.Revoked, Cancelled: s.Cancelled}
		for _, ln := range lines {
			e.Lines = append(e.Lines, LineStatus{Line: ln, Status: StatusOf(ln)})
		}
		var rec feeRecord
		ok, err := x.Get(bucketFees, feeKey(line), &rec)
		if err != nil || !ok {
			return err
		}
		f := Fee{AnnualFee: rec.Fee, Dates: rec.Dates}
		if f.Dates.Activated.IsZero() {
			for _, ln := range lines {
				if !ln.ActivatedAt.IsZero() && (f.Dates.Activated.IsZero() || ln.ActivatedAt.Before(f.Dates.Activated)) {
					f.Dates.Activated = ln.ActivatedAt
				}
			}
		}
		if f.Term, err = FeeTerm(f.AnnualFee, f.Dates); err != nil {
			return err
		}
		e.Fee = &f
		return nil
	})
	return e, err
}

// Extension buckets of this package.
const (
	bucketFees  = "lifecycle.fees"  // shipped line id → feeRecord
	bucketThird = "lifecycle.3p"    // third-party id → ThirdPartyEntitlement
	bucketByP   = "lifecycle.3p.p"  // partner \x01 id → nothing
	bucketSweep = "lifecycle.sweep" // "state" → sweepState; "n" \x01 skc → notice sent
)

// feeRecord is an annual-fee entitlement's basis as kept at shipment.
type feeRecord struct {
	Fee   AnnualFee  `cbor:"1,keyasint"`
	Dates OrderDates `cbor:"2,keyasint"`
}

func feeKey(line uint64) string { return strconv.FormatUint(line, 10) }

// ShipAnnualFee ships an annual-fee order into a partner's bin (administrator only): the term is
// computed with [FeeTerm] from fee and dates, and every line of the order gets the model's
// entitlement type: S ending at the term's end for a fixed-term model (04, 05, 09), T for a
// permanent one (01, 02, 03, 07). An order line that names another type is refused. The basis is
// kept with each shipped line and shown in its [Details], where the term is computed again once a
// line is activated (rule 01 may then start earlier; the lines' end stays the one shipped, the
// latest the fee can end). One audited operation ("ship annual fee").
func ShipAnnualFee(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, ord entitlement.Order, fee AnnualFee, dates OrderDates) ([]entitlement.ShippedLine, error) {
	var out []entitlement.ShippedLine
	err := l.Update(ctx, a, "ship annual fee", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "ship orders"); err != nil {
			return err
		}
		term, err := FeeTerm(fee, dates)
		if err != nil {
			return err
		}
		typ := fee.Model.Type()
		o := ord
		o.Lines = slices.Clone(ord.Lines)
		for i := range o.Lines {
			if t := o.Lines[i].Type; t != "" && t != typ {
				return fmt.Errorf("%w: lifecycle: order line %d is type %s; business model %s (%s) ships type %s", entitlement.ErrInvalid, i+1, t, fee.Model, fee.Model.Name(), typ)
			}
			o.Lines[i].Type = typ
			o.Lines[i].NotAfter = time.Time{}
			if fee.Model.FixedTerm() {
				o.Lines[i].NotAfter = term.End
			}
		}
		if out, err = x.Ship(o); err != nil {
			return err
		}
		for _, s := range out {
			if err := x.Put(bucketFees, feeKey(s.ID), feeRecord{Fee: fee, Dates: dates}); err != nil {
				return err
			}
		}
		x.Note("annual fee: model %s (%s), scenario %s, rule %s: %s to %s", fee.Model, fee.Model.Name(), fee.Scenario, fee.Rule,
			term.Start.Format(time.DateOnly), term.End.Format(time.DateOnly))
		return nil
	})
	return out, err
}
