package entitlement_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

var issuerKey = func() *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed([]byte("entitlement test key, not secret"))
	if err != nil {
		panic(err)
	}
	return k
}()

func issuerKeyring(t testing.TB) *signing.Keyring {
	kr := signing.NewKeyring()
	if err := kr.Add(issuerKey.Public().KeyID().Bytes(), issuerKey.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	return kr
}

var t0 = time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)

func licenseLedger(t testing.TB, seed byte, rules map[string]entitlement.Rules) (*entitlement.Ledger, *storetest.Fixture) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: issuerKey}, Clock: storetest.FixedClock{T: t0},
		Rand: rand.NewChaCha8([32]byte{seed}), Rules: rules})
	return l, f
}

// TestLicenseIssuer_SV8100 issues the guide's example through package license and opens it as the
// PBX does: signature, binding, lines, activation code; regenerate gives the next serial.
func TestLicenseIssuer_SV8100(t *testing.T) {
	l, f := licenseLedger(t, 1, nil)
	shipped := shipSV8100(t, f, f.DistP, "PO123456")
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"}))
	att := must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)))
	file := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	if file.Name != "191000343919-svi.zip" {
		t.Fatalf("name %q", file.Name)
	}
	signed := must[[]byte](t)(license.ReadSVIZip(file.Data))
	if !bytes.Equal(signed, file.File) {
		t.Fatal("the zip does not hold the issued file")
	}
	lf := must[*license.File](t)(license.Open(signed, issuerKeyring(t)))
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	ok(t, lf.Check(host, t0.Add(time.Hour)))
	other := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "190400324412")}
	if err := lf.Check(other, t0); err == nil {
		t.Fatal("the file opens on another HWKC")
	}
	if lf.Term != license.Permanent || lf.Serial != loc.ID+".1" || len(lf.Lines) != 4 {
		t.Fatalf("file: term %v serial %q %d lines", lf.Term, lf.Serial, len(lf.Lines))
	}
	skcs := map[string]bool{}
	for _, ln := range lf.Lines {
		skcs[ln.SKC] = true
		if ln.PO != "PO123456" || !ln.Activated.Equal(t0) {
			t.Errorf("line %+v", ln)
		}
	}
	for _, a := range att {
		if !skcs[a.SKC] {
			t.Errorf("attached SKC %s not in the file", a.SKC)
		}
	}
	code := must[license.ActCode](t)(license.ParseActivationCode(file.ActivationCode))
	if !code.Matches(signed) {
		t.Fatal("activation code does not match the file")
	}
	re := must[entitlement.Issued](t)(l.Regenerate(ctx, f.Dist, loc.ID))
	rf := must[*license.File](t)(license.Open(re.File, issuerKeyring(t)))
	if rf.Serial != loc.ID+".2" || bytes.Equal(re.File, file.File) {
		t.Fatalf("regenerated serial %q", rf.Serial)
	}
	// The same ledger history gives the same bytes.
	l2, f2 := licenseLedger(t, 1, nil)
	s2 := shipSV8100(t, f2, f2.DistP, "PO123456")
	c2 := must[entitlement.Customer](t)(l2.CreateCustomer(ctx, f2.Dist, entitlement.Customer{Name: "c"}))
	loc2 := must[entitlement.Location](t)(l2.CreateLocation(ctx, f2.Dist, entitlement.Location{Customer: c2.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"}))
	must[[]entitlement.Line](t)(l2.Attach(ctx, f2.Dist, loc2.ID, picksAll(s2)))
	file2 := must[entitlement.Issued](t)(l2.Activate(ctx, f2.Dist, loc2.ID, entitlement.Activation{AcceptAgreement: true}))
	if !bytes.Equal(file2.Data, file.Data) {
		t.Fatal("the same history issued different bytes")
	}
}

// TestLicenseIssuer_Demo: a demo file carries the Demo term and ends DemoTerm after issue.
func TestLicenseIssuer_Demo(t *testing.T) {
	l, f := licenseLedger(t, 2, nil)
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "SIP@Net", System: "iS3000", HWKC: "aa0014SA2792883418AA"}))
	d := must[entitlement.Issued](t)(l.GenerateDemo(ctx, f.Dist, loc.ID))
	lf := must[*license.File](t)(license.Open(d.File, issuerKeyring(t)))
	if lf.Term != license.Demo || !lf.NotAfter.Equal(t0.Add(30*24*time.Hour)) || len(lf.Lines) != len(l.Catalog().DemoParts("iS3000")) {
		t.Fatalf("demo file: term %v until %v, %d lines", lf.Term, lf.NotAfter, len(lf.Lines))
	}
	host := license.Host{System: keycode.IS3000, Code: keycode.MustParse(keycode.IS3000, "aa0014SA2792883418AA")}
	ok(t, lf.Check(host, t0.Add(29*24*time.Hour)))
	if err := lf.Check(host, t0.Add(31*24*time.Hour)); err == nil {
		t.Fatal("demo file still valid after its term")
	}
}

