package license

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lmskit/lmskit/keycode"
)

// Host is what a license file is bound to, and what a device observes of itself.
//
// In a file, System and Code are required; every other field is optional and, when set, binds the
// file to that attribute too. As an observation ([File.Check]), Host describes the machine the
// check runs on: its system, its own code (the primary's or the secondary's), and whatever else
// it can observe. Host is comparable.
type Host struct {
	// System is the location's system type.
	System keycode.System
	// Code is the primary hardware key code. Required in a file.
	Code keycode.Code
	// Secondary is the hardware key code of the second machine of a redundant or appliance
	// pair; the zero Code when there is none. A file opens on either machine.
	Secondary keycode.Code
	// IP is the address a virtual code was derived from (SV9500 Standard Server: LAN1). In a
	// file it is unzoned and never an IPv4-mapped IPv6 address; an observed IPv4-mapped address
	// matches its IPv4 form. The zero Addr means not bound.
	IP netip.Addr
	// MAC is the Ethernet address a code was derived from (SV9500 SE). The zero MAC means not
	// bound.
	MAC MAC
	// ComputerName is the Full Computer Name of an iS3000 dongle-less server. In a file it is in
	// the form keycode.NormalizeComputerName returns (lower case, no trailing dot); an observed
	// name is compared without regard to case and to one trailing dot. Empty means not bound.
	ComputerName string
	// Domain is the domain name a 3C code was derived from, in a file in the form
	// keycode.NormalizeDomainName returns, compared like ComputerName. Empty means not bound.
	Domain string
	// ProductKey is the BX/OVOC product key (DT2729220, 91FA4F6DBFF01B3), which also names the
	// machine's .lic in a BX container. The zero ProductKey means not bound.
	ProductKey keycode.ProductKey
}

// String summarises the host for logs: system and code, then each attribute it is bound to, like
// `SV9500 "35G00N360103F0S0007490B6E0yQ" ip=123.0.0.105`.
func (h Host) String() string {
	s := string(h.System) + " " + strconv.Quote(h.Code.String())
	if !h.Secondary.IsZero() {
		s += " secondary=" + strconv.Quote(h.Secondary.String())
	}
	if h.IP.IsValid() {
		s += " ip=" + h.IP.String()
	}
	if !h.MAC.IsZero() {
		s += " mac=" + h.MAC.String()
	}
	if h.ComputerName != "" {
		s += " computer=" + strconv.Quote(h.ComputerName)
	}
	if h.Domain != "" {
		s += " domain=" + strconv.Quote(h.Domain)
	}
	if !h.ProductKey.IsZero() {
		s += " product_key=" + h.ProductKey.String()
	}
	return s
}

// GoString is "license.Host{" + String + "}": %#v prints the attributes in their text forms.
func (h Host) GoString() string { return "license.Host{" + h.String() + "}" }

// MAC is a 48-bit Ethernet address. The zero MAC is "none". It is comparable; String gives the
// canonical form "6C:E4:DA:01:37:8C".
type MAC [6]byte

// ParseMAC accepts 12 hex digits, bare ("6CE4DA01378C") or in six pairs separated by ':' or '-',
// in either case.
func ParseMAC(s string) (MAC, error) {
	var m MAC
	t := strings.TrimSpace(s)
	if len(t) == 17 {
		sep := t[2]
		if sep != ':' && sep != '-' {
			return MAC{}, macErr(s)
		}
		var b strings.Builder
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if t[i] != sep {
					return MAC{}, macErr(s)
				}
				continue
			}
			b.WriteByte(t[i])
		}
		t = b.String()
	}
	if len(t) != 12 {
		return MAC{}, macErr(s)
	}
	if _, err := hex.Decode(m[:], []byte(t)); err != nil {
		return MAC{}, macErr(s)
	}
	return m, nil
}

func macErr(s string) error {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fieldErr("mac", "cannot parse "+quote(s)+" as a MAC address (12 hex digits)")
}

