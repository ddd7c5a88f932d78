package entitlement_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// opsLedger is a ledger on a retrying store (every update runs twice) with the fixture's partners,
// a customer of the distributor, a catalog with an external product, and rules registered by the
// test.
type opsLedger struct {
	*storetest.Fixture
	l    *entitlement.Ledger
	cust entitlement.Customer
	t    *testing.T
}

// externalRule marks a system's files as supplied from outside.
type externalRule struct{ warnRules }

func (externalRule) Activate(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}
func (externalRule) ExternalFile() bool { return true }

func opsCatalog(t *testing.T) *entitlement.Catalog {
	t.Helper()
	b, err := readDefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"parts": [`, `"parts": [
  {"part": "TESTRCC1", "name": "RCC base", "kind": "flag", "systems": ["RCC"]},`, 1)
	c, err := entitlement.ParseCatalog(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newOps(t *testing.T, rules map[string]entitlement.Rules) *opsLedger {
	t.Helper()
	s := storetest.Retrying(entitlement.NewMemStore())
	f := storetest.NewFixture(t, s, 21)
	l := entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}, Clock: storetest.FixedClock{T: time.Date(2019, 7, 17, 9, 30, 0, 0, time.UTC)},
		Rand: rand.NewChaCha8([32]byte{21}), Catalog: opsCatalog(t), Rules: rules})
	o := &opsLedger{Fixture: f, l: l, t: t}
	o.cust = must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Ops customer"}))
	return o
}

func (o *opsLedger) loc(system, code string) entitlement.Location {
	o.t.Helper()
	return must[entitlement.Location](o.t)(o.l.CreateLocation(ctx, o.Dist, entitlement.Location{Customer: o.cust.ID, Name: system + " " + code,
		System: system, HWKC: code}))
}

// activated ships parts to the distributor, attaches them to loc and activates them.
func (o *opsLedger) activated(loc string, po string, lines ...entitlement.OrderLine) {
	o.t.Helper()
	s := must[[]entitlement.ShippedLine](o.t)(o.l.Ship(ctx, o.Admin, entitlement.Order{Partner: o.DistP, PO: po, SO: po, Lines: lines}))
	must[[]entitlement.Line](o.t)(o.l.Attach(ctx, o.Dist, loc, picksAll(s)))
	must[entitlement.Issued](o.t)(o.l.Activate(ctx, o.Dist, loc, entitlement.Activation{AcceptAgreement: true}))
}

// update runs fn as one operation of the distributor's user.
func (o *opsLedger) update(a entitlement.Actor, fn func(x *entitlement.Op) error) error {
	return o.l.Update(ctx, a, "test.op", fn)
}

// refused runs an operation that must fail with want and change nothing.
func (o *opsLedger) refused(want error, a entitlement.Actor, fn func(x *entitlement.Op) error) {
	o.t.Helper()
	before := must[entitlement.Snapshot](o.t)(o.l.Snapshot(ctx))
	if err := o.update(a, fn); !errors.Is(err, want) {
		o.t.Fatalf("got %v, want %v", err, want)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](o.t)(o.l.Snapshot(ctx))); d != "" {
		o.t.Fatalf("a refusal changed the ledger:\n%s", d)
	}
}

func TestOp_SaveLocation(t *testing.T) {
	o := newOps(t, nil)
	loc := o.loc("SV8100", "191000343919")
	err := o.update(o.Dist, func(x *entitlement.Op) error {
		l, err := x.Location(loc.ID)
		if err != nil {
			return err
		}
		l.SetAttr("note", "first")
		l.SetAttr("note", "second") // SetAttr replaces
		l.Imported = true
		l.Name = "Renamed location"
		return x.SaveLocation(l)
	})
	ok(t, err)
	v := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, loc.ID))
	if got, _ := v.Attr("note"); got != "second" || len(v.Attrs) != 1 || !v.Imported || v.Name != "Renamed location" {
		t.Fatalf("saved %+v", v.Location)
	}
	// The name index follows the name: the desk finds the new name, not the old one.
	if found := must[[]entitlement.Location](t)(o.l.SearchLocations(ctx, o.Admin, "renamed", 0)); len(found) != 1 {
		t.Fatalf("search by the new name found %d", len(found))
	}
	if found := must[[]entitlement.Location](t)(o.l.SearchLocations(ctx, o.Admin, "SV8100 191", 0)); len(found) != 0 {
		t.Fatalf("search by the old name found %+v", found)
	}
	for name, edit := range map[string]func(*entitlement.Location){
		"system":       func(l *entitlement.Location) { l.System = "SV9100 CP10" },
		"code":         func(l *entitlement.Location) { l.HWKC = "191000343920" },
		"secondary":    func(l *entitlement.Location) { l.SecondaryHWKC = "191000343920" },
		"former codes": func(l *entitlement.Location) { l.FormerHWKC = []string{"191000343920"} },
		"partner":      func(l *entitlement.Location) { l.Partner = o.OtherP },
		"customer":     func(l *entitlement.Location) { l.Customer = "x" },
		"parent":       func(l *entitlement.Location) { l.Parent = "x" },
		"demos":        func(l *entitlement.Location) { l.DemosLeft = 99 },
		"serial":       func(l *entitlement.Location) { l.FileSerial = 99 },
		"created":      func(l *entitlement.Location) { l.Created = l.Created.Add(time.Hour) },
		"empty name":   func(l *entitlement.Location) { l.Name = "" },
		"bad attr":     func(l *entitlement.Location) { l.Attrs = append(l.Attrs, entitlement.Attr{Name: "", Value: "x"}) },
		"twice attr":   func(l *entitlement.Location) { l.Attrs = append(l.Attrs, entitlement.Attr{Name: "note", Value: "x"}) },
	} {
		t.Run(name, func(t *testing.T) {
			o.t = t
			o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error {
				l, err := x.Location(loc.ID)
				if err != nil {
					return err
				}
				edit(&l)
				return x.SaveLocation(l)
			})
		})
	}
	o.t = t
	// Another partner's location does not exist for SaveLocation either.
	o.refused(entitlement.ErrNotFound, o.Other, func(x *entitlement.Op) error { return x.SaveLocation(loc) })
}

func TestOp_RekeyRetiresTheOldCode(t *testing.T) {
	o := newOps(t, nil)
	loc := o.loc("SV9100 CP10", "341006761783")
	taken := o.loc("SV9100 CP20", "441018029548")
	o.activated(loc.ID, "PO1", ol("BE114063", 2))
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.Rekey(loc.ID, "", "341006761783"); return err })
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.Rekey(loc.ID, "", "441018029547"); return err })
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.Rekey(loc.ID, "SV9100", "441018029547"); return err })
	o.refused(entitlement.ErrExists, o.Dist, func(x *entitlement.Op) error { _, err := x.Rekey(loc.ID, "SV9100 CP20", taken.HWKC); return err })
	o.refused(entitlement.ErrNotFound, o.Other, func(x *entitlement.Op) error { _, err := x.Rekey(loc.ID, "", "341006761784"); return err })
	var got entitlement.Location
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		var err error
		got, err = x.Rekey(loc.ID, "sv9100 cp20", "441018029547") // any spelling of the system
		return err
	}))
	if got.HWKC != "441018029547" || got.System != "SV9100 CP20" || !slices.Equal(got.FormerHWKC, []string{"341006761783"}) {
		t.Fatalf("rekeyed %+v", got)
	}
	if r := lastAudit(t, o.l, o.Admin); !slices.Equal(r.Refs, []string{"hwkc:341006761783", "hwkc:441018029547"}) {
		t.Fatalf("audit refs %v", r.Refs)
	}
	// The old code is retired: found by the lookup, refused for a new location.
	if v := must[entitlement.LocationView](t)(o.l.LookupHWKC(ctx, o.Dist, "341006761783")); v.ID != loc.ID {
		t.Fatalf("old code finds %s", v.ID)
	}
	_, err := o.l.CreateLocation(ctx, o.Dist, entitlement.Location{Customer: o.cust.ID, Name: "reuse", System: "SV9100 CP10", HWKC: "341006761783"})
	if !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("a location for the retired code: %v", err)
	}
	// Rekey does not issue: the stored file still names the old code until Reissue.
	if f := must[entitlement.Issued](t)(o.l.Download(ctx, o.Dist, loc.ID)); f.Name != "341006761783-svi.zip" {
		t.Fatalf("file %q", f.Name)
	}
	conserved(t, o.l)
}

func TestOp_RekeySecondary(t *testing.T) {
	o := newOps(t, nil)
	const prim, sec, newSec = "3565A9C3084267EF2E44A4736DI2", "3565ACE34C8C5745F64708D363FK", "35G00N470108E0S0A8832EF2d3Po"
	loc := must[entitlement.Location](t)(o.l.CreateLocation(ctx, o.Dist, entitlement.Location{Customer: o.cust.ID, Name: "pair",
		System: "SV9500 Appliance Server", HWKC: prim, SecondaryHWKC: sec}))
	single := o.loc("SV8100", "191000343919")
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.RekeySecondary(single.ID, "191000343920"); return err })
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.RekeySecondary(loc.ID, prim); return err })
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.RekeySecondary(loc.ID, sec); return err })
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.RekeySecondary(loc.ID, "not a code"); return err })
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error { _, err := x.RekeySecondary(loc.ID, newSec); return err }))
	v := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, loc.ID))
	if v.HWKC != prim || v.SecondaryHWKC != newSec || !slices.Equal(v.FormerHWKC, []string{sec}) {
		t.Fatalf("after RekeySecondary %+v", v.Location)
	}
	if v := must[entitlement.LocationView](t)(o.l.LookupHWKC(ctx, o.Dist, newSec)); v.ID != loc.ID {
		t.Fatal("the new secondary is not indexed")
	}
}

func TestOp_ReissueAfterTheHostChanged(t *testing.T) {
	o := newOps(t, map[string]entitlement.Rules{"RCC": externalRule{}})
	loc := o.loc("SV8100", "191000343919")
	var f entitlement.Issued
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		var err error
		f, err = x.Reissue(loc.ID)
		return err
	}))
	if !reflect.DeepEqual(f, entitlement.Issued{}) {
		t.Fatalf("reissue without activated lines: %+v", f)
	}
	o.activated(loc.ID, "PO1", ol("BE107573", 1))
	ok(t, o.update(o.Admin, func(x *entitlement.Op) error {
		if _, err := x.Rekey(loc.ID, "", "191000343920"); err != nil {
			return err
		}
		var err error
		f, err = x.Reissue(loc.ID)
		return err
	}))
	if f.Serial != 2 || f.Name != "191000343920-svi.zip" {
		t.Fatalf("reissued %+v", f)
	}
	// An external product's file from outside is dropped: pending until supplied again.
	rcc := o.loc("RCC", "aa0014SA2792123456AA")
	o.activated(rcc.ID, "RCC-PO", ol("TESTRCC1", 1))
	ok(t, o.update(o.Admin, func(x *entitlement.Op) error {
		_, err := x.PutExternalFile(rcc.ID, "rcc.lic", []byte("from outside"))
		return err
	}))
	ok(t, o.update(o.Admin, func(x *entitlement.Op) error {
		var err error
		f, err = x.Reissue(rcc.ID)
		return err
	}))
	if !f.Pending {
		t.Fatalf("external reissue %+v, want pending", f)
	}
	if _, err := o.l.Download(ctx, o.Dist, rcc.ID); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("download of a dropped external file: %v", err)
	}
}

func TestOp_ActivateLines(t *testing.T) {
	o := newOps(t, nil)
	loc := o.loc("SV8100", "191000343919")
	s := must[[]entitlement.ShippedLine](t)(o.l.Ship(ctx, o.Admin, entitlement.Order{Partner: o.DistP, PO: "P", SO: "S",
		Lines: []entitlement.OrderLine{ol("BE107573", 1), ol("BE107585", 4)}}))
	att := must[[]entitlement.Line](t)(o.l.Attach(ctx, o.Dist, loc.ID, picksAll(s)))
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error { _, err := x.ActivateLines(loc.ID, nil); return err })
	o.refused(entitlement.ErrNotFound, o.Other, func(x *entitlement.Op) error { _, err := x.ActivateLines(loc.ID, []string{att[0].SKC}); return err })
	o.refused(entitlement.ErrNotFound, o.Dist, func(x *entitlement.Op) error { _, err := x.ActivateLines(loc.ID, []string{"NOSUCHSKC"}); return err })
	var got []entitlement.Line
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		var err error
		got, err = x.ActivateLines(loc.ID, []string{att[1].SKC})
		return err
	}))
	if len(got) != 1 || got[0].SKC != att[1].SKC || got[0].State != entitlement.StateActivated {
		t.Fatalf("activated %+v", got)
	}
	v := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, loc.ID))
	if len(v.Activated) != 1 || len(v.Attached) != 1 || v.File != nil {
		t.Fatalf("after ActivateLines: %d activated, %d attached, file %v (no file is issued)", len(v.Activated), len(v.Attached), v.File)
	}
	o.refused(entitlement.ErrState, o.Dist, func(x *entitlement.Op) error { _, err := x.ActivateLines(loc.ID, []string{att[1].SKC}); return err })
	if recent := must[[]entitlement.Line](t)(o.l.RecentlyActivated(ctx, o.Dist, 0)); len(recent) != 1 || recent[0].SKC != att[1].SKC {
		t.Fatalf("recently activated %+v", recent)
	}
	conserved(t, o.l)
}

func TestOp_ShipActivatedAndCarryOver(t *testing.T) {
	o := newOps(t, nil)
	loc := o.loc("SV9100 CP10", "341006761783")
	o.refused(entitlement.ErrState, o.Dist, func(x *entitlement.Op) error { _, err := x.CarryOver(loc.ID, "MIG1"); return err })
	ord := entitlement.Order{PO: "IMPORT-1", SO: "IMPORT-1", Lines: []entitlement.OrderLine{ol("BE114063", 3), ol("BE114074", 1)}}
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error {
		bad := ord
		bad.Partner = o.OtherP
		_, err := x.ShipActivated(loc.ID, bad)
		return err
	})
	o.refused(entitlement.ErrInvalid, o.Dist, func(x *entitlement.Op) error {
		bad := ord
		bad.Lines = []entitlement.OrderLine{ol("BE107573", 1)} // an SV8100 part
		_, err := x.ShipActivated(loc.ID, bad)
		return err
	})
	var shipped []entitlement.Line
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		var err error
		shipped, err = x.ShipActivated(loc.ID, ord)
		return err
	}))
	if len(shipped) != 2 || shipped[0].State != entitlement.StateActivated || shipped[0].PO != "IMPORT-1" {
		t.Fatalf("shipped activated %+v", shipped)
	}
	o.refused(entitlement.ErrExists, o.Dist, func(x *entitlement.Op) error { _, err := x.ShipActivated(loc.ID, ord); return err })
	conserved(t, o.l)
	var carried []entitlement.Line
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		if _, err := x.Rekey(loc.ID, "SV9100 CP20", "441018029547"); err != nil {
			return err
		}
		var err error
		carried, err = x.CarryOver(loc.ID, "MIGSU_201907171")
		return err
	}))
	v := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, loc.ID))
	if len(v.Activated) != 2 || len(v.History) != 2 || len(carried) != 2 {
		t.Fatalf("after CarryOver: %d activated, %d history", len(v.Activated), len(v.History))
	}
	for _, ln := range v.Activated {
		from, found := v.MigratedOrigin(ln)
		if !found || from.PO != "IMPORT-1" || from.State != entitlement.StateMigrated || ln.PO != "MIGSU_201907171" || ln.SKC[2:4] != "44" {
			t.Fatalf("carried line %+v from %+v", ln, from)
		}
	}
	if recent := must[[]entitlement.Line](t)(o.l.RecentlyActivated(ctx, o.Dist, 0)); len(recent) != 2 || recent[0].State != entitlement.StateActivated {
		t.Fatalf("recently activated lists %+v; history lines leave it", recent)
	}
	conserved(t, o.l)
}

func TestOp_DemoFilesHostIDAndRuleView(t *testing.T) {
	o := newOps(t, nil)
	loc := o.loc("SV8100", "191000343919")
	must[entitlement.Issued](t)(o.l.GenerateDemo(ctx, o.Dist, loc.ID))
	err := o.l.View(ctx, o.Dist, "test.read", func(x *entitlement.Op) error {
		demos, err := x.DemoFiles(loc.ID)
		if err != nil || len(demos) != 1 || !demos[0].Demo {
			t.Errorf("demo files %+v %v", demos, err)
		}
		if code, err := x.HostID("sv 8100", " 191000343919 "); err != nil || code != "191000343919" {
			t.Errorf("HostID = %q, %v", code, err)
		}
		if _, err := x.HostID("SV8100", "341006761783"); !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("HostID of a wrong code: %v", err)
		}
		if _, err := x.HostID("SV9500", "3565A9C3084267EF2E44A4736DI2"); !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("HostID of an ambiguous system: %v", err)
		}
		if v := x.RuleView(); v.Catalog() != o.l.Catalog() || !v.Now().Equal(x.Now()) {
			t.Error("RuleView is not the operation's")
		}
		return nil
	})
	ok(t, err)
	if err := o.l.View(ctx, o.Other, "test.read", func(x *entitlement.Op) error { _, err := x.DemoFiles(loc.ID); return err }); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner's demo files: %v", err)
	}
	// The rule counters are the rules' own: what an operation draws, a rule does not draw again.
	var a, b uint64
	ok(t, o.update(o.Dist, func(x *entitlement.Op) error {
		var err error
		if a, err = x.RuleView().Next("tempkey"); err != nil {
			return err
		}
		b, err = x.RuleView().Next("tempkey")
		return err
	}))
	if a != 1 || b != 2 {
		t.Fatalf("counter %d, %d", a, b)
	}
}

func TestOp_PutExternalFile(t *testing.T) {
	o := newOps(t, map[string]entitlement.Rules{"RCC": externalRule{}})
	rcc := o.loc("RCC", "aa0014SA2792123456AA")
	sv := o.loc("SV8100", "191000343919")
	put := func(loc, name string, data []byte) func(x *entitlement.Op) error {
		return func(x *entitlement.Op) error { _, err := x.PutExternalFile(loc, name, data); return err }
	}
	o.refused(entitlement.ErrInvalid, o.Admin, put(sv.ID, "sv.lic", []byte("x")))
	o.refused(entitlement.ErrState, o.Admin, put(rcc.ID, "rcc.lic", []byte("x")))
	o.activated(rcc.ID, "RCC-PO", ol("TESTRCC1", 1))
	o.refused(entitlement.ErrInvalid, o.Admin, put(rcc.ID, "../rcc.lic", []byte("x")))
	o.refused(entitlement.ErrInvalid, o.Admin, put(rcc.ID, "rcc.lic", nil))
	o.refused(entitlement.ErrInvalid, o.Admin, put(rcc.ID, "rcc.lic", make([]byte, entitlement.MaxExternalFile+1)))
	o.refused(entitlement.ErrNotFound, o.Other, put(rcc.ID, "rcc.lic", []byte("x")))
	ok(t, o.update(o.Admin, put(rcc.ID, "rcc.lic", []byte("from outside"))))
	d := must[entitlement.Issued](t)(o.l.Download(ctx, o.Dist, rcc.ID))
	if string(d.Data) != "from outside" || !d.External || d.Serial != 1 || d.Name != "rcc.lic" {
		t.Fatalf("download %+v", d)
	}
}

// pairRules exercises the IssueRules hook: a container, an attribute set at the first file, a pair
// named by the rule, and changes the hook may not make.
type pairRules struct {
	warnRules
	pair  string
	cheat bool
}

func (pairRules) Activate(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}
func (pairRules) Container() entitlement.Container { return entitlement.ContainerBX }
func (r pairRules) PrepareIssue(v entitlement.RuleView, req *entitlement.IssueRequest) error {
	if req.Container != entitlement.ContainerBX || req.Demo {
		return errors.New("hook called with the wrong request")
	}
	req.Location.SetAttr("issued-once", "yes")
	if r.cheat {
		req.Location.HWKC = "191000343999"
		req.Location.FileSerial = 77
	}
	if r.pair != "" {
		p, found, err := v.Location(r.pair)
		if err != nil || !found {
			return errors.New("no pair")
		}
		p.SetAttr("pair-of", req.Location.ID)
		req.Pair = &p
	}
	v.Ref("test", "prepared")
	return nil
}

// pairIssuer records the requests it gets.
type pairIssuer struct{ got *[]entitlement.IssueRequest }

func (i pairIssuer) Issue(r entitlement.IssueRequest) (entitlement.Issued, error) {
	*i.got = append(*i.got, r)
	return storetest.Issuer{}.Issue(r)
}

func TestIssueRules_ContainerAndPreparedRequest(t *testing.T) {
	var got []entitlement.IssueRequest
	rules := &pairRules{}
	o := newOps(t, map[string]entitlement.Rules{"SV8100": rules})
	o.l = entitlement.New(o.l.Store(), entitlement.Config{Issuer: pairIssuer{&got}, Clock: storetest.FixedClock{T: time.Date(2019, 7, 17, 9, 30, 0, 0, time.UTC)},
		Rand: rand.NewChaCha8([32]byte{22}), Rules: map[string]entitlement.Rules{"SV8100": rules}})
	prim := o.loc("SV8100", "191000343919")
	sec := must[entitlement.Location](t)(o.l.CreateLocation(ctx, o.Dist, entitlement.Location{Customer: o.cust.ID, Name: "secondary",
		System: "SV8100", HWKC: "191000343920", Parent: prim.ID}))
	other := o.loc("SV8100", "191000343921")
	must[entitlement.Issued](t)(o.l.GenerateDemo(ctx, o.Dist, prim.ID))
	if len(got) == 0 || got[len(got)-1].Container != entitlement.ContainerBX || !got[len(got)-1].Demo {
		t.Fatalf("demo request %+v: want the rules' container, no PrepareIssue", got)
	}
	// A pair that is not a child of the location is refused.
	rules.pair = other.ID
	s := must[[]entitlement.ShippedLine](t)(o.l.Ship(ctx, o.Admin, entitlement.Order{Partner: o.DistP, PO: "P", SO: "S", Lines: []entitlement.OrderLine{ol("BE107573", 1)}}))
	must[[]entitlement.Line](t)(o.l.Attach(ctx, o.Dist, prim.ID, picksAll(s)))
	before := must[entitlement.Snapshot](t)(o.l.Snapshot(ctx))
	if _, err := o.l.Activate(ctx, o.Dist, prim.ID, entitlement.Activation{AcceptAgreement: true}); !errors.Is(err, entitlement.ErrRule) {
		t.Fatalf("pair that is no child: %v", err)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](t)(o.l.Snapshot(ctx))); d != "" {
		t.Fatalf("refused activation changed the ledger:\n%s", d)
	}
	// The child pair, and changes beyond the attributes, which are ignored.
	rules.pair, rules.cheat = sec.ID, true
	f := must[entitlement.Issued](t)(o.l.Activate(ctx, o.Dist, prim.ID, entitlement.Activation{AcceptAgreement: true}))
	last := got[len(got)-1]
	if last.Pair == nil || last.Pair.ID != sec.ID || last.Location.HWKC != "191000343919" || f.Serial != 2 || last.Container != entitlement.ContainerBX {
		t.Fatalf("issued request: pair %v, code %q, serial %d", last.Pair, last.Location.HWKC, f.Serial)
	}
	p := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, prim.ID))
	q := must[entitlement.LocationView](t)(o.l.Location(ctx, o.Dist, sec.ID))
	if v, _ := p.Attr("issued-once"); v != "yes" || p.HWKC != "191000343919" || p.FileSerial != 2 {
		t.Fatalf("location after the hook %+v", p.Location)
	}
	if v, _ := q.Attr("pair-of"); v != prim.ID || q.HWKC != "191000343920" {
		t.Fatalf("pair after the hook %+v", q.Location)
	}
	if r := lastAudit(t, o.l, o.Admin); !slices.Contains(r.Refs, "test:prepared") {
		t.Fatalf("refs %v", r.Refs)
	}
}

func TestLicenseIssuer_UnknownContainer(t *testing.T) {
	_, err := entitlement.LicenseIssuer{Key: issuerKey}.Issue(entitlement.IssueRequest{
		Location: entitlement.Location{ID: "x", HWKC: "191000343919"}, System: entitlement.System{Name: "SV8100", Keycode: "SV8100"},
		Container: entitlement.Container(9), Serial: 1})
	if err == nil || !strings.Contains(err.Error(), "container") {
		t.Fatalf("unknown container: %v", err)
	}
}

func ol(part string, qty int64) entitlement.OrderLine {
	return entitlement.OrderLine{Part: part, Qty: qty}
}
