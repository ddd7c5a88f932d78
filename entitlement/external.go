package entitlement

import (
	"context"
	"slices"
	"strings"
)

// external reports whether the system's rules say its file comes from outside.
func (l *Ledger) external(system string) bool {
	er, ok := l.cfg.Rules[system].(ExternalRules)
	return ok && er.ExternalFile()
}

// externalProduct: a purchase order attaches whole or not at all; activation records the lines and
// the file is supplied from outside. MobiCall parts ending in "-M" go to the Supervisor, the others
// to the Master; MobiBox takes Master parts only.
type externalProduct struct {
	noRules
	system string
}

func (externalProduct) ExternalFile() bool { return true }

func (r externalProduct) Attach(v RuleView, loc Location, adding []Line) error {
	picked := map[uint64]int64{}
	pos := map[[2]string]bool{}
	for _, ln := range adding {
		picked[ln.Source] += ln.Qty
		pos[[2]string{ln.Partner, ln.PO}] = true
		sup := strings.HasSuffix(strings.ToUpper(ln.Part), "-M")
		switch {
		case r.system == "MobiCall Supervisor" && !sup:
			return ruleRefuse("part %s has no -M: it goes to the MobiCall Master location", ln.Part)
		case r.system == "MobiCall Master" && sup:
			return ruleRefuse("part %s is a -M part: it goes to the MobiCall Supervisor location", ln.Part)
		case r.system == "MobiBox" && sup:
			return ruleRefuse("MobiBox takes MobiCall Master parts only, not %s", ln.Part)
		}
	}
	for po := range pos {
		lines, err := v.OrderLines(po[0], po[1])
		if err != nil {
			return err
		}
		for _, s := range lines {
			if s.InBin != s.Shipped || picked[s.ID] != s.InBin {
				return ruleRefuse("purchase order %s of an external product cannot be split up: attach all of it (line %d %s: %d of %d shipped, %d in the bin)",
					po[1], s.ID, s.Part, picked[s.ID], s.Shipped, s.InBin)
			}
		}
	}
	return nil
}

// AttachExternalFile stores the license file of an external product location, supplied from
// outside (administrator only, the license desk): name is the download name, data the file. The
// location must have activated lines. The file becomes downloadable ([Ledger.Download]) with the
// next serial; after the transaction commits, Config.Events receives [EventExternalFile]. One
// transaction, audited.
func (l *Ledger) AttachExternalFile(ctx context.Context, a Actor, location, name string, data []byte) (Issued, error) {
	var out Issued
	err := l.update(ctx, a, "attach external file", func(o *op) error {
		if err := o.need(RoleAdmin, "attach external license files"); err != nil {
			return err
		}
		loc, err := o.location(location)
		if err != nil {
			return err
		}
		if !l.external(loc.System) {
			return wrapf(ErrInvalid, "location %s is %s, not an external product", loc.ID, loc.System)
		}
		if err := checkID("file name", name); err != nil || strings.ContainsAny(name, "/\\") {
			return wrapf(ErrInvalid, "file name %q", name)
		}
		if len(data) == 0 || len(data) > 4<<20 {
			return wrapf(ErrInvalid, "external file of %d bytes (1 byte to 4 MiB)", len(data))
		}
		lines, err := o.locLines(loc.ID)
		if err != nil {
			return err
		}
		note := Event{Kind: EventExternalFile, Location: loc.ID, Customer: loc.Customer, Partner: loc.Partner,
			HWKC: loc.HWKC, Ref: name, CustomerEmail: loc.CustomerEmail, DealerEmail: loc.DealerEmail,
			Detail: "license file " + name + " is available"}
		for _, ln := range lines {
			if ln.State == StateActivated && !slices.Contains(note.SOs, ln.SO) {
				note.SOs = append(note.SOs, ln.SO)
			}
		}
		if len(note.SOs) == 0 {
			return wrapf(ErrState, "location %s has no activated lines", loc.ID)
		}
		loc.FileSerial++
		note.Serial = loc.FileSerial
		o.emit(note)
		out = Issued{Location: loc.ID, Serial: loc.FileSerial, Issued: o.now, Name: name, Data: append([]byte(nil), data...),
			File: append([]byte(nil), data...), External: true}
		o.ref("location", loc.ID)
		o.ref("file", name)
		if err := putRec(o.tx, bLocs, loc.ID, loc); err != nil {
			return err
		}
		return putRec(o.tx, bFiles, loc.ID, out)
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}
