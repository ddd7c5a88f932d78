package entitlement

import (
	"slices"
	"strings"
)

// This file holds the general ledger capabilities that operations of packages above the core
// (hardware replacement, migration, a license file upload, a file supplied from outside) are made
// of. None of them knows a particular system: the per-system operations in entitlement/systems
// compose them, inside one [Ledger.Update], with their own rules.

// RuleView returns the view of the ledger that system rules get ([RuleView]): the counters of the
// derived codes (RuleView.Next), the key code deriver, the catalog and unscoped location reads. An
// operation that shares code with its system's rules uses it.
func (x *Op) RuleView() RuleView { return ruleView{x.o} }

// HostID validates code as a hardware key code of a system (any spelling [Catalog.ParseSystem]
// accepts) exactly as CreateLocation does (Config.HostID), and returns its canonical form. A
// refusal matches [ErrInvalid].
func (x *Op) HostID(system, code string) (string, error) {
	sys, err := x.o.l.cat.ParseSystem(system)
	if err != nil {
		return "", err
	}
	return x.o.l.hostID(sys.Name, code, "hardware key code")
}

// SaveLocation keeps changes to a visible location: its attributes (Attrs), the imported flag, and
// the fields [Ledger.EditLocation] edits (name, address, reference, e-mails, verticals). The
// identity, place and codes of a location (ID, Customer, Partner, Parent, System, HWKC,
// SecondaryHWKC, FormerHWKC, Created) and what the ledger counts (DemosLeft, FileSerial) are not
// changed here: a change to any of them is refused with [ErrInvalid] naming the field (the codes and
// system change with [Op.Rekey] and [Op.RekeySecondary]). The file is not re-issued ([Op.Reissue]).
func (x *Op) SaveLocation(loc Location) error {
	o := x.o
	old, err := o.location(loc.ID)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		same bool
	}{
		{"customer", loc.Customer == old.Customer}, {"partner", loc.Partner == old.Partner}, {"parent", loc.Parent == old.Parent},
		{"system", loc.System == old.System}, {"hardware key code", loc.HWKC == old.HWKC},
		{"secondary hardware key code", loc.SecondaryHWKC == old.SecondaryHWKC},
		{"former hardware key codes", slices.Equal(loc.FormerHWKC, old.FormerHWKC)}, {"creation time", loc.Created.Equal(old.Created)},
		{"demo licenses left", loc.DemosLeft == old.DemosLeft}, {"file serial", loc.FileSerial == old.FileSerial},
	} {
		if !f.same {
			return wrapf(ErrInvalid, "location %s: the %s is not changed by SaveLocation", loc.ID, f.name)
		}
	}
	if err := checkLocationText(loc); err != nil {
		return err
	}
	if err := checkAttrs(loc.Attrs); err != nil {
		return err
	}
	return o.saveLocation(old, cloneLocation(loc))
}

// Rekey moves a visible location to a new primary hardware key code and returns it as saved. code
// is validated for the location's system or, when system is not empty, for that system (any
// spelling [Catalog.ParseSystem] accepts), which the location then takes: a migration to another
// model. The code must differ from the old one and be free: held by no location and never retired.
// The old code is retired: recorded in FormerHWKC, refused for any new location or file, and still
// found by [Ledger.LookupHWKC]. The audit record names both codes. Child locations are not touched
// (an operation whose children follow their parent's code rekeys them itself), and the file is not
// re-issued ([Op.Reissue]).
func (x *Op) Rekey(location, system, code string) (Location, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return Location{}, err
	}
	sys := loc.System
	if system != "" {
		s, err := o.l.cat.ParseSystem(system)
		if err != nil {
			return Location{}, err
		}
		sys = s.Name
	}
	nc, err := o.l.hostID(sys, code, "new hardware key code")
	if err != nil {
		return Location{}, err
	}
	if nc == loc.HWKC {
		return Location{}, wrapf(ErrInvalid, "new hardware key code equals the old one")
	}
	if err := o.claimHWKC(nc, loc.ID); err != nil {
		return Location{}, err
	}
	if err := o.retireHWKC(&loc, loc.HWKC); err != nil {
		return Location{}, err
	}
	loc.HWKC, loc.System = nc, sys
	o.ref("hwkc", nc)
	return loc, o.putRec(bLocs, loc.ID, loc)
}

