package systems

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "DECT": IP DECT (full DAP) and DECT - NS (unlicensed DAP) rules, the DECT license
// validation error codes with their advice, and the license file upload of an existing
// (pre-release-6) system.
//
// The upload ([ImportDECTLicenses]) creates activated lines from data the LMS user supplies,
// unchecked by the vendor. The guide's Note 2 asks for a call to the NEC License Desk to deactivate
// the PARI in the old license generator; the upload is audited under its own operation and flags
// the location until the license desk confirms ([ConfirmPARIDeactivation]).
const (
	// OpDECTImport is the audit operation of a DECT license file upload.
	OpDECTImport = "import DECT licenses (self-declared)"
	// OpPARIDeactivation is the audit operation of the license desk's confirmation.
	OpPARIDeactivation = "confirm PARI deactivation"
	// AttrPARIDeactivation is the location attribute the upload sets: "requested" until the license
	// desk confirms, then "confirmed". Only the upload sets it; a location created with it is refused.
	AttrPARIDeactivation = "pari-deactivation"
	PARIRequested        = "requested" // value of AttrPARIDeactivation after an upload
	PARIConfirmed        = "confirmed" // value of AttrPARIDeactivation after the license desk's call
)

// DECTCode is one of the DECT license validation error codes of the guide.
type DECTCode string

// The guide's DECT error codes.
const (
	DECTUnknownError             DECTCode = "UNKNOWN_ERROR"
	DECTNotApplicable            DECTCode = "NOT_APPLICABLE"
	DECTInvalidHardwareKeycode   DECTCode = "INVALID_HARDWARE_KEYCODE"
	DECTInvalidFeatureCodeString DECTCode = "INVALID_FEATURE_CODE_STRING"
	DECTInvalidFeatureCode       DECTCode = "INVALID_FEATURE_CODE"
	DECTInvalidFeatureQuantity   DECTCode = "INVALID_FEATURE_QUANTITY"
	DECTInvalidFeatureTimestamp  DECTCode = "INVALID_FEATURE_TIMESTAMP"
	DECTCannotWriteLicenseFile   DECTCode = "CANNOT_WRITE_LICENSE_FILE"
)

const contactAdmin = "Contact the LMS Administrator"

// Advice is the guide's user action for the code.
func (c DECTCode) Advice() string {
	switch c {
	case DECTInvalidHardwareKeycode:
		return "Enter a valid Hardware Key Code, format 8 hex digits starting with 1 (e.g. 1009FFFE)"
	case DECTInvalidFeatureCodeString:
		return "Check if minimal 1 x IPDECT 1 AP Cap Lic (EU917062) is included."
	case DECTInvalidFeatureQuantity:
		return "1. Check if minimal 1 x IPDECT 1 AP Cap Lic (EU917062) is included. " +
			"2. Check if number of DSWU (upgrade feature) licenses is equal to the number of DAP licenses. " +
			"3. Check if the number of Messaging and/or Location licenses is equal or higher than the number of DAP licenses."
	}
	return contactAdmin
}

// DECTError is a DECT validation refusal: the guide's code, its advice, and what was wrong. It
// matches [entitlement.ErrRule] with errors.Is.
type DECTError struct {
	Code   DECTCode
	Detail string
}

// Error reads "systems: DECT <CODE>: <detail> (user action: <advice>)".
func (e *DECTError) Error() string {
	return fmt.Sprintf("systems: DECT %s: %s (user action: %s)", e.Code, e.Detail, e.Code.Advice())
}

// Unwrap makes a DECTError match entitlement.ErrRule.
func (e *DECTError) Unwrap() error { return entitlement.ErrRule }

func dectErr(c DECTCode, format string, a ...any) error {
	return &DECTError{Code: c, Detail: fmt.Sprintf(format, a...)}
}

// dapCount is the one DAP license count every DECT rule uses: IPDECT 1 AP Cap Lic (EU917062) plus
// IPDECT 1 AP Cap Conv Lic (EU917017), the conversion form in which an uploaded pre-release-6
// system holds its access points (the guide's upload example registers 50 × EU917017 beside
// 50 × the upgrade allowance).
func dapCount(lines []entitlement.Line) int64 {
	return sumQty(lines, PartDECTAP) + sumQty(lines, PartDECTAPConv)
}

// checkDECTQuantities applies the guide's quantity rules to the lines a file would hold: the
// upgrade allowance equals the DAP count, messaging and location licenses are at least the DAP
// count, each when the part is present (a new release-6 system holds no upgrade allowance).
func checkDECTQuantities(lines []entitlement.Line) error {
	dap := dapCount(lines)
	if up := sumQty(lines, PartDECTUpgrade); up != 0 && up != dap {
		return dectErr(DECTInvalidFeatureQuantity, "upgrade allowance (%s) %d ≠ DAP licenses %d", PartDECTUpgrade, up, dap)
	}
	for _, p := range []string{PartDECTMessaging, PartDECTLocation} {
		if n := sumQty(lines, p); n != 0 && n < dap {
			return dectErr(DECTInvalidFeatureQuantity, "%s %d < DAP licenses %d", p, n, dap)
		}
	}
	return nil
}

