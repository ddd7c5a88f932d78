package entitlement

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Checkpoint is a point of a ledger's audit chain up to which the ledger was checked: the
// sequence number of an audit record and that record's hash. [VerifyAuditFrom] and
// [CheckConservationFrom] return one for the head they reached; given it back, they check only
// what came after, so that a large ledger is checked in time proportional to what changed since.
//
// A checkpoint verifies itself against the ledger: the record it names must still be in the chain
// with the same hash, recomputed from the record (and keyed with the audit key, if the ledger
// has one), so a checkpoint of another ledger, or of a chain rewritten up to that record, is
// refused. It does not vouch for what came before it: an edit of an earlier record, or of a
// record no operation after the checkpoint touched, is found only by a full run (the zero
// checkpoint), which an operator runs now and then; keep the checkpoint where the ledger's
// administrator cannot change it, as a receipt of the last full or incremental check.
//
// The zero Checkpoint is the start of the chain.
type Checkpoint struct {
	Seq  uint64 `json:"seq"`
	Hash []byte `json:"hash"`
}

// IsZero reports whether c is the start of the chain.
func (c Checkpoint) IsZero() bool { return c.Seq == 0 && len(c.Hash) == 0 }

// VerifyAuditFrom is [VerifyAudit] from a checkpoint: it checks the records after from (the
// sequence without gaps, each record's Prev and recomputed Hash, the stored head) and the record
// from names, and returns the head as the next checkpoint with the number of records checked. The
// zero checkpoint checks the whole chain. An error wraps ErrCorrupt and names the first bad
// record.
func VerifyAuditFrom(ctx context.Context, s Store, key []byte, from Checkpoint) (Checkpoint, int, error) {
	var cp Checkpoint
	n := 0
	err := s.View(ctx, func(tx Tx) error {
		var err error
		cp, n, err = verifyAuditFrom(tx, key, from, nil)
		return err
	})
	if err != nil {
		return Checkpoint{}, n, fmt.Errorf("verify audit: %w", err)
	}
	return cp, n, nil
}

// VerifyAuditFrom verifies the ledger's audit chain from a checkpoint (see the function
// [VerifyAuditFrom]), keyed with Config.AuditKey.
func (l *Ledger) VerifyAuditFrom(ctx context.Context, from Checkpoint) (Checkpoint, int, error) {
	return VerifyAuditFrom(ctx, l.store, l.cfg.AuditKey, from)
}

// CheckConservationFrom checks, in one consistent read, the audit chain after from and
// conservation for what the operations after from changed, and returns the head as the next
// checkpoint. The zero checkpoint checks everything: [VerifyAudit], [CheckConservation], and
// every shipped line against the audit log's last change of it (as [Import] does).
// From a checkpoint, it checks every shipped line whose quantities an operation after it
// changed: that it holds the quantities the audit log's last change of it gives, that they add
// up, that the location lines taken from it (through the index of the lines of a shipped line)
// and the lines reshipped from it (through its partner's reshipments) hold what it says, and the
// bin index; and every location line those operations named: under its location, its code's
// entry naming it, its location there, the index by end listing it exactly when it is an
// activated fixed-term line, and a carried-over line's history line. The cost is the
// operations after the checkpoint and what they touched, whatever the ledger's size (for a
// reshipped line, its partner's reshipments). Problems are reported together as a
// [*ConservationError]; a broken chain or a checkpoint the chain does not hold, as an error
// matching [ErrCorrupt].
func CheckConservationFrom(ctx context.Context, s Store, key []byte, from Checkpoint) (Checkpoint, error) {
	var cp Checkpoint
	err := s.View(ctx, func(tx Tx) error {
		var err error
		cp, err = checkConservationFrom(tx, key, from)
		return err
	})
	return cp, err
}

// CheckConservationFrom checks the ledger from a checkpoint (see the function
// [CheckConservationFrom]), keyed with Config.AuditKey.
func (l *Ledger) CheckConservationFrom(ctx context.Context, from Checkpoint) (Checkpoint, error) {
	return CheckConservationFrom(ctx, l.store, l.cfg.AuditKey, from)
}

