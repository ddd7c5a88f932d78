package systems

import (
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "SV8500 and SR-MGC": an SR-MGC location is a child of an SV8500 location with a temp
// key; SR-MGC parts go on the child only (the catalog), and one SV8500 system (parent and children)
// holds at most one "SV8500 ACD Agent option" license.

// acdOption reports whether a part is the "SV8500 ACD Agent option" license (the catalog's
// acd_agent_option field; the guide names the license but not its part number).
func acdOption(c *entitlement.Catalog, part string) bool {
	p, ok := c.Part(part)
	return ok && p.ACDAgentOption
}

// checkACD refuses a second SV8500 ACD Agent option license on one SV8500 system (the parent and
// its SR-MGC children together).
func checkACD(v entitlement.RuleView, root entitlement.Location, adding []entitlement.Line) error {
	var n int64
	for _, ln := range adding {
		if acdOption(v.Catalog(), ln.Part) {
			n += ln.Qty
		}
	}
	if n == 0 {
		return nil
	}
	locs := []entitlement.Location{root}
	kids, err := v.Children(root.ID)
	if err != nil {
		return err
	}
	locs = append(locs, kids...)
	for _, l := range locs {
		lines, err := v.Lines(l.ID)
		if err != nil {
			return err
		}
		for _, ln := range lines {
			if acdOption(v.Catalog(), ln.Part) {
				n += ln.Qty
			}
		}
	}
	if n > 1 {
		return refuse("only one SV8500 ACD Agent option license is supported per SV8500 system (parent and SR-MGC children): %d", n)
	}
	return nil
}

type sv8500 struct{ lmcChild }

func (sv8500) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	return checkACD(v, loc, adding)
}

// srmgc: a child of an SV8500 location with a temp key; the ACD option limit counts the parent.
type srmgc struct{ noRules }

func (srmgc) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	p, ok, err := v.Location(loc.Parent)
	if err != nil {
		return err
	}
	if !ok || p.System != "SV8500" {
		return refuse("an SR-MGC location must be a child of an SV8500 location")
	}
	if loc.HWKC != "" {
		return refuse("an SR-MGC location gets a temp key; leave the hardware key code empty")
	}
	return tempKey(v, loc, keycode.SRMGC)
}

func (srmgc) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	p, ok, err := v.Location(loc.Parent)
	if err != nil {
		return err
	}
	if !ok {
		return refuse("SR-MGC location %s has no parent", loc.ID)
	}
	return checkACD(v, p, adding)
}
