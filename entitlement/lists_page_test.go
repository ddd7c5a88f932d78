package entitlement_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// cost is the keys fn touched (countingStore of cost_test.go).
func (s *countingStore) cost(fn func()) int {
	before := s.n
	fn()
	return s.n - before
}

// pagedList is one list in its whole and its paged form.
type pagedList struct {
	name  string
	whole func() ([]string, error)                        // the item keys of the whole list, in the paged order
	page  func(q entitlement.PageQuery) ([]string, error) // one page's item keys
	// cursor is the After of the page following an item key.
	cursor func(key string) string
}

// TestPagedListsAreTheWholeLists: every paged list operation, page by page at several page sizes,
// gives exactly the whole list (in the paged form's order), and a page costs its items, not the
// list: a page of two in the middle of a list of dozens reads a handful of records.
func TestPagedListsAreTheWholeLists(t *testing.T) {
	cs := &countingStore{Store: entitlement.NewMemStore()}
	t.Cleanup(func() { cs.Close() })
	f := storetest.NewFixture(t, cs, 11)
	l := f.L
	// distx: many bin lines, customers with locations, attached and activated lines, demo files,
	// reshipments to its dealer, returns from it.
	var shipped []entitlement.ShippedLine
	for i := range 8 {
		shipped = append(shipped, shipSV8100(t, f, f.DistP, fmt.Sprintf("PO-%02d", 7-i))...) // POs not in id order
	}
	var cust []entitlement.Customer
	var locs []entitlement.Location
	for i := range 12 {
		c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: fmt.Sprintf("Customer %d", i%3)}))
		cust = append(cust, c)
		for j := range 2 {
			locs = append(locs, must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust[0].ID,
				Name: fmt.Sprintf("Site %d-%d", i, j), System: "SV8100", HWKC: fmt.Sprintf("1910%08d", 1000+2*i+j)})))
		}
	}
	// For the administrator's search: a location found by its name only, one by code and name.
	oc := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Other, entitlement.Customer{Name: "Other"}))
	for name, code := range map[string]string{"1910000019 lobby": "191077770000", "191000001 both": "191000001999"} {
		must[entitlement.Location](t)(l.CreateLocation(ctx, f.Other, entitlement.Location{Customer: oc.ID, Name: name, System: "SV8100", HWKC: code}))
	}
	for i, loc := range locs[:16] {
		must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, []entitlement.Pick{{Line: shipped[3+4*(i%8)].ID, Qty: 1}}))
		if i%2 == 0 {
			must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
		}
	}
	for range 2 {
		must[entitlement.Issued](t)(l.GenerateDemo(ctx, f.Dist, locs[0].ID))
	}
	for i := range 7 {
		must[entitlement.Reshipment](t)(l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: fmt.Sprintf("R%d", i), SO: "S",
			Picks: []entitlement.Pick{{Line: shipped[3+4*(i%8)].ID, Qty: 1}}}))
		must[entitlement.Return](t)(l.ReturnLines(ctx, f.Dist, []entitlement.Pick{{Line: shipped[1+4*(i%8)].ID, Qty: 1}}, "unused"))
	}

	ids := func(n int, key func(int) string) []string {
		out := []string{}
		for i := range n {
			out = append(out, key(i))
		}
		return out
	}
	num := func(n uint64) string { return strconv.FormatUint(n, 10) }
	same := func(s string) string { return s }
	lines := func(ls []entitlement.Line, err error) ([]string, error) {
		return ids(len(ls), func(i int) string { return num(ls[i].Recent) }), err
	}
	byID := func(out []string, err error) ([]string, error) { slices.Sort(out); return out, err }
	custIDs := func(cs []entitlement.Customer, err error) ([]string, error) {
		return ids(len(cs), func(i int) string { return cs[i].ID }), err
	}
	locIDs := func(ls []entitlement.Location, err error) ([]string, error) {
		return ids(len(ls), func(i int) string { return ls[i].ID }), err
	}
	returns := func(rs []entitlement.Return, err error) ([]string, error) {
		return ids(len(rs), func(i int) string { return num(rs[i].ID) }), err
	}
	lists := []pagedList{
		{"bin", func() ([]string, error) {
			b, err := l.Bin(ctx, f.Dist)
			return ids(len(b), func(i int) string { return num(b[i].ID) }), err
		}, func(q entitlement.PageQuery) ([]string, error) {
			b, err := l.BinPage(ctx, f.Dist, q)
			return ids(len(b), func(i int) string { return num(b[i].ID) }), err
		}, same},
		{"customers", func() ([]string, error) { return byID(custIDs(l.Customers(ctx, f.Dist, ""))) },
			func(q entitlement.PageQuery) ([]string, error) { return custIDs(l.CustomersPage(ctx, f.Dist, "", q)) }, same},
		{"customers named 1", func() ([]string, error) { return byID(custIDs(l.Customers(ctx, f.Dist, "mer 1"))) },
			func(q entitlement.PageQuery) ([]string, error) {
				return custIDs(l.CustomersPage(ctx, f.Dist, "MER 1", q))
			}, same},
		{"locations of a customer", func() ([]string, error) { return byID(locIDs(l.Locations(ctx, f.Dist, cust[0].ID))) },
			func(q entitlement.PageQuery) ([]string, error) {
				return locIDs(l.LocationsPage(ctx, f.Dist, cust[0].ID, q))
			}, same},
		{"partner's search", func() ([]string, error) { return byID(locIDs(l.SearchLocations(ctx, f.Dist, "site 1", 1000))) },
			func(q entitlement.PageQuery) ([]string, error) {
				return locIDs(l.SearchLocationsPage(ctx, f.Dist, "Site 1", q))
			}, same},
		{"administrator's search", func() ([]string, error) { return locIDs(l.SearchLocations(ctx, f.Admin, "191000001", 1000)) },
			func(q entitlement.PageQuery) ([]string, error) {
				return locIDs(l.SearchLocationsPage(ctx, f.Admin, "191000001", q))
			}, same},
		{"resold", func() ([]string, error) {
			rs, err := l.Resold(ctx, f.Dist, 1000)
			return ids(len(rs), func(i int) string { return num(rs[i].ID) }), err
		}, func(q entitlement.PageQuery) ([]string, error) {
			rs, err := l.ResoldPage(ctx, f.Dist, q)
			return ids(len(rs), func(i int) string { return num(rs[i].ID) }), err
		}, same},
		{"returns sent", func() ([]string, error) { return returns(l.ReturnsSent(ctx, f.Dist, 1000)) },
			func(q entitlement.PageQuery) ([]string, error) { return returns(l.ReturnsSentPage(ctx, f.Dist, q)) }, same},
		{"returns received", func() ([]string, error) { return returns(l.ReturnsReceived(ctx, f.Admin, 1000)) },
			func(q entitlement.PageQuery) ([]string, error) {
				return returns(l.ReturnsReceivedPage(ctx, f.Admin, q))
			}, same},
		{"recently attached", func() ([]string, error) { return lines(l.RecentlyAttached(ctx, f.Dist, 1000)) },
			func(q entitlement.PageQuery) ([]string, error) { return lines(l.RecentlyAttachedPage(ctx, f.Dist, q)) }, same},
		{"recently activated", func() ([]string, error) { return lines(l.RecentlyActivated(ctx, f.Dist, 1000)) },
			func(q entitlement.PageQuery) ([]string, error) { return lines(l.RecentlyActivatedPage(ctx, f.Dist, q)) }, same},
		{"demo files", func() ([]string, error) {
			fs, err := l.DemoFiles(ctx, f.Dist, locs[0].ID)
			return ids(len(fs), func(i int) string { return num(fs[i].Serial) }), err
		}, func(q entitlement.PageQuery) ([]string, error) {
			fs, err := l.DemoFilesPage(ctx, f.Dist, locs[0].ID, q)
			return ids(len(fs), func(i int) string { return num(fs[i].Serial) }), err
		}, same},
	}
	for _, pl := range lists {
		t.Run(pl.name, func(t *testing.T) {
			whole, err := pl.whole()
			if err != nil {
				t.Fatal(err)
			}
			if len(whole) < 2 || pl.name == "administrator's search" && len(whole) != 26 {
				t.Fatalf("the scenario lists %d items: too few to page", len(whole))
			}
			for _, size := range []int{1, 2, 3, 1000} {
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					page, err := pl.page(entitlement.PageQuery{After: after, Limit: size})
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > size || pages > len(whole)+1 {
						t.Fatalf("page size %d: a page of %d, or no end", size, len(page))
					}
					got = append(got, page...)
					if len(page) < size {
						break
					}
					after = pl.cursor(page[len(page)-1])
				}
				if d := cmp.Diff(whole, got); d != "" {
					t.Errorf("pages of %d (-whole +paged)\n%s", size, d)
				}
			}
		})
	}
	// A page costs its items: two items from the middle of the lists of dozens read a handful of
	// records (the actor's user and partner, the cursor's item, the page).
	for _, pl := range lists[:1] {
		whole, _ := pl.whole()
		n := cs.cost(func() {
			if _, err := pl.page(entitlement.PageQuery{After: pl.cursor(whole[len(whole)/2]), Limit: 2}); err != nil {
				t.Fatal(err)
			}
		})
		wholeCost := cs.cost(func() { _, _ = pl.whole() })
		if len(whole) < 30 || n > 12 || wholeCost < len(whole) {
			t.Errorf("%s: a page of 2 of %d read %d records (the whole list %d)", pl.name, len(whole), n, wholeCost)
		}
	}
	for name, page := range map[string]func() error{
		"customers": func() error {
			_, err := l.CustomersPage(ctx, f.Dist, "", entitlement.PageQuery{After: cust[5].ID, Limit: 2})
			return err
		},
		"locations": func() error {
			_, err := l.LocationsPage(ctx, f.Dist, cust[0].ID, entitlement.PageQuery{After: locs[9].ID, Limit: 2})
			return err
		},
		"search": func() error {
			_, err := l.SearchLocationsPage(ctx, f.Dist, "", entitlement.PageQuery{After: locs[9].ID, Limit: 2})
			return err
		},
		"recent": func() error {
			_, err := l.RecentlyAttachedPage(ctx, f.Dist, entitlement.PageQuery{Limit: 2})
			return err
		},
	} {
		if n := cs.cost(func() {
			if err := page(); err != nil {
				t.Fatal(err)
			}
		}); n > 12 {
			t.Errorf("%s: a page of 2 read %d records", name, n)
		}
	}
	// Cursors that name nothing of the list are refused, and another partner's line is no cursor.
	for name, err := range map[string]error{
		"bin, not a number": func() error { _, err := l.BinPage(ctx, f.Dist, entitlement.PageQuery{After: "x"}); return err }(),
		"bin, another's line": func() error {
			_, err := l.BinPage(ctx, f.Other, entitlement.PageQuery{After: whole0(t, lists[0])})
			return err
		}(),
		"resold, not a number": func() error { _, err := l.ResoldPage(ctx, f.Dist, entitlement.PageQuery{After: "-1"}); return err }(),
		"admin search, no place": func() error {
			_, err := l.SearchLocationsPage(ctx, f.Admin, "1910", entitlement.PageQuery{After: "nope"})
			return err
		}(),
	} {
		if !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Scope stays the ledger's: another partner's customer's locations are not found.
	if _, err := l.LocationsPage(ctx, f.Other, cust[0].ID, entitlement.PageQuery{}); !errors.Is(err, entitlement.ErrNotFound) {
		t.Errorf("another partner's customer: %v", err)
	}
	if _, err := l.DemoFilesPage(ctx, f.Other, locs[0].ID, entitlement.PageQuery{}); !errors.Is(err, entitlement.ErrNotFound) {
		t.Errorf("another partner's demo files: %v", err)
	}
	if got := must[[]entitlement.Customer](t)(l.CustomersPage(ctx, f.Dealer, "", entitlement.PageQuery{})); len(got) != 0 {
		t.Errorf("another partner sees %d customers", len(got))
	}
}

