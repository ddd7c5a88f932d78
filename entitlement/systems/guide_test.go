package systems_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// guide is a ledger with the guide's per-system rules on the storetest fixture's partners.
type guide struct {
	*storetest.Fixture
	l    *entitlement.Ledger
	cust entitlement.Customer
	t    *testing.T
}

var guideClock = storetest.FixedClock{T: time.Date(2019, 7, 17, 9, 30, 0, 0, time.UTC)}

func newGuide(t *testing.T, cat *entitlement.Catalog) *guide { return newGuideCfg(t, cat, nil) }

// newGuideCfg is newGuide with edit, when not nil, changing the ledger's Config first.
func newGuideCfg(t *testing.T, cat *entitlement.Catalog, edit func(*entitlement.Config)) *guide {
	t.Helper()
	// Every update runs twice (first run rolled back), as a group commit or a PostgreSQL retry may.
	s := storetest.Retrying(entitlement.NewMemStore())
	t.Cleanup(func() { s.Close() })
	f := storetest.NewFixture(t, s, 8)
	d, err := keycode.NewDeriver([]byte("guide test deriver secret 32 b!!"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := entitlement.Config{Issuer: storetest.Issuer{}, Clock: guideClock, Catalog: cat,
		Rand: rand.NewChaCha8([32]byte{8}), Rules: systems.GuideRules(), Deriver: d}
	if edit != nil {
		edit(&cfg)
	}
	l := entitlement.New(s, cfg)
	g := &guide{Fixture: f, l: l, t: t}
	g.cust = must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Ed's Business"}))
	return g
}

func (g *guide) snap() entitlement.Snapshot {
	g.t.Helper()
	return must[entitlement.Snapshot](g.t)(g.l.Snapshot(ctx))
}

// refused runs fn, wants an error matching want, and checks the ledger did not change.
func (g *guide) refused(want error, fn func() error) error {
	g.t.Helper()
	before := g.snap()
	err := fn()
	if !errors.Is(err, want) {
		g.t.Fatalf("got %v, want %v", err, want)
	}
	if d := cmp.Diff(before, g.snap()); d != "" {
		g.t.Fatalf("a refusal changed the ledger (-before +after):\n%s", d)
	}
	conserved(g.t, g.l)
	return err
}

func (g *guide) loc(l entitlement.Location) entitlement.Location {
	g.t.Helper()
	l.Customer = g.cust.ID
	if l.Name == "" {
		l.Name = l.System + " location"
	}
	return must[entitlement.Location](g.t)(g.l.CreateLocation(ctx, g.Dist, l))
}

func (g *guide) create(l entitlement.Location) error {
	l.Customer = g.cust.ID
	if l.Name == "" {
		l.Name = l.System + " location"
	}
	_, err := g.l.CreateLocation(ctx, g.Dist, l)
	return err
}

func (g *guide) ship(po string, lines ...entitlement.OrderLine) []entitlement.ShippedLine {
	g.t.Helper()
	return must[[]entitlement.ShippedLine](g.t)(g.l.Ship(ctx, g.Admin, entitlement.Order{Partner: g.DistP, PO: po, SO: po, Lines: lines}))
}

func (g *guide) attach(loc string, lines []entitlement.ShippedLine) []entitlement.Line {
	g.t.Helper()
	return must[[]entitlement.Line](g.t)(g.l.Attach(ctx, g.Dist, loc, picksAll(lines)))
}

func (g *guide) activate(loc string) entitlement.Issued {
	g.t.Helper()
	return must[entitlement.Issued](g.t)(g.l.Activate(ctx, g.Dist, loc, entitlement.Activation{AcceptAgreement: true}))
}

func (g *guide) view(loc string) entitlement.LocationView {
	g.t.Helper()
	return must[entitlement.LocationView](g.t)(g.l.Location(ctx, g.Dist, loc))
}

func ol(part string, qty int64) entitlement.OrderLine {
	return entitlement.OrderLine{Part: part, Qty: qty}
}

const (
	sv8500Code = "22E76E11299790CBCA0724859BI4"
	cp10Code   = "341006761783"
	cp20Code   = "441018029547"
)

func TestGuide_SV9100_HWKCRange(t *testing.T) {
	g := newGuide(t, nil)
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "SV9100 CP10", HWKC: cp20Code}) })
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "SV9100 CP20", HWKC: cp10Code}) })
	g.loc(entitlement.Location{System: "SV9100 CP10", HWKC: cp10Code})
	g.loc(entitlement.Location{System: "SV9100 CP20", HWKC: cp20Code})
}

func TestGuide_SRMGC_ChildOfSV8500WithTempKey(t *testing.T) {
	g := newGuide(t, nil)
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "SR-MGC"}) })
	sv81 := g.loc(entitlement.Location{System: "SV8100", HWKC: "191000343919"})
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "SR-MGC", Parent: sv81.ID}) })
	main := g.loc(entitlement.Location{System: "SV8500", HWKC: sv8500Code})
	child := g.loc(entitlement.Location{System: "SR-MGC", Parent: main.ID, Name: "SR-MGC(E) for Main SV8500 system"})
	if !strings.HasPrefix(child.HWKC, "22-190717093000-") || !strings.HasSuffix(child.HWKC, "-TEMP-KEY") {
		t.Fatalf("SR-MGC code %q, want a temp key 22-190717093000-NNN-TEMP-KEY", child.HWKC)
	}
	if child.Parent != main.ID {
		t.Fatalf("parent %q", child.Parent)
	}
}

func TestGuide_SRMGC_LinesOnlyOnChildListedOnParent(t *testing.T) {
	g := newGuide(t, nil)
	main := g.loc(entitlement.Location{System: "SV8500", HWKC: sv8500Code})
	child := g.loc(entitlement.Location{System: "SR-MGC", Parent: main.ID})
	s := g.ship("SRMGC-PO12", ol("EU900074", 1), ol("EU900050", 20))
	g.refused(entitlement.ErrInvalid, func() error { _, err := g.l.Attach(ctx, g.Dist, main.ID, picksAll(s)); return err })
	g.attach(child.ID, s)
	g.activate(child.ID)
	v := g.view(main.ID)
	if len(v.ChildLines) != 2 || len(v.Activated) != 0 {
		t.Fatalf("parent page: own %d lines, child lines %+v; want the child's 2 lines listed", len(v.Activated), v.ChildLines)
	}
	for _, ln := range v.ChildLines {
		if ln.Location != child.ID {
			t.Fatalf("child line on %s", ln.Location)
		}
	}
}

