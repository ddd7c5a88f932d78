package swa

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// appView is one SWA product of a location as the book sees it now.
type appView struct {
	p        Product
	tb       Table
	hasTable bool
	first    time.Time // the day the product was first activated on the location
	rec      *appRec   // the book's record, nil when there is none yet
}

// apps finds the location's SWA products from its activated lines (migrated history lines
// included: a migration carries the lines over with their original activation dates, so grace
// and first activation are those of the original system). missing describes SWA-eligible lines
// or products without terms.
func (r *run) apps(loc entitlement.Location, lr *locRec) (apps []appView, missing []string, err error) {
	lines, err := r.x.Lines(loc.ID)
	if err != nil {
		return nil, nil, err
	}
	cat := r.x.Ledger().Catalog()
	for _, ln := range lines {
		if ln.State != entitlement.StateActivated && ln.State != entitlement.StateMigrated {
			continue
		}
		part, ok := cat.Part(ln.Part)
		if !ok || !part.SWA {
			continue
		}
		p, ok := r.b.terms.productFor(loc.System, ln.Part)
		if !ok {
			m := fmt.Sprintf("part %s on system %s", ln.Part, loc.System)
			if !slices.Contains(missing, m) {
				missing = append(missing, m)
			}
			continue
		}
		first := day(ln.ActivatedAt)
		i := slices.IndexFunc(apps, func(a appView) bool { return a.p.Name == p.Name })
		if i < 0 {
			apps = append(apps, appView{p: p, first: first})
			continue
		}
		if first.Before(apps[i].first) {
			apps[i].first = first
		}
	}
	for i := range apps {
		a := &apps[i]
		a.tb, a.hasTable = a.p.Table(a.first)
		if !a.hasTable {
			missing = append(missing, fmt.Sprintf("product %s first activated on %s", a.p.Name, a.first.Format("2006-01-02")))
		}
		a.rec = lr.app(a.p.Name)
	}
	return apps, missing, nil
}

// state is a product's state now; pending is the location's pending assignment, if any.
func (r *run) state(av appView, pending *Assignment) State {
	if pending != nil && slices.ContainsFunc(pending.Items, func(it Item) bool { return it.Product == av.p.Name }) {
		return StatePending
	}
	if av.rec != nil && !av.rec.End.IsZero() {
		switch {
		case r.today.After(av.rec.End):
			return StateExpired
		case av.rec.End.Sub(r.today) <= r.b.cfg.RenewalWindow:
			return StateRenewable
		}
		return StateActive
	}
	if !r.today.After(GraceEnd(av.first)) {
		return StateGrace
	}
	return StateExpired
}

// inForce reports whether a product is covered today: its grace period running (also while an
// assignment made in grace cools off), or a term of one of its agreements. The history decides, not
// the current term: a renewal made before its agreement expires starts the day after, and the
// agreement stays in force until then.
func (r *run) inForce(av appView) bool {
	if !r.today.After(GraceEnd(av.first)) {
		return true
	}
	if av.rec == nil {
		return false
	}
	return slices.ContainsFunc(av.rec.History, func(h Period) bool {
		return h.Kind != PeriodGrace && !r.today.Before(h.Start) && !r.today.After(h.End)
	})
}

// Status is a location's Software Assurance status: the license page's SWA icon and the SWA
// portal's agreement lines.
type Status struct {
	// Location, Customer, Name, HWKC and System identify the location as the ledger has it now
	// (after a migration or a hardware replacement: its new code and system).
	Location, Customer, Name, HWKC, System string
	// State is the location's state: the first of pending, grace, expired, renewable and active
	// that one of its products is in (the one that calls for action first), or none.
	State State
	// Products are the location's SWA products.
	Products []ProductStatus
	// Pending is the assignment in its cooling-off period, with TimeLeft what is left of it.
	Pending  *Assignment
	TimeLeft time.Duration // 0 when nothing is pending
	// Migrations are the migrations the ledger recorded for the location (SV9100 CP10 → CP20):
	// the agreements and grace stayed with it, since the lines kept their activation dates.
	Migrations []Migration
	// NoTerms lists SWA-eligible licenses without product terms: they cannot be quoted.
	NoTerms []string
}

// ProductStatus is one product's line: "Name — Agreement Number — Status — Expiry Date".
type ProductStatus struct {
	// Product is the product's Name in the terms table, Application the name the screens show.
	Product, Application string
	State                State // the product's state on the location
	// Agreement is the current agreement number: the grace agreement (W) before any other, then
	// N or Rnn. Expires is its last day: the grace end for W.
	Agreement string
	Expires   time.Time // the agreement's last day
	// GraceStart is the first activation, GraceEnd the last day of grace.
	GraceStart, GraceEnd time.Time
	// Start is the first day of the agreement's latest term (zero before any agreement): a renewal
	// made before the expiry starts the day after it, and History shows the term in force until then.
	Start time.Time
	// History is the agreement history, oldest first.
	History []Period
}

// Migration is a migration of the location's system that the ledger recorded.
type Migration struct {
	Order string    // the migration order (MIGSU_…)
	At    time.Time // when it happened
	Lines int       // lines carried over
}

// Status returns a location's SWA status (an SWA role or the administrator is needed). A pending
// assignment whose cooling-off ended is settled first, and a product in or past grace gets its
// grace agreement (W) recorded, so the status is always as of now.
func (b *Book) Status(ctx context.Context, a entitlement.Actor, location string) (Status, error) {
	var out Status
	err := b.read(ctx, a, "swa.status", func(r *run) error {
		out = Status{}
		if !r.x.Admin() {
			if err := r.needSWA("see SWA status"); err != nil {
				return err
			}
		}
		var err error
		out, err = r.status(location)
		return err
	})
	return out, err
}

