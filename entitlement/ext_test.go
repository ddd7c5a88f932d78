package entitlement_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// unitRec is an extension's own record, as a package above the core keeps them.
type unitRec struct {
	Partner string    `cbor:"1,keyasint"`
	Part    string    `cbor:"2,keyasint"`
	Qty     int64     `cbor:"3,keyasint"`
	Expires time.Time `cbor:"4,keyasint"`
}

// extFixture is the storetest fixture on a retrying store (every update runs twice), with the
// ledger's events recorded.
func extFixture(t *testing.T) (*storetest.Fixture, *entitlement.Ledger, *[]entitlement.Event) {
	t.Helper()
	f := storetest.NewFixture(t, storetest.Retrying(entitlement.NewMemStore()), 7)
	var events []entitlement.Event
	l := entitlement.New(f.L.Store(), entitlement.Config{Clock: storetest.FixedClock{T: time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)},
		Issuer: storetest.Issuer{}, Events: func(e entitlement.Event) { events = append(events, e) }})
	return f, l, &events
}

func lastAudit(t *testing.T, l *entitlement.Ledger, a entitlement.Actor) entitlement.AuditRecord {
	t.Helper()
	seq, _, err := l.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := l.Audit(ctx, a, seq-1, 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("audit: %v %v", recs, err)
	}
	return recs[0]
}

