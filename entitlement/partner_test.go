package entitlement_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/cborx"
)

// TestGuide_Impersonate follows "Impersonate Dealer/Reseller": a distributor acts as a dealer user
// where the allowance exists, sees and does what the dealer does, and every change records both.
func TestGuide_Impersonate(t *testing.T) {
	f := newFixture(t)
	l := f.L
	ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: "ed2@distx", Name: "Ed Distributor X", Partner: f.DistP, Roles: entitlement.RoleLMSUser}))
	imp := must[entitlement.Actor](t)(l.Impersonate(ctx, "ed@distx", "dealer@y"))
	if got := imp.String(); got != "IMP:ed@distx/dealer@y" {
		t.Fatalf("identity %q", got)
	}
	u, p, err := l.Whoami(ctx, imp)
	ok(t, err)
	if u.ID != "dealer@y" || p.ID != f.DealerP {
		t.Fatalf("impersonating: acting as %s of %s", u.ID, p.ID)
	}
	shipSV8100(t, f, f.DealerP, "PO-D")
	loc := newLocation(t, f, imp, "SV8100", "191000343919")
	if loc.Partner != f.DealerP {
		t.Fatalf("location created while impersonating belongs to %s", loc.Partner)
	}
	bin := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, imp))
	must[[]entitlement.Line](t)(l.Attach(ctx, imp, loc.ID, picksAll(bin)))
	// The dealer sees the same.
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dealer, loc.ID))
	if len(v.Attached) != 4 {
		t.Fatalf("dealer sees %d attached lines", len(v.Attached))
	}
	// The distributor as itself does not.
	if _, err := l.Location(ctx, f.Dist, loc.ID); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("distributor reads dealer's location without impersonating: %v", err)
	}
	// While impersonating a dealer, reshipment (a distributor act) is refused.
	if _, err := l.Reship(ctx, imp, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "a", SO: "b", Picks: []entitlement.Pick{{Line: bin[0].ID, Qty: 1}}}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("reship while impersonating: %v", err)
	}
	recs := must[[]entitlement.AuditRecord](t)(l.Audit(ctx, f.Admin, 0, 1000))
	var attach *entitlement.AuditRecord
	for i := range recs {
		if recs[i].Op == "attach" {
			attach = &recs[i]
		}
	}
	if attach == nil || attach.User != "ed@distx" || attach.As != "dealer@y" || attach.Partner != f.DealerP ||
		attach.Identity() != "IMP:ed@distx/dealer@y" || len(attach.Changes) != 4 {
		t.Fatalf("attach audit record: %+v", attach)
	}
	// Revoking the allowance ends the impersonation at the next operation.
	ok(t, l.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	if _, err := l.Bin(ctx, imp); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("impersonation after the allowance was revoked: %v", err)
	}
	if _, err := l.Impersonate(ctx, "ed@distx", "dealer@y"); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("Impersonate after revocation: %v", err)
	}
}