// RekeySecondary moves the secondary hardware key code of a visible location (a redundant pair) to
// code, as [Op.Rekey] moves the primary: validated for the location's system, different from the
// old secondary and the primary, free; the old secondary is retired. A location without a secondary
// code is refused with [ErrInvalid].
func (x *Op) RekeySecondary(location, code string) (Location, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return Location{}, err
	}
	if loc.SecondaryHWKC == "" {
		return Location{}, wrapf(ErrInvalid, "location %s has no secondary hardware key code", loc.ID)
	}
	nc, err := o.l.hostID(loc.System, code, "new secondary hardware key code")
	if err != nil {
		return Location{}, err
	}
	if nc == loc.SecondaryHWKC || nc == loc.HWKC {
		return Location{}, wrapf(ErrInvalid, "new secondary hardware key code equals the old secondary or the primary")
	}
	if err := o.claimHWKC(nc, loc.ID); err != nil {
		return Location{}, err
	}
	if err := o.retireHWKC(&loc, loc.SecondaryHWKC); err != nil {
		return Location{}, err
	}
	loc.SecondaryHWKC = nc
	o.ref("hwkc", nc)
	return loc, o.putRec(bLocs, loc.ID, loc)
}

// retireHWKC takes a location's code out of the code index and records it as retired.
func (o *op) retireHWKC(loc *Location, old string) error {
	if err := o.tx.Delete(bHWKC, old); err != nil {
		return err
	}
	if err := o.tx.Put(bRetired, old, []byte(loc.ID)); err != nil {
		return err
	}
	loc.FormerHWKC = append(loc.FormerHWKC, old)
	o.ref("hwkc", old)
	return nil
}

// Reissue issues a new file for a visible location after its host changed (a new code, a new
// computer name), from all its activated lines, with the next serial. A location without activated
// lines has no file to re-issue: the zero Issued comes back. For an external product (its rules
// implement [ExternalRules]) the file from outside was bound to the old host: it is dropped, and the
// result is Pending until [Op.PutExternalFile] supplies the new one.
func (x *Op) Reissue(location string) (Issued, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return Issued{}, err
	}
	lines, err := o.locLines(loc.ID)
	if err != nil {
		return Issued{}, err
	}
	if !slices.ContainsFunc(lines, func(ln Line) bool { return ln.State == StateActivated }) {
		return Issued{}, nil
	}
	if o.l.external(loc.System) {
		return Issued{Location: loc.ID, Pending: true}, o.tx.Delete(bFiles, loc.ID)
	}
	return o.issue(loc, nil)
}

// ActivateLines activates the named attached lines of a visible location, as a step of a larger
// operation (the SV9500 LAN1 IP activates the Virtualization Option): quantities move from attached
// to activated on their shipped lines. It checks no role, no license agreement and no rule, and
// issues no file (the operation does: [Op.Reissue]). skcs must name at least one line.
func (x *Op) ActivateLines(location string, skcs []string) ([]Line, error) {
	o := x.o
	if len(skcs) == 0 {
		return nil, wrapf(ErrInvalid, "nothing selected to activate")
	}
	loc, err := o.location(location)
	if err != nil {
		return nil, err
	}
	lines, err := o.linesOf(loc, skcs, StateAttached)
	if err != nil {
		return nil, err
	}
	if err := o.activateLines(lines); err != nil {
		return nil, err
	}
	if skcs == nil {
		return []Line{}, nil
	}
	return lines, nil // in the order of skcs
}

