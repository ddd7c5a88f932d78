package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/internal/httpx"
	"github.com/lmskit/lmskit/swa"
)

// Options configures a [Handler]. The zero value of every field but Ledger has a safe meaning.
type Options struct {
	// Ledger is the ledger served. Required.
	Ledger *entitlement.Ledger
	// SWA is the ledger's Software Assurance book (swa.New on Ledger), served under /v1/swa/ and
	// /v1/locations/{location}/swa. Nil means the server keeps no SWA book: those routes stay in
	// the API (and its OpenAPI document) and answer 404 with a problem document.
	SWA *swa.Book
	// Presales, when set, is the policy of the temporary (pre-sales) license book the handler
	// keeps on Ledger (presales.New), served under /v1/temporary-licenses/; GET
	// /v1/temporary-licenses/policy shows it (all but its ESN rule). Nil means the server takes no
	// applications: those routes answer 404 with a problem document.
	Presales *presales.Policy
	// DealReg, when set, is the policy of the deal-registration book the handler keeps on Ledger
	// (dealreg.New), served under /v1/deal-registrations/. Its Pipeline is the service's port to
	// the vendor's CRM (required: dealreg.New refuses a policy without one); a deployment without
	// one says so with a Pipeline that finds no deal in the pipeline. Nil means the server takes
	// no registrations: those routes answer 404.
	DealReg *dealreg.Policy
	// Logger receives one structured line per request (method, route, status, duration, acting
	// identity, request id) and the cause of every internal error; never a token, a secret or a
	// request body. Nil means slog.Default().
	Logger *slog.Logger
	// MaxBody caps a JSON request body; 0 means 1 MiB. MaxUpload caps the uploads (an external
	// product's license file, a DECT license table); 0 means 5 MiB.
	MaxBody, MaxUpload int64
	// Timeout bounds the work of one request (its context); 0 means 30 s.
	Timeout time.Duration
	// RateLimit is the sustained requests per second allowed per API token (or client
	// certificate user), with bursts of RateBurst; 0 means 50 per second with bursts of 100, a
	// negative value means no limit.
	RateLimit float64
	RateBurst int
	// IdempotencyTTL is how long an Idempotency-Key's response is kept; 0 means 24 hours.
	IdempotencyTTL time.Duration
	// ClientCertUser, when set, authenticates requests that present no bearer token by their
	// verified TLS client certificate (the server's tls.Config must request and verify client
	// certificates): it returns the ledger login the certificate maps to, or false. [CertEmailUser]
	// is the documented mapping. Nil means client certificates authenticate nobody.
	ClientCertUser func(cert *x509.Certificate) (login string, ok bool)
	// Observe, when set, is called after every request with what the metrics count (a service
	// can feed its own metrics library from it). The handler's own Prometheus-format metrics at
	// /metrics are kept either way.
	Observe func(Observation)
	// Ready reports whether the service can take requests (GET /readyz); nil means a read
	// transaction on the ledger's store succeeds.
	Ready func(ctx context.Context) error
	// Now is the rate limiter's clock; nil means time.Now. (The ledger has its own clock.)
	Now func() time.Time
}

// Observation is what one request did, for metrics hooks.
type Observation struct {
	Method    string        // HTTP method
	Route     string        // the route's pattern, e.g. "POST /v1/locations/{location}/attach"
	Operation string        // the OpenAPI operationId, e.g. "attachLines"; "" for no route
	Status    int           // HTTP status sent
	Duration  time.Duration // from the request's arrival to the response written
	Outcome   string        // "ok", "replayed", "refused" (4xx) or "error" (5xx)
	StoreErr  bool          // the ledger or its store failed (not a refusal)
}

// CertEmailUser is the documented mapping from a verified client certificate to a ledger user:
// the first e-mail address in its subject alternative names, else its subject common name. The
// login must be a user of the ledger; its roles decide what it may do, as for a token.
func CertEmailUser(cert *x509.Certificate) (string, bool) {
	if len(cert.EmailAddresses) > 0 {
		return cert.EmailAddresses[0], true
	}
	if cn := cert.Subject.CommonName; cn != "" {
		return cn, true
	}
	return "", false
}