// acdCatalog is a small catalog with an "SV8500 ACD Agent option" license (the guide names the
// license but not its part number).
func acdCatalog(t *testing.T) *entitlement.Catalog {
	c, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"SV8500","skc":"22","pbx":true,"keycode":"SV8500"},
 {"name":"SR-MGC","skc":"22","pbx":true,"keycode":"SR-MGC"},
 {"name":"LMC","skc":"LM","keycode":"License Manager Client"}],
 "parts":[{"part":"TESTACD1","name":"SV8500 ACD Agent option","kind":"flag","systems":["SV8500","SR-MGC"],"acd_agent_option":true},
 {"part":"EU900050","name":"SR-MGC Lic Sys Capacity 1 port","kind":"count","systems":["SR-MGC"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGuide_SRMGC_OneACDAgentOptionPerSystem(t *testing.T) {
	g := newGuide(t, acdCatalog(t))
	main := g.loc(entitlement.Location{System: "SV8500", HWKC: sv8500Code})
	c1 := g.loc(entitlement.Location{System: "SR-MGC", Parent: main.ID, Name: "child 1"})
	c2 := g.loc(entitlement.Location{System: "SR-MGC", Parent: main.ID, Name: "child 2"})
	s := g.ship("ACD-PO", ol("TESTACD1", 3))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, c1.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 2}})
		return err
	})
	must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, c1.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}}))
	for _, loc := range []string{main.ID, c2.ID} {
		g.refused(entitlement.ErrRule, func() error {
			_, err := g.l.Attach(ctx, g.Dist, loc, []entitlement.Pick{{Line: s[0].ID, Qty: 1}})
			return err
		})
	}
}

func TestGuide_LMC_ChildCreatedAutomatically(t *testing.T) {
	g := newGuide(t, nil)
	for _, tc := range []struct{ system, code string }{
		{"SV8500", sv8500Code},
		{"SV9500 Appliance Server", "3565A9C3084267EF2E44A4736DI2"},
	} {
		loc := g.loc(entitlement.Location{System: tc.system, HWKC: tc.code})
		v := g.view(loc.ID)
		if len(v.Children) != 1 || v.Children[0].System != "LMC" || v.Children[0].HWKC != "LM"+tc.code {
			t.Fatalf("%s: children %+v, want one LMC child LM%s", tc.system, v.Children, tc.code)
		}
		// MA4000 and CTI share the LMC child's code.
		s := g.ship("MA4000 "+tc.system, ol("390908", 1), ol("390924", 10))
		g.attach(v.Children[0].ID, s)
		g.activate(v.Children[0].ID)
	}
	sv81 := g.loc(entitlement.Location{System: "SV8100", HWKC: "191000343919"})
	if v := g.view(sv81.ID); len(v.Children) != 0 {
		t.Fatalf("SV8100 got children %+v; its LMC is created by hand", v.Children)
	}
	// By hand: an LMC location for an iS3000 uses the LMIS form.
	is := g.loc(entitlement.Location{System: "iS3000", HWKC: "aa0014SA2792882418AA"})
	g.loc(entitlement.Location{System: "LMC", HWKC: "LMIS0014SA2792882418", Parent: is.ID})
}

func TestGuide_SV9500_StandardServerTempKeyAndFirstAttach(t *testing.T) {
	g := newGuide(t, nil)
	g.refused(entitlement.ErrRule, func() error {
		return g.create(entitlement.Location{System: "SV9500 Standard Server", HWKC: "3565A9C3084267EF2E44A4736DI2"})
	})
	loc := g.loc(entitlement.Location{System: "SV9500 Standard Server"})
	if !strings.HasPrefix(loc.HWKC, "35-190717093000-") || !strings.HasSuffix(loc.HWKC, "-TEMP-KEY") {
		t.Fatalf("code %q, want a temp key", loc.HWKC)
	}
	s := g.ship("SV9500-PO", ol("BE114234", 1), ol("BE114511", 1), ol("BE114263", 50))
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s)); return err })
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s[1:2])); return err })
	g.attach(loc.ID, s[:1])
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s[1:2])); return err })
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Activate(ctx, g.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
}

func TestGuide_SV9500_LAN1IPCreatesVirtualHWKC(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "SV9500 Standard Server"})
	s := g.ship("SV9500-PO", ol("BE114234", 1), ol("BE114511", 1), ol("BE114263", 50))
	ip := netip.MustParseAddr("10.16.1.20")
	g.refused(entitlement.ErrRule, func() error { _, err := systems.SetLAN1IP(ctx, g.l, g.Dist, loc.ID, ip); return err })
	g.attach(loc.ID, s[:1])
	f := must[entitlement.Issued](t)(systems.SetLAN1IP(ctx, g.l, g.Dist, loc.ID, ip))
	v := g.view(loc.ID)
	if !strings.HasPrefix(v.HWKC, "35V") || f.Name != v.HWKC+"-svi.zip" {
		t.Fatalf("code %q, file %q: want the derived 35V… code and its file", v.HWKC, f.Name)
	}
	if got, _ := v.Attr(entitlement.AttrIP); got != "10.16.1.20" {
		t.Fatalf("ip attribute %q", got)
	}
	if len(v.Activated) != 1 || v.Activated[0].Part != "BE114234" || len(v.Attached) != 0 {
		t.Fatalf("after the IP: activated %+v attached %+v; want BE114234 activated", v.Activated, v.Attached)
	}
	if len(v.Children) != 1 || v.Children[0].HWKC != "LM"+v.HWKC {
		t.Fatalf("LMC child %+v did not follow to LM%s", v.Children, v.HWKC)
	}
	if len(v.FormerHWKC) != 1 || !strings.HasSuffix(v.FormerHWKC[0], "TEMP-KEY") {
		t.Fatalf("former codes %v", v.FormerHWKC)
	}
	// Then the rest attaches and activates as usual.
	g.attach(loc.ID, s[1:])
	g.activate(loc.ID)
	conserved(t, g.l)
	// A second creation needs the administrator.
	ip2 := netip.MustParseAddr("10.16.1.21")
	g.refused(entitlement.ErrNotAllowed, func() error { _, err := systems.SetLAN1IP(ctx, g.l, g.Dist, loc.ID, ip2); return err })
	f2 := must[entitlement.Issued](t)(systems.SetLAN1IP(ctx, g.l, g.Admin, loc.ID, ip2))
	if v2 := g.view(loc.ID); v2.HWKC == v.HWKC || f2.Name != v2.HWKC+"-svi.zip" || len(v2.Activated) != 3 {
		t.Fatalf("second creation: code %q (was %q), file %q, %d lines", v2.HWKC, v.HWKC, f2.Name, len(v2.Activated))
	}
	conserved(t, g.l)
}

