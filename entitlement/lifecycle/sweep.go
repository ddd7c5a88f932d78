package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// The event kinds of this package, delivered on the ledger's event stream (Config.Events) after
// the operation that raised them commits.
const (
	// EventRenewalDue: an activated fixed-term entitlement ends within the notice time ([Sweep]):
	// Partner, Customer, Location, HWKC, the e-mails, PO and SO, Lines (part, quantity, type,
	// end), Ref (the software key code) and Due (the end) are set.
	EventRenewalDue entitlement.EventKind = "lifecycle.renewal_due"
	// EventExpired: an activated fixed-term entitlement reached its end ([Sweep]); its file ends
	// on the device by itself. The fields of EventRenewalDue are set.
	EventExpired entitlement.EventKind = "lifecycle.expired"
	// EventRevoked: entitlements of a location were revoked ([Revoke]) and its files re-issued:
	// the partner installs the new files (Ref is the download's name, Serial the first file's).
	EventRevoked entitlement.EventKind = "lifecycle.revoked"
	// EventCancelled: pooled or Ready entitlements were cancelled ([Cancel], [CancelReady]).
	EventCancelled entitlement.EventKind = "lifecycle.cancelled"
	// EventThirdPartyReady: a third-party license can be downloaded ([Purchase], or
	// [DeliverOnMedium] with an electronic backup): Partner, Location (if any), PO, SO and Ref (the
	// entitlement's id) are set.
	EventThirdPartyReady entitlement.EventKind = "lifecycle.third_party_ready"
)

// Notices configures [Sweep]. The zero value has the defaults.
type Notices struct {
	// RenewalBefore is how long before its end a fixed-term entitlement raises EventRenewalDue;
	// 0 means 30 days. Negative is refused.
	RenewalBefore time.Duration
}

// SweepResult counts what a sweep raised.
type SweepResult struct {
	Renewals, Expiries int
}

// sweepState is what the sweeps have done: every end at or before Through has been processed.
type sweepState struct {
	Through time.Time `cbor:"1,keyasint"`
}

// notice records that the renewal notice of a line was sent.
type notice struct {
	Sent time.Time `cbor:"1,keyasint"`
}

// Sweep raises the renewal and expiry events of activated fixed-term entitlements that are due
// (administrator only: a scheduler's account calls it, daily for example; time is the ledger's
// clock). Each activated fixed-term line raises [EventRenewalDue] once when its end is within
// n.RenewalBefore and [EventExpired] once when its end has come (a line whose end passed between
// two sweeps raises the expiry alone). Revoked lines raise nothing. One audited operation
// ("lifecycle sweep"); the cost is proportional to the lines ending between the previous sweep and
// the notice horizon.
func Sweep(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, n Notices) (SweepResult, error) {
	if n.RenewalBefore < 0 {
		return SweepResult{}, fmt.Errorf("%w: lifecycle: negative renewal notice time", entitlement.ErrInvalid)
	}
	if n.RenewalBefore == 0 {
		n.RenewalBefore = 30 * 24 * time.Hour
	}
	var res SweepResult
	err := l.Update(ctx, a, "lifecycle sweep", func(x *entitlement.Op) error {
		res = SweepResult{}
		if err := x.Need(entitlement.RoleAdmin, "sweep entitlements"); err != nil {
			return err
		}
		var st sweepState
		if _, err := x.Get(bucketSweep, "state", &st); err != nil {
			return err
		}
		now := x.Now()
		type due struct {
			ln      entitlement.Line
			expired bool
		}
		var todo []due
		err := x.FixedTermLines(st.Through.Add(time.Second), now.Add(n.RenewalBefore).Add(time.Second), func(ln entitlement.Line) (bool, error) {
			todo = append(todo, due{ln, !ln.NotAfter.After(now)})
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, d := range todo {
			key := "n\x01" + d.ln.SKC
			var sent notice
			had, err := x.Get(bucketSweep, key, &sent)
			if err != nil {
				return err
			}
			loc, err := x.Location(d.ln.Location)
			if err != nil {
				return err
			}
			e := locationEvent(EventRenewalDue, loc, []entitlement.Line{d.ln}, d.ln.SKC, 0, "")
			e.PO, e.SO, e.Due = d.ln.PO, d.ln.SO, d.ln.NotAfter
			if d.expired {
				e.Kind = EventExpired
				e.Detail = fmt.Sprintf("%s %s × %d (type %s) ended %s", d.ln.SKC, d.ln.Part, d.ln.Qty, d.ln.EntitlementType(), d.ln.NotAfter.Format(time.RFC3339))
				x.Emit(e)
				res.Expiries++
				if had {
					if err := x.Delete(bucketSweep, key); err != nil {
						return err
					}
				}
				continue
			}
			if had {
				continue
			}
			e.Detail = fmt.Sprintf("%s %s × %d (type %s) ends %s: renew it", d.ln.SKC, d.ln.Part, d.ln.Qty, d.ln.EntitlementType(), d.ln.NotAfter.Format(time.RFC3339))
			x.Emit(e)
			res.Renewals++
			if err := x.Put(bucketSweep, key, notice{Sent: now}); err != nil {
				return err
			}
		}
		x.Note("renewal notices %d, expiries %d", res.Renewals, res.Expiries)
		return x.Put(bucketSweep, "state", sweepState{Through: now})
	})
	return res, err
}