// checkDECTCode refuses a DECT code outside the PARI grammar with INVALID_HARDWARE_KEYCODE.
func checkDECTCode(v entitlement.RuleView, loc *entitlement.Location) error {
	sys, _ := v.Catalog().System(loc.System)
	if _, err := keycode.Parse(sys.Keycode, loc.HWKC); err != nil {
		return &DECTError{Code: DECTInvalidHardwareKeycode, Detail: err.Error()}
	}
	return nil
}

// ipDECT: a file needs at least one DAP license ([dapCount]) selected or already activated, and
// the quantity rules.
type ipDECT struct{ noRules }

func (ipDECT) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	if _, ok := loc.Attr(AttrPARIDeactivation); ok {
		return refuse("attribute %q is set by the DECT license file upload, not at creation", AttrPARIDeactivation)
	}
	return checkDECTCode(v, loc)
}

func (ipDECT) Activate(v entitlement.RuleView, loc entitlement.Location, activating []entitlement.Line) error {
	all, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	var file []entitlement.Line
	for _, ln := range all {
		if ln.State == entitlement.StateActivated {
			file = append(file, ln)
		}
	}
	file = append(file, activating...)
	if dapCount(file) == 0 {
		return dectErr(DECTInvalidFeatureCodeString, "no DAP license (%s or %s) selected or present", PartDECTAP, PartDECTAPConv)
	}
	return checkDECTQuantities(file)
}

// dectNS: exactly one part, 1 × EU910010, and no expansion.
type dectNS struct{}

func (dectNS) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	return checkDECTCode(v, loc)
}

func (dectNS) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	all := append(lines, adding...)
	if len(all) != 1 || all[0].Part != PartDECTNS || all[0].Qty != 1 {
		return dectErr(DECTInvalidFeatureQuantity, "DECT - NS takes exactly 1 × %s and nothing more", PartDECTNS)
	}
	return nil
}

func (r dectNS) Activate(v entitlement.RuleView, loc entitlement.Location, _ []entitlement.Line) error {
	return r.Attach(v, loc, nil)
}

