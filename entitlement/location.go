package entitlement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/license"
)

// CreateCustomer creates a customer of the actor's partner and returns it with its UUID.
func (l *Ledger) CreateCustomer(ctx context.Context, a Actor, c Customer) (Customer, error) {
	var out Customer
	err := l.update(ctx, a, "create customer", func(o *op) error {
		if err := o.lmsUser("create customers"); err != nil {
			return err
		}
		if err := checkCustomer(c); err != nil {
			return err
		}
		id, err := newUUID(l.rand)
		if err != nil {
			return err
		}
		out = c // a copy: the argument is never changed, whatever the number of runs
		out.ID, out.Partner = id, o.partner.ID
		o.ref("customer", id)
		if err := o.putRec(bCustomers, id, out); err != nil {
			return err
		}
		return o.tx.Put(bCustByP, k(out.Partner, id), nil)
	})
	if err != nil {
		return Customer{}, err
	}
	return out, nil
}

func checkCustomer(c Customer) error {
	if err := checkText("customer name", c.Name, true); err != nil {
		return err
	}
	if err := checkText("customer address", c.Address, false); err != nil {
		return err
	}
	if err := checkText("customer reference note", c.Reference, false); err != nil {
		return err
	}
	return checkText("customer e-mail", c.Email, false)
}

// EditCustomer replaces a customer's name, address, reference note and e-mail.
func (l *Ledger) EditCustomer(ctx context.Context, a Actor, c Customer) error {
	return l.update(ctx, a, "edit customer", func(o *op) error {
		if err := o.lmsUser("edit customers"); err != nil {
			return err
		}
		old, err := o.customer(c.ID)
		if err != nil {
			return err
		}
		if err := checkCustomer(c); err != nil {
			return err
		}
		c.Partner = old.Partner
		o.ref("customer", c.ID)
		return o.putRec(bCustomers, c.ID, c)
	})
}

// customer loads a customer the actor may see; another partner's is not found, as an unknown one.
func (o *op) customer(id string) (Customer, error) {
	var c Customer
	if id == "" {
		return c, wrapf(ErrInvalid, "no customer id")
	}
	ok, err := getRec(o.tx, bCustomers, id, &c)
	if err != nil {
		return c, err
	}
	if !ok || !o.visible(c.Partner) {
		return Customer{}, wrapf(ErrNotFound, "customer %s", id)
	}
	return c, nil
}

// location loads a location the actor may see; another partner's is not found, as an unknown one.
func (o *op) location(id string) (Location, error) {
	var loc Location
	if id == "" {
		return loc, wrapf(ErrInvalid, "no location id")
	}
	ok, err := getRec(o.tx, bLocs, id, &loc)
	if err != nil {
		return loc, err
	}
	if !ok || !o.visible(loc.Partner) {
		return Location{}, wrapf(ErrNotFound, "location %s", id)
	}
	return loc, nil
}

// Customers returns the actor's partner's customers whose name contains q (case-insensitive; ""
// lists all), sorted by name. The cost is proportional to the partner's customers.
func (l *Ledger) Customers(ctx context.Context, a Actor, q string) ([]Customer, error) {
	var out []Customer
	lq := strings.ToLower(q)
	err := l.view(ctx, a, "customers", func(o *op) error {
		if err := o.lmsUser("list customers"); err != nil {
			return err
		}
		return o.tx.Scan(bCustByP, o.partner.ID+sep, func(kk string, _ []byte) (bool, error) {
			var c Customer
			if _, err := getRec(o.tx, bCustomers, kk[len(o.partner.ID)+1:], &c); err != nil {
				return false, err
			}
			if strings.Contains(strings.ToLower(c.Name), lq) {
				out = append(out, c)
			}
			return true, nil
		})
	})
	slices.SortFunc(out, func(x, y Customer) int { return strings.Compare(x.Name, y.Name) })
	return out, err
}

