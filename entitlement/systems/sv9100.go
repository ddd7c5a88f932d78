package systems

import (
	"context"
	"fmt"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
)

// The guide's "SV9100": two system types, SV9100 CP10 and SV9100 CP20, each with its own code
// range; and its "Migrations": a CP10 system moves to a CP20 board with its licenses.

// sv9100: the system type must match the HWKC range: CP10 codes start with 34, CP20 codes with 44.
type sv9100 struct {
	noRules
	prefix, other string
}

var (
	sv9100CP10 = sv9100{prefix: "34", other: "SV9100 CP20"}
	sv9100CP20 = sv9100{prefix: "44", other: "SV9100 CP10"}
)

func (r sv9100) CreateLocation(_ entitlement.RuleView, loc *entitlement.Location) error {
	code := strings.TrimSpace(loc.HWKC)
	if !strings.HasPrefix(code, r.prefix) {
		return refuse("hardware key code %q is not in the %s range (%s…); choose system %s for it", loc.HWKC, loc.System, r.prefix, r.other)
	}
	return nil
}

// MigrateSV9100 migrates an SV9100 CP10 location to a CP20 board with hardware key code code: the
// location becomes "SV9100 CP20" with the new code; each activated line is carried over as a new
// activated line with a new software key code on a migration order MIGSU_<yyyyMMdd><n> (PO and
// SO), keeping its original activation date (the guide's "Activated" column), and the old lines
// stay on the location as read-only history (StateMigrated) with their original PO and SO (the
// guide's "NEC PO"/"NEC SO" columns: [entitlement.LocationView.MigratedOrigin] finds a new line's
// history line); the old code is retired. The code must be in the CP20 range, checked here whatever
// Config.HostID accepts. Attached lines must be detached or activated first. An LMS user's
// operation, one audited transaction ("migrate"); the new file is issued and returned.
func MigrateSV9100(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location, code string) (entitlement.Issued, error) {
	return updateIssued(ctx, l, a, "migrate", func(x *entitlement.Op) (entitlement.Issued, error) {
		if err := x.LMSUser("migrate systems"); err != nil {
			return entitlement.Issued{}, err
		}
		loc, err := x.Location(location)
		if err != nil {
			return entitlement.Issued{}, err
		}
		if loc.System != "SV9100 CP10" {
			return entitlement.Issued{}, wrapf(entitlement.ErrInvalid, "location %s is %s; only SV9100 CP10 migrates to CP20", loc.ID, loc.System)
		}
		nc, err := x.HostID("SV9100 CP20", code)
		if err != nil {
			return entitlement.Issued{}, err
		}
		if err := sv9100CP20.CreateLocation(nil, &entitlement.Location{System: "SV9100 CP20", HWKC: nc}); err != nil {
			return entitlement.Issued{}, err
		}
		lines, err := x.Lines(loc.ID)
		if err != nil {
			return entitlement.Issued{}, err
		}
		activated := 0
		for _, ln := range lines {
			switch ln.State {
			case entitlement.StateAttached:
				return entitlement.Issued{}, wrapf(entitlement.ErrState, "location %s has attached line %s: detach or activate it before migrating", loc.ID, ln.SKC)
			case entitlement.StateActivated:
				activated++
			}
		}
		if activated == 0 {
			return entitlement.Issued{}, wrapf(entitlement.ErrState, "location %s has no activated lines to migrate", loc.ID)
		}
		order, err := orderNumber(x, loc.Partner, "MIGSU_", "systems.migration")
		if err != nil {
			return entitlement.Issued{}, err
		}
		x.Ref("location", loc.ID)
		if _, err := rekey(x, loc, "SV9100 CP20", nc); err != nil {
			return entitlement.Issued{}, err
		}
		if _, err := x.CarryOver(loc.ID, order); err != nil {
			return entitlement.Issued{}, err
		}
		return x.Reissue(loc.ID)
	})
}

// orderNumber returns a new number <prefix><yyyyMMdd><n> for an order the operation books itself
// (a migration's MIGSU_, an upload's IMPORT_), n from the named counter, skipping a number the
// partner holds already.
func orderNumber(x *entitlement.Op, partner, prefix, counter string) (string, error) {
	for range 1000 {
		n, err := x.Next(counter)
		if err != nil {
			return "", err
		}
		order := fmt.Sprintf("%s%s%d", prefix, x.Now().Format("20060102"), n)
		held, err := x.RuleView().OrderLines(partner, order)
		if err != nil {
			return "", err
		}
		if len(held) == 0 {
			return order, nil
		}
	}
	return "", wrapf(entitlement.ErrCorrupt, "no free %s order number after 1000 tries", prefix)
}