func TestGuide_SV9500_SEFromMAC(t *testing.T) {
	g := newGuide(t, nil)
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "SV9500 SE"}) })
	g.refused(entitlement.ErrInvalid, func() error {
		return g.create(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6C:E4:DA:01:37"}}})
	})
	loc := g.loc(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6c-e4-da-01-37-8c"}}})
	if !strings.HasPrefix(loc.HWKC, "35M") {
		t.Fatalf("SE code %q, want 35M…", loc.HWKC)
	}
	if m, _ := loc.Attr(entitlement.AttrMAC); m != "6CE4DA01378C" {
		t.Fatalf("mac %q", m)
	}
	// The same MAC is the same code: a second location for it is refused.
	g.refused(entitlement.ErrExists, func() error {
		return g.create(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6CE4DA01378C"}}})
	})
}

func TestGuide_SV9500_AppliancePrimarySecondaryQR(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "SV9500 Appliance Server", HWKC: "A_3565-A9C3-0842-67EF-2E44-A473-6DI2",
		SecondaryHWKC: "3565ACE34C8C5745F64708D363FK"})
	if loc.HWKC != "3565A9C3084267EF2E44A4736DI2" || loc.SecondaryHWKC != "3565ACE34C8C5745F64708D363FK" {
		t.Fatalf("codes %q / %q", loc.HWKC, loc.SecondaryHWKC)
	}
}

func TestGuide_IS3000_DongleLessFromFCN(t *testing.T) {
	g := newGuide(t, nil)
	fcn := []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: "HVPC030PBX.DEVNLNEC.LOCAL"}}
	loc := g.loc(entitlement.Location{System: "iS3000", Attrs: fcn})
	if !strings.HasPrefix(loc.HWKC, "aa0016HN") {
		t.Fatalf("code %q, want aa0016HN…", loc.HWKC)
	}
	if n, _ := loc.Attr(entitlement.AttrComputerName); n != "hvpc030pbx.devnlnec.local" {
		t.Fatalf("stored name %q, want lower case", n)
	}
	// The same name again is a new, unique code.
	again := g.loc(entitlement.Location{System: "iS3000", Attrs: fcn, Name: "again"})
	if again.HWKC == loc.HWKC {
		t.Fatal("repeated FCN gave the same code")
	}
	s := g.ship("IS-PO", ol("EU920000", 1))
	g.attach(loc.ID, s)
	f1 := g.activate(loc.ID)
	g.refused(entitlement.ErrInvalid, func() error { _, err := systems.ChangeComputerName(ctx, g.l, g.Dist, loc.ID, "bad name!"); return err })
	f2 := must[entitlement.Issued](t)(systems.ChangeComputerName(ctx, g.l, g.Dist, loc.ID, "NEWPBX.example.local"))
	v := g.view(loc.ID)
	if v.HWKC != loc.HWKC || f2.Serial != f1.Serial+1 {
		t.Fatalf("after the FCN change: code %q (was %q), serial %d (was %d)", v.HWKC, loc.HWKC, f2.Serial, f1.Serial)
	}
	if n, _ := v.Attr(entitlement.AttrComputerName); n != "newpbx.example.local" {
		t.Fatalf("new name %q", n)
	}
}

func TestGuide_IS3000_VirtualHWKCNeverReplaced(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "iS3000", Attrs: []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: "pbx.local"}}})
	g.refused(entitlement.ErrRule, func() error {
		_, err := systems.ReplaceHardware(ctx, g.l, g.Admin, loc.ID, "aa0014SA2792882418AA")
		return err
	})
}

func TestGuide_3C_DomainGivesUniqueHWKC(t *testing.T) {
	g := newGuide(t, nil)
	dom := []entitlement.Attr{{Name: entitlement.AttrDomain, Value: "Tons.Example.COM"}}
	a := g.loc(entitlement.Location{System: "3C", Attrs: dom, Name: "a"})
	b := g.loc(entitlement.Location{System: "3C", Attrs: dom, Name: "b"})
	c := g.loc(entitlement.Location{System: "3C CAT2", Attrs: dom, Name: "c"})
	if a.HWKC == b.HWKC || a.HWKC == c.HWKC || !strings.HasPrefix(a.HWKC, "3C") {
		t.Fatalf("codes %q %q %q: want three unique 3C codes", a.HWKC, b.HWKC, c.HWKC)
	}
	if d, _ := a.Attr(entitlement.AttrDomain); d != "tons.example.com" {
		t.Fatalf("domain %q", d)
	}
	g.refused(entitlement.ErrRule, func() error {
		return g.create(entitlement.Location{System: "3C", HWKC: "3C342CB25F2C", Attrs: dom})
	})
}

// The guide: "For 3C product licensing the "Domain name" is required" and the code "is
// automatically created by LMS": a typed-in code without a domain is refused, as is no code at all.
func TestGuide_3C_DomainRequired(t *testing.T) {
	g := newGuide(t, nil)
	for _, l := range []entitlement.Location{
		{System: "3C", HWKC: "3C342CB25F2C"},
		{System: "3C CAT2", HWKC: "3C342CB25F2C"},
		{System: "3C"},
		{System: "3C CAT2"},
	} {
		g.refused(entitlement.ErrRule, func() error { return g.create(l) })
	}
}

func dectLoc(g *guide, code string) entitlement.Location {
	return g.loc(entitlement.Location{System: "IP DECT", HWKC: code})
}

func TestGuide_DECT_InvalidHardwareKeycode(t *testing.T) {
	g := newGuide(t, nil)
	for _, sys := range []string{"IP DECT", "DECT - NS"} {
		err := g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: sys, HWKC: "2FFFFFF9"}) })
		var de *systems.DECTError
		if !errors.As(err, &de) || de.Code != systems.DECTInvalidHardwareKeycode || !strings.Contains(err.Error(), "8 hex digits starting with 1") {
			t.Fatalf("%s: %v, want INVALID_HARDWARE_KEYCODE with its advice", sys, err)
		}
	}
}