func checkLocationText(loc Location) error {
	for _, f := range []struct{ what, v string }{{"location name", loc.Name}, {"location address", loc.Address},
		{"location reference note", loc.Reference}, {"customer e-mail", loc.CustomerEmail}, {"dealer e-mail", loc.DealerEmail}} {
		if err := checkText(f.what, f.v, f.what == "location name"); err != nil {
			return err
		}
	}
	if len(loc.Verticals) > 16 {
		return wrapf(ErrInvalid, "more than 16 verticals")
	}
	for _, v := range loc.Verticals {
		if err := checkText("vertical", v, true); err != nil {
			return err
		}
	}
	return nil
}

// CreateLocation creates a customer location: loc.Customer (of the actor's partner), Name, System
// and HWKC are required; SecondaryHWKC, Parent (a location of the same customer), Address,
// Reference, e-mails, Verticals and Attrs are optional. System is any spelling of a system type
// that [Catalog.ParseSystem] accepts; the location keeps the catalog's name. The hardware key codes
// are validated for the system (Config.HostID) and stored in canonical form. A code that belongs
// to a location already (the guide: a code belongs to one location) is refused with ErrExists,
// saying that the code is registered and nothing about whose it is; a code retired by a hardware
// replacement or migration with ErrState. The system's [Rules] are consulted first and may derive
// the code. The location gets a UUID and its demo licenses.
func (l *Ledger) CreateLocation(ctx context.Context, a Actor, loc Location) (Location, error) {
	var out Location
	err := l.update(ctx, a, "create location", func(o *op) error {
		if err := o.lmsUser("create locations"); err != nil {
			return err
		}
		// The store may run this function more than once: the argument stays as the caller gave
		// it (rules fill in derived codes on a copy) and the result comes from the last run.
		var err error
		out, err = o.createLocation(cloneLocation(loc), 0)
		return err
	})
	if err != nil {
		return Location{}, err
	}
	return out, nil
}

// bLocName indexes locations by lower-case name (nameKey(name) sep id) for the administrator's
// search across partners.
const bLocName = "locname"

func init() { allBuckets = append(allBuckets, bLocName) }

// nameKey is a name's index form: lower case, at most 900 bytes (so the key stays under
// CheckKey's limit), cut on a character boundary.
func nameKey(name string) string {
	n := strings.ToLower(name)
	if len(n) > 900 {
		n = strings.ToValidUTF8(n[:900], "")
	}
	return n
}

// cloneLocation copies a location with its own slices, so rules may change the copy freely.
func cloneLocation(loc Location) Location {
	loc.Verticals = slices.Clone(loc.Verticals)
	loc.Attrs = slices.Clone(loc.Attrs)
	loc.FormerHWKC = slices.Clone(loc.FormerHWKC)
	return loc
}

