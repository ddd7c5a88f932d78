package lifecycle_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
)

// thirdPartyIn registers a third-party entitlement and moves it to status s by legal moves.
func thirdPartyIn(t testing.TB, f *fixture, s lifecycle.Status) string {
	t.Helper()
	e := must[lifecycle.ThirdPartyEntitlement](t)(lifecycle.RegisterThirdParty(ctx, f.l, f.Admin, lifecycle.ThirdPartyRequest{
		Partner: f.DistP, Location: f.loc.ID, PO: "PO-3P", SO: "SO-3P", Product: "Contact center suite", Part: "3P-CC-01", Qty: 5}))
	path := map[lifecycle.Status][]func() error{
		lifecycle.Activation: nil,
		lifecycle.InPurchase: {func() error { _, err := lifecycle.StartPurchase(ctx, f.l, f.Admin, e.ID); return err }},
	}
	path[lifecycle.Ready3rd] = append(path[lifecycle.InPurchase], func() error {
		_, err := lifecycle.Purchase(ctx, f.l, f.Admin, e.ID, "cc.lic", []byte("third-party license"))
		return err
	})
	path[lifecycle.MediumDeliveryN] = append(path[lifecycle.InPurchase], func() error {
		_, err := lifecycle.DeliverOnMedium(ctx, f.l, f.Admin, e.ID, "", nil)
		return err
	})
	path[lifecycle.MediumDeliveryE] = append(path[lifecycle.InPurchase], func() error {
		_, err := lifecycle.DeliverOnMedium(ctx, f.l, f.Admin, e.ID, "cc-backup.lic", []byte("electronic backup"))
		return err
	})
	path[lifecycle.Closed] = append(path[lifecycle.Ready3rd], func() error {
		_, err := lifecycle.DownloadThirdParty(ctx, f.l, f.Dist, e.ID)
		return err
	})
	for _, step := range path[s] {
		ok(t, step())
	}
	if got := must[lifecycle.ThirdPartyEntitlement](t)(lifecycle.ThirdPartyOf(ctx, f.l, f.Dist, e.ID)).Status; got != s {
		t.Fatalf("set up %s, got %s", s, got)
	}
	return e.ID
}

// thirdPartyOps are the operations of the third-party machine (but Register), each by the role
// the table names; to is what DeliverOnMedium aims at.
var thirdPartyOps = []struct {
	name string
	move lifecycle.Move
	to   lifecycle.Status
	do   func(f *fixture, id string) error
}{
	{"start purchase", lifecycle.MoveStartPurchase, 0, func(f *fixture, id string) error {
		_, err := lifecycle.StartPurchase(ctx, f.l, f.Admin, id)
		return err
	}},
	{"purchased", lifecycle.MovePurchased, 0, func(f *fixture, id string) error {
		_, err := lifecycle.Purchase(ctx, f.l, f.Admin, id, "new.lic", []byte("x"))
		return err
	}},
	{"medium N", lifecycle.MoveDeliverMedium, lifecycle.MediumDeliveryN, func(f *fixture, id string) error {
		_, err := lifecycle.DeliverOnMedium(ctx, f.l, f.Admin, id, "", nil)
		return err
	}},
	{"medium E", lifecycle.MoveDeliverMedium, lifecycle.MediumDeliveryE, func(f *fixture, id string) error {
		_, err := lifecycle.DeliverOnMedium(ctx, f.l, f.Admin, id, "b.lic", []byte("b"))
		return err
	}},
	{"download", lifecycle.MoveDownload, 0, func(f *fixture, id string) error {
		_, err := lifecycle.DownloadThirdParty(ctx, f.l, f.Dist, id)
		return err
	}},
	{"re-apply", lifecycle.MoveReapplyLost, 0, func(f *fixture, id string) error {
		_, err := lifecycle.ReapplyLost(ctx, f.l, f.Dist, id, "the file was lost with the old server")
		return err
	}},
}

// TestDoc002_ThirdPartyEveryMove makes every move of the third-party machine on an entitlement in
// every status: the table's moves succeed and lead where it says, with the history recording them;
// every other one is a *MoveError that changes nothing.
func TestDoc002_ThirdPartyEveryMove(t *testing.T) {
	legal := map[[2]int][]lifecycle.Status{}
	for _, tr := range lifecycle.Transitions() {
		if tr.Machine == lifecycle.ThirdParty {
			k := [2]int{int(tr.From), int(tr.Move)}
			legal[k] = append(legal[k], tr.To)
		}
	}
	for _, from := range []lifecycle.Status{lifecycle.Activation, lifecycle.InPurchase, lifecycle.Ready3rd, lifecycle.MediumDeliveryN,
		lifecycle.MediumDeliveryE, lifecycle.Closed} {
		for _, op := range thirdPartyOps {
			t.Run(fmt.Sprintf("%s/%s", from, op.name), func(t *testing.T) {
				f := newFixture(t, nil)
				id := thirdPartyIn(t, f, from)
				tos, isLegal := legal[[2]int{int(from), int(op.move)}]
				want := lifecycle.Status(0)
				if isLegal {
					want = tos[0]
					if op.to != 0 {
						want = op.to
					}
				}
				if !isLegal {
					err := f.unchanged(entitlement.ErrState, func() error { return op.do(f, id) })
					var me *lifecycle.MoveError
					if !errors.As(err, &me) || me.From != from || me.Machine != lifecycle.ThirdParty {
						t.Fatalf("refusal %v", err)
					}
					return
				}
				ok(t, op.do(f, id))
				e := must[lifecycle.ThirdPartyEntitlement](t)(lifecycle.ThirdPartyOf(ctx, f.l, f.Admin, id))
				last := e.History[len(e.History)-1]
				if e.Status != want || last.From != from || last.To != want || last.Move != op.move {
					t.Fatalf("%s from %s: status %s, history %+v", op.name, from, e.Status, last)
				}
			})
		}
	}
}

