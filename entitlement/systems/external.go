package systems

import (
	"context"
	"slices"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
)

// The guide's "External Product License and SWA handling": RCC, UM4730, Expense Management,
// MobiCall and MobiBox licenses are attached and activated in the ledger, but the file comes from
// outside: the license desk attaches it ([AttachExternalFile]) and the partner is told.

// externalProduct: a purchase order attaches whole or not at all; activation records the lines and
// the file is supplied from outside. MobiCall parts ending in "-M" go to the Supervisor, the others
// to the Master; MobiBox takes Master parts only.
type externalProduct struct {
	noRules
	system string
}

func (externalProduct) ExternalFile() bool { return true }

func (r externalProduct) Attach(v entitlement.RuleView, _ entitlement.Location, adding []entitlement.Line) error {
	picked := map[uint64]int64{}
	pos := map[[2]string]bool{}
	for _, ln := range adding {
		picked[ln.Source] += ln.Qty
		pos[[2]string{ln.Partner, ln.PO}] = true
		sup := strings.HasSuffix(strings.ToUpper(ln.Part), "-M")
		switch {
		case r.system == "MobiCall Supervisor" && !sup:
			return refuse("part %s has no -M: it goes to the MobiCall Master location", ln.Part)
		case r.system == "MobiCall Master" && sup:
			return refuse("part %s is a -M part: it goes to the MobiCall Supervisor location", ln.Part)
		case r.system == "MobiBox" && sup:
			return refuse("MobiBox takes MobiCall Master parts only, not %s", ln.Part)
		}
	}
	for po := range pos {
		lines, err := v.OrderLines(po[0], po[1])
		if err != nil {
			return err
		}
		for _, s := range lines {
			if s.InBin != s.Shipped || picked[s.ID] != s.InBin {
				return refuse("purchase order %s of an external product cannot be split up: attach all of it (line %d %s: %d of %d shipped, %d in the bin)",
					po[1], s.ID, s.Part, picked[s.ID], s.Shipped, s.InBin)
			}
		}
	}
	return nil
}

// AttachExternalFile stores the license file of an external product location, supplied from
// outside (administrator only, the license desk): name is the download name, data the file (at
// most [entitlement.MaxExternalFile]). The location must have activated lines. The file becomes
// downloadable ([entitlement.Ledger.Download]) with the next serial; after the transaction commits,
// Config.Events receives [entitlement.EventExternalFile] with the location's sales orders and
// e-mails (the service's "your License file … is available"). One audited transaction ("attach
// external file").
func AttachExternalFile(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, location, name string, data []byte) (entitlement.Issued, error) {
	return updateIssued(ctx, l, a, "attach external file", func(x *entitlement.Op) (entitlement.Issued, error) {
		if err := x.Need(entitlement.RoleAdmin, "attach external license files"); err != nil {
			return entitlement.Issued{}, err
		}
		loc, err := x.Location(location)
		if err != nil {
			return entitlement.Issued{}, err
		}
		f, err := x.PutExternalFile(loc.ID, name, data)
		if err != nil {
			return entitlement.Issued{}, err
		}
		lines, err := x.Lines(loc.ID)
		if err != nil {
			return entitlement.Issued{}, err
		}
		e := entitlement.Event{Kind: entitlement.EventExternalFile, Location: loc.ID, Customer: loc.Customer, Partner: loc.Partner,
			HWKC: loc.HWKC, Ref: name, Serial: f.Serial, CustomerEmail: loc.CustomerEmail, DealerEmail: loc.DealerEmail,
			Detail: "license file " + name + " is available"}
		for _, ln := range lines {
			if ln.State == entitlement.StateActivated && !slices.Contains(e.SOs, ln.SO) {
				e.SOs = append(e.SOs, ln.SO)
			}
		}
		x.Emit(e)
		return f, nil
	})
}
