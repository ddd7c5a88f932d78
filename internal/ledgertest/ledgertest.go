// Package ledgertest holds the test helpers the tests of the packages built on the ledger share: a
// clock the test moves, an event recorder, and the check that a refused operation changed nothing.
// A test wires the clock and the recorder into its ledger, and checks each refusal:
//
//	clock := ledgertest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
//	events := &ledgertest.Events{}
//	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Clock: clock, Events: events.Add})
//	ledgertest.OK(t, l.Bootstrap(ctx, vendor, adminUser)) // OK fails the test on an error
//
//	// A refused operation: the error matches, and the ledger holds what it held before.
//	err := ledgertest.Unchanged(t, l, entitlement.ErrNotAllowed, func() error {
//		return l.AddPartner(ctx, dealerUser, entitlement.Partner{ID: "rogue", Name: "Rogue", Kind: entitlement.KindDealer})
//	})
//
//	clock.Set(clock.Now().Add(24 * time.Hour)) // the next day
//	for _, e := range events.Take() { // the events delivered since the last Take
//		fmt.Println(e.Kind, e.Time.Format(time.RFC3339), e.Detail)
//	}
//
// The package's Example runs it, with a testing.TB that prints what a test would report. [Must]
// turns a call's (value, error) into the value, failing the test on the error.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Clock is an entitlement.Clock a test sets; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now implements entitlement.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Events records a ledger's event stream (Config.Events: Events.Add).
type Events struct {
	mu sync.Mutex
	e  []entitlement.Event
}

// Add records an event.
func (r *Events) Add(e entitlement.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.e = append(r.e, e)
}

// Take returns the events recorded since the last Take.
func (r *Events) Take() []entitlement.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.e
	r.e = nil
	return e
}

// Must returns a function that fails t on an error and returns the value otherwise.
func Must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// OK fails t on an error.
func OK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Unchanged runs op, which must fail with an error matching want, and fails t unless the ledger
// holds exactly what it held before. It returns the error.
func Unchanged(t testing.TB, l *entitlement.Ledger, want error, op func() error) error {
	t.Helper()
	ctx := context.Background()
	before := Must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	err := op()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	if d := diff(before, Must[entitlement.Snapshot](t)(l.Snapshot(ctx))); len(d) > 0 {
		t.Fatalf("a refused operation changed the ledger: %s", strings.Join(d, "; "))
	}
	return err
}

// diff lists the bucket and key of every record that differs between two snapshots, sorted.
func diff(a, b entitlement.Snapshot) []string {
	var out []string
	for _, pair := range [2][2]entitlement.Snapshot{{a, b}, {b, a}} {
		for bucket, kv := range pair[0] {
			for k, v := range kv {
				if w, ok := pair[1][bucket][k]; !ok || w != v {
					out = append(out, fmt.Sprintf("%s %q", bucket, k))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
