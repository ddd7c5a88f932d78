package presales_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/ledgertest"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

var ctx = context.Background()

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// issuerKey is a fixed test key; real keys never live in source.
var issuerKey = func() *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed([]byte("presales test key, not a secret!"))
	if err != nil {
		panic(err)
	}
	return k
}()

const (
	esn1 = "2102350DLF10H1000123"
	esn2 = "21023508849WCB000015"
)

// The policy's products: an access point with a template and self-service download, a controller
// without a template, a firewall with a template whose licenses the vendor distributes.
var products = []presales.Product{
	{ID: "AP", Name: "Enterprise AP", Parts: []presales.Part{{Part: "EN-AP-LIC", Name: "AP access license", Kind: entitlement.PartCount},
		{Part: "EN-AP-VPN", Name: "AP VPN", Kind: entitlement.PartFlag}},
		Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}, {Part: "EN-AP-VPN", Qty: 1}}, SelfService: true},
	{ID: "AC", Name: "Access controller", Parts: []presales.Part{{Part: "EN-AC-LIC", Name: "AC license", Kind: entitlement.PartCount}}, SelfService: true},
	{ID: "FW", Name: "Firewall", Parts: []presales.Part{{Part: "EN-FW-IPS", Name: "IPS", Kind: entitlement.PartFlag}},
		Template: []presales.Value{{Part: "EN-FW-IPS", Qty: 1}}},
}

type fixture struct {
	*storetest.Fixture
	l          *entitlement.Ledger
	b          *presales.Book
	pc, cm, rd entitlement.Actor // the vendor's project contact, channel manager, regional director
	customer   string
	events     ledgertest.Events
	t          testing.TB
}

func newFixture(t testing.TB, approvalFree int) *fixture {
	t.Helper()
	s := storetest.Retrying(entitlement.NewMemStore())
	f := &fixture{Fixture: storetest.NewFixture(t, s, 11), t: t,
		pc: entitlement.Actor{User: "pc@vendor"}, cm: entitlement.Actor{User: "cm@vendor"}, rd: entitlement.Actor{User: "rd@vendor"}}
	f.l = entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: storetest.FixedClock{T: t0},
		Rand: rand.NewChaCha8([32]byte{11}), Events: f.events.Add})
	f.L = f.l
	f.b = must[*presales.Book](t)(presales.New(f.l, presales.Policy{ApprovalFree: approvalFree, Products: products,
		ESN: func(c keycode.Code) error {
			if !strings.HasPrefix(c.String(), "21") {
				return errors.New("the vendor's ESNs start with 21")
			}
			return nil
		}}))
	for _, u := range []struct {
		a    entitlement.Actor
		role presales.Role
	}{{f.pc, presales.RoleProjectContact}, {f.cm, presales.RoleChannelManager}, {f.rd, presales.RoleRegionalDirector}} {
		ok(t, f.l.AddUser(ctx, f.Admin, entitlement.User{ID: u.a.User, Name: u.a.User, Partner: "vendor", Roles: entitlement.RoleLMSUser}))
		ok(t, f.b.SetRoles(ctx, f.Admin, u.a.User, u.role))
	}
	f.customer = must[entitlement.Customer](t)(f.l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Prospect Ltd"})).ID
	must[presales.Device](t)(f.b.AddDevice(ctx, f.Dist, esn1))
	return f
}

func (f *fixture) take() []entitlement.Event { return f.events.Take() }

// apTemplate is an application for the AP product with its template unchanged.
func apTemplate(esn string) presales.Request {
	return presales.Request{ESN: esn, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{{Product: "AP", UseTemplate: true,
		Values: []presales.Value{{Part: "EN-AP-VPN", Qty: 1}, {Part: "EN-AP-LIC", Qty: 8}}}}}
}

func (f *fixture) unchanged(want error, op func() error) error {
	f.t.Helper()
	return ledgertest.Unchanged(f.t, f.l, want, op)
}

func must[T any](t testing.TB) func(T, error) T { return ledgertest.Must[T](t) }

func ok(t testing.TB, err error) { t.Helper(); ledgertest.OK(t, err) }