// TestGuide_Reship follows "Reship Licenses": distributor bin lines move to the dealer's bin under
// a new PO/SO, the resold lookup shows them, and the dealer can return them.
func TestGuide_Reship(t *testing.T) {
	f := newFixture(t)
	l := f.L
	shipped := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO12", SO: "SO12",
		Lines: []entitlement.OrderLine{{Part: "391950", Qty: 8}, {Part: "390908", Qty: 8}}}))
	rs := must[entitlement.Reshipment](t)(l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "PO-12345", SO: "SO-12345", Picks: picksAll(shipped)}))
	conserved(t, l)
	if rs.From != f.DistP || rs.To != f.DealerP || len(rs.Lines) != 2 || rs.By != "ed@distx" {
		t.Fatalf("reshipment %+v", rs)
	}
	if b := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist)); len(b) != 0 {
		t.Fatalf("distributor bin still holds %d lines", len(b))
	}
	db := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dealer))
	if len(db) != 2 || db[0].PO != "PO-12345" || db[0].Parent == 0 || db[0].InBin != 8 {
		t.Fatalf("dealer bin %+v", db)
	}
	resold := must[[]entitlement.Reshipment](t)(l.Resold(ctx, f.Dist, 0))
	if len(resold) != 1 || resold[0].ID != rs.ID {
		t.Fatalf("resold lookup: %+v", resold)
	}
	// The same PO/SO cannot be reshipped to the dealer twice.
	more := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO13", SO: "SO13",
		Lines: []entitlement.OrderLine{{Part: "391950", Qty: 1}}}))
	if _, err := l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "PO-12345", SO: "SO-12345", Picks: picksAll(more)}); !errors.Is(err, entitlement.ErrExists) {
		t.Fatalf("second reship under the same PO/SO: %v", err)
	}
	// Returns go back into the distributor's original line.
	rt := must[entitlement.Return](t)(l.ReturnLines(ctx, f.Dealer, []entitlement.Pick{{Line: db[0].ID, Qty: 3}}, "ordered too many"))
	conserved(t, l)
	if rt.To != f.DistP {
		t.Fatalf("return went to %q", rt.To)
	}
	b := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist))
	if len(b) != 2 || b[0].ID != shipped[0].ID || b[0].InBin != 3 || b[0].ReshippedOut != 5 {
		t.Fatalf("distributor bin after return: %+v", b)
	}
	got := must[[]entitlement.Return](t)(l.ReturnsReceived(ctx, f.Dist, 0))
	if len(got) != 1 || got[0].Reason != "ordered too many" {
		t.Fatalf("returns received: %+v", got)
	}
	// A vendor shipment returns to the vendor.
	must[entitlement.Return](t)(l.ReturnLines(ctx, f.Dist, []entitlement.Pick{{Line: shipped[1].ID, Qty: 0}, {Line: more[0].ID, Qty: 1}}, ""))
	conserved(t, l)
	if v := must[[]entitlement.Return](t)(l.ReturnsReceived(ctx, f.Admin, 0)); len(v) != 1 {
		t.Fatalf("vendor sees %d returns", len(v))
	}
	// Mixed destinations are refused.
	if _, err := l.ReturnLines(ctx, f.Dealer, []entitlement.Pick{{Line: db[1].ID, Qty: 1}, {Line: must[[]entitlement.ShippedLine](t)(
		l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DealerP, PO: "V", SO: "V", Lines: []entitlement.OrderLine{{Part: "391950", Qty: 1}}}))[0].ID, Qty: 1}}, ""); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("mixed return: %v", err)
	}
	conserved(t, l)
}

// TestGuide_DemoLicense follows "Demo license and Service license": two demo licenses per
// location, each generated file uses one, then it is refused.
func TestGuide_DemoLicense(t *testing.T) {
	f := newFixture(t)
	l := f.L
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	for i := 1; i <= 2; i++ {
		d := must[entitlement.Issued](t)(l.GenerateDemo(ctx, f.Dist, loc.ID))
		if !d.Demo || !d.NotAfter.Equal(d.Issued.Add(30*24*3600e9)) {
			t.Fatalf("demo %d: demo=%v not after %v", i, d.Demo, d.NotAfter)
		}
		v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, loc.ID))
		if v.DemosLeft != 2-i {
			t.Fatalf("after demo %d: %d left", i, v.DemosLeft)
		}
	}
	if demos := must[[]entitlement.Issued](t)(l.DemoFiles(ctx, f.Dist, loc.ID)); len(demos) != 2 || demos[0].Serial != 1 || demos[1].Serial != 2 {
		t.Fatalf("demo files: %d", len(demos))
	}
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	if _, err := l.GenerateDemo(ctx, f.Dist, loc.ID); !errors.Is(err, entitlement.ErrNoDemo) {
		t.Fatalf("third demo: %v", err)
	}
	if after := must[entitlement.Snapshot](t)(l.Snapshot(ctx)); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatal("refused demo changed the ledger")
	}
	dect := newLocation(t, f, f.Dist, "IP DECT", "1009FFFE")
	if _, err := l.GenerateDemo(ctx, f.Dist, dect.ID); !errors.Is(err, entitlement.ErrNoDemo) {
		t.Fatalf("demo for a system without a demo set: %v", err)
	}
}

