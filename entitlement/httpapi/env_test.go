package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/signing"
	"github.com/lmskit/lmskit/swa"
)

var ctx = context.Background()

var nullValue = regexp.MustCompile(`[:\[,]\s*null\s*[,\]}]`)

// stepClock is a clock the test moves.
type stepClock struct{ t atomic.Int64 }

func (c *stepClock) Now() time.Time      { return time.Unix(c.t.Load(), 0).UTC() }
func (c *stepClock) add(d time.Duration) { c.t.Add(int64(d / time.Second)) }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a ledger served over loopback HTTP with a vendor administrator, a distributor with a
// dealer it holds the shipping allowance for, and an unrelated distributor, each with a token.
type env struct {
	t     *testing.T
	l     *entitlement.Ledger
	h     *httpapi.Handler
	srv   *httptest.Server
	key   *signing.PrivateKey
	clock *stepClock
	logs  *syncBuffer
	book  *swa.Book
	// tokens
	admin, dist, dealer, other string
}

func newEnv(t *testing.T, opts ...func(*httpapi.Options)) *env {
	t.Helper()
	key, err := signing.NewKeyFromSeed([]byte("httpapi test issuer key, fixed!!"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, key: key, clock: &stepClock{}, logs: &syncBuffer{}}
	e.clock.t.Store(time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC).Unix())
	s := entitlement.NewMemStore()
	t.Cleanup(func() { s.Close() })
	e.l = entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Rules: systems.GuideRules(), Clock: e.clock})
	admin := entitlement.Actor{User: "admin@vendor"}
	chk := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	chk(e.l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}))
	for _, p := range []entitlement.Partner{{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor},
		{ID: "dealery", Name: "Dealer Y", Kind: entitlement.KindDealer}, {ID: "distz", Name: "Distributor Z", Kind: entitlement.KindDistributor}} {
		chk(e.l.AddPartner(ctx, admin, p))
	}
	for _, u := range []entitlement.User{{ID: "ed@distx", Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser},
		{ID: "dealer@y", Name: "Dee", Partner: "dealery", Roles: entitlement.RoleLMSUser},
		{ID: "zed@distz", Name: "Zed", Partner: "distz", Roles: entitlement.RoleLMSUser}} {
		chk(e.l.AddUser(ctx, admin, u))
	}
	chk(e.l.SetAllowance(ctx, admin, "distx", "dealery", true))
	tok := func(user string) string {
		s, _, err := e.l.IssueToken(ctx, admin, entitlement.TokenRequest{User: user})
		chk(err)
		return s
	}
	e.admin, e.dist, e.dealer, e.other = tok("admin@vendor"), tok("ed@distx"), tok("dealer@y"), tok("zed@distz")
	e.book, err = swa.New(e.l, swa.Config{})
	chk(err)
	o := httpapi.Options{Ledger: e.l, SWA: e.book, Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), RateLimit: -1}
	for _, f := range opts {
		f(&o)
	}
	e.h, err = httpapi.New(o)
	chk(err)
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	body []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	// Decode into a zero value: a field the response leaves out must not keep an earlier value.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero()
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v\n%s", r.Request.URL.Path, err, r.body)
	}
}

func (r resp) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: content type %q, want a problem document (status %d)\n%s", r.Request.Method, r.Request.URL.Path, ct, r.StatusCode, r.body)
	}
	var p httpapi.Problem
	r.json(t, &p)
	if p.Status != r.StatusCode {
		t.Fatalf("problem status %d on a %d response", p.Status, r.StatusCode)
	}
	return p
}

// call sends a request: body is JSON-encoded unless it is []byte; hdr are name, value pairs.
func (e *env) call(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	// Lists are [] and absent values are left out: no response of the API holds a JSON null.
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && strings.HasSuffix(res.Header.Get("Content-Type"), "json") &&
		nullValue.Match(b) {
		e.t.Errorf("%s %s answers a null: %s", method, path, b)
	}
	return resp{res, b}
}

// want sends a request and fails unless it answers status; it decodes the JSON body into out.
func (e *env) want(status int, method, path, token string, body any, out any, hdr ...string) resp {
	e.t.Helper()
	r := e.call(method, path, token, body, hdr...)
	if r.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.StatusCode, status, r.body)
	}
	if out != nil {
		r.json(e.t, out)
	}
	return r
}

// sv8100 ships the guide's SV8100 order to distx and creates its customer and location.
func (e *env) sv8100(po, hwkc string) (httpapi.Shipment, httpapi.Location) {
	e.t.Helper()
	var sh httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: po, SO: "SO 1280677 - SV8100 lics",
		Lines: []httpapi.OrderLine{{Part: "BE107573", Quantity: 1}, {Part: "BE107582", Quantity: 5}, {Part: "BE107576", Quantity: 1}, {Part: "BE107585", Quantity: 20}}}, &sh)
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dist, httpapi.CustomerRequest{Name: "NEW CUSTOMER NAME", Address: "STREET AND NUMBER, TOWN OR VILLAGE"}, &cu)
	var loc httpapi.Location
	e.want(201, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "Location A", System: "SV8100", HWKC: hwkc}, &loc)
	return sh, loc
}

func allPicks(sh httpapi.Shipment) []httpapi.Pick {
	var p []httpapi.Pick
	for _, s := range sh.Lines {
		p = append(p, httpapi.Pick{Line: s.ID, Quantity: s.InBin})
	}
	return p
}

// sameNotFound sends a request for another partner's object and one for an unknown object with
// token, and fails unless both answer 404 with the same problem document once the ids (longest
// first) are blanked out, and the first names nothing of the other partner's beyond its path.
func (e *env) sameNotFound(token, method, theirs, unknown string, body any, ids ...string) {
	e.t.Helper()
	e.notFoundAlike(token, method, theirs, body, unknown, body, ids...)
}

// notFoundAlike is sameNotFound with a request body of each.
func (e *env) notFoundAlike(token, method, theirs string, theirBody any, unknown string, unknownBody any, ids ...string) {
	e.t.Helper()
	a := e.call(method, theirs, token, theirBody)
	b := e.call(method, unknown, token, unknownBody)
	if a.StatusCode != 404 || b.StatusCode != 404 {
		e.t.Fatalf("%s %s: %d, unknown %s: %d\n%s\n%s", method, theirs, a.StatusCode, unknown, b.StatusCode, a.body, b.body)
	}
	slices.SortFunc(ids, func(x, y string) int { return len(y) - len(x) })
	anon := func(r resp) string {
		s := string(r.body)
		for _, id := range ids {
			s = strings.ReplaceAll(s, id, "<id>")
		}
		return s
	}
	if anon(a) != anon(b) {
		e.t.Errorf("%s %s answers differently from an unknown one:\n%s\n%s", method, theirs, a.body, b.body)
	}
	for _, secret := range []string{"distx", "dealery", "Location A", "NEW CUSTOMER"} {
		if strings.Contains(string(a.body), secret) && !strings.Contains(theirs, secret) {
			e.t.Errorf("%s %s reveals %q: %s", method, theirs, secret, a.body)
		}
	}
}

// snapshot is the ledger's whole content, for checks that a refusal changed nothing.
func (e *env) snapshot() entitlement.Snapshot {
	e.t.Helper()
	s, err := e.l.Snapshot(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// conserved checks the ledger's conservation rule and its audit chain.
func (e *env) conserved() {
	e.t.Helper()
	if err := entitlement.CheckConservation(ctx, e.l.Store()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.l.VerifyAudit(ctx); err != nil {
		e.t.Fatal(err)
	}
}
