package entitlement

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/lmskit/lmskit/keycode"
)

// PartKind is how a part's quantity reads in a license file: a count that adds up, a version where
// the highest wins, or a flag that is on or off.
type PartKind uint8

// Part kinds.
const (
	PartCount PartKind = iota + 1
	PartVersion
	PartFlag
)

// String returns "count", "version" or "flag".
func (k PartKind) String() string {
	switch k {
	case PartCount:
		return "count"
	case PartVersion:
		return "version"
	case PartFlag:
		return "flag"
	}
	return "invalid"
}

// Part is one catalog entry.
type Part struct {
	Number      string   // part number, e.g. BE107573
	Name        string   // part name as the guide shows it
	Kind        PartKind // count, version or flag
	Systems     []string // system types it may be attached to; empty means none (not a location license)
	Application bool     // an application part (green in LMS) rather than a PBX part (blue)
	SWA         bool     // eligible for Software Assurance
	SWAUnits    bool     // SWA units, which go to the SWA units bin, never onto a location
	Demo        int64    // quantity in the system's demo file; 0 means not part of the demo set
	Successor   string   // part number that replaces it (upgrade successor), if any
	// Ports is the number of ports one unit of the part licenses (a port capacity license), 0 for
	// any other part. The SV9500 SE port limit (entitlement/systems) adds up Qty × Ports.
	Ports int64
	// ACDAgentOption marks the "SV8500 ACD Agent option" license, of which an SV8500 system (parent
	// and SR-MGC children) holds at most one.
	ACDAgentOption bool
	// FreeOfCharge marks an upgrade license that only Software Assurance hands out, free of charge
	// (the guide's Lic 078 - SWA Upgrade): it is never sold, so [Ledger.Ship] refuses it on an
	// order; the Software Assurance book ships it under its own order numbers ([Op.Ship]).
	FreeOfCharge bool
}

// FitsSystem reports whether the part may be attached to a location of the system.
func (p Part) FitsSystem(system string) bool { return slices.Contains(p.Systems, system) }

// System is one LMS system type of the catalog. The catalog's system types are the ledger's
// vocabulary, finer than package keycode's (which knows one SV9500 where the catalog has its three
// models): each names the keycode system whose grammar its codes follow, and that is the one
// mapping between the two vocabularies. [Catalog.ParseSystem] reads a name in either.
//
// The shipped catalog ([DefaultCatalog]), name, keycode system and other spellings:
//
//	SL1000                   SL1000/SL1100
//	SL2100                   SL2100
//	SV8100                   SV8100
//	SV9100 CP10              SV9100 CP10
//	SV9100 CP20              SV9100 CP20
//	SV8300                   SV8300
//	SV9300                   SV9300
//	SV8500                   SV8500
//	SR-MGC                   SR-MGC
//	SV9500 Standard Server   SV9500
//	SV9500 Appliance Server  SV9500
//	SV9500 SE                SV9500
//	iS3000                   iS3000 / SIP@Net Server
//	3C                       3C
//	3C CAT2                  3C CAT2
//	IP DECT                  IP DECT
//	DECT - NS                DECT - NS
//	LMC                      License Manager Client   also "License Manager Client"
//	BCT                      BCT
//	UIP                      License Manager Client
//	BX/OVOC HW               BX/OVOC
//	BX/OVOC SW               BX/OVOC
//	OVOC                     BX/OVOC
//	RCC                      RCC
//	UM4730                   UM4730
//	Expense Management       ExpenseManagement
//	MobiCall Master          Mobicall Master
//	MobiCall Supervisor      Mobicall Supervisor
//	MobiBox                  MobiBox
type System struct {
	Name string // LMS name, e.g. SV8100, "SV9100 CP20", "IP DECT"
	SKC  string // the two characters a software key code carries for this system
	PBX  bool   // a PBX rather than an application or external product
	// Keycode is the keycode package's system whose grammar the location's hardware key code
	// follows (several LMS system types share one: the three SV9500 models, BX/OVOC products).
	Keycode keycode.System
	// Aliases are other spellings of the system type that name it alone (the guide's "License
	// Manager Client" for LMC, where the keycode system also covers UIP).
	Aliases []string
}

