package entitlement

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// Location attribute names the [LicenseIssuer] binds into the file's host when present (set by the
// per-system rules that derive virtual codes, and by the BX/OVOC rules).
const (
	AttrIP           = "ip"            // SV9500 Standard Server LAN1 address
	AttrMAC          = "mac"           // SV9500 SE MAC address
	AttrComputerName = "computer-name" // iS3000 dongle-less Full Computer Name
	AttrDomain       = "domain"        // 3C domain name
	// AttrProductKey is a BX/OVOC location's product key: entered at creation for a hardware
	// product (the delivery serial DT…), generated at the first file for a software product.
	AttrProductKey = "product-key"
)

// LicenseIssuer issues lmskit license files (package license) signed with the vendor's issuer key:
// permanent files for activated lines, temporary files for fixed-term lines (their entitlement
// type, NotAfter their end), demo-term files for demo licenses, packed in the request's container
// (<HWKC>-svi.zip, or the BX/OVOC zip with one file per machine), with the activation code of the
// signed bytes. It is a [Packer]: a location's download holds every current file in one
// <HWKC>-svi.zip (license.SVIZipFiles).
//
// Serials: a permanent or demo file is "<location>.<n>", n the location's file serial; a
// fixed-term file is "<location>:<type>:<yyyyMMddHHmmss of its end>.<n>"; the secondary machine's
// file of a BX/OVOC pair is "<location>:secondary.<n>". The part before the last "." is the
// file's series: a file issued with Supersede supersedes its series (license.File.Supersedes), so
// a device ends the earlier files of the same kind, and only of that kind.
type LicenseIssuer struct {
	// Key is the issuer's signing key. Real keys never live in source.
	Key *signing.PrivateKey
	// Entitlement is the entitlement type code written into permanent files ("" or "T").
	Entitlement string
}

// Issue implements [Issuer].
func (li LicenseIssuer) Issue(r IssueRequest) (Issued, error) {
	if li.Key == nil {
		return Issued{}, errors.New("entitlement: license issuer has no key")
	}
	host, err := fileHost(r)
	if err != nil {
		return Issued{}, err
	}
	switch r.Container {
	case ContainerSVI:
	case ContainerBX:
		return li.issueBX(r, host)
	default:
		return Issued{}, fmt.Errorf("entitlement: license issuer: container %d unknown", r.Container)
	}
	f, err := li.file(r, host)
	if err != nil {
		return Issued{}, err
	}
	signed, err := f.Sign(li.Key)
	if err != nil {
		return Issued{}, err
	}
	name, data, err := license.SVIZip(signed)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Name: name, Data: data, File: signed, ActivationCode: license.ActivationCode(signed)}, nil
}

// series is the series of a request's file (its serial without the last "." and number).
func series(r IssueRequest) string {
	if r.Type != "" && !r.Demo {
		return r.Location.ID + ":" + string(r.Type) + ":" + r.NotAfter.UTC().Format("20060102150405")
	}
	return r.Location.ID
}

// file builds the unsigned license file of a request for one host.
func (li LicenseIssuer) file(r IssueRequest, host license.Host) (license.File, error) {
	s := series(r)
	f := license.File{Serial: s + "." + strconv.FormatUint(r.Serial, 10),
		Issued: r.Issued, Term: license.Permanent, Entitlement: li.Entitlement, Host: host}
	switch {
	case r.Demo:
		f.Term, f.NotAfter, f.Entitlement = license.Demo, r.NotAfter, ""
	case r.Type != "":
		f.Term, f.NotAfter, f.Entitlement = license.Temporary, r.NotAfter, string(r.Type)
	}
	if r.Supersede && !r.Demo {
		f.Supersedes = s
	}
	for _, ln := range r.Lines {
		var kind license.Kind
		switch ln.Kind {
		case PartCount:
			kind = license.Count
		case PartVersion:
			kind = license.Version
		case PartFlag:
			kind = license.Flag
		default:
			return f, fmt.Errorf("entitlement: line %s: part %s has no kind", ln.SKC, ln.Part)
		}
		if ln.Qty > license.MaxQty {
			return f, fmt.Errorf("entitlement: line %s: quantity %d over the file's limit", ln.SKC, ln.Qty)
		}
		f.Lines = append(f.Lines, license.Line{SKC: ln.SKC, Part: ln.Part, Name: ln.Name, Kind: kind, Qty: int(ln.Qty),
			PO: ln.PO, SO: ln.SO, Activated: ln.Activated})
	}
	return f, nil
}

// Pack implements [Packer]: the <HWKC>-svi.zip holding every file (license.SVIZipFiles). A
// BX/OVOC container holds one file per machine and packs no more.
func (li LicenseIssuer) Pack(r PackRequest) (string, []byte, error) {
	if r.Container != ContainerSVI {
		return "", nil, fmt.Errorf("entitlement: license issuer: a %s container holds one file per machine, not %d files", r.Container, len(r.Files))
	}
	return license.SVIZipFiles(r.Files...)
}

// issueBX issues a BX/OVOC container: one signed file per machine (the primary and, for a
// redundant pair, the secondary with its own code and product key) and the .log.
func (li LicenseIssuer) issueBX(r IssueRequest, host license.Host) (Issued, error) {
	f, err := li.file(r, host)
	if err != nil {
		return Issued{}, err
	}
	primary, err := f.Sign(li.Key)
	if err != nil {
		return Issued{}, err
	}
	var secondary []byte
	if r.Pair != nil {
		pr := r
		pr.Location = *r.Pair
		ph, err := fileHost(pr)
		if err != nil {
			return Issued{}, err
		}
		sf, err := li.file(pr, ph)
		if err != nil {
			return Issued{}, err
		}
		sf.Serial = r.Location.ID + ":secondary." + strconv.FormatUint(r.Serial, 10)
		if sf.Supersedes != "" {
			sf.Supersedes = r.Location.ID + ":secondary"
		}
		if secondary, err = sf.Sign(li.Key); err != nil {
			return Issued{}, err
		}
	}
	name, data, err := license.BXZip(primary, secondary)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Name: name, Data: data, File: primary, ActivationCode: license.ActivationCode(primary)}, nil
}

// fileHost builds the license host of a location: system, primary and secondary code, and the
// attributes a virtual code is bound to.
func fileHost(r IssueRequest) (license.Host, error) {
	h := license.Host{System: r.System.Keycode}
	var err error
	if h.Code, err = keycode.Parse(r.System.Keycode, r.Location.HWKC); err != nil {
		return h, err
	}
	if r.Location.SecondaryHWKC != "" {
		if h.Secondary, err = keycode.Parse(r.System.Keycode, r.Location.SecondaryHWKC); err != nil {
			return h, err
		}
	}
	for _, a := range r.Location.Attrs {
		switch a.Name {
		case AttrIP:
			if h.IP, err = netip.ParseAddr(a.Value); err != nil {
				return h, fmt.Errorf("entitlement: location %s: attribute ip: %w", r.Location.ID, err)
			}
		case AttrMAC:
			if h.MAC, err = license.ParseMAC(a.Value); err != nil {
				return h, err
			}
		case AttrComputerName:
			h.ComputerName = a.Value
		case AttrDomain:
			h.Domain = a.Value
		case AttrProductKey:
			if h.ProductKey, err = keycode.ParseProductKey(a.Value); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}
