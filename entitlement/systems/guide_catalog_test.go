package systems_test

import (
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// These tests run the guide's rules against the shipped DefaultCatalog, so a rule that lives in
// data/catalog.json (which system a part fits, a part's port count) is checked where it ships.

// The guide ("Way of working for MA4000 SM, MA4000 EM and CTI"): "check attaching to the proper
// HWKC format! SV8300 HWKC (example): LM18CYG-IPS-…": MA4000 parts go on the LMC location only.
func TestGuide_LMC_MA4000OnlyOnLMCLocation(t *testing.T) {
	g := newGuide(t, entitlement.DefaultCatalog())
	for _, tc := range []struct{ system, code string }{
		{"SV8500", sv8500Code},
		{"SV9500 Appliance Server", "3565A9C3084267EF2E44A4736DI2"},
	} {
		pbx := g.loc(entitlement.Location{System: tc.system, HWKC: tc.code})
		lmc := g.view(pbx.ID).Children[0]
		for _, part := range []string{"390908", "390924", "391950", "391955", "391998"} {
			s := g.ship("MA-"+tc.system+part, ol(part, 1))
			g.refused(entitlement.ErrInvalid, func() error {
				_, err := g.l.Attach(ctx, g.Dist, pbx.ID, picksAll(s))
				return err
			})
			g.attach(lmc.ID, s)
		}
	}
	is := g.loc(entitlement.Location{System: "iS3000", HWKC: "aa0014SA2792882418AA"})
	s := g.ship("MA-IS", ol("391998", 5))
	g.refused(entitlement.ErrInvalid, func() error { _, err := g.l.Attach(ctx, g.Dist, is.ID, picksAll(s)); return err })
	lmc := g.loc(entitlement.Location{System: "LMC", HWKC: "LMIS0014SA2792882418", Parent: is.ID})
	g.attach(lmc.ID, s)
	conserved(t, g.l)
}

// The guide: SV9500 SE has "a dedicated set of SV9500 SE (V7) licenses". It names none of their
// part numbers, so the shipped catalog fits no part to SV9500 SE and the generic SV9500 parts are
// refused there.
func TestGuide_SV9500_SEDefaultCatalogRefusesGenericParts(t *testing.T) {
	cat := entitlement.DefaultCatalog()
	g := newGuide(t, cat)
	loc := g.loc(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6CE4DA01378C"}}})
	for _, part := range []string{"BE114511", "BE114263", "BE114234"} {
		s := g.ship("SE-"+part, ol(part, 1))
		g.refused(entitlement.ErrInvalid, func() error { _, err := g.l.Attach(ctx, g.Dist, loc.ID, picksAll(s)); return err })
	}
	for _, p := range cat.Parts() {
		if p.FitsSystem("SV9500 SE") {
			t.Errorf("part %s (%s) fits SV9500 SE, but the guide names no SE part", p.Number, p.Name)
		}
	}
}

// The SE port limit reads the catalog's ports field, not the word "capacity" in a name: a part
// named "Capacity" without ports adds nothing, a part with ports × quantity adds up.
func TestGuide_SV9500_SEPortsFromCatalogField(t *testing.T) {
	cat, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"SV9500 SE","skc":"35","pbx":true,"keycode":"SV9500"},
 {"name":"LMC","skc":"LM","keycode":"License Manager Client"}],
 "parts":[{"part":"TESTNAME","name":"SV9500 SE Lic Sys Capacity 1 port","kind":"count","systems":["SV9500 SE"]},
 {"part":"TEST512","name":"SV9500 SE Lic 512 ports","kind":"count","systems":["SV9500 SE"],"ports":512}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuide(t, cat)
	loc := g.loc(entitlement.Location{System: "SV9500 SE", Attrs: []entitlement.Attr{{Name: entitlement.AttrMAC, Value: "6CE4DA01378C"}}})
	s := g.ship("SE", ol("TESTNAME", 5000), ol("TEST512", 4))
	g.attach(loc.ID, s[:1]) // no ports field: not a port count, whatever its name says
	must[[]entitlement.Line](t)(g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[1].ID, Qty: 3}}))
	g.refused(entitlement.ErrRule, func() error {
		_, err := g.l.Attach(ctx, g.Dist, loc.ID, []entitlement.Pick{{Line: s[1].ID, Qty: 1}}) // 4 × 512 = 2048 > 1536
		return err
	})
}

// The shipped catalog's port counts, and the ACD Agent option found by its field, not its name.
func TestGuide_SRMGC_ACDAgentOptionByCatalogField(t *testing.T) {
	def := entitlement.DefaultCatalog()
	for part, want := range map[string]int64{"BE107635": 384, "EU900050": 1, "BE107573": 0} {
		if p, _ := def.Part(part); p.Ports != want {
			t.Errorf("DefaultCatalog %s: ports %d, want %d", part, p.Ports, want)
		}
	}
	cat, err := entitlement.ParseCatalog(strings.NewReader(`{"version":1,"systems":[
 {"name":"SV8500","skc":"22","pbx":true,"keycode":"SV8500"},
 {"name":"LMC","skc":"LM","keycode":"License Manager Client"}],
 "parts":[{"part":"TESTNAMEONLY","name":"SV8500 ACD Agent option","kind":"flag","systems":["SV8500"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuide(t, cat)
	main := g.loc(entitlement.Location{System: "SV8500", HWKC: sv8500Code})
	g.attach(main.ID, g.ship("NAME", ol("TESTNAMEONLY", 2))) // not marked: the one-per-system limit does not apply
}
