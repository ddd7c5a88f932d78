package swa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// The guide's Tools entries for pending assignments ("reservations"):
//   - SWA Reservations: "View or Cancel SWA Reservations made by your dealership" — a partner's
//     SWA users see, push and cancel their own partner's pending assignments;
//   - SWA Reservations Escalation: "Escalate or Cancel SWA Reservations made by your dealers to
//     NEC Admin" — a distributor's SWA Distributor Admin sees the pending assignments of the
//     dealers it holds a shipping allowance for, and escalates or cancels them;
//   - the vendor's administrator pushes or cancels an escalated assignment, with a reason.

// Reservations lists the pending assignments the actor may act on, oldest due first: its own
// partner's (an SWA role is needed), and for an SWA Distributor Admin also those of its dealers;
// for the vendor's administrator the escalated ones. Assignments whose cooling-off ended are
// settled first and not listed. The cost is proportional to the pending assignments of every
// partner (a pending assignment lives 24 hours).
func (b *Book) Reservations(ctx context.Context, a entitlement.Actor) ([]Assignment, error) {
	var out []Assignment
	err := b.read(ctx, a, "swa.reservations", func(r *run) error {
		out = nil
		if !r.x.Admin() {
			if err := r.needSWA("see SWA reservations"); err != nil {
				return err
			}
		}
		all, err := r.pendingOf("", false)
		if err != nil {
			return err
		}
		for i := range all {
			may, err := r.mayAct(all[i], actView)
			if err != nil {
				return err
			}
			if !may {
				continue
			}
			if !r.now.Before(all[i].Due) {
				// In force already: record it when it is the actor's own (or any, for the
				// administrator); a dealer's is recorded by the dealer's next operation.
				if all[i].Partner == r.x.Partner().ID || r.x.Admin() {
					if err := r.activate(&all[i], "", ""); err != nil {
						return err
					}
				}
				continue
			}
			out = append(out, all[i])
		}
		return nil
	})
	return out, err
}

// The acts on a reservation.
const (
	actView = iota
	actCancel
	actPush
	actEscalate
)

// actVerbs name the acts in messages: the verb and its past participle.
var actVerbs = [...][2]string{actView: {"see", "seen"}, actCancel: {"cancel", "cancelled"}, actPush: {"push", "pushed"},
	actEscalate: {"escalate", "escalated"}}

// mayAct reports whether the actor may see or act on a pending assignment.
func (r *run) mayAct(a Assignment, act int) (bool, error) {
	x := r.x
	if x.Admin() {
		return a.Escalated && act != actEscalate, nil
	}
	if r.needSWA("act on SWA reservations") != nil {
		return false, nil
	}
	if a.Partner == x.Partner().ID {
		return act != actEscalate, nil
	}
	if act == actPush || x.Partner().Kind != entitlement.KindDistributor ||
		x.User().Roles&entitlement.RoleSWADistributor == 0 {
		return false, nil
	}
	return x.Allowance(x.Partner().ID, a.Partner)
}

// reservation loads a pending assignment for an act. One the actor may not see is not found, like
// an unknown one; one whose cooling-off ended is in force already (entitlement.ErrState: a settled
// assignment cannot be cancelled; the next operation that meets it records it).
func (r *run) reservation(id uint64, act int) (Assignment, error) {
	verb, done := actVerbs[act][0], actVerbs[act][1]
	var a Assignment
	ok, err := r.x.Get(bAsg, hexID(id), &a)
	if err != nil {
		return a, err
	}
	may := false
	if ok {
		if may, err = r.mayAct(a, actView); err != nil {
			return a, err
		}
	}
	if !may {
		return a, wrapf(entitlement.ErrNotFound, "SWA assignment %d", id)
	}
	if a.State != AssignmentPending {
		return a, wrapf(entitlement.ErrState, "SWA assignment %d is %s: only a pending assignment can be %s", id, a.State, done)
	}
	if !r.now.Before(a.Due) {
		return a, wrapf(entitlement.ErrState, "SWA assignment %d came into force when its cooling-off ended on %s: it cannot be %s",
			id, a.Due.Format(time.RFC3339), done)
	}
	if may, err = r.mayAct(a, act); err != nil {
		return a, err
	} else if !may {
		return a, wrapf(entitlement.ErrNotAllowed, "%s may not %s SWA assignment %d", r.x.Actor(), verb, id)
	}
	return a, nil
}

// locationOf is the assignment's location as the actor may see it: the ledger's record, or only
// its ids for a distributor acting on its dealer's assignment.
func (r *run) locationOf(a Assignment) (entitlement.Location, error) {
	loc, err := r.x.Location(a.Location)
	if errors.Is(err, entitlement.ErrNotFound) {
		return entitlement.Location{ID: a.Location, Partner: a.Partner, Customer: a.Customer}, nil
	}
	return loc, err
}

