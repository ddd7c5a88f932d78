package entitlement

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

type migClock struct{}

func (migClock) Now() time.Time { return time.Date(2019, 7, 17, 10, 0, 0, 0, time.UTC) }

type migIssuer struct{}

func (migIssuer) Issue(r IssueRequest) (Issued, error) {
	return Issued{Name: r.Location.HWKC + "-svi.zip", Data: []byte("f"), File: []byte("f")}, nil
}

// TestCheckConservation_MigrationHistory: CheckConservation finds a carried-over line that lost its
// history link, and a history line that is no longer marked migrated.
func TestCheckConservation_MigrationHistory(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*Ledger, LocationView) {
		l := New(NewMemStore(), Config{Issuer: migIssuer{}, Clock: migClock{}, Rand: rand.NewChaCha8([32]byte{3})})
		admin, ed := Actor{User: "admin@vendor"}, Actor{User: "ed@distx"}
		chk := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		chk(l.Bootstrap(ctx, Partner{ID: "vendor", Name: "Vendor"}, User{ID: admin.User, Name: "Admin"}))
		chk(l.AddPartner(ctx, admin, Partner{ID: "distx", Name: "Distributor X", Kind: KindDistributor}))
		chk(l.AddUser(ctx, admin, User{ID: ed.User, Name: "Ed", Partner: "distx", Roles: RoleLMSUser}))
		s, err := l.Ship(ctx, admin, Order{Partner: "distx", PO: "P", SO: "S", Lines: []OrderLine{{Part: "BE114063", Qty: 8}}})
		chk(err)
		c, err := l.CreateCustomer(ctx, ed, Customer{Name: "C"})
		chk(err)
		loc, err := l.CreateLocation(ctx, ed, Location{Customer: c.ID, Name: "L", System: "SV9100 CP10", HWKC: "341006761783"})
		chk(err)
		_, err = l.Attach(ctx, ed, loc.ID, []Pick{{Line: s[0].ID, Qty: 8}})
		chk(err)
		_, err = l.Activate(ctx, ed, loc.ID, Activation{AcceptAgreement: true})
		chk(err)
		// A migration as entitlement/systems runs it: a new code and system, the lines carried over.
		chk(l.Update(ctx, ed, "migrate", func(x *Op) error {
			if _, err := x.Rekey(loc.ID, "SV9100 CP20", "441018029547"); err != nil {
				return err
			}
			if _, err := x.CarryOver(loc.ID, "MIGSU_201907171"); err != nil {
				return err
			}
			_, err := x.Reissue(loc.ID)
			return err
		}))
		chk(CheckConservation(ctx, l.Store()))
		v, err := l.Location(ctx, ed, loc.ID)
		chk(err)
		return l, v
	}
	edit := func(t *testing.T, l *Ledger, skc string, fn func(*Line)) {
		err := l.Store().Update(ctx, func(tx Tx) error {
			o := &op{l: l, tx: tx}
			ln, _, err := o.line(skc)
			if err != nil {
				return err
			}
			fn(&ln)
			return o.putLine(ln)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, want string
		history    bool
		fn         func(*Line)
	}{
		{"carried line lost its link", "was carried over to no line", false, func(ln *Line) { ln.MigratedFrom = "" }},
		{"carried quantity changed", "carried over as", false, func(ln *Line) { ln.Qty = 7 }},
		{"history line activated again", "not a migrated history line", true, func(ln *Line) { ln.State = StateActivated }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, v := setup(t)
			skc := v.Activated[0].SKC
			if tc.history {
				skc = v.History[0].SKC
			}
			edit(t, l, skc, tc.fn)
			err := CheckConservation(ctx, l.Store())
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckConservation: %v, want a problem containing %q", err, tc.want)
			}
		})
	}
}