// Handler serves the ledger's HTTP/JSON API: the routes under /v1/, /healthz, /readyz,
// /metrics and /openapi.json. Create it with [New]; it is safe for concurrent use.
type Handler struct {
	l        *entitlement.Ledger
	book     *swa.Book
	presales *presales.Book
	// presalesPolicy is the policy as GET /v1/temporary-licenses/policy shows it, taken at New.
	presalesPolicy PresalesPolicy
	deals          *dealreg.Book
	opts           Options
	log            *slog.Logger
	mux            *http.ServeMux
	routes         []*route
	limiter        *httpx.Limiter
	metrics        *httpx.Metrics
	// reqPrefix and reqSeq make the ids of requests that bring none: a random prefix per handler
	// and a counter, so that no request waits on the system's random source for its id.
	reqPrefix string
	reqSeq    atomic.Uint64
}

// New returns the handler of opts.Ledger.
func New(opts Options) (*Handler, error) {
	if opts.Ledger == nil {
		return nil, errors.New("httpapi: Options.Ledger is nil")
	}
	if opts.SWA != nil && opts.SWA.Ledger() != opts.Ledger {
		return nil, errors.New("httpapi: Options.SWA is the book of another ledger")
	}
	if opts.MaxBody == 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxUpload == 0 {
		opts.MaxUpload = 5 << 20
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.RateLimit == 0 {
		opts.RateLimit, opts.RateBurst = 50, 100
	}
	if opts.RateBurst == 0 {
		opts.RateBurst = max(1, int(opts.RateLimit*2))
	}
	if opts.IdempotencyTTL == 0 {
		opts.IdempotencyTTL = entitlement.DefaultIdempotencyTTL
	}
	h := &Handler{l: opts.Ledger, book: opts.SWA, opts: opts, log: opts.Logger, mux: http.NewServeMux(), metrics: httpx.NewMetrics(),
		limiter: &httpx.Limiter{Rate: opts.RateLimit, Burst: opts.RateBurst, Now: opts.Now}}
	if h.log == nil {
		h.log = slog.Default()
	}
	if opts.Presales != nil {
		b, err := presales.New(opts.Ledger, *opts.Presales)
		if err != nil {
			return nil, fmt.Errorf("httpapi: Options.Presales: %w", err)
		}
		h.presales, h.presalesPolicy = b, toPresalesPolicy(*opts.Presales)
	}
	if opts.DealReg != nil {
		policy := *opts.DealReg
		if policy.Pipeline != nil {
			policy.Pipeline = loggedPipeline{policy.Pipeline, h.log}
		}
		b, err := dealreg.New(opts.Ledger, policy)
		if err != nil {
			return nil, fmt.Errorf("httpapi: Options.DealReg: %w", err)
		}
		h.deals = b
	}
	h.metrics.Counter("lmskit_http_requests_total", "HTTP requests by route, method and status code.", "route", "code")
	h.metrics.Histogram("lmskit_http_request_duration_seconds", "HTTP request latency by route.", "route")
	h.metrics.Counter("lmskit_operations_total", "API operations by operationId and outcome (ok, replayed, refused, error).", "operation", "outcome")
	h.metrics.Counter("lmskit_store_errors_total", "Requests that failed in the ledger or its store (not refusals).")
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("httpapi: request id prefix: %w", err)
	}
	h.reqPrefix = hex.EncodeToString(rnd[:]) + "-"
	h.routes = h.allRoutes()
	byPath := map[string]map[string]*route{}
	var paths []string
	for _, rt := range h.routes {
		if byPath[rt.path] == nil {
			byPath[rt.path] = map[string]*route{}
			paths = append(paths, rt.path)
		}
		if byPath[rt.path][rt.method] != nil {
			return nil, fmt.Errorf("httpapi: route %s %s twice", rt.method, rt.path)
		}
		byPath[rt.path][rt.method] = rt
		rt.name = rt.method + " " + rt.path
	}
	for _, p := range paths {
		methods := byPath[p]
		h.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { h.dispatch(w, r, methods) })
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.finish(w, r, nil, time.Now(), "", problemReply(&apiError{status: 404, kind: "not-found", detail: "no such route: " + r.URL.Path}), false)
	})
	return h, nil
}

