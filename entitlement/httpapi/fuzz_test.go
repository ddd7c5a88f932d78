package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/swa"
)

// nothingInPipeline is a vendor pipeline that holds no deal.
type nothingInPipeline struct{}

func (nothingInPipeline) InPipeline(context.Context, dealreg.Registration) (bool, error) {
	return false, nil
}

// requestTypes are the bodies the handler decodes.
var requestTypes = []any{Partner{}, User{}, RolesRequest{}, TokenRequest{}, ImpersonationRequest{}, OrderRequest{},
	ReshipRequest{}, ReturnRequest{}, CustomerRequest{}, LocationRequest{}, LocationEdit{}, AttachRequest{}, DetachRequest{},
	ActivateRequest{}, LAN1IPRequest{}, ComputerNameRequest{}, HardwareRequest{},
	SWAReshipRequest{}, SWAAssignRequest{}, SWAReasonRequest{}, SWAEscalationRequest{}, SWARenewalQuoteRequest{}, SWARenewRequest{},
	SWAFreeOfChargeRequest{}, SWAActivateRequest{},
	AnnualFeeOrderRequest{}, CancelReadyRequest{}, RevokeRequest{}, CancelLinesRequest{}, LifecycleSweepRequest{}, ThirdPartyRequest{},
	ReasonRequest{}, TimeTokenRequest{}, DeviceRequest{}, TemporaryLicenseRequest{}, ApprovalRequest{}, PresalesRolesRequest{},
	DealRegistrationRequest{}, Deal{}, DealProfileRequest{}, DealRegRolesRequest{}, ExtendRequest{}, FeeTermRequest{}}

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
		`{"parts":["960026473134"],"accept_agreement":true}`, `{"start":"2016-01-15T09:00:00+01:00"}`,
		`{"partner":"d","po":"1","so":"1","lines":[{"part":"BE107585","quantity":20,"type":"S","not_after":"2014-03-28T00:00:00Z"}],"fee":{"model":"05","scenario":"01","rule":"01","months":12},"dates":{"po_signed":"2012-12-28T00:00:00Z"}}`,
		`{"quantity":3,"reason":"order cancelled"}`, `{"skcs":["A"],"reason":"returned"}`, `{"renewal_notice_days":10}`,
		`{"partner":"distx","po":"7","so":"7","product":"VM","part":"3P","quantity":1,"type":"L","not_after":"2014-01-01T00:00:00Z"}`,
		`{"challenge":"SV8100:191000343919:0123456789ABCDEF0123456789ABCDEF","max_set_back_seconds":3600,"rearm_trial":true,"reason":"r"}`,
		`{"esn":"2102350DLF10H1000123"}`, `{"esn":"2102350DLF10H1000123","no_customer":true,"days":30,"products":[{"product":"AP","use_template":true,"values":[{"part":"EN-AP-LIC","quantity":8}]}]}`,
		`{"roles":["project_contact","approver"]}`, `{"tier":"silver","regions":["EU"],"products":["SV9500"]}`, `{"valid_until":"2013-09-01T00:00:00Z"}`,
		`{"on_behalf_of":"dealery","deal":{"customer":"Acme","project":"Phones","budget":2500000,"currency":"EUR","products":["SV9500"],"decision_chain":["CIO"],"implementation":"2013-09-01T00:00:00Z","region":"EU"}}`} {
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
	h, err := New(Options{Ledger: l, SWA: book, RateLimit: -1, Logger: discard(), Presales: &presales.Policy{ApprovalFree: 1,
		Products: []presales.Product{{ID: "AP", Name: "AP", SelfService: true, Parts: []presales.Part{{Part: "EN-AP-LIC", Name: "AP", Kind: entitlement.PartCount}},
			Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}}}},
		DealReg: &dealreg.Policy{Pipeline: nothingInPipeline{}}})
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"/v1/partners", "/v1/users", "/v1/orders", "/v1/customers", "/v1/locations", "/v1/tokens", "/v1/returns", "/v1/reshipments",
		"/v1/swa/reshipments", "/v1/swa/renewal-quotes", "/v1/swa/renewals", "/v1/swa/settle", "/v1/swa/assignments/1/push",
		"/v1/swa/assignments/1/cancel", "/v1/swa/assignments/1/escalate", "/v1/locations/x/swa/assignments", "/v1/locations/x/swa/activate",
		"/v1/locations/x/swa/free-of-charge", "/v1/orders/annual-fee", "/v1/entitlements/1/cancel", "/v1/entitlements/sweep",
		"/v1/locations/x/delivery/pool", "/v1/locations/x/delivery/unpool", "/v1/locations/x/delivery/activate", "/v1/locations/x/delivery/revoke",
		"/v1/locations/x/delivery/cancel", "/v1/third-party-entitlements", "/v1/third-party-entitlements/3P-1/start-purchase",
		"/v1/third-party-entitlements/3P-1/reapply", "/v1/third-party-entitlements/3P-1/download", "/v1/time-tokens", "/v1/temporary-licenses/devices",
		"/v1/temporary-licenses/applications", "/v1/temporary-licenses/applications/TL-1/approve", "/v1/temporary-licenses/applications/TL-1/reject",
		"/v1/deal-registrations", "/v1/deal-registrations/DR-1/accept", "/v1/deal-registrations/DR-1/return", "/v1/deal-registrations/DR-1/extend",
		"/v1/deal-registrations/DR-1/price-application", "/v1/deal-registrations/sweep", "/v1/annual-fee-terms"}
	for i := range paths {
		f.Add(uint8(i), []byte(`{"id":"p","name":"P","kind":"dealer"}`))
		f.Add(uint8(i), []byte(`{"partner":"p","po":"1","so":"1","lines":[{"part":"BE107585","quantity":1}]}`))
		f.Add(uint8(i), []byte(`{"name":"C"}`))
		f.Add(uint8(i), []byte(`{"customer":"c","end":"2018-03-01T00:00:00Z","authorize_units":true}`))
		f.Add(uint8(i), []byte(`{"choices":[{"months":12}],"authorize_units":true}`))
		f.Add(uint8(i), []byte(`{"partner":"vendor","po":"1","so":"1","product":"P","part":"X","quantity":1}`))
		f.Add(uint8(i), []byte(`{"esn":"2102350DLF10H1000123","no_customer":true,"days":30,"products":[{"product":"AP","use_template":true,"values":[{"part":"EN-AP-LIC","quantity":8}]}]}`))
		f.Add(uint8(i), []byte(`{"challenge":"SV8100:191000343919:0123456789ABCDEF0123456789ABCDEF"}`))
		f.Add(uint8(i), []byte(`{"deal":{"customer":"Acme"}}`))
		f.Add(uint8(i), []byte(`{"reason":"r","quantity":1,"skcs":["A"]}`))
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

// refUniqueKeys is uniqueKeys written the slow, obvious way, for FuzzUniqueKeys to hold the fast
// one to: walk the tokens, fold every key, keep a set per object. It reports whether the body
// repeats a field (or nests too deep), and false for a body that is not JSON.
func refUniqueKeys(body []byte) (refused bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	var walk func(depth int) (bool, bool) // refused, ok
	walk = func(depth int) (bool, bool) {
		tok, err := d.Token()
		if err != nil {
			return false, false
		}
		delim, isDelim := tok.(json.Delim)
		if !isDelim {
			return false, true
		}
		if depth >= maxDepth {
			return true, true
		}
		seen := map[string]bool{}
		for d.More() {
			if delim == '{' {
				kt, err := d.Token()
				if err != nil {
					return false, false
				}
				q, _ := json.Marshal(kt.(string))
				f := foldedName(q)
				if seen[f] {
					return true, true
				}
				seen[f] = true
			}
			if refused, ok := walk(depth + 1); refused || !ok {
				return refused, ok
			}
		}
		if _, err := d.Token(); err != nil {
			return false, false
		}
		return false, true
	}
	refused, ok := walk(0)
	return refused && ok
}

// FuzzUniqueKeys: on every body that is one JSON value, the fast scanner refuses exactly what the
// slow walk refuses.
func FuzzUniqueKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"a":1},{"a":1}]}`, `{"a":1,"A":2}`, `{"sk":1,"s\u212a":2}`,
		`{"n\u0061me":1,"name":2}`, `{"a\"b":1,"a\"B":2}`, `[{"x":1},{"x":2}]`, `{"":1,"":2}`, `"{\"a\":1,\"a\":2}"`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"K3":3}`,
		strings.Repeat("[", 33) + strings.Repeat("]", 33), strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32), `{"\u00e9":1,"\u00c9":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := uniqueKeys(body)
		if !json.Valid(body) {
			return // either way: the decoder refuses it
		}
		if got, want := err != nil, refUniqueKeys(body); got != want {
			t.Fatalf("%q: uniqueKeys %v, the slow walk refuses: %v", body, err, want)
		}
	})
}

// FuzzSameName: two keys name one field for sameName exactly when encoding/json fills a field
// named by the one from the other.
func FuzzSameName(f *testing.F) {
	for _, p := range [][2]string{{"name", "NAME"}, {"skcs", "s\u212acs"}, {"a", "b"}, {"\u00e9", "\u00c9"}, {"ss", "\u017f\u017f"}, {"x", "x "}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == "" || a == "-" || !validTag(a) || !utf8.ValidString(a) || !utf8.ValidString(b) { // "-" leaves the field out
			return
		}
		qa, _ := json.Marshal(a)
		qb, _ := json.Marshal(b)
		typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeOf(0), Tag: reflect.StructTag(`json:"` + a + `"`)}})
		d := json.NewDecoder(bytes.NewReader(append(append([]byte("{"), qb...), ":1}"...)))
		d.DisallowUnknownFields()
		v := reflect.New(typ)
		jsonSame := d.Decode(v.Interface()) == nil && v.Elem().Field(0).Int() == 1
		if got := sameName(qa, qb); got != jsonSame {
			t.Fatalf("%q and %q: sameName %v, encoding/json fills one from the other: %v", a, b, got, jsonSame)
		}
	})
}

// validTag reports whether encoding/json takes s as a field name in a tag.
func validTag(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