func TestUpdate_OneTransactionOneAuditRecordEventsAfterCommit(t *testing.T) {
	f, l, events := extFixture(t)
	before, _, _ := l.AuditHead(ctx)
	err := l.Update(ctx, f.Dist, "swa.test", func(x *entitlement.Op) error {
		if x.Partner().ID != f.DistP || x.User().ID != f.Dist.User || x.Now() != time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC) {
			t.Errorf("op sees partner %q user %q at %v", x.Partner().ID, x.User().ID, x.Now())
		}
		if err := x.Put("test.units", "a", unitRec{Partner: f.DistP, Part: "BE112031", Qty: 5}); err != nil {
			return err
		}
		x.Ref("agreement", "50180-EVCY45796-N")
		x.Note("drew %d units from shipment %d", 5, 1)
		x.Emit(entitlement.Event{Kind: "test.done", Partner: f.DistP})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := l.AuditHead(ctx)
	if head != before+1 {
		t.Fatalf("audit head %d → %d, want one record", before, head)
	}
	r := lastAudit(t, l, f.Admin)
	if r.Op != "swa.test" || r.User != f.Dist.User || !reflect.DeepEqual(r.Refs, []string{"agreement:50180-EVCY45796-N"}) ||
		!reflect.DeepEqual(r.Notes, []string{"drew 5 units from shipment 1"}) {
		t.Fatalf("audit record %+v", r)
	}
	if n, err := l.VerifyAudit(ctx); err != nil || n == 0 {
		t.Fatalf("verify audit: %d %v", n, err)
	}
	// The retrying store ran the function twice: one event, delivered once.
	if len(*events) != 1 || (*events)[0].Kind != "test.done" || (*events)[0].Time.IsZero() {
		t.Fatalf("events %+v", *events)
	}
	var got unitRec
	err = l.View(ctx, f.Dist, "swa.read", func(x *entitlement.Op) error {
		ok, err := x.Get("test.units", "a", &got)
		if !ok {
			t.Error("record not found")
		}
		return err
	})
	if err != nil || got.Qty != 5 {
		t.Fatalf("read back %+v %v", got, err)
	}
}

func TestUpdate_RefusalChangesNothing(t *testing.T) {
	f, l, events := extFixture(t)
	snap, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = l.Update(ctx, f.Dist, "swa.test", func(x *entitlement.Op) error {
		if err := x.Put("test.units", "a", unitRec{Qty: 1}); err != nil {
			return err
		}
		if _, err := x.Next("agreements"); err != nil {
			return err
		}
		x.Emit(entitlement.Event{Kind: "test.never"})
		return boom
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "swa.test: ") {
		t.Fatalf("err = %v", err)
	}
	after, _ := l.Snapshot(ctx)
	if !reflect.DeepEqual(snap, after) {
		t.Fatal("a refused extension operation changed the ledger")
	}
	if len(*events) != 0 {
		t.Fatalf("a refused operation delivered events: %+v", *events)
	}
}

func TestUpdate_ActorResolvedAndChecked(t *testing.T) {
	f, l, _ := extFixture(t)
	run := func(a entitlement.Actor, fn func(*entitlement.Op) error) error {
		return l.Update(ctx, a, "swa.test", fn)
	}
	if err := run(entitlement.Actor{User: "nobody"}, func(*entitlement.Op) error { return nil }); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("unknown user: %v", err)
	}
	err := run(f.Dealer, func(x *entitlement.Op) error {
		return x.NeedAny(entitlement.RoleSWADealer|entitlement.RoleSWADistributor, "see the SWA bin")
	})
	if !errors.Is(err, entitlement.ErrNotAllowed) || !strings.Contains(err.Error(), "see the SWA bin") {
		t.Fatalf("role check: %v", err)
	}
	imp, err := f.L.Impersonate(ctx, f.Dist.User, f.Dealer.User)
	if err != nil {
		t.Fatal(err)
	}
	err = run(imp, func(x *entitlement.Op) error {
		if x.Partner().ID != f.DealerP || x.RealUser().ID != f.Dist.User || x.Actor().String() != "IMP:"+f.Dist.User+"/"+f.Dealer.User {
			t.Errorf("impersonation seen as partner %q real %q", x.Partner().ID, x.RealUser().ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := lastAudit(t, l, f.Admin)
	if r.User != f.Dist.User || r.As != f.Dealer.User || r.Partner != f.DealerP {
		t.Fatalf("impersonated record %+v", r)
	}
	// Revoking the allowance ends the impersonation on the next operation.
	if err := f.L.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false); err != nil {
		t.Fatal(err)
	}
	if err := run(imp, func(*entitlement.Op) error { return nil }); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("after the allowance was revoked: %v", err)
	}
}

func TestUpdate_ExtensionKeysAndReadOnlyView(t *testing.T) {
	f, l, _ := extFixture(t)
	err := l.View(ctx, f.Dist, "swa.read", func(x *entitlement.Op) error {
		return x.Put("test.units", "a", unitRec{})
	})
	if !errors.Is(err, entitlement.ErrReadOnly) {
		t.Fatalf("put in a view: %v", err)
	}
	for _, c := range []struct{ name, bucket, key string }{
		{"empty bucket", "", "a"}, {"empty key", "b", ""}, {"NUL in key", "b", "a\x00b"}, {"NUL in bucket", "b\x00", "a"},
		{"key too long", "b", strings.Repeat("k", 2000)},
	} {
		err := l.Update(ctx, f.Dist, "swa.test", func(x *entitlement.Op) error { return x.Put(c.bucket, c.key, unitRec{}) })
		if !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := l.Update(ctx, f.Dist, "", func(*entitlement.Op) error { return nil }); !errors.Is(err, entitlement.ErrInvalid) {
		t.Errorf("empty operation name: %v", err)
	}
	// Scan sees the bucket's own records only, in key order, from a start key.
	err = l.Update(ctx, f.Dist, "swa.test", func(x *entitlement.Op) error {
		for _, key := range []string{"p1/3", "p1/1", "p2/1", "p1/2"} {
			if err := x.Put("test.units", key, unitRec{Part: key}); err != nil {
				return err
			}
		}
		return x.Put("test.other", "p1/9", unitRec{})
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = l.View(ctx, f.Dist, "swa.read", func(x *entitlement.Op) error {
		return x.ScanFrom("test.units", "p1/", "p1/2", func(key string, decode func(any) error) (bool, error) {
			var r unitRec
			if err := decode(&r); err != nil {
				return false, err
			}
			keys = append(keys, key+"="+r.Part)
			return true, nil
		})
	})
	if err != nil || !reflect.DeepEqual(keys, []string{"p1/2=p1/2", "p1/3=p1/3"}) {
		t.Fatalf("scan: %v %v", keys, err)
	}
}

func TestShip_SWAUnitsGoToTheUnitsHandler(t *testing.T) {
	f, l, events := extFixture(t)
	expires := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	ord := entitlement.Order{Partner: f.DistP, PO: "PO-SWA", SO: "SO-SWA", Expires: expires,
		Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 6000}, {Part: "BE107573", Qty: 2}}}
	snap, _ := l.Snapshot(ctx)
	if _, err := l.Ship(ctx, f.Admin, ord); !errors.Is(err, entitlement.ErrInvalid) || !strings.Contains(err.Error(), "SWA units") {
		t.Fatalf("units without a handler: %v", err)
	}
	if after, _ := l.Snapshot(ctx); !reflect.DeepEqual(snap, after) {
		t.Fatal("a refused shipment changed the ledger")
	}
	calls := 0
	l.HandleUnits(func(x *entitlement.Op, o entitlement.Order, units []entitlement.OrderLine) error {
		calls++
		for i, u := range units {
			if err := x.Put("test.units", o.PO+"/"+string(rune('0'+i)), unitRec{Partner: o.Partner, Part: u.Part, Qty: u.Qty, Expires: o.Expires}); err != nil {
				return err
			}
		}
		x.Emit(entitlement.Event{Kind: "test.units.shipped", Partner: o.Partner, PO: o.PO})
		return nil
	})
	lines, err := l.Ship(ctx, f.Admin, ord)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Part != "BE107573" {
		t.Fatalf("license lines %+v", lines)
	}
	if calls != 2 { // the retrying store runs the update twice
		t.Fatalf("handler ran %d times", calls)
	}
	bin, _ := l.Bin(ctx, f.Dist)
	for _, s := range bin {
		if s.Part == "BE112031" {
			t.Fatal("SWA units in the license bin")
		}
	}
	var got unitRec
	_ = l.View(ctx, f.Admin, "swa.read", func(x *entitlement.Op) error { _, err := x.Get("test.units", "PO-SWA/0", &got); return err })
	if got.Qty != 6000 || !got.Expires.Equal(expires) {
		t.Fatalf("units record %+v", got)
	}
	var kinds []entitlement.EventKind
	for _, e := range *events {
		kinds = append(kinds, e.Kind)
	}
	if !reflect.DeepEqual(kinds, []entitlement.EventKind{"test.units.shipped", entitlement.EventLicensesShipped}) {
		t.Fatalf("events %v", kinds)
	}
	// A units-only order ships once, like any order.
	only := entitlement.Order{Partner: f.DistP, PO: "PO-U", SO: "SO-U", Expires: expires, Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 10}}}
	if _, err := l.Ship(ctx, f.Admin, only); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Ship(ctx, f.Admin, only); !errors.Is(err, entitlement.ErrExists) {
		t.Fatalf("repeated units order: %v", err)
	}
	// A handler's refusal refuses the whole order.
	l.HandleUnits(func(*entitlement.Op, entitlement.Order, []entitlement.OrderLine) error {
		return errors.New("no expiry date")
	})
	snap, _ = l.Snapshot(ctx)
	if _, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-X", SO: "SO-X",
		Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 1}, {Part: "BE107573", Qty: 1}}}); err == nil {
		t.Fatal("refused by the handler, yet shipped")
	}
	if after, _ := l.Snapshot(ctx); !reflect.DeepEqual(snap, after) {
		t.Fatal("a shipment the handler refused changed the ledger")
	}
	if err := entitlement.CheckConservation(ctx, l.Store()); err != nil {
		t.Fatal(err)
	}
}