// loggedPipeline keeps the vendor's pipeline's errors in the log: a client learns only that the
// pipeline did not answer, never the CRM's addresses or messages.
type loggedPipeline struct {
	p   dealreg.Pipeline
	log *slog.Logger
}

func (lp loggedPipeline) InPipeline(ctx context.Context, r dealreg.Registration) (bool, error) {
	in, err := lp.p.InPipeline(ctx, r)
	if err != nil {
		lp.log.Error("httpapi: the deal registration pipeline failed", "registration", r.ID, "error", err.Error())
		return false, errors.New("its error is in the server's log")
	}
	return in, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// WriteMetrics writes the handler's metrics in the Prometheus text format, as GET /metrics
// serves them (a service may expose them elsewhere instead).
func (h *Handler) WriteMetrics(w io.Writer) (int64, error) { return h.metrics.WriteTo(w) }

// route is one operation of the API.
type route struct {
	method, path string // path in http.ServeMux syntax: /v1/locations/{location}
	name         string // "<method> <path>": the route in metrics and logs
	op           string // OpenAPI operationId
	summary      string
	tag          string
	public       bool   // no authentication
	in           any    // the JSON request body's type, nil for none
	optionalIn   bool   // the JSON request body may be left out (its zero value)
	upload       string // the raw request body's media type, for uploads
	out          any    // the JSON response type; nil with files set, or for 204
	files        bool   // the response is a file download
	raw          string // the media type of the response's raw form, which the request may ask for instead of JSON (Accept is then part of an idempotency key's fingerprint)
	status       int    // the success status
	query        []param
	list         bool // takes cursor and limit
	secret       bool // the response carries a secret: never kept with an idempotency key
	desc         string
	do           func(c *call) (reply, error)
}

type param struct {
	name, desc string
	enum       []string
}

// call is one request in progress.
type call struct {
	h     *Handler
	r     *http.Request
	ctx   context.Context
	actor entitlement.Actor
	body  []byte
	rt    *route
	// authed is set once the credential was taken (the ledger checks a token in each operation).
	authed bool
}

func (c *call) path(name string) string { return c.r.PathValue(name) }

// reply is a response before it is written.
type reply struct {
	status int
	ctype  string
	header map[string]string
	body   []byte
	keep   []byte // kept with an idempotency key instead of body (secret routes)
}

func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, methods map[string]*route) {
	m := r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	rt := methods[m]
	if rt == nil {
		var allow []string
		for k := range methods {
			allow = append(allow, k)
		}
		w.Header().Set("Allow", strings.Join(sortedStrings(allow), ", "))
		h.finish(w, r, nil, time.Now(), "", problemReply(&apiError{status: 405, kind: "method-not-allowed",
			detail: r.Method + " is not allowed on " + r.URL.Path}), false)
		return
	}
	h.serve(w, r, rt)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt *route) {
	start := time.Now()
	c := &call{h: h, r: r, rt: rt}
	rep, replayed, err := h.handle(c)
	if err != nil {
		rep = h.errorReply(c, err)
	}
	identity := ""
	if c.authed {
		identity = c.who().String()
	}
	h.finish(w, r, rt, start, identity, rep, replayed)
}

