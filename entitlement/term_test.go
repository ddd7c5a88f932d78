package entitlement_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/ledgertest"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// termLedger is a ledger with the real license issuer, a clock the test moves, the fixture's
// partners and an SV8100 location of the distributor.
type termLedger struct {
	*storetest.Fixture
	l     *entitlement.Ledger
	clock *ledgertest.Clock
	loc   entitlement.Location
	t     *testing.T
}

var (
	end1 = t0.AddDate(1, 0, 0)
	end2 = t0.AddDate(2, 0, 0)
)

func newTermLedger(t *testing.T) *termLedger {
	t.Helper()
	s := storetest.Retrying(entitlement.NewMemStore())
	f := storetest.NewFixture(t, s, 3)
	c := ledgertest.NewClock(t0)
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: c,
		Rand: rand.NewChaCha8([32]byte{3}), Rules: map[string]entitlement.Rules{}})
	f.L = l
	tl := &termLedger{Fixture: f, l: l, clock: c, t: t}
	tl.loc = newLocation(t, f, f.Dist, "SV8100", "191000343919")
	return tl
}

// ship ships lines to the distributor under po.
func (tl *termLedger) ship(po string, lines ...entitlement.OrderLine) []entitlement.ShippedLine {
	tl.t.Helper()
	return must[[]entitlement.ShippedLine](tl.t)(tl.l.Ship(ctx, tl.Admin, entitlement.Order{Partner: tl.DistP, PO: po, SO: po, Lines: lines}))
}

// activate attaches everything shipped and activates it, returning the download.
func (tl *termLedger) activate(s []entitlement.ShippedLine) entitlement.Issued {
	tl.t.Helper()
	must[[]entitlement.Line](tl.t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, picksAll(s)))
	return must[entitlement.Issued](tl.t)(tl.l.Activate(ctx, tl.Dist, tl.loc.ID, entitlement.Activation{AcceptAgreement: true}))
}

// files opens every file of a download.
func (tl *termLedger) files(d entitlement.Issued) []*license.File {
	tl.t.Helper()
	var out []*license.File
	for _, signed := range must[[][]byte](tl.t)(license.ReadSVIZipFiles(d.Data)) {
		out = append(out, must[*license.File](tl.t)(license.Open(signed, issuerKeyring(tl.t))))
	}
	return out
}

