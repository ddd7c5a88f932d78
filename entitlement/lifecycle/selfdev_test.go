package lifecycle_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

// selfDev is a ledger holding an entitlement in every status of the self-developed machine: bin
// lines whose quantity is all Ready, Pooled, Activated, Inactive or Order Cancelled, and location
// lines (software key codes) in every status a location line takes.
type selfDev struct {
	*fixture
	bin map[lifecycle.Status]uint64
	skc map[lifecycle.Status]string
}

func newSelfDev(t testing.TB) *selfDev {
	f := newFixture(t, nil)
	s := f.ship("PO-SD", entitlement.OrderLine{Part: "BE107585", Qty: 2}, entitlement.OrderLine{Part: "BE107585", Qty: 1},
		entitlement.OrderLine{Part: "BE107585", Qty: 1}, entitlement.OrderLine{Part: "BE107585", Qty: 1},
		entitlement.OrderLine{Part: "BE107585", Qty: 1}, entitlement.OrderLine{Part: "BE107585", Qty: 1})
	sd := &selfDev{fixture: f, bin: map[lifecycle.Status]uint64{}, skc: map[lifecycle.Status]string{}}
	lines := must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s[1:5])))
	must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true,
		SKCs: []string{lines[1].SKC, lines[2].SKC}}))
	must[entitlement.Issued](t)(lifecycle.Revoke(ctx, f.l, f.Admin, f.loc.ID, []string{lines[2].SKC}, "returned by the customer"))
	ok(t, lifecycle.Cancel(ctx, f.l, f.Admin, f.loc.ID, []string{lines[3].SKC}, "order cancelled"))
	must[entitlement.ShippedLine](t)(lifecycle.CancelReady(ctx, f.l, f.Admin, s[5].ID, 1, "order cancelled"))
	sd.bin[lifecycle.Ready], sd.bin[lifecycle.Pooled], sd.bin[lifecycle.Activated] = s[0].ID, s[1].ID, s[2].ID
	sd.bin[lifecycle.Inactive], sd.bin[lifecycle.OrderCancelled] = s[3].ID, s[5].ID
	sd.skc[lifecycle.Pooled], sd.skc[lifecycle.Activated], sd.skc[lifecycle.Inactive], sd.skc[lifecycle.OrderCancelled] =
		lines[0].SKC, lines[1].SKC, lines[2].SKC, lines[3].SKC
	f.conserved()
	f.take()
	return sd
}

// selfDevOps are the operations of the self-developed machine, each made on one entitlement by
// the role the table names.
var selfDevOps = map[lifecycle.Move]struct {
	bin bool // the operation takes a shipped line's bin quantity, not a location line
	do  func(sd *selfDev, bin uint64, skc string) error
}{
	lifecycle.MovePool: {true, func(sd *selfDev, bin uint64, _ string) error {
		_, err := lifecycle.Pool(ctx, sd.l, sd.Dist, sd.loc.ID, []entitlement.Pick{{Line: bin, Qty: 1}})
		return err
	}},
	lifecycle.MoveCancel: {true, func(sd *selfDev, bin uint64, _ string) error {
		_, err := lifecycle.CancelReady(ctx, sd.l, sd.Admin, bin, 1, "order cancelled")
		return err
	}},
	lifecycle.MoveUnpool: {false, func(sd *selfDev, _ uint64, skc string) error {
		return lifecycle.Unpool(ctx, sd.l, sd.Dist, sd.loc.ID, []string{skc})
	}},
	lifecycle.MoveActivate: {false, func(sd *selfDev, _ uint64, skc string) error {
		_, err := lifecycle.Activate(ctx, sd.l, sd.Dist, sd.loc.ID, entitlement.Activation{AcceptAgreement: true, SKCs: []string{skc}})
		return err
	}},
	lifecycle.MoveRevoke: {false, func(sd *selfDev, _ uint64, skc string) error {
		_, err := lifecycle.Revoke(ctx, sd.l, sd.Admin, sd.loc.ID, []string{skc}, "returned")
		return err
	}},
}

// cancelPooled is the other operation of the Cancel move: on a location line.
func cancelPooled(sd *selfDev, skc string) error {
	return lifecycle.Cancel(ctx, sd.l, sd.Admin, sd.loc.ID, []string{skc}, "order cancelled")
}

