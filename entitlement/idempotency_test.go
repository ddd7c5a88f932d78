package entitlement_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

func key(k string, fp string) entitlement.IdempotencyKey {
	return entitlement.IdempotencyKey{Key: k, Fingerprint: []byte(fp)}
}

// TestIdempotentAttachNeverTwice is the lost-response attack: the client retries an attach with
// the same key and must not take the lines from the bin a second time.
func TestIdempotentAttachNeverTwice(t *testing.T) {
	f, _ := clockFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	runs := 0
	attach := func(ctx context.Context) (entitlement.Response, error) {
		runs++
		lines, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 5}})
		if err != nil {
			return entitlement.Response{}, err
		}
		return entitlement.Response{Status: 201, Body: []byte(lines[0].SKC)}, nil
	}
	first, replayed, err := l.Idempotent(ctx, f.Dist, key("k1", "attach 5"), attach)
	ok(t, err)
	if replayed || first.Status != 201 {
		t.Fatalf("first call: %+v replayed %v", first, replayed)
	}
	for range 3 {
		again, replayed, err := l.Idempotent(ctx, f.Dist, key("k1", "attach 5"), attach)
		ok(t, err)
		if !replayed || !reflect.DeepEqual(again, first) {
			t.Fatalf("retry: %+v replayed %v, want %+v", again, replayed, first)
		}
	}
	if runs != 1 {
		t.Fatalf("fn ran %d times", runs)
	}
	bin := must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist))
	for _, s := range bin {
		if s.ID == shipped[3].ID && s.InBin != 15 {
			t.Fatalf("bin holds %d of line %d, want 15: the retry attached again", s.InBin, s.ID)
		}
	}
	// The same key with another request is refused and changes nothing.
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	if _, _, err := l.Idempotent(ctx, f.Dist, key("k1", "attach 6"), attach); !errors.Is(err, entitlement.ErrKeyReused) {
		t.Fatalf("reused key: %v", err)
	}
	if after := must[entitlement.Snapshot](t)(l.Snapshot(ctx)); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused key changed the ledger")
	}
	// Keys are per identity: another user's equal key is its own.
	if _, replayed, err := l.Idempotent(ctx, f.Admin, key("k1", "other"), func(ctx context.Context) (entitlement.Response, error) {
		return entitlement.Response{Status: 200}, l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "p9", Name: "P9", Kind: entitlement.KindDealer})
	}); err != nil || replayed {
		t.Fatalf("another user's key: replayed %v, %v", replayed, err)
	}
	conserved(t, l)
	if _, err := l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIdempotentRefusalKeepsNothing: a refused operation inside records neither itself nor the
// key, even when an earlier operation in the same function succeeded, so a retry runs anew.
func TestIdempotentRefusalKeepsNothing(t *testing.T) {
	f, _ := clockFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	_, _, err := l.Idempotent(ctx, f.Dist, key("k", "x"), func(ctx context.Context) (entitlement.Response, error) {
		if _, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}}); err != nil {
			return entitlement.Response{}, err
		}
		// The refusal is swallowed: the ledger abandons the transaction all the same.
		_, _ = l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[1].ID, Qty: 99}})
		return entitlement.Response{Status: 201}, nil
	})
	if !errors.Is(err, entitlement.ErrQuantity) {
		t.Fatalf("err %v, want the attach refusal", err)
	}
	if after := must[entitlement.Snapshot](t)(l.Snapshot(ctx)); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused operation inside Idempotent left changes")
	}
	// A retry runs.
	_, replayed, err := l.Idempotent(ctx, f.Dist, key("k", "x"), func(ctx context.Context) (entitlement.Response, error) {
		_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[0].ID, Qty: 1}})
		return entitlement.Response{Status: 201}, err
	})
	if err != nil || replayed {
		t.Fatalf("retry after a refusal: replayed %v, %v", replayed, err)
	}
	conserved(t, l)
}