// TestDoc002_OrderLineEntitlementType: every shipped order line carries an entitlement type from
// the one table, T by default; a fixed-term type needs its end and T has none; anything else is
// refused, naming the line, and changes nothing.
func TestDoc002_OrderLineEntitlementType(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-T", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107582", Qty: 2, Type: "T"},
		entitlement.OrderLine{Part: "BE107585", Qty: 3, Type: license.TypeSubscription, NotAfter: end1.Add(1500 * time.Millisecond)})
	for i, want := range []license.EntitlementType{"T", "T", "S"} {
		if got := s[i].EntitlementType(); got != want {
			t.Errorf("line %d: type %s, want %s", i, got, want)
		}
	}
	if s[1].Type != "" || !s[0].NotAfter.IsZero() || !s[2].NotAfter.Equal(end1.Add(time.Second)) || s[2].NotAfter.Location() != time.UTC {
		t.Errorf("stored forms: %q, %v, %v (T kept as empty, ends to the second in UTC)", s[1].Type, s[0].NotAfter, s[2].NotAfter)
	}
	if !s[2].EntitlementType().FixedTerm() || s[2].EntitlementType().Commercial() != true || s[0].EntitlementType().FixedTerm() {
		t.Error("the categories are not the table's")
	}
	for _, tc := range []struct {
		name string
		line entitlement.OrderLine
		want string
	}{
		{"fixed-term without end", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: license.TypePresalesExpansion}, "type C (Pre-sales expansion) is fixed-term: it needs its end"},
		{"T with an end", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "T", NotAfter: end1}, "is permanent: it has no end"},
		{"default with an end", entitlement.OrderLine{Part: "BE107573", Qty: 1, NotAfter: end1}, "is permanent"},
		{"unknown type", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "Q", NotAfter: end1}, `type "Q" is none of`},
		{"lower-case type", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "s", NotAfter: end1}, `type "s" is none of`},
		{"ends before the shipment", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "S", NotAfter: t0.Add(-time.Hour)}, "not after the shipment"},
		{"ends at the shipment", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "S", NotAfter: t0}, "not after the shipment"},
		{"ends after 9999", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: "S", NotAfter: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "after the year 9999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))
			_, err := tl.l.Ship(ctx, tl.Admin, entitlement.Order{Partner: tl.DistP, PO: "PO-X", SO: "SO-X",
				Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}, tc.line}})
			if !errors.Is(err, entitlement.ErrInvalid) || !strings.Contains(err.Error(), "order line 2") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid on order line 2 saying %q", err, tc.want)
			}
			if d := cmp.Diff(before, must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))); d != "" {
				t.Fatalf("a refused shipment changed the ledger:\n%s", d)
			}
		})
	}
	// A reshipment keeps the type and end; so does a location line.
	ok(t, tl.l.SetAllowance(ctx, tl.Admin, tl.DistP, tl.DealerP, true))
	rs := must[entitlement.Reshipment](t)(tl.l.Reship(ctx, tl.Dist, entitlement.ReshipRequest{DealerUser: tl.Dealer.User, PO: "R1", SO: "R1",
		Picks: []entitlement.Pick{{Line: s[2].ID, Qty: 1}}}))
	bin := must[[]entitlement.ShippedLine](t)(tl.l.Bin(ctx, tl.Dealer))
	if len(bin) != 1 || bin[0].ID != rs.Lines[0].To || bin[0].Type != "S" || !bin[0].NotAfter.Equal(s[2].NotAfter) {
		t.Fatalf("reshipped line %+v", bin)
	}
	att := must[[]entitlement.Line](t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, []entitlement.Pick{{Line: s[2].ID, Qty: 2}}))
	if att[0].EntitlementType() != "S" || !att[0].FixedTerm() || !att[0].NotAfter.Equal(s[2].NotAfter) {
		t.Fatalf("attached line %+v", att[0])
	}
	conserved(t, tl.l)
}

// oldShippedLine is ShippedLine as it was stored before entitlement types: keys 1 to 13.
type oldShippedLine struct {
	ID           uint64    `cbor:"1,keyasint"`
	Partner      string    `cbor:"2,keyasint"`
	PO           string    `cbor:"3,keyasint"`
	SO           string    `cbor:"4,keyasint"`
	Part         string    `cbor:"5,keyasint"`
	Shipped      int64     `cbor:"6,keyasint"`
	InBin        int64     `cbor:"7,keyasint"`
	Attached     int64     `cbor:"8,keyasint"`
	Activated    int64     `cbor:"9,keyasint"`
	ReshippedOut int64     `cbor:"10,keyasint"`
	Returned     int64     `cbor:"11,keyasint"`
	Parent       uint64    `cbor:"12,keyasint,omitempty"`
	ShippedAt    time.Time `cbor:"13,keyasint"`
}

// TestDoc002_OldRecordsAreTypeT: ledgers written before entitlement types still open: an old
// record reads as type T, permanent, with nothing revoked or cancelled, and a T line is stored
// exactly as before (an old reader reads it).
func TestDoc002_OldRecordsAreTypeT(t *testing.T) {
	old := oldShippedLine{ID: 7, Partner: "distx", PO: "P", SO: "S", Part: "BE107573", Shipped: 3, InBin: 3, ShippedAt: t0}
	b := must[[]byte](t)(cborMarshal(old))
	var now entitlement.ShippedLine
	ok(t, cborUnmarshal(b, &now))
	if now.EntitlementType() != license.TypeCommerce || !now.NotAfter.IsZero() || now.Revoked != 0 || now.Cancelled != 0 || now.Shipped != 3 {
		t.Fatalf("old record reads as %+v", now)
	}
	tl := newTermLedger(t)
	s := tl.ship("PO-OLD", entitlement.OrderLine{Part: "BE107573", Qty: 1})
	snap := must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))
	for _, v := range snap["lines"] {
		var back oldShippedLine
		if err := strictDecode([]byte(v), &back); err != nil || back.ID != s[0].ID {
			t.Fatalf("a T line is not stored as an old reader reads it: %v", err)
		}
	}
	// The ledger opened on old records: the books check out and a download works.
	tl.activate(s)
	conserved(t, tl.l)
}

