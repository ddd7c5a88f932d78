package entitlement_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/license"
)

// The stored layout of 2026-12-06 (commit 105df30: every location line a record of its own under
// its software key code, the location's index of lines empty) is kept in
// testdata/ledger-layout1.json.gz, written by that code through TestLayout1_Write: every key and
// value of a ledger built by richLedger plus fixed-term lines, a revocation, cancellations and lines
// left attached. testdata/ledger-layout1.reads.json.gz holds what that code read from it (see
// layoutReads) and the SHA-256 of its export. TestLayout1_Reads checks that today's code reads
// the same from it and carries on from it.

const (
	layout1Store = "testdata/ledger-layout1.json.gz"
	layout1Reads = "testdata/ledger-layout1.reads.json.gz"
)

// layoutLedger builds the ledger of the layout fixture on s.
func layoutLedger(t *testing.T, s entitlement.Store) *storetest.Fixture {
	t.Helper()
	f := richLedger(t, s, 400)
	// The fixed-term files of a location download packed: this part issues real files.
	f.L = entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey},
		Clock: storetest.FixedClock{T: time.Date(2019, 7, 17, 11, 0, 0, 0, time.UTC)}, Rand: rand.NewChaCha8([32]byte{7})})
	end := time.Date(2021, 3, 31, 0, 0, 0, 0, time.UTC)
	c := must[entitlement.Customer](t)(f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Fixed term"}))
	loc := must[entitlement.Location](t)(f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Terms", System: "SV8100", HWKC: "191000777001"}))
	s1 := must[[]entitlement.ShippedLine](t)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "LAYOUT-TERM", SO: "SO-T", Lines: []entitlement.OrderLine{
		{Part: "BE107573", Qty: 1}, {Part: "BE107582", Qty: 6}, {Part: "BE107585", Qty: 20, Type: license.TypeSubscription, NotAfter: end},
		{Part: "BE107576", Qty: 2, Type: license.TypePresalesExpansion, NotAfter: end.AddDate(0, 6, 0)}, {Part: "BE107585", Qty: 9}}}))
	lines := must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: s1[0].ID, Qty: 1}, {Line: s1[1].ID, Qty: 4},
		{Line: s1[2].ID, Qty: 12}, {Line: s1[3].ID, Qty: 2}}))
	must[entitlement.Issued](t)(f.L.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	// Revoke a fixed-term line and a permanent one, cancel part of the bin and an attached line.
	more := must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: s1[1].ID, Qty: 1}, {Line: s1[4].ID, Qty: 3}}))
	ok(t, f.L.Update(ctx, f.Admin, "layout.end", func(x *entitlement.Op) error {
		if _, err := x.RevokeLines(loc.ID, []string{lines[1].SKC, lines[2].SKC}); err != nil {
			return err
		}
		if _, err := x.CancelLines(loc.ID, []string{more[0].SKC}); err != nil {
			return err
		}
		if _, err := x.CancelBin(s1[4].ID, 2); err != nil {
			return err
		}
		_, err := x.Reissue(loc.ID)
		return err
	}))
	// Lines left attached on a second location and on this one, for today's code to activate.
	loc2 := must[entitlement.Location](t)(f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Attached only", System: "SV8100", HWKC: "191000777002"}))
	must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc2.ID, []entitlement.Pick{{Line: s1[4].ID, Qty: 2}, {Line: s1[2].ID, Qty: 3}}))
	return f
}

// layoutStore is a raw copy of a store: bucket → key → value, keys hex and values base64.
type layoutStore map[string]map[string][]byte

