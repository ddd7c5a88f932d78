package systems

import (
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "Activate Licenses for Applications using LMC": SV8300, SV8500, SV9300 and SV9500
// locations get their License Manager Client child (LM + the PBX code) with them; other PBXs get
// one by hand. A child bound to its parent's code follows the parent to a new code.

// lmcChild creates the LMC child location (LM + the PBX code) of SV8300, SV8500, SV9300 and
// SV9500 locations.
type lmcChild struct{ noRules }

func (lmcChild) Children(v entitlement.RuleView, loc entitlement.Location) ([]entitlement.Location, error) {
	sys, _ := v.Catalog().System(loc.System)
	c, err := keycode.Parse(sys.Keycode, loc.HWKC)
	if err != nil {
		return nil, err
	}
	lm, err := c.LMC()
	if err != nil {
		return nil, err
	}
	return []entitlement.Location{{Name: loc.Name + " LMC", System: "LMC", HWKC: lm.String(), Address: loc.Address}}, nil
}

// lmcForm returns the LMC form (LM + code, LMIS… for iS3000) of a code of a catalog system, or ""
// when the code has none.
func lmcForm(cat *entitlement.Catalog, system, code string) string {
	sys, _ := cat.System(system)
	c, err := keycode.Parse(sys.Keycode, code)
	if err != nil {
		return ""
	}
	lm, err := c.LMC()
	if err != nil {
		return ""
	}
	return lm.String()
}

// followsParent reports whether loc is an LMC child bound to its parent's code: it is rekeyed with
// its parent and never on its own.
func followsParent(x *entitlement.Op, loc entitlement.Location) (bool, error) {
	if loc.System != "LMC" || loc.Parent == "" {
		return false, nil
	}
	p, err := x.Location(loc.Parent)
	if err != nil {
		return false, err
	}
	lm := lmcForm(x.Ledger().Catalog(), p.System, p.HWKC)
	return lm != "" && loc.HWKC == lm, nil
}

// rekey moves a location to a new code (and, when system is not empty, a new system) with
// [entitlement.Op.Rekey]; an LMC child bound to the old code follows to the new code's LMC form,
// and gets its file re-issued. It returns the location as saved.
func rekey(x *entitlement.Op, loc entitlement.Location, system, code string) (entitlement.Location, error) {
	cat := x.Ledger().Catalog()
	oldLM := lmcForm(cat, loc.System, loc.HWKC)
	loc, err := x.Rekey(loc.ID, system, code)
	if err != nil {
		return loc, err
	}
	if oldLM == "" {
		return loc, nil
	}
	kids, err := x.RuleView().Children(loc.ID)
	if err != nil {
		return loc, err
	}
	for _, kid := range kids {
		if kid.System != "LMC" || kid.HWKC != oldLM {
			continue
		}
		lm := lmcForm(cat, loc.System, loc.HWKC)
		if lm == "" {
			return loc, wrapf(entitlement.ErrInvalid, "new hardware key code %s has no LMC form for the LMC child %s", loc.HWKC, kid.ID)
		}
		if _, err := rekey(x, kid, "", lm); err != nil {
			return loc, err
		}
		x.Ref("location", kid.ID)
		if _, err := x.Reissue(kid.ID); err != nil {
			return loc, err
		}
	}
	return loc, nil
}