func TestGuide_DECT_NeedsAPLicense(t *testing.T) {
	g := newGuide(t, nil)
	loc := dectLoc(g, "1FFFFFF9")
	s := g.ship("DECT-1", ol("EU917024", 1), ol("EU917062", 1))
	g.attach(loc.ID, s[:1])
	err := g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Activate(ctx, g.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
	var de *systems.DECTError
	if !errors.As(err, &de) || de.Code != systems.DECTInvalidFeatureCodeString {
		t.Fatalf("error %v, want INVALID_FEATURE_CODE_STRING", err)
	}
	g.attach(loc.ID, s[1:])
	g.activate(loc.ID)
	// Present already: later activations need no new EU917062.
	s2 := g.ship("DECT-2", ol("EU917024", 1))
	g.attach(loc.ID, s2)
	g.activate(loc.ID)
}

func TestGuide_DECT_QuantityRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []entitlement.OrderLine
		ok    bool
	}{
		{"no upgrade allowance (a new release-6 system)", []entitlement.OrderLine{ol("EU917062", 5), ol("EU917027", 5)}, true},
		{"conversion APs count as DAP", []entitlement.OrderLine{ol("EU917062", 2), ol("EU917017", 3), ol("EU917029", 5)}, true},
		{"upgrade equals DAP", []entitlement.OrderLine{ol("EU917062", 5), ol("EU917029", 5), ol("EU917027", 5), ol("EU917028", 6)}, true},
		{"upgrade below DAP", []entitlement.OrderLine{ol("EU917062", 5), ol("EU917029", 4)}, false},
		{"upgrade above DAP", []entitlement.OrderLine{ol("EU917062", 5), ol("EU917029", 6)}, false},
		{"messaging below DAP", []entitlement.OrderLine{ol("EU917062", 5), ol("EU917027", 4)}, false},
		{"location below DAP", []entitlement.OrderLine{ol("EU917062", 2), ol("EU917017", 3), ol("EU917028", 4)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGuide(t, nil)
			loc := dectLoc(g, "1FFFFFF9")
			g.attach(loc.ID, g.ship("Q", tc.lines...))
			_, err := g.l.Activate(ctx, g.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
			var de *systems.DECTError
			if tc.ok != (err == nil) || !tc.ok && (!errors.As(err, &de) || de.Code != systems.DECTInvalidFeatureQuantity) {
				t.Fatalf("activate: %v, want ok=%v or INVALID_FEATURE_QUANTITY", err, tc.ok)
			}
		})
	}
}

func TestGuide_DECT_NSExactlyOneEU910010(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "DECT - NS", HWKC: "1009FFFE"})
	s := g.ship("NS", ol("EU910010", 3))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 2}})
		return err
	})
	must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}}))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}})
		return err
	})
	g.activate(loc.ID)
}

func TestGuide_DECT_ErrorCodesWithAdvice(t *testing.T) {
	want := map[systems.DECTCode]string{
		systems.DECTUnknownError:             "Contact the LMS Administrator",
		systems.DECTNotApplicable:            "Contact the LMS Administrator",
		systems.DECTInvalidHardwareKeycode:   "Enter a valid Hardware Key Code, format 8 hex digits starting with 1 (e.g. 1009FFFE)",
		systems.DECTInvalidFeatureCodeString: "Check if minimal 1 x IPDECT 1 AP Cap Lic (EU917062) is included.",
		systems.DECTInvalidFeatureCode:       "Contact the LMS Administrator",
		systems.DECTInvalidFeatureTimestamp:  "Contact the LMS Administrator",
		systems.DECTCannotWriteLicenseFile:   "Contact the LMS Administrator",
	}
	for c, adv := range want {
		if c.Advice() != adv {
			t.Errorf("%s advice %q, want %q", c, c.Advice(), adv)
		}
	}
	q := systems.DECTInvalidFeatureQuantity.Advice()
	for _, s := range []string{"EU917062", "DSWU (upgrade feature) licenses is equal to the number of DAP", "Messaging and/or Location licenses is equal or higher"} {
		if !strings.Contains(q, s) {
			t.Errorf("INVALID_FEATURE_QUANTITY advice %q lacks %q", q, s)
		}
	}
	err := error(&systems.DECTError{Code: systems.DECTInvalidHardwareKeycode, Detail: "x"})
	if !errors.Is(err, entitlement.ErrRule) || !strings.Contains(err.Error(), "INVALID_HARDWARE_KEYCODE") {
		t.Fatalf("DECTError %v", err)
	}
}

// dectUpload is the guide's "Verify License File details" table.
const dectUpload = "1\tIPDECT 1 AP Cap Conv Lic- EU917017\t50\n2\tIPDECT Messaging 1 AP Lic- EU917027\t50\n" +
	"3\tIPDECT Location 1 AP Lic- EU917028\t50\n4\tIPDECT Redundancy Lic- EU917005\t1\n5\tIPDECT Branch Survivab. Lic- EU917006\t1\n" +
	"6\tIPDECT Cruise Lic- EU917024\t1\n7\tIPDECT Large Configuration Lic- EU917023\t1\n8\tIPDECT I755x Lic- EU917012\t1\n" +
	"9\tIPDECT Reflection Cancelling Lic- EU917022\t1\n10\tIPDECT Upgrade Allowance 1 AP Lic- EU917029\t50\n"