// TestDoc002_SelfDevelopedEveryMove makes every move of the self-developed machine on an
// entitlement in every status, through the operations: the table's moves succeed and lead where it
// says; every other one is refused with a *MoveError naming the status and changes nothing.
func TestDoc002_SelfDevelopedEveryMove(t *testing.T) {
	legal := map[[2]int]lifecycle.Status{}
	for _, tr := range lifecycle.Transitions() {
		if tr.Machine == lifecycle.SelfDeveloped {
			legal[[2]int{int(tr.From), int(tr.Move)}] = tr.To
		}
	}
	type target struct {
		status lifecycle.Status
		bin    bool
	}
	var targets []target
	for _, s := range []lifecycle.Status{lifecycle.Ready, lifecycle.Pooled, lifecycle.Activated, lifecycle.Inactive, lifecycle.OrderCancelled} {
		targets = append(targets, target{s, true})
		if s != lifecycle.Ready {
			targets = append(targets, target{s, false})
		}
	}
	run := func(name string, tg target, mv lifecycle.Move, do func(sd *selfDev, bin uint64, skc string) error, onBin bool) {
		t.Run(name, func(t *testing.T) {
			sd := newSelfDev(t)
			bin, skc := sd.bin[tg.status], sd.skc[tg.status]
			if onBin != tg.bin {
				t.Skip("the operation does not take this kind of entitlement")
			}
			from := tg.status
			if tg.bin && from != lifecycle.Ready {
				from = 0 // a bin entitlement is Ready, or has nothing left to move
			}
			to, isLegal := legal[[2]int{int(from), int(mv)}]
			if !isLegal {
				err := sd.unchanged(entitlement.ErrState, func() error { return do(sd, bin, skc) })
				var me *lifecycle.MoveError
				if !errors.As(err, &me) || me.From != from || me.Move != mv {
					t.Fatalf("refusal %v is not a MoveError from %s", err, from)
				}
				return
			}
			ok(t, do(sd, bin, skc))
			sd.conserved()
			if tg.bin {
				d := must[lifecycle.Entitlement](t)(lifecycle.Details(ctx, sd.l, sd.Admin, bin))
				if got := map[lifecycle.Status]int64{lifecycle.Pooled: d.Pooled, lifecycle.OrderCancelled: d.Cancelled}[to]; got != 1 {
					t.Fatalf("after %s the line holds %d in %s", mv, got, to)
				}
				return
			}
			v := must[entitlement.LocationView](t)(sd.l.Location(ctx, sd.Dist, sd.loc.ID))
			var got lifecycle.Status
			for _, ln := range append(append(append(v.Attached, v.Activated...), v.Ended...), v.History...) {
				if ln.SKC == skc {
					got = lifecycle.StatusOf(ln)
				}
			}
			if to == lifecycle.Ready {
				if got != 0 {
					t.Fatalf("unpooled line still on the location as %s", got)
				}
			} else if got != to {
				t.Fatalf("%s from %s led to %s, want %s", mv, tg.status, got, to)
			}
		})
	}
	for _, tg := range targets {
		kind := "skc"
		if tg.bin {
			kind = "bin"
		}
		for mv, op := range selfDevOps {
			run(fmt.Sprintf("%s %s/%s", kind, tg.status, mv), tg, mv, op.do, op.bin)
		}
		run(fmt.Sprintf("%s %s/cancel pooled", kind, tg.status), tg, lifecycle.MoveCancel,
			func(sd *selfDev, _ uint64, skc string) error { return cancelPooled(sd, skc) }, false)
	}
}

