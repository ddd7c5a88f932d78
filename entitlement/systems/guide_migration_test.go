package systems_test

import (
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
)

// movingClock is a clock a test moves forward.
type movingClock struct{ t *time.Time }

func (c movingClock) Now() time.Time { return *c.t }

// The guide's migrated page shows each carried-over line on the MIGSU_ order with its original
// "Activated" date, beside the original PO/SO ("NEC PO", "NEC SO"), which the history line keeps.
func TestGuide_Migration_KeepsOriginalDatesAndPO(t *testing.T) {
	now := time.Date(2016, 8, 23, 10, 0, 0, 0, time.UTC)
	g := newGuideCfg(t, nil, func(c *entitlement.Config) { c.Clock = movingClock{&now} })
	loc := g.loc(entitlement.Location{System: "SV9100 CP10", HWKC: cp10Code, Name: "SV9100-4"})
	g.attach(loc.ID, g.ship("SV91-4 Lics", ol("BE114074", 1)))
	g.activate(loc.ID)
	now = time.Date(2018, 7, 3, 10, 0, 0, 0, time.UTC)
	g.attach(loc.ID, g.ship("ChKr add lics", ol("BE114066", 4)))
	g.activate(loc.ID)
	now = time.Date(2019, 7, 17, 9, 30, 0, 0, time.UTC)
	must[entitlement.Issued](t)(systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, cp20Code))
	v := g.view(loc.ID)
	type row struct{ Part, PO, NECPO, Activated string }
	var got []row
	for _, ln := range v.Activated {
		from, ok := v.MigratedOrigin(ln)
		if !ok {
			t.Fatalf("line %s: no history line", ln.SKC)
		}
		got = append(got, row{ln.Part, ln.PO, from.PO, ln.ActivatedAt.Format("02/01/2006")})
	}
	want := map[string]row{
		"BE114074": {"BE114074", "MIGSU_201907171", "SV91-4 Lics", "23/08/2016"},
		"BE114066": {"BE114066", "MIGSU_201907171", "ChKr add lics", "03/07/2018"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d migrated lines, want %d", len(got), len(want))
	}
	for _, r := range got {
		if r != want[r.Part] {
			t.Errorf("migrated line %+v, want %+v", r, want[r.Part])
		}
	}
	if _, ok := v.MigratedOrigin(v.History[0]); ok {
		t.Error("a history line has a migration origin")
	}
	conserved(t, g.l)
}

// The migration checks the CP20 range rule itself: with a host-id check that accepts any code
// (a service's own Config.HostID), a CP10-range code is still refused as the migration target.
func TestGuide_Migration_CP20RangeCheck(t *testing.T) {
	g := newGuideCfg(t, nil, func(c *entitlement.Config) {
		c.HostID = func(system, code string) (string, error) { return code, nil }
	})
	loc := g.loc(entitlement.Location{System: "SV9100 CP10", HWKC: cp10Code})
	g.attach(loc.ID, g.ship("MIG", ol("BE114063", 2)))
	g.activate(loc.ID)
	g.refused(entitlement.ErrRule, func() error { _, err := systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, "341006761784"); return err })
	must[entitlement.Issued](t)(systems.MigrateSV9100(ctx, g.l, g.Dist, loc.ID, cp20Code))
}
