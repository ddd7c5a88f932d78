package keycode

import (
	"slices"
	"strings"
)

// System is an LMS system type. Its value is the name LMS shows for it, so a System prints as the
// guide spells it. The zero System is not a system. [ParseSystem] and [LookupSystem] read the
// other spellings of the guide.
//
// The systems, in the order [Systems] lists them (constant, value, key code format):
//
//	SL1000              "SL1000/SL1100"            "28" + 10 D
//	SL2100              "SL2100"                   "38" + 10 H
//	SV8100              "SV8100"                   "19" + 10 D
//	SV9100CP10          "SV9100 CP10"              "34" + 10 H
//	SV9100CP20          "SV9100 CP20"              "44" + 10 H
//	SV8300              "SV8300"                   "18" + 3 X "-" 3 X "-" 18 X
//	SV9300              "SV9300"                   "36" + 26 X
//	SV8500              "SV8500"                   "22" + 26 X
//	SRMGC               "SR-MGC"                   temp key "22-…-TEMP-KEY"
//	SV9500              "SV9500"                   "35" + 26 X (all three models)
//	IS3000              "iS3000 / SIP@Net Server"  "aa…AA": dongle, CPU3000, CIE-2, dongle-less
//	ThreeC              "3C"                       "3C" + 10 H
//	ThreeCCAT2          "3C CAT2"                  "3C" + 10 H
//	IPDECT              "IP DECT"                  "1" + 7 H (the PARI)
//	DECTNS              "DECT - NS"                "1" + 7 H (the PARI)
//	LMC                 "License Manager Client"   "LM" + a PBX code, "LMIS…", UIP
//	BCT                 "BCT"                      the dongle form
//	BXOVOC              "BX/OVOC"                  serial or machine id
//	RCC                 "RCC"                      the dongle form
//	UM4730              "UM4730"                   2 D + "-" + 8 D, or 13 D
//	ExpenseManagement   "ExpenseManagement"        8 D
//	MobiCallMaster      "Mobicall Master"          4 H
//	MobiCallSupervisor  "Mobicall Supervisor"      4 H
//	MobiBox             "MobiBox"                  4 H
//	UMobility           "uMobility"                12 H
//	ESN                 "ESN"                      8 to 40 letters or digits
//
// The package documentation gives each grammar in full. ESN is no LMS system type: it is the host
// kind of the second vendor's devices, which are known by their equipment serial number.
type System string

// The system types LMS administers (the guide's "Products supported and Hardware Key Code
// formats"), in the order [Systems] lists them, then the host kind of the second vendor's devices;
// the [System] type's documentation lists them all.
const (
	SL1000             System = "SL1000/SL1100"
	SL2100             System = "SL2100"
	SV8100             System = "SV8100"
	SV9100CP10         System = "SV9100 CP10"
	SV9100CP20         System = "SV9100 CP20"
	SV8300             System = "SV8300"
	SV9300             System = "SV9300"
	SV8500             System = "SV8500"
	SRMGC              System = "SR-MGC"
	SV9500             System = "SV9500"
	IS3000             System = "iS3000 / SIP@Net Server"
	ThreeC             System = "3C"
	ThreeCCAT2         System = "3C CAT2"
	IPDECT             System = "IP DECT"
	DECTNS             System = "DECT - NS"
	LMC                System = "License Manager Client"
	BCT                System = "BCT"
	BXOVOC             System = "BX/OVOC"
	RCC                System = "RCC"
	UM4730             System = "UM4730"
	ExpenseManagement  System = "ExpenseManagement"
	MobiCallMaster     System = "Mobicall Master"
	MobiCallSupervisor System = "Mobicall Supervisor"
	MobiBox            System = "MobiBox"
	UMobility          System = "uMobility"
	// ESN is a device of the second vendor known by its equipment serial number (the temporary
	// pre-sales licenses are bound to it). The pre-sales document gives no ESN format: lmskit's
	// grammar accepts any [MinESN] to [MaxESN] letters and digits, folded to upper case, so
	// [Detect] never reports it; an issuer narrows it with its own rules.
	ESN System = "ESN"
)