// ShipActivated books an order straight onto a visible location as activated lines (licenses that
// exist already, such as an uploaded license file of an existing system): each order line becomes
// a shipped line of the location's partner, fully activated, and one activated location line with a
// new software key code. ord.Partner is the location's partner ("" means it); the order ships once,
// its parts must fit the location's system, and SWA units are refused. No file is issued.
func (x *Op) ShipActivated(location string, ord Order) ([]Line, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return nil, err
	}
	if ord.Partner == "" {
		ord.Partner = loc.Partner
	}
	if ord.Partner != loc.Partner {
		return nil, wrapf(ErrInvalid, "order for partner %q onto a location of another partner", ord.Partner)
	}
	lines, err := o.l.checkOrderLines(ord.Lines, o.now)
	if err != nil {
		return nil, err
	}
	for i, ln := range lines {
		part, _ := o.l.cat.Part(ln.Part)
		if part.SWAUnits || !part.FitsSystem(loc.System) {
			return nil, wrapf(ErrInvalid, "order line %d: part %s does not fit system %s", i+1, ln.Part, loc.System)
		}
		if ln.Type != "" {
			if err := o.fixedTermFits(loc); err != nil {
				return nil, wrapf(ErrInvalid, "order line %d: %v", i+1, err)
			}
		}
	}
	return o.shipActivated(loc, ord, nil)
}

