package lifecycle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

// TestDoc002_FixedTermRenewalAndExpiry: a fixed-term entitlement raises one renewal notice when
// its end comes within the notice time and one expiry event at its end; a permanent one never
// does, nor a revoked one; each event once, whatever the number of sweeps.
func TestDoc002_FixedTermRenewalAndExpiry(t *testing.T) {
	f := newFixture(t, nil)
	end := t0.AddDate(0, 3, 0)
	s := f.ship("PO-SW", entitlement.OrderLine{Part: "BE107573", Qty: 1},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: license.TypeSubscription, NotAfter: end},
		entitlement.OrderLine{Part: "BE107582", Qty: 5, Type: license.TypeTest, NotAfter: end})
	lines := must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s)))
	must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true}))
	must[entitlement.Issued](t)(lifecycle.Revoke(ctx, f.l, f.Admin, f.loc.ID, []string{lines[2].SKC}, "test ended early"))
	f.take()
	sweep := func(at time.Time) (lifecycle.SweepResult, []entitlement.Event) {
		t.Helper()
		f.clock.Set(at)
		r := must[lifecycle.SweepResult](t)(lifecycle.Sweep(ctx, f.l, f.Admin, lifecycle.Notices{RenewalBefore: 30 * 24 * time.Hour}))
		return r, f.take()
	}
	if r, ev := sweep(end.AddDate(0, 0, -31)); r.Renewals != 0 || r.Expiries != 0 || len(ev) != 0 {
		t.Fatalf("31 days before the end: %+v %+v", r, ev)
	}
	r, ev := sweep(end.AddDate(0, 0, -30))
	if r.Renewals != 1 || len(ev) != 1 || ev[0].Kind != lifecycle.EventRenewalDue || ev[0].Ref != lines[1].SKC || !ev[0].Due.Equal(end) ||
		ev[0].Location != f.loc.ID || ev[0].HWKC != "191000343919" || ev[0].Lines[0].Type != license.TypeSubscription {
		t.Fatalf("30 days before the end: %+v %+v", r, ev)
	}
	if r, ev := sweep(end.AddDate(0, 0, -1)); r.Renewals != 0 || len(ev) != 0 {
		t.Fatalf("a second sweep repeats the notice: %+v", ev)
	}
	r, ev = sweep(end)
	if r.Expiries != 1 || len(ev) != 1 || ev[0].Kind != lifecycle.EventExpired || ev[0].Ref != lines[1].SKC {
		t.Fatalf("at the end: %+v %+v", r, ev)
	}
	if r, ev := sweep(end.AddDate(1, 0, 0)); r != (lifecycle.SweepResult{}) || len(ev) != 0 {
		t.Fatalf("a year later: %+v %+v", r, ev)
	}
	// An entitlement whose whole notice time passed between two sweeps raises its expiry only.
	end2 := end.AddDate(1, 2, 0)
	s2 := f.ship("PO-SW2", entitlement.OrderLine{Part: "BE107585", Qty: 1, Type: license.TypeTrial, NotAfter: end2})
	must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s2)))
	must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true}))
	f.take()
	if r, ev := sweep(end2.Add(time.Hour)); r.Renewals != 0 || r.Expiries != 1 || ev[0].Kind != lifecycle.EventExpired {
		t.Fatalf("missed notice time: %+v %+v", r, ev)
	}
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := lifecycle.Sweep(ctx, f.l, f.Dist, lifecycle.Notices{}); return err })
	if _, err := lifecycle.Sweep(ctx, f.l, f.Admin, lifecycle.Notices{RenewalBefore: -1}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("negative notice time: %v", err)
	}
}
