package systems

import (
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "3C": "For 3C product licensing the "Domain name" is required"; the code "is
// automatically created by LMS", unique even when two sites share a domain name.

// threeC: domain name in, a unique generated code out, even for a domain seen before.
type threeC struct {
	noRules
	sys keycode.System
}

func (r threeC) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	dom, ok := loc.Attr(entitlement.AttrDomain)
	if !ok {
		return refuse("a %s location needs its domain name (attribute %q); its hardware key code is generated from it", loc.System, entitlement.AttrDomain)
	}
	if loc.HWKC != "" {
		return refuse("a 3C location's code is generated from the domain name; leave the hardware key code empty")
	}
	norm, err := keycode.NormalizeDomainName(dom)
	if err != nil {
		return wrapf(entitlement.ErrInvalid, "domain name: %v", err)
	}
	d := v.Deriver()
	if d == nil {
		return noDeriver()
	}
	n, err := v.Next("3c")
	if err != nil {
		return err
	}
	c, err := d.ThreeC(r.sys, norm, n)
	if err != nil {
		return err
	}
	loc.HWKC = c.String()
	loc.SetAttr(entitlement.AttrDomain, norm)
	return nil
}
