package entitlement

import (
	"fmt"
	"net"
	"strings"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// Part numbers the per-system rules name.
const (
	PartVirtualizationOption = "BE114234" // SV9500 Lic Virtualization Option
	PartDECTAP               = "EU917062" // IPDECT 1 AP Cap Lic
	PartDECTAPConv           = "EU917017" // IPDECT 1 AP Cap Conv Lic
	PartDECTMessaging        = "EU917027" // IPDECT Messaging 1 AP Lic
	PartDECTLocation         = "EU917028" // IPDECT Location 1 AP Lic
	PartDECTUpgrade          = "EU917029" // IPDECT Upgrade Allowance 1 AP Lic
	PartDECTNS               = "EU910010" // DMLS Discounted Messaging License (DECT - NS)
)

// GuideRules returns the per-system rules of the LMS guide for [Config.Rules], keyed by system
// name (see the package documentation for the list). Virtual key codes need Config.Deriver.
func GuideRules() map[string]Rules {
	lmc := lmcChild{}
	return map[string]Rules{
		"SV9100 CP10":             sv9100{prefix: "34", other: "SV9100 CP20"},
		"SV9100 CP20":             sv9100{prefix: "44", other: "SV9100 CP10"},
		"SV8300":                  lmc,
		"SV9300":                  lmc,
		"SV8500":                  sv8500{lmc},
		"SR-MGC":                  srmgc{},
		"SV9500 Standard Server":  sv9500Standard{lmc},
		"SV9500 Appliance Server": lmc,
		"SV9500 SE":               sv9500SE{lmc},
		"iS3000":                  is3000{},
		"3C":                      threeC{sys: keycode.ThreeC},
		"3C CAT2":                 threeC{sys: keycode.ThreeCCAT2},
		"IP DECT":                 ipDECT{},
		"DECT - NS":               dectNS{},
		"BX/OVOC HW":              bxOVOC{},
		"BX/OVOC SW":              bxOVOC{},
		"OVOC":                    bxOVOC{},
		"RCC":                     externalProduct{system: "RCC"},
		"UM4730":                  externalProduct{system: "UM4730"},
		"Expense Management":      externalProduct{system: "Expense Management"},
		"MobiCall Master":         externalProduct{system: "MobiCall Master"},
		"MobiCall Supervisor":     externalProduct{system: "MobiCall Supervisor"},
		"MobiBox":                 externalProduct{system: "MobiBox"},
	}
}

// noRules is embedded by rule sets that leave some of the three hooks to the general rules.
type noRules struct{}

func (noRules) CreateLocation(RuleView, *Location) error  { return nil }
func (noRules) Attach(RuleView, Location, []Line) error   { return nil }
func (noRules) Activate(RuleView, Location, []Line) error { return nil }

// ruleRefuse is a per-system rule's refusal (matches ErrRule).
func ruleRefuse(format string, a ...any) error { return wrapf(ErrRule, format, a...) }

// sumQty sums the quantity of one part over lines, history lines excluded.
func sumQty(lines []Line, part string) (n int64) {
	for _, ln := range lines {
		if ln.Part == part && ln.State != StateMigrated {
			n += ln.Qty
		}
	}
	return n
}

// sv9100: the system type must match the HWKC range: CP10 codes start with 34, CP20 codes with 44.
type sv9100 struct {
	noRules
	prefix, other string
}

func (r sv9100) CreateLocation(_ RuleView, loc *Location) error {
	code := strings.TrimSpace(loc.HWKC)
	if !strings.HasPrefix(code, r.prefix) {
		return ruleRefuse("hardware key code %q is not in the %s range (%s…); choose system %s for it", loc.HWKC, loc.System, r.prefix, r.other)
	}
	return nil
}

// lmcChild creates the LMC child location (LM + the PBX code) of SV8300, SV8500, SV9300 and
// SV9500 locations.
type lmcChild struct{ noRules }

func (lmcChild) Children(v RuleView, loc Location) ([]Location, error) {
	sys, _ := v.Catalog().System(loc.System)
	c, err := keycode.Parse(sys.Keycode, loc.HWKC)
	if err != nil {
		return nil, err
	}
	lm, err := c.LMC()
	if err != nil {
		return nil, err
	}
	return []Location{{Name: loc.Name + " LMC", System: "LMC", HWKC: lm.String(), Address: loc.Address}}, nil
}

// acdOption reports whether a part is the "SV8500 ACD Agent option" license (the catalog's
// acd_agent_option field; the guide names the license but not its part number).
func acdOption(c *Catalog, part string) bool {
	p, ok := c.Part(part)
	return ok && p.ACDAgentOption
}

// checkACD refuses a second SV8500 ACD Agent option license on one SV8500 system (the parent and
// its SR-MGC children together).
func checkACD(v RuleView, root Location, adding []Line) error {
	var n int64
	for _, ln := range adding {
		if acdOption(v.Catalog(), ln.Part) {
			n += ln.Qty
		}
	}
	if n == 0 {
		return nil
	}
	locs := []Location{root}
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
		return ruleRefuse("only one SV8500 ACD Agent option license is supported per SV8500 system (parent and SR-MGC children): %d", n)
	}
	return nil
}

