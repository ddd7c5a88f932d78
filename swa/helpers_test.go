package swa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/swa"
)

var ctx = context.Background()

// clock is a settable test clock; tests never sleep.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// mergeJSON appends the arrays of extra (systems, parts, products) to those of base.
func mergeJSON(t testing.TB, base, extra []byte, fields ...string) []byte {
	t.Helper()
	var b, e map[string]json.RawMessage
	if err := json.Unmarshal(base, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(extra, &e); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		var x, y []json.RawMessage
		if err := json.Unmarshal(b[f], &x); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(e[f], &y); err != nil {
			t.Fatal(err)
		}
		m, err := json.Marshal(append(x, y...))
		if err != nil {
			t.Fatal(err)
		}
		b[f] = m
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCatalog is the shipped catalog with the test parts of testdata/catalog_extra.json (SV8300
// licenses with System R7 → R8, and the products the guide names no part number for).
func testCatalog(t testing.TB) *entitlement.Catalog {
	t.Helper()
	merged := mergeJSON(t, readFile(t, "../entitlement/data/catalog.json"), readFile(t, "testdata/catalog_extra.json"), "systems", "parts")
	c, err := entitlement.ParseCatalog(bytes.NewReader(merged))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testTerms is the shipped terms table with the test products of testdata/terms_extra.json;
// iS3000Rate12, when not 0, replaces the iS3000 tables by one with that 12-month rate (the
// guide's renewal screen quotes its iS3000 system at 44).
func testTerms(t testing.TB, iS3000Rate12 int64) *swa.Terms {
	t.Helper()
	def, err := swa.DefaultTerms().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	merged := mergeJSON(t, def, readFile(t, "testdata/terms_extra.json"), "products")
	if iS3000Rate12 != 0 {
		var f map[string]any
		if err := json.Unmarshal(merged, &f); err != nil {
			t.Fatal(err)
		}
		for _, p := range f["products"].([]any) {
			pm := p.(map[string]any)
			if pm["product"] == "iS3000" {
				pm["tables"] = []any{map[string]any{"terms": []any{
					map[string]any{"months": 12, "units": iS3000Rate12},
					map[string]any{"months": 24, "units": 2*iS3000Rate12 - 2},
					map[string]any{"months": 36, "units": 3*iS3000Rate12 - 6}}}}
			}
		}
		if merged, err = json.Marshal(f); err != nil {
			t.Fatal(err)
		}
	}
	terms, err := swa.ParseTerms(bytes.NewReader(merged))
	if err != nil {
		t.Fatal(err)
	}
	return terms
}

// fx is a ledger with the book: the storetest fixture's partners (a distributor with SWA
// Distributor Admin, a dealer with SWA Dealer Admin and the shipping allowance from it, another
// distributor with SWA Distributor Admin) plus plain@distx, an LMS user of the distributor without
// an SWA role; a settable clock; the test catalog and terms; the events recorded.
type fx struct {
	*storetest.Fixture
	B     *swa.Book
	C     *clock
	Plain entitlement.Actor
	mu    sync.Mutex
	ev    []entitlement.Event
	n     int // order and location counter
}

type fxOpt struct {
	store entitlement.Store
	terms *swa.Terms
	seed  uint64
	rules map[string]entitlement.Rules
	start time.Time
	// catalog replaces the test catalog (testCatalog) when not nil.
	catalog *entitlement.Catalog
}

func newFx(t testing.TB, o fxOpt) *fx {
	t.Helper()
	if o.store == nil {
		o.store = entitlement.NewMemStore()
	}
	if o.seed == 0 {
		o.seed = 7
	}
	if o.start.IsZero() {
		o.start = date(2013, 1, 7).Add(9 * time.Hour)
	}
	if o.catalog == nil {
		o.catalog = testCatalog(t)
	}
	f := &fx{Fixture: storetest.NewFixture(t, o.store, o.seed), C: &clock{t: o.start}, Plain: entitlement.Actor{User: "plain@distx"}}
	f.L = entitlement.New(o.store, entitlement.Config{Clock: f.C, Catalog: o.catalog, Issuer: storetest.Issuer{},
		Rand: rand.NewChaCha8([32]byte{byte(o.seed), 's', 'w', 'a'}), Rules: o.rules,
		Events: func(e entitlement.Event) { f.mu.Lock(); f.ev = append(f.ev, e); f.mu.Unlock() }})
	if o.terms == nil {
		o.terms = testTerms(t, 0)
	}
	for _, u := range []struct {
		id    string
		roles entitlement.Role
	}{{f.Dist.User, entitlement.RoleLMSUser | entitlement.RoleSWADistributor}, {f.Dealer.User, entitlement.RoleLMSUser | entitlement.RoleSWADealer},
		{f.Other.User, entitlement.RoleLMSUser | entitlement.RoleSWADistributor}} {
		must(t, f.L.SetRoles(ctx, f.Admin, u.id, u.roles))
	}
	if err := f.L.AddUser(ctx, f.Admin, entitlement.User{ID: f.Plain.User, Name: "Plain LMS user", Partner: f.DistP, Roles: entitlement.RoleLMSUser}); err != nil && !errors.Is(err, entitlement.ErrExists) {
		t.Fatal(err)
	}
	b, err := swa.New(f.L, swa.Config{Terms: o.terms})
	must(t, err)
	f.B = b
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// events returns the events recorded so far and forgets them.
func (f *fx) events() []entitlement.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.ev
	f.ev = nil
	return out
}

// units ships SWA units (BE112031) into partner's units bin.
func (f *fx) units(t testing.TB, partner, so, po string, qty int64, expires time.Time) swa.Shipment {
	t.Helper()
	_, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: partner, PO: po, SO: so, Expires: expires,
		Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: qty}}})
	must(t, err)
	a := f.Dist
	switch partner {
	case f.DealerP:
		a = f.Dealer
	case f.OtherP:
		a = f.Other
	}
	bin, err := f.B.Bin(ctx, a)
	must(t, err)
	for _, s := range bin.Shipments {
		if s.SO == so && s.PO == po {
			return s
		}
	}
	t.Fatalf("shipment SO %s not in the bin: %+v", so, bin)
	return swa.Shipment{}
}