// TestDoc002_FixedTermFilesPerTypeAndEnd: a license file has one term, so a location's
// fixed-term lines are issued in their own file per type and end date, beside its permanent
// file, each carrying the type code and its end; the download holds every current file.
func TestDoc002_FixedTermFilesPerTypeAndEnd(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-MIX",
		entitlement.OrderLine{Part: "BE107573", Qty: 1},
		entitlement.OrderLine{Part: "BE107582", Qty: 5, Type: license.TypeSubscription, NotAfter: end1},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: license.TypeSubscription, NotAfter: end2},
		entitlement.OrderLine{Part: "BE107576", Qty: 1, Type: license.TypePresalesExpansion, NotAfter: end1},
		entitlement.OrderLine{Part: "BE107585", Qty: 4, Type: license.TypeSubscription, NotAfter: end1})
	d := tl.activate(s)
	if d.Name != "191000343919-svi.zip" || len(d.Contents) != 4 {
		t.Fatalf("download %v with %d files", d, len(d.Contents))
	}
	files := tl.files(d)
	type view struct {
		Term     license.Term
		Type     string
		NotAfter time.Time
		Parts    string
	}
	var got []view
	for _, f := range files {
		var parts []string
		for _, ln := range f.Lines {
			parts = append(parts, ln.Part+"="+strconv.Itoa(ln.Qty))
		}
		got = append(got, view{f.Term, f.Entitlement, f.NotAfter, strings.Join(parts, " ")})
	}
	want := []view{
		{license.Permanent, "", time.Time{}, "BE107573=1"},
		{license.Temporary, "C", end1, "BE107576=1"},
		{license.Temporary, "S", end1, partsIn(files[2], "BE107582=5", "BE107585=4")},
		{license.Temporary, "S", end2, "BE107585=20"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	for _, f := range files {
		ok(t, f.Check(host, t0.Add(time.Hour)))
		if f.Term == license.Temporary {
			if err := f.Check(host, f.NotAfter); !errors.Is(err, license.ErrExpired) {
				t.Errorf("fixed-term file %s at its end: %v", f.Serial, err)
			}
		} else if err := f.Check(host, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Errorf("the permanent file expires: %v", err) // a permanent type never expires
		}
	}
	v := must[entitlement.LocationView](t)(tl.l.Location(ctx, tl.Dist, tl.loc.ID))
	if v.File == nil || len(v.TermFiles) != 3 || v.TermFiles[0].Type != "C" || !v.TermFiles[2].NotAfter.Equal(end2) {
		t.Fatalf("location view: %+v %+v", v.File, v.TermFiles)
	}
	again := must[entitlement.Issued](t)(tl.l.Download(ctx, tl.Dist, tl.loc.ID))
	if !bytes.Equal(again.Data, d.Data) || !slices.Equal(again.Contents, d.Contents) {
		t.Fatal("the download is not what activation returned")
	}
	// Once the first end passes, the download holds the permanent file and the file ending
	// later; the permanent file goes on.
	tl.clock.Set(end1)
	later := must[entitlement.Issued](t)(tl.l.Download(ctx, tl.Dist, tl.loc.ID))
	if len(later.Contents) != 2 || later.Contents[1].Type != "S" || !later.Contents[1].NotAfter.Equal(end2) {
		t.Fatalf("after the first end: %+v", later.Contents)
	}
	re := must[entitlement.Issued](t)(tl.l.Regenerate(ctx, tl.Dist, tl.loc.ID))
	if len(tl.files(re)) != 2 {
		t.Fatalf("regenerate after the first end issued %d files", len(re.Contents))
	}
	conserved(t, tl.l)
}

// strictDecode decodes as a reader that knows only v's fields: an unknown key is an error.
func strictDecode(b []byte, v any) error {
	dm, err := cbor.DecOptions{ExtraReturnErrors: cbor.ExtraDecErrorUnknownField}.DecMode()
	if err != nil {
		return err
	}
	return dm.Unmarshal(b, v)
}

// partsIn returns the parts of f in its order (its lines are in software key code order), so the
// expected string does not depend on the random codes.
func partsIn(f *license.File, want ...string) string {
	var out []string
	for _, ln := range f.Lines {
		for _, w := range want {
			if strings.HasPrefix(w, ln.Part+"=") {
				out = append(out, w)
			}
		}
	}
	return strings.Join(out, " ")
}

// TestDoc002_FixedTermAttachRules: an ended entitlement neither attaches nor activates; a
// location whose download holds one file per machine takes no fixed-term line.
func TestDoc002_FixedTermAttachRules(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-END", entitlement.OrderLine{Part: "BE107573", Qty: 1, Type: license.TypeTrial, NotAfter: t0.Add(48 * time.Hour)},
		entitlement.OrderLine{Part: "BE107582", Qty: 1, Type: license.TypeTrial, NotAfter: t0.Add(24 * time.Hour)})
	att := must[[]entitlement.Line](t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, picksAll(s[:1])))
	tl.clock.Set(t0.Add(24 * time.Hour))
	if _, err := tl.l.Attach(ctx, tl.Dist, tl.loc.ID, picksAll(s[1:])); !errors.Is(err, entitlement.ErrState) || !strings.Contains(err.Error(), "ended") {
		t.Fatalf("attach of an ended entitlement: %v", err)
	}
	tl.clock.Set(t0.Add(48 * time.Hour))
	if _, err := tl.l.Activate(ctx, tl.Dist, tl.loc.ID, entitlement.Activation{AcceptAgreement: true, SKCs: []string{att[0].SKC}}); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("activation of an ended entitlement: %v", err)
	}
}

