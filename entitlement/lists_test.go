package entitlement_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
)

func TestListsScope(t *testing.T) {
	f := newFixture(t)
	l := f.L
	ids := func(ps []entitlement.Partner) (out []string) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	logins := func(us []entitlement.User) (out []string) {
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		who      entitlement.Actor
		partners []string
		users    []string
		allow    int
	}{
		{"administrator sees every partner", f.Admin, []string{"dealery", "distx", "distz", "vendor"}, []string{"admin@vendor", "dealer@y", "ed@distx", "zed@distz"}, 1},
		{"distributor sees itself and its allowed dealers", f.Dist, []string{"dealery", "distx"}, []string{"dealer@y", "ed@distx"}, 1},
		{"dealer sees itself", f.Dealer, []string{"dealery"}, []string{"dealer@y"}, 0},
		{"unrelated distributor sees itself", f.Other, []string{"distz"}, []string{"zed@distz"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := must[[]entitlement.Partner](t)(l.Partners(ctx, tc.who, entitlement.PageQuery{}))
			if d := cmp.Diff(tc.partners, ids(ps)); d != "" {
				t.Errorf("partners (-want +got)\n%s", d)
			}
			us := must[[]entitlement.User](t)(l.Users(ctx, tc.who, entitlement.UserQuery{}))
			if d := cmp.Diff(tc.users, logins(us)); d != "" {
				t.Errorf("users (-want +got)\n%s", d)
			}
			as := must[[]entitlement.Allowance](t)(l.Allowances(ctx, tc.who, entitlement.PageQuery{}))
			if len(as) != tc.allow {
				t.Errorf("allowances %+v", as)
			}
			// Every partner it cannot list is not found, exactly as an unknown one.
			for _, id := range []string{"vendor", "distx", "dealery", "distz", "nope"} {
				_, err := l.Partner(ctx, tc.who, id)
				listed := false
				for _, p := range tc.partners {
					listed = listed || p == id
				}
				if listed != (err == nil) || err != nil && !errors.Is(err, entitlement.ErrNotFound) {
					t.Errorf("partner %s: %v (listed %v)", id, err, listed)
				}
			}
		})
	}
	// Paging partners and users.
	p1 := must[[]entitlement.Partner](t)(l.Partners(ctx, f.Admin, entitlement.PageQuery{Limit: 2}))
	p2 := must[[]entitlement.Partner](t)(l.Partners(ctx, f.Admin, entitlement.PageQuery{After: p1[1].ID, Limit: 2}))
	if d := cmp.Diff([]string{"dealery", "distx", "distz", "vendor"}, append(ids(p1), ids(p2)...)); d != "" {
		t.Errorf("paged partners (-want +got)\n%s", d)
	}
	u := must[[]entitlement.User](t)(l.Users(ctx, f.Admin, entitlement.UserQuery{Partner: "distx"}))
	if d := cmp.Diff([]string{"ed@distx"}, logins(u)); d != "" {
		t.Errorf("users of distx (-want +got)\n%s", d)
	}
	if _, err := l.User(ctx, f.Dealer, "ed@distx"); !errors.Is(err, entitlement.ErrNotFound) {
		t.Errorf("a dealer sees its distributor's user: %v", err)
	}
	a2 := must[[]entitlement.Allowance](t)(l.Allowances(ctx, f.Admin, entitlement.PageQuery{After: "distx/dealery"}))
	if len(a2) != 0 {
		t.Errorf("allowances after the last: %+v", a2)
	}
}

func TestCustomerGetAndIntegrity(t *testing.T) {
	f := newFixture(t)
	l := f.L
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"}))
	if got := must[entitlement.Customer](t)(l.Customer(ctx, f.Dist, c.ID)); got != c {
		t.Fatalf("customer %+v", got)
	}
	_, errOther := l.Customer(ctx, f.Other, c.ID)
	_, errUnknown := l.Customer(ctx, f.Other, "00000000-0000-4000-8000-000000000000")
	if !errors.Is(errOther, entitlement.ErrNotFound) || !errors.Is(errUnknown, entitlement.ErrNotFound) {
		t.Fatalf("other partner's customer: %v / %v", errOther, errUnknown)
	}
	if _, err := l.CheckIntegrity(ctx, f.Dist); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a partner's user checked integrity: %v", err)
	}
	r := must[entitlement.IntegrityReport](t)(l.CheckIntegrity(ctx, f.Admin))
	if r.AuditRecords < 8 || r.AuditHead != uint64(r.AuditRecords) || len(r.HeadHash) != 32 {
		t.Fatalf("report %+v", r)
	}
}

// TestEmptyIDsAreRefusals: an empty or oversized id in a request is the ledger's refusal (a
// sentinel), never the store's complaint about the key (found by the HTTP handler's fuzzing).
func TestEmptyIDsAreRefusals(t *testing.T) {
	f := newFixture(t)
	l := f.L
	long := string(make([]byte, 2000))
	for name, op := range map[string]func(id string) error{
		"ship": func(id string) error {
			_, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: id, PO: "1", SO: "1", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1}}})
			return err
		},
		"add user": func(id string) error {
			return l.AddUser(ctx, f.Admin, entitlement.User{ID: "u@x", Name: "U", Partner: id})
		},
		"allowance": func(id string) error { return l.SetAllowance(ctx, f.Admin, id, "dealery", true) },
		"reship": func(id string) error {
			_, err := l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: id, PO: "1", SO: "1"})
			return err
		},
		"set roles": func(id string) error { return l.SetRoles(ctx, f.Admin, id, entitlement.RoleLMSUser) },
		"location":  func(id string) error { _, err := l.Location(ctx, f.Dist, id); return err },
	} {
		for _, id := range []string{"", long} {
			err := op(id)
			known := false
			for _, s := range []error{entitlement.ErrInvalid, entitlement.ErrNotFound, entitlement.ErrNotAllowed} {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Errorf("%s with id of %d bytes: %v", name, len(id), err)
			}
		}
	}
}