// Catalog is the read-only part and system catalog. It is safe for concurrent use.
type Catalog struct {
	parts   map[string]Part
	systems map[string]System
	order   []string
	demo    map[string][]Part
	// folded maps the folded form of every system name and alias to its system's name.
	folded map[string]string
}

//go:embed data/catalog.json
var defaultCatalog []byte

// DefaultCatalog returns the catalog shipped with lmskit: every part number the LMS guide shows,
// and its system types.
func DefaultCatalog() *Catalog {
	c, err := ParseCatalog(strings.NewReader(string(defaultCatalog)))
	if err != nil {
		panic("entitlement: embedded catalog: " + err.Error())
	}
	return c
}

type catalogFile struct {
	Version int    `json:"version"`
	Source  string `json:"source"`
	Systems []struct {
		Name    string   `json:"name"`
		SKC     string   `json:"skc"`
		PBX     bool     `json:"pbx"`
		Keycode string   `json:"keycode"`
		Aliases []string `json:"aliases"`
	} `json:"systems"`
	Parts []struct {
		Part        string   `json:"part"`
		Name        string   `json:"name"`
		Kind        string   `json:"kind"`
		Systems     []string `json:"systems"`
		Application bool     `json:"application"`
		SWA         bool     `json:"swa"`
		SWAUnits    bool     `json:"swa_units"`
		Demo        int64    `json:"demo"`
		Successor   string   `json:"successor"`
		Ports       int64    `json:"ports"`
		ACDOption   bool     `json:"acd_agent_option"`
		FOC         bool     `json:"free_of_charge"`
	} `json:"parts"`
}