func TestOp_CoreOperationsInsideOneTransaction(t *testing.T) {
	f, l, _ := extFixture(t)
	cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		t.Fatal(err)
	}
	// Ship free of charge and attach and activate, all in one operation with one audit record.
	var file entitlement.Issued
	err = l.Update(ctx, f.Dist, "swa.free-of-charge", func(x *entitlement.Op) error {
		if _, err := x.Ship(entitlement.Order{Partner: f.DistP, PO: "SA1", SO: "CO1",
			Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 1}}}); !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("Op.Ship of SWA units: %v", err)
		}
		s, err := x.Ship(entitlement.Order{Partner: f.DistP, PO: "SA1", SO: "CO1", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}})
		if err != nil {
			return err
		}
		if _, err := x.Attach(loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}}); err != nil {
			return err
		}
		file, err = x.Activate(loc.ID, entitlement.Activation{AcceptAgreement: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if file.Serial != 1 {
		t.Fatalf("file %+v", file)
	}
	r := lastAudit(t, l, f.Admin)
	if r.Op != "swa.free-of-charge" || len(r.Changes) != 1 || r.Changes[0].After.Activated != 1 {
		t.Fatalf("one record for the whole operation: %+v", r)
	}
	// Scope: another partner's location is not found through Op either.
	err = l.View(ctx, f.Other, "swa.read", func(x *entitlement.Op) error {
		_, err := x.Location(loc.ID)
		return err
	})
	if !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("other partner's location: %v", err)
	}
	if err := entitlement.CheckConservation(context.Background(), l.Store()); err != nil {
		t.Fatal(err)
	}
}