// TestDoc002_FixedTermNotOnOneFileContainers: BX/OVOC downloads hold one file per machine and
// external products' files come from outside: neither takes a fixed-term line.
func TestDoc002_FixedTermNotOnOneFileContainers(t *testing.T) {
	o := newOps(t, map[string]entitlement.Rules{"RCC": externalRule{}})
	loc := o.loc("RCC", "aa0014SA2792886419AA")
	s := must[[]entitlement.ShippedLine](t)(o.l.Ship(ctx, o.Admin, entitlement.Order{Partner: o.DistP, PO: "P", SO: "S",
		Lines: []entitlement.OrderLine{{Part: "TESTRCC1", Qty: 1, Type: "S", NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}}))
	if _, err := o.l.Attach(ctx, o.Dist, loc.ID, picksAll(s)); !errors.Is(err, entitlement.ErrInvalid) || !strings.Contains(err.Error(), "external product") {
		t.Fatalf("fixed-term line on an external product: %v", err)
	}
}

// TestOp_RevokeAndCancel: the capabilities that end entitlements move quantities and keep
// conservation; the wrong state, quantity or partner is refused and changes nothing.
func TestOp_RevokeAndCancel(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-RC", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107582", Qty: 5},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: "S", NotAfter: end1})
	act := must[[]entitlement.Line](t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}, {Line: s[2].ID, Qty: 10}}))
	must[entitlement.Issued](t)(tl.l.Activate(ctx, tl.Dist, tl.loc.ID, entitlement.Activation{AcceptAgreement: true}))
	att := must[[]entitlement.Line](t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, []entitlement.Pick{{Line: s[1].ID, Qty: 2}}))
	up := func(fn func(x *entitlement.Op) error) error { return tl.l.Update(ctx, tl.Admin, "test.end", fn) }
	refused := func(want error, fn func(x *entitlement.Op) error) {
		t.Helper()
		before := must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))
		if err := up(fn); !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
		if d := cmp.Diff(before, must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))); d != "" {
			t.Fatalf("a refusal changed the ledger:\n%s", d)
		}
	}
	refused(entitlement.ErrState, func(x *entitlement.Op) error { _, err := x.RevokeLines(tl.loc.ID, []string{att[0].SKC}); return err })
	refused(entitlement.ErrState, func(x *entitlement.Op) error { _, err := x.CancelLines(tl.loc.ID, []string{act[0].SKC}); return err })
	refused(entitlement.ErrInvalid, func(x *entitlement.Op) error { _, err := x.RevokeLines(tl.loc.ID, nil); return err })
	refused(entitlement.ErrQuantity, func(x *entitlement.Op) error { _, err := x.CancelBin(s[1].ID, 4); return err })
	refused(entitlement.ErrInvalid, func(x *entitlement.Op) error { _, err := x.CancelBin(s[1].ID, 0); return err })
	if err := tl.l.Update(ctx, tl.Other, "test.end", func(x *entitlement.Op) error { _, err := x.CancelBin(s[1].ID, 1); return err }); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner's line: %v", err)
	}
	ok(t, up(func(x *entitlement.Op) error {
		if _, err := x.RevokeLines(tl.loc.ID, []string{act[1].SKC}); err != nil {
			return err
		}
		if _, err := x.CancelLines(tl.loc.ID, []string{att[0].SKC}); err != nil {
			return err
		}
		if _, err := x.CancelBin(s[1].ID, 3); err != nil {
			return err
		}
		_, err := x.Reissue(tl.loc.ID)
		return err
	}))
	conserved(t, tl.l)
	inv := must[[]entitlement.PartStock](t)(tl.l.Inventory(ctx, tl.Dist))
	byPart := map[string]entitlement.PartStock{}
	for _, p := range inv {
		byPart[p.Part] = p
	}
	if p := byPart["BE107585"]; p.Revoked != 10 || p.InBin != 10 || p.Activated != 0 {
		t.Errorf("revoked line's stock %+v", p)
	}
	if p := byPart["BE107582"]; p.Cancelled != 5 || p.InBin != 0 || p.Attached != 0 {
		t.Errorf("cancelled line's stock %+v", p)
	}
	v := must[entitlement.LocationView](t)(tl.l.Location(ctx, tl.Dist, tl.loc.ID))
	if len(v.Ended) != 2 || len(v.Activated) != 1 || len(v.Attached) != 0 {
		t.Fatalf("location view: %d ended, %d activated, %d attached", len(v.Ended), len(v.Activated), len(v.Attached))
	}
	for _, ln := range v.Ended {
		if !ln.EndedAt.Equal(t0) || ln.State != entitlement.StateRevoked && ln.State != entitlement.StateCancelled {
			t.Errorf("ended line %+v", ln)
		}
	}
}

