package entitlement_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/keycode"
)

// childRules is a rule set in the shape the per-system rules take: the location must be a child of
// an SV8500 location and gets a temp key; attach accepts only parts of its own system (the child
// sees its parent through the view); activate refuses more than 100 activated ports.
type childRules struct{ calls map[string]int }

func (r *childRules) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	r.calls["create"]++
	p, ok, err := v.Location(loc.Parent)
	if err != nil {
		return err
	}
	if !ok || p.System != "SV8500" {
		return errors.New("an SR-MGC location must be a child of an SV8500 location")
	}
	k, err := keycode.TempKey(keycode.SRMGC, loc.Created, 607)
	if err != nil {
		return err
	}
	loc.HWKC = k.String()
	return nil
}

func (r *childRules) Attach(v entitlement.RuleView, loc entitlement.Location, adding []entitlement.Line) error {
	r.calls["attach"]++
	for _, ln := range adding {
		if ln.SKC != "" {
			return errors.New("rule saw an SKC before assignment")
		}
	}
	return nil
}

func (r *childRules) Activate(v entitlement.RuleView, loc entitlement.Location, activating []entitlement.Line) error {
	r.calls["activate"]++
	lines, err := v.Lines(loc.ID)
	if err != nil {
		return err
	}
	var ports int64
	for _, ln := range append(lines, activating...) {
		if ln.Part == "EU900050" && (ln.State == entitlement.StateActivated || slices.Contains(activating, ln)) {
			ports += ln.Qty
		}
	}
	if ports > 100 {
		return errors.New("more than 100 SR-MGC ports")
	}
	return nil
}

func TestRulesHook(t *testing.T) {
	rules := &childRules{calls: map[string]int{}}
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 9)
	clock := storetest.FixedClock{T: time.Date(2013, 3, 20, 2, 57, 26, 0, time.UTC)}
	l := entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}, Clock: clock, Rand: rand.NewChaCha8([32]byte{9}),
		Rules: map[string]entitlement.Rules{"SR-MGC": rules}})
	cust := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business"}))
	main := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "Main SV8500",
		System: "SV8500", HWKC: "22E76E11299790CBCA0724859BI4"}))
	if rules.calls["create"] != 0 {
		t.Fatal("SR-MGC rules consulted for an SV8500 location")
	}
	snap := func() entitlement.Snapshot { return must[entitlement.Snapshot](t)(l.Snapshot(ctx)) }
	before := snap()
	_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "orphan SR-MGC", System: "SR-MGC"})
	if !errors.Is(err, entitlement.ErrRule) {
		t.Fatalf("rule refusal: %v, want ErrRule", err)
	}
	if !reflect.DeepEqual(before, snap()) {
		t.Fatal("a rule refusal changed the ledger")
	}
	child := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Parent: main.ID,
		Name: "SR-MGC", System: "SR-MGC"}))
	if child.HWKC != "22-130320025726-607-TEMP-KEY" {
		t.Fatalf("rule-derived HWKC %q, want the guide's temp key 22-130320025726-607-TEMP-KEY", child.HWKC)
	}
	if v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, main.ID)); len(v.Children) != 1 || v.Children[0].ID != child.ID {
		t.Fatalf("parent lists children %+v", v.Children)
	}
	shipped := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "SRMGC licenses PO12", SO: "SRMGC licenses SO12",
		Lines: []entitlement.OrderLine{{Part: "EU900074", Qty: 1}, {Part: "EU900050", Qty: 500}}}))
	must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, child.ID, picksAll(shipped)))
	if rules.calls["attach"] != 1 {
		t.Fatalf("attach rule called %d times", rules.calls["attach"])
	}
	before = snap()
	if _, err := l.Activate(ctx, f.Dist, child.ID, entitlement.Activation{AcceptAgreement: true}); !errors.Is(err, entitlement.ErrRule) {
		t.Fatalf("activate refused by rule: %v", err)
	}
	if !reflect.DeepEqual(before, snap()) {
		t.Fatal("a refused activation changed the ledger (activation is all or nothing)")
	}
	conserved(t, l)
	// Detach the ports, activate the software line alone: the rule lets it through.
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, child.ID))
	var sw, ports string
	for _, ln := range v.Attached {
		if ln.Part == "EU900050" {
			ports = ln.SKC
		} else {
			sw = ln.SKC
		}
	}
	ok(t, l.Detach(ctx, f.Dist, child.ID, []string{ports}))
	file := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, child.ID, entitlement.Activation{AcceptAgreement: true, SKCs: []string{sw}}))
	if file.Name != "22-130320025726-607-TEMP-KEY-svi.zip" {
		t.Fatalf("file name %q", file.Name)
	}
	if rules.calls["activate"] != 2 {
		t.Fatalf("activate rule called %d times", rules.calls["activate"])
	}
	conserved(t, l)
}
