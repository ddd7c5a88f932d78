package entitlement

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"math"
	"time"
)

// AuditRecord is one entry of the append-only audit log. Every change to the ledger appends exactly
// one, in the same transaction as the change. Records are chained: Hash covers Prev and every other
// field, so editing, removing or reordering a record breaks [VerifyAudit].
type AuditRecord struct {
	Seq     uint64      `cbor:"1,keyasint" json:"seq"`
	Time    time.Time   `cbor:"2,keyasint" json:"time"`
	User    string      `cbor:"3,keyasint" json:"user"`                   // the authenticated user
	As      string      `cbor:"4,keyasint,omitempty" json:"as,omitempty"` // the impersonated dealer user, if any
	Partner string      `cbor:"5,keyasint" json:"partner"`                // the effective partner
	Op      string      `cbor:"6,keyasint" json:"op"`
	Refs    []string    `cbor:"7,keyasint,omitempty" json:"refs,omitempty"`    // ids touched: "location:<uuid>", "skc:<code>", "po:<n>"…
	Changes []QtyChange `cbor:"8,keyasint,omitempty" json:"changes,omitempty"` // before and after quantities of every shipped line touched
	Prev    []byte      `cbor:"9,keyasint" json:"prev"`
	Hash    []byte      `cbor:"10,keyasint,omitempty" json:"hash,omitempty"`
	// Notes are lines of detail an operation of a package built on the ledger recorded
	// ([Op.Note]): the SWA units drawn from each shipment, a reason given for a push.
	Notes []string `cbor:"11,keyasint,omitempty" json:"notes,omitempty"`
}

// Identity is how the record shows who acted: the login, or IMP:<distributor user>/<dealer user>.
func (r AuditRecord) Identity() string { return Actor{User: r.User, As: r.As}.String() }

// Qty is the quantity state of a shipped line.
type Qty struct {
	Shipped      int64 `cbor:"1,keyasint" json:"shipped"`
	InBin        int64 `cbor:"2,keyasint" json:"in_bin"`
	Attached     int64 `cbor:"3,keyasint" json:"attached"`
	Activated    int64 `cbor:"4,keyasint" json:"activated"`
	ReshippedOut int64 `cbor:"5,keyasint" json:"reshipped_out"`
	Returned     int64 `cbor:"6,keyasint" json:"returned"`
	Revoked      int64 `cbor:"7,keyasint,omitempty" json:"revoked,omitempty"`
	Cancelled    int64 `cbor:"8,keyasint,omitempty" json:"cancelled,omitempty"`
}

// QtyChange records a shipped line's quantities before and after an operation.
type QtyChange struct {
	Line   uint64 `cbor:"1,keyasint" json:"line"`
	Part   string `cbor:"2,keyasint" json:"part"`
	Before Qty    `cbor:"3,keyasint" json:"before"`
	After  Qty    `cbor:"4,keyasint" json:"after"`
}

// conserved reports whether q is non-negative and adds up: Shipped = InBin + Attached + Activated
// + ReshippedOut + Returned + Revoked + Cancelled.
func (q Qty) conserved() bool {
	return q.InBin >= 0 && q.Attached >= 0 && q.Activated >= 0 && q.ReshippedOut >= 0 && q.Returned >= 0 &&
		q.Revoked >= 0 && q.Cancelled >= 0 &&
		q.Shipped == q.InBin+q.Attached+q.Activated+q.ReshippedOut+q.Returned+q.Revoked+q.Cancelled
}

func qtyOf(s ShippedLine) Qty {
	return Qty{s.Shipped, s.InBin, s.Attached, s.Activated, s.ReshippedOut, s.Returned, s.Revoked, s.Cancelled}
}