// TestDoc000_ESNRules: an unknown ESN is added only when it passes the ESN rules (keycode's
// grammar, then the policy's narrowing); a known one is selected, not added again.
func TestDoc000_ESNRules(t *testing.T) {
	f := newFixture(t, 2)
	for name, tc := range map[string]struct {
		esn, want string
		err       error
	}{
		"grammar":        {"2102-350DLF10H", "letter or digit", entitlement.ErrInvalid},
		"too short":      {"2102350", "ESN", entitlement.ErrInvalid},
		"policy narrows": {"3302350DLF10H1000123", "start with 21", entitlement.ErrInvalid},
		"known":          {strings.ToLower(esn1), "is known: select it", entitlement.ErrExists},
	} {
		t.Run(name, func(t *testing.T) {
			err := f.unchanged(tc.err, func() error { _, err := f.b.AddDevice(ctx, f.Dist, tc.esn); return err })
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v does not say %q", err, tc.want)
			}
		})
	}
	d := must[presales.Device](t)(f.b.AddDevice(ctx, f.Dealer, " "+strings.ToLower(esn2)+" "))
	if d.ESN != esn2 || d.Applications != 0 || d.AddedBy != f.Dealer.User {
		t.Fatalf("added %+v", d)
	}
	if got := must[presales.Device](t)(f.b.Device(ctx, f.Other, esn2)); cmp.Diff(d, got) != "" {
		t.Fatalf("selected %+v", got)
	}
	if _, err := f.b.Device(ctx, f.Dist, "2199999999999999"); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("unknown ESN: %v", err)
	}
	f.unchanged(entitlement.ErrNotFound, func() error { _, err := f.b.Apply(ctx, f.Dist, apTemplate("2199999999999999")); return err })
}

// TestDoc000_ApprovalFreeBelowCount: with the template unchanged, applications skip approval
// while the ESN's application count is below the approval-free count; the next one needs approval.
func TestDoc000_ApprovalFreeBelowCount(t *testing.T) {
	f := newFixture(t, 2)
	for i := range 2 {
		app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
		if app.Status != presales.Issued || !app.ApprovalFree || app.Count != i || app.File == nil {
			t.Fatalf("application %d: %+v", i+1, app)
		}
	}
	third := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
	if third.Status != presales.Pending || third.ApprovalFree || third.Count != 2 {
		t.Fatalf("third application: %+v", third)
	}
	if d := must[presales.Device](t)(f.b.Device(ctx, f.Dist, esn1)); d.Applications != 3 {
		t.Fatalf("the ESN's count is %d", d.Applications)
	}
	// Another ESN has a count of its own.
	must[presales.Device](t)(f.b.AddDevice(ctx, f.Dist, esn2))
	if app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn2))); !app.ApprovalFree {
		t.Fatalf("the first application of another ESN: %+v", app)
	}
	// An approval-free count of 0: every application is approved.
	g := newFixture(t, 0)
	if app := must[presales.Application](t)(g.b.Apply(ctx, g.Dist, apTemplate(esn1))); app.Status != presales.Pending {
		t.Fatalf("approval-free count 0: %+v", app)
	}
}

// TestDoc000_TemplateRules: approval is skipped only with the template selected and its
// incremental values unchanged; a product without a template always needs approval.
func TestDoc000_TemplateRules(t *testing.T) {
	f := newFixture(t, 100)
	for name, req := range map[string]presales.Request{
		"value changed": {ESN: esn1, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{{Product: "AP", UseTemplate: true,
			Values: []presales.Value{{Part: "EN-AP-LIC", Qty: 9}, {Part: "EN-AP-VPN", Qty: 1}}}}},
		"value left out": {ESN: esn1, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{{Product: "AP", UseTemplate: true,
			Values: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}}}},
		"template not selected": {ESN: esn1, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{{Product: "AP",
			Values: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}, {Part: "EN-AP-VPN", Qty: 1}}}}},
		"no template": {ESN: esn1, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{{Product: "AC",
			Values: []presales.Value{{Part: "EN-AC-LIC", Qty: 1}}}}},
		"one product without template": {ESN: esn1, NoCustomer: true, Days: 30, Products: []presales.ProductRequest{
			apTemplate(esn1).Products[0], {Product: "AC", Values: []presales.Value{{Part: "EN-AC-LIC", Qty: 1}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, req))
			if app.Status != presales.Pending || app.ApprovalFree {
				t.Fatalf("skipped approval: %+v", app)
			}
		})
	}
	if app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1))); !app.ApprovalFree {
		t.Fatalf("the unchanged template (count %d of 100): %+v", app.Count, app)
	}
}