// TestDoc002_SelfDevelopedRoles: each move is made by the table's role only: the license desk
// revokes and cancels, the partner's own user pools, unpools and activates.
func TestDoc002_SelfDevelopedRoles(t *testing.T) {
	sd := newSelfDev(t)
	for name, op := range map[string]func() error{
		"a partner revokes": func() error {
			_, err := lifecycle.Revoke(ctx, sd.l, sd.Dist, sd.loc.ID, []string{sd.skc[lifecycle.Activated]}, "mine")
			return err
		},
		"a partner cancels pooled": func() error {
			return lifecycle.Cancel(ctx, sd.l, sd.Dist, sd.loc.ID, []string{sd.skc[lifecycle.Pooled]}, "mine")
		},
		"a partner cancels ready": func() error {
			_, err := lifecycle.CancelReady(ctx, sd.l, sd.Dist, sd.bin[lifecycle.Ready], 1, "mine")
			return err
		},
		"the desk activates a partner's line": func() error {
			_, err := lifecycle.Activate(ctx, sd.l, sd.Admin, sd.loc.ID, entitlement.Activation{AcceptAgreement: true, SKCs: []string{sd.skc[lifecycle.Pooled]}})
			return err
		},
		"the desk unpools a partner's line": func() error {
			return lifecycle.Unpool(ctx, sd.l, sd.Admin, sd.loc.ID, []string{sd.skc[lifecycle.Pooled]})
		},
	} {
		t.Run(name, func(t *testing.T) { sd.unchanged(entitlement.ErrNotAllowed, op) })
	}
	sd.unchanged(entitlement.ErrNotFound, func() error {
		_, err := lifecycle.Pool(ctx, sd.l, sd.Other, sd.loc.ID, []entitlement.Pick{{Line: sd.bin[lifecycle.Ready], Qty: 1}})
		return err
	})
	sd.unchanged(entitlement.ErrInvalid, func() error {
		_, err := lifecycle.Revoke(ctx, sd.l, sd.Admin, sd.loc.ID, []string{sd.skc[lifecycle.Activated]}, " ")
		return err
	})
	sd.unchanged(entitlement.ErrQuantity, func() error {
		_, err := lifecycle.CancelReady(ctx, sd.l, sd.Admin, sd.bin[lifecycle.Ready], 3, "too much")
		return err
	})
}

// TestDoc002_RevokeReissuesWithoutIt: revoking an activated entitlement re-issues the location's
// file without it, superseding the earlier file, tells the partner, and keeps conservation with
// the revoked quantity.
func TestDoc002_RevokeReissuesWithoutIt(t *testing.T) {
	f := newFixture(t, nil)
	s := f.ship("PO-RV", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107585", Qty: 20})
	lines := must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s)))
	first := must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true}))
	f.take()
	d := must[entitlement.Issued](t)(lifecycle.Revoke(ctx, f.l, f.Admin, f.loc.ID, []string{lines[1].SKC}, "returned"))
	file := must[*license.File](t)(license.Open(must[[]byte](t)(license.ReadSVIZip(d.Data)), keyring(t)))
	old := must[*license.File](t)(license.Open(first.File, keyring(t)))
	if len(file.Lines) != 1 || file.Lines[0].SKC != lines[0].SKC || !file.SupersedesFile(old) || d.Serial != first.Serial+1 {
		t.Fatalf("re-issued file: %+v", file)
	}
	ev := f.take()
	if len(ev) != 1 || ev[0].Kind != lifecycle.EventRevoked || ev[0].Location != f.loc.ID || ev[0].Ref != d.Name ||
		len(ev[0].Lines) != 1 || ev[0].Lines[0].Part != "BE107585" || ev[0].DealerEmail != "ed@distx.example" {
		t.Fatalf("events %+v", ev)
	}
	e := must[lifecycle.Entitlement](t)(lifecycle.Details(ctx, f.l, f.Dist, s[1].ID))
	if e.Inactive != 20 || e.Activated != 0 || len(e.Lines) != 1 || e.Lines[0].Status != lifecycle.Inactive {
		t.Fatalf("details %+v", e)
	}
	f.conserved()
}

