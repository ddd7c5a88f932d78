package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// requestTypes are the bodies the handler decodes.
var requestTypes = []any{Partner{}, User{}, RolesRequest{}, TokenRequest{}, ImpersonationRequest{}, OrderRequest{},
	ReshipRequest{}, ReturnRequest{}, CustomerRequest{}, LocationRequest{}, LocationEdit{}, AttachRequest{}, DetachRequest{},
	ActivateRequest{}, LAN1IPRequest{}, ComputerNameRequest{}, HardwareRequest{},
	SWAReshipRequest{}, SWAAssignRequest{}, SWAReasonRequest{}, SWAEscalationRequest{}, SWARenewalQuoteRequest{}, SWARenewRequest{},
	SWAFreeOfChargeRequest{}, SWAActivateRequest{}}

// FuzzDecodeJSON: the strict decoder never panics, refuses with a malformed-request error only,
// and what it accepts re-encodes to JSON it decodes again to the same value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"C"}`, `{"picks":[{"line":1,"quantity":2}]}`, `{"accept_agreement":true,"skcs":["A"]}`,
		`{"partner":"d","po":"1","so":"1","lines":[{"part":"BE107585","quantity":3}],"expires_at":"2030-01-01T00:00:00Z"}`,
		`{"customer":"c","name":"n","system":"SV8100","hwkc":"191000343919","attributes":[{"name":"mac","value":"x"}]}`,
		`{"name": 7}`, `{"name":"x",}`, `{} {}`, `[]`, `null`, `{"roles":["admin"]}`, "\x00", `{"a":`, `{"name":"\ud800"}`,
		`{"choices":[{"product":"iS3000","months":12},{"end":"2014-12-31T00:00:00Z"}],"reference":"r","authorize_units":true}`,
		`{"customer":"c","locations":["a","b"],"end":"2018-03-01T00:00:00Z","months":0,"reference":"x","authorize_units":false}`,
		`{"accept_agreement":true,"assign":{"choices":[{"months":24}],"authorize_units":true}}`,
		`{"dealer_user":"d@y","po":"1","so":"2","picks":[{"shipment":1,"quantity":5}]}`, `{"reason":"r"}`, `{"note":"n"}`,
		`{"parts":["960026473134"],"accept_agreement":true}`, `{"start":"2016-01-15T09:00:00+01:00"}`} {
		for i := range requestTypes {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		typ := reflect.TypeOf(requestTypes[int(which)%len(requestTypes)])
		v := reflect.New(typ)
		err := decodeJSON(body, v.Interface())
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok || ae.status != 400 || ae.kind != "malformed" {
				t.Fatalf("decode error %T %v", err, err)
			}
			return
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatal(err)
		}
		w := reflect.New(typ)
		if err := decodeJSON(b, w.Interface()); err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if !reflect.DeepEqual(normalise(v.Elem().Interface()), normalise(w.Elem().Interface())) {
			t.Fatalf("round trip differs: %s", b)
		}
	})
}

// normalise makes nil and empty slices, and times in other zones, compare equal.
func normalise(v any) string {
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), "null", "[]")
}

// FuzzCursor: the page parameters never panic and a cursor this API made always decodes to its key.
func FuzzCursor(f *testing.F) {
	f.Add("Zm9v", "10")
	f.Add("", "")
	f.Add("***", "-1")
	f.Add(cursorOf("distx/dealery"), "1000")
	f.Fuzz(func(t *testing.T, cursor, limit string) {
		r := httptest.NewRequest("GET", "/v1/partners", nil)
		q := r.URL.Query()
		q.Set("cursor", cursor)
		q.Set("limit", limit)
		r.URL.RawQuery = q.Encode()
		c := &call{r: r}
		p, err := c.page()
		if err == nil && (p.limit < 1 || p.limit > maxPage) {
			t.Fatalf("limit %d accepted", p.limit)
		}
		if cursor != "" && len(cursor) < 2000 {
			c2 := &call{r: httptest.NewRequest("GET", "/v1/partners?cursor="+cursorOf(cursor), nil)}
			if p2, err := c2.page(); err != nil || p2.after != cursor {
				t.Fatalf("cursor of %q decodes to %q, %v", cursor, p2.after, err)
			}
		}
	})
}

// FuzzServePost drives whole requests through the handler: whatever the body, the answer is a
// response the API documents (never a 500), and a refused request changes nothing.
func FuzzServePost(f *testing.F) {
	l := newTestLedger(f)
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx(), entitlement.Partner{ID: "vendor", Name: "V"}, entitlement.User{ID: admin.User, Name: "A"}); err != nil {
		f.Fatal(err)
	}
	secret, _, err := l.IssueToken(ctx(), admin, entitlement.TokenRequest{User: admin.User})
	if err != nil {
		f.Fatal(err)
	}
	book, err := swa.New(l, swa.Config{})
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(Options{Ledger: l, SWA: book, RateLimit: -1, Logger: discard()})
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"/v1/partners", "/v1/users", "/v1/orders", "/v1/customers", "/v1/locations", "/v1/tokens", "/v1/returns", "/v1/reshipments",
		"/v1/swa/reshipments", "/v1/swa/renewal-quotes", "/v1/swa/renewals", "/v1/swa/settle", "/v1/swa/assignments/1/push",
		"/v1/swa/assignments/1/cancel", "/v1/swa/assignments/1/escalate", "/v1/locations/x/swa/assignments", "/v1/locations/x/swa/activate",
		"/v1/locations/x/swa/free-of-charge"}
	for i := range paths {
		f.Add(uint8(i), []byte(`{"id":"p","name":"P","kind":"dealer"}`))
		f.Add(uint8(i), []byte(`{"partner":"p","po":"1","so":"1","lines":[{"part":"BE107585","quantity":1}]}`))
		f.Add(uint8(i), []byte(`{"name":"C"}`))
		f.Add(uint8(i), []byte(`{"customer":"c","end":"2018-03-01T00:00:00Z","authorize_units":true}`))
		f.Add(uint8(i), []byte(`{"choices":[{"months":12}],"authorize_units":true}`))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, w.Code, w.Body)
		}
		if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("refusal without a problem document: %d", w.Code)
		}
	})
}
