package entitlement

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// Rules are one system type's own rules (the guide's "LMS License handling instructions per System
// Type"), consulted inside the operation's transaction, after the general checks pass and before
// anything is written. A rule refuses by returning an error; the ledger wraps it with ErrRule unless
// it already wraps one of the package's sentinels, and nothing is changed. Register rules per
// system name in [Config.Rules]; package entitlement/systems holds the guide's. Methods may not keep
// the [RuleView] after they return.
//
// The hooks, and where the core consults them: Rules on create-location, attach and activate;
// [ChildRules] after a location is created; [ExternalRules] wherever a file would be issued;
// [IssueRules] when a file is built. The core never branches on a system's name: what differs per
// system is in its rules.
type Rules interface {
	// CreateLocation sees the location about to be created (its parent, if any, is readable
	// through v). It may fill in what the system derives itself (a temp key or virtual HWKC in
	// loc.HWKC, attributes in loc.Attrs); the HWKC is validated for the system afterwards.
	CreateLocation(v RuleView, loc *Location) error
	// Attach sees the lines about to be attached (SKCs not yet assigned).
	Attach(v RuleView, loc Location, adding []Line) error
	// Activate sees the attached lines about to be activated.
	Activate(v RuleView, loc Location, activating []Line) error
}

// RuleView is the read-only view of the ledger a rule consults.
type RuleView interface {
	// Catalog is the ledger's catalog.
	Catalog() *Catalog
	// Location returns a location by id.
	Location(id string) (Location, bool, error)
	// Lines returns every line (attached and activated) on a location, in SKC order.
	Lines(location string) ([]Line, error)
	// Children returns a location's child locations.
	Children(location string) ([]Location, error)
	// LocationByHWKC returns the location holding a hardware key code.
	LocationByHWKC(code string) (Location, bool, error)
	// OrderLines returns a partner's shipped lines of one purchase order (with their current
	// quantities), in shipment order.
	OrderLines(partner, po string) ([]ShippedLine, error)
	// Now is the operation's time.
	Now() time.Time
	// Deriver is Config.Deriver, the issuer's derivation of virtual key codes; nil when none is
	// configured.
	Deriver() *keycode.Deriver
	// Next increments and returns the named ledger counter (the one write a rule may make; it is
	// part of the operation's transaction and undone with it). Rules use it for the uniqueness
	// input of derived codes.
	Next(name string) (uint64, error)
	// Warn records a warning that does not refuse the operation (an iS3000/SIP@Net system
	// activated without its upgrade allowance will not run): activation returns it in
	// [Issued].Warnings and the audit record keeps it as a note.
	Warn(format string, a ...any)
	// Ref adds a reference ("kind:id") to the operation's audit record, for what a rule created
	// (a product key generated at the first file).
	Ref(kind, id string)
	// Rand is the ledger's randomness (Config.Rand), for what a rule generates.
	Rand() io.Reader
}

// ExternalRules is implemented by the rules of external products (RCC, UM4730, Expense
// Management, MobiCall, MobiBox): when ExternalFile reports true, activation records the lines but
// the ledger issues no file; the file is supplied from outside with [Ledger.AttachExternalFile].
type ExternalRules interface {
	ExternalFile() bool
}

// ChildRules is implemented by rules whose locations come with child locations (the LMC child of
// an SV8300, SV8500, SV9300 or SV9500 location). CreateLocation calls Children after the location
// is written, in the same transaction, and creates each returned location (Parent, Customer and
// Partner are filled in) through its own system's checks and rules.
type ChildRules interface {
	Children(v RuleView, loc Location) ([]Location, error)
}

// Container is the download form of a license file: what [LicenseIssuer] packs the signed file in.
type Container uint8

// Containers.
const (
	// ContainerSVI is <HWKC>-svi.zip holding the one signed file (license.SVIZip), the default.
	ContainerSVI Container = iota
	// ContainerBX is AA_<product key>_out.zip holding one .lic per machine and the .log
	// (license.BXZip): BX/OVOC products.
	ContainerBX
)

// String returns "svi" or "bx".
func (c Container) String() string {
	switch c {
	case ContainerSVI:
		return "svi"
	case ContainerBX:
		return "bx"
	}
	return "invalid"
}

// IssueRules is implemented by rules that take part in building a location's file (BX/OVOC: the
// BX container, a software product's key generated at its first file, the secondary of a redundant
// pair in the same container).
type IssueRules interface {
	// Container is the container of the system's files, demo files included.
	Container() Container
	// PrepareIssue sees the request of a file of activated lines (not a demo file) before the
	// [Issuer] does. It may add or change attributes of req.Location, which the ledger keeps with
	// the location, and name req.Pair, a child location of req.Location whose attributes it may
	// change likewise; every other change to either location is ignored.
	PrepareIssue(v RuleView, req *IssueRequest) error
}

// external reports whether the system's rules say its file comes from outside.
func (l *Ledger) external(system string) bool {
	er, ok := l.cfg.Rules[system].(ExternalRules)
	return ok && er.ExternalFile()
}

// container is the system's file container (ContainerSVI unless its rules say otherwise).
func (l *Ledger) container(system string) Container {
	if ir, ok := l.cfg.Rules[system].(IssueRules); ok {
		return ir.Container()
	}
	return ContainerSVI
}

type ruleView struct{ o *op }

func (v ruleView) Catalog() *Catalog { return v.o.l.cat }

func (v ruleView) Location(id string) (Location, bool, error) {
	var loc Location
	ok, err := getRec(v.o.tx, bLocs, id, &loc)
	return loc, ok, err
}

func (v ruleView) Lines(location string) ([]Line, error) { return v.o.locLines(location) }

func (v ruleView) Children(location string) ([]Location, error) { return v.o.children(location) }

func (v ruleView) LocationByHWKC(code string) (Location, bool, error) {
	id, ok, err := v.o.tx.Get(bHWKC, code)
	if err != nil || !ok {
		return Location{}, false, err
	}
	return v.Location(string(id))
}

func (v ruleView) Now() time.Time { return v.o.now }

func (v ruleView) Warn(format string, a ...any) {
	w := strings.ToValidUTF8(fmt.Sprintf(format, a...), "\uFFFD")
	v.o.warnings = append(v.o.warnings, w)
	v.o.note("warning: " + w)
}

func (v ruleView) Deriver() *keycode.Deriver { return v.o.l.cfg.Deriver }

func (v ruleView) Ref(kind, id string) { v.o.ref(kind, id) }

func (v ruleView) Rand() io.Reader { return v.o.l.rand }

func (v ruleView) Next(name string) (uint64, error) {
	if err := checkID("counter", name); err != nil {
		return 0, err
	}
	return nextSeq(v.o.tx, "rule/"+name)
}

func (v ruleView) OrderLines(partner, po string) ([]ShippedLine, error) {
	if checkID("partner", partner) != nil || checkID("purchase order", po) != nil {
		return nil, wrapf(ErrInvalid, "order %q of %q", po, partner)
	}
	var out []ShippedLine
	err := v.o.tx.Scan(bPO, k(po, partner)+sep, func(kk string, _ []byte) (bool, error) {
		id, ok := parseN16(kk[len(kk)-8:])
		if !ok {
			return false, wrapf(ErrCorrupt, "purchase order index key")
		}
		s, err := v.o.shipped(id)
		if err != nil {
			return false, err
		}
		out = append(out, s)
		return true, nil
	})
	return out, err
}