// ParseCatalog reads a catalog in the JSON form of data/catalog.json: {"version":1, "systems":[{name,
// skc, pbx, keycode, aliases}], "parts":[{part, name, kind (count|version|flag), systems,
// application, swa, swa_units, demo, successor, ports, acd_agent_option, free_of_charge}]}. A system's keycode is
// the keycode system its codes follow; its aliases are other spellings that name it alone. A part's
// demo quantity puts it in its systems' demo set ([Ledger.GenerateDemo]). Unknown fields, duplicate
// part numbers, systems or spellings (compared ignoring case and spaces), unknown system
// references and bad kinds are errors naming the entry.
func ParseCatalog(r io.Reader) (*Catalog, error) {
	d := json.NewDecoder(io.LimitReader(r, 8<<20))
	d.DisallowUnknownFields()
	var f catalogFile
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("entitlement: catalog: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("entitlement: catalog: version %d, want 1", f.Version)
	}
	c := &Catalog{parts: map[string]Part{}, systems: map[string]System{}, demo: map[string][]Part{}, folded: map[string]string{}}
	for i, s := range f.Systems {
		if err := checkID("system name", s.Name); err != nil {
			return nil, fmt.Errorf("entitlement: catalog: system %d: %w", i, err)
		}
		if len(s.SKC) != 2 {
			return nil, fmt.Errorf("entitlement: catalog: system %q: skc code %q is not 2 characters", s.Name, s.SKC)
		}
		if _, dup := c.systems[s.Name]; dup {
			return nil, fmt.Errorf("entitlement: catalog: system %q listed twice", s.Name)
		}
		kc := keycode.System(s.Keycode)
		if !kc.IsValid() {
			return nil, fmt.Errorf("entitlement: catalog: system %q: keycode system %q unknown to package keycode", s.Name, s.Keycode)
		}
		if want, ok := keycode.SKCSystemCode(kc); ok && want != s.SKC {
			return nil, fmt.Errorf("entitlement: catalog: system %q: skc code %q, keycode says %q", s.Name, s.SKC, want)
		}
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			if err := checkID("system name", name); err != nil {
				return nil, fmt.Errorf("entitlement: catalog: system %q: %w", s.Name, err)
			}
			f := foldSystem(name)
			if other, dup := c.folded[f]; dup {
				return nil, fmt.Errorf("entitlement: catalog: system %q: spelling %q names system %q already", s.Name, name, other)
			}
			c.folded[f] = s.Name
		}
		c.systems[s.Name] = System{Name: s.Name, SKC: s.SKC, PBX: s.PBX, Keycode: kc, Aliases: slices.Clone(s.Aliases)}
	}
	for i, p := range f.Parts {
		if err := checkID("part number", p.Part); err != nil {
			return nil, fmt.Errorf("entitlement: catalog: part %d: %w", i, err)
		}
		if _, dup := c.parts[p.Part]; dup {
			return nil, fmt.Errorf("entitlement: catalog: part %s listed twice", p.Part)
		}
		var kind PartKind
		switch p.Kind {
		case "count":
			kind = PartCount
		case "version":
			kind = PartVersion
		case "flag":
			kind = PartFlag
		default:
			return nil, fmt.Errorf("entitlement: catalog: part %s: kind %q is not count, version or flag", p.Part, p.Kind)
		}
		if p.Name == "" {
			return nil, fmt.Errorf("entitlement: catalog: part %s: empty name", p.Part)
		}
		for _, s := range p.Systems {
			if _, ok := c.systems[s]; !ok {
				return nil, fmt.Errorf("entitlement: catalog: part %s: unknown system %q", p.Part, s)
			}
		}
		if p.Demo < 0 {
			return nil, fmt.Errorf("entitlement: catalog: part %s: negative demo quantity", p.Part)
		}
		if p.Ports < 0 || (p.Ports > 0 && kind != PartCount) {
			return nil, fmt.Errorf("entitlement: catalog: part %s: ports %d: only a count part has a port count, and it is not negative", p.Part, p.Ports)
		}
		c.parts[p.Part] = Part{Number: p.Part, Name: p.Name, Kind: kind, Systems: slices.Clone(p.Systems),
			Application: p.Application, SWA: p.SWA, SWAUnits: p.SWAUnits, Demo: p.Demo, Successor: p.Successor,
			Ports: p.Ports, ACDAgentOption: p.ACDOption, FreeOfCharge: p.FOC}
		c.order = append(c.order, p.Part)
	}
	for _, p := range c.parts {
		if p.Successor != "" {
			if _, ok := c.parts[p.Successor]; !ok {
				return nil, fmt.Errorf("entitlement: catalog: part %s: unknown successor %s", p.Number, p.Successor)
			}
		}
		if p.Demo > 0 {
			for _, s := range p.Systems {
				c.demo[s] = append(c.demo[s], p)
			}
		}
	}
	for s := range c.demo {
		sort.Slice(c.demo[s], func(i, j int) bool { return c.demo[s][i].Number < c.demo[s][j].Number })
	}
	sort.Strings(c.order)
	return c, nil
}

// Part returns the catalog entry for a part number.
func (c *Catalog) Part(number string) (Part, bool) {
	p, ok := c.parts[number]
	return p, ok
}

// Parts returns every part, sorted by part number.
func (c *Catalog) Parts() []Part {
	out := make([]Part, 0, len(c.order))
	for _, n := range c.order {
		out = append(out, c.parts[n])
	}
	return out
}

// System returns the system type of exactly that name ([Catalog.ParseSystem] reads other
// spellings).
func (c *Catalog) System(name string) (System, bool) {
	s, ok := c.systems[name]
	return s, ok
}