// TestDoc002_DetailsShowTypeAndFee: the details of an entitlement show its type and category and,
// for an annual fee, the business model, scenario, rule and computed term.
func TestDoc002_DetailsShowTypeAndFee(t *testing.T) {
	f := newFixture(t, nil)
	po := time.Date(2012, 12, 1, 0, 0, 0, 0, time.UTC)
	fee := lifecycle.AnnualFee{Model: lifecycle.ModelSUS, Scenario: lifecycle.ScenarioFirstSigned, Rule: lifecycle.StartEarlierOfActivationOrPO, Months: 12}
	s := must[[]entitlement.ShippedLine](t)(lifecycle.ShipAnnualFee(ctx, f.l, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-AF", SO: "SO-AF",
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 10}}}, fee, lifecycle.OrderDates{POSigned: po}))
	// Before activation: PO + 90 days, provisional; the line ends at that term's end.
	d := must[lifecycle.Entitlement](t)(lifecycle.Details(ctx, f.l, f.Dist, s[0].ID))
	start := time.Date(2013, 3, 1, 0, 0, 0, 0, time.UTC)
	if d.Type != license.TypeSubscription || d.TypeName != "Software subscription annual fee" || !d.Commercial || !d.FixedTerm ||
		d.Fee == nil || d.Fee.Model != lifecycle.ModelSUS || !d.Fee.Term.Start.Equal(start) || !d.Fee.Term.Provisional ||
		!d.Line.NotAfter.Equal(start.AddDate(1, 0, 0)) || d.Ready != 10 {
		t.Fatalf("details %+v fee %+v", d, d.Fee)
	}
	// Activated before PO + 90 days: the fee starts at activation.
	must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s)))
	must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true}))
	d = must[lifecycle.Entitlement](t)(lifecycle.Details(ctx, f.l, f.Dist, s[0].ID))
	if !d.Fee.Term.Start.Equal(time.Date(2012, 12, 28, 0, 0, 0, 0, time.UTC)) || d.Fee.Term.Provisional || d.Activated != 10 {
		t.Fatalf("after activation: %+v", d.Fee.Term)
	}
	// A permanent model ships type T and has no end.
	p := must[[]entitlement.ShippedLine](t)(lifecycle.ShipAnnualFee(ctx, f.l, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-P", SO: "SO-P",
		Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1}}}, lifecycle.AnnualFee{Model: lifecycle.ModelSnS, Scenario: lifecycle.ScenarioFirstSigned,
		Rule: lifecycle.StartPOSigned, Months: 12}, lifecycle.OrderDates{POSigned: po}))
	if p[0].EntitlementType() != license.TypeCommerce || !p[0].NotAfter.IsZero() {
		t.Fatalf("permanent model shipped %+v", p[0])
	}
	dp := must[lifecycle.Entitlement](t)(lifecycle.Details(ctx, f.l, f.Dist, p[0].ID))
	if !dp.Fee.Term.Permanent || dp.FixedTerm {
		t.Fatalf("permanent model details %+v", dp.Fee.Term)
	}
	// Another type on an annual-fee order, and a partner shipping, are refused.
	f.unchanged(entitlement.ErrInvalid, func() error {
		_, err := lifecycle.ShipAnnualFee(ctx, f.l, f.Admin, entitlement.Order{Partner: f.DistP, PO: "PO-Q", SO: "SO-Q",
			Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1, Type: license.TypeTrial}}}, fee, lifecycle.OrderDates{POSigned: po})
		return err
	})
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := lifecycle.ShipAnnualFee(ctx, f.l, f.Dist, entitlement.Order{Partner: f.DistP, PO: "PO-R", SO: "SO-R",
			Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1}}}, fee, lifecycle.OrderDates{POSigned: po})
		return err
	})
	if _, err := lifecycle.Details(ctx, f.l, f.Other, s[0].ID); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner's details: %v", err)
	}
}

// TestDoc002_MovesAreAudited: every move is one audited operation under its own name, by the
// actor who made it, naming what it touched; a revocation's and a cancellation's reason is in the
// record.
func TestDoc002_MovesAreAudited(t *testing.T) {
	sd := newSelfDev(t)
	recs := must[[]entitlement.AuditRecord](t)(sd.l.Audit(ctx, sd.Admin, 0, 1000))
	type seen struct {
		user  string
		notes []string
	}
	got := map[string]seen{}
	for _, r := range recs {
		got[r.Op] = seen{r.User, append(got[r.Op].notes, r.Notes...)}
	}
	for op, user := range map[string]string{"pool": sd.Dist.User, "activate": sd.Dist.User, "revoke": sd.Admin.User, "cancel": sd.Admin.User} {
		if s, ok := got[op]; !ok || s.user != user {
			t.Errorf("no audit record %q by %s: %+v", op, user, s)
		}
	}
	if n := got["revoke"].notes; len(n) == 0 || n[0] != "revoked: returned by the customer" {
		t.Errorf("revoke notes %q", n)
	}
	if n := got["cancel"].notes; len(n) < 2 || n[0] != "cancelled: order cancelled" {
		t.Errorf("cancel notes %q", n)
	}
	if _, err := sd.l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
