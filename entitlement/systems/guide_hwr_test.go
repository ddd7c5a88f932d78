package systems_test

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
)

// A temp key is virtual: an SR-MGC child (22-…-TEMP-KEY) is never hardware-replaced, not even by
// another well-formed temp key.
func TestGuide_HardwareReplacement_SRMGCTempKeyRefused(t *testing.T) {
	g := newGuide(t, nil)
	main := g.loc(entitlement.Location{System: "SV8500", HWKC: sv8500Code})
	child := g.loc(entitlement.Location{System: "SR-MGC", Parent: main.ID})
	s := g.ship("SRMGC-HWR", ol("EU900050", 4))
	g.attach(child.ID, s)
	g.activate(child.ID)
	g.refused(entitlement.ErrRule, func() error {
		_, err := systems.ReplaceHardware(ctx, g.l, g.Admin, child.ID, "22-190716093000-002-TEMP-KEY")
		return err
	})
}

// An LMC child whose parent has a virtual code (here a dongle-less iS3000, code from the Full
// Computer Name) is virtual too, even when its own code does not follow the parent's.
func TestGuide_HardwareReplacement_ChildOfVirtualRefused(t *testing.T) {
	g := newGuide(t, nil)
	is := g.loc(entitlement.Location{System: "iS3000", Attrs: []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: "pbx.example.local"}}})
	lmc := g.loc(entitlement.Location{System: "LMC", HWKC: "LMIS0014SA2792882418", Parent: is.ID})
	g.refused(entitlement.ErrRule, func() error {
		_, err := systems.ReplaceHardware(ctx, g.l, g.Admin, lmc.ID, "LMIS0014SA2792882419")
		return err
	})
}

// An LMC child bound to its parent's code is never replaced on its own; when the parent is
// replaced the child follows to the new code's LMC form and its old code is retired.
func TestGuide_HardwareReplacement_LMCChildFollowsParent(t *testing.T) {
	g := newGuide(t, nil)
	const oldCode, newCode = "22CC538207AFD058020640CD57xO", "22CC528207AFC059020340CD57xO"
	pbx := g.loc(entitlement.Location{System: "SV8500", HWKC: oldCode})
	lmc := g.view(pbx.ID).Children[0]
	s := g.ship("LMC-HWR", ol("390924", 10))
	g.attach(lmc.ID, s)
	g.activate(lmc.ID)
	g.refused(entitlement.ErrRule, func() error {
		_, err := systems.ReplaceHardware(ctx, g.l, g.Admin, lmc.ID, "LM"+newCode)
		return err
	})
	must[entitlement.Issued](t)(systems.ReplaceHardware(ctx, g.l, g.Admin, pbx.ID, newCode))
	v := g.view(lmc.ID)
	if v.HWKC != "LM"+newCode || !reflect.DeepEqual(v.FormerHWKC, []string{"LM" + oldCode}) || len(v.Activated) != 1 {
		t.Fatalf("LMC child after the parent's replacement: code %q former %v, %d activated; want LM%s, [LM%s], 1",
			v.HWKC, v.FormerHWKC, len(v.Activated), newCode, oldCode)
	}
	g.refused(entitlement.ErrState, func() error {
		return g.create(entitlement.Location{System: "LMC", HWKC: "LM" + oldCode, Name: "reuse"})
	})
	conserved(t, g.l)
}