// handle authenticates, rate-limits and runs a request within its timeout; a panic is an
// internal error.
func (h *Handler) handle(c *call) (rep reply, replayed bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("httpapi: panic", "route", c.rt.name, "panic", fmt.Sprint(p))
			rep, replayed, err = reply{}, false, &apiError{status: 500, kind: "internal", detail: "internal error"}
		}
	}()
	ctx, cancel := context.WithTimeout(c.r.Context(), h.opts.Timeout)
	defer cancel()
	c.ctx = ctx
	if !c.rt.public {
		actx, a, key, aerr := h.authenticate(ctx, c.r)
		if aerr != nil {
			return reply{}, false, aerr
		}
		c.ctx, c.actor, c.authed = actx, a, true
		if ok, wait := h.limiter.Allow(key); !ok {
			err = &apiError{status: 429, kind: "rate-limited", detail: "too many requests for this token", retryAfter: wait}
		}
	}
	if err == nil {
		rep, replayed, err = c.run()
	}
	if err != nil && !c.rt.public {
		// A refusal that came before any ledger operation authenticated the token (a malformed
		// body, a bad page parameter) tells an unauthenticated caller only 401.
		if _, ok := entitlement.TokenActor(c.ctx); !ok && c.actor == (entitlement.Actor{}) && !isStatus(err, 401) {
			if aerr := c.authenticated(); aerr != nil {
				err = aerr
			}
		}
	}
	return rep, replayed, err
}

// run reads the body and runs the route, under an Idempotency-Key when the request has one.
func (c *call) run() (reply, bool, error) {
	if err := c.readBody(); err != nil {
		return reply{}, false, err
	}
	var rep reply
	var replayed bool
	var err error
	if key := c.r.Header.Values("Idempotency-Key"); len(key) > 0 && c.r.Method == http.MethodPost && !c.rt.public {
		if len(key) > 1 {
			return reply{}, false, &apiError{status: 400, kind: "malformed", detail: "more than one Idempotency-Key header", field: "Idempotency-Key"}
		}
		rep, replayed, err = c.idempotent(key[0])
	} else {
		rep, err = c.rt.do(c)
	}
	// A refused renewal gets its quote's reasons, read after the refused transaction ended.
	var qf *quoteFailed
	if errors.As(err, &qf) {
		err = c.explain(qf)
	}
	return rep, replayed, err
}

// readBody reads the capped request body and checks its media type.
func (c *call) readBody() error {
	limit := c.h.opts.MaxBody
	if c.rt.upload != "" {
		limit = c.h.opts.MaxUpload
	}
	if c.r.ContentLength > limit {
		return &apiError{status: 413, kind: "too-large", detail: fmt.Sprintf("request body over %d bytes", limit)}
	}
	var b []byte
	var err error
	if n := c.r.ContentLength; n >= 0 {
		// net/http ends the body at its declared length, which is within the limit.
		b = make([]byte, n)
		_, err = io.ReadFull(c.r.Body, b)
	} else {
		b, err = io.ReadAll(http.MaxBytesReader(nil, c.r.Body, limit))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{status: 413, kind: "too-large", detail: fmt.Sprintf("request body over %d bytes", limit)}
		}
		return &apiError{status: 400, kind: "malformed", detail: "reading the request body failed"}
	}
	c.body = b
	if len(b) == 0 {
		return nil
	}
	if c.rt.in == nil && c.rt.upload == "" {
		return &apiError{status: 400, kind: "malformed", detail: "this operation takes no request body"}
	}
	if c.rt.in != nil && !mediaIs(c.r.Header.Get("Content-Type"), "application/json") {
		return &apiError{status: 415, kind: "unsupported-media-type", detail: "send the request body as application/json"}
	}
	return nil
}

func isStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == status
}

func mediaIs(header, want string) bool {
	mt, _, _ := strings.Cut(header, ";")
	return strings.EqualFold(strings.TrimSpace(mt), want)
}