// CarryOver carries every activated line of a visible location over to a new order the ledger
// books itself (PO and SO both order), as a migration does: each line's part and quantity become a
// new activated line with a new software key code, keeping the original attach and activation
// dates and naming the old line in MigratedFrom; the old line stays on the location as read-only
// history (StateMigrated, its original PO and SO kept; [LocationView.MigratedOrigin] finds it) and
// still counts as activated ([CheckConservation]). The new software key codes carry the location's
// current system. A fixed-term line keeps its type and end; one that has ended is not carried
// over (it stays activated and ended). A location without activated lines to carry over is
// refused with [ErrState]. No file is issued.
func (x *Op) CarryOver(location, order string) ([]Line, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return nil, err
	}
	all, err := o.locLines(loc.ID)
	if err != nil {
		return nil, err
	}
	var old []Line
	for _, ln := range all {
		if ln.State == StateActivated && !o.ended(ln) {
			old = append(old, ln)
		}
	}
	if len(old) == 0 {
		return nil, wrapf(ErrState, "location %s has no activated lines to carry over", loc.ID)
	}
	ord := Order{Partner: loc.Partner, PO: order, SO: order}
	for _, ln := range old {
		ord.Lines = append(ord.Lines, OrderLine{Part: ln.Part, Qty: ln.Qty, Type: ln.Type, NotAfter: ln.NotAfter})
	}
	out, err := o.shipActivated(loc, ord, old)
	if err != nil {
		return nil, err
	}
	for _, ln := range old {
		ln.State = StateMigrated
		if err := o.tx.Delete(bRecent, recentKey(ln.Partner, recentActivated, ln.Recent)); err != nil {
			return nil, err
		}
		if err := o.unindexTerm(ln); err != nil {
			return nil, err
		}
		if err := o.putLine(ln); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// shipActivated books an order that goes straight onto a location as activated lines: one shipped
// line per order line, fully activated, and one activated location line each with a new software
// key code. from, when not nil, names the history line each new line is carried over from.
func (o *op) shipActivated(loc Location, ord Order, from []Line) ([]Line, error) {
	shipped, err := o.ship(ord, nil)
	if err != nil {
		return nil, err
	}
	sys, _ := o.l.cat.System(loc.System)
	out := make([]Line, 0, len(shipped))
	for i, s := range shipped {
		before := s
		s.InBin, s.Activated = 0, s.Shipped
		if err := o.saveLine(&before, s); err != nil {
			return nil, err
		}
		ln := Line{Location: loc.ID, Source: s.ID, Part: s.Part, Qty: s.Shipped, State: StateActivated, PO: s.PO, SO: s.SO,
			Partner: s.Partner, AttachedAt: o.now, ActivatedAt: o.now, Type: s.Type, NotAfter: s.NotAfter}
		if from != nil {
			// The guide's migrated page shows the original activation date beside the NEC PO/SO
			// columns; the original PO and SO stay on the history line named by MigratedFrom.
			ln.MigratedFrom = from[i].SKC
			ln.AttachedAt, ln.ActivatedAt = from[i].AttachedAt, from[i].ActivatedAt
		}
		if ln, err = o.addLine(sys, ln); err != nil {
			return nil, err
		}
		out = append(out, ln)
	}
	return out, nil
}

// addLine gives a new location line its software key code and its place in the recent lists, and
// writes it with its indexes.
func (o *op) addLine(sys System, ln Line) (Line, error) {
	var err error
	if ln.SKC, err = o.newSKC(sys); err != nil {
		return ln, err
	}
	if ln.Recent, err = o.next("recent"); err != nil {
		return ln, err
	}
	o.ref("skc", ln.SKC)
	if err := o.putNewLine(ln); err != nil {
		return ln, err
	}
	return ln, o.indexLine(ln)
}

// indexLine writes the indexes of a new location line (lines.go): the shipped line's lines and the
// recently attached or activated list.
func (o *op) indexLine(ln Line) error {
	if err := o.tx.Put(bSource, k(n16(ln.Source), ln.SKC), []byte(ln.Location)); err != nil {
		return err
	}
	switch ln.State {
	case StateAttached:
		return o.putRecent(recentAttached, ln)
	case StateActivated:
		if err := o.indexTerm(ln); err != nil {
			return err
		}
		return o.putRecent(recentActivated, ln)
	}
	return nil
}

// DemoFiles returns the demo files issued for a visible location, oldest first.
func (x *Op) DemoFiles(location string) ([]Issued, error) {
	o := x.o
	if _, err := o.location(location); err != nil {
		return nil, err
	}
	var out []Issued
	err := o.tx.Scan(bDemos, location+sep, func(_ string, v []byte) (bool, error) {
		f, err := readFullFile(v)
		if err != nil {
			return false, err
		}
		out = append(out, f)
		return true, nil
	})
	return out, err
}

// MaxExternalFile is the largest file [Op.PutExternalFile] stores: 4 MiB.
const MaxExternalFile = 4 << 20

// PutExternalFile stores a license file supplied from outside as the current file of a visible
// external product location (its rules implement [ExternalRules]) with activated lines: name is the
// download name (no path), data the file (1 byte to [MaxExternalFile]). The file gets the next
// serial, is marked External and downloads with [Ledger.Download]. It checks no role and emits no
// event: the operation does. A location that is no external product, a bad name or size is refused
// with [ErrInvalid]; a location without activated lines with [ErrState].
func (x *Op) PutExternalFile(location, name string, data []byte) (Issued, error) {
	o := x.o
	loc, err := o.location(location)
	if err != nil {
		return Issued{}, err
	}
	if !o.l.external(loc.System) {
		return Issued{}, wrapf(ErrInvalid, "location %s is %s, not an external product", loc.ID, loc.System)
	}
	if err := checkID("file name", name); err != nil || strings.ContainsAny(name, "/\\") {
		return Issued{}, wrapf(ErrInvalid, "file name %q", name)
	}
	if len(data) == 0 || len(data) > MaxExternalFile {
		return Issued{}, wrapf(ErrInvalid, "external file of %d bytes (1 byte to 4 MiB)", len(data))
	}
	lines, err := o.locLines(loc.ID)
	if err != nil {
		return Issued{}, err
	}
	if !slices.ContainsFunc(lines, func(ln Line) bool { return ln.State == StateActivated }) {
		return Issued{}, wrapf(ErrState, "location %s has no activated lines", loc.ID)
	}
	loc.FileSerial++
	f := Issued{Location: loc.ID, Serial: loc.FileSerial, Issued: o.now, Name: name, Data: slices.Clone(data),
		File: slices.Clone(data), External: true}
	o.ref("location", loc.ID)
	o.ref("file", name)
	if err := o.putRec(bLocs, loc.ID, loc); err != nil {
		return Issued{}, err
	}
	return f, o.putRec(bFiles, loc.ID, f)
}
