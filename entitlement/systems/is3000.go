package systems

import (
	"context"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "iS3000 / SIP@Net Server": dongle, CPU3000 and CIE-2 codes; a dongle-less server's
// virtual code from its Full Computer Name, which may change later without changing the code; and
// "iS3000 and SIP@Net Server in case SWA is applicable": Lic-073 (or, with Software Assurance,
// its free-of-charge form Lic-078) is required for the system to run.

// is3000: a dongle-less server gets its virtual code from the Full Computer Name (stored lower
// case); an activation whose file holds neither Lic-073 nor Lic-078 is warned about.
type is3000 struct{ noRules }

func (is3000) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	fcn, ok := loc.Attr(entitlement.AttrComputerName)
	if !ok {
		return nil // dongle, CPU3000 or CIE-2 code, validated by the general rules
	}
	if loc.HWKC != "" {
		return refuse("a dongle-less iS3000 location's code is derived from the Full Computer Name; leave the hardware key code empty")
	}
	norm, err := keycode.NormalizeComputerName(fcn)
	if err != nil {
		return wrapf(entitlement.ErrInvalid, "full computer name: %v", err)
	}
	d := v.Deriver()
	if d == nil {
		return noDeriver()
	}
	n, err := v.Next("is3000")
	if err != nil {
		return err
	}
	c, err := d.IS3000DongleLess(norm, n)
	if err != nil {
		return err
	}
	loc.HWKC = c.String()
	loc.SetAttr(entitlement.AttrComputerName, norm)
	return nil
}

// Activate warns, without refusing, when the file the activation issues holds neither the upgrade
// allowance Lic-073 nor Lic-078: "Lic-073 (or Lic-078) is absolutely required to make the iS3000/
// SIP@Net Server System operational", and with Software Assurance on the order Lic-073 is not
// shipped; Lic-078 is claimed free of charge once SWA (or its grace) covers the location.
func (is3000) Activate(v entitlement.RuleView, loc entitlement.Location, activating []entitlement.Line) error {
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	for _, ln := range append(lines, activating...) {
		if !ln.State.Live() {
			continue
		}
		if ln.Part == PartIS3000Upgrade || ln.Part == PartIS3000SWAUpgrade {
			return nil
		}
	}
	v.Warn("iS3000 / SIP@Net Server %s holds neither Lic-073 (%s) nor Lic-078 (%s): the system will not run until "+
		"Lic-078 is attached free of charge (Software Assurance) or Lic-073 is attached", loc.HWKC, PartIS3000Upgrade, PartIS3000SWAUpgrade)
	return nil
}

// ChangeComputerName changes the Full Computer Name of a dongle-less iS3000 location: the hardware
// key code stays, the name is stored lower case and the file is re-issued with the new name bound
// (when the location has activated lines). An LMS user's operation, one audited transaction
// ("change computer name").
func ChangeComputerName(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location, fcn string) (entitlement.Issued, error) {
	return updateIssued(ctx, l, a, "change computer name", func(x *entitlement.Op) (entitlement.Issued, error) {
		if err := x.LMSUser("change the full computer name"); err != nil {
			return entitlement.Issued{}, err
		}
		loc, err := x.Location(location)
		if err != nil {
			return entitlement.Issued{}, err
		}
		if _, ok := loc.Attr(entitlement.AttrComputerName); !ok || loc.System != "iS3000" {
			return entitlement.Issued{}, wrapf(entitlement.ErrInvalid, "location %s is not a dongle-less iS3000", loc.ID)
		}
		norm, err := keycode.NormalizeComputerName(fcn)
		if err != nil {
			return entitlement.Issued{}, wrapf(entitlement.ErrInvalid, "full computer name: %v", err)
		}
		loc.SetAttr(entitlement.AttrComputerName, norm)
		x.Ref("location", loc.ID)
		if err := x.SaveLocation(loc); err != nil {
			return entitlement.Issued{}, err
		}
		return x.Reissue(loc.ID)
	})
}