func TestGuide_DECT_UploadFirstActionOnly(t *testing.T) {
	g := newGuide(t, nil)
	loc := dectLoc(g, "1FFFFFF9")
	g.refused(entitlement.ErrRule, func() error {
		_, err := systems.ImportDECTLicenses(ctx, g.l, g.Dist, loc.ID, strings.NewReader("EU917017 50\nEU917029 49\n"))
		return err
	})
	lines := must[[]entitlement.Line](t)(systems.ImportDECTLicenses(ctx, g.l, g.Dist, loc.ID, strings.NewReader(dectUpload)))
	if len(lines) != 10 {
		t.Fatalf("imported %d lines", len(lines))
	}
	v := g.view(loc.ID)
	if len(v.Activated) != 10 || v.File == nil || !v.Imported {
		t.Fatalf("after import: %d activated, file %v", len(v.Activated), v.File)
	}
	for _, ln := range v.Activated {
		if !strings.HasPrefix(ln.PO, "IMPORT_20190717") || ln.SKC[2:4] != "DE" {
			t.Fatalf("imported line %+v", ln)
		}
	}
	conserved(t, g.l)
	g.refused(entitlement.ErrState, func() error {
		_, err := systems.ImportDECTLicenses(ctx, g.l, g.Dist, loc.ID, strings.NewReader(dectUpload))
		return err
	})
	// The uploaded system expands: its 50 EU917017 are its DAP licenses, so an expansion needs
	// no EU917062 of its own, and the quantity rules count them.
	g.attach(loc.ID, g.ship("DECT-EXP", ol("EU917027", 10)))
	g.activate(loc.ID)
	g.attach(loc.ID, g.ship("DECT-EXP2", ol("EU917029", 1)))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Activate(ctx, g.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
	// Not the first action: a location with a line attached refuses the upload.
	other := dectLoc(g, "1FFFFFF5")
	g.attach(other.ID, g.ship("D", ol("EU917062", 1)))
	g.refused(entitlement.ErrState, func() error {
		_, err := systems.ImportDECTLicenses(ctx, g.l, g.Dist, other.ID, strings.NewReader(dectUpload))
		return err
	})
}

func TestParseDECTLicenseFile(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []entitlement.OrderLine
		code     systems.DECTCode
	}{
		{"guide table", "1\tIPDECT Cruise Lic- EU917024\t1\n", []entitlement.OrderLine{ol("EU917024", 1)}, ""},
		{"short form with comment", "# exported\nEU917017 50\n\nEU917029 50\n", []entitlement.OrderLine{ol("EU917017", 50), ol("EU917029", 50)}, ""},
		{"empty", "\n# nothing\n", nil, systems.DECTInvalidFeatureCodeString},
		{"zero quantity", "EU917017 0\n", nil, systems.DECTInvalidFeatureQuantity},
		{"bad quantity", "EU917017 five\n", nil, systems.DECTInvalidFeatureQuantity},
		{"duplicate part", "EU917017 1\nEU917017 2\n", nil, systems.DECTInvalidFeatureCode},
		{"no part number in table", "1\tIPDECT Cruise Lic\t1\n", nil, systems.DECTInvalidFeatureCode},
		{"three words", "EU917017 50 extra\n", nil, systems.DECTInvalidFeatureCodeString},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := systems.ParseDECTLicenseFile(strings.NewReader(tc.in))
			var de *systems.DECTError
			if tc.code != "" {
				if !errors.As(err, &de) || de.Code != tc.code {
					t.Fatalf("error %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseDECTLicenseFile(f *testing.F) {
	f.Add(dectUpload)
	f.Add("EU917017 50\n")
	f.Add("1\t- \t0\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := systems.ParseDECTLicenseFile(strings.NewReader(in))
		if err != nil {
			var de *systems.DECTError
			if !errors.As(err, &de) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(lines) == 0 || len(lines) > 64 {
			t.Fatalf("%d lines", len(lines))
		}
		for _, ln := range lines {
			if ln.Qty < 1 || ln.Qty > 1_000_000 {
				t.Fatalf("quantity %d", ln.Qty)
			}
		}
	})
}

func TestGuide_BCT_PlacementOnDongleHWKCOrLMC(t *testing.T) {
	g := newGuide(t, nil)
	s := g.ship("BCT", ol("960026172000", 10))
	for _, tc := range []struct {
		loc entitlement.Location
		ok  bool
	}{
		{entitlement.Location{System: "BCT", HWKC: "aa0014SA2792654321AA"}, true},
		{entitlement.Location{System: "SV8100", HWKC: "191000343919"}, true},
		{entitlement.Location{System: "SV9100 CP20", HWKC: cp20Code}, true},
		{entitlement.Location{System: "3C", Attrs: []entitlement.Attr{{Name: entitlement.AttrDomain, Value: "bct.example.com"}}}, true},
		{entitlement.Location{System: "LMC", HWKC: "LM3CB6CE81EECE"}, true},
		{entitlement.Location{System: "SV8500", HWKC: sv8500Code}, false},
		{entitlement.Location{System: "IP DECT", HWKC: "1FFFFFF9"}, false},
	} {
		loc := g.loc(tc.loc)
		pick := []entitlement.Pick{{Line: s[0].ID, Qty: 1}}
		if tc.ok {
			must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, loc.ID, pick))
		} else {
			g.refused(entitlement.ErrInvalid, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, pick); return err })
		}
	}
}

func TestGuide_HardwareReplacement_MovesEverythingAsAdmin(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "SV8100", HWKC: "191000343919"})
	s := g.ship("HWR", ol("BE107573", 1), ol("BE107585", 20))
	lines := g.attach(loc.ID, s)
	must[entitlement.Issued](t)(g.l.Activate(ctx, g.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true, SKCs: []string{lines[0].SKC}}))
	const newCode = "191000343920"
	g.refused(entitlement.ErrNotAllowed, func() error { _, err := systems.ReplaceHardware(ctx, g.l, g.Dist, loc.ID, newCode); return err })
	g.refused(entitlement.ErrInvalid, func() error { _, err := systems.ReplaceHardware(ctx, g.l, g.Admin, loc.ID, "341006761783"); return err })
	f := must[entitlement.Issued](t)(systems.ReplaceHardware(ctx, g.l, g.Admin, loc.ID, newCode))
	if f.Name != newCode+"-svi.zip" || f.Serial != 2 {
		t.Fatalf("new file %q serial %d", f.Name, f.Serial)
	}
	v := g.view(loc.ID)
	if v.HWKC != newCode || len(v.Activated) != 1 || len(v.Attached) != 1 || !reflect.DeepEqual(v.FormerHWKC, []string{"191000343919"}) {
		t.Fatalf("after replacement: %+v", v)
	}
	if hv := must[entitlement.LocationView](t)(g.l.LookupHWKC(ctx, g.Dist, newCode)); hv.ID != loc.ID {
		t.Fatal("new code does not find the location")
	}
	if hv := must[entitlement.LocationView](t)(g.l.LookupHWKC(ctx, g.Dist, "191000343919")); hv.ID != loc.ID || hv.HWKC != newCode {
		t.Fatalf("the old code finds %s (%s), want the location under its new code", hv.ID, hv.HWKC)
	}
	// The old code refuses new files: no location may take it again.
	g.refused(entitlement.ErrState, func() error {
		return g.create(entitlement.Location{System: "SV8100", HWKC: "191000343919", Name: "reuse"})
	})
	conserved(t, g.l)
}

