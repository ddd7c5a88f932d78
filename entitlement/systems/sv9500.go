package systems

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// The guide's SV9500 models: the Standard Server (a temp key, the Virtualization Option first, a
// virtual code from the LAN1 IP), the Appliance Server (primary and secondary code, the general
// rules) and the SE (a code from the MAC, SE parts only, at most 1536 ports).

// sv9500Standard: created with a temp key; the first attach is BE114234 alone; nothing else is
// attached or activated until the LAN1 IP gave the virtual code ([SetLAN1IP]).
type sv9500Standard struct{ lmcChild }

func (sv9500Standard) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	if loc.HWKC != "" {
		return refuse("an SV9500 Standard Server location is created without a hardware key code (its virtual code comes from the LAN1 IP)")
	}
	if _, ok := loc.Attr(entitlement.AttrIP); ok {
		return refuse("the LAN1 IP is given after the Virtualization Option is attached")
	}
	return tempKey(v, loc, keycode.SV9500)
}

func (sv9500Standard) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	if _, ok := loc.Attr(entitlement.AttrIP); ok {
		return nil
	}
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	if len(lines) > 0 {
		return refuse("SV9500 Standard Server %s: give the LAN1 IP before attaching more licenses", loc.ID)
	}
	if len(adding) != 1 || adding[0].Part != PartVirtualizationOption || adding[0].Qty != 1 {
		return refuse("SV9500 Standard Server %s: the first attach must be the Virtualization Option (%s) × 1 alone", loc.ID, PartVirtualizationOption)
	}
	return nil
}

func (sv9500Standard) Activate(_ entitlement.RuleView, loc entitlement.Location, _ []entitlement.Line) error {
	if _, ok := loc.Attr(entitlement.AttrIP); !ok {
		return refuse("SV9500 Standard Server %s: give the LAN1 IP (SetLAN1IP activates the Virtualization Option)", loc.ID)
	}
	return nil
}

// SetLAN1IP gives an SV9500 Standard Server location its LAN1 IP address: the virtual hardware
// key code is derived from it (Config.Deriver), replaces the temp key, is bound to the IP in the
// file's host, and the attached Virtualization Option (BE114234) is activated and the file issued
// (the LMC child follows to the new code). Creating the code a second time (a new IP) is for
// administrators only ("You can't regenerate Virtual HKC later without LMS Administrators help");
// the previous code is retired. One audited transaction ("set LAN1 IP").
func SetLAN1IP(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location string, ip netip.Addr) (entitlement.Issued, error) {
	return updateIssued(ctx, l, a, "set LAN1 IP", func(x *entitlement.Op) (entitlement.Issued, error) {
		if err := x.LMSUser("set the LAN1 IP"); err != nil {
			return entitlement.Issued{}, err
		}
		loc, err := x.Location(location)
		if err != nil {
			return entitlement.Issued{}, err
		}
		if loc.System != "SV9500 Standard Server" {
			return entitlement.Issued{}, wrapf(entitlement.ErrInvalid, "location %s is %s, not an SV9500 Standard Server", loc.ID, loc.System)
		}
		if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
			return entitlement.Issued{}, wrapf(entitlement.ErrInvalid, "LAN1 IP %v", ip)
		}
		_, again := loc.Attr(entitlement.AttrIP)
		if again && !x.Admin() {
			return entitlement.Issued{}, wrapf(entitlement.ErrNotAllowed, "%s may not create the virtual hardware key code of %s a second time (administrator only)", x.Actor(), loc.ID)
		}
		v := x.RuleView()
		d := v.Deriver()
		if d == nil {
			return entitlement.Issued{}, noDeriver()
		}
		lines, err := x.Lines(loc.ID)
		if err != nil {
			return entitlement.Issued{}, err
		}
		var vo []string
		for _, ln := range lines {
			if ln.Part == PartVirtualizationOption && ln.State == entitlement.StateAttached {
				vo = append(vo, ln.SKC)
			}
		}
		if !again && len(vo) == 0 {
			return entitlement.Issued{}, refuse("attach the Virtualization Option (%s) before giving the LAN1 IP", PartVirtualizationOption)
		}
		n, err := v.Next("sv9500")
		if err != nil {
			return entitlement.Issued{}, err
		}
		c, err := d.SV9500StandardServer(ip.Unmap(), n)
		if err != nil {
			return entitlement.Issued{}, err
		}
		x.Ref("location", loc.ID)
		if loc, err = rekey(x, loc, "", c.String()); err != nil {
			return entitlement.Issued{}, err
		}
		loc.SetAttr(entitlement.AttrIP, ip.Unmap().String())
		if err := x.SaveLocation(loc); err != nil {
			return entitlement.Issued{}, err
		}
		if len(vo) > 0 {
			if _, err := x.ActivateLines(loc.ID, vo); err != nil {
				return entitlement.Issued{}, err
			}
		}
		return x.Reissue(loc.ID)
	})
}

// sv9500SE: the hardware key code is derived from the MAC address.
type sv9500SE struct{ lmcChild }

func (sv9500SE) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	mac, ok := loc.Attr(entitlement.AttrMAC)
	if !ok {
		return refuse("an SV9500 SE location needs its MAC address (attribute %q); its code is derived from it", entitlement.AttrMAC)
	}
	if loc.HWKC != "" {
		return refuse("an SV9500 SE location's hardware key code is derived from the MAC; leave it empty")
	}
	m, err := license.ParseMAC(mac)
	if err != nil {
		return wrapf(entitlement.ErrInvalid, "MAC address %q: %v", mac, err)
	}
	d := v.Deriver()
	if d == nil {
		return noDeriver()
	}
	c, err := d.SV9500SmallEnterprise(net.HardwareAddr(m[:]))
	if err != nil {
		return err
	}
	loc.HWKC = c.String()
	loc.SetAttr(entitlement.AttrMAC, strings.ToUpper(fmt.Sprintf("%x", m[:])))
	return nil
}

// SEMaxPorts is the port capacity limit of an SV9500 SE location.
const SEMaxPorts = 1536

func (sv9500SE) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	var ports int64
	for _, ln := range append(lines, adding...) {
		if ln.State.Live() {
			p, _ := v.Catalog().Part(ln.Part)
			ports += ln.Qty * p.Ports
		}
	}
	if ports > SEMaxPorts {
		return refuse("SV9500 SE %s: port capacity %d over the limit of %d", loc.ID, ports, SEMaxPorts)
	}
	return nil
}
