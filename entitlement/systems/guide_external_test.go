package systems_test

import (
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// An external product's purchase order goes whole to one location: after it was attached and
// one line detached again, that line alone cannot go to another location (the order was
// touched), even though the pick takes all that is left in the bin.
func TestGuide_External_POAttachedElsewhereNotSplit(t *testing.T) {
	g := newGuide(t, externalCatalog(t))
	a := g.loc(entitlement.Location{System: "RCC", HWKC: "aa0014SA2792123456AA", Name: "a"})
	b := g.loc(entitlement.Location{System: "RCC", HWKC: "aa0014SA2792123457AA", Name: "b"})
	s := g.ship("RCC-PO9", ol("TESTRCC1", 1), ol("TESTRCC2", 10))
	lines := g.attach(a.ID, s)
	var seats string
	for _, ln := range lines {
		if ln.Part == "TESTRCC2" {
			seats = ln.SKC
		}
	}
	ok(t, g.l.Detach(ctx, g.Dist, a.ID, []string{seats}))
	var rest []entitlement.ShippedLine
	for _, sl := range s {
		if sl.Part == "TESTRCC2" {
			rest = append(rest, sl)
		}
	}
	g.refused(entitlement.ErrRule, func() error { _, err := g.l.Attach(ctx, g.Dist, b.ID, picksAll(rest)); return err })
	// With the whole order back in the bin it attaches whole to the other location.
	var base string
	for _, ln := range lines {
		if ln.Part == "TESTRCC1" {
			base = ln.SKC
		}
	}
	ok(t, g.l.Detach(ctx, g.Dist, a.ID, []string{base}))
	g.attach(b.ID, s)
	conserved(t, g.l)
}
