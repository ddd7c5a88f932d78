package systems_test

import (
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
)

// lastOp returns the audit operation of the newest audit record.
func lastOp(t *testing.T, g *guide) string {
	t.Helper()
	recs := must[[]entitlement.AuditRecord](t)(g.l.Audit(ctx, g.Admin, 0, 10000))
	return recs[len(recs)-1].Op
}

// The guide's Note 2: after an upload "register a call to the NEC License Desk and request for
// deactivation of the PARI". An upload creates activated licenses from the user's own data, so it
// has its own audit operation and flags the location until the license desk confirms.
func TestGuide_DECT_UploadFlaggedForLicenseDesk(t *testing.T) {
	g := newGuide(t, nil)
	loc := dectLoc(g, "1FFFFFF9")
	g.refused(entitlement.ErrState, func() error { return systems.ConfirmPARIDeactivation(ctx, g.l, g.Admin, loc.ID) })
	must[[]entitlement.Line](t)(systems.ImportDECTLicenses(ctx, g.l, g.Dist, loc.ID, strings.NewReader(dectUpload)))
	if op := lastOp(t, g); op != systems.OpDECTImport {
		t.Fatalf("audit operation %q, want %q", op, systems.OpDECTImport)
	}
	if v, _ := g.view(loc.ID).Attr(systems.AttrPARIDeactivation); v != systems.PARIRequested {
		t.Fatalf("flag %q after the upload, want %q", v, systems.PARIRequested)
	}
	g.refused(entitlement.ErrNotAllowed, func() error { return systems.ConfirmPARIDeactivation(ctx, g.l, g.Dist, loc.ID) })
	ok(t, systems.ConfirmPARIDeactivation(ctx, g.l, g.Admin, loc.ID))
	if v, _ := g.view(loc.ID).Attr(systems.AttrPARIDeactivation); v != systems.PARIConfirmed {
		t.Fatalf("flag %q after the license desk, want %q", v, systems.PARIConfirmed)
	}
	if op := lastOp(t, g); op != systems.OpPARIDeactivation {
		t.Fatalf("audit operation %q", op)
	}
	g.refused(entitlement.ErrState, func() error { return systems.ConfirmPARIDeactivation(ctx, g.l, g.Admin, loc.ID) })
	// Only the ledger sets the flag.
	g.refused(entitlement.ErrRule, func() error {
		return g.create(entitlement.Location{System: "IP DECT", HWKC: "1FFFFFF5",
			Attrs: []entitlement.Attr{{Name: systems.AttrPARIDeactivation, Value: systems.PARIConfirmed}}})
	})
}

// The DECT upload is the first action only: a location whose demo license was used refuses it.
func TestGuide_DECT_UploadRefusedAfterDemo(t *testing.T) {
	// The shipped catalog has no IP DECT demo set; this one gives the Cruise license a demo quantity.
	b, err := readDefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	const cruise = `"part": "EU917024", "name": "IPDECT Cruise Lic", "kind": "flag", "systems": ["IP DECT"], "swa": true`
	if !strings.Contains(string(b), cruise) {
		t.Fatal("catalog entry of EU917024 changed; update this test")
	}
	cat, err := entitlement.ParseCatalog(strings.NewReader(strings.Replace(string(b), cruise, cruise+`, "demo": 1`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuide(t, cat)
	loc := dectLoc(g, "1FFFFFF9")
	must[entitlement.Issued](t)(g.l.GenerateDemo(ctx, g.Dist, loc.ID))
	g.refused(entitlement.ErrState, func() error {
		_, err := systems.ImportDECTLicenses(ctx, g.l, g.Dist, loc.ID, strings.NewReader(dectUpload))
		return err
	})
}
