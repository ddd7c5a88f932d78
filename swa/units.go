package swa

import (
	"context"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/lmskit/lmskit/entitlement"
)

// shipUnits is the ledger's units handler (entitlement.Ledger.HandleUnits): inside the shipping
// transaction it puts each SWA units line of the order into the partner's units bin as a shipment
// with the order's expiry date. An order without an expiry date, or one already expired, is refused
// (and with it the whole order).
func (b *Book) shipUnits(x *entitlement.Op, ord entitlement.Order, units []entitlement.OrderLine) error {
	r := b.newRun(x, true)
	if ord.Expires.IsZero() {
		return wrapf(entitlement.ErrInvalid, "order PO %s / SO %s has SWA units but no expiry date (Order.Expires)", ord.PO, ord.SO)
	}
	if r.expired(Shipment{Expires: ord.Expires}) {
		return wrapf(entitlement.ErrInvalid, "order PO %s / SO %s: its SWA units expired on %s", ord.PO, ord.SO, ord.Expires.UTC().Format(time.RFC3339))
	}
	if err := r.claimOrder(ord.Partner, ord.PO, ord.SO); err != nil {
		return err
	}
	e := entitlement.Event{Kind: EventUnitsShipped, Partner: ord.Partner, PO: ord.PO, SO: ord.SO, Due: ord.Expires.UTC(),
		Detail: "SWA units shipped"}
	for _, ln := range units {
		s, err := r.newShipment(ord.Partner, ord.SO, ord.PO, ln.Part, ln.Qty, ord.Expires.UTC(), 0)
		if err != nil {
			return err
		}
		r.x.Note("SWA units shipment %d: %d × %s into the units bin of %s, expires %s", s.ID, s.Shipped, s.Part, s.Partner, s.Expires.Format(time.RFC3339))
		e.Lines = append(e.Lines, ln)
	}
	r.x.Emit(e)
	return nil
}

// claimOrder records a unit order (partner, PO, SO), refusing a repeat with ErrExists.
func (r *run) claimOrder(partner, po, so string) error {
	k := key(partner, po, so)
	var e empty
	if ok, err := r.x.Get(bOrder, k, &e); err != nil {
		return err
	} else if ok {
		return wrapf(entitlement.ErrExists, "SWA units order PO %s / SO %s for %s", po, so, partner)
	}
	return r.x.Put(bOrder, k, empty{})
}

func (r *run) newShipment(partner, so, po, part string, qty int64, expires time.Time, parent uint64) (Shipment, error) {
	id, err := r.x.Next("swa.shipment")
	if err != nil {
		return Shipment{}, err
	}
	s := Shipment{ID: id, Partner: partner, SO: so, PO: po, Part: part, Shipped: qty, Available: qty, Expires: expires,
		ShippedAt: r.now, Parent: parent}
	r.x.Ref("swa-shipment", fmt.Sprint(id))
	for _, num := range []string{po, so} {
		if err := r.x.Put(bOrdNum, key(partner, num, hexID(id)), empty{}); err != nil {
			return Shipment{}, err
		}
	}
	return s, r.putShipment(s)
}