func writeGzipJSON(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	enc := json.NewEncoder(zw)
	enc.SetIndent("", " ")
	ok(t, enc.Encode(v))
	ok(t, zw.Close())
	ok(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func readGzipJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	ok(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	ok(t, err)
	ok(t, json.NewDecoder(zr).Decode(v))
}

// layoutReads is what the code reads from a ledger: per actor its locations' views, their
// downloads and demo files, every line looked up by its code, the recent lists, the bin and
// inventory, the customers, the lines taken from every shipped line, the fixed-term lines; for
// the administrator the audit log; and the SHA-256 of the export. Each read's result is kept as
// JSON under a name.
func layoutReads(t *testing.T, s entitlement.Store) map[string]json.RawMessage {
	t.Helper()
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: storetest.FixedClock{T: time.Date(2019, 7, 18, 0, 0, 0, 0, time.UTC)}})
	out := map[string]json.RawMessage{}
	put := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			v = "error: " + err.Error()
		}
		b, jerr := json.Marshal(v)
		ok(t, jerr)
		out[name] = b
	}
	admin := entitlement.Actor{User: "admin@vendor"}
	actors := []entitlement.Actor{{User: "ed@distx"}, {User: "dealer@y"}, {User: "zed@distz"}, {User: "ed@distx", As: "dealer@y"}}
	for _, a := range actors {
		locs, err := l.SearchLocations(ctx, a, "", 100000)
		ok(t, err)
		put(a.String()+"/locations", locs, nil)
		for _, loc := range locs {
			v, err := l.Location(ctx, a, loc.ID)
			put(a.String()+"/location/"+loc.ID, v, err)
			f, err := l.Download(ctx, a, loc.ID)
			put(a.String()+"/download/"+loc.ID, f, err)
			d, err := l.DemoFiles(ctx, a, loc.ID)
			put(a.String()+"/demos/"+loc.ID, d, err)
			for _, ln := range slices.Concat(v.Attached, v.Activated, v.History, v.Ended, v.ChildLines) {
				line, at, err := l.LookupSKC(ctx, a, ln.SKC)
				put(a.String()+"/skc/"+ln.SKC, []any{line, at}, err)
			}
			hw, err := l.LookupHWKC(ctx, a, loc.HWKC)
			put(a.String()+"/hwkc/"+loc.HWKC, hw, err)
		}
		att, err := l.RecentlyAttached(ctx, a, 100000)
		put(a.String()+"/recently attached", att, err)
		act, err := l.RecentlyActivated(ctx, a, 100000)
		put(a.String()+"/recently activated", act, err)
		bin, err := l.Bin(ctx, a)
		put(a.String()+"/bin", bin, err)
		inv, err := l.Inventory(ctx, a)
		put(a.String()+"/inventory", inv, err)
		cs, err := l.Customers(ctx, a, "")
		put(a.String()+"/customers", cs, err)
		var sources [][]entitlement.Line
		var terms []entitlement.Line
		err = l.View(ctx, a, "layout.read", func(x *entitlement.Op) error {
			sources, terms = nil, nil
			for _, s := range bin {
				src, err := x.SourceLines(s.ID)
				if err != nil {
					return err
				}
				sources = append(sources, src)
			}
			return x.FixedTermLines(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), func(ln entitlement.Line) (bool, error) {
				terms = append(terms, ln)
				return true, nil
			})
		})
		put(a.String()+"/source lines", sources, err)
		put(a.String()+"/fixed-term lines", terms, err)
	}
	for _, po := range []string{"LAYOUT-TERM", "MIG-PO", "SWA-PO", "PO-dup"} {
		o, err := l.LookupOrder(ctx, admin, po)
		put("admin/order/"+po, o, err)
	}
	var audit []entitlement.AuditRecord
	for after := uint64(0); ; {
		page, err := l.Audit(ctx, admin, after, entitlement.AuditPageMax)
		ok(t, err)
		if len(page) == 0 {
			break
		}
		audit = append(audit, page...)
		after = page[len(page)-1].Seq
	}
	put("admin/audit", audit, nil)
	var exp bytes.Buffer
	_, err := entitlement.Export(ctx, s, &exp)
	ok(t, err)
	sum := sha256.Sum256(exp.Bytes())
	put("export sha256", hex.EncodeToString(sum[:]), nil)
	return out
}

// TestLayout1_Write writes the layout fixture; it runs only with LMSKIT_WRITE_LAYOUT1=1, on the
// code whose layout the fixture keeps.
func TestLayout1_Write(t *testing.T) {
	if os.Getenv("LMSKIT_WRITE_LAYOUT1") != "1" {
		t.Skip("writes testdata/ledger-layout1.*: set LMSKIT_WRITE_LAYOUT1=1 on the code of that layout")
	}
	s := entitlement.NewMemStore()
	layoutLedger(t, s)
	snap := must[entitlement.Snapshot](t)(reopen(s).Snapshot(ctx))
	raw := layoutStore{}
	for b, m := range snap {
		raw[b] = map[string][]byte{}
		for k, v := range m {
			raw[b][hex.EncodeToString([]byte(k))] = []byte(v)
		}
	}
	writeGzipJSON(t, filepath.FromSlash(layout1Store), raw)
	writeGzipJSON(t, filepath.FromSlash(layout1Reads), layoutReads(t, s))
}