// ParseSystem returns the catalog's system type named name, in either vocabulary: a catalog name or
// alias (ignoring case and spaces: "sv9100cp10", "License Manager Client"), or a spelling of a
// keycode system (keycode.ParseSystem: "iS3000 / SIP@Net Server", "SIP@Net Server", "DECT") that
// exactly one catalog system maps to. Anything else is refused with a [*SystemError] matching
// [ErrInvalid]: an ambiguous name ("SV9500": three models; "SV9100": CP10 or CP20) names its
// candidates; a mistyped one the names it is near; and every refusal lists the valid names.
func (c *Catalog) ParseSystem(name string) (System, error) {
	if s, ok := c.systems[name]; ok {
		return s, nil
	}
	in := name
	if len(in) > 64 {
		in = in[:64]
	}
	if n, ok := c.folded[foldSystem(in)]; ok && len(name) <= 64 {
		return c.systems[n], nil
	}
	e := &SystemError{Input: in}
	k, kerr := keycode.ParseSystem(name)
	if kerr == nil {
		e.Candidates = c.mapped(k)
		if len(e.Candidates) == 1 {
			return c.systems[e.Candidates[0]], nil
		}
		e.Ambiguous = len(e.Candidates) > 1
	}
	if f := foldSystem(in); kerr != nil && len(f) >= 2 {
		// The start of catalog names ("SV9500 Standard"), else what keycode finds near.
		for spelling, n := range c.folded {
			if strings.HasPrefix(spelling, f) && !slices.Contains(e.Candidates, n) {
				e.Candidates = append(e.Candidates, n)
			}
		}
		e.Ambiguous = len(e.Candidates) > 1
		if ke := (*keycode.SystemError)(nil); len(e.Candidates) == 0 && errors.As(kerr, &ke) {
			for _, k := range ke.Candidates {
				e.Candidates = append(e.Candidates, c.mapped(k)...)
			}
			e.Ambiguous = ke.Ambiguous && len(e.Candidates) > 1
		}
	}
	slices.Sort(e.Candidates)
	e.Candidates = slices.Compact(e.Candidates)
	for _, s := range c.Systems() {
		e.Valid = append(e.Valid, s.Name)
	}
	return System{}, e
}

// mapped returns the names of the catalog systems whose codes follow keycode system k, sorted.
func (c *Catalog) mapped(k keycode.System) []string {
	var out []string
	for _, s := range c.systems {
		if s.Keycode == k {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}

// foldSystem is a system name's comparison form: lower case, without spaces.
func foldSystem(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// SystemError reports a system type name the catalog does not know ([Catalog.ParseSystem]), with
// the names that would have been accepted. It matches [ErrInvalid].
type SystemError struct {
	// Input is the name as given (cut to 64 bytes).
	Input string
	// Ambiguous is set when the name fits several system types (the keycode system SV9500 is three
	// catalog systems): one of Candidates must be chosen.
	Ambiguous bool
	// Candidates are the catalog system names the input may have meant, sorted; empty when none is
	// near.
	Candidates []string
	// Valid lists every system name of the catalog, sorted.
	Valid []string
}

// Error names the candidates and the valid names.
func (e *SystemError) Error() string {
	var b strings.Builder
	if e.Ambiguous {
		fmt.Fprintf(&b, "%v: system type %q is ambiguous: choose %s", ErrInvalid, e.Input, orList(e.Candidates))
	} else {
		fmt.Fprintf(&b, "%v: unknown system type %q", ErrInvalid, e.Input)
		if len(e.Candidates) > 0 {
			fmt.Fprintf(&b, " (did you mean %s?)", orList(e.Candidates))
		}
	}
	fmt.Fprintf(&b, "; the system types are %s", strings.Join(e.Valid, ", "))
	return b.String()
}

// Unwrap makes a SystemError match ErrInvalid.
func (e *SystemError) Unwrap() error { return ErrInvalid }

// orList joins names as "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Systems returns every system type, sorted by name.
func (c *Catalog) Systems() []System {
	out := make([]System, 0, len(c.systems))
	for _, s := range c.systems {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DemoParts returns the system's demo part set (parts with a demo quantity), sorted by number;
// empty when the system offers no demo license.
func (c *Catalog) DemoParts(system string) []Part { return slices.Clone(c.demo[system]) }