// location creates a customer (when customer is "") and a location of a.
func (f *fx) location(t testing.TB, a entitlement.Actor, customer, name, system, hwkc string, attrs ...entitlement.Attr) entitlement.Location {
	t.Helper()
	if customer == "" {
		c, err := f.L.CreateCustomer(ctx, a, entitlement.Customer{Name: "Customer of " + name})
		must(t, err)
		customer = c.ID
	}
	loc, err := f.L.CreateLocation(ctx, a, entitlement.Location{Customer: customer, Name: name, System: system, HWKC: hwkc, Attrs: attrs})
	must(t, err)
	return loc
}

// license ships the lines to a's partner and attaches them to the location; activate activates
// them now.
func (f *fx) attach(t testing.TB, a entitlement.Actor, partner string, loc string, lines ...entitlement.OrderLine) {
	t.Helper()
	f.n++
	shipped, err := f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: partner, PO: fmt.Sprintf("LIC-%d", f.n), SO: fmt.Sprintf("SO-%d", f.n), Lines: lines})
	must(t, err)
	var picks []entitlement.Pick
	for _, s := range shipped {
		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.Shipped})
	}
	_, err = f.L.Attach(ctx, a, loc, picks)
	must(t, err)
}

func (f *fx) activate(t testing.TB, a entitlement.Actor, partner string, loc string, lines ...entitlement.OrderLine) entitlement.Issued {
	t.Helper()
	f.attach(t, a, partner, loc, lines...)
	file, err := f.L.Activate(ctx, a, loc, entitlement.Activation{AcceptAgreement: true})
	must(t, err)
	return file
}

// snapshot and unchanged compare the whole store around a refused operation.
func (f *fx) snapshot(t testing.TB) entitlement.Snapshot {
	t.Helper()
	s, err := f.L.Snapshot(ctx)
	must(t, err)
	return s
}

func (f *fx) unchanged(t testing.TB, before entitlement.Snapshot, what string) {
	t.Helper()
	if after := f.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("%s: a refused operation changed the ledger", what)
	}
}

// refused checks that err matches want and that the store did not change.
func (f *fx) refused(t testing.TB, before entitlement.Snapshot, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
	f.unchanged(t, before, what)
}

func (f *fx) conserved(t testing.TB) {
	t.Helper()
	if err := swa.CheckConservation(ctx, f.L); err != nil {
		t.Fatal(err)
	}
}

// lastAudit returns the newest audit record.
func (f *fx) lastAudit(t testing.TB) entitlement.AuditRecord {
	t.Helper()
	seq, _, err := f.L.AuditHead(ctx)
	must(t, err)
	recs, err := f.L.Audit(ctx, f.Admin, seq-1, 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("audit: %v %v", recs, err)
	}
	return recs[0]
}

// The guide's iS3000/SIP@Net licenses (the SIP@Net Server example of "SWA Activation outside
// Grace period"), without Lic-073: with SWA on the order it is not shipped.
var sipNetLicenses = []entitlement.OrderLine{{Part: "960026138000", Qty: 1}, {Part: "EU920000", Qty: 1}, {Part: "960025871000", Qty: 4},
	{Part: "960026036000", Qty: 2}, {Part: "EU920014", Qty: 40}}

// The SV8300 test licenses (the guide names no SV8300 part number).
var sv8300Licenses = []entitlement.OrderLine{{Part: "T-SV8300-SYS-R7", Qty: 1}, {Part: "T-SV8300-IPT", Qty: 20}}