// auditHead is the head of the audit chain: the newest record's sequence number and hash. Every
// operation reads it first and writes it last, so it also carries what every operation would
// otherwise read and write as records of their own:
//   - Actors, the sequence number of the record of the last operation that wrote a user, a
//     partner or a shipping allowance (0: not known, as in a ledger written before it was kept):
//     the ledger reuses an actor's resolution while Actors is unchanged (see actorCache);
//   - the counters of shipped lines (Line) and of the positions in the recent lists (Recent),
//     kept before as meta records "seq/line" and "seq/recent" (a ledger written then keeps them
//     there until its next operation that counts moves them here).
//
// The export writes the head as before ({"seq","hash"}) and these fields as counters named
// "actors", "line" and "recent"; the import puts them back in the head.
type auditHead struct {
	Seq    uint64 `cbor:"1,keyasint" json:"seq"`
	Hash   []byte `cbor:"2,keyasint" json:"hash"`
	Actors uint64 `cbor:"3,keyasint,omitempty" json:"-"`
	Line   uint64 `cbor:"4,keyasint,omitempty" json:"-"`
	Recent uint64 `cbor:"5,keyasint,omitempty" json:"-"`
}

// headCounters are the counters the head keeps, by their name as meta keys ("seq/" + name) and
// in the export.
var headCounters = []string{"actors", "line", "recent"}

// counter returns the head's counter of that name, nil for a counter kept as a meta record.
func (h *auditHead) counter(name string) *uint64 {
	switch name {
	case "actors":
		return &h.Actors
	case "line":
		return &h.Line
	case "recent":
		return &h.Recent
	}
	return nil
}

const keyAuditHead = "audit/head"

func auditMAC(key []byte) hash.Hash {
	if key == nil {
		return sha256.New()
	}
	return hmac.New(sha256.New, key)
}

// auditDomain starts what a record's hash covers: the domain, then the record's encoding without
// its Hash.
const auditDomain = "lmskit audit v1\n"

func recordHash(key []byte, r AuditRecord) ([]byte, error) {
	r.Hash = nil
	b, err := enc(r)
	if err != nil {
		return nil, err
	}
	h := auditMAC(key)
	h.Write([]byte(auditDomain))
	h.Write(b)
	return h.Sum(nil), nil
}

// appendAudit appends r to the chain whose head is head (as read at the start of the operation,
// with the counters it moved) and writes the record and the new head.
func (l *Ledger) appendAudit(tx Tx, head *auditHead, r *AuditRecord) error {
	r.Seq = head.Seq + 1
	r.Prev = head.Hash
	if r.Prev == nil {
		r.Prev = []byte{}
	}
	r.Hash = nil
	if err := tx.Put(bAudit, n16(r.Seq), sealAudit(l.cfg.AuditKey, r)); err != nil {
		return err
	}
	head.Seq, head.Hash = r.Seq, r.Hash
	return putRec(tx, bMeta, keyAuditHead, head)
}

// VerifyAudit checks the whole audit chain of the ledger's store: sequence numbers without gaps,
// each record's Prev equal to the previous Hash, each Hash recomputed, and the stored head equal
// to the last record. It returns the number of records; an error wraps ErrCorrupt and names the
// first bad record. It reads the whole log (it is an audit tool, not an operation).
func (l *Ledger) VerifyAudit(ctx context.Context) (int, error) {
	return VerifyAudit(ctx, l.store, l.cfg.AuditKey)
}

