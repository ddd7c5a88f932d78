package entitlement_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

type nanoClock struct{}

func (nanoClock) Now() time.Time { return time.Date(2013, 3, 20, 2, 57, 26, 123456789, time.Local) }

// TestReturnedEqualsStored: what an operation returns is what a later read gives back, even with a
// clock that has nanoseconds and a zone (the store keeps UTC seconds).
func TestReturnedEqualsStored(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 4)
	l := entitlement.New(s, entitlement.Config{Issuer: storetest.Issuer{}, Clock: nanoClock{}})
	shipped := shipSV8100(t, f, f.DistP, "PO1")
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "l", System: "SV8100", HWKC: "191000343919"}))
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)))
	v := must[entitlement.LocationView](t)(l.Location(ctx, f.Dist, loc.ID))
	if d := cmp.Diff(loc, v.Location); d != "" {
		t.Errorf("location (-returned +stored):\n%s", d)
	}
	for _, a := range att {
		ln, _, err := l.LookupSKC(ctx, f.Dist, a.SKC)
		ok(t, err)
		if d := cmp.Diff(a, ln); d != "" {
			t.Errorf("line (-returned +stored):\n%s", d)
		}
	}
	file := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	dl := must[entitlement.Issued](t)(l.Download(ctx, f.Dist, loc.ID))
	if d := cmp.Diff(file, dl); d != "" {
		t.Errorf("issued file (-returned +stored):\n%s", d)
	}
}