// warnRules warns on every activation without refusing it.
type warnRules struct{}

func (warnRules) CreateLocation(entitlement.RuleView, *entitlement.Location) error { return nil }
func (warnRules) Attach(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}
func (warnRules) Activate(v entitlement.RuleView, loc entitlement.Location, _ []entitlement.Line) error {
	v.Warn("system %s will not run until its upgrade allowance is attached", loc.System)
	return nil
}

func TestRuleView_WarnReturnedWithTheFileAndAudited(t *testing.T) {
	f := storetest.NewFixture(t, entitlement.NewMemStore(), 8)
	l := entitlement.New(f.L.Store(), entitlement.Config{Clock: storetest.FixedClock{T: time.Date(2014, 12, 15, 10, 0, 0, 0, time.UTC)},
		Issuer: storetest.Issuer{}, Rules: map[string]entitlement.Rules{"SV8100": warnRules{}}})
	cust, _ := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"})
	loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "P", SO: "S", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: s[0].ID, Qty: 1}}); err != nil {
		t.Fatal(err)
	}
	file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "system SV8100 will not run until its upgrade allowance is attached"
	if !reflect.DeepEqual(file.Warnings, []string{want}) {
		t.Fatalf("warnings %q", file.Warnings)
	}
	if r := lastAudit(t, l, f.Admin); !reflect.DeepEqual(r.Notes, []string{"warning: " + want}) {
		t.Fatalf("audit notes %q", r.Notes)
	}
}

func TestInspect_ReadsEveryPartnerWithoutAnActorAndWritesNothing(t *testing.T) {
	f, l, _ := extFixture(t)
	cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Inspect(ctx, "test.inspect", func(x *entitlement.Op) error {
		if !x.Admin() || !x.Visible(f.DistP) {
			t.Error("the ledger itself does not see every partner")
		}
		if _, err := x.Customer(cust.ID); err != nil {
			return err
		}
		return x.Put("test.units", "a", unitRec{})
	})
	if !errors.Is(err, entitlement.ErrReadOnly) || !strings.HasPrefix(err.Error(), "test.inspect: ") {
		t.Fatalf("write in Inspect: %v", err)
	}
}