// systems is the stable order of Systems and Detect. Index 0 is the invalid system, so a Code's
// zero value names no system.
var systems = [...]System{
	"",
	SL1000, SL2100, SV8100, SV9100CP10, SV9100CP20, SV8300, SV9300, SV8500, SRMGC, SV9500,
	IS3000, ThreeC, ThreeCCAT2, IPDECT, DECTNS, LMC, BCT, BXOVOC,
	RCC, UM4730, ExpenseManagement, MobiCallMaster, MobiCallSupervisor, MobiBox, UMobility,
	ESN,
}

// Systems returns every system type, in a stable order: the LMS-administered systems of the guide's
// table first, then the external products, then [ESN]. The caller owns the returned slice.
func Systems() []System {
	out := make([]System, len(systems)-1)
	copy(out, systems[1:])
	return out
}

// index returns the position of s in systems, or 0 when s is not a system.
func (s System) index() uint8 {
	// A switch compiles to a fast string comparison tree; Parse calls this on every code.
	switch s {
	case SL1000:
		return 1
	case SL2100:
		return 2
	case SV8100:
		return 3
	case SV9100CP10:
		return 4
	case SV9100CP20:
		return 5
	case SV8300:
		return 6
	case SV9300:
		return 7
	case SV8500:
		return 8
	case SRMGC:
		return 9
	case SV9500:
		return 10
	case IS3000:
		return 11
	case ThreeC:
		return 12
	case ThreeCCAT2:
		return 13
	case IPDECT:
		return 14
	case DECTNS:
		return 15
	case LMC:
		return 16
	case BCT:
		return 17
	case BXOVOC:
		return 18
	case RCC:
		return 19
	case UM4730:
		return 20
	case ExpenseManagement:
		return 21
	case MobiCallMaster:
		return 22
	case MobiCallSupervisor:
		return 23
	case MobiBox:
		return 24
	case UMobility:
		return 25
	case ESN:
		return 26
	}
	return 0
}

// IsValid reports whether s is one of the system types of this package.
func (s System) IsValid() bool { return s.index() != 0 }

// String returns the LMS name of the system.
func (s System) String() string { return string(s) }

// aliases maps the other spellings the guide uses, folded by foldName, to a system.
var aliases = map[string]System{
	"sl1000":                           SL1000,
	"sl1100":                           SL1000,
	"sl1000/sl1100":                    SL1000,
	"sv9100cp10":                       SV9100CP10,
	"sv9100cp20":                       SV9100CP20,
	"sr-mgc":                           SRMGC,
	"srmgc":                            SRMGC,
	"sr-mgc(e)":                        SRMGC,
	"sr-mgc(s)":                        SRMGC,
	"sr-mgc(e)/(s)":                    SRMGC,
	"sv8500(sr-mgc)":                   SRMGC,
	"sr-mgc(e/s)":                      SRMGC,
	"srmgc(e/s)":                       SRMGC,
	"srmgce/s":                         SRMGC,
	"sv9500(ssm)":                      SV9500,
	"sv9500standardservermodel":        SV9500,
	"sv9500standardservermodule":       SV9500,
	"sv9500applianceservermodel":       SV9500,
	"sv9500applicationservermodel":     SV9500,
	"sv9500smallenterprisemodel":       SV9500,
	"sv9500se":                         SV9500,
	"is3000":                           IS3000,
	"is3000/sip@netserver":             IS3000,
	"is3000/sip@netserver(dongle)":     IS3000,
	"is3000/sip@netserver(cpu3000)":    IS3000,
	"is3000/sip@netserver(cie-2)":      IS3000,
	"is3000/sip@netserver(dongleless)": IS3000,
	"sip@netserver":                    IS3000,
	"sip@net":                          IS3000,
	"3c":                               ThreeC,
	"3ccat2":                           ThreeCCAT2,
	"ipdect":                           IPDECT,
	"dect":                             IPDECT,
	"dect-ns":                          DECTNS,
	"dectns":                           DECTNS,
	"licensemanagerclient":             LMC,
	"lmc":                              LMC,
	"uip":                              LMC,
	"univergeintegrationplatform":      LMC,
	"univergeintegrationplatform(uip)": LMC,
	"ma4000/ma4000em/cti":              LMC,
	"bx/ovoc":                          BXOVOC,
	"bx":                               BXOVOC,
	"ovoc":                             BXOVOC,
	"bx/ovochwmodel":                   BXOVOC,
	"bx/ovocswmodel":                   BXOVOC,
	"bx/ovocovoc":                      BXOVOC,
	"expensemanagement":                ExpenseManagement,
	"expensemanagement(protect.dat)":   ExpenseManagement,
	"mobicallmaster":                   MobiCallMaster,
	"mobicallsupervisor":               MobiCallSupervisor,
	"mobibox":                          MobiBox,
	"umobility":                        UMobility,
	"equipmentserialnumber":            ESN,
}