// createLocation creates one location and, where its rules ask for them, its child locations.
func (o *op) createLocation(loc Location, depth int) (Location, error) {
	l := o.l
	c, err := o.customer(loc.Customer)
	if err != nil {
		return loc, err
	}
	sys, err := l.cat.ParseSystem(loc.System)
	if err != nil {
		return loc, err
	}
	loc.System = sys.Name
	if err := checkLocationText(loc); err != nil {
		return loc, err
	}
	if loc.Parent != "" {
		p, err := o.location(loc.Parent)
		if err != nil {
			return loc, fmt.Errorf("parent: %w", err)
		}
		if p.Customer != c.ID {
			return loc, wrapf(ErrInvalid, "parent location %s belongs to another customer", p.ID)
		}
	}
	id, err := newUUID(l.rand)
	if err != nil {
		return loc, err
	}
	loc.ID, loc.Partner, loc.Created, loc.DemosLeft, loc.FileSerial = id, c.Partner, o.now, l.cfg.Demos, 0
	loc.FormerHWKC, loc.Imported = nil, false
	if err := checkAttrs(loc.Attrs); err != nil {
		return loc, err
	}
	r := l.cfg.Rules[sys.Name]
	if r != nil {
		if err := ruleErr(r.CreateLocation(ruleView{o}, &loc)); err != nil {
			return loc, err
		}
		loc.ID, loc.Partner, loc.Customer, loc.System = id, c.Partner, c.ID, sys.Name
	}
	if loc.HWKC, err = l.hostID(sys.Name, loc.HWKC, "hardware key code"); err != nil {
		return loc, err
	}
	if loc.SecondaryHWKC != "" {
		if loc.SecondaryHWKC, err = l.hostID(sys.Name, loc.SecondaryHWKC, "secondary hardware key code"); err != nil {
			return loc, err
		}
		if loc.SecondaryHWKC == loc.HWKC {
			return loc, wrapf(ErrInvalid, "secondary hardware key code equals the primary")
		}
	}
	for _, code := range []string{loc.HWKC, loc.SecondaryHWKC} {
		if code == "" {
			continue
		}
		if err := o.claimHWKC(code, id); err != nil {
			return loc, err
		}
	}
	o.ref("location", id)
	o.ref("hwkc", loc.HWKC)
	if err := o.putRec(bLocs, id, loc); err != nil {
		return loc, err
	}
	if err := o.tx.Put(bLocByP, k(loc.Partner, id), nil); err != nil {
		return loc, err
	}
	if err := o.tx.Put(bLocByC, k(loc.Customer, id), nil); err != nil {
		return loc, err
	}
	if err := o.tx.Put(bLocName, k(nameKey(loc.Name), id), nil); err != nil {
		return loc, err
	}
	if loc.Parent != "" {
		if err := o.tx.Put(bKids, k(loc.Parent, id), nil); err != nil {
			return loc, err
		}
	}
	if cr, ok := r.(ChildRules); ok && depth < 2 {
		kids, err := cr.Children(ruleView{o}, loc)
		if err := ruleErr(err); err != nil {
			return loc, err
		}
		for _, kid := range kids {
			kid = cloneLocation(kid)
			kid.Parent, kid.Customer = loc.ID, loc.Customer
			if _, err := o.createLocation(kid, depth+1); err != nil {
				return loc, fmt.Errorf("child location: %w", err)
			}
		}
	}
	return loc, nil
}

// claimHWKC indexes a hardware key code for a location; a code held by another location, or
// retired by a hardware replacement or migration, is refused. The refusal says that the code is
// registered (the guide's rule: a code belongs to one location) and nothing else: not whose it is,
// nor any id, so a partner learns only what uniqueness makes public.
func (o *op) claimHWKC(code, id string) error {
	if _, ok, err := probe(o.tx, bHWKC, code); err != nil {
		return err
	} else if ok {
		return wrapf(ErrExists, "hardware key code %s is registered already: a code belongs to one customer location only", code)
	}
	if _, ok, err := probe(o.tx, bRetired, code); err != nil {
		return err
	} else if ok {
		return wrapf(ErrState, "hardware key code %s was replaced and receives no new license files", code)
	}
	return o.tx.Put(bHWKC, code, []byte(id))
}

func (l *Ledger) hostID(system, code, what string) (string, error) {
	if code == "" {
		return "", wrapf(ErrInvalid, "%s is empty", what)
	}
	c, err := l.cfg.HostID(system, code)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return "", err
		}
		return "", fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	if err := CheckKey("b", c); err != nil || strings.Contains(c, sep) {
		return "", wrapf(ErrInvalid, "%s %q", what, code)
	}
	return c, nil
}

// ruleErr makes sure a rule's refusal matches ErrRule (or the sentinel it chose).
func ruleErr(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrNotAllowed, ErrNotFound, ErrExists, ErrInvalid, ErrQuantity, ErrAgreement, ErrNoDemo, ErrState, ErrRule, ErrCorrupt} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrRule, err)
}

// LocationEdit holds the editable fields of a location. System, hardware key codes, customer and
// parent are not editable here (hardware replacement and migration are their own operations).
type LocationEdit struct {
	Name, Address, Reference, CustomerEmail, DealerEmail string
	Verticals                                            []string
}

// EditLocation replaces a location's editable fields.
func (l *Ledger) EditLocation(ctx context.Context, a Actor, id string, e LocationEdit) error {
	return l.update(ctx, a, "edit location", func(o *op) error {
		if err := o.lmsUser("edit locations"); err != nil {
			return err
		}
		loc, err := o.location(id)
		if err != nil {
			return err
		}
		old := loc
		loc.Name, loc.Address, loc.Reference, loc.CustomerEmail, loc.DealerEmail = e.Name, e.Address, e.Reference, e.CustomerEmail, e.DealerEmail
		loc.Verticals = slices.Clone(e.Verticals)
		if err := checkLocationText(loc); err != nil {
			return err
		}
		o.ref("location", id)
		return o.saveLocation(old, loc)
	})
}