// TestDoc000_ApprovalByPolicyRoles: an application that needs approval is approved by the roles
// the policy names, in order (the project contact or the channel manager, then the regional
// director), each step by another approver; then the license is issued. A rejection ends it.
func TestDoc000_ApprovalByPolicyRoles(t *testing.T) {
	f := newFixture(t, 0)
	app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
	if ev := f.take(); len(ev) != 1 || ev[0].Kind != presales.EventApprovalNeeded || !strings.Contains(ev[0].Detail, "project contact or channel manager") {
		t.Fatalf("events %+v", ev)
	}
	for name, a := range map[string]entitlement.Actor{"regional director first": f.rd, "the applicant": f.Dist, "the administrator": f.Admin} {
		t.Run(name, func(t *testing.T) {
			f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Approve(ctx, a, app.Number, ""); return err })
		})
	}
	f.unchanged(entitlement.ErrNotFound, func() error { _, err := f.b.Approve(ctx, f.Other, app.Number, ""); return err })
	app = must[presales.Application](t)(f.b.Approve(ctx, f.cm, app.Number, "customer trial agreed"))
	if app.Status != presales.Pending || app.Step != 1 {
		t.Fatalf("after step 1: %+v", app)
	}
	// A user holding both roles still cannot approve both steps.
	ok(t, f.b.SetRoles(ctx, f.Admin, f.cm.User, presales.RoleChannelManager|presales.RoleRegionalDirector))
	f.unchanged(entitlement.ErrNotAllowed, func() error { _, err := f.b.Approve(ctx, f.cm, app.Number, ""); return err })
	f.take()
	app = must[presales.Application](t)(f.b.Approve(ctx, f.rd, app.Number, ""))
	if app.Status != presales.Issued || app.File == nil || len(app.Approvals) != 2 {
		t.Fatalf("after step 2: %+v", app)
	}
	if ev := f.take(); len(ev) != 1 || ev[0].Kind != presales.EventIssued || ev[0].HWKC != esn1 || !ev[0].Due.Equal(app.NotAfter) {
		t.Fatalf("events %+v", ev)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Approve(ctx, f.pc, app.Number, ""); return err })
	// A rejection.
	second := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
	f.unchanged(entitlement.ErrInvalid, func() error { _, err := f.b.Reject(ctx, f.pc, second.Number, ""); return err })
	second = must[presales.Application](t)(f.b.Reject(ctx, f.pc, second.Number, "no project behind it"))
	if second.Status != presales.Rejected || second.File != nil {
		t.Fatalf("rejected: %+v", second)
	}
	f.unchanged(entitlement.ErrState, func() error { _, err := f.b.Download(ctx, f.Dist, second.Number); return err })
	// The roles are the administrator's to grant, to vendor users only.
	f.unchanged(entitlement.ErrNotAllowed, func() error { return f.b.SetRoles(ctx, f.cm, f.pc.User, presales.RoleRegionalDirector) })
	f.unchanged(entitlement.ErrInvalid, func() error { return f.b.SetRoles(ctx, f.Admin, f.Dist.User, presales.RoleRegionalDirector) })
}

// TestDoc000_SelfServiceDownload: a product's policy switch decides who downloads its temporary
// licenses: with self-service the applicant, without it the vendor's staff only, and only after
// approval, whatever the template and the count.
func TestDoc000_SelfServiceDownload(t *testing.T) {
	f := newFixture(t, 5)
	app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
	if fl := must[entitlement.Issued](t)(f.b.Download(ctx, f.Dist, app.Number)); fl.Serial != 1 {
		t.Fatalf("self-service download: %v", fl)
	}
	fw := presales.Request{ESN: esn1, NoCustomer: true, Days: 60, Products: []presales.ProductRequest{{Product: "FW", UseTemplate: true,
		Values: []presales.Value{{Part: "EN-FW-IPS", Qty: 1}}}}}
	app = must[presales.Application](t)(f.b.Apply(ctx, f.Dist, fw))
	if app.Status != presales.Pending {
		t.Fatalf("a product without self-service skipped approval: %+v", app)
	}
	must[presales.Application](t)(f.b.Approve(ctx, f.pc, app.Number, ""))
	must[presales.Application](t)(f.b.Approve(ctx, f.rd, app.Number, ""))
	if _, err := f.b.Download(ctx, f.Dist, app.Number); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("the applicant downloads a vendor-distributed license: %v", err)
	}
	for _, a := range []entitlement.Actor{f.Admin, f.pc} {
		if _, err := f.b.Download(ctx, a, app.Number); err != nil {
			t.Fatalf("%s distributes: %v", a, err)
		}
	}
	if _, err := f.b.Download(ctx, f.Other, app.Number); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner: %v", err)
	}
}