// TestAuditChainDetectsEdits tampers with the log behind the ledger's back: edits a record (its
// user, a QtyChange.After quantity), removes records, swaps two (as stored and renumbered),
// inserts a well-hashed forged record in the middle, appends one without moving the head, and
// rewrites a keyed chain without the key. VerifyAudit must catch each.
func TestAuditChainDetectsEdits(t *testing.T) {
	for _, c := range []struct {
		name, why string
		key       []byte
		tamper    func(tx entitlement.Tx) error
	}{
		{"edit the user", "an edited record must not verify", nil, func(tx entitlement.Tx) error {
			return editRecord(tx, 10, func(r *entitlement.AuditRecord) { r.User = "someone-else" })
		}},
		{"edit a quantity", "an edited QtyChange.After must not verify", nil, func(tx entitlement.Tx) error {
			keys, recs, err := readAudit(tx)
			if err != nil {
				return err
			}
			for i, r := range recs {
				if len(r.Changes) > 0 {
					return editRecord(tx, uint64(i+1), func(r *entitlement.AuditRecord) { r.Changes[0].After.InBin += 1 })
				}
			}
			return fmt.Errorf("no record with quantity changes among %d", len(keys))
		}},
		{"swap two records", "reordering is caught", nil, func(tx entitlement.Tx) error {
			a, _, _ := tx.Get("audit", auditKey(5))
			b, _, _ := tx.Get("audit", auditKey(6))
			a, b = bytes.Clone(a), bytes.Clone(b)
			if err := tx.Put("audit", auditKey(5), b); err != nil {
				return err
			}
			return tx.Put("audit", auditKey(6), a)
		}},
		{"swap two records and renumber them", "reordering is caught even with consistent sequence numbers", nil, func(tx entitlement.Tx) error {
			_, recs, err := readAudit(tx)
			if err != nil {
				return err
			}
			a, b := recs[4], recs[5]
			a.Seq, b.Seq = 6, 5
			if err := putAudit(tx, b); err != nil {
				return err
			}
			return putAudit(tx, a)
		}},
		{"insert a forged record in the middle", "an inserted record breaks the chain after it", nil, func(tx entitlement.Tx) error {
			_, recs, err := readAudit(tx)
			if err != nil {
				return err
			}
			if !bytes.Equal(plainHash(recs[4]), recs[4].Hash) {
				return errors.New("plainHash does not reproduce the ledger's hash: the forgery would be caught for the wrong reason")
			}
			forged := entitlement.AuditRecord{Seq: 6, Time: recs[4].Time, User: "admin@vendor", Partner: "vendor", Op: "ship",
				Refs: []string{"po:FORGED"}, Prev: recs[4].Hash}
			forged.Hash = plainHash(forged)
			out := append(append(slices.Clone(recs[:5]), forged), recs[5:]...)
			for i := range out[6:] {
				out[6+i].Seq = uint64(7 + i) // shifted up, hashes left as they were
			}
			for _, r := range out {
				if err := putAudit(tx, r); err != nil {
					return err
				}
			}
			return putHead(tx, uint64(len(out)), out[len(out)-1].Hash)
		}},
		{"append without updating the head", "a well-chained appended record is caught by the head", nil, func(tx entitlement.Tx) error {
			_, recs, err := readAudit(tx)
			if err != nil {
				return err
			}
			last := recs[len(recs)-1]
			if !bytes.Equal(plainHash(last), last.Hash) {
				return errors.New("plainHash does not reproduce the ledger's hash: the forgery would be caught for the wrong reason")
			}
			forged := entitlement.AuditRecord{Seq: last.Seq + 1, Time: last.Time, User: "admin@vendor", Partner: "vendor", Op: "ship",
				Refs: []string{"po:FORGED"}, Prev: last.Hash}
			forged.Hash = plainHash(forged)
			return putAudit(tx, forged)
		}},
		{"drop the newest record", "truncation is caught by the head", nil, func(tx entitlement.Tx) error {
			var last string
			_ = tx.Scan("audit", "", func(k string, _ []byte) (bool, error) { last = k; return true, nil })
			return tx.Delete("audit", last)
		}},
		{"drop a middle record", "gaps are caught", nil, func(tx entitlement.Tx) error {
			return tx.Delete("audit", string([]byte{0, 0, 0, 0, 0, 0, 0, 5}))
		}},
		{"rewrite the chain without the key", "with an audit key a recomputed chain still fails", []byte("audit key"), func(tx entitlement.Tx) error {
			if err := editRecord(tx, 10, func(r *entitlement.AuditRecord) { r.Op = "nothing" }); err != nil {
				return err
			}
			return rechain(tx)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := entitlement.NewMemStore()
			f := storetest.NewFixture(t, s, 3)
			var l *entitlement.Ledger
			if c.key != nil {
				// A keyed chain from the start.
				s = entitlement.NewMemStore()
				l = entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}, AuditKey: c.key})
				ok(t, l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "V"}, entitlement.User{ID: "admin@vendor", Name: "A"}))
				for i := range 12 {
					ok(t, l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: fmt.Sprint("p", i), Name: "P", Kind: entitlement.KindDealer}))
				}
			} else {
				l = f.L
				shipSV8100(t, f, f.DistP, "PO1")
				shipSV8100(t, f, f.DistP, "PO2")
			}
			n := must[int](t)(l.VerifyAudit(ctx))
			if n < 10 {
				t.Fatalf("only %d records", n)
			}
			ok(t, s.Update(ctx, c.tamper))
			if _, err := l.VerifyAudit(ctx); !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("%s: VerifyAudit said %v", c.why, err)
			}
		})
	}
}