// ipRule stands in for the SV9500 Standard Server rule of the next issue: it records the LAN1
// address as a location attribute, which the issuer binds into the file.
type ipRule struct{}

func (ipRule) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	loc.Attrs = append(loc.Attrs, entitlement.Attr{Name: entitlement.AttrIP, Value: "123.0.0.105"})
	return nil
}
func (ipRule) Attach(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}
func (ipRule) Activate(entitlement.RuleView, entitlement.Location, []entitlement.Line) error {
	return nil
}

func TestLicenseIssuer_BindsRuleAttributes(t *testing.T) {
	l, f := licenseLedger(t, 3, map[string]entitlement.Rules{"SV9500 Standard Server": ipRule{}})
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	code := "3565A9C3084267EF2E44A4736DI2"
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "SSM", System: "SV9500 Standard Server", HWKC: code}))
	shipped := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "SV9500 (SSM) Licenses", SO: "SV9500 (SSM) Licenses",
		Lines: []entitlement.OrderLine{{Part: "BE114234", Qty: 1}}}))
	must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)))
	file := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	lf := must[*license.File](t)(license.Open(file.File, issuerKeyring(t)))
	want := netip.MustParseAddr("123.0.0.105")
	if lf.Host.IP != want {
		t.Fatalf("file host IP %v, want %v", lf.Host.IP, want)
	}
	host := license.Host{System: keycode.SV9500, Code: keycode.MustParse(keycode.SV9500, code), IP: netip.MustParseAddr("10.0.0.1")}
	if err := lf.Check(host, t0); err == nil {
		t.Fatal("the file opens on another LAN1 address")
	}
	host.IP = want
	ok(t, lf.Check(host, t0))
}

// TestLicenseIssuer_RefusalIssuesNothing: when the file cannot be issued (here: an issuer without
// its key) the activation is refused and the ledger is unchanged: activation is all or nothing.
func TestLicenseIssuer_RefusalIssuesNothing(t *testing.T) {
	l, f := licenseLedger(t, 4, nil)
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "c"}))
	cat := l.Catalog()
	var part string
	for _, p := range cat.Parts() {
		if p.FitsSystem("IP DECT") {
			part = p.Number
			break
		}
	}
	loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "DECT", System: "IP DECT", HWKC: "1009FFFE"}))
	shipped := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "D", SO: "D", Lines: []entitlement.OrderLine{{Part: part, Qty: 1}}}))
	must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)))
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	broken := entitlement.New(l.Store(), entitlement.Config{Issuer: entitlement.LicenseIssuer{}, Clock: storetest.FixedClock{T: t0}})
	if _, err := broken.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("activation with an issuer that fails: %v", err)
	}
	after := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	if d := cmp.Diff(before, after); d != "" {
		t.Fatalf("a failed issue changed the ledger (-before +after):\n%s", d)
	}
}