// maxSystemName caps the input LookupSystem and ParseSystem fold, so a huge string costs nothing.
const maxSystemName = 64

// LookupSystem returns the system named name. It accepts each System value exactly and, ignoring
// letter case and spaces, the other spellings the guide uses ("SL1100", "SV9100CP10", "SR-MGC(E)",
// "SV9500 Standard Server Model", "SIP@Net Server", "DECT", "LMC", "UIP", "BX / OVOC",
// "BX/OVOC HW Model", "Expense Management", "MobiCall Master", and the table's License Manager Client
// rows such as "CTI (LMC)"). The second result is false for anything else.
func LookupSystem(name string) (System, bool) {
	if s := System(name); s.IsValid() {
		return s, true
	}
	if len(name) > maxSystemName {
		return "", false
	}
	f := foldName(name)
	for _, s := range systems[1:] {
		if foldName(string(s)) == f {
			return s, true
		}
	}
	if s, ok := aliases[f]; ok {
		return s, true
	}
	// The guide's format table names License Manager Client locations by what runs on them, ending
	// in "(LMC)": "MA4000 / EM and BCT for SV8300 (LMC)", "CTI (LMC)".
	if len(f) > len("(lmc)") && strings.HasSuffix(f, "(lmc)") {
		return LMC, true
	}
	return "", false
}

// foldName lower-cases ASCII letters and drops white space.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ParseSystem returns the system named name, accepting exactly what [LookupSystem] accepts. Any
// other name is refused with a [*SystemError] that names the candidates: every system whose name
// or spelling starts with name ("SV9100" names SV9100 CP10 and SV9100 CP20, "MobiCall" the MobiCall
// systems: the name is ambiguous), or else the systems whose spelling is within a typing error or
// two of it ("SV8200" names SV8100, SV8300 and SV8500). The error matches [ErrUnknownSystem].
func ParseSystem(name string) (System, error) {
	if s, ok := LookupSystem(name); ok {
		return s, nil
	}
	in := name
	if len(in) > maxSystemName {
		in = in[:maxSystemName]
	}
	e := &SystemError{Input: in}
	f := foldName(in)
	if len(f) >= 2 {
		e.Candidates = systemsWhere(func(spelling string) bool { return strings.HasPrefix(spelling, f) })
		e.Ambiguous = len(e.Candidates) > 1
		if len(e.Candidates) == 0 {
			e.Candidates = systemsWhere(func(spelling string) bool { return near(f, spelling) })
		}
	}
	return "", e
}

// systemsWhere returns, in the order of Systems, every system with a folded name or spelling
// that match accepts.
func systemsWhere(match func(spelling string) bool) []System {
	var out []System
	for _, s := range systems[1:] {
		if match(foldName(string(s))) {
			out = append(out, s)
		}
	}
	for spelling, s := range aliases {
		if match(spelling) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b System) int { return int(a.index()) - int(b.index()) })
	return out
}

// near reports whether two folded names are within a typing error (one for names shorter than 8
// bytes, two for longer ones) of each other: the Levenshtein distance.
func near(a, b string) bool {
	limit := 1
	if len(a) >= 8 {
		limit = 2
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return false
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= limit
}