func TestGuide_Migration_SV9100CP10ToCP20(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "SV9100 CP10", HWKC: "341006761783", Name: "SV9100-4"})
	s := g.ship("SV91-4 Lics", ol("BE114063", 8), ol("960026180000", 1), ol("BE114081", 1))
	old := g.attach(loc.ID, s[:2])
	g.activate(loc.ID)
	att := g.attach(loc.ID, s[2:])
	g.refused(entitlement.ErrState, func() error { _, err := systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, cp20Code); return err })
	ok(t, g.l.Detach(ctx, g.Dist, loc.ID, []string{att[0].SKC}))
	g.refused(entitlement.ErrInvalid, func() error { _, err := systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, "341006761784"); return err })
	g.refused(entitlement.ErrNotFound, func() error { _, err := systems.MigrateSV9100(ctx, g.l, g.Other, loc.ID, cp20Code); return err })
	f := must[entitlement.Issued](t)(systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, cp20Code))
	if f.Name != cp20Code+"-svi.zip" {
		t.Fatalf("file %q", f.Name)
	}
	v := g.view(loc.ID)
	if v.System != "SV9100 CP20" || v.HWKC != cp20Code || v.ID != loc.ID {
		t.Fatalf("migrated location %+v", v.Location)
	}
	if len(v.Activated) != 2 || len(v.History) != 2 {
		t.Fatalf("activated %d, history %d; want 2 and 2", len(v.Activated), len(v.History))
	}
	for i, ln := range v.Activated {
		if ln.PO != "MIGSU_201907171" || ln.SO != ln.PO || ln.SKC[2:4] != "44" || ln.MigratedFrom == "" {
			t.Fatalf("migrated line %d: %+v", i, ln)
		}
		var from entitlement.Line
		for _, h := range v.History {
			if h.SKC == ln.MigratedFrom {
				from = h
			}
		}
		if from.Part != ln.Part || from.Qty != ln.Qty || from.State != entitlement.StateMigrated || from.PO != "SV91-4 Lics" {
			t.Fatalf("line %s carried from %+v", ln.SKC, from)
		}
	}
	for _, h := range old {
		if _, _, err := g.l.LookupSKC(ctx, g.Dist, h.SKC); err != nil {
			t.Fatalf("history line %s: %v", h.SKC, err)
		}
	}
	// History is read-only: the old lines cannot be detached or activated, the old code is retired.
	g.refused(entitlement.ErrState, func() error { return g.l.Detach(ctx, g.Dist, loc.ID, []string{old[0].SKC}) })
	g.refused(entitlement.ErrState, func() error { return g.create(entitlement.Location{System: "SV9100 CP10", HWKC: "341006761783"}) })
	// The file lists the new lines only.
	if strings.Contains(string(f.File), old[0].SKC) || !strings.Contains(string(f.File), v.Activated[0].SKC) {
		t.Fatalf("file lines:\n%s", f.File)
	}
	g.refused(entitlement.ErrInvalid, func() error { _, err := systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, "441018029548"); return err })
	conserved(t, g.l)
}

// externalCatalog holds external product parts; the guide names the products but no part
// numbers, so these are test parts.
func externalCatalog(t *testing.T) *entitlement.Catalog {
	c, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"RCC","skc":"RC","keycode":"RCC"},
 {"name":"UM4730","skc":"UM","keycode":"UM4730"},
 {"name":"MobiCall Master","skc":"MC","keycode":"Mobicall Master"},
 {"name":"MobiCall Supervisor","skc":"MC","keycode":"Mobicall Supervisor"},
 {"name":"MobiBox","skc":"MB","keycode":"MobiBox"}],
 "parts":[{"part":"TESTRCC1","name":"RCC base","kind":"flag","systems":["RCC"]},
 {"part":"TESTRCC2","name":"RCC seats","kind":"count","systems":["RCC"]},
 {"part":"TESTUM1","name":"UM4730 ports","kind":"count","systems":["UM4730"]},
 {"part":"TESTMC1","name":"MobiCall Master base","kind":"flag","systems":["MobiCall Master","MobiBox"]},
 {"part":"TESTMC1-M","name":"MobiCall Supervisor base","kind":"flag","systems":["MobiCall Master","MobiCall Supervisor","MobiBox"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGuide_External_POAttachesWhole(t *testing.T) {
	g := newGuide(t, externalCatalog(t))
	loc := g.loc(entitlement.Location{System: "RCC", HWKC: "aa0014SA2792123456AA"})
	s := g.ship("RCC-PO1", ol("TESTRCC1", 1), ol("TESTRCC2", 10))
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s[:1])); return err })
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}, {Line: s[1].ID, Qty: 9}})
		return err
	})
	g.attach(loc.ID, s)
}

func TestGuide_External_FilePendingUntilSupplied(t *testing.T) {
	var notes []entitlement.Event
	g := newGuide(t, externalCatalog(t))
	l := entitlement.New(g.l.Store(), entitlement.Config{Issuer: storetest.Issuer{}, Clock: guideClock, Catalog: externalCatalog(t),
		Rand: rand.NewChaCha8([32]byte{5}), Rules: systems.GuideRules(), Events: func(e entitlement.Event) {
			if e.Kind == entitlement.EventExternalFile {
				notes = append(notes, e)
			}
		}})
	g.l = l
	loc := g.loc(entitlement.Location{System: "UM4730", HWKC: "11-10433345", DealerEmail: "dealer@example.com"})
	g.attach(loc.ID, g.ship("UM-PO", ol("TESTUM1", 8)))
	g.refused(entitlement.ErrState, func() error {
		_, err := systems.AttachExternalFile(ctx, l, g.Admin, loc.ID, "um.lic", []byte("x"))
		return err
	})
	f := g.activate(loc.ID)
	if !f.Pending || f.Data != nil {
		t.Fatalf("activation returned %+v, want a pending file", f)
	}
	if v := g.view(loc.ID); len(v.Activated) != 1 || v.File != nil {
		t.Fatalf("after activation: %d activated, file %v", len(v.Activated), v.File)
	}
	if _, err := l.Download(ctx, g.Dist, loc.ID); !errors.Is(err, entitlement.ErrState) || !strings.Contains(err.Error(), "pending") {
		t.Fatalf("download before the file: %v", err)
	}
	g.refused(entitlement.ErrState, func() error { _, err := l.Regenerate(ctx, g.Dist, loc.ID); return err })
	g.refused(entitlement.ErrNotAllowed, func() error {
		_, err := systems.AttachExternalFile(ctx, l, g.Dist, loc.ID, "um.lic", []byte("x"))
		return err
	})
	g.refused(entitlement.ErrInvalid, func() error {
		_, err := systems.AttachExternalFile(ctx, l, g.Admin, loc.ID, "../um.lic", []byte("x"))
		return err
	})
	if len(notes) != 0 {
		t.Fatalf("notified before the file: %+v", notes)
	}
	must[entitlement.Issued](t)(systems.AttachExternalFile(ctx, l, g.Admin, loc.ID, "UM4730-11-10433345.lic", []byte("license from outside")))
	d := must[entitlement.Issued](t)(l.Download(ctx, g.Dist, loc.ID))
	if string(d.Data) != "license from outside" || !d.External || d.Name != "UM4730-11-10433345.lic" {
		t.Fatalf("download %+v", d)
	}
	want := []entitlement.Event{{Kind: entitlement.EventExternalFile, Time: guideClock.Now().UTC().Truncate(time.Second),
		Location: loc.ID, Customer: loc.Customer, Partner: g.DistP, HWKC: "11-10433345", Ref: "UM4730-11-10433345.lic",
		Serial: 1, SOs: []string{"UM-PO"}, DealerEmail: "dealer@example.com", Detail: "license file UM4730-11-10433345.lic is available"}}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Fatalf("notifications (-want +got)\n%s", diff)
	}
	conserved(t, l)
}