func checkConservationFrom(tx Tx, key []byte, from Checkpoint) (Checkpoint, error) {
	last := map[uint64]Qty{} // shipped line → the audit log's last change of it
	if from.IsZero() {
		cp, _, err := verifyAuditFrom(tx, key, from, func(r *AuditRecord) { lastChanges(last, r) })
		if err != nil {
			return Checkpoint{}, fmt.Errorf("verify audit: %w", err)
		}
		if err := checkConservation(tx); err != nil {
			return Checkpoint{}, err
		}
		return cp, linesMatch(tx, last)
	}
	codes := map[string]bool{}
	cp, _, err := verifyAuditFrom(tx, key, from, func(r *AuditRecord) {
		lastChanges(last, r)
		for _, ref := range r.Refs {
			if code, ok := strings.CutPrefix(ref, "skc:"); ok {
				codes[code] = true
			}
		}
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verify audit: %w", err)
	}
	var probs []string
	addf := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	c := &incCheck{o: &op{tx: tx}, addf: addf, children: map[string]map[uint64][]uint64{}}
	ids := make([]uint64, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := c.shipped(id, last[id]); err != nil {
			return Checkpoint{}, err
		}
	}
	names := make([]string, 0, len(codes))
	for code := range codes {
		names = append(names, code)
	}
	slices.Sort(names)
	for _, code := range names {
		ln, ok, err := c.o.line(code)
		if err != nil {
			return Checkpoint{}, err
		}
		if ok { // a code no line has any more was detached
			if err := c.line(ln); err != nil {
				return Checkpoint{}, err
			}
		}
	}
	if len(probs) > 0 {
		return Checkpoint{}, &ConservationError{Problems: probs}
	}
	return cp, nil
}

// incCheck is the state of an incremental conservation check.
type incCheck struct {
	o    *op // reads only
	addf func(string, ...any)
	// children holds, per partner read, the lines reshipped from each of its lines.
	children map[string]map[uint64][]uint64
}

// shipped checks a shipped line an operation after the checkpoint changed; after is the audit
// log's last change of it.
func (c *incCheck) shipped(id uint64, after Qty) error {
	sl, ok, err := c.shippedLine(id)
	if err != nil || !ok {
		if err == nil {
			c.addf("shipped line %d, which the audit log changed, is missing", id)
		}
		return err
	}
	if q := qtyOf(sl); q != after {
		c.addf("shipped line %d holds %+v, the audit log's last change of it says %+v", id, q, after)
	}
	var sums lineSums
	prefix := n16(id) + sep
	err = c.o.tx.Scan(bSource, prefix, func(kk string, v []byte) (bool, error) {
		ln, ok, err := c.o.indexedLine(string(v), kk[len(prefix):])
		if err != nil || !ok {
			if err == nil {
				c.addf("shipped line %d: the index of its lines names missing line %s", id, kk[len(prefix):])
			}
			return err == nil, err
		}
		if ln.Source != id {
			c.addf("shipped line %d: the index of its lines names line %s of shipped line %d", id, ln.SKC, ln.Source)
		}
		switch ln.State {
		case StateAttached:
			sums.attached += ln.Qty
		case StateActivated, StateMigrated:
			sums.activated += ln.Qty
		case StateRevoked:
			sums.revoked += ln.Qty
		case StateCancelled:
			sums.cancelled += ln.Qty
		}
		return true, c.line(ln)
	})
	if err != nil {
		return err
	}
	kids, err := c.childrenOf(sl)
	if err != nil {
		return err
	}
	for _, kid := range kids {
		k, ok, err := c.shippedLine(kid)
		if err != nil {
			return err
		}
		if !ok || k.Parent != id {
			c.addf("shipped line %d: its partner's reshipments name line %d, which is not reshipped from it", id, kid)
			continue
		}
		sums.reshipped += k.Shipped - k.Returned
	}
	_, inBin, err := c.o.tx.Get(bBin, binKey(sl))
	if err != nil {
		return err
	}
	shippedProblems(sl, sums, inBin, c.addf)
	return nil
}

func (c *incCheck) shippedLine(id uint64) (ShippedLine, bool, error) {
	var sl ShippedLine
	ok, err := getRec(c.o.tx, bLines, n16(id), &sl)
	return sl, ok, err
}

// childrenOf returns the lines reshipped from sl, from its partner's reshipments.
func (c *incCheck) childrenOf(sl ShippedLine) ([]uint64, error) {
	byLine, ok := c.children[sl.Partner]
	if !ok {
		byLine = map[uint64][]uint64{}
		err := c.o.tx.Scan(bReshipF, sl.Partner+sep, func(_ string, v []byte) (bool, error) {
			id, ok := parseN16(string(v))
			if !ok {
				return false, wrapf(ErrCorrupt, "reshipment index of %s", sl.Partner)
			}
			var rs Reshipment
			if ok, err := getRec(c.o.tx, bReship, n16(id), &rs); err != nil || !ok {
				if err == nil {
					c.addf("the reshipment index of %s names missing reshipment %d", sl.Partner, id)
				}
				return err == nil, err
			}
			for _, p := range rs.Lines {
				byLine[p.From] = append(byLine[p.From], p.To)
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		c.children[sl.Partner] = byLine
	}
	return byLine[sl.ID], nil
}

// line checks a location line against its keys and indexes.
func (c *incCheck) line(ln Line) error {
	tx := c.o.tx
	if _, ok, err := tx.Get(bLocLines, lineKey(ln.Location, ln.SKC)); err != nil {
		return err
	} else if !ok {
		c.addf("line %s is not under its location %s", ln.SKC, ln.Location)
	}
	entry, ok, err := tx.Get(bSKC, ln.SKC)
	if err != nil {
		return err
	}
	if !ok || !oldLineRecord(entry) && string(entry) != ln.Location {
		c.addf("the entry of code %s does not name its location %s", ln.SKC, ln.Location)
	}
	if _, ok, err := tx.Get(bLocs, ln.Location); err != nil {
		return err
	} else if !ok {
		c.addf("line %s is on missing location %s", ln.SKC, ln.Location)
	}
	if ln.Qty <= 0 || ln.State < StateAttached || ln.State > StateCancelled {
		c.addf("line %s: quantity %d, state %d", ln.SKC, ln.Qty, ln.State)
	}
	if ln.FixedTerm() {
		_, indexed, err := tx.Get(bTermEnd, k(unixKey(ln.NotAfter), ln.SKC))
		if err != nil {
			return err
		}
		if want := ln.State == StateActivated; indexed != want {
			c.addf("fixed-term line %s (%s): the index by end lists it: %v", ln.SKC, ln.State, indexed)
		}
	}
	if ln.MigratedFrom != "" {
		h, ok, err := c.o.line(ln.MigratedFrom)
		if err != nil {
			return err
		}
		if !ok || h.State != StateMigrated || h.Part != ln.Part {
			c.addf("line %s carried over from %s, which is not a migrated history line of part %s", ln.SKC, ln.MigratedFrom, ln.Part)
		}
	}
	return nil
}