type sv8500 struct{ lmcChild }

func (sv8500) Attach(v RuleView, loc Location, adding []Line) error { return checkACD(v, loc, adding) }

// srmgc: a child of an SV8500 location with a temp key; the ACD option limit counts the parent.
type srmgc struct{ noRules }

func (srmgc) CreateLocation(v RuleView, loc *Location) error {
	p, ok, err := v.Location(loc.Parent)
	if err != nil {
		return err
	}
	if !ok || p.System != "SV8500" {
		return ruleRefuse("an SR-MGC location must be a child of an SV8500 location")
	}
	if loc.HWKC != "" {
		return ruleRefuse("an SR-MGC location gets a temp key; leave the hardware key code empty")
	}
	return tempKey(v, loc, keycode.SRMGC)
}

func (srmgc) Attach(v RuleView, loc Location, adding []Line) error {
	p, ok, err := v.Location(loc.Parent)
	if err != nil {
		return err
	}
	if !ok {
		return ruleRefuse("SR-MGC location %s has no parent", loc.ID)
	}
	return checkACD(v, p, adding)
}

func tempKey(v RuleView, loc *Location, sys keycode.System) error {
	n, err := v.Next("tempkey")
	if err != nil {
		return err
	}
	c, err := keycode.TempKey(sys, v.Now(), int(n%1000))
	if err != nil {
		return err
	}
	loc.HWKC = c.String()
	return nil
}

// sv9500Standard: created with a temp key; the first attach is BE114234 alone; nothing else is
// attached or activated until the LAN1 IP gave the virtual code ([Ledger.SetLAN1IP]).
type sv9500Standard struct{ lmcChild }

func (sv9500Standard) CreateLocation(v RuleView, loc *Location) error {
	if loc.HWKC != "" {
		return ruleRefuse("an SV9500 Standard Server location is created without a hardware key code (its virtual code comes from the LAN1 IP)")
	}
	if _, ok := loc.Attr(AttrIP); ok {
		return ruleRefuse("the LAN1 IP is given after the Virtualization Option is attached")
	}
	return tempKey(v, loc, keycode.SV9500)
}

func (sv9500Standard) Attach(v RuleView, loc Location, adding []Line) error {
	if _, ok := loc.Attr(AttrIP); ok {
		return nil
	}
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	if len(lines) > 0 {
		return ruleRefuse("SV9500 Standard Server %s: give the LAN1 IP before attaching more licenses", loc.ID)
	}
	if len(adding) != 1 || adding[0].Part != PartVirtualizationOption || adding[0].Qty != 1 {
		return ruleRefuse("SV9500 Standard Server %s: the first attach must be the Virtualization Option (%s) × 1 alone", loc.ID, PartVirtualizationOption)
	}
	return nil
}