// TestDoc002_RevokedLineLeavesTheFile: revoking an activated line re-issues the location's files
// without it; the file that held it (and only that kind) now supersedes its series, and a
// fixed-term file that lost every line is issued empty, so it still ends what it granted.
func TestDoc002_RevokedLineLeavesTheFile(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-RV", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107582", Qty: 5},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: "S", NotAfter: end1})
	first := tl.files(tl.activate(s))
	lines := must[entitlement.LocationView](t)(tl.l.Location(ctx, tl.Dist, tl.loc.ID)).Activated
	skcOf := func(part string) string {
		for _, ln := range lines {
			if ln.Part == part {
				return ln.SKC
			}
		}
		t.Fatalf("no line of %s", part)
		return ""
	}
	revoke := func(skc string) entitlement.Issued {
		var d entitlement.Issued
		ok(t, tl.l.Update(ctx, tl.Admin, "test.revoke", func(x *entitlement.Op) error {
			if _, err := x.RevokeLines(tl.loc.ID, []string{skc}); err != nil {
				return err
			}
			var err error
			d, err = x.Reissue(tl.loc.ID)
			return err
		}))
		return d
	}
	second := tl.files(revoke(skcOf("BE107582")))
	if len(second) != 2 || second[0].Supersedes != tl.loc.ID || second[0].Version != license.FormatVersionSupersedes ||
		len(second[0].Lines) != 1 || second[0].Lines[0].Part != "BE107573" {
		t.Fatalf("permanent file after the revocation: %+v", second[0])
	}
	if !second[0].SupersedesFile(first[0]) || second[0].SupersedesFile(first[1]) {
		t.Fatal("the new permanent file supersedes the wrong files")
	}
	if second[1].Supersedes != "" || second[1].Version != license.FormatVersion {
		t.Fatalf("the fixed-term file lost nothing, yet supersedes: %+v", second[1])
	}
	third := tl.files(revoke(skcOf("BE107585")))
	if len(third) != 2 || len(third[1].Lines) != 0 || third[1].Entitlement != "S" || !third[1].SupersedesFile(first[1]) || !third[1].SupersedesFile(second[1]) {
		t.Fatalf("fixed-term file after its only line was revoked: %+v", third[1])
	}
	conserved(t, tl.l)
}

