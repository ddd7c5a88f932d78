package swa

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
)

// ConservationError lists every violation of the units invariant [CheckConservation] found.
type ConservationError struct {
	Problems []string // one line per violation, naming the shipment, assignment or index entry
}

// Error lists the problems.
func (e *ConservationError) Error() string {
	return fmt.Sprintf("swa: %d SWA units conservation problems: %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// Unwrap makes a ConservationError match entitlement.ErrCorrupt.
func (e *ConservationError) Unwrap() error { return entitlement.ErrCorrupt }

// CheckConservation checks that no license, seat or SWA unit was created or lost: it runs the
// ledger's check (entitlement.CheckConservation) and then, in one consistent read of every
// partner's books (entitlement.Ledger.Inspect), the units':
//   - for every shipment: Shipped = Available + Pending + Consumed + ReshippedOut + Expired, all
//     non-negative;
//   - Pending equals what the pending assignments drew from it, Consumed what the assignments
//     and renewals in force drew, ReshippedOut what the reshipments made from it hold;
//   - the bin indexes list exactly the shipments with available units, the pending index exactly
//     the pending assignments, and a location's pending mark names its pending assignment;
//   - every assignment's units are the sum of its items' units and fees, and of its draws.
//
// It reads every record of the book: it is a test and audit tool, not an operation.
func CheckConservation(ctx context.Context, l *entitlement.Ledger) error {
	if err := entitlement.CheckConservation(ctx, l.Store()); err != nil {
		return err
	}
	var probs []string
	addf := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	err := l.Inspect(ctx, "swa.check", func(x *entitlement.Op) error {
		ships := map[uint64]Shipment{}
		if err := x.Scan(bShip, "", func(k string, decode func(any) error) (bool, error) {
			var s Shipment
			if err := decode(&s); err != nil {
				return false, err
			}
			if k != hexID(s.ID) {
				addf("shipment key %s holds shipment %d", k, s.ID)
			}
			ships[s.ID] = s
			return true, nil
		}); err != nil {
			return err
		}
		pending, consumed, resh := map[uint64]int64{}, map[uint64]int64{}, map[uint64]int64{}
		pendingIDs := map[uint64]Assignment{}
		if err := x.Scan(bAsg, "", func(k string, decode func(any) error) (bool, error) {
			var a Assignment
			if err := decode(&a); err != nil {
				return false, err
			}
			var items, draws int64
			for _, it := range a.Items {
				items += it.Units + it.Reinstatement
			}
			for _, d := range a.Draws {
				draws += d.Qty
				if d.Qty <= 0 {
					addf("assignment %d draws %d from shipment %d", a.ID, d.Qty, d.Shipment)
				}
				s, ok := ships[d.Shipment]
				switch {
				case !ok:
					addf("assignment %d draws from missing shipment %d", a.ID, d.Shipment)
				case s.Partner != a.Partner:
					addf("assignment %d of %s draws from shipment %d of %s", a.ID, a.Partner, d.Shipment, s.Partner)
				}
				switch a.State {
				case AssignmentPending:
					pending[d.Shipment] += d.Qty
				case AssignmentActive:
					consumed[d.Shipment] += d.Qty
				}
			}
			if items != a.Units || draws != a.Units {
				addf("assignment %d: units %d, items %d, draws %d", a.ID, a.Units, items, draws)
			}
			if a.State == AssignmentPending {
				pendingIDs[a.ID] = a
			}
			return true, nil
		}); err != nil {
			return err
		}
		binIdx, expIdx := map[uint64]bool{}, map[uint64]bool{}
		if err := scanIDs(x, bBin, binIdx); err != nil {
			return err
		}
		if err := scanIDs(x, bBinExp, expIdx); err != nil {
			return err
		}
		ids := make([]uint64, 0, len(ships))
		for id, s := range ships {
			ids = append(ids, id)
			if s.Parent != 0 {
				resh[s.Parent] += s.Shipped
				if p, ok := ships[s.Parent]; !ok {
					addf("shipment %d reshipped from missing shipment %d", id, s.Parent)
				} else if !p.Expires.Equal(s.Expires) {
					addf("shipment %d expires %v, the shipment it came from %v", id, s.Expires, p.Expires)
				}
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			s := ships[id]
			if s.Shipped <= 0 || s.Available < 0 || s.Pending < 0 || s.Consumed < 0 || s.ReshippedOut < 0 || s.Expired < 0 {
				addf("shipment %d has a negative quantity: %+v", id, s)
			}
			if s.Shipped != s.Available+s.Pending+s.Consumed+s.ReshippedOut+s.Expired {
				addf("shipment %d: shipped %d ≠ available %d + pending %d + consumed %d + reshipped %d + expired %d",
					id, s.Shipped, s.Available, s.Pending, s.Consumed, s.ReshippedOut, s.Expired)
			}
			if s.Pending != pending[id] {
				addf("shipment %d: pending %d but pending assignments drew %d", id, s.Pending, pending[id])
			}
			if s.Consumed != consumed[id] {
				addf("shipment %d: consumed %d but assignments in force drew %d", id, s.Consumed, consumed[id])
			}
			if s.ReshippedOut != resh[id] {
				addf("shipment %d: reshipped out %d but its reshipments hold %d", id, s.ReshippedOut, resh[id])
			}
			if (s.Available > 0) != binIdx[id] || (s.Available > 0) != expIdx[id] {
				addf("shipment %d: available %d but bin indexes say %v, %v", id, s.Available, binIdx[id], expIdx[id])
			}
			delete(binIdx, id)
			delete(expIdx, id)
		}
		for id := range binIdx {
			addf("bin index names missing shipment %d", id)
		}
		for id := range expIdx {
			addf("expiry bin index names missing shipment %d", id)
		}
		dueIdx := map[uint64]bool{}
		if err := scanIDs(x, bDue, dueIdx); err != nil {
			return err
		}
		for id := range pendingIDs {
			if !dueIdx[id] {
				addf("pending assignment %d is not in the pending index", id)
			}
			delete(dueIdx, id)
		}
		for id := range dueIdx {
			addf("pending index names assignment %d, which is not pending", id)
		}
		marked := map[uint64]string{}
		if err := x.Scan(bLoc, "", func(k string, decode func(any) error) (bool, error) {
			var lr locRec
			if err := decode(&lr); err != nil {
				return false, err
			}
			if lr.Pending != 0 {
				marked[lr.Pending] = k
				if a, ok := pendingIDs[lr.Pending]; !ok || a.Location != lr.Location {
					addf("location %s marks assignment %d pending, which is not its pending assignment", k, lr.Pending)
				}
			}
			return true, nil
		}); err != nil {
			return err
		}
		for id, a := range pendingIDs {
			if a.Kind == KindAssign && marked[id] != a.Location {
				addf("pending assignment %d is not marked on its location %s", id, a.Location)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(probs) > 0 {
		return &ConservationError{Problems: probs}
	}
	return nil
}

// scanIDs collects the ids at the end of an index's keys.
func scanIDs(x *entitlement.Op, bucket string, into map[uint64]bool) error {
	return x.Scan(bucket, "", func(k string, _ func(any) error) (bool, error) {
		var id uint64
		if len(k) < 16 {
			return false, fmt.Errorf("%w: %s index key %q", entitlement.ErrCorrupt, bucket, k)
		}
		if _, err := fmt.Sscanf(k[len(k)-16:], "%016x", &id); err != nil {
			return false, fmt.Errorf("%w: %s index key %q", entitlement.ErrCorrupt, bucket, k)
		}
		into[id] = true
		return true, nil
	})
}
