package lifecycle_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// TestDoc002_RevocationReachesTheDevice, end to end: a location's download (its permanent file and
// a fixed-term file) is installed on the PBX; the license desk revokes one permanent and one
// fixed-term entitlement; the PBX installs the new download and stops granting both, and the old
// files can no longer be installed.
func TestDoc002_RevocationReachesTheDevice(t *testing.T) {
	f := newFixture(t, nil)
	s := f.ship("PO-DEV", entitlement.OrderLine{Part: "BE107573", Qty: 1}, entitlement.OrderLine{Part: "BE107582", Qty: 5},
		entitlement.OrderLine{Part: "BE107585", Qty: 20, Type: license.TypeSubscription, NotAfter: t0.AddDate(1, 0, 0)})
	lines := must[[]entitlement.Line](t)(lifecycle.Pool(ctx, f.l, f.Dist, f.loc.ID, picksAll(s)))
	first := must[entitlement.Issued](t)(lifecycle.Activate(ctx, f.l, f.Dist, f.loc.ID, entitlement.Activation{AcceptAgreement: true}))

	now := t0.Add(time.Hour)
	dev := must[*license.Device](t)(license.OpenDevice(license.DeviceConfig{
		Host:    license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")},
		Keyring: keyring(t), State: license.DirState(filepath.Join(t.TempDir(), "license")),
		Secret: []byte("lifecycle device test secret, not real"), Clock: func() time.Time { return now },
		EarliestPlausible: now.Add(-time.Hour)}))
	install := func(d entitlement.Issued) {
		t.Helper()
		for _, signed := range must[[][]byte](t)(license.ReadSVIZipFiles(d.Data)) {
			ok(t, dev.Install(signed))
		}
	}
	install(first)
	g := dev.Grant()
	if g.Count("BE107573") != 1 || g.Count("BE107582") != 5 || g.Count("BE107585") != 20 {
		t.Fatalf("granted %v", g.Set())
	}
	skc := map[string]string{}
	for _, ln := range lines {
		skc[ln.Part] = ln.SKC
	}
	must[entitlement.Issued](t)(lifecycle.Revoke(ctx, f.l, f.Admin, f.loc.ID, []string{skc["BE107582"]}, "returned"))
	second := must[entitlement.Issued](t)(lifecycle.Revoke(ctx, f.l, f.Admin, f.loc.ID, []string{skc["BE107585"]}, "subscription cancelled"))
	install(second)
	g = dev.Grant()
	if g.Count("BE107573") != 1 || g.Count("BE107582") != 0 || g.Count("BE107585") != 0 {
		t.Fatalf("after the revocations the device grants %v", g.Set())
	}
	for _, signed := range must[[][]byte](t)(license.ReadSVIZipFiles(first.Data)) {
		if err := dev.Install(signed); !errors.Is(err, license.ErrSuperseded) {
			t.Fatalf("an old file installs again: %v", err)
		}
	}
}
