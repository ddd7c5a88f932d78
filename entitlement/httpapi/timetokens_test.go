package httpapi_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// device is an SV8100 that booted with its clock at 2000: its time-limited grants wait for a
// time token.
func (e *env) device(hwkc string) *license.Device {
	e.t.Helper()
	kr := signing.NewKeyring()
	if err := kr.Add(e.key.Public().KeyID().Bytes(), e.key.Public(), signing.Window{}); err != nil {
		e.t.Fatal(err)
	}
	trial, err := license.Stack(license.Line{Part: "BE107585", Kind: license.Count, Qty: 8})
	if err != nil {
		e.t.Fatal(err)
	}
	dev, err := license.OpenDevice(license.DeviceConfig{
		Host:     license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, hwkc)},
		Keyring:  kr,
		State:    license.DirState(filepath.Join(e.t.TempDir(), "pbx")),
		Secret:   []byte("httpapi time token firmware secret"),
		Clock:    func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) },
		TrialSet: trial,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if h := dev.Grant().Hold(); h != license.HoldTimeUnknown {
		e.t.Fatalf("hold %v, want time unknown", h)
	}
	return dev
}

// TestTimeTokenOverHTTP: a partner brings its device's challenge and gets a token the device
// applies, as JSON or as the token's own bytes; a retry with its key gets the same token;
// another partner's device is not found like an unknown one; a malformed challenge names where.
func TestTimeTokenOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.location(e.dist, "191000343919")
	dev := e.device("191000343919")
	ch, err := dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}
	req := httpapi.TimeTokenRequest{Challenge: ch.String()}
	// Refusals first.
	e.want(403, "POST", "/v1/time-tokens", e.dist, httpapi.TimeTokenRequest{Challenge: ch.String(), MaxSetBackSeconds: 3600, Reason: "glitch"}, nil)
	e.want(403, "POST", "/v1/time-tokens", e.dist, httpapi.TimeTokenRequest{Challenge: ch.String(), RearmTrial: true, Reason: "again"}, nil)
	e.want(422, "POST", "/v1/time-tokens", e.admin, httpapi.TimeTokenRequest{Challenge: ch.String(), MaxSetBackSeconds: 3600}, nil)
	e.want(422, "POST", "/v1/time-tokens", e.admin, httpapi.TimeTokenRequest{Challenge: ch.String(), MaxSetBackSeconds: 1 << 62, Reason: "far"}, nil)
	other := strings.Replace(ch.String(), "191000343919", "191000343918", 1)
	e.notFoundAlike(e.other, "POST", "/v1/time-tokens", req, "/v1/time-tokens", httpapi.TimeTokenRequest{Challenge: other}, "191000343919", "191000343918")
	r := e.want(422, "POST", "/v1/time-tokens", e.dist, httpapi.TimeTokenRequest{Challenge: ch.String()[:len(ch.String())-2]}, nil)
	if p := r.problem(t); p.Field != "challenge" || p.Position == nil || *p.Position != strings.LastIndex(ch.String(), ":")+1 {
		t.Fatalf("a short nonce: %+v", p)
	}
	if p := e.want(422, "POST", "/v1/time-tokens", e.dist, httpapi.TimeTokenRequest{Challenge: "no colon"}, nil).problem(t); p.Field != "challenge" || p.Position != nil {
		t.Fatalf("no colon: %+v", p)
	}
	e.want(400, "POST", "/v1/time-tokens?format=pem", e.dist, req, nil)

	// JSON, retried with its key: one token.
	var tt httpapi.TimeToken
	first := e.want(200, "POST", "/v1/time-tokens", e.dist, req, &tt, "Idempotency-Key", "tt-1")
	if again := e.want(200, "POST", "/v1/time-tokens", e.dist, req, nil, "Idempotency-Key", "tt-1"); !bytes.Equal(again.body, first.body) {
		t.Fatal("a retried time token request answers another token")
	}
	if tt.Serial != "TT-1" || tt.MediaType != license.TimeTokenContentType || len(tt.Token) == 0 {
		t.Fatalf("token %+v", tt)
	}
	// The same key asking for the other form is another request.
	e.want(422, "POST", "/v1/time-tokens", e.dist, req, nil, "Idempotency-Key", "tt-1", "Accept", license.TimeTokenContentType)
	if err := dev.ApplyTimeToken(tt.Token); err != nil {
		t.Fatal(err)
	}
	if h := dev.Grant().Hold(); h == license.HoldTimeUnknown {
		t.Fatal("the device still waits for its time")
	}

	// The raw form, by Accept or format=cbor.
	for _, c := range []struct {
		query string
		hdr   []string
	}{{"", []string{"Accept", license.TimeTokenContentType}}, {"?format=cbor", nil}, {"", []string{"Accept", "text/html, " + license.TimeTokenContentType + ";q=0.9"}}} {
		ch, err := dev.TimeChallenge()
		if err != nil {
			t.Fatal(err)
		}
		raw := e.want(200, "POST", "/v1/time-tokens"+c.query, e.dist, httpapi.TimeTokenRequest{Challenge: ch.String()}, nil, c.hdr...)
		if raw.Header.Get("Content-Type") != license.TimeTokenContentType || !strings.HasPrefix(raw.Header.Get("Content-Disposition"), "attachment; filename=TT-") {
			t.Fatalf("%+v: %q", c, raw.Header)
		}
		if err := dev.ApplyTimeToken(raw.body); err != nil {
			t.Fatal(err)
		}
	}
	// Accept naming JSON first keeps JSON.
	ch, _ = dev.TimeChallenge()
	js := e.want(200, "POST", "/v1/time-tokens", e.dist, httpapi.TimeTokenRequest{Challenge: ch.String()}, &tt, "Accept", "application/json, "+license.TimeTokenContentType)
	if js.Header.Get("Content-Type") != "application/json" || tt.Serial != "TT-5" {
		t.Fatalf("%q %+v", js.Header.Get("Content-Type"), tt)
	}
	e.conserved()
}