// TestDoc002_ThirdPartyDelivery: the whole delivery of a third-party license: registered, being
// purchased, purchased with its file (the partner is told), downloaded and closed, a lost file
// applied for again and bought again; roles and scope hold at each move.
func TestDoc002_ThirdPartyDelivery(t *testing.T) {
	f := newFixture(t, nil)
	id := thirdPartyIn(t, f, lifecycle.InPurchase)
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := lifecycle.Purchase(ctx, f.l, f.Dist, id, "cc.lic", []byte("x"))
		return err
	})
	f.unchanged(entitlement.ErrInvalid, func() error {
		_, err := lifecycle.Purchase(ctx, f.l, f.Admin, id, "../cc.lic", []byte("x"))
		return err
	})
	f.unchanged(entitlement.ErrInvalid, func() error {
		_, err := lifecycle.Purchase(ctx, f.l, f.Admin, id, "cc.lic", nil)
		return err
	})
	f.take()
	must[lifecycle.ThirdPartyEntitlement](t)(lifecycle.Purchase(ctx, f.l, f.Admin, id, "cc.lic", []byte("license bytes")))
	if ev := f.take(); len(ev) != 1 || ev[0].Kind != lifecycle.EventThirdPartyReady || ev[0].Partner != f.DistP || ev[0].Ref != id {
		t.Fatalf("events %+v", ev)
	}
	f.unchanged(entitlement.ErrNotFound, func() error { _, err := lifecycle.DownloadThirdParty(ctx, f.l, f.Other, id); return err })
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := lifecycle.DownloadThirdParty(ctx, f.l, f.Admin, id); return err })
	file := must[lifecycle.ThirdPartyFile](t)(lifecycle.DownloadThirdParty(ctx, f.l, f.Dist, id))
	if file.Name != "cc.lic" || !bytes.Equal(file.Data, []byte("license bytes")) {
		t.Fatalf("file %+v", file)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := lifecycle.DownloadThirdParty(ctx, f.l, f.Dist, id); return err })
	f.unchanged(entitlement.ErrInvalid, func() error { _, err := lifecycle.ReapplyLost(ctx, f.l, f.Dist, id, ""); return err })
	e := must[lifecycle.ThirdPartyEntitlement](t)(lifecycle.ReapplyLost(ctx, f.l, f.Dist, id, "lost"))
	if e.Status != lifecycle.InPurchase || e.Reapplied != 1 || e.File != nil {
		t.Fatalf("after re-applying: %+v", e)
	}
	list := must[[]lifecycle.ThirdPartyEntitlement](t)(lifecycle.ThirdParties(ctx, f.l, f.Dist, f.DistP))
	if len(list) != 1 || list[0].ID != id || len(list[0].History) != 5 {
		t.Fatalf("list %+v", list)
	}
	if _, err := lifecycle.ThirdParties(ctx, f.l, f.Other, f.DistP); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner lists: %v", err)
	}
	for name, req := range map[string]lifecycle.ThirdPartyRequest{
		"vendor partner":  {Partner: "vendor", PO: "P", SO: "S", Product: "p", Part: "x", Qty: 1},
		"no PO":           {Partner: f.DistP, SO: "S", Product: "p", Part: "x", Qty: 1},
		"zero quantity":   {Partner: f.DistP, PO: "P", SO: "S", Product: "p", Part: "x"},
		"fixed no end":    {Partner: f.DistP, PO: "P", SO: "S", Product: "p", Part: "x", Qty: 1, Type: "S"},
		"other location":  {Partner: f.DealerP, Location: f.loc.ID, PO: "P", SO: "S", Product: "p", Part: "x", Qty: 1},
		"unknown partner": {Partner: "nobody", PO: "P", SO: "S", Product: "p", Part: "x", Qty: 1},
	} {
		t.Run(name, func(t *testing.T) {
			f.unchanged(entitlement.ErrInvalid, func() error { _, err := lifecycle.RegisterThirdParty(ctx, f.l, f.Admin, req); return err })
		})
	}
	f.unchanged(entitlement.ErrNotAllowed, func() error {
		_, err := lifecycle.RegisterThirdParty(ctx, f.l, f.Dist, lifecycle.ThirdPartyRequest{Partner: f.DistP, PO: "P", SO: "S", Product: "p", Part: "x", Qty: 1})
		return err
	})
}