func TestGuide_MobiCall_SupervisorTakesDashMParts(t *testing.T) {
	g := newGuide(t, externalCatalog(t))
	master := g.loc(entitlement.Location{System: "MobiCall Master", HWKC: "1234"})
	sup := g.loc(entitlement.Location{System: "MobiCall Supervisor", HWKC: "1235"})
	box := g.loc(entitlement.Location{System: "MobiBox", HWKC: "1236"})
	m := g.ship("MC-PO", ol("TESTMC1", 1))
	sm := g.ship("MC-PO-M", ol("TESTMC1-M", 1))
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, master.ID, picksAll(sm)); return err })
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, box.ID, picksAll(sm)); return err })
	g.attach(sup.ID, sm)
	g.attach(master.ID, m)
	g.ship("MC-PO2", ol("TESTMC1", 1))
	g.attach(box.ID, g.ship("MC-PO3", ol("TESTMC1", 1)))
}

// bxCatalog holds BX/OVOC test parts (the guide names no BX part numbers).
func bxCatalog(t *testing.T) *entitlement.Catalog {
	c, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"BX/OVOC HW","skc":"BX","keycode":"BX/OVOC"},
 {"name":"BX/OVOC SW","skc":"BX","keycode":"BX/OVOC"}],
 "parts":[{"part":"TESTBX1","name":"BX sessions","kind":"count","systems":["BX/OVOC HW","BX/OVOC SW"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newBXGuide(t *testing.T) *guide {
	g := newGuide(t, bxCatalog(t))
	g.l = entitlement.New(g.l.Store(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: guideClock,
		Catalog: bxCatalog(t), Rand: rand.NewChaCha8([32]byte{6}), Rules: systems.GuideRules()})
	return g
}

func zipNames(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

func TestGuide_BX_HardwareNeedsSerialAndProductKey(t *testing.T) {
	g := newBXGuide(t)
	g.refused(entitlement.ErrRule, func() error { return g.create(entitlement.Location{System: "BX/OVOC HW", HWKC: "9551484"}) })
	g.refused(entitlement.ErrInvalid, func() error {
		return g.create(entitlement.Location{System: "BX/OVOC HW", HWKC: "9551484", Attrs: []entitlement.Attr{{Name: entitlement.AttrProductKey, Value: "91FA4F6DBFF01B3"}}})
	})
	loc := g.loc(entitlement.Location{System: "BX/OVOC HW", HWKC: "9551484", Attrs: []entitlement.Attr{{Name: entitlement.AttrProductKey, Value: "dt2729220"}}})
	g.attach(loc.ID, g.ship("BX-HW", ol("TESTBX1", 10)))
	f := g.activate(loc.ID)
	if f.Name != "AA_DT2729220_out.zip" {
		t.Fatalf("file %q", f.Name)
	}
	if got := zipNames(t, f.Data); len(got) != 2 {
		t.Fatalf("container holds %v, want one .lic and the .log", got)
	}
}

func TestGuide_BX_SoftwareKeyAtFirstActivationRedundantPair(t *testing.T) {
	g := newBXGuide(t)
	g.refused(entitlement.ErrRule, func() error {
		return g.create(entitlement.Location{System: "BX/OVOC SW", HWKC: "23345678901234", Attrs: []entitlement.Attr{{Name: entitlement.AttrProductKey, Value: "91FA4F6DBFF01B3"}}})
	})
	prim := g.loc(entitlement.Location{System: "BX/OVOC SW", HWKC: "23345678901234", Name: "3-BX9000-Redundant",
		Attrs: []entitlement.Attr{{Name: systems.AttrRedundant, Value: "yes"}}})
	s := g.ship("BX-SW", ol("TESTBX1", 10))
	g.attach(prim.ID, s)
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Activate(ctx, g.Dist, prim.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
	sec := g.loc(entitlement.Location{System: "BX/OVOC SW", HWKC: "23345678901235", Parent: prim.ID, Name: "BX-OVOC-redundant"})
	g.refused(entitlement.ErrRule, func() error {
		return g.create(entitlement.Location{System: "BX/OVOC SW", HWKC: "23345678901236", Parent: prim.ID})
	})
	s2 := g.ship("BX-SW2", ol("TESTBX1", 1))
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, sec.ID, picksAll(s2)); return err })
	f := g.activate(prim.ID)
	v, vs := g.view(prim.ID), g.view(sec.ID)
	pk, ok1 := v.Attr(entitlement.AttrProductKey)
	spk, ok2 := vs.Attr(entitlement.AttrProductKey)
	if !ok1 || !ok2 || pk == spk || len(pk) != 15 {
		t.Fatalf("product keys %q %q, want two set at first activation", pk, spk)
	}
	if f.Name != "AA_"+pk+"_out.zip" {
		t.Fatalf("file %q, want AA_%s_out.zip", f.Name, pk)
	}
	if got := zipNames(t, f.Data); len(got) != 3 {
		t.Fatalf("container holds %v, want two .lic and the .log", got)
	}
	// Regenerating keeps the keys.
	f2 := must[entitlement.Issued](t)(g.l.Regenerate(ctx, g.Dist, prim.ID))
	if f2.Name != f.Name {
		t.Fatalf("regenerated %q", f2.Name)
	}
	conserved(t, g.l)
}

func TestGuide_SV9500_SEOnlySEPartsAndAtMost1536Ports(t *testing.T) {
	cat, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"SV9500 SE","skc":"35","pbx":true,"keycode":"SV9500"},
 {"name":"SV9500 Standard Server","skc":"35","pbx":true,"keycode":"SV9500"},
 {"name":"LMC","skc":"LM","keycode":"License Manager Client"}],
 "parts":[{"part":"TESTSEP","name":"SV9500 SE Lic Sys Capacity 1 port","kind":"count","systems":["SV9500 SE"],"ports":1},
 {"part":"BE114234","name":"SV9500 Lic Virtualization Option","kind":"flag","systems":["SV9500 Standard Server"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuide(t, cat)
	loc := g.loc(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6CE4DA01378C"}}})
	s := g.ship("SE", ol("TESTSEP", 2000), ol("BE114234", 1))
	g.refused(entitlement.ErrInvalid, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s[1:])); return err })
	must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1000}}))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 537}})
		return err
	})
	must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 536}}))
}