// ImportDECTLicenses uploads the license data of an existing (pre-release-6) DECT system, read by
// [ParseDECTLicenseFile], onto an IP DECT location as activated lines and issues the file. It is
// allowed once, and only as the very first action on the location (no lines, no file, no demo
// used). The lines are booked on an import order IMPORT_<yyyyMMdd><n> (PO and SO) of the
// location's partner. Every part must be an IP DECT part; at least one DAP license (EU917062 or
// EU917017) and the guide's quantity rules apply. Refusals are [*DECTError] values.
//
// The licenses are the user's own declaration: the upload is audited as [OpDECTImport] and the
// location is flagged for the license desk (attribute [AttrPARIDeactivation] = [PARIRequested])
// until an administrator records the PARI deactivation with [ConfirmPARIDeactivation], the
// guide's Note 2.
func ImportDECTLicenses(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, r io.Reader) ([]entitlement.Line, error) {
	parts, perr := ParseDECTLicenseFile(r)
	var out []entitlement.Line
	err := l.Update(ctx, a, OpDECTImport, func(x *entitlement.Op) error {
		if err := x.LMSUser("import license files"); err != nil {
			return err
		}
		loc, err := x.Location(location)
		if err != nil {
			return err
		}
		if perr != nil {
			return perr
		}
		if loc.System != "IP DECT" {
			return dectErr(DECTNotApplicable, "location %s is %s, not IP DECT", loc.ID, loc.System)
		}
		lines, err := x.Lines(loc.ID)
		if err != nil {
			return err
		}
		// First action: nothing imported, no line (an activated line never leaves), and no demo
		// file. An IP DECT file is issued only by an activation (its lines stay) or a demo, so
		// these cover "no file" too. The demo check reads the demo files themselves, not
		// DemosLeft, which a change of Config.Demos would make meaningless.
		demos, err := x.DemoFiles(loc.ID)
		if err != nil {
			return err
		}
		if loc.Imported || len(lines) > 0 || len(demos) > 0 {
			return wrapf(entitlement.ErrState, "a license file upload is allowed once and only as the first action on location %s", loc.ID)
		}
		probe := make([]entitlement.Line, len(parts))
		for i, p := range parts {
			part, ok := x.Ledger().Catalog().Part(p.Part)
			if !ok || !part.FitsSystem(loc.System) {
				return dectErr(DECTInvalidFeatureCode, "part %s is not an IP DECT license", p.Part)
			}
			probe[i] = entitlement.Line{Part: p.Part, Qty: p.Qty, State: entitlement.StateActivated}
		}
		if dapCount(probe) == 0 {
			return dectErr(DECTInvalidFeatureCodeString, "no DAP license (%s or %s)", PartDECTAP, PartDECTAPConv)
		}
		if err := checkDECTQuantities(probe); err != nil {
			return err
		}
		order, err := orderNumber(x, loc.Partner, "IMPORT_", "systems.import")
		if err != nil {
			return err
		}
		x.Ref("location", loc.ID)
		if out, err = x.ShipActivated(loc.ID, entitlement.Order{PO: order, SO: order, Lines: parts}); err != nil {
			return err
		}
		loc.Imported = true
		loc.SetAttr(AttrPARIDeactivation, PARIRequested)
		if err := x.SaveLocation(loc); err != nil {
			return err
		}
		_, err = x.Reissue(loc.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ConfirmPARIDeactivation is the license desk's record (administrator only) that the PARI of an
// uploaded DECT system was deactivated in the old license generator: the location's
// [AttrPARIDeactivation] goes from [PARIRequested] to [PARIConfirmed]. One audited transaction
// ([OpPARIDeactivation]); a location without a pending upload is refused with ErrState.
func ConfirmPARIDeactivation(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string) error {
	return l.Update(ctx, a, OpPARIDeactivation, func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "confirm a PARI deactivation"); err != nil {
			return err
		}
		loc, err := x.Location(location)
		if err != nil {
			return err
		}
		if v, _ := loc.Attr(AttrPARIDeactivation); v != PARIRequested {
			return wrapf(entitlement.ErrState, "location %s has no DECT upload waiting for the license desk", loc.ID)
		}
		loc.SetAttr(AttrPARIDeactivation, PARIConfirmed)
		x.Ref("location", loc.ID)
		return x.SaveLocation(loc)
	})
}

// ParseDECTLicenseFile reads the part/quantity table of an existing DECT system's license data,
// in the form the guide's "Verify License File details" page shows it. Each non-empty line not
// starting with '#' is either tab-separated "<row>\t<part name>- <part number>\t<qty>" (the
// guide's table, e.g. "1\tIPDECT 1 AP Cap Conv Lic- EU917017\t50") or "<part number> <qty>". A part
// appears once; quantities are 1 to 1,000,000; at most 64 lines of at most 4 KiB, 64 KiB in all.
// Errors are [*DECTError] values naming the line.
func ParseDECTLicenseFile(r io.Reader) ([]entitlement.OrderLine, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	sc.Buffer(make([]byte, 4096), 4096)
	var out []entitlement.OrderLine
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		var part, qty string
		if f := strings.Split(t, "\t"); len(f) == 3 {
			i := strings.LastIndex(f[1], "-")
			if i < 0 {
				return nil, dectErr(DECTInvalidFeatureCode, "line %d: %q has no part number after '-'", n, f[1])
			}
			part, qty = strings.TrimSpace(f[1][i+1:]), strings.TrimSpace(f[2])
		} else if f := strings.Fields(t); len(f) == 2 {
			part, qty = f[0], f[1]
		} else {
			return nil, dectErr(DECTInvalidFeatureCodeString, "line %d: want \"<row>\\t<name>- <part>\\t<qty>\" or \"<part> <qty>\"", n)
		}
		q, err := strconv.ParseInt(qty, 10, 64)
		if err != nil || q < 1 || q > 1_000_000 {
			return nil, dectErr(DECTInvalidFeatureQuantity, "line %d: quantity %q", n, qty)
		}
		if !partNumber(part) {
			return nil, dectErr(DECTInvalidFeatureCode, "line %d: part number %q", n, part)
		}
		if seen[part] {
			return nil, dectErr(DECTInvalidFeatureCode, "line %d: part %s listed twice", n, part)
		}
		seen[part] = true
		if len(out) == 64 {
			return nil, dectErr(DECTInvalidFeatureCodeString, "more than 64 lines")
		}
		out = append(out, entitlement.OrderLine{Part: part, Qty: q})
	}
	if err := sc.Err(); err != nil {
		return nil, dectErr(DECTInvalidFeatureCodeString, "%v", err)
	}
	if len(out) == 0 {
		return nil, dectErr(DECTInvalidFeatureCodeString, "no license lines")
	}
	return out, nil
}

// partNumber reports whether s can be a part number: 1 to 200 bytes of printable UTF-8 without
// surrounding space.
func partNumber(s string) bool {
	if s == "" || len(s) > 200 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}