// Cancel cancels a location's pending assignment within its cooling-off period: every unit goes
// back to the shipment it came from (and expires with it if that shipment expired meanwhile). The
// location's partner's SWA users may cancel, as may an SWA Distributor Admin of a distributor with
// the shipping allowance for the dealer, and the vendor's administrator an escalated one, with a
// reason. A pushed or settled assignment cannot be cancelled (entitlement.ErrState).
func (b *Book) Cancel(ctx context.Context, a entitlement.Actor, id uint64, reason string) (Assignment, error) {
	var out Assignment
	err := b.update(ctx, a, "swa.cancel", func(r *run) error {
		out = Assignment{}
		if err := checkText("reason", reason); err != nil {
			return err
		}
		if r.x.Admin() && strings.TrimSpace(reason) == "" {
			return wrapf(entitlement.ErrInvalid, "the administrator cancels an escalated reservation with a reason")
		}
		if !r.x.Admin() {
			if err := r.needSWA("cancel SWA reservations"); err != nil {
				return err
			}
		}
		asg, err := r.reservation(id, actCancel)
		if err != nil {
			return err
		}
		loc, err := r.locationOf(asg)
		if err != nil {
			return err
		}
		for _, d := range asg.Draws {
			s, err := r.shipment(d.Shipment)
			if err != nil {
				return err
			}
			s.Pending -= d.Qty
			s.Available += d.Qty
			if err := r.putShipment(s); err != nil {
				return err
			}
			r.x.Note("returned %d units to shipment %d (SO %s)", d.Qty, s.ID, s.SO)
			if err := r.expire(&s); err != nil {
				return err
			}
		}
		asg.State, asg.Closed, asg.ClosedBy, asg.Reason = AssignmentCancelled, r.now, r.x.Actor().String(), reason
		lr, err := r.loadLoc(loc)
		if err != nil {
			return err
		}
		lr.Pending = 0
		if err := r.saveLoc(lr); err != nil {
			return err
		}
		if err := r.putAssignment(asg); err != nil {
			return err
		}
		r.x.Ref("location", loc.ID)
		r.x.Ref("swa-assignment", fmt.Sprint(asg.ID))
		r.x.Emit(r.event(EventCancelled, loc, fmt.Sprint(asg.ID), time.Time{}, fmt.Sprintf("SWA assignment cancelled: %d units returned", asg.Units)))
		out = asg
		return nil
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}

// Push brings a location's pending assignment into force at once ("Process Immediately"), with a
// non-empty reason that is recorded ("A reason is required for documentation purpose"). The
// location's partner's SWA users may push, and the vendor's administrator an escalated
// assignment. A pushed assignment cannot be cancelled.
func (b *Book) Push(ctx context.Context, a entitlement.Actor, id uint64, reason string) (Assignment, error) {
	var out Assignment
	err := b.update(ctx, a, "swa.push", func(r *run) error {
		out = Assignment{}
		if err := checkText("reason", reason); err != nil {
			return err
		}
		if strings.TrimSpace(reason) == "" {
			return wrapf(entitlement.ErrInvalid, "a push needs a reason")
		}
		if !r.x.Admin() {
			if err := r.needSWA("push SWA activation"); err != nil {
				return err
			}
		}
		asg, err := r.reservation(id, actPush)
		if err != nil {
			return err
		}
		if err := r.activate(&asg, r.x.Actor().String(), reason); err != nil {
			return err
		}
		r.x.Ref("location", asg.Location)
		out = asg
		return nil
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}

// Escalate escalates a dealer's pending assignment to the vendor's administrator (an SWA
// Distributor Admin of a distributor with the shipping allowance for the dealer), with a note.
func (b *Book) Escalate(ctx context.Context, a entitlement.Actor, id uint64, note string) (Assignment, error) {
	var out Assignment
	err := b.update(ctx, a, "swa.escalate", func(r *run) error {
		out = Assignment{}
		if err := checkText("note", note); err != nil {
			return err
		}
		if err := r.x.Need(entitlement.RoleSWADistributor, "escalate SWA reservations"); err != nil {
			return err
		}
		asg, err := r.reservation(id, actEscalate)
		if err != nil {
			return err
		}
		loc, err := r.locationOf(asg)
		if err != nil {
			return err
		}
		if asg.Escalated {
			return wrapf(entitlement.ErrState, "assignment %d is escalated already", asg.ID)
		}
		asg.Escalated, asg.EscalatedBy, asg.EscalationNote = true, r.x.Actor().String(), note
		if err := r.putAssignment(asg); err != nil {
			return err
		}
		r.x.Ref("location", loc.ID)
		r.x.Ref("swa-assignment", fmt.Sprint(asg.ID))
		r.x.Emit(r.event(EventEscalated, loc, fmt.Sprint(asg.ID), asg.Due, "SWA reservation escalated: "+note))
		out = asg
		return nil
	})
	if err != nil {
		return Assignment{}, err
	}
	return out, nil
}

// SettleReport is what [Book.Settle] did.
type SettleReport struct {
	// Activated are the agreement numbers that came into force because a cooling-off ended.
	Activated []string
	// ExpiredUnits is the units of shipments that expired with units still available.
	ExpiredUnits int64
	// Expiring and Expired count the agreements that entered their renewal window and those
	// that lapsed (each raises its event once).
	Expiring, Expired int
}

// Settle brings into force every assignment whose cooling-off ended and moves the available units
// of expired shipments to Expired, for a scheduler: the vendor's administrator settles every
// partner and also raises the agreements' expiry events ([EventExpiring] when an agreement enters
// its renewal window, [EventExpired] when it lapses); a partner's SWA user settles its own
// partner. Nothing depends on Settle being called: every operation and read settles what it meets.
// The cost is proportional to the pending assignments and to what is due: shipments past their
// expiry with units left, agreements entering their renewal window or lapsing.
func (b *Book) Settle(ctx context.Context, a entitlement.Actor) (SettleReport, error) {
	var out SettleReport
	err := b.update(ctx, a, "swa.settle", func(r *run) error {
		out = SettleReport{}
		partner := ""
		if !r.x.Admin() {
			if err := r.needSWA("settle SWA assignments"); err != nil {
				return err
			}
			partner = r.x.Partner().ID
		}
		var err error
		if out.Activated, err = r.settleDue(partner); err != nil {
			return err
		}
		if out.ExpiredUnits, err = r.expireShipments(partner); err != nil {
			return err
		}
		if partner == "" {
			out.Expiring, out.Expired, err = r.expiryEvents()
		}
		return err
	})
	return out, err
}

// expireShipments moves the available units of expired shipments of partner ("" for all).
func (r *run) expireShipments(partner string) (int64, error) {
	var ids []uint64
	now := hexTime(r.now)
	bucket, prefix := bBinExp, ""
	if partner != "" {
		bucket, prefix = bBin, partner+ksep
	}
	err := r.x.Scan(bucket, prefix, func(k string, _ func(any) error) (bool, error) {
		parts := strings.Split(k[len(prefix):], ksep)
		if len(parts) != 2 {
			return false, wrapf(entitlement.ErrCorrupt, "SWA bin index key")
		}
		if parts[0] > now {
			return false, nil
		}
		var id uint64
		if _, err := fmt.Sscanf(parts[1], "%016x", &id); err != nil {
			return false, wrapf(entitlement.ErrCorrupt, "SWA bin index key")
		}
		ids = append(ids, id)
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		s, err := r.shipment(id)
		if err != nil {
			return 0, err
		}
		n += s.Available
		if err := r.expire(&s); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// expiryEvents raises the due entries of the expiry index: an agreement entering its renewal
// window, then its lapse.
func (r *run) expiryEvents() (expiring, expired int, err error) {
	type due struct {
		k string
		e expEntry
	}
	var list []due
	now := hexTime(r.now)
	err = r.x.Scan(bExp, "", func(k string, decode func(any) error) (bool, error) {
		if strings.SplitN(k, ksep, 2)[0] > now {
			return false, nil
		}
		var e expEntry
		if err := decode(&e); err != nil {
			return false, err
		}
		list = append(list, due{k, e})
		return true, nil
	})
	if err != nil {
		return 0, 0, err
	}
	for _, d := range list {
		loc, err := r.x.Location(d.e.Location)
		if err != nil {
			return 0, 0, err
		}
		lr, err := r.loadLoc(loc)
		if err != nil {
			return 0, 0, err
		}
		app := lr.app(d.e.Product)
		if err := r.x.Delete(bExp, d.k); err != nil {
			return 0, 0, err
		}
		if app == nil || app.Expiry != d.k {
			continue // a stale entry: the agreement was renewed or replaced meanwhile
		}
		app.Expiry = ""
		if d.e.Stage == 1 {
			expiring++
			r.x.Emit(r.event(EventExpiring, loc, app.number(), app.End,
				fmt.Sprintf("SWA agreement %s expires on %s", app.number(), app.End.Format("2006-01-02"))))
			app.Expiry = key(hexTime(app.End.AddDate(0, 0, 1)), lr.Location, app.Product)
			if err := r.x.Put(bExp, app.Expiry, expEntry{Partner: lr.Partner, Location: lr.Location, Product: app.Product, Stage: 2, End: app.End}); err != nil {
				return 0, 0, err
			}
		} else {
			expired++
			r.x.Emit(r.event(EventExpired, loc, app.number(), app.End,
				fmt.Sprintf("SWA agreement %s expired on %s", app.number(), app.End.Format("2006-01-02"))))
		}
		r.x.Ref("agreement", app.number())
		if err := r.saveLoc(lr); err != nil {
			return 0, 0, err
		}
	}
	return expiring, expired, nil
}