func (sv9500Standard) Activate(_ RuleView, loc Location, _ []Line) error {
	if _, ok := loc.Attr(AttrIP); !ok {
		return ruleRefuse("SV9500 Standard Server %s: give the LAN1 IP (SetLAN1IP activates the Virtualization Option)", loc.ID)
	}
	return nil
}

// sv9500SE: the hardware key code is derived from the MAC address.
type sv9500SE struct{ lmcChild }

func (sv9500SE) CreateLocation(v RuleView, loc *Location) error {
	mac, ok := loc.Attr(AttrMAC)
	if !ok {
		return ruleRefuse("an SV9500 SE location needs its MAC address (attribute %q); its code is derived from it", AttrMAC)
	}
	if loc.HWKC != "" {
		return ruleRefuse("an SV9500 SE location's hardware key code is derived from the MAC; leave it empty")
	}
	m, err := license.ParseMAC(mac)
	if err != nil {
		return wrapf(ErrInvalid, "MAC address %q: %v", mac, err)
	}
	d := v.Deriver()
	if d == nil {
		return wrapf(ErrState, "no key code deriver configured")
	}
	c, err := d.SV9500SmallEnterprise(net.HardwareAddr(m[:]))
	if err != nil {
		return err
	}
	loc.HWKC = c.String()
	loc.setAttr(AttrMAC, strings.ToUpper(fmt.Sprintf("%x", m[:])))
	return nil
}

// SEMaxPorts is the port capacity limit of an SV9500 SE location.
const SEMaxPorts = 1536

// partPorts returns the ports one unit of a part licenses (the catalog's ports field).
func partPorts(c *Catalog, part string) int64 {
	p, _ := c.Part(part)
	return p.Ports
}

func (sv9500SE) Attach(v RuleView, loc Location, adding []Line) error {
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	var ports int64
	for _, ln := range append(lines, adding...) {
		if ln.State != StateMigrated {
			ports += ln.Qty * partPorts(v.Catalog(), ln.Part)
		}
	}
	if ports > SEMaxPorts {
		return ruleRefuse("SV9500 SE %s: port capacity %d over the limit of %d", loc.ID, ports, SEMaxPorts)
	}
	return nil
}

// is3000: a dongle-less server gets its virtual code from the Full Computer Name (stored lower case).
type is3000 struct{ noRules }

func (is3000) CreateLocation(v RuleView, loc *Location) error {
	fcn, ok := loc.Attr(AttrComputerName)
	if !ok {
		return nil // dongle, CPU3000 or CIE-2 code, validated by the general rules
	}
	if loc.HWKC != "" {
		return ruleRefuse("a dongle-less iS3000 location's code is derived from the Full Computer Name; leave the hardware key code empty")
	}
	norm, err := keycode.NormalizeComputerName(fcn)
	if err != nil {
		return wrapf(ErrInvalid, "full computer name: %v", err)
	}
	d := v.Deriver()
	if d == nil {
		return wrapf(ErrState, "no key code deriver configured")
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
	loc.setAttr(AttrComputerName, norm)
	return nil
}

// threeC: domain name in, a unique generated code out, even for a domain seen before.
type threeC struct {
	noRules
	sys keycode.System
}

func (r threeC) CreateLocation(v RuleView, loc *Location) error {
	dom, ok := loc.Attr(AttrDomain)
	if !ok {
		// The guide: "For 3C product licensing the "Domain name" is required"; the code "is
		// automatically created by LMS", never typed in.
		return ruleRefuse("a %s location needs its domain name (attribute %q); its hardware key code is generated from it", loc.System, AttrDomain)
	}
	if loc.HWKC != "" {
		return ruleRefuse("a 3C location's code is generated from the domain name; leave the hardware key code empty")
	}
	norm, err := keycode.NormalizeDomainName(dom)
	if err != nil {
		return wrapf(ErrInvalid, "domain name: %v", err)
	}
	d := v.Deriver()
	if d == nil {
		return wrapf(ErrState, "no key code deriver configured")
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
	loc.setAttr(AttrDomain, norm)
	return nil
}
