package entitlement

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// ConservationError lists every violation [CheckConservation] found.
type ConservationError struct{ Problems []string }

// Error lists the problems.
func (e *ConservationError) Error() string {
	return fmt.Sprintf("entitlement: ledger integrity: %d conservation problems: %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// Unwrap makes a ConservationError match ErrCorrupt.
func (e *ConservationError) Unwrap() error { return ErrCorrupt }

// CheckConservation checks, in one consistent read, that no seat was created or lost:
//   - for every shipped line: Shipped = InBin + Attached + Activated + ReshippedOut + Returned +
//     Revoked + Cancelled, all non-negative;
//   - Attached, Activated and Revoked equal the sums of the attached, activated and revoked
//     location lines taken from the line, and Cancelled is at least the sum of its cancelled
//     location lines (the rest was cancelled in the bin);
//   - an activated fixed-term line is in the index by end, and the index names no other line;
//   - ReshippedOut equals what the lines reshipped from it still hold (their Shipped − Returned);
//   - every line carried over by a migration names a migrated history line of the same part and
//     quantity, and every history line was carried over exactly once;
//   - the bin index lists exactly the lines with InBin > 0, every location line is under its
//     location's key and its code's entry names that location (each code once), and its
//     location exists.
//
// It reads the whole ledger: it is a test and audit tool, not an operation.
func CheckConservation(ctx context.Context, s Store) error {
	return s.View(ctx, checkConservation)
}

// checkConservation is CheckConservation inside a transaction.
func checkConservation(tx Tx) error {
	var probs []string
	addf := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	err := func() error {
		lines := map[uint64]ShippedLine{}
		if err := tx.Scan(bLines, "", func(kk string, v []byte) (bool, error) {
			var sl ShippedLine
			if err := dec(v, &sl); err != nil {
				return false, err
			}
			id, _ := parseN16(kk)
			if id != sl.ID {
				addf("line key %d holds line %d", id, sl.ID)
			}
			lines[sl.ID] = sl
			return true, nil
		}); err != nil {
			return err
		}
		att, act, resh := map[uint64]int64{}, map[uint64]int64{}, map[uint64]int64{}
		rev, canc := map[uint64]int64{}, map[uint64]int64{}
		termIdx := map[string]bool{}
		if err := tx.Scan(bTermEnd, "", func(kk string, _ []byte) (bool, error) {
			termIdx[kk] = true
			return true, nil
		}); err != nil {
			return err
		}
		type carried struct {
			to   []string
			qty  int64
			part string
		}
		migrated := map[string]*carried{} // history line → the lines carried over from it
		history := map[string]Line{}
		codes := 0
		if err := tx.Scan(bSKC, "", func(string, []byte) (bool, error) { codes++; return true, nil }); err != nil {
			return err
		}
		locLines := 0
		if err := tx.Scan(bLocLines, "", func(kk string, v []byte) (bool, error) {
			locLines++
			loc, code, _ := strings.Cut(kk, sep)
			var ln Line
			entry, ok, err := tx.Get(bSKC, code)
			if err != nil {
				return false, err
			}
			switch {
			case !ok:
				addf("line %s of location %s has no entry under its code", code, loc)
				return true, nil
			case len(v) == 0 && oldLineRecord(entry): // the earlier layout (lines.go)
				if err := dec(entry, &ln); err != nil {
					return false, err
				}
			case len(v) == 0:
				addf("line %s of location %s has no record", code, loc)
				return true, nil
			default:
				if err := dec(v, &ln); err != nil {
					return false, err
				}
				if string(entry) != ln.Location {
					addf("the entry of code %s names location %q, its line is on %s", code, entry, ln.Location)
				}
			}
			if kk != lineKey(ln.Location, ln.SKC) {
				addf("location line key %q holds line %s of location %s", kk, ln.SKC, ln.Location)
			}
			if ln.Qty <= 0 {
				addf("line %s has quantity %d", ln.SKC, ln.Qty)
			}
			switch ln.State {
			case StateAttached:
				att[ln.Source] += ln.Qty
			case StateActivated, StateMigrated: // a migrated line stays activated, as history
				act[ln.Source] += ln.Qty
				if ln.State == StateMigrated {
					history[ln.SKC] = ln
				}
			case StateRevoked:
				rev[ln.Source] += ln.Qty
			case StateCancelled:
				canc[ln.Source] += ln.Qty
			default:
				addf("line %s in state %d", ln.SKC, ln.State)
			}
			if ln.MigratedFrom != "" {
				c := migrated[ln.MigratedFrom]
				if c == nil {
					c = &carried{part: ln.Part}
					migrated[ln.MigratedFrom] = c
				}
				c.to, c.qty = append(c.to, ln.SKC), c.qty+ln.Qty
				if c.part != ln.Part {
					addf("line %s carried over from %s changed part", ln.SKC, ln.MigratedFrom)
				}
			}
			if _, ok := lines[ln.Source]; !ok {
				addf("line %s comes from missing shipped line %d", ln.SKC, ln.Source)
			}
			if ln.State == StateActivated && ln.FixedTerm() {
				key := k(unixKey(ln.NotAfter), ln.SKC)
				if !termIdx[key] {
					addf("fixed-term line %s missing from the index by end", ln.SKC)
				}
				delete(termIdx, key)
			}
			if _, ok, err := tx.Get(bLocs, ln.Location); err != nil {
				return false, err
			} else if !ok {
				addf("line %s is on missing location %s", ln.SKC, ln.Location)
			}
			return true, nil
		}); err != nil {
			return err
		}
		if codes != locLines {
			addf("%d software key codes for %d location lines", codes, locLines)
		}
		for from, c := range migrated {
			h, ok := history[from]
			switch {
			case !ok:
				addf("lines %v carried over from %s, which is not a migrated history line", c.to, from)
			case h.Qty != c.qty || h.Part != c.part:
				addf("history line %s (%s × %d) carried over as %s × %d", from, h.Part, h.Qty, c.part, c.qty)
			}
			delete(history, from)
		}
		for skc := range history {
			addf("migrated history line %s was carried over to no line", skc)
		}
		for kk := range termIdx {
			addf("the index by end names %q, no activated fixed-term line", kk[9:])
		}
		inBinIdx := map[uint64]bool{}
		if err := tx.Scan(bBin, "", func(kk string, _ []byte) (bool, error) {
			id, _ := parseN16(kk[len(kk)-8:])
			inBinIdx[id] = true
			return true, nil
		}); err != nil {
			return err
		}
		ids := make([]uint64, 0, len(lines))
		for id, sl := range lines {
			ids = append(ids, id)
			if sl.Parent != 0 {
				resh[sl.Parent] += sl.Shipped - sl.Returned
				if _, ok := lines[sl.Parent]; !ok {
					addf("line %d reshipped from missing line %d", id, sl.Parent)
				}
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			shippedProblems(lines[id], lineSums{att[id], act[id], rev[id], canc[id], resh[id]}, inBinIdx[id], addf)
			delete(inBinIdx, id)
		}
		for id := range inBinIdx {
			addf("bin index names missing line %d", id)
		}
		return nil
	}()
	if err != nil {
		return err
	}
	if len(probs) > 0 {
		return &ConservationError{Problems: probs}
	}
	return nil
}

// lineSums are what the records taken from a shipped line hold: its location lines attached,
// activated (migrated history included), revoked and cancelled, and the lines reshipped from it
// (their Shipped − Returned).
type lineSums struct{ attached, activated, revoked, cancelled, reshipped int64 }

// shippedProblems checks a shipped line against what was taken from it and against the bin index
// (inBin: the index lists it).
func shippedProblems(sl ShippedLine, sums lineSums, inBin bool, addf func(string, ...any)) {
	id, q := sl.ID, qtyOf(sl)
	if q.Shipped <= 0 || q.InBin < 0 || q.Attached < 0 || q.Activated < 0 || q.ReshippedOut < 0 || q.Returned < 0 ||
		q.Revoked < 0 || q.Cancelled < 0 {
		addf("line %d has a negative quantity: %+v", id, q)
	}
	if q.Shipped != q.InBin+q.Attached+q.Activated+q.ReshippedOut+q.Returned+q.Revoked+q.Cancelled {
		addf("line %d: shipped %d ≠ bin %d + attached %d + activated %d + reshipped %d + returned %d + revoked %d + cancelled %d",
			id, q.Shipped, q.InBin, q.Attached, q.Activated, q.ReshippedOut, q.Returned, q.Revoked, q.Cancelled)
	}
	if q.Revoked != sums.revoked {
		addf("line %d: revoked %d but its revoked location lines hold %d", id, q.Revoked, sums.revoked)
	}
	if q.Cancelled < sums.cancelled {
		addf("line %d: cancelled %d but its cancelled location lines hold %d", id, q.Cancelled, sums.cancelled)
	}
	if q.Attached != sums.attached {
		addf("line %d: attached %d but its attached location lines hold %d", id, q.Attached, sums.attached)
	}
	if q.Activated != sums.activated {
		addf("line %d: activated %d but its activated location lines hold %d", id, q.Activated, sums.activated)
	}
	if q.ReshippedOut != sums.reshipped {
		addf("line %d: reshipped out %d but the lines reshipped from it hold %d", id, q.ReshippedOut, sums.reshipped)
	}
	if (q.InBin > 0) != inBin {
		addf("line %d: bin %d but bin index says %v", id, q.InBin, inBin)
	}
}

// Snapshot is every key and value of the ledger's store, bucket by bucket, as raw stored bytes: a
// test tool for comparing states ("a refused operation changes nothing", "an import reproduces
// the ledger"). It is no backup and no export format: use [Ledger.Backup], [Export] and [Import].
type Snapshot map[string]map[string]string

// Snapshot reads the whole store in one transaction (a test tool: see [Snapshot]).
func (l *Ledger) Snapshot(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{}
	err := l.store.View(ctx, func(tx Tx) error {
		for _, b := range allBuckets {
			m := map[string]string{}
			if err := tx.Scan(b, "", func(kk string, v []byte) (bool, error) {
				m[kk] = string(v)
				return true, nil
			}); err != nil {
				return err
			}
			if len(m) > 0 {
				snap[b] = m
			}
		}
		return nil
	})
	return snap, err
}
