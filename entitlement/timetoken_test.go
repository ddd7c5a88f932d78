package entitlement_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// The whole exchange of a time token: a PBX boots with no plausible clock (a dead RTC reads 2000),
// so its time-limited grants wait; the partner brings the device's challenge to the license
// server, which answers with a token stating its time; the device applies it and runs again.
func TestIssueTimeToken_UnknownTimeBootRecovers(t *testing.T) {
	key, err := signing.NewKeyFromSeed([]byte("time token test issuer key, 32 b"))
	if err != nil {
		t.Fatal(err)
	}
	serverNow := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	f := storetest.NewFixture(t, entitlement.NewMemStore(), 41)
	l := entitlement.New(f.L.Store(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Clock: storetest.FixedClock{T: serverNow}})
	cust, err := l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Tons Business"})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "A", System: "SV8100", HWKC: "191000343919"})
	if err != nil {
		t.Fatal(err)
	}

	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	rtc := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	trial, err := license.Stack(license.Line{Part: "BE107585", Kind: license.Count, Qty: 8})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := license.OpenDevice(license.DeviceConfig{
		Host:     license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")},
		Keyring:  kr,
		State:    license.DirState(filepath.Join(t.TempDir(), "pbx")),
		Secret:   []byte("time token test firmware secret"),
		Clock:    func() time.Time { return rtc },
		TrialSet: trial,
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := dev.Grant().Hold(); h != license.HoldTimeUnknown {
		t.Fatalf("booted with the clock at 2000: hold %v, want time unknown", h)
	}
	ch, err := dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}

	// Refusals first, each changing nothing.
	snap, _ := l.Snapshot(ctx)
	for _, c := range []struct {
		name string
		a    entitlement.Actor
		req  entitlement.TimeTokenRequest
		want error
	}{
		{"another partner's location is not found", f.Other, entitlement.TimeTokenRequest{Challenge: ch.String()}, entitlement.ErrNotFound},
		{"a partner may not pull device time back", f.Dist, entitlement.TimeTokenRequest{Challenge: ch.String(), MaxSetBack: time.Hour, Reason: "glitch"}, entitlement.ErrNotAllowed},
		{"a partner may not re-arm the trial", f.Dist, entitlement.TimeTokenRequest{Challenge: ch.String(), RearmTrial: true, Reason: "again"}, entitlement.ErrNotAllowed},
		{"a set-back needs a reason", f.Admin, entitlement.TimeTokenRequest{Challenge: ch.String(), MaxSetBack: time.Hour}, entitlement.ErrInvalid},
		{"a set-back beyond the allowance", f.Admin, entitlement.TimeTokenRequest{Challenge: ch.String(), MaxSetBack: 500 * 24 * time.Hour, Reason: "far"}, entitlement.ErrInvalid},
		{"a negative set-back", f.Admin, entitlement.TimeTokenRequest{Challenge: ch.String(), MaxSetBack: -time.Hour, Reason: "x"}, entitlement.ErrInvalid},
		{"a damaged challenge", f.Dist, entitlement.TimeTokenRequest{Challenge: strings.Replace(ch.String(), "191000343919", "191000343918", 1)}, entitlement.ErrNotFound},
		{"not a challenge", f.Dist, entitlement.TimeTokenRequest{Challenge: "hello"}, entitlement.ErrInvalid},
	} {
		if _, err := l.IssueTimeToken(ctx, c.a, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if after, _ := l.Snapshot(ctx); !reflect.DeepEqual(snap, after) {
		t.Fatal("a refused time token request changed the ledger")
	}

	tok, err := l.IssueTimeToken(ctx, f.Dist, entitlement.TimeTokenRequest{Challenge: ch.String()})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Serial != "TT-1" || tok.Location != loc.ID {
		t.Fatalf("token %s for %s", tok.Serial, tok.Location)
	}
	r := lastAudit(t, l, f.Admin)
	if r.Op != "issue time token" || !reflect.DeepEqual(r.Refs, []string{"location:" + loc.ID, "time-token:TT-1"}) || len(r.Notes) != 1 {
		t.Fatalf("audit record %+v", r)
	}
	if err := dev.ApplyTimeToken(tok.Token); err != nil {
		t.Fatal(err)
	}
	if g := dev.Grant(); g.Hold() != license.HoldNone || !g.At().Equal(serverNow) {
		t.Fatalf("after the token: hold %v at device time %v, want none at %v", g.Hold(), g.At(), serverNow)
	}
	if err := dev.ApplyTimeToken(tok.Token); !errors.Is(err, license.ErrChallenge) {
		t.Fatalf("the same token again: %v", err)
	}

	// The license desk's token that may pull device time back carries its reason in the audit.
	ch2, err := dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := l.IssueTimeToken(ctx, f.Admin, entitlement.TimeTokenRequest{Challenge: ch2.String(), MaxSetBack: 30 * 24 * time.Hour, Reason: "RTC glitch, ticket 4711"})
	if err != nil {
		t.Fatal(err)
	}
	if r := lastAudit(t, l, f.Admin); tok2.Serial != "TT-2" || len(r.Notes) != 2 || r.Notes[1] != "reason: RTC glitch, ticket 4711" {
		t.Fatalf("desk token %s, audit notes %q", tok2.Serial, r.Notes)
	}
	if _, err := l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// Without an issuer that can sign time tokens the request is refused, changing nothing.
func TestIssueTimeToken_NeedsATimeTokenIssuer(t *testing.T) {
	f := storetest.NewFixture(t, entitlement.NewMemStore(), 42)
	cust, _ := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"})
	if _, err := f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: cust.ID, Name: "A", System: "SV8100", HWKC: "191000343919"}); err != nil {
		t.Fatal(err)
	}
	ch := license.TimeChallenge{Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	ch.Nonce[0] = 1
	if _, err := f.L.IssueTimeToken(ctx, f.Dist, entitlement.TimeTokenRequest{Challenge: ch.String()}); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("storetest's issuer signs no time tokens: %v", err)
	}
}
