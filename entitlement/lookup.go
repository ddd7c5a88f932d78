package entitlement

import (
	"context"
	"strings"
)

// LookupHWKC returns the location holding a hardware key code (primary or secondary), with its
// lines. The code is matched exactly after trimming. A code the location had before a hardware
// replacement, migration or new virtual code finds the location too (its FormerHWKC lists it).
func (l *Ledger) LookupHWKC(ctx context.Context, a Actor, code string) (LocationView, error) {
	var v LocationView
	code = strings.TrimSpace(code)
	err := l.view(ctx, a, "hardware key code lookup", func(o *op) error {
		if err := o.lmsUser("look up hardware key codes"); err != nil {
			return err
		}
		if err := CheckKey("b", code); err != nil {
			return wrapf(ErrInvalid, "hardware key code %q", code)
		}
		id, ok, err := o.tx.Get(bHWKC, code)
		if err != nil {
			return err
		}
		if !ok {
			if id, ok, err = o.tx.Get(bRetired, code); err != nil {
				return err
			}
		}
		var loc Location
		if ok {
			if ok, err = getRec(o.tx, bLocs, string(id), &loc); err != nil {
				return err
			}
		}
		if !ok || !o.visible(loc.Partner) {
			// Unknown, or another partner's: the same answer, with nothing of the other's.
			return wrapf(ErrNotFound, "hardware key code %s", code)
		}
		v, err = o.locationView(loc.ID)
		return err
	})
	return v, err
}

// LookupSKC returns the line with a software key code and its location.
func (l *Ledger) LookupSKC(ctx context.Context, a Actor, skc string) (Line, Location, error) {
	var ln Line
	var loc Location
	skc = strings.ToUpper(strings.TrimSpace(skc))
	err := l.view(ctx, a, "software key code lookup", func(o *op) error {
		ln, loc = Line{}, Location{}
		if err := o.lmsUser("look up software key codes"); err != nil {
			return err
		}
		if err := CheckKey("b", skc); err != nil {
			return wrapf(ErrInvalid, "software key code %q", skc)
		}
		var ok bool
		var err error
		ln, ok, err = o.line(skc)
		if err != nil {
			return err
		}
		if ok {
			if ok, err = getRec(o.tx, bLocs, ln.Location, &loc); err != nil {
				return err
			}
		}
		if !ok || !o.visible(loc.Partner) {
			// Unknown, or another partner's: the same answer, with nothing of the other's.
			return wrapf(ErrNotFound, "software key code %s", skc)
		}
		return nil
	})
	if err != nil {
		return Line{}, Location{}, err
	}
	return ln, loc, nil
}

// OrderDetails is what the purchase/sales order lookup shows: the partner's shipped lines of the
// order and every location line taken from them.
type OrderDetails struct {
	Shipped []ShippedLine
	Lines   []Line
}

// LookupOrder returns the actor's partner's lines shipped under a purchase order or sales order
// number (both are searched), with the location lines taken from them. An administrator sees every
// partner's.
func (l *Ledger) LookupOrder(ctx context.Context, a Actor, number string) (OrderDetails, error) {
	var d OrderDetails
	err := l.view(ctx, a, "order lookup", func(o *op) error {
		if err := o.lmsUser("look up orders"); err != nil {
			return err
		}
		if err := checkID("order number", number); err != nil {
			return err
		}
		seen := map[uint64]bool{}
		for _, b := range []string{bPO, bSO} {
			prefix := number + sep
			if !o.admin() {
				prefix += o.partner.ID + sep
			}
			err := o.tx.Scan(b, prefix, func(kk string, _ []byte) (bool, error) {
				id, ok := parseN16(kk[len(kk)-8:])
				if !ok || seen[id] {
					return ok, nil
				}
				seen[id] = true
				s, err := o.shipped(id)
				if err != nil {
					return false, err
				}
				d.Shipped = append(d.Shipped, s)
				return true, o.tx.Scan(bSource, n16(id)+sep, func(sk string, v []byte) (bool, error) {
					ln, _, err := o.indexedLine(string(v), sk[9:])
					if err != nil {
						return false, err
					}
					d.Lines = append(d.Lines, ln)
					return true, nil
				})
			})
			if err != nil {
				return err
			}
		}
		if len(d.Shipped) == 0 {
			return wrapf(ErrNotFound, "order %s", number)
		}
		return nil
	})
	return d, err
}

// RecentlyAttached returns the actor's partner's lines that are attached now, newest first, at
// most limit (0 means 20).
func (l *Ledger) RecentlyAttached(ctx context.Context, a Actor, limit int) ([]Line, error) {
	return l.recent(ctx, a, recentAttached, "", limitOr(limit, 20))
}

// RecentlyActivated returns the actor's partner's activated lines, newest first, at most limit (0
// means 20).
func (l *Ledger) RecentlyActivated(ctx context.Context, a Actor, limit int) ([]Line, error) {
	return l.recent(ctx, a, recentActivated, "", limitOr(limit, 20))
}