// ReplaceHardware replaces the primary only; ReplaceSecondaryHardware replaces the secondary code
// of an appliance pair (administrator), retires the old one and re-issues the file.
func TestGuide_HardwareReplacement_ApplianceSecondary(t *testing.T) {
	g := newGuide(t, nil)
	const prim, sec, newSec = "3565A9C3084267EF2E44A4736DI2", "3565ACE34C8C5745F64708D363FK", "35G00N470108E0S0A8832EF2d3Po"
	loc := g.loc(entitlement.Location{System: "SV9500 Appliance Server", HWKC: prim, SecondaryHWKC: sec})
	g.attach(loc.ID, g.ship("APP", ol("BE114263", 10)))
	g.activate(loc.ID)
	g.refused(entitlement.ErrNotAllowed, func() error { _, err := systems.ReplaceSecondaryHardware(ctx, g.l, g.Dist, loc.ID, newSec); return err })
	g.refused(entitlement.ErrInvalid, func() error { _, err := systems.ReplaceSecondaryHardware(ctx, g.l, g.Admin, loc.ID, prim); return err })
	sv81 := g.loc(entitlement.Location{System: "SV8100", HWKC: "191000343919"})
	g.refused(entitlement.ErrInvalid, func() error {
		_, err := systems.ReplaceSecondaryHardware(ctx, g.l, g.Admin, sv81.ID, "191000343920")
		return err
	})
	f := must[entitlement.Issued](t)(systems.ReplaceSecondaryHardware(ctx, g.l, g.Admin, loc.ID, newSec))
	v := g.view(loc.ID)
	if v.HWKC != prim || v.SecondaryHWKC != newSec || !reflect.DeepEqual(v.FormerHWKC, []string{sec}) || f.Serial != 2 {
		t.Fatalf("after secondary replacement: %q / %q, former %v, file serial %d", v.HWKC, v.SecondaryHWKC, v.FormerHWKC, f.Serial)
	}
	g.refused(entitlement.ErrState, func() error {
		return g.create(entitlement.Location{System: "SV9500 Appliance Server", HWKC: sec, Name: "reuse"})
	})
	conserved(t, g.l)
}

// The operations keep the audit operation names they had as methods of the ledger, so the audit
// records of existing ledgers read the same.
func TestAuditOperationNamesUnchanged(t *testing.T) {
	g := newGuide(t, nil)
	sv := g.loc(entitlement.Location{System: "SV9500 Standard Server"})
	g.attach(sv.ID, g.ship("VO", ol("BE114234", 1)))
	must[entitlement.Issued](t)(systems.SetLAN1IP(ctx, g.l, g.Dist, sv.ID, netip.MustParseAddr("10.1.1.1")))
	if op := lastOp(t, g); op != "set LAN1 IP" {
		t.Errorf("SetLAN1IP audited as %q", op)
	}
	is := g.loc(entitlement.Location{System: "iS3000", Attrs: []entitlement.Attr{{Name: entitlement.AttrComputerName, Value: "a.example"}}})
	must[entitlement.Issued](t)(systems.ChangeComputerName(ctx, g.l, g.Dist, is.ID, "b.example"))
	if op := lastOp(t, g); op != "change computer name" {
		t.Errorf("ChangeComputerName audited as %q", op)
	}
	const prim, sec = "3565A9C3084267EF2E44A4736DI2", "3565ACE34C8C5745F64708D363FK"
	app := g.loc(entitlement.Location{System: "SV9500 Appliance Server", HWKC: prim, SecondaryHWKC: sec})
	must[entitlement.Issued](t)(systems.ReplaceSecondaryHardware(ctx, g.l, g.Admin, app.ID, "35G00N470108E0S0A8832EF2d3Po"))
	if op := lastOp(t, g); op != "replace secondary hardware" {
		t.Errorf("ReplaceSecondaryHardware audited as %q", op)
	}
	cp := g.loc(entitlement.Location{System: "SV9100 CP10", HWKC: cp10Code})
	must[entitlement.Issued](t)(systems.ReplaceHardware(ctx, g.l, g.Admin, cp.ID, "341006761784"))
	if op := lastOp(t, g); op != "replace hardware" {
		t.Errorf("ReplaceHardware audited as %q", op)
	}
	g.attach(cp.ID, g.ship("CP", ol("BE114063", 1)))
	g.activate(cp.ID)
	must[entitlement.Issued](t)(systems.MigrateSV9100(ctx, g.l, g.Dist, cp.ID, cp20Code))
	if op := lastOp(t, g); op != "migrate" {
		t.Errorf("MigrateSV9100 audited as %q", op)
	}
}