// saveLocation writes a changed location, keeping the name index.
func (o *op) saveLocation(old, loc Location) error {
	if loc.Name != old.Name {
		if err := o.tx.Delete(bLocName, k(nameKey(old.Name), loc.ID)); err != nil {
			return err
		}
		if err := o.tx.Put(bLocName, k(nameKey(loc.Name), loc.ID), nil); err != nil {
			return err
		}
	}
	return o.putRec(bLocs, loc.ID, loc)
}

// checkAttrs validates location attributes: names as identifiers, values as text, at most 32.
func checkAttrs(attrs []Attr) error {
	if len(attrs) > 32 {
		return wrapf(ErrInvalid, "more than 32 location attributes")
	}
	for i, a := range attrs {
		if err := checkID("attribute name", a.Name); err != nil {
			return err
		}
		if err := checkText("attribute "+a.Name, a.Value, false); err != nil {
			return err
		}
		for _, b := range attrs[:i] {
			if b.Name == a.Name {
				return wrapf(ErrInvalid, "attribute %s given twice", a.Name)
			}
		}
	}
	return nil
}

// LocationView is a location with its lines and children, as the location licenses page shows it.
type LocationView struct {
	Location
	Attached  []Line
	Activated []Line
	// History holds the read-only lines kept from before a migration.
	History  []Line
	Children []Location
	// ChildLines holds the attached and activated lines of the child locations (an SV8500
	// page lists its SR-MGC children's lines), in child then SKC order.
	ChildLines []Line
	File       *IssuedInfo // the latest permanent file, nil before the first activation
	// TermFiles are the current files of the location's fixed-term lines, one per entitlement
	// type and end date, in type then end order (those that ended are left out).
	TermFiles []IssuedInfo
	// Ended holds the lines revoked or cancelled (the delivery statuses Inactive and Order
	// Cancelled), kept as history.
	Ended []Line
}

// MigratedOrigin returns the history line a migrated line was carried over from (its original PO
// and SO, the guide's "NEC PO" and "NEC SO" columns), and false for a line that was not migrated.
func (v LocationView) MigratedOrigin(ln Line) (Line, bool) {
	if ln.MigratedFrom == "" {
		return Line{}, false
	}
	for _, h := range v.History {
		if h.SKC == ln.MigratedFrom {
			return h, true
		}
	}
	return Line{}, false
}

// IssuedInfo describes an issued file without its bytes.
type IssuedInfo struct {
	Serial         uint64
	Name           string
	ActivationCode string
	// Type and NotAfter are those of a fixed-term file; "" and zero for a permanent one.
	Type     license.EntitlementType
	NotAfter time.Time
}

// info describes f without its bytes.
func (f Issued) info() IssuedInfo {
	return IssuedInfo{Serial: f.Serial, Name: f.Name, ActivationCode: f.ActivationCode, Type: f.Type, NotAfter: f.NotAfter}
}

// Location returns a location with its attached and activated lines and child locations.
func (l *Ledger) Location(ctx context.Context, a Actor, id string) (LocationView, error) {
	var v LocationView
	err := l.view(ctx, a, "location", func(o *op) error {
		if err := o.lmsUser("see locations"); err != nil {
			return err
		}
		var err error
		v, err = o.locationView(id)
		return err
	})
	return v, err
}