func TestIdempotentExpiryAndPurge(t *testing.T) {
	f, clock := clockFixture(t)
	l := f.L
	runs := 0
	fn := func(ctx context.Context) (entitlement.Response, error) {
		runs++
		_, err := l.Customers(ctx, f.Dist, "")
		return entitlement.Response{Status: 200}, err
	}
	k := entitlement.IdempotencyKey{Key: "e", Fingerprint: []byte("a"), TTL: time.Hour}
	for i := range 20 {
		kk := k
		kk.Key = string(rune('a'+i)) + "-key"
		_, _, err := l.Idempotent(ctx, f.Dist, kk, fn)
		ok(t, err)
	}
	_, _, err := l.Idempotent(ctx, f.Dist, k, fn)
	ok(t, err)
	clock.add(59 * time.Minute)
	if _, replayed, _ := l.Idempotent(ctx, f.Dist, k, fn); !replayed {
		t.Fatal("kept record not replayed")
	}
	clock.add(time.Minute)
	k.Fingerprint = []byte("another request")
	if _, replayed, err := l.Idempotent(ctx, f.Dist, k, fn); err != nil || replayed {
		t.Fatalf("after expiry: replayed %v, %v", replayed, err)
	}
	if runs != 22 {
		t.Fatalf("runs %d", runs)
	}
	// Expired records are purged a few at a time: after two more calls every old one is gone.
	for i := range 2 {
		kk := k
		kk.Key = "purge" + string(rune('0'+i))
		_, _, err := l.Idempotent(ctx, f.Dist, kk, fn)
		ok(t, err)
	}
	snap := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	if n := len(snap["idem"]); n != 3 {
		t.Fatalf("%d idempotency records kept, want 3 (the unexpired ones)", n)
	}
	if n := len(snap["idemx"]); n != 3 {
		t.Fatalf("%d expiry index entries, want 3", n)
	}
}

func TestIdempotentConcurrentSameKey(t *testing.T) {
	f, _ := clockFixture(t)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, replayed, err := l.Idempotent(ctx, f.Dist, key("same", "attach 1"), func(ctx context.Context) (entitlement.Response, error) {
				_, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 1}})
				return entitlement.Response{Status: 201}, err
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if !replayed {
				fresh++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("%d calls ran the attach, want 1", fresh)
	}
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, loc.ID))
	if len(v.Attached) != 1 {
		t.Fatalf("%d lines attached", len(v.Attached))
	}
	conserved(t, l)
}

func TestIdempotencyKeyChecks(t *testing.T) {
	f, _ := clockFixture(t)
	nop := func(context.Context) (entitlement.Response, error) { return entitlement.Response{}, nil }
	for name, k := range map[string]entitlement.IdempotencyKey{
		"empty key":       {Fingerprint: []byte("x")},
		"space":           {Key: "a b", Fingerprint: []byte("x")},
		"long":            {Key: string(make([]byte, 256)), Fingerprint: []byte("x")},
		"no fingerprint":  {Key: "a"},
		"non-ASCII":       {Key: "é", Fingerprint: []byte("x")},
		"big fingerprint": {Key: "a", Fingerprint: make([]byte, 65)},
	} {
		if _, _, err := f.L.Idempotent(ctx, f.Dist, k, nop); !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestIdempotentEventsOnce: events of the operations inside are delivered once, after the commit,
// and not at all for a replay.
func TestIdempotentEventsOnce(t *testing.T) {
	s := entitlement.NewMemStore()
	var mu sync.Mutex
	var got []entitlement.EventKind
	l := entitlement.New(s, entitlement.Config{Events: func(e entitlement.Event) {
		mu.Lock()
		got = append(got, e.Kind)
		mu.Unlock()
	}})
	admin := entitlement.Actor{User: "admin@v"}
	ok(t, l.Bootstrap(ctx, entitlement.Partner{ID: "v", Name: "V"}, entitlement.User{ID: admin.User, Name: "A"}))
	ok(t, l.AddPartner(ctx, admin, entitlement.Partner{ID: "d", Name: "D", Kind: entitlement.KindDistributor}))
	ship := func(ctx context.Context) (entitlement.Response, error) {
		_, err := l.Ship(ctx, admin, entitlement.Order{Partner: "d", PO: "1", SO: "1", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1}}})
		return entitlement.Response{Status: 201}, err
	}
	for range 2 {
		_, _, err := l.Idempotent(ctx, admin, key("ship", "1"), ship)
		ok(t, err)
	}
	if len(got) != 1 || got[0] != entitlement.EventLicensesShipped {
		t.Fatalf("events %v", got)
	}
}

// TestIdempotentRetryingStore: on a store that runs every update twice, Idempotent still runs the
// operation's effect once and returns the committed run's response.
func TestIdempotentRetryingStore(t *testing.T) {
	s := storetest.Retrying(entitlement.NewMemStore())
	f := storetest.NewFixture(t, s, 3)
	l := f.L
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	var events int
	resp, replayed, err := l.Idempotent(ctx, f.Dist, key("r", "1"), func(ctx context.Context) (entitlement.Response, error) {
		lines, err := l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3].ID, Qty: 2}})
		if err != nil {
			return entitlement.Response{}, err
		}
		events++
		return entitlement.Response{Status: 201, Body: []byte(lines[0].SKC)}, nil
	})
	ok(t, err)
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, loc.ID))
	if replayed || len(v.Attached) != 1 || string(resp.Body) != v.Attached[0].SKC || events != 2 {
		t.Fatalf("replayed %v, attached %+v, response %q, runs %d", replayed, v.Attached, resp.Body, events)
	}
	conserved(t, l)
}