// VerifyAudit checks the audit chain in s, keyed with key (nil for a plain SHA-256 chain).
func VerifyAudit(ctx context.Context, s Store, key []byte) (int, error) {
	n := 0
	err := s.View(ctx, func(tx Tx) error {
		var err error
		n, err = verifyAudit(tx, key)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("verify audit: %w", err)
	}
	return n, nil
}

// verifyAudit is VerifyAudit inside a transaction.
func verifyAudit(tx Tx, key []byte) (int, error) {
	_, n, err := verifyAuditFrom(tx, key, Checkpoint{}, nil)
	return n, err
}

// verifyAuditFrom checks the chain after the checkpoint from (the zero checkpoint: the whole
// chain), calling visit, if not nil, with every record it checked, and returns the head as a
// checkpoint with the number of records it checked. A checkpoint past the start must name a
// record of the chain, with that record's hash, recomputed.
func verifyAuditFrom(tx Tx, key []byte, from Checkpoint, visit func(*AuditRecord)) (Checkpoint, int, error) {
	n := 0
	prev := []byte{}
	last := from.Seq
	if from.Seq != 0 {
		var r AuditRecord
		ok, err := getRec(tx, bAudit, n16(from.Seq), &r)
		if err != nil {
			return Checkpoint{}, 0, err
		}
		if !ok {
			return Checkpoint{}, 0, wrapf(ErrCorrupt, "checkpoint at audit record %d: the chain holds no such record", from.Seq)
		}
		h, err := recordHash(key, r)
		if err != nil {
			return Checkpoint{}, 0, err
		}
		if r.Seq != from.Seq || !hmac.Equal(h, r.Hash) || !hmac.Equal(h, from.Hash) {
			return Checkpoint{}, 0, wrapf(ErrCorrupt, "checkpoint at audit record %d: the record is not the one checked (edited, or the checkpoint is another ledger's)", from.Seq)
		}
		prev = r.Hash
	} else if len(from.Hash) != 0 {
		return Checkpoint{}, 0, wrapf(ErrInvalid, "checkpoint at record 0 with a hash")
	}
	err := tx.ScanFrom(bAudit, "", n16(from.Seq+1), func(kk string, v []byte) (bool, error) {
		var r AuditRecord
		if err := dec(v, &r); err != nil {
			return false, err
		}
		seq, _ := parseN16(kk)
		if r.Seq != last+1 || seq != r.Seq {
			return false, wrapf(ErrCorrupt, "audit record %d: sequence %d after %d", seq, r.Seq, last)
		}
		if !bytes.Equal(r.Prev, prev) {
			return false, wrapf(ErrCorrupt, "audit record %d: chain broken (prev hash differs)", r.Seq)
		}
		h, err := recordHash(key, r)
		if err != nil {
			return false, err
		}
		if !hmac.Equal(h, r.Hash) {
			return false, wrapf(ErrCorrupt, "audit record %d: hash mismatch (record edited)", r.Seq)
		}
		if visit != nil {
			visit(&r)
		}
		prev, last = r.Hash, r.Seq
		n++
		return true, nil
	})
	if err != nil {
		return Checkpoint{}, n, err
	}
	var head auditHead
	if _, err := getRec(tx, bMeta, keyAuditHead, &head); err != nil {
		return Checkpoint{}, n, err
	}
	if head.Seq != last || !bytes.Equal(head.Hash, prev) && !(last == 0 && head.Hash == nil) {
		return Checkpoint{}, n, wrapf(ErrCorrupt, "audit head %d does not match last record %d (records removed)", head.Seq, last)
	}
	if last == 0 {
		return Checkpoint{}, n, nil
	}
	return Checkpoint{Seq: last, Hash: bytes.Clone(prev)}, n, nil
}

// AuditHead returns the sequence number and hash of the newest audit record, for anchoring
// outside the ledger (a signed daily receipt, a ticket).
func (l *Ledger) AuditHead(ctx context.Context) (uint64, []byte, error) {
	var head auditHead
	err := l.store.View(ctx, func(tx Tx) error {
		_, err := getRec(tx, bMeta, keyAuditHead, &head)
		return err
	})
	return head.Seq, head.Hash, err
}

// Audit page sizes: a limit of 0 or less means AuditPageDefault, more than AuditPageMax means
// AuditPageMax.
const (
	AuditPageDefault = 100
	AuditPageMax     = 1000
)

// Audit returns one page of the audit log (administrator only): the records with Seq > after,
// oldest first, at most limit of them (limit <= 0 means [AuditPageDefault]; at most
// [AuditPageMax]). Page on with after set to the last record's Seq; an empty page is the end.
// The cost is the page's records, whatever the log's length: the scan seeks to after+1.
func (l *Ledger) Audit(ctx context.Context, a Actor, after uint64, limit int) ([]AuditRecord, error) {
	if limit <= 0 {
		limit = AuditPageDefault
	}
	limit = min(limit, AuditPageMax)
	var out []AuditRecord
	err := l.view(ctx, a, "audit", func(o *op) error {
		out = nil
		if err := o.need(RoleAdmin, "read the audit log"); err != nil {
			return err
		}
		if after == math.MaxUint64 {
			return nil
		}
		return o.tx.ScanFrom(bAudit, "", n16(after+1), func(kk string, v []byte) (bool, error) {
			var r AuditRecord
			if err := dec(v, &r); err != nil {
				return false, err
			}
			out = append(out, r)
			return len(out) < limit, nil
		})
	})
	return out, err
}
