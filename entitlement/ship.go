package entitlement

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/license"
)

const bPartnerLines = "plines"

func init() { allBuckets = append(allBuckets, bPartnerLines, bSource) }

// shipped loads a shipped line.
func (o *op) shipped(id uint64) (ShippedLine, error) {
	var s ShippedLine
	ok, err := getRec(o.tx, bLines, n16(id), &s)
	if err != nil {
		return s, err
	}
	if !ok {
		return s, wrapf(ErrNotFound, "shipped line %d", id)
	}
	return s, nil
}

func binKey(s ShippedLine) string { return k(s.Partner, s.PO, n16(s.ID)) }

// saveLine writes a shipped line, keeps its indexes and records the change in the audit record.
// before is nil for a new line.
func (o *op) saveLine(before *ShippedLine, after ShippedLine) error {
	q := qtyOf(after)
	if !q.conserved() {
		return wrapf(ErrCorrupt, "shipped line %d would break conservation: %+v", after.ID, q)
	}
	ch := QtyChange{Line: after.ID, Part: after.Part, After: q}
	if before != nil {
		ch.Before = qtyOf(*before)
		if before.InBin > 0 && after.InBin == 0 {
			if err := o.tx.Delete(bBin, binKey(after)); err != nil {
				return err
			}
		}
	} else {
		if err := o.tx.Put(bPartnerLines, k(after.Partner, n16(after.ID)), nil); err != nil {
			return err
		}
		if err := o.tx.Put(bPO, k(after.PO, after.Partner, n16(after.ID)), nil); err != nil {
			return err
		}
		if err := o.tx.Put(bSO, k(after.SO, after.Partner, n16(after.ID)), nil); err != nil {
			return err
		}
	}
	if after.InBin > 0 && (before == nil || before.InBin == 0) {
		if err := o.tx.Put(bBin, binKey(after), nil); err != nil {
			return err
		}
	}
	// Merge with an earlier change of the same line in this operation.
	for i := range o.rec.Changes {
		if o.rec.Changes[i].Line == after.ID {
			o.rec.Changes[i].After = q
			return o.putRec(bLines, n16(after.ID), after)
		}
	}
	o.rec.Changes = append(o.rec.Changes, ch)
	return o.putRec(bLines, n16(after.ID), after)
}

// checkOrderLines checks an order's lines and returns them with their entitlement types in
// stored form (T as "", the end to the second in UTC). A fixed-term type needs an end after now;
// T has none.
func (l *Ledger) checkOrderLines(lines []OrderLine, now time.Time) ([]OrderLine, error) {
	if len(lines) == 0 {
		return nil, wrapf(ErrInvalid, "order has no lines")
	}
	if len(lines) > 10000 {
		return nil, wrapf(ErrInvalid, "order has more than 10000 lines")
	}
	out := make([]OrderLine, len(lines))
	for i, ln := range lines {
		if _, ok := l.cat.Part(ln.Part); !ok {
			return nil, wrapf(ErrInvalid, "order line %d: unknown part number %q", i+1, ln.Part)
		}
		if ln.Qty <= 0 || ln.Qty > 1e9 {
			return nil, wrapf(ErrInvalid, "order line %d (%s): quantity %d, want 1 to 1e9", i+1, ln.Part, ln.Qty)
		}
		t := typeOrT(ln.Type)
		if !t.IsValid() {
			return nil, wrapf(ErrInvalid, "order line %d (%s): entitlement type %q is none of T B D L M N P S X Y A C F V", i+1, ln.Part, ln.Type)
		}
		end := ln.NotAfter.UTC().Truncate(time.Second)
		switch {
		case t.FixedTerm() && ln.NotAfter.IsZero():
			return nil, wrapf(ErrInvalid, "order line %d (%s): type %s (%s) is fixed-term: it needs its end (NotAfter)", i+1, ln.Part, t, t.Name())
		case !t.FixedTerm() && !ln.NotAfter.IsZero():
			return nil, wrapf(ErrInvalid, "order line %d (%s): type %s (%s) is permanent: it has no end", i+1, ln.Part, t, t.Name())
		case t.FixedTerm() && !end.After(now):
			return nil, wrapf(ErrInvalid, "order line %d (%s): type %s ends %s, not after the shipment", i+1, ln.Part, t, end.Format(time.RFC3339))
		case end.Unix() > maxFileTime:
			return nil, wrapf(ErrInvalid, "order line %d (%s): end %s is after the year 9999", i+1, ln.Part, end.Format(time.RFC3339))
		}
		ln.NotAfter = end
		if t == license.TypeCommerce {
			ln.Type = ""
		}
		out[i] = ln
	}
	return out, nil
}