// TestOp_FixedTermLines: the index by end lists activated fixed-term lines in a window, in end
// order, to the actor's scope; revocation takes a line out.
func TestOp_FixedTermLines(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-W", entitlement.OrderLine{Part: "BE107573", Qty: 1},
		entitlement.OrderLine{Part: "BE107582", Qty: 5, Type: "S", NotAfter: end2},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: "L", NotAfter: end1})
	tl.activate(s)
	window := func(a entitlement.Actor, from, to time.Time) []string {
		var out []string
		ok(t, tl.l.View(ctx, a, "test.window", func(x *entitlement.Op) error {
			return x.FixedTermLines(from, to, func(ln entitlement.Line) (bool, error) {
				out = append(out, ln.Part)
				return true, nil
			})
		}))
		return out
	}
	if got := window(tl.Admin, t0, end2.Add(time.Second)); !slices.Equal(got, []string{"BE107585", "BE107582"}) {
		t.Fatalf("window: %v", got)
	}
	if got := window(tl.Dist, end1.Add(time.Second), end2.Add(time.Second)); !slices.Equal(got, []string{"BE107582"}) {
		t.Fatalf("later window: %v", got)
	}
	if got := window(tl.Other, t0, end2.Add(time.Second)); len(got) != 0 {
		t.Fatalf("another partner sees %v", got)
	}
	if got := window(tl.Admin, t0, end1); len(got) != 0 {
		t.Fatalf("the window's end is exclusive: %v", got)
	}
}

