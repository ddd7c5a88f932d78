package entitlement_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/license"
)

// The incremental checks: a checkpoint returned by a full run lets the next run check only what
// came after it. The attacks: tampering after the checkpoint must be caught by the incremental
// run; tampering before it is caught by a full run (and not claimed to be by the incremental one);
// a checkpoint that is not the ledger's is refused.

func n16(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}

// tamperRecord decodes the record under bucket/key, lets fn change it and writes it back, around
// the ledger (as an attacker with the store's file would).
func tamperRecord[T any](t *testing.T, s entitlement.Store, bucket, key string, fn func(*T)) {
	t.Helper()
	ok(t, s.Update(ctx, func(tx entitlement.Tx) error {
		v, found, err := tx.Get(bucket, key)
		if err != nil || !found {
			return fmt.Errorf("%s %q: found %v, %v", bucket, key, found, err)
		}
		var rec T
		if err := cbor.Unmarshal(v, &rec); err != nil {
			return err
		}
		fn(&rec)
		b, err := cborx.EncMode().Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Put(bucket, key, b)
	}))
}

// checkpointLedger is a ledger with a fixed-term location, random operations, and a checkpoint
// taken by a full run; then more operations after it. It returns the fixture, the checkpoint,
// and lines and shipped lines touched before and after the checkpoint.
type checkpointLedger struct {
	f                    *storetest.Fixture
	s                    entitlement.Store
	cp                   entitlement.Checkpoint
	before, after        entitlement.ShippedLine // touched only before, and after the checkpoint
	lineAfter, termAfter entitlement.Line        // attached, and activated fixed-term, after it
}

func newCheckpointLedger(t *testing.T) *checkpointLedger {
	t.Helper()
	s := entitlement.NewMemStore()
	f := guideFixture(t, s, 5)
	r := rand.New(rand.NewPCG(5, 5))
	seq := 0
	acts := actorsOf(f)
	for range 150 {
		ac := acts[r.IntN(len(acts))]
		if _, err := randomOp(r, f, ac.a, ac.partner, &seq); err != nil && !expected(err) {
			t.Fatal(err)
		}
	}
	c := &checkpointLedger{f: f, s: s}
	c.before = shipSV8100(t, f, f.DistP, "CP-BEFORE")[0]
	cp, err := f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{})
	ok(t, err)
	c.cp = cp
	// After the checkpoint: more random operations, a shipment attached, a fixed-term line
	// activated.
	for range 60 {
		ac := acts[r.IntN(len(acts))]
		if _, err := randomOp(r, f, ac.a, ac.partner, &seq); err != nil && !expected(err) {
			t.Fatal(err)
		}
	}
	after := shipSV8100(t, f, f.DistP, "CP-AFTER")
	term := must[[]entitlement.ShippedLine](t)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "CP-TERM", SO: "S",
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 5, Type: license.TypeSubscription, NotAfter: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}}}))
	loc := newLocation(t, f, f.Dist, "SV8100", "191000888001")
	lines := must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: term[0].ID, Qty: 5}}))
	must[entitlement.Issued](t)(f.L.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	c.termAfter = must[entitlement.LocationView](t)(f.L.Location(ctx, f.Dist, loc.ID)).Activated[0]
	if c.termAfter.SKC != lines[0].SKC {
		t.Fatal("the fixed-term line moved")
	}
	c.lineAfter = must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: after[3].ID, Qty: 2}}))[0]
	c.after = must[entitlement.ShippedLine](t)(shippedLine(t, f, after[3].ID))
	return c
}

func shippedLine(t *testing.T, f *storetest.Fixture, id uint64) (entitlement.ShippedLine, error) {
	t.Helper()
	var out entitlement.ShippedLine
	err := f.L.View(ctx, f.Admin, "test.shipped", func(x *entitlement.Op) error {
		var err error
		out, err = x.Shipped(id)
		return err
	})
	return out, err
}

// TestCheckConservationFrom_CarriesOn: a checkpoint from a full run, then an incremental run
// from it reaches the head, and a run from that head checks nothing more and succeeds.
func TestCheckConservationFrom_CarriesOn(t *testing.T) {
	c := newCheckpointLedger(t)
	head, headHash, err := c.f.L.AuditHead(ctx)
	ok(t, err)
	cp := must[entitlement.Checkpoint](t)(c.f.L.CheckConservationFrom(ctx, c.cp))
	if cp.Seq != head || string(cp.Hash) != string(headHash) || c.cp.Seq >= head {
		t.Fatalf("from %d to %d, the head is %d", c.cp.Seq, cp.Seq, head)
	}
	again := must[entitlement.Checkpoint](t)(c.f.L.CheckConservationFrom(ctx, cp))
	if again.Seq != cp.Seq {
		t.Fatalf("a run from the head moved the checkpoint to %d", again.Seq)
	}
	acp, n, err := c.f.L.VerifyAuditFrom(ctx, c.cp)
	ok(t, err)
	if acp.Seq != head || n != int(head-c.cp.Seq) {
		t.Fatalf("VerifyAuditFrom checked %d records up to %d; want %d up to %d", n, acp.Seq, head-c.cp.Seq, head)
	}
}