func whole0(t *testing.T, pl pagedList) string {
	t.Helper()
	w, err := pl.whole()
	if err != nil || len(w) == 0 {
		t.Fatal(err)
	}
	return w[0]
}

// TestUsersIndex: a partner's user lists its users through the partner index, merged across the
// partners it may see, at the cost of the page; a ledger written before the index lists them by
// reading every account until the first AddUser completes the index; export and import rebuild
// it.
func TestUsersIndex(t *testing.T) {
	cs := &countingStore{Store: entitlement.NewMemStore()}
	t.Cleanup(func() { cs.Close() })
	f := storetest.NewFixture(t, cs, 12)
	l := f.L
	for i := range 40 {
		ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: fmt.Sprintf("u%02d@distz", i), Name: "Z", Partner: f.OtherP, Roles: entitlement.RoleLMSUser}))
	}
	for _, u := range []string{"a@distx", "m@distx", "z@distx"} {
		ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: u, Name: "X", Partner: f.DistP, Roles: entitlement.RoleLMSUser}))
	}
	for _, u := range []string{"b@y", "n@y"} {
		ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: u, Name: "Y", Partner: f.DealerP, Roles: entitlement.RoleLMSUser}))
	}
	logins := func(a entitlement.Actor, q entitlement.UserQuery) []string {
		t.Helper()
		var out []string
		for _, u := range must[[]entitlement.User](t)(l.Users(ctx, a, q)) {
			out = append(out, u.ID)
		}
		return out
	}
	want := []string{"a@distx", "b@y", "dealer@y", "ed@distx", "m@distx", "n@y", "z@distx"}
	paged := func(a entitlement.Actor, size int) []string {
		var out []string
		for after := ""; ; {
			page := logins(a, entitlement.UserQuery{After: after, Limit: size})
			out = append(out, page...)
			if len(page) < size {
				return out
			}
			after = page[len(page)-1]
		}
	}
	check := func(state string) {
		t.Helper()
		for _, size := range []int{1, 2, 3, 100} {
			if d := cmp.Diff(want, paged(f.Dist, size)); d != "" {
				t.Errorf("%s: the distributor's users in pages of %d (-want +got)\n%s", state, size, d)
			}
		}
		if d := cmp.Diff([]string{"b@y", "dealer@y", "n@y"}, logins(f.Dist, entitlement.UserQuery{Partner: f.DealerP})); d != "" {
			t.Errorf("%s: the dealer's users (-want +got)\n%s", state, d)
		}
		if got := logins(f.Dealer, entitlement.UserQuery{Partner: f.DistP}); len(got) != 0 {
			t.Errorf("%s: a dealer lists its distributor's users: %v", state, got)
		}
		if got := logins(f.Admin, entitlement.UserQuery{Partner: f.OtherP, Limit: 3}); strings.Join(got, ",") != "u00@distz,u01@distz,u02@distz" {
			t.Errorf("%s: the administrator's page of distz: %v", state, got)
		}
	}
	check("indexed")
	// With the index, the distributor's page of two does not read distz's forty accounts.
	if n := cs.cost(func() { logins(f.Dist, entitlement.UserQuery{After: "n@y", Limit: 2}) }); n > 20 {
		t.Errorf("a page of 2 read %d records", n)
	}
	// A ledger written before the index: no entries, no mark.
	err := cs.Update(ctx, func(tx entitlement.Tx) error {
		var keys []string
		if err := tx.Scan("userp", "", func(k string, _ []byte) (bool, error) { keys = append(keys, k); return true, nil }); err != nil {
			return err
		}
		if len(keys) != 49+1 { // 49 users and the mark
			return fmt.Errorf("%d index keys", len(keys))
		}
		for _, k := range keys {
			if err := tx.Delete("userp", k); err != nil {
				return err
			}
		}
		return nil
	})
	ok(t, err)
	check("before the index")
	if n := cs.cost(func() { logins(f.Dist, entitlement.UserQuery{After: "n@y", Limit: 2}) }); n < 40 {
		t.Errorf("without the index a page read only %d records: it did not fall back to the accounts", n)
	}
	ok(t, l.SetRoles(ctx, f.Admin, "n@y", entitlement.RoleLMSUser)) // the first write completes the index
	check("index completed")
	if n := cs.cost(func() { logins(f.Dist, entitlement.UserQuery{After: "n@y", Limit: 2}) }); n > 20 {
		t.Errorf("after the rebuild a page of 2 read %d records", n)
	}
	// Export and import rebuild the index: the imported ledger's index is the original's.
	var buf bytes.Buffer
	must[int](t)(l.Backup(ctx, &buf))
	s2 := entitlement.NewMemStore()
	t.Cleanup(func() { s2.Close() })
	must[int](t)(entitlement.Import(ctx, s2, &buf, nil))
	snap1 := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	snap2 := must[entitlement.Snapshot](t)(entitlement.New(s2, entitlement.Config{}).Snapshot(ctx))
	if d := cmp.Diff(snap1["userp"], snap2["userp"]); d != "" || len(snap1["userp"]) != 50 {
		t.Errorf("the imported user index (-original +imported), %d keys\n%s", len(snap1["userp"]), d)
	}
}
