package systems

import (
	"context"
	"fmt"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// Part numbers the per-system rules name.
const (
	PartVirtualizationOption = "BE114234"     // SV9500 Lic Virtualization Option
	PartIS3000Upgrade        = "EU92067151"   // Lic 073 - SIP@Net Q1-2015 96 Ext, the iS3000 upgrade allowance
	PartIS3000SWAUpgrade     = "960026473134" // Lic 078 - SWA Upgrade Q4-2013, Lic-073's free-of-charge form
	PartDECTAP               = "EU917062"     // IPDECT 1 AP Cap Lic
	PartDECTAPConv           = "EU917017"     // IPDECT 1 AP Cap Conv Lic
	PartDECTMessaging        = "EU917027"     // IPDECT Messaging 1 AP Lic
	PartDECTLocation         = "EU917028"     // IPDECT Location 1 AP Lic
	PartDECTUpgrade          = "EU917029"     // IPDECT Upgrade Allowance 1 AP Lic
	PartDECTNS               = "EU910010"     // DMLS Discounted Messaging License (DECT - NS)
)

// GuideRules returns the per-system rules of the LMS guide for [entitlement.Config].Rules, keyed by
// the catalog's system names (the package documentation lists them). Virtual key codes need
// Config.Deriver.
func GuideRules() map[string]entitlement.Rules {
	lmc := lmcChild{}
	return map[string]entitlement.Rules{
		"SV9100 CP10":             sv9100CP10,
		"SV9100 CP20":             sv9100CP20,
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

func (noRules) CreateLocation(entitlement.RuleView, *entitlement.Location) error { return nil }
func (noRules) Attach(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}
func (noRules) Activate(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}

// refuse is a per-system rule's refusal (matches entitlement.ErrRule).
func refuse(format string, a ...any) error { return wrapf(entitlement.ErrRule, format, a...) }

// wrapf wraps one of entitlement's sentinel errors with what was refused.
func wrapf(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, a...))
}

// noDeriver is the refusal of an operation that needs Config.Deriver on a ledger without one.
func noDeriver() error { return wrapf(entitlement.ErrState, "no key code deriver configured") }

// sumQty sums the quantity of one part over lines, history (migrated, revoked, cancelled) excluded.
func sumQty(lines []entitlement.Line, part string) (n int64) {
	for _, ln := range lines {
		if ln.Part == part && ln.State.Live() {
			n += ln.Qty
		}
	}
	return n
}

// tempKey gives a location a temp key of the system (SR-MGC, SV9500 Standard Server), numbered by
// the ledger's "tempkey" rule counter.
func tempKey(v entitlement.RuleView, loc *entitlement.Location, sys keycode.System) error {
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

// updateIssued runs fn as one audited operation of the ledger named name and returns the file it
// issued (the zero Issued on a refusal, which changes nothing).
func updateIssued(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, name string,
	fn func(x *entitlement.Op) (entitlement.Issued, error)) (entitlement.Issued, error) {
	var out entitlement.Issued
	err := l.Update(ctx, a, name, func(x *entitlement.Op) error {
		var err error
		out, err = fn(x)
		return err
	})
	if err != nil {
		return entitlement.Issued{}, err
	}
	return out, nil
}