// licensedGuide is newGuide with the real LicenseIssuer, for tests that open the issued files.
func licensedGuide(t *testing.T) *guide {
	g := newGuide(t, nil)
	d, err := keycode.NewDeriver([]byte("guide test deriver secret 32 b!!"))
	if err != nil {
		t.Fatal(err)
	}
	g.l = entitlement.New(g.l.Store(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: guideClock,
		Rand: rand.NewChaCha8([32]byte{4}), Rules: systems.GuideRules(), Deriver: d})
	return g
}

func openIssued(t *testing.T, f entitlement.Issued) *license.File {
	t.Helper()
	return must[*license.File](t)(license.Open(f.File, issuerKeyring(t)))
}

func TestGuide_SV9500_FileBoundToLAN1IP(t *testing.T) {
	g := licensedGuide(t)
	loc := g.loc(entitlement.Location{System: "SV9500 Standard Server"})
	g.attach(loc.ID, g.ship("VO", ol("BE114234", 1)))
	ip := netip.MustParseAddr("10.16.1.20")
	lf := openIssued(t, must[entitlement.Issued](t)(systems.SetLAN1IP(ctx, g.l, g.Dist, loc.ID, ip)))
	v := g.view(loc.ID)
	if lf.Host.IP != ip || lf.Host.Code.String() != v.HWKC || len(lf.Lines) != 1 || lf.Lines[0].Part != "BE114234" {
		t.Fatalf("file host %+v lines %+v; want the virtual code bound to %s with BE114234", lf.Host, lf.Lines, ip)
	}
	if err := lf.Check(license.Host{System: keycode.SV9500, Code: lf.Host.Code, IP: netip.MustParseAddr("10.16.1.21")}, guideClock.T); err == nil {
		t.Fatal("file opens on another LAN1 IP")
	}
}

func TestGuide_IS3000_FileBindsCurrentFCN(t *testing.T) {
	g := licensedGuide(t)
	loc := g.loc(entitlement.Location{System: "iS3000", Attrs: []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: "Old.PBX.local"}}})
	g.attach(loc.ID, g.ship("IS", ol("EU920000", 1)))
	if lf := openIssued(t, g.activate(loc.ID)); lf.Host.ComputerName != "old.pbx.local" {
		t.Fatalf("first file binds %q", lf.Host.ComputerName)
	}
	lf := openIssued(t, must[entitlement.Issued](t)(systems.ChangeComputerName(ctx, g.l, g.Dist, loc.ID, "New.PBX.local")))
	if lf.Host.ComputerName != "new.pbx.local" || lf.Host.Code.String() != loc.HWKC {
		t.Fatalf("re-issued file host %+v, want %s bound to new.pbx.local", lf.Host, loc.HWKC)
	}
}

func TestGuide_IS3000_DongleCPU3000AndCIE2Codes(t *testing.T) {
	g := newGuide(t, nil)
	for _, code := range []string{"aa0014SA2792882418AA", "aa0024IC960002104009xxx12345AA", "aa0024IA956215554211xxx12345AA"} {
		loc := g.loc(entitlement.Location{System: "iS3000", HWKC: code, Name: code})
		if loc.HWKC != code {
			t.Fatalf("code %q stored as %q", code, loc.HWKC)
		}
	}
	g.refused(entitlement.ErrInvalid, func() error { return g.create(entitlement.Location{System: "iS3000", HWKC: "aa0016HN242703562600"}) })
}

// The guide's "iS3000 and SIP@Net Server in case SWA is applicable": "Lic-073 (or Lic-078) is
// absolutely required to make the iS3000/ SIP@Net Server System operational", and with SWA on the
// order Lic-073 is not shipped. An activation without either succeeds and warns.
func TestGuide_IS3000_WarnsWithoutUpgradeAllowance(t *testing.T) {
	g := newGuide(t, nil)
	loc := g.loc(entitlement.Location{System: "iS3000 / SIP@Net Server", HWKC: "aa0014SA2792883507AA"})
	g.attach(loc.ID, g.ship("IS-NO-073", ol("EU920000", 1)))
	f := g.activate(loc.ID)
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "will not run until Lic-078 is attached free of charge") ||
		!strings.Contains(f.Warnings[0], "EU92067151") || !strings.Contains(f.Warnings[0], "960026473134") {
		t.Fatalf("warnings %q", f.Warnings)
	}
	recs := must[[]entitlement.AuditRecord](t)(g.l.Audit(ctx, g.Admin, 0, 10000))
	if last := recs[len(recs)-1]; last.Op != "activate" || len(last.Notes) != 1 || !strings.HasPrefix(last.Notes[0], "warning: ") {
		t.Fatalf("audit record %s notes %q", last.Op, last.Notes)
	}
	// Lic-078 is never sold: an order with it is refused. Software Assurance ships it free of
	// charge through the extension point (Op.Ship), and with it in the file there is no warning.
	g.refused(entitlement.ErrInvalid, func() error {
		_, err := g.l.Ship(ctx, g.Admin, entitlement.Order{Partner: g.DistP, PO: "IS-078", SO: "IS-078", Lines: []entitlement.OrderLine{ol("960026473134", 1)}})
		return err
	})
	var f078 entitlement.Issued
	err := g.l.Update(ctx, g.Dist, "swa.free-of-charge", func(x *entitlement.Op) error {
		s, err := x.Ship(entitlement.Order{Partner: g.DistP, PO: "SA1", SO: "CO1", Lines: []entitlement.OrderLine{ol("960026473134", 1)}})
		if err != nil {
			return err
		}
		if _, err := x.Attach(loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}}); err != nil {
			return err
		}
		f078, err = x.Activate(loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
	if err != nil || len(f078.Warnings) != 0 {
		t.Fatalf("Lic-078 free of charge: warnings %q, %v", f078.Warnings, err)
	}
	other := g.loc(entitlement.Location{System: "iS3000", HWKC: "aa0014SA2792883508AA", Name: "with 073"})
	g.attach(other.ID, g.ship("IS-073", ol("EU920000", 1), ol("EU92067151", 1)))
	if f := g.activate(other.ID); len(f.Warnings) != 0 {
		t.Fatalf("warnings with Lic-073: %q", f.Warnings)
	}
	conserved(t, g.l)
}