// LookupOrder returns the actor's partner's SWA unit shipments whose purchase order or sales order
// is number, expired and used-up ones included, in shipment order (the purchase/sales order lookup
// for SWA units). An SWA role is needed. The cost is proportional to the shipments found.
func (b *Book) LookupOrder(ctx context.Context, a entitlement.Actor, number string) ([]Shipment, error) {
	var out []Shipment
	err := b.read(ctx, a, "swa.lookup-order", func(r *run) error {
		out = nil
		if err := r.needSWA("look up SWA unit orders"); err != nil {
			return err
		}
		if err := checkOrderNumber("order number", number); err != nil {
			return err
		}
		var ids []uint64
		err := r.x.Scan(bOrdNum, key(r.x.Partner().ID, number, ""), func(k string, _ func(any) error) (bool, error) {
			var id uint64
			if _, err := fmt.Sscanf(k[len(k)-16:], "%016x", &id); err != nil {
				return false, wrapf(entitlement.ErrCorrupt, "SWA order index key")
			}
			if len(ids) == 0 || ids[len(ids)-1] != id { // a PO equal to its SO is indexed once
				ids = append(ids, id)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			s, err := r.shipment(id)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// Bin is a partner's SWA units bin as the Software Assurance page shows it: "SWA Unit Orders: All
// Available SWA Unit Orders/Shipments that are not expired" and the totals above them.
type Bin struct {
	// Shipments are those not expired with available units, the ones that expire first first
	// (units are drawn in this order).
	Shipments []Shipment
	// UnAllocated is the units of the listed shipments that no assignment holds; Allocated the
	// units held by the partner's assignments in their cooling-off period (returned if
	// cancelled); Available what a quote may draw now, which is UnAllocated.
	UnAllocated, Allocated, Available int64
}

// Bin returns the actor's partner's SWA units bin (an SWA role is needed). Assignments whose
// cooling-off ended are settled first. The cost is proportional to the shipments in the bin and the
// partner's pending assignments.
func (b *Book) Bin(ctx context.Context, a entitlement.Actor) (Bin, error) {
	var out Bin
	err := b.read(ctx, a, "swa.bin", func(r *run) error {
		out = Bin{}
		if err := r.needSWA("see the SWA units bin"); err != nil {
			return err
		}
		p := r.x.Partner().ID
		if _, err := r.settleDue(p); err != nil {
			return err
		}
		var err error
		if out.Shipments, out.UnAllocated, err = r.binShipments(p, -1); err != nil {
			return err
		}
		pend, err := r.pendingOf(p, false)
		if err != nil {
			return err
		}
		for _, x := range pend {
			out.Allocated += x.Units
		}
		out.Available = out.UnAllocated
		return nil
	})
	return out, err
}

// UnitPick selects units of one shipment of the bin.
type UnitPick struct {
	Shipment uint64 // the shipment's ID in the distributor's bin
	Qty      int64  // 0 skips the pick; at most 1e9
}

// ReshipRequest is a distributor's reshipment of SWA units to a dealer ("New Shipment Order").
type ReshipRequest struct {
	DealerUser string     // login (e-mail) of a user at the dealer
	PO, SO     string     // the new order numbers in the dealer's units bin
	Picks      []UnitPick // shipments of the distributor's bin and quantities
}

// Reship moves units from the actor's distributor's units bin to a dealer's units bin under a new
// PO/SO: one dealer shipment per picked shipment, with that shipment's expiry. It needs the SWA
// Distributor Admin role, a distributor (so not while impersonating a dealer) and the shipping
// allowance distributor→dealer; otherwise entitlement.ErrNotAllowed. The reshipment is listed with
// the distributor's resold orders ([Book.Resold]) and raises [EventUnitsShipped] for the dealer
// user.
func (b *Book) Reship(ctx context.Context, a entitlement.Actor, req ReshipRequest) (Reshipment, error) {
	var out Reshipment
	err := b.update(ctx, a, "swa.reship", func(r *run) error {
		out = Reshipment{}
		x := r.x
		if err := x.Need(entitlement.RoleSWADistributor, "reship SWA units"); err != nil {
			return err
		}
		if x.Partner().Kind != entitlement.KindDistributor {
			return wrapf(entitlement.ErrNotAllowed, "%s may not reship SWA units: only distributors reship", x.Actor())
		}
		du, ok, err := x.UserOf(req.DealerUser)
		if err != nil {
			return err
		}
		if !ok {
			return wrapf(entitlement.ErrNotFound, "dealer user %q", req.DealerUser)
		}
		dp, _, err := x.PartnerOf(du.Partner)
		if err != nil {
			return err
		}
		if dp.Kind != entitlement.KindDealer {
			return wrapf(entitlement.ErrInvalid, "reship to %q: not a dealer/reseller user", du.ID)
		}
		if allowed, err := x.Allowance(x.Partner().ID, dp.ID); err != nil {
			return err
		} else if !allowed {
			return wrapf(entitlement.ErrNotAllowed, "%s may not reship SWA units to %s: no shipping allowance", x.Actor(), dp.ID)
		}
		if err := checkOrderNumber("purchase order", req.PO); err != nil {
			return err
		}
		if err := checkOrderNumber("sales order", req.SO); err != nil {
			return err
		}
		if len(req.Picks) > 1000 {
			return wrapf(entitlement.ErrInvalid, "more than 1000 shipments selected")
		}
		// Merge picks of one shipment, keeping the order of first appearance.
		var order []uint64
		qty := map[uint64]int64{}
		for i, p := range req.Picks {
			if p.Qty < 0 || p.Qty > maxUnits { // no shipment holds more; 1000 picks of it add up without overflow
				return wrapf(entitlement.ErrInvalid, "selection %d (shipment %d): quantity %d, want 0 to %d", i+1, p.Shipment, p.Qty, int64(maxUnits))
			}
			if p.Qty == 0 {
				continue
			}
			if _, seen := qty[p.Shipment]; !seen {
				order = append(order, p.Shipment)
			}
			qty[p.Shipment] += p.Qty
		}
		if len(order) == 0 {
			return wrapf(entitlement.ErrInvalid, "nothing selected to reship")
		}
		if err := r.claimOrder(dp.ID, req.PO, req.SO); err != nil {
			return err
		}
		rid, err := x.Next("swa.reship")
		if err != nil {
			return err
		}
		out = Reshipment{ID: rid, From: x.Partner().ID, To: dp.ID, ToUser: du.ID, PO: req.PO, SO: req.SO, Time: r.now, By: x.Actor().String()}
		e := entitlement.Event{Kind: EventUnitsShipped, Partner: dp.ID, User: du.ID, PO: req.PO, SO: req.SO, Detail: "SWA units reshipped"}
		for _, id := range order {
			s, err := r.shipment(id)
			if err != nil {
				return err
			}
			if s.Partner != x.Partner().ID {
				return wrapf(entitlement.ErrNotFound, "SWA units shipment %d", id)
			}
			if r.expired(s) {
				return wrapf(entitlement.ErrState, "SWA units shipment %d (SO %s) expired on %s", id, s.SO, s.Expires.Format("2006-01-02"))
			}
			if qty[id] > s.Available {
				return wrapf(entitlement.ErrQuantity, "SWA units shipment %d (SO %s): %d selected, %d available", id, s.SO, qty[id], s.Available)
			}
			s.Available -= qty[id]
			s.ReshippedOut += qty[id]
			if err := r.putShipment(s); err != nil {
				return err
			}
			ns, err := r.newShipment(dp.ID, req.SO, req.PO, s.Part, qty[id], s.Expires, s.ID)
			if err != nil {
				return err
			}
			out.Lines = append(out.Lines, ReshippedUnit{From: s.ID, To: ns.ID, Qty: qty[id], Expires: s.Expires})
			e.Lines = append(e.Lines, entitlement.OrderLine{Part: s.Part, Qty: qty[id]})
			if e.Due.IsZero() || s.Expires.Before(e.Due) {
				e.Due = s.Expires
			}
			x.Note("reshipped %d units of shipment %d (SO %s) to %s as shipment %d", qty[id], s.ID, s.SO, dp.ID, ns.ID)
		}
		x.Ref("swa-reship", fmt.Sprint(rid))
		x.Ref("partner", dp.ID)
		x.Emit(e)
		return x.Put(bResold, key(out.From, hexID(math.MaxUint64-rid)), out)
	})
	if err != nil {
		return Reshipment{}, err
	}
	return out, nil
}

// Resold returns the SWA unit reshipments the actor's distributor made, newest first, at most limit
// (0 means 100): the resold orders of SWA units, with the quantity reshipped from each shipment
// (the guide's "Part details"). An SWA role is needed.
func (b *Book) Resold(ctx context.Context, a entitlement.Actor, limit int) ([]Reshipment, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Reshipment
	err := b.read(ctx, a, "swa.resold", func(r *run) error {
		out = nil
		if err := r.needSWA("see resold SWA units"); err != nil {
			return err
		}
		return r.x.Scan(bResold, r.x.Partner().ID+ksep, func(_ string, decode func(any) error) (bool, error) {
			var rs Reshipment
			if err := decode(&rs); err != nil {
				return false, err
			}
			out = append(out, rs)
			return len(out) < limit, nil
		})
	})
	return out, err
}

// checkOrderNumber checks a PO or SO number as the ledger checks its ids: 1 to 200 bytes of valid
// UTF-8, no control characters, no surrounding space. (A string of invalid UTF-8 would be stored,
// and then refused by every strict decode of the record: the receiving dealer's units bin.)
func checkOrderNumber(what, s string) error {
	if s == "" || len(s) > 200 {
		return wrapf(entitlement.ErrInvalid, "%s %q: want 1 to 200 bytes", what, s)
	}
	for i, c := range s {
		if c < 0x20 || c == 0x7f {
			return wrapf(entitlement.ErrInvalid, "%s has a control character at byte %d", what, i)
		}
		if c == utf8.RuneError {
			return wrapf(entitlement.ErrInvalid, "%s is not valid UTF-8 at byte %d", what, i)
		}
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return wrapf(entitlement.ErrInvalid, "%s %q has leading or trailing space", what, s)
	}
	return nil
}