// maxFileTime is the last second a license file can hold (the end of the year 9999).
const maxFileTime = 253402300799

// Ship ships an order into a partner's bins (administrator only: the vendor's order processing).
// Each license line becomes a [ShippedLine] in the license bin. Lines whose part is SWA units go,
// in the same transaction, to the handler installed with [Ledger.HandleUnits] (the Software
// Assurance units bin, with the order's Expires date); without one such an order is refused. An
// order may carry both kinds; the result lists the license lines. An order (partner, PO, SO)
// ships once: a repeat is refused with ErrExists, so a retried shipment cannot double the stock.
func (l *Ledger) Ship(ctx context.Context, a Actor, ord Order) ([]ShippedLine, error) {
	var out []ShippedLine
	err := l.update(ctx, a, "ship", func(o *op) error {
		out = nil
		if err := o.need(RoleAdmin, "ship orders"); err != nil {
			return err
		}
		var p Partner
		if ok, err := getRec(o.tx, bPartners, ord.Partner, &p); err != nil {
			return err
		} else if !ok || p.Kind == KindVendor {
			return wrapf(ErrInvalid, "ship to %q: not a distributor or dealer", ord.Partner)
		}
		if _, err := l.checkOrderLines(ord.Lines, o.now); err != nil {
			return err
		}
		lic, units := ord, []OrderLine(nil)
		lic.Lines = nil
		for i, ln := range ord.Lines {
			part, _ := l.cat.Part(ln.Part)
			if part.FreeOfCharge {
				return wrapf(ErrInvalid, "order line %d: %s (%s) is a free-of-charge upgrade that only Software Assurance hands out, never sold on an order", i+1, ln.Part, part.Name)
			}
			if part.SWAUnits {
				units = append(units, ln)
			} else {
				lic.Lines = append(lic.Lines, ln)
			}
		}
		if len(units) > 0 {
			h := l.unitsHandler()
			if h == nil {
				return wrapf(ErrInvalid, "order line %s is SWA units: this ledger has no Software Assurance book to keep them (swa.New)", units[0].Part)
			}
			if len(lic.Lines) == 0 {
				// Claim the order number here too, so a units-only order also ships once.
				if err := o.claimOrder(ord); err != nil {
					return err
				}
			}
			if err := h(&Op{o}, ord, units); err != nil {
				return err
			}
		}
		if len(lic.Lines) == 0 {
			return nil
		}
		var err error
		out, err = o.ship(lic, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ship creates the lines of an order; parents (same length as ord.Lines) marks a reshipment.
func (o *op) ship(ord Order, parents []uint64) ([]ShippedLine, error) {
	lines, err := o.l.checkOrderLines(ord.Lines, o.now)
	if err != nil {
		return nil, err
	}
	ord.Lines = lines
	if err := o.claimOrder(ord); err != nil {
		return nil, err
	}
	out := make([]ShippedLine, 0, len(ord.Lines))
	for i, ln := range ord.Lines {
		id, err := o.next("line")
		if err != nil {
			return nil, err
		}
		s := ShippedLine{ID: id, Partner: ord.Partner, PO: ord.PO, SO: ord.SO, Part: ln.Part, Shipped: ln.Qty,
			InBin: ln.Qty, ShippedAt: o.now, Type: ln.Type, NotAfter: ln.NotAfter}
		if parents != nil {
			s.Parent = parents[i]
		}
		if err := o.saveLine(nil, s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	e := Event{Kind: EventLicensesShipped, Partner: ord.Partner, PO: ord.PO, SO: ord.SO,
		Lines: append([]OrderLine(nil), ord.Lines...), Detail: "licenses shipped"}
	if parents != nil {
		e.Detail = "licenses reshipped"
	}
	o.emit(e)
	return out, nil
}

// claimOrder records that the order (partner, PO, SO) shipped, refusing a repeat with ErrExists.
func (o *op) claimOrder(ord Order) error {
	if err := checkID("purchase order", ord.PO); err != nil {
		return err
	}
	if err := checkID("sales order", ord.SO); err != nil {
		return err
	}
	okey := k(ord.Partner, ord.PO, ord.SO)
	if _, ok, err := o.tx.Get(bOrders, okey); err != nil {
		return err
	} else if ok {
		return wrapf(ErrExists, "order PO %s / SO %s for %s", ord.PO, ord.SO, ord.Partner)
	}
	if err := o.tx.Put(bOrders, okey, nil); err != nil {
		return err
	}
	o.ref("po", ord.PO)
	o.ref("so", ord.SO)
	return nil
}

// Bin returns the actor's partner's available lines (quantity in the bin > 0), sorted by purchase
// order and then shipment. The cost is proportional to the lines in the bin.
func (l *Ledger) Bin(ctx context.Context, a Actor) ([]ShippedLine, error) {
	var out []ShippedLine
	err := l.view(ctx, a, "bin", func(o *op) error {
		if err := o.lmsUser("see the license bin"); err != nil {
			return err
		}
		var err error
		out, err = o.bin(o.partner.ID, o.partner.ID+sep, math.MaxInt)
		return err
	})
	return out, err
}

// bin lists a partner's bin lines from the index key start (its prefix for the first), at most
// limit.
func (o *op) bin(partner, start string, limit int) ([]ShippedLine, error) {
	var out []ShippedLine
	err := o.tx.ScanFrom(bBin, partner+sep, start, func(kk string, _ []byte) (bool, error) {
		id, ok := parseN16(kk[len(kk)-8:])
		if !ok {
			return false, wrapf(ErrCorrupt, "bin index key")
		}
		s, err := o.shipped(id)
		if err != nil {
			return false, err
		}
		out = append(out, s)
		return len(out) < limit, nil
	})
	return out, err
}

// PartStock is a partner's stock of one part number.
type PartStock struct {
	Part                          string
	Name                          string
	InBin, Attached, Activated    int64
	ReshippedOut, Returned, Total int64 // Total = shipped into the partner's bin
	Revoked, Cancelled            int64 // the delivery statuses Inactive and Order Cancelled
}

// Inventory returns the actor's partner's parts inventory, per part number, over every line ever
// shipped to it. The cost is proportional to the partner's shipped lines.
func (l *Ledger) Inventory(ctx context.Context, a Actor) ([]PartStock, error) {
	m := map[string]*PartStock{}
	err := l.view(ctx, a, "parts inventory", func(o *op) error {
		if err := o.lmsUser("see the parts inventory"); err != nil {
			return err
		}
		p := o.partner.ID
		return o.tx.Scan(bPartnerLines, p+sep, func(kk string, _ []byte) (bool, error) {
			id, _ := parseN16(kk[len(p)+1:])
			s, err := o.shipped(id)
			if err != nil {
				return false, err
			}
			ps := m[s.Part]
			if ps == nil {
				part, _ := l.cat.Part(s.Part)
				ps = &PartStock{Part: s.Part, Name: part.Name}
				m[s.Part] = ps
			}
			ps.InBin += s.InBin
			ps.Attached += s.Attached
			ps.Activated += s.Activated
			ps.ReshippedOut += s.ReshippedOut
			ps.Returned += s.Returned
			ps.Revoked += s.Revoked
			ps.Cancelled += s.Cancelled
			ps.Total += s.Shipped
			return true, nil
		})
	})
	out := make([]PartStock, 0, len(m))
	for _, ps := range m {
		out = append(out, *ps)
	}
	slices.SortFunc(out, func(x, y PartStock) int { return strings.Compare(x.Part, y.Part) })
	return out, err
}

// takePicks validates picks against the actor's bin and takes their quantities out of the bin
// (the caller puts them somewhere, keeping conservation). It returns the changed lines in pick
// order; picks with Qty 0 are skipped. Sum over picks of one line may not exceed its bin quantity.
func (o *op) takePicks(picks []Pick, what string) (lines []ShippedLine, qty []int64, err error) {
	if len(picks) > 10000 {
		return nil, nil, wrapf(ErrInvalid, "more than 10000 lines selected")
	}
	idx := map[uint64]int{}
	for i, p := range picks {
		if p.Qty < 0 {
			return nil, nil, wrapf(ErrInvalid, "selection %d (line %d): negative quantity %d", i+1, p.Line, p.Qty)
		}
		if p.Qty == 0 {
			continue
		}
		j, seen := idx[p.Line]
		if !seen {
			s, err := o.shipped(p.Line)
			if err != nil {
				return nil, nil, err
			}
			if s.Partner != o.partner.ID {
				// Another partner's line looks exactly like an unknown one (o.shipped's error).
				return nil, nil, wrapf(ErrNotFound, "shipped line %d", p.Line)
			}
			j = len(lines)
			idx[p.Line] = j
			lines = append(lines, s)
			qty = append(qty, 0)
		}
		if p.Qty > lines[j].InBin-qty[j] {
			return nil, nil, wrapf(ErrQuantity, "line %d (%s, PO %s): %d selected, %d in the bin", p.Line, lines[j].Part, lines[j].PO, p.Qty, lines[j].InBin-qty[j])
		}
		qty[j] += p.Qty
	}
	if len(lines) == 0 {
		return nil, nil, wrapf(ErrInvalid, "nothing selected to %s", what)
	}
	return lines, qty, nil
}

// ReshipRequest is a distributor's reshipment into a dealer's bin.
type ReshipRequest struct {
	DealerUser string // login (e-mail) of an LMS user at the dealer
	PO, SO     string // the new order numbers in the dealer's bin
	Picks      []Pick // lines of the distributor's bin and quantities
}

// Reship moves bin quantities from a distributor's bin to a dealer's bin under a new PO/SO.
// Allowed only to a distributor's LMS user (not while impersonating) where the shipping allowance
// distributor→dealer exists. The dealer's new lines remember the lines they came from.
func (l *Ledger) Reship(ctx context.Context, a Actor, req ReshipRequest) (Reshipment, error) {
	var rs Reshipment
	err := l.update(ctx, a, "reship", func(o *op) error {
		if err := o.need(RoleLMSUser, "reship"); err != nil {
			return err
		}
		if o.partner.Kind != KindDistributor {
			return notAllowed("%s may not reship: only distributors reship", o.actor)
		}
		var du User
		if ok, err := getRec(o.tx, bUsers, req.DealerUser, &du); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrNotFound, "dealer user %q", req.DealerUser)
		}
		var dp Partner
		if _, err := getRec(o.tx, bPartners, du.Partner, &dp); err != nil {
			return err
		}
		if dp.Kind != KindDealer {
			return wrapf(ErrInvalid, "reship to %q: not a dealer/reseller user", du.ID)
		}
		if _, ok, err := o.tx.Get(bAllow, k(o.partner.ID, dp.ID)); err != nil {
			return err
		} else if !ok {
			return notAllowed("%s may not reship to %s: no shipping allowance", o.actor, dp.ID)
		}
		lines, qty, err := o.takePicks(req.Picks, "reship")
		if err != nil {
			return err
		}
		ord := Order{Partner: dp.ID, PO: req.PO, SO: req.SO}
		parents := make([]uint64, len(lines))
		for i, s := range lines {
			before := s
			s.InBin -= qty[i]
			s.ReshippedOut += qty[i]
			if err := o.saveLine(&before, s); err != nil {
				return err
			}
			ord.Lines = append(ord.Lines, OrderLine{Part: s.Part, Qty: qty[i], Type: s.Type, NotAfter: s.NotAfter})
			parents[i] = s.ID
		}
		created, err := o.ship(ord, parents)
		if err != nil {
			return err
		}
		o.events[len(o.events)-1].User = du.ID
		id, err := o.next("reship")
		if err != nil {
			return err
		}
		rs = Reshipment{ID: id, From: o.partner.ID, To: dp.ID, ToUser: du.ID, PO: req.PO, SO: req.SO, Time: o.now, By: o.actor.String()}
		for i, c := range created {
			rs.Lines = append(rs.Lines, ReshippedPart{From: parents[i], To: c.ID, Part: c.Part, Qty: c.Shipped})
		}
		o.ref("reship", fmt.Sprint(id))
		o.ref("partner", dp.ID)
		if err := o.putRec(bReship, n16(id), rs); err != nil {
			return err
		}
		if err := o.tx.Put(bReshipF, k(rs.From, newestFirst(id)), []byte(n16(id))); err != nil {
			return err
		}
		return o.tx.Put(bReshipT, k(rs.To, newestFirst(id)), []byte(n16(id)))
	})
	if err != nil {
		return Reshipment{}, err
	}
	return rs, nil
}

// Resold returns the reshipments the actor's distributor made (the resold/reshipped order lookup),
// newest first, at most limit (0 means 100).
func (l *Ledger) Resold(ctx context.Context, a Actor, limit int) ([]Reshipment, error) {
	return newestOf[Reshipment](ctx, l, a, resoldList, "", limitOr(limit, 100))
}

// newestFirst is an index key suffix that sorts the newest record first.
func newestFirst(id uint64) string { return n16(math.MaxUint64 - id) }

// ReturnLines returns bin quantities to whoever shipped them: lines a dealer received by
// reshipment go back into the distributor's line they came from; lines the vendor shipped go
// back to the vendor. All picks of one return must go to the same place.
func (l *Ledger) ReturnLines(ctx context.Context, a Actor, picks []Pick, reason string) (Return, error) {
	var rt Return
	err := l.update(ctx, a, "return", func(o *op) error {
		if err := o.need(RoleLMSUser, "return licenses"); err != nil {
			return err
		}
		if err := checkText("return reason", reason, false); err != nil {
			return err
		}
		lines, qty, err := o.takePicks(picks, "return")
		if err != nil {
			return err
		}
		rt = Return{From: o.partner.ID, Reason: reason, Time: o.now, By: o.actor.String()}
		for i, s := range lines {
			var to string
			var parent ShippedLine
			if s.Parent != 0 {
				if parent, err = o.shipped(s.Parent); err != nil {
					return err
				}
				to = parent.Partner
			}
			if i == 0 {
				rt.To = to
			} else if to != rt.To {
				return wrapf(ErrInvalid, "return: line %d goes back to %q, line %d to %q; return them separately", lines[0].ID, rt.To, s.ID, to)
			}
			before := s
			s.InBin -= qty[i]
			s.Returned += qty[i]
			if err := o.saveLine(&before, s); err != nil {
				return err
			}
			if s.Parent != 0 {
				pb := parent
				parent.ReshippedOut -= qty[i]
				parent.InBin += qty[i]
				if err := o.saveLine(&pb, parent); err != nil {
					return err
				}
			}
			rt.Lines = append(rt.Lines, ReshippedPart{From: s.ID, To: s.Parent, Part: s.Part, Qty: qty[i]})
		}
		id, err := o.next("return")
		if err != nil {
			return err
		}
		rt.ID = id
		o.ref("return", fmt.Sprint(id))
		if err := o.putRec(bReturn, n16(id), rt); err != nil {
			return err
		}
		if err := o.tx.Put(bReturnF, k(rt.From, newestFirst(id)), []byte(n16(id))); err != nil {
			return err
		}
		to := rt.To
		if to == "" {
			to = "\x01vendor"
		}
		return o.tx.Put(bReturnT, k(to, newestFirst(id)), []byte(n16(id)))
	})
	if err != nil {
		return Return{}, err
	}
	return rt, nil
}

// ReturnsReceived returns the returns made to the actor's partner by its dealers ("Parts returned
// by reseller"), newest first, at most limit (0 means 100). An administrator sees the returns to
// the vendor.
func (l *Ledger) ReturnsReceived(ctx context.Context, a Actor, limit int) ([]Return, error) {
	return newestOf[Return](ctx, l, a, returnsReceivedList, "", limitOr(limit, 100))
}

// ReturnsSent returns the actor's partner's own returns ("License returns"), newest first, at most
// limit (0 means 100).
func (l *Ledger) ReturnsSent(ctx context.Context, a Actor, limit int) ([]Return, error) {
	return newestOf[Return](ctx, l, a, returnsSentList, "", limitOr(limit, 100))
}