func (r *run) status(location string) (Status, error) {
	loc, err := r.x.Location(location)
	if err != nil {
		return Status{}, err
	}
	lr, err := r.loadLoc(loc)
	if err != nil {
		return Status{}, err
	}
	pending, err := r.settleLocation(&lr)
	if err != nil {
		return Status{}, err
	}
	apps, missing, err := r.apps(loc, &lr)
	if err != nil {
		return Status{}, err
	}
	dirty := false
	for i := range apps {
		if apps[i].rec == nil {
			if err := r.openGrace(&lr, apps[i]); err != nil {
				return Status{}, err
			}
			dirty = true
		}
	}
	if dirty {
		if err := r.saveLoc(lr); err != nil {
			return Status{}, err
		}
	}
	st := Status{Location: loc.ID, Customer: loc.Customer, Name: loc.Name, HWKC: loc.HWKC, System: loc.System, NoTerms: missing}
	rank := map[State]int{StatePending: 5, StateGrace: 4, StateExpired: 3, StateRenewable: 2, StateActive: 1}
	for _, av := range apps {
		av.rec = lr.app(av.p.Name)
		ps := ProductStatus{Product: av.p.Name, Application: av.p.Application, State: r.state(av, pending),
			GraceStart: av.first, GraceEnd: GraceEnd(av.first)}
		if av.rec != nil {
			ps.Agreement, ps.Start, ps.History = av.rec.number(), av.rec.Start, slices.Clone(av.rec.History)
			ps.Expires = av.rec.End
			if av.rec.End.IsZero() {
				ps.Expires = ps.GraceEnd
			}
		}
		if rank[ps.State] > rank[st.State] {
			st.State = ps.State
		}
		st.Products = append(st.Products, ps)
	}
	if pending != nil {
		st.Pending, st.TimeLeft = pending, pending.TimeLeft(r.now)
	}
	st.Migrations, err = r.migrations(loc)
	return st, err
}

// migrations derives a location's migrations from the ledger's migration link: lines carried over
// (MigratedFrom) on a migration order, shipped when the migration happened.
func (r *run) migrations(loc entitlement.Location) ([]Migration, error) {
	if len(loc.FormerHWKC) == 0 {
		return nil, nil
	}
	lines, err := r.x.Lines(loc.ID)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, ln := range lines {
		if ln.MigratedFrom == "" {
			continue
		}
		i := slices.IndexFunc(out, func(m Migration) bool { return m.Order == ln.PO })
		if i >= 0 {
			out[i].Lines++
			continue
		}
		s, err := r.x.Shipped(ln.Source)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Order: ln.PO, At: s.ShippedAt.UTC(), Lines: 1})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.At.Compare(b.At) })
	return out, nil
}

// Prospect is a location in grace without SWA ("Prospective Software Assurance Locations").
type Prospect struct {
	Customer, CustomerName string // the customer's id and name
	Location, Name, HWKC   string // the location's id, name and hardware key code
	System                 string // the location's system type
	// FirstActivated and GraceEnd are those of its product whose grace ends first.
	FirstActivated, GraceEnd time.Time
	Products                 []string // its products in grace without SWA
}

// Prospective lists the actor's partner's locations in grace without SWA, by customer and
// location name: "new customer locations which are prospective candidates for Software
// Assurance". An SWA role is needed. The cost is proportional to the partner's locations and
// their lines.
func (b *Book) Prospective(ctx context.Context, a entitlement.Actor) ([]Prospect, error) {
	var out []Prospect
	err := b.read(ctx, a, "swa.prospective", func(r *run) error {
		out = nil
		if err := r.needSWA("see prospective SWA locations"); err != nil {
			return err
		}
		var locs []entitlement.Location
		err := r.x.PartnerLocations(r.x.Partner().ID, func(loc entitlement.Location) (bool, error) {
			locs = append(locs, loc)
			return true, nil
		})
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, loc := range locs {
			lr, err := r.loadLoc(loc)
			if err != nil {
				return err
			}
			pending, err := r.settleLocation(&lr)
			if err != nil {
				return err
			}
			apps, _, err := r.apps(loc, &lr)
			if err != nil {
				return err
			}
			p := Prospect{Customer: loc.Customer, Location: loc.ID, Name: loc.Name, HWKC: loc.HWKC, System: loc.System}
			for _, av := range apps {
				if r.state(av, pending) != StateGrace {
					continue
				}
				p.Products = append(p.Products, av.p.Name)
				if g := GraceEnd(av.first); p.GraceEnd.IsZero() || g.Before(p.GraceEnd) {
					p.GraceEnd, p.FirstActivated = g, av.first
				}
			}
			if len(p.Products) == 0 {
				continue
			}
			if _, ok := names[loc.Customer]; !ok {
				c, err := r.x.Customer(loc.Customer)
				if err != nil {
					return err
				}
				names[loc.Customer] = c.Name
			}
			p.CustomerName = names[loc.Customer]
			out = append(out, p)
		}
		slices.SortFunc(out, func(x, y Prospect) int {
			if c := strings.Compare(x.CustomerName, y.CustomerName); c != 0 {
				return c
			}
			if c := strings.Compare(x.Name, y.Name); c != 0 {
				return c
			}
			return strings.Compare(x.Location, y.Location)
		})
		return nil
	})
	return out, err
}
