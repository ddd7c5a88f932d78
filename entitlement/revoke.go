package entitlement

import (
	"strconv"
	"time"
)

// This file holds the general capabilities that end an entitlement before its term: revocation of
// activated lines and cancellation of what was shipped but not activated. The delivery statuses and
// their roles are the business of package entitlement/lifecycle, which composes them; here they
// only move quantities, keeping conservation:
//
//	Shipped = InBin + Attached + Activated + ReshippedOut + Returned + Revoked + Cancelled

// Detach returns attached lines to the bin exactly as [Ledger.Detach] does (same checks and
// audit), inside the operation.
func (x *Op) Detach(location string, skcs []string) error { return x.o.detach(location, skcs) }

// RevokeLines revokes activated lines of a visible location (the delivery status Inactive, revoked
// or returned): each line's quantity moves from activated to revoked on its shipped line, and the
// line stays on the location as history (StateRevoked, EndedAt). It checks no role and issues no
// file: the operation re-issues the location's files ([Op.Reissue]), which then supersede the
// files that held the lines, so a device that installs them stops granting them. skcs must name
// at least one line; a line that is not activated is refused with [ErrState].
func (x *Op) RevokeLines(location string, skcs []string) ([]Line, error) {
	return x.o.endLines(location, skcs, StateActivated, StateRevoked)
}

// CancelLines cancels attached lines of a visible location (the delivery status Order Cancelled:
// the order was cancelled before activation): each line's quantity moves from attached to
// cancelled on its shipped line, and the line stays on the location as history (StateCancelled,
// EndedAt). It checks no role. skcs must name at least one line; a line that is not attached is
// refused with [ErrState].
func (x *Op) CancelLines(location string, skcs []string) ([]Line, error) {
	return x.o.endLines(location, skcs, StateAttached, StateCancelled)
}

// endLines moves lines in state from to the end state to (revoked or cancelled).
func (o *op) endLines(location string, skcs []string, from, to LineState) ([]Line, error) {
	if len(skcs) == 0 {
		return nil, wrapf(ErrInvalid, "nothing selected to %s", verb(to))
	}
	loc, err := o.location(location)
	if err != nil {
		return nil, err
	}
	lines, err := o.linesOf(loc, skcs, from)
	if err != nil {
		return nil, err
	}
	o.ref("location", loc.ID)
	out := make([]Line, 0, len(lines))
	for _, ln := range lines {
		s, err := o.shipped(ln.Source)
		if err != nil {
			return nil, err
		}
		before := s
		list := recentAttached
		if from == StateActivated {
			s.Activated -= ln.Qty
			list = recentActivated
		} else {
			s.Attached -= ln.Qty
		}
		if to == StateRevoked {
			s.Revoked += ln.Qty
		} else {
			s.Cancelled += ln.Qty
		}
		if err := o.saveLine(&before, s); err != nil {
			return nil, err
		}
		if err := o.tx.Delete(bRecent, recentKey(ln.Partner, list, ln.Recent)); err != nil {
			return nil, err
		}
		if err := o.unindexTerm(ln); err != nil {
			return nil, err
		}
		ln.State, ln.EndedAt = to, o.now
		if err := o.putLine(ln); err != nil {
			return nil, err
		}
		o.ref("skc", ln.SKC)
		out = append(out, ln)
	}
	return out, nil
}

func verb(s LineState) string {
	if s == StateRevoked {
		return "revoke"
	}
	return "cancel"
}

// CancelBin cancels qty of a shipped line's bin quantity (the delivery status Order Cancelled, for
// what had not reached a location): it moves from the bin to cancelled. The line must be the
// actor's partner's, or any partner's for an administrator (another's is [ErrNotFound]); qty must be
// 1 to the quantity in the bin ([ErrInvalid], [ErrQuantity]). It checks no role.
func (x *Op) CancelBin(line uint64, qty int64) (ShippedLine, error) {
	o := x.o
	s, err := x.Shipped(line)
	if err != nil {
		return ShippedLine{}, err
	}
	if qty <= 0 {
		return ShippedLine{}, wrapf(ErrInvalid, "cancel %d of shipped line %d", qty, line)
	}
	if qty > s.InBin {
		return ShippedLine{}, wrapf(ErrQuantity, "shipped line %d (%s, PO %s): %d to cancel, %d in the bin", s.ID, s.Part, s.PO, qty, s.InBin)
	}
	before := s
	s.InBin -= qty
	s.Cancelled += qty
	if err := o.saveLine(&before, s); err != nil {
		return ShippedLine{}, err
	}
	o.ref("line", strconv.FormatUint(s.ID, 10))
	return s, nil
}

// FixedTermLines calls fn for every activated fixed-term line the actor may see (its partner's, or
// every partner's for an administrator) whose end (NotAfter) is at or after from and before to, in
// end order, until fn returns false or an error: what a scheduler's sweep for renewal and expiry
// notices reads. The cost is proportional to the lines of every partner ending in the window.
func (x *Op) FixedTermLines(from, to time.Time, fn func(Line) (bool, error)) error {
	o := x.o
	stop := unixKey(to)
	return o.tx.ScanFrom(bTermEnd, "", unixKey(from), func(kk string, v []byte) (bool, error) {
		if kk[:8] >= stop {
			return false, nil
		}
		ln, ok, err := o.indexedLine(string(v), kk[9:])
		if err != nil {
			return false, err
		}
		if !ok {
			return false, wrapf(ErrCorrupt, "fixed-term index names missing line %s", kk[9:])
		}
		if !o.visible(ln.Partner) {
			return true, nil
		}
		return fn(ln)
	})
}

// SourceLines returns the location lines taken from a shipped line the actor may see (another
// partner's is [ErrNotFound]): attached, activated, migrated history, revoked and cancelled, in
// software key code order. The cost is proportional to those lines.
func (x *Op) SourceLines(line uint64) ([]Line, error) {
	o := x.o
	if _, err := x.Shipped(line); err != nil {
		return nil, err
	}
	prefix := n16(line) + sep
	var out []Line
	err := o.tx.Scan(bSource, prefix, func(kk string, v []byte) (bool, error) {
		ln, ok, err := o.indexedLine(string(v), kk[len(prefix):])
		if err != nil {
			return false, err
		}
		if !ok {
			return false, wrapf(ErrCorrupt, "shipped line %d names missing line %s", line, kk[len(prefix):])
		}
		out = append(out, ln)
		return true, nil
	})
	return out, err
}