// authenticate takes the credential of a request. A bearer token goes into the context
// (entitlement.WithToken): each ledger operation authenticates it in its own transaction and acts
// as its actor, so a revoked token stops at once and authentication costs no transaction of its
// own. Without one, a verified client certificate maps to a user (checked here). It returns the
// rate limiter's key for the credential.
func (h *Handler) authenticate(ctx context.Context, r *http.Request) (context.Context, entitlement.Actor, string, error) {
	unauth := func(detail string) error {
		return &apiError{status: 401, kind: "unauthenticated", detail: detail}
	}
	if auths := r.Header.Values("Authorization"); len(auths) > 0 {
		if len(auths) > 1 {
			return ctx, entitlement.Actor{}, "", unauth("more than one Authorization header")
		}
		scheme, secret, ok := strings.Cut(auths[0], " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ctx, entitlement.Actor{}, "", unauth("use an Authorization: Bearer token")
		}
		secret = strings.TrimSpace(secret)
		id, ok := entitlement.ParseTokenID(secret)
		if !ok {
			return ctx, entitlement.Actor{}, "", unauth("invalid, revoked or expired token")
		}
		// The limiter's key is the secret's "lmsk_<id>" part, taken without an allocation (the
		// limiter keeps a copy of it, never the secret).
		return entitlement.WithToken(ctx, secret), entitlement.Actor{}, secret[:len("lmsk_")+len(id)], nil
	}
	if h.opts.ClientCertUser != nil && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		login, ok := h.opts.ClientCertUser(r.TLS.PeerCertificates[0])
		if !ok {
			return ctx, entitlement.Actor{}, "", unauth("the client certificate maps to no user")
		}
		a := entitlement.Actor{User: login}
		if _, _, err := h.l.Whoami(ctx, a); err != nil {
			if errors.Is(err, entitlement.ErrNotAllowed) {
				return ctx, entitlement.Actor{}, "", unauth("the client certificate's user is not a user of the ledger")
			}
			return ctx, entitlement.Actor{}, "", err
		}
		return ctx, a, "cert:" + login, nil
	}
	return ctx, entitlement.Actor{}, "", unauth("no credentials: send Authorization: Bearer <token>")
}

// who is the acting identity: the token's actor once an operation authenticated it, or the
// certificate's user.
func (c *call) who() entitlement.Actor {
	if a, ok := entitlement.TokenActor(c.ctx); ok {
		return a
	}
	return c.actor
}

// authenticated makes sure the credential is valid for a route that reads nothing of the ledger.
func (c *call) authenticated() error {
	_, _, err := c.h.l.Whoami(c.ctx, c.actor)
	return err
}

// idempotent runs the call under an Idempotency-Key, in the ledger's transaction.
func (c *call) idempotent(key string) (reply, bool, error) {
	if err := entitlement.CheckIdempotencyKey(key); err != nil {
		return reply{}, false, &apiError{status: 400, kind: "malformed", detail: err.Error(), field: "Idempotency-Key"}
	}
	fp := sha256.New()
	for _, part := range [...]string{c.r.Method, c.r.URL.Path, c.r.URL.RawQuery} {
		_, _ = io.WriteString(fp, part)
		_, _ = io.WriteString(fp, "\n")
	}
	if c.rt.raw != "" {
		for _, v := range c.r.Header.Values("Accept") {
			_, _ = io.WriteString(fp, v)
			_, _ = io.WriteString(fp, "\x00")
		}
		_, _ = io.WriteString(fp, "\n")
	}
	fp.Write(c.body)
	var live reply
	base := c.ctx
	defer func() { c.ctx = base }() // the joined transaction ends with Idempotent
	resp, replayed, err := c.h.l.Idempotent(c.ctx, c.actor, entitlement.IdempotencyKey{Key: key, Fingerprint: fp.Sum(nil),
		TTL: c.h.opts.IdempotencyTTL}, func(ctx context.Context) (entitlement.Response, error) {
		c.ctx = ctx
		rep, err := c.rt.do(c)
		if err != nil {
			return entitlement.Response{}, err
		}
		live = rep
		kept := rep.body
		if rep.keep != nil {
			kept = rep.keep
		} else if c.rt.secret {
			return entitlement.Response{}, errors.New("httpapi: a response with a secret has no form to keep")
		}
		hdr := map[string]string{"Content-Type": rep.ctype}
		for k, v := range rep.header {
			hdr[k] = v
		}
		return entitlement.Response{Status: rep.status, Header: hdr, Body: kept}, nil
	})
	if err != nil {
		return reply{}, false, err
	}
	if !replayed {
		return live, false, nil
	}
	rep := reply{status: resp.Status, body: resp.Body, header: map[string]string{"Idempotent-Replayed": "true"}}
	for k, v := range resp.Header {
		if k == "Content-Type" {
			rep.ctype = v
		} else {
			rep.header[k] = v
		}
	}
	return rep, true, nil
}