// TestDoc000_ValidityAndESNBinding: the validity periods on offer are 30, 60, 90, 120 and 180
// days; an approved application issues a fixed-term file of type C ending that long after, bound
// to the ESN, which a device checks like any other code.
func TestDoc000_ValidityAndESNBinding(t *testing.T) {
	f := newFixture(t, 100)
	kr := signing.NewKeyring()
	ok(t, kr.Add(issuerKey.Public().KeyID().Bytes(), issuerKey.Public(), signing.Window{}))
	host := license.Host{System: keycode.ESN, Code: keycode.MustParse(keycode.ESN, esn1)}
	for _, days := range presales.Days {
		req := apTemplate(esn1)
		req.Days = days
		app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, req))
		file := must[*license.File](t)(license.Open(must[[]byte](t)(license.ReadSVIZip(app.File.Data)), kr))
		if file.Term != license.Temporary || file.Entitlement != "C" || !file.NotAfter.Equal(t0.AddDate(0, 0, days)) ||
			!app.NotAfter.Equal(file.NotAfter) || file.Host.System != keycode.ESN || file.Host.Code.String() != esn1 {
			t.Fatalf("%d days: file %+v", days, file)
		}
		ok(t, file.Check(host, t0.Add(time.Hour)))
		if err := file.Check(host, file.NotAfter); !errors.Is(err, license.ErrExpired) {
			t.Fatalf("%d days: at its end: %v", days, err)
		}
		other := license.Host{System: keycode.ESN, Code: keycode.MustParse(keycode.ESN, esn2)}
		if err := file.Check(other, t0); !errors.Is(err, license.ErrHostMismatch) {
			t.Fatalf("on another ESN: %v", err)
		}
		set := must[license.Set](t)(file.Set())
		if set.Count("EN-AP-LIC") != 8 || !set.Has("EN-AP-VPN") {
			t.Fatalf("lines %v", set)
		}
	}
	// A device known by its ESN installs the file like any other and grants it until its end.
	app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, apTemplate(esn1)))
	now := t0.Add(time.Hour)
	dev := must[*license.Device](t)(license.OpenDevice(license.DeviceConfig{Host: host, Keyring: kr,
		State: license.DirState(filepath.Join(t.TempDir(), "license")), Secret: []byte("presales device test secret, not real"),
		Clock: func() time.Time { return now }, EarliestPlausible: now.Add(-time.Hour)}))
	ok(t, dev.Install(must[[]byte](t)(license.ReadSVIZip(app.File.Data))))
	if g := dev.Grant(); g.Count("EN-AP-LIC") != 8 || g.Mode() != license.ModeTemporary {
		t.Fatalf("the device grants %v in mode %s", g.Set(), g.Mode())
	}
	now = app.NotAfter
	ok(t, dev.Tick())
	if g := dev.Grant(); g.Count("EN-AP-LIC") != 0 {
		t.Fatalf("after its end the device grants %v", g.Set())
	}
	for _, days := range []int{0, 1, 29, 31, 45, 181, 365, -30} {
		req := apTemplate(esn1)
		req.Days = days
		err := f.unchanged(entitlement.ErrInvalid, func() error { _, err := f.b.Apply(ctx, f.Dist, req); return err })
		if !strings.Contains(err.Error(), "30, 60, 90, 120 or 180") {
			t.Fatalf("%d days: %v", days, err)
		}
	}
}

// TestDoc000_NoRelatedCustomer: a customer of the applicant's partner, or "no related customer
// information", exactly one of them.
func TestDoc000_NoRelatedCustomer(t *testing.T) {
	f := newFixture(t, 5)
	req := apTemplate(esn1)
	req.NoCustomer, req.Customer = false, f.customer
	if app := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, req)); app.Customer != f.customer || app.NoCustomer {
		t.Fatalf("with a customer: %+v", app)
	}
	req.NoCustomer, req.Customer = true, ""
	must[presales.Application](t)(f.b.Apply(ctx, f.Dist, req))
	for name, tc := range map[string]struct {
		customer string
		none     bool
		want     error
	}{
		"neither":            {"", false, entitlement.ErrInvalid},
		"both":               {f.customer, true, entitlement.ErrInvalid},
		"another's customer": {f.customer, false, entitlement.ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			r := apTemplate(esn1)
			r.Customer, r.NoCustomer = tc.customer, tc.none
			a := f.Dist
			if name == "another's customer" {
				a = f.Dealer
			}
			f.unchanged(tc.want, func() error { _, err := f.b.Apply(ctx, a, r); return err })
		})
	}
}