// loadLayout1 puts the layout fixture's keys and values into s.
func loadLayout1(t *testing.T, s entitlement.Store) {
	t.Helper()
	var raw layoutStore
	readGzipJSON(t, filepath.FromSlash(layout1Store), &raw)
	ok(t, s.Update(ctx, func(tx entitlement.Tx) error {
		for b, m := range raw {
			for k, v := range m {
				kk, err := hex.DecodeString(k)
				if err != nil {
					return err
				}
				if err := tx.Put(b, string(kk), v); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// TestLayout1_Reads opens a ledger written in the layout of 2026-12-06 on the memory store and on
// the file store: every read gives what that code read, its audit chain verifies, conservation
// holds, its export is the same bytes; then random operations run on it (conservation checked
// after every step), its old attached lines are activated, and an export and import reproduces
// it.
func TestLayout1_Reads(t *testing.T) {
	var want map[string]json.RawMessage
	readGzipJSON(t, filepath.FromSlash(layout1Reads), &want)
	for _, kind := range []string{"memory", "file"} {
		t.Run(kind, func(t *testing.T) {
			var s entitlement.Store = entitlement.NewMemStore()
			if kind == "file" {
				fs, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "ledger"), &entitlement.FileOptions{UnsafeNoSync: true})
				ok(t, err)
				defer fs.Close()
				s = fs
			}
			loadLayout1(t, s)
			got := layoutReads(t, s)
			for name := range want {
				var w bytes.Buffer
				ok(t, json.Compact(&w, want[name]))
				if d := cmp.Diff(w.String(), string(got[name])); d != "" {
					t.Errorf("%s reads differently (-layout 1 +now):\n%s", name, d)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d reads, the fixture has %d", len(got), len(want))
			}
			l := reopen(s)
			if _, err := l.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
			conserved(t, l)
			before := oldLineRecords(t, s)
			carryOn(t, s)
			// Lines the operations changed are in today's layout now; the others stay as they
			// were, and both read (conservation and the export above).
			if after := oldLineRecords(t, s); before == 0 || after >= before || after == 0 {
				t.Errorf("%d line records of layout 1 before the operations, %d after", before, after)
			}
		})
	}
}

// oldLineRecords counts the line records of layout 1: a record under its code, not the location
// id that names where it is now.
func oldLineRecords(t *testing.T, s entitlement.Store) int {
	t.Helper()
	n := 0
	ok(t, s.View(ctx, func(tx entitlement.Tx) error {
		return tx.Scan("skc", "", func(_ string, v []byte) (bool, error) {
			if len(v) > 0 && v[0]>>5 == 5 { // a CBOR map
				n++
			}
			return true, nil
		})
	}))
	return n
}

// carryOn runs operations on a ledger loaded from a fixture: random operations with conservation
// after each, activation of every location's attached lines, and an export and import that
// reproduces the result.
func carryOn(t *testing.T, s entitlement.Store) {
	t.Helper()
	f := guideFixture(t, s, 9)
	r := rand.New(rand.NewPCG(9, 9))
	seq := 1000
	acts := actorsOf(f)
	for i := range 150 {
		ac := acts[r.IntN(len(acts))]
		name, err := randomOp(r, f, ac.a, ac.partner, &seq)
		if err != nil && !expected(err) {
			t.Fatalf("step %d (%s): %v", i, name, err)
		}
		if err := entitlement.CheckConservation(ctx, s); err != nil {
			t.Fatalf("step %d (%s): %v", i, name, err)
		}
	}
	for _, a := range []entitlement.Actor{f.Dist, f.Dealer, f.Other} {
		for _, loc := range must[[]entitlement.Location](t)(f.L.SearchLocations(ctx, a, "", 100000)) {
			v := must[entitlement.LocationView](t)(f.L.Location(ctx, a, loc.ID))
			if len(v.Attached) == 0 {
				continue
			}
			if _, err := f.L.Activate(ctx, a, loc.ID, entitlement.Activation{AcceptAgreement: true}); err != nil && !expected(err) {
				t.Fatalf("activate %s: %v", loc.ID, err)
			}
			conserved(t, f.L)
		}
	}
	if _, err := f.L.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	must[int](t)(entitlement.Export(ctx, s, &buf))
	s2 := entitlement.NewMemStore()
	must[int](t)(entitlement.Import(context.Background(), s2, bytes.NewReader(buf.Bytes()), nil))
	var again bytes.Buffer
	must[int](t)(entitlement.Export(ctx, s2, &again))
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("the export of the imported ledger differs")
	}
	if n := fmt.Sprint(len(buf.Bytes())); n == "0" {
		t.Fatal("empty export")
	}
}