func (o *op) locationView(id string) (LocationView, error) {
	loc, err := o.location(id)
	if err != nil {
		return LocationView{}, err
	}
	v := LocationView{Location: loc}
	lines, err := o.locLines(id)
	if err != nil {
		return v, err
	}
	for _, ln := range lines {
		switch ln.State {
		case StateActivated:
			v.Activated = append(v.Activated, ln)
		case StateMigrated:
			v.History = append(v.History, ln)
		case StateRevoked, StateCancelled:
			v.Ended = append(v.Ended, ln)
		default:
			v.Attached = append(v.Attached, ln)
		}
	}
	if v.Children, err = o.children(id); err != nil {
		return v, err
	}
	for _, kid := range v.Children {
		kl, err := o.locLines(kid.ID)
		if err != nil {
			return v, err
		}
		for _, ln := range kl {
			if ln.State.Live() {
				v.ChildLines = append(v.ChildLines, ln)
			}
		}
	}
	if f, _, ok, err := o.getFile(bFiles, id); err != nil {
		return v, err
	} else if ok {
		info := f.info()
		v.File = &info
	}
	terms, err := o.termFiles(id, nil)
	if err != nil {
		return v, err
	}
	for _, t := range terms {
		v.TermFiles = append(v.TermFiles, t.info())
	}
	return v, nil
}

func (o *op) children(loc string) ([]Location, error) {
	var out []Location
	err := o.tx.Scan(bKids, loc+sep, func(kk string, _ []byte) (bool, error) {
		var c Location
		if _, err := getRec(o.tx, bLocs, kk[len(loc)+1:], &c); err != nil {
			return false, err
		}
		out = append(out, c)
		return true, nil
	})
	return out, err
}

// Locations returns the locations of one customer.
func (l *Ledger) Locations(ctx context.Context, a Actor, customer string) ([]Location, error) {
	var out []Location
	err := l.view(ctx, a, "locations", func(o *op) error {
		if err := o.lmsUser("list locations"); err != nil {
			return err
		}
		if _, err := o.customer(customer); err != nil {
			return err
		}
		var err error
		out, err = o.customerLocations(customer)
		return err
	})
	return out, err
}

// customerLocations returns a customer's locations (the caller checked the customer's scope).
func (o *op) customerLocations(customer string) ([]Location, error) {
	var out []Location
	err := o.tx.Scan(bLocByC, customer+sep, func(kk string, _ []byte) (bool, error) {
		var loc Location
		if _, err := getRec(o.tx, bLocs, kk[len(customer)+1:], &loc); err != nil {
			return false, err
		}
		out = append(out, loc)
		return true, nil
	})
	return out, err
}

// SearchLocations finds locations by name or hardware key code. A partner's user searches its own
// locations: q matches case-insensitively anywhere in the name or the code (cost proportional to
// the partner's locations). An administrator searches every partner by code prefix and then by
// name prefix, case-insensitively (both through indexes: cost proportional to the matches). At
// most limit results (0 means 100). A location the name index does not list (a ledger file
// written without it) is found by code only; an export and import ([Export], [Import]) rebuilds
// the index.
func (l *Ledger) SearchLocations(ctx context.Context, a Actor, q string, limit int) ([]Location, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Location
	err := l.view(ctx, a, "search locations", func(o *op) error {
		if err := o.lmsUser("search locations"); err != nil {
			return err
		}
		if o.admin() {
			if q == "" {
				return wrapf(ErrInvalid, "empty search")
			}
			add := func(id string) (bool, error) {
				var loc Location
				if _, err := getRec(o.tx, bLocs, id, &loc); err != nil {
					return false, err
				}
				if !slices.ContainsFunc(out, func(x Location) bool { return x.ID == loc.ID }) {
					out = append(out, loc)
				}
				return len(out) < limit, nil
			}
			tq := strings.TrimSpace(q)
			err := o.tx.Scan(bHWKC, tq, func(_ string, id []byte) (bool, error) { return add(string(id)) })
			if err != nil || len(out) >= limit {
				return err
			}
			return o.tx.Scan(bLocName, nameKey(tq), func(kk string, _ []byte) (bool, error) {
				i := strings.LastIndex(kk, sep)
				return add(kk[i+1:])
			})
		}
		lq := strings.ToLower(strings.TrimSpace(q))
		p := o.partner.ID
		return o.tx.Scan(bLocByP, p+sep, func(kk string, _ []byte) (bool, error) {
			var loc Location
			if _, err := getRec(o.tx, bLocs, kk[len(p)+1:], &loc); err != nil {
				return false, err
			}
			if locationMatches(loc, lq) {
				out = append(out, loc)
			}
			return len(out) < limit, nil
		})
	})
	return out, err
}