// TestAuditPlainChainNeedsAnchor documents the limit of an unkeyed chain: whoever can write the
// store can recompute every hash, so the head must be anchored outside (AuditHead) to catch it.
func TestAuditPlainChainNeedsAnchor(t *testing.T) {
	f := newFixture(t)
	shipSV8100(t, f, f.DistP, "PO1")
	_, anchor, err := f.L.AuditHead(ctx)
	ok(t, err)
	ok(t, f.L.Store().Update(ctx, func(tx entitlement.Tx) error {
		if err := editRecord(tx, 9, func(r *entitlement.AuditRecord) { r.User = "x" }); err != nil {
			return err
		}
		return rechain(tx)
	}))
	ok(t, func() error { _, err := f.L.VerifyAudit(ctx); return err }())
	_, head, err := f.L.AuditHead(ctx)
	ok(t, err)
	if string(head) == string(anchor) {
		t.Fatal("a rewritten chain kept the anchored head")
	}
}

// rechain recomputes every hash and the head with an unkeyed SHA-256, as an attacker without the
// audit key would.
func rechain(tx entitlement.Tx) error {
	var keys []string
	var recs []entitlement.AuditRecord
	if err := tx.Scan("audit", "", func(k string, v []byte) (bool, error) {
		var r entitlement.AuditRecord
		keys = append(keys, k)
		recs = append(recs, r)
		return true, cborUnmarshal(v, &recs[len(recs)-1])
	}); err != nil {
		return err
	}
	prev := []byte{}
	for i, r := range recs {
		r.Prev, r.Hash = prev, nil
		b, err := cborx.EncMode().Marshal(r)
		if err != nil {
			return err
		}
		h := sha256.Sum256(append([]byte("lmskit audit v1\n"), b...))
		r.Hash = h[:]
		prev = r.Hash
		if b, err = cborx.EncMode().Marshal(r); err != nil {
			return err
		}
		if err := tx.Put("audit", keys[i], b); err != nil {
			return err
		}
	}
	head, err := cborx.EncMode().Marshal(struct {
		Seq  uint64 `cbor:"1,keyasint"`
		Hash []byte `cbor:"2,keyasint"`
	}{uint64(len(recs)), prev})
	if err != nil {
		return err
	}
	return tx.Put("meta", "audit/head", head)
}

func auditKey(seq uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return string(b[:])
}

// readAudit reads the whole audit log.
func readAudit(tx entitlement.Tx) (keys []string, recs []entitlement.AuditRecord, err error) {
	err = tx.Scan("audit", "", func(k string, v []byte) (bool, error) {
		var r entitlement.AuditRecord
		if err := cborUnmarshal(v, &r); err != nil {
			return false, err
		}
		keys, recs = append(keys, k), append(recs, r)
		return true, nil
	})
	return keys, recs, err
}

// plainHash is an unkeyed chain's hash of a record (what anyone who can write the store can
// compute).
func plainHash(r entitlement.AuditRecord) []byte {
	r.Hash = nil
	b, err := cborx.EncMode().Marshal(r)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(append([]byte("lmskit audit v1\n"), b...))
	return h[:]
}

// putAudit stores a record under its Seq.
func putAudit(tx entitlement.Tx, r entitlement.AuditRecord) error {
	b, err := cborx.EncMode().Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put("audit", auditKey(r.Seq), b)
}

// putHead rewrites the stored audit head.
func putHead(tx entitlement.Tx, seq uint64, hash []byte) error {
	head, err := cborx.EncMode().Marshal(struct {
		Seq  uint64 `cbor:"1,keyasint"`
		Hash []byte `cbor:"2,keyasint"`
	}{seq, hash})
	if err != nil {
		return err
	}
	return tx.Put("meta", "audit/head", head)
}

// editRecord rewrites audit record seq in place, recomputing nothing (a plain-chain attacker would
// have to recompute every later hash and the head; the keyed case shows even that fails).
func editRecord(tx entitlement.Tx, seq uint64, edit func(*entitlement.AuditRecord)) error {
	key := string([]byte{0, 0, 0, 0, 0, 0, 0, byte(seq)})
	v, found, err := tx.Get("audit", key)
	if err != nil || !found {
		return fmt.Errorf("record %d: %v %v", seq, found, err)
	}
	var r entitlement.AuditRecord
	if err := cborUnmarshal(v, &r); err != nil {
		return err
	}
	edit(&r)
	b, err := cborMarshal(r)
	if err != nil {
		return err
	}
	return tx.Put("audit", key, b)
}