// IsZero reports whether m is the zero MAC (none).
func (m MAC) IsZero() bool { return m == MAC{} }

// GoString returns license.MAC("6C:E4:DA:01:37:8C") for %#v, not the six bytes.
func (m MAC) GoString() string { return "license.MAC(" + strconv.Quote(m.String()) + ")" }

// String returns the canonical form "6C:E4:DA:01:37:8C", or "" for the zero MAC.
func (m MAC) String() string {
	if m.IsZero() {
		return ""
	}
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, 17)
	for i, c := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

// MarshalText returns [MAC.String].
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText accepts what [ParseMAC] accepts, and the empty text as the zero MAC.
func (m *MAC) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MAC{}
		return nil
	}
	v, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// validate checks the host as it is to be kept in a file. parse is false when the payload decoder
// has already parsed the codes and checked the text.
func (h *Host) validate(parse bool) error {
	if h.System == "" {
		return fieldErr("host.system", "no system")
	}
	if r := textProblem(string(h.System), 64); r != "" {
		return fieldErr("host.system", r)
	}
	if h.Code.IsZero() {
		return fieldErr("host.code", "no hardware key code")
	}
	if parse {
		if err := checkCode("host.code", h.System, h.Code); err != nil {
			return err
		}
	}
	if !h.Secondary.IsZero() {
		if parse {
			if err := checkCode("host.secondary", h.System, h.Secondary); err != nil {
				return err
			}
		}
		if h.Secondary == h.Code {
			return fieldErr("host.secondary", "same as the primary code")
		}
	}
	if h.IP.IsValid() {
		if h.IP.Zone() != "" {
			return fieldErr("host.ip", "zoned address "+h.IP.String())
		}
		if h.IP.Is4In6() {
			return fieldErr("host.ip", "IPv4-mapped address "+h.IP.String()+"; use the IPv4 form")
		}
	}
	if err := checkHostName("host.computer_name", h.ComputerName, keycode.NormalizeComputerName); err != nil {
		return err
	}
	if err := checkHostName("host.domain", h.Domain, keycode.NormalizeDomainName); err != nil {
		return err
	}
	if parse && !h.ProductKey.IsZero() {
		p, err := keycode.ParseProductKey(h.ProductKey.String())
		if err != nil {
			return &LineError{Index: -1, Field: "host.product_key", Reason: err.Error()}
		}
		if p != h.ProductKey {
			return fieldErr("host.product_key", quote(h.ProductKey.String())+" is not a canonical product key")
		}
	}
	return nil
}

// checkCode checks that c is the canonical code of sys: parsing its text under sys gives c back.
func checkCode(field string, sys keycode.System, c keycode.Code) error {
	s := c.String()
	if len(s) > 64 {
		return fieldErr(field, "code longer than 64 bytes")
	}
	p, err := keycode.Parse(sys, s)
	if err != nil {
		return &LineError{Index: -1, Field: field, Reason: err.Error()}
	}
	if p != c {
		return fieldErr(field, "code "+quote(s)+" is not a "+string(sys)+" code")
	}
	return nil
}

// checkHostName accepts "" or a name that normalize returns unchanged.
func checkHostName(field, s string, normalize func(string) (string, error)) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxHostNameLen {
		return fieldErr(field, "longer than 253 bytes")
	}
	n, err := normalize(s)
	if err != nil {
		return &LineError{Index: -1, Field: field, Reason: err.Error()}
	}
	if n != s {
		return fieldErr(field, quote(s)+" is not in canonical form "+quote(n))
	}
	return nil
}

// sameHostName compares a name kept in a file (canonical) with an observed one: case-insensitive,
// ignoring one trailing dot on the observed name.
func sameHostName(file, observed string) bool {
	observed = strings.TrimSuffix(observed, ".")
	return strings.EqualFold(file, observed)
}
