package lifecycle

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
)

// TestDoc002_DeliveryStatuses: the two machines hold exactly the document's statuses, under its
// names.
func TestDoc002_DeliveryStatuses(t *testing.T) {
	var self, third []string
	for s := Status(1); s < statusEnd; s++ {
		switch s.Machine() {
		case SelfDeveloped:
			self = append(self, s.String())
		case ThirdParty:
			third = append(third, s.String())
		default:
			t.Errorf("status %d belongs to no machine", s)
		}
	}
	if d := cmp.Diff([]string{"Ready", "Pooled", "Activated", "Inactive", "Order Cancelled"}, self); d != "" {
		t.Errorf("self-developed statuses (-document +table):\n%s", d)
	}
	if d := cmp.Diff([]string{"Activation", "Ready (3rd)", "Medium Delivery N (3rd)", "Medium Delivery E (3rd)", "In Purchase (3rd)", "Closed (3rd)"}, third); d != "" {
		t.Errorf("third-party statuses (-document +table):\n%s", d)
	}
	// Every status is reached from the start of its machine, and every row stays in its machine.
	for _, m := range []Machine{SelfDeveloped, ThirdParty} {
		reached := map[Status]bool{0: true}
		for changed := true; changed; {
			changed = false
			for _, tr := range transitions {
				if tr.Machine == m && reached[tr.From] && !reached[tr.To] {
					reached[tr.To], changed = true, true
				}
			}
		}
		for s := Status(1); s < statusEnd; s++ {
			if s.Machine() == m && !reached[s] {
				t.Errorf("%s: status %s is never reached", m, s)
			}
		}
	}
	for _, tr := range transitions {
		if tr.To.Machine() != tr.Machine || tr.From != 0 && tr.From.Machine() != tr.Machine || tr.Role == "" || tr.Operation == "" {
			t.Errorf("row %+v", tr)
		}
	}
}

// TestDoc002_EveryMoveFromEveryStatus: for every status of each machine (and its start), every
// move is legal exactly when the table has the row, and an illegal one is a *MoveError naming the
// status and the moves that are allowed.
func TestDoc002_EveryMoveFromEveryStatus(t *testing.T) {
	legal := map[[3]int]Status{}
	for _, tr := range transitions {
		legal[[3]int{int(tr.Machine), int(tr.From), int(tr.Move)}] = tr.To
	}
	n := 0
	for _, m := range []Machine{SelfDeveloped, ThirdParty} {
		for from := Status(0); from < statusEnd; from++ {
			if from != 0 && from.Machine() != m {
				continue
			}
			for mv := Move(1); mv < moveEnd; mv++ {
				n++
				to, err := check(m, "E", from, mv, 0)
				want, isLegal := legal[[3]int{int(m), int(from), int(mv)}]
				if mv == MoveDeliverMedium && from == InPurchase {
					want, isLegal = MediumDeliveryN, true // the first target; DeliverOnMedium picks
				}
				switch {
				case isLegal && (err != nil || to != want):
					t.Errorf("%s: %s from %s: got %s, %v; want %s", m, mv, from, to, err, want)
				case !isLegal:
					var me *MoveError
					if !errors.As(err, &me) || !errors.Is(err, entitlement.ErrState) || me.From != from || me.Move != mv ||
						!slices.Equal(me.Allowed, Allowed(m, from)) {
						t.Errorf("%s: %s from %s: got %s, %v; want a MoveError", m, mv, from, to, err)
					}
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d pairs checked", n)
	}
	if to, err := check(ThirdParty, "E", InPurchase, MoveDeliverMedium, MediumDeliveryE); err != nil || to != MediumDeliveryE {
		t.Errorf("deliver on medium with a backup: %s, %v", to, err)
	}
	if _, err := check(ThirdParty, "E", InPurchase, MoveDeliverMedium, Closed); err == nil {
		t.Error("deliver on medium to Closed is allowed")
	}
	me := &MoveError{Machine: SelfDeveloped, Entitlement: "SKC1", From: Inactive, Move: MoveRevoke}
	if got := me.Error(); got != "lifecycle: self-developed software: entitlement SKC1 is Inactive: the move revoke is not allowed from it (a final status: no move is)" {
		t.Errorf("message %q", got)
	}
}