// TestOp_IssueFile: a file for a host the ledger has no location for (an ESN), checked like the
// ledger's own requests.
func TestOp_IssueFile(t *testing.T) {
	tl := newTermLedger(t)
	esn := entitlement.System{Name: "ESN", Keycode: keycode.ESN}
	good := entitlement.IssueRequest{Location: entitlement.Location{ID: "TL-1", HWKC: "2102350DLF10H1000123"}, System: esn, Serial: 1,
		Type: license.TypePresalesExpansion, NotAfter: t0.AddDate(0, 0, 30),
		Lines: []entitlement.IssueLine{{Part: "EN-AP", Kind: entitlement.PartCount, Qty: 4}}}
	var f entitlement.Issued
	ok(t, tl.l.Update(ctx, tl.Admin, "test.issue", func(x *entitlement.Op) error {
		var err error
		f, err = x.IssueFile(good)
		return err
	}))
	lf := must[*license.File](t)(license.Open(must[[]byte](t)(license.ReadSVIZip(f.Data)), issuerKeyring(t)))
	if lf.Serial != "TL-1:C:"+t0.AddDate(0, 0, 30).Format("20060102150405")+".1" || lf.Term != license.Temporary || lf.Entitlement != "C" ||
		!lf.NotAfter.Equal(good.NotAfter) || lf.Host.System != keycode.ESN || f.Type != "C" {
		t.Fatalf("file %+v", lf)
	}
	for name, change := range map[string]func(r *entitlement.IssueRequest){
		"no id":        func(r *entitlement.IssueRequest) { r.Location.ID = "" },
		"code not ESN": func(r *entitlement.IssueRequest) { r.Location.HWKC = "2102-35" },
		"code lower":   func(r *entitlement.IssueRequest) { r.Location.HWKC = "2102350dlf10h1000123" },
		"no system":    func(r *entitlement.IssueRequest) { r.System = entitlement.System{} },
		"serial 0":     func(r *entitlement.IssueRequest) { r.Serial = 0 },
		"demo":         func(r *entitlement.IssueRequest) { r.Demo = true },
		"no lines":     func(r *entitlement.IssueRequest) { r.Lines = nil },
		"zero quantity": func(r *entitlement.IssueRequest) {
			r.Lines = []entitlement.IssueLine{{Part: "P", Kind: entitlement.PartCount}}
		},
		"no kind":      func(r *entitlement.IssueRequest) { r.Lines = []entitlement.IssueLine{{Part: "P", Qty: 1}} },
		"no end":       func(r *entitlement.IssueRequest) { r.NotAfter = time.Time{} },
		"ended":        func(r *entitlement.IssueRequest) { r.NotAfter = t0 },
		"T with end":   func(r *entitlement.IssueRequest) { r.Type = "T" },
		"unknown type": func(r *entitlement.IssueRequest) { r.Type = "Z" },
		"bad part": func(r *entitlement.IssueRequest) {
			r.Lines = []entitlement.IssueLine{{Part: " P", Kind: entitlement.PartCount, Qty: 1}}
		},
		"quantity large": func(r *entitlement.IssueRequest) {
			r.Lines = []entitlement.IssueLine{{Part: "P", Kind: entitlement.PartCount, Qty: 1 << 40}}
		},
	} {
		r := good
		change(&r)
		err := tl.l.Update(ctx, tl.Admin, "test.issue", func(x *entitlement.Op) error { _, err := x.IssueFile(r); return err })
		if !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestExportImport_TermFilesAndEndedLines: term files, the index by end and ended lines survive
// an export and import, and the imported ledger checks out.
func TestExportImport_TermFilesAndEndedLines(t *testing.T) {
	tl := newTermLedger(t)
	s := tl.ship("PO-EX", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107582", Qty: 5},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: "S", NotAfter: end1})
	tl.activate(s[:1])
	must[[]entitlement.Line](t)(tl.l.Attach(ctx, tl.Dist, tl.loc.ID, picksAll(s[1:])))
	lines := must[entitlement.LocationView](t)(tl.l.Location(ctx, tl.Dist, tl.loc.ID)).Attached
	ok(t, tl.l.Update(ctx, tl.Admin, "test.end", func(x *entitlement.Op) error {
		var cancel, activate []string
		for _, ln := range lines {
			if ln.Part == "BE107582" {
				cancel = append(cancel, ln.SKC)
			} else {
				activate = append(activate, ln.SKC)
			}
		}
		if _, err := x.CancelLines(tl.loc.ID, cancel); err != nil {
			return err
		}
		if _, err := x.ActivateLines(tl.loc.ID, activate); err != nil {
			return err
		}
		_, err := x.Reissue(tl.loc.ID)
		return err
	}))
	var buf bytes.Buffer
	must[int](t)(tl.l.Backup(ctx, &buf))
	if !strings.Contains(buf.String(), `"type":"term_file"`) {
		t.Fatal("the export has no term file")
	}
	s2 := entitlement.NewMemStore()
	must[int](t)(entitlement.Import(ctx, s2, &buf, nil))
	a := must[entitlement.Snapshot](t)(tl.l.Snapshot(ctx))
	b := must[entitlement.Snapshot](t)(entitlement.New(s2, entitlement.Config{}).Snapshot(ctx))
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("the import differs (-exported +imported):\n%s", d)
	}
}