// Header values every response shares, set without allocating (net/http never changes them).
var (
	hdrNosniff = []string{"nosniff"}
	hdrNoStore = []string{"no-store"}
	ctypes     = map[string][]string{"application/json": {"application/json"}, "application/problem+json": {"application/problem+json"}}
)

// statusCodes are the status codes as metric labels, made once.
var statusCodes = func() (s [600]string) {
	for i := 100; i < len(s); i++ {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func statusLabel(code int) string {
	if code >= 100 && code < len(statusCodes) {
		return statusCodes[code]
	}
	return strconv.Itoa(code)
}

// finish writes the reply, logs and counts the request.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, rt *route, start time.Time, identity string, rep reply, replayed bool) {
	hdr := w.Header()
	for k, v := range rep.header {
		hdr.Set(k, v)
	}
	if rep.ctype != "" {
		if v, ok := ctypes[rep.ctype]; ok {
			hdr["Content-Type"] = v
		} else {
			hdr.Set("Content-Type", rep.ctype)
		}
	}
	hdr["X-Content-Type-Options"] = hdrNosniff
	hdr["Cache-Control"] = hdrNoStore
	reqID := r.Header.Get("X-Request-Id")
	if !safeRequestID(reqID) {
		reqID = h.reqPrefix + strconv.FormatUint(h.reqSeq.Add(1), 10)
	}
	hdr["X-Request-Id"] = []string{reqID}
	if rep.body != nil {
		hdr["Content-Length"] = []string{strconv.Itoa(len(rep.body))}
	}
	status := rep.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead && rep.body != nil {
		_, _ = w.Write(rep.body)
	}
	d := time.Since(start)
	routeName, op := "unmatched", ""
	if rt != nil {
		routeName, op = rt.name, rt.op
	}
	outcome := "ok"
	switch {
	case status >= 500:
		outcome = "error"
	case status >= 400:
		outcome = "refused"
	case replayed:
		outcome = "replayed"
	}
	storeErr := status >= 500 && status != 503
	h.metrics.Add("lmskit_http_requests_total", 1, routeName, statusLabel(status))
	h.metrics.Observe("lmskit_http_request_duration_seconds", d, routeName)
	if op != "" {
		h.metrics.Add("lmskit_operations_total", 1, op, outcome)
	}
	if storeErr {
		h.metrics.Add("lmskit_store_errors_total", 1)
	}
	if h.opts.Observe != nil {
		h.opts.Observe(Observation{Method: r.Method, Route: routeName, Operation: op, Status: status, Duration: d, Outcome: outcome, StoreErr: storeErr})
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !h.log.Enabled(r.Context(), level) {
		return
	}
	// Five attributes fit in a log record without an allocation: the method is logged only where
	// the route does not say it (HEAD, an unmatched request), replayed only when true.
	if rt == nil || r.Method != rt.method {
		h.log.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method), slog.String("route", routeName),
			slog.Int("status", status), slog.Duration("duration", d), slog.String("identity", identity), slog.String("request_id", reqID),
			slog.Bool("replayed", replayed))
		return
	}
	if replayed {
		h.log.LogAttrs(r.Context(), level, "request", slog.String("route", routeName), slog.Int("status", status), slog.Duration("duration", d),
			slog.String("identity", identity), slog.String("request_id", reqID), slog.Bool("replayed", true))
		return
	}
	h.log.LogAttrs(r.Context(), level, "request", slog.String("route", routeName), slog.Int("status", status), slog.Duration("duration", d),
		slog.String("identity", identity), slog.String("request_id", reqID))
}

func safeRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
