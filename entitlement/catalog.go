package entitlement

import (
	_ "embed"
	"encoding/json"
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
	// any other part. The SV9500 SE port limit ([SEMaxPorts]) adds up Qty × Ports.
	Ports int64
	// ACDAgentOption marks the "SV8500 ACD Agent option" license, of which an SV8500 system (parent
	// and SR-MGC children) holds at most one.
	ACDAgentOption bool
}

// FitsSystem reports whether the part may be attached to a location of the system.
func (p Part) FitsSystem(system string) bool { return slices.Contains(p.Systems, system) }

// System is one LMS system type.
type System struct {
	Name string // LMS name, e.g. SV8100, "SV9100 CP20", "IP DECT"
	SKC  string // the two characters a software key code carries for this system (DOMAIN.md §3)
	PBX  bool   // a PBX (its license file is a <HWKC>-svi.zip) rather than an application or external product
	// Keycode is the keycode package's system whose grammar the location's hardware key code
	// follows (several LMS system types share one: the three SV9500 models, BX/OVOC products).
	Keycode keycode.System
}

// Catalog is the read-only part and system catalog. It is safe for concurrent use.
type Catalog struct {
	parts   map[string]Part
	systems map[string]System
	order   []string
	demo    map[string][]Part
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
		Name    string `json:"name"`
		SKC     string `json:"skc"`
		PBX     bool   `json:"pbx"`
		Keycode string `json:"keycode"`
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
	} `json:"parts"`
}

// ParseCatalog reads a catalog in the JSON form of data/catalog.json: {"version":1, "systems":[{name,
// skc, pbx, keycode}], "parts":[{part, name, kind (count|version|flag), systems, application, swa, swa_units,
// demo, successor, ports, acd_agent_option}]}. Unknown fields, duplicate part numbers or systems, unknown system references
// and bad kinds are errors naming the entry.
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
	c := &Catalog{parts: map[string]Part{}, systems: map[string]System{}, demo: map[string][]Part{}}
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
		c.systems[s.Name] = System{Name: s.Name, SKC: s.SKC, PBX: s.PBX, Keycode: kc}
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
			Ports: p.Ports, ACDAgentOption: p.ACDOption}
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

// System returns the system type of that name.
func (c *Catalog) System(name string) (System, bool) {
	s, ok := c.systems[name]
	return s, ok
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