// TestCheckConservationFrom_TamperingAfterTheCheckpoint: what the operations after the
// checkpoint wrote, edited around the ledger, is caught by the incremental run.
func TestCheckConservationFrom_TamperingAfterTheCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, c *checkpointLedger)
	}{
		{"audit record after the checkpoint", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "audit", n16(c.cp.Seq+2), func(r *entitlement.AuditRecord) { r.User = "someone@else" })
		}},
		{"shipped line moved from attached to the bin", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "lines", n16(c.after.ID), func(s *entitlement.ShippedLine) { s.Attached--; s.InBin++ })
		}},
		{"shipped line with a seat more, added up", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "lines", n16(c.after.ID), func(s *entitlement.ShippedLine) { s.Shipped++; s.InBin++ })
		}},
		{"location line with a seat more", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "locl", c.lineAfter.Location+"\x00"+c.lineAfter.SKC, func(l *entitlement.Line) { l.Qty++ })
		}},
		{"location line's code entry removed", func(t *testing.T, c *checkpointLedger) {
			ok(t, c.s.Update(ctx, func(tx entitlement.Tx) error { return tx.Delete("skc", c.lineAfter.SKC) }))
		}},
		{"fixed-term line out of the index by end", func(t *testing.T, c *checkpointLedger) {
			ok(t, c.s.Update(ctx, func(tx entitlement.Tx) error {
				return tx.Delete("termend", n16(uint64(c.termAfter.NotAfter.Unix()))+"\x00"+c.termAfter.SKC)
			}))
		}},
		{"audit record after the checkpoint removed", func(t *testing.T, c *checkpointLedger) {
			head, _, err := c.f.L.AuditHead(ctx)
			ok(t, err)
			ok(t, c.s.Update(ctx, func(tx entitlement.Tx) error { return tx.Delete("audit", n16(head)) }))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCheckpointLedger(t)
			tc.tamper(t, c)
			if _, err := c.f.L.CheckConservationFrom(ctx, c.cp); !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("the incremental run missed it: %v", err)
			}
			if _, err := c.f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{}); !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("the full run missed it: %v", err)
			}
		})
	}
}

// TestCheckConservationFrom_TamperingBeforeTheCheckpoint: an edit of what only operations before
// the checkpoint wrote is outside an incremental run (it succeeds) and caught by a full run; an
// edit of the checkpoint's own record, or a checkpoint that is not the ledger's, is refused.
func TestCheckConservationFrom_TamperingBeforeTheCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tamper      func(t *testing.T, c *checkpointLedger)
		incremental bool // the incremental run catches it too
	}{
		{"shipped line touched only before", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "lines", n16(c.before.ID), func(s *entitlement.ShippedLine) { s.InBin--; s.Attached++ })
		}, false},
		{"audit record before", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "audit", n16(c.cp.Seq-3), func(r *entitlement.AuditRecord) { r.Op = "nothing to see" })
		}, false},
		{"the checkpoint's own record", func(t *testing.T, c *checkpointLedger) {
			tamperRecord(t, c.s, "audit", n16(c.cp.Seq), func(r *entitlement.AuditRecord) { r.Op = "nothing to see" })
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCheckpointLedger(t)
			tc.tamper(t, c)
			_, err := c.f.L.CheckConservationFrom(ctx, c.cp)
			if tc.incremental != (err != nil) {
				t.Fatalf("incremental run: %v", err)
			}
			if err != nil && !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("incremental run: %v, want ErrCorrupt", err)
			}
			if _, err := c.f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{}); !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("the full run missed it: %v", err)
			}
		})
	}
	c := newCheckpointLedger(t)
	for name, cp := range map[string]entitlement.Checkpoint{
		"another ledger's hash": {Seq: c.cp.Seq, Hash: make([]byte, 32)},
		"past the head":         {Seq: 1 << 40, Hash: c.cp.Hash},
		"a hash at the start":   {Seq: 0, Hash: c.cp.Hash},
	} {
		if _, err := c.f.L.CheckConservationFrom(ctx, cp); err == nil {
			t.Errorf("checkpoint %s accepted", name)
		}
		if _, _, err := c.f.L.VerifyAuditFrom(ctx, cp); err == nil {
			t.Errorf("VerifyAuditFrom accepted checkpoint %s", name)
		}
	}
}

// TestCheckConservationFrom_CostIndependentOfLedgerSize: the incremental run over the same
// operations reads as many keys on a small ledger as on one with 200 more locations.
func TestCheckConservationFrom_CostIndependentOfLedgerSize(t *testing.T) {
	measure := func(others int) int {
		cs := &countingStore{Store: entitlement.NewMemStore()}
		f := storetest.NewFixture(t, cs, 21)
		for i := range others + 1 {
			loc := newLocation(t, f, f.Other, "SV8100", fmt.Sprintf("19%010d", 5000+i))
			s := shipSV8100(t, f, f.OtherP, fmt.Sprint("OPO", i))
			must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Other, loc.ID, picksAll(s)))
			must[entitlement.Issued](t)(f.L.Activate(ctx, f.Other, loc.ID, entitlement.Activation{AcceptAgreement: true}))
		}
		cp := must[entitlement.Checkpoint](t)(f.L.CheckConservationFrom(ctx, entitlement.Checkpoint{}))
		shipped := shipSV8100(t, f, f.DistP, "PO1")
		loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
		must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)))
		must[entitlement.Issued](t)(f.L.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
		cs.n = 0
		must[entitlement.Checkpoint](t)(f.L.CheckConservationFrom(ctx, cp))
		return cs.n
	}
	if small, large := measure(0), measure(200); small != large {
		t.Fatalf("the incremental run reads %d keys on a small ledger, %d with 200 more locations", small, large)
	}
}
