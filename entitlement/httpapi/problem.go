package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/swa"
)

// ProblemType returns the stable problem type URI of a problem kind ("not-found" →
// "urn:lmskit:problem:not-found"). The kinds are listed in the package documentation.
func ProblemType(kind string) string { return "urn:lmskit:problem:" + kind }

// apiError is a refusal the handler itself makes, or a mapped ledger error.
type apiError struct {
	status     int
	kind       string
	detail     string
	field      string
	position   *int
	want       string
	suggest    string
	code       string
	advice     string
	retryAfter time.Duration
	reasons    []QuoteReason
	missing    []string
	move       *moveRefusal
}

// moveRefusal is what a refused delivery status move carries to the client.
type moveRefusal struct {
	entitlement, status, move string
	allowed                   []string
}

func (e *apiError) Error() string { return "httpapi: " + e.detail }

// sentinels maps every sentinel error of the ledger and of the SWA book to its status and problem
// kind, in the order they are tried.
var sentinels = []struct {
	err    error
	status int
	kind   string
	title  string
}{
	{swa.ErrQuote, 422, "quote-failed", "Renewal quote failed"},
	{swa.ErrUnauthorized, 422, "units-not-authorized", "SWA units not authorized"},
	{swa.ErrNoTerms, 409, "swa-no-terms", "No SWA product terms"},
	{swa.ErrTerms, 500, "swa-terms-invalid", "SWA product terms invalid"},
	{dealreg.ErrTooEarly, 409, "too-early", "Price application too early"},
	{entitlement.ErrAuth, 401, "unauthenticated", "Not authenticated"},
	{entitlement.ErrNotAllowed, 403, "not-allowed", "Not allowed"},
	{entitlement.ErrNotFound, 404, "not-found", "Not found"},
	{entitlement.ErrExists, 409, "exists", "Already exists"},
	{entitlement.ErrKeyReused, 422, "idempotency-key-reused", "Idempotency key reused for another request"},
	{entitlement.ErrAgreement, 422, "agreement-not-accepted", "License agreement not accepted"},
	{entitlement.ErrQuantity, 409, "quantity-unavailable", "Quantity not available"},
	{entitlement.ErrNoDemo, 409, "no-demo", "No demo license available"},
	{entitlement.ErrState, 409, "state", "Wrong state"},
	{entitlement.ErrRule, 422, "rule", "Refused by a system rule"},
	{entitlement.ErrInvalid, 422, "invalid", "Invalid request"},
}

// titles of the handler's own kinds.
var titles = map[string]string{
	"malformed":              "Malformed request",
	"too-large":              "Request body too large",
	"unsupported-media-type": "Unsupported media type",
	"not-acceptable":         "Not acceptable",
	"method-not-allowed":     "Method not allowed",
	"rate-limited":           "Too many requests",
	"timeout":                "Request timed out",
	"unavailable":            "Service unavailable",
	"internal":               "Internal error",
}

// errorReply maps an error to a problem document, in one place: the handler's own refusals, the
// ledger's sentinels with the data of its typed errors, and anything else as an internal error
// whose cause is logged, never sent.
func (h *Handler) errorReply(c *call, err error) reply {
	var ae *apiError
	if errors.As(err, &ae) {
		return problemReply(ae)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			ae = &apiError{status: s.status, kind: s.kind, detail: err.Error()}
			if s.status == 401 {
				ae.detail = "invalid, revoked or expired token"
			}
			var pe *keycode.ParseError
			if errors.As(err, &pe) {
				pos := pe.Offset
				ae.position, ae.want = &pos, pe.Want
				if pe.Suggest != 0 {
					ae.suggest = string(pe.Suggest)
				}
				ae.field = c.codeField(pe.Input)
			}
			var de *systems.DECTError
			if errors.As(err, &de) {
				ae.code, ae.advice = string(de.Code), de.Code.Advice()
			}
			var me *lifecycle.MoveError
			if errors.As(err, &me) {
				ae.move = &moveRefusal{entitlement: me.Entitlement, status: statusName(me.From), move: moveNames[me.Move],
					allowed: mapSlice(me.Allowed, func(m lifecycle.Move) string { return moveNames[m] })}
			}
			var ie *dealreg.IncompleteError
			if errors.As(err, &ie) {
				ae.missing = mapSlice(ie.Missing, dealField)
			}
			switch s.err {
			case swa.ErrUnauthorized:
				ae.field = "authorize_units"
			case swa.ErrTerms:
				// The server's terms table, not the request: logged in full, answered in brief.
				h.log.Error("httpapi: SWA product terms", "route", c.rt.name, "error", err.Error())
				ae.detail = "the server's SWA product terms table is invalid (logged)"
			}
			return problemReply(ae)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return problemReply(&apiError{status: 503, kind: "timeout", detail: "the request did not finish in time", retryAfter: time.Second})
	}
	if errors.Is(err, context.Canceled) {
		return problemReply(&apiError{status: 503, kind: "timeout", detail: "the request was cancelled"})
	}
	h.log.Error("httpapi: internal error", "route", c.rt.name, "error", err.Error())
	return problemReply(&apiError{status: 500, kind: "internal", detail: "internal error (logged)"})
}

// codeField names the request field that held a hardware key code the ledger refused.
func (c *call) codeField(input string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.body, &m) != nil {
		return ""
	}
	for _, f := range []string{"hwkc", "secondary_hwkc"} {
		var v string
		if json.Unmarshal(m[f], &v) == nil && v != "" && (v == input || len(input) > 0 && trimmed(v) == input) {
			return f
		}
	}
	return ""
}

func trimmed(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// dealFields names the request fields of the information a deal registration lacks, as
// dealreg.IncompleteError words them; anything else is passed on as it is worded.
var dealFields = map[string]string{"customer name": "deal.customer", "project name": "deal.project",
	"budget (an amount and its currency code)": "deal.budget", "products or solutions": "deal.products",
	"decision-making chain": "deal.decision_chain", "implementation time": "deal.implementation", "region": "deal.region"}

func dealField(missing string) string {
	if f, ok := dealFields[missing]; ok {
		return f
	}
	return missing
}

func problemReply(e *apiError) reply {
	title := titles[e.kind]
	for _, s := range sentinels {
		if s.kind == e.kind {
			title = s.title
		}
	}
	if title == "" {
		title = http.StatusText(e.status)
	}
	p := Problem{Type: ProblemType(e.kind), Title: title, Status: e.status, Detail: e.detail, Field: e.field,
		Position: e.position, Want: e.want, Suggest: e.suggest, Code: e.code, Advice: e.advice, Reasons: e.reasons, Missing: e.missing}
	if m := e.move; m != nil {
		p.Entitlement, p.DeliveryStatus, p.Move, p.AllowedMoves = m.entitlement, m.status, m.move, nonNil(m.allowed)
	}
	b, _ := marshal(p)
	rep := reply{status: e.status, ctype: "application/problem+json", body: b}
	if e.retryAfter > 0 {
		rep.header = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds())))}
	}
	if e.status == 401 {
		rep.header = map[string]string{"WWW-Authenticate": `Bearer realm="lmskit", error="invalid_token"`}
	}
	return rep
}