// TestDoc000_HistoricalProcessNumber: a historical process number fills in a new application
// with what the old one held.
func TestDoc000_HistoricalProcessNumber(t *testing.T) {
	f := newFixture(t, 5)
	req := presales.Request{ESN: esn1, Customer: f.customer, Days: 90, Products: []presales.ProductRequest{
		{Product: "AC", Values: []presales.Value{{Part: "EN-AC-LIC", Qty: 16}}}}}
	old := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, req))
	got := must[presales.Request](t)(f.b.Prefill(ctx, f.Dist, old.Number))
	want := req
	want.From = old.Number
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("prefilled (-want +got):\n%s", d)
	}
	again := must[presales.Application](t)(f.b.Apply(ctx, f.Dist, got))
	if again.From != old.Number || again.Days != 90 {
		t.Fatalf("re-applied %+v", again)
	}
	if _, err := f.b.Prefill(ctx, f.Other, old.Number); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another partner's number: %v", err)
	}
	if _, err := f.b.Prefill(ctx, f.Dist, "TL-999"); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
	apps := must[[]presales.Application](t)(f.b.Applications(ctx, f.Dist, esn1))
	if len(apps) != 2 || apps[0].Number != old.Number {
		t.Fatalf("applications of the ESN %+v", apps)
	}
}

// TestNew_Policy: a policy that contradicts itself is refused.
func TestNew_Policy(t *testing.T) {
	f := newFixture(t, 1)
	for name, p := range map[string]presales.Policy{
		"negative count":    {ApprovalFree: -1},
		"no steps":          {Approval: []presales.Step{}},
		"step without role": {Approval: []presales.Step{{Name: "x"}}},
		"product twice":     {Products: []presales.Product{products[0], products[0]}},
		"template part":     {Products: []presales.Product{{ID: "X", Parts: products[1].Parts, Template: products[0].Template}}},
		"no parts":          {Products: []presales.Product{{ID: "X"}}},
		"two kinds":         {Products: []presales.Product{products[1], {ID: "Y", Parts: []presales.Part{{Part: "EN-AC-LIC", Kind: entitlement.PartFlag}}}}},
	} {
		if _, err := presales.New(f.l, p); !errors.Is(err, entitlement.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRandom_ApprovalFreeCountNeverExceeded: applications for a few ESNs from several goroutines
// at once; after every step, no ESN has more approval-free licenses than the policy allows, and the
// ESN's application count is its number of applications.
func TestRandom_ApprovalFreeCountNeverExceeded(t *testing.T) {
	const free = 3
	f := newFixture(t, free)
	esns := []string{esn1, esn2, "21AAAAAAAAAAAAAAAAAA"}
	for _, e := range esns[1:] {
		must[presales.Device](t)(f.b.AddDevice(ctx, f.Admin, e))
	}
	check := func() error {
		for _, e := range esns {
			// The count first: the applications read afterwards are at least as many.
			d, err := f.b.Device(ctx, f.Admin, e)
			if err != nil {
				return err
			}
			apps, err := f.b.Applications(ctx, f.Admin, e)
			if err != nil {
				return err
			}
			n := 0
			for _, a := range apps {
				if a.ApprovalFree {
					n++
				}
			}
			if n > free || d.Applications > len(apps) {
				return fmt.Errorf("ESN %s: %d approval-free of %d allowed, count %d for %d applications", e, n, free, d.Applications, len(apps))
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 6 {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 5))
			for range 12 {
				a := []entitlement.Actor{f.Dist, f.Dealer}[r.IntN(2)]
				if _, err := f.b.Apply(ctx, a, apTemplate(esns[r.IntN(len(esns))])); err != nil {
					errs <- err
					return
				}
				if err := check(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, e := range esns {
		if d := must[presales.Device](t)(f.b.Device(ctx, f.Admin, e)); d.Applications != len(must[[]presales.Application](t)(f.b.Applications(ctx, f.Admin, e))) {
			t.Errorf("ESN %s: count %d", e, d.Applications)
		}
		total += len(must[[]presales.Application](t)(f.b.Applications(ctx, f.Admin, e)))
		apps := must[[]presales.Application](t)(f.b.Applications(ctx, f.Admin, e))
		n := 0
		for _, a := range apps {
			if a.ApprovalFree {
				n++
			}
		}
		if want := min(len(apps), free); n != want {
			t.Errorf("ESN %s: %d approval-free, want %d of %d applications", e, n, want, len(apps))
		}
	}
	if total != 72 {
		t.Fatalf("%d applications", total)
	}
}
