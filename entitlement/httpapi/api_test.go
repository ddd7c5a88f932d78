package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// TestGuide_SV8100OverHTTP walks the guide's "LMS License handling procedure" over HTTP: ship,
// create customer and location, attach, activate, download the <HWKC>-svi.zip and the armored
// file, open it as the PBX does, then the Tools page's lookups, a demo file and the audit log.
func TestGuide_SV8100OverHTTP(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO123456 -SV8100", "191000343919")
	if len(sh.Lines) != 4 || loc.HWKC != "191000343919" || loc.DemosLeft != 2 || loc.Verticals == nil || loc.Attributes == nil {
		t.Fatalf("shipment %+v location %+v", sh, loc)
	}
	var bin struct{ Items []httpapi.ShippedLine }
	e.want(200, "GET", "/v1/bin", e.dist, nil, &bin)
	if len(bin.Items) != 4 {
		t.Fatalf("bin %+v", bin)
	}
	var att httpapi.Lines
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, &att)
	if len(att.Lines) != 4 || att.Lines[0].State != "attached" || att.Lines[0].ActivatedAt != nil {
		t.Fatalf("attached %+v", att)
	}
	// The agreement must be accepted.
	r := e.want(422, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, httpapi.ActivateRequest{}, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:agreement-not-accepted" {
		t.Fatalf("problem %+v", p)
	}
	var fi httpapi.FileInfo
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, &fi)
	if fi.Name != "191000343919-svi.zip" || fi.Serial != 1 || fi.Download != "/v1/locations/"+loc.ID+"/file" || fi.Warnings == nil {
		t.Fatalf("file %+v", fi)
	}
	dl := e.want(200, "GET", fi.Download, e.dist, nil, nil)
	if ct, cd := dl.Header.Get("Content-Type"), dl.Header.Get("Content-Disposition"); ct != "application/zip" || cd != `attachment; filename=191000343919-svi.zip` {
		t.Fatalf("download %q %q", ct, cd)
	}
	signed, err := license.ReadSVIZip(dl.body)
	if err != nil {
		t.Fatal(err)
	}
	kr := signing.NewKeyring()
	if err := kr.Add(e.key.Public().KeyID().Bytes(), e.key.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	f, err := license.Open(signed, kr)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	arm := e.want(200, "GET", fi.Download+"?format=armored", e.dist, nil, nil)
	if !strings.HasPrefix(string(arm.body), "-----BEGIN LMSKIT LICENSE-----") || !strings.HasPrefix(arm.Header.Get("Content-Type"), "text/plain") ||
		arm.Header.Get("Content-Disposition") != "attachment; filename=191000343919-svi.txt" {
		t.Fatalf("armored: %q %s", arm.Header, arm.body)
	}
	if back, err := license.Dearmor(arm.body); err != nil || !bytes.Equal(back, signed) {
		t.Fatalf("armored file is not the signed file: %v", err)
	}
	if txt := e.want(200, "GET", fi.Download, e.dist, nil, nil, "Accept", "text/plain"); !bytes.Equal(txt.body, arm.body) {
		t.Fatal("Accept: text/plain did not give the armored file")
	}
	// Lookups.
	var view httpapi.LocationView
	e.want(200, "GET", "/v1/lookups/hwkc/191000343919", e.dist, nil, &view)
	if view.ID != loc.ID || len(view.ActivatedLines) != 4 || view.AttachedLines == nil || view.File == nil || view.File.Serial != 1 {
		t.Fatalf("hwkc lookup %+v", view)
	}
	var skc httpapi.SKCLookup
	e.want(200, "GET", "/v1/lookups/skc/"+att.Lines[0].SKC, e.dist, nil, &skc)
	if skc.Line.State != "activated" || skc.Location.ID != loc.ID || skc.Line.ActivatedAt == nil {
		t.Fatalf("skc lookup %+v", skc)
	}
	var od httpapi.OrderDetails
	e.want(200, "GET", "/v1/lookups/orders/"+url.PathEscape("PO123456 -SV8100"), e.dist, nil, &od)
	if len(od.Shipped) != 4 || len(od.Lines) != 4 {
		t.Fatalf("order lookup %+v", od)
	}
	var recent struct{ Items []httpapi.Line }
	e.want(200, "GET", "/v1/lines/recently-activated", e.dist, nil, &recent)
	if len(recent.Items) != 4 {
		t.Fatalf("recent %+v", recent)
	}
	// Regenerate, demo file.
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/regenerate", e.dist, nil, &fi)
	if fi.Serial != 2 {
		t.Fatalf("regenerated %+v", fi)
	}
	var demo httpapi.FileInfo
	dr := e.want(201, "POST", "/v1/locations/"+loc.ID+"/demo-files", e.dist, nil, &demo)
	if !demo.Demo || demo.NotAfter == nil || dr.Header.Get("Location") != demo.Download {
		t.Fatalf("demo %+v %q", demo, dr.Header.Get("Location"))
	}
	dd := e.want(200, "GET", demo.Download, e.dist, nil, nil)
	if _, err := license.ReadSVIZip(dd.body); err != nil {
		t.Fatal(err)
	}
	var demos struct{ Items []httpapi.FileInfo }
	e.want(200, "GET", "/v1/locations/"+loc.ID+"/demo-files", e.dist, nil, &demos)
	if len(demos.Items) != 1 {
		t.Fatalf("demos %+v", demos)
	}
	// The audit log and the integrity check are the administrator's.
	var audit struct {
		Items      []httpapi.AuditRecord
		NextCursor string `json:"next_cursor"`
	}
	e.want(200, "GET", "/v1/audit?limit=5", e.admin, nil, &audit)
	if len(audit.Items) != 5 || audit.NextCursor == "" || audit.Items[0].Seq != 1 || audit.Items[1].PrevHash != audit.Items[0].Hash {
		t.Fatalf("audit page %+v", audit)
	}
	e.want(403, "GET", "/v1/audit", e.dist, nil, nil)
	var integ httpapi.Integrity
	e.want(200, "GET", "/v1/audit/integrity", e.admin, nil, &integ)
	if !integ.Conserved || integ.AuditRecords < 15 {
		t.Fatalf("integrity %+v", integ)
	}
}

// TestAuthentication: every /v1/ route answers 401 with a problem document without a valid token.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	revoked, tok, err := e.l.IssueToken(ctx, entitlement.Actor{User: "admin@vendor"}, entitlement.TokenRequest{User: "ed@distx"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l.RevokeToken(ctx, entitlement.Actor{User: "admin@vendor"}, tok.ID); err != nil {
		t.Fatal(err)
	}
	expiring, _, err := e.l.IssueToken(ctx, entitlement.Actor{User: "admin@vendor"}, entitlement.TokenRequest{User: "ed@distx", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.want(200, "GET", "/v1/me", expiring, nil, nil)
	e.clock.add(time.Hour)
	for name, hdr := range map[string][]string{
		"no header":        nil,
		"basic scheme":     {"Authorization", "Basic YWRtaW46YWRtaW4="},
		"bearer, no token": {"Authorization", "Bearer "},
		"unknown token":    {"Authorization", "Bearer lmsk_0123456789abcdef_" + strings.Repeat("A", 43)},
		"revoked token":    {"Authorization", "Bearer " + revoked},
		"expired token":    {"Authorization", "Bearer " + expiring},
		"tampered token":   {"Authorization", "Bearer " + e.dist[:len(e.dist)-1] + "x"},
	} {
		for _, path := range []string{"/v1/partners", "/v1/me", "/v1/locations/x/attach"} {
			method := "GET"
			if strings.HasSuffix(path, "attach") {
				method = "POST"
			}
			r := e.call(method, path, "", nil, hdr...)
			if r.StatusCode != 401 {
				t.Fatalf("%s %s: %d\n%s", name, path, r.StatusCode, r.body)
			}
			p := r.problem(t)
			if p.Type != "urn:lmskit:problem:unauthenticated" || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%s: %+v", name, p)
			}
		}
	}
	// Public routes need none.
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/metrics"} {
		e.want(200, "GET", path, "", nil, nil)
	}
}

// TestIdentityOnlyFromToken: a body cannot name who acts or for which partner; the token decides.
func TestIdentityOnlyFromToken(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"name":"C","partner":"distz"}`,
		`{"name":"C","user":"admin@vendor"}`,
		`{"name":"C","actor":{"user":"admin@vendor"}}`,
	} {
		r := e.want(400, "POST", "/v1/customers", e.dist, body, nil)
		if p := r.problem(t); p.Type != "urn:lmskit:problem:malformed" || p.Field == "" {
			t.Fatalf("%s: %+v", body, p)
		}
	}
	var c httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dist, `{"name":"C"}`, &c)
	if c.Partner != "distx" {
		t.Fatalf("customer of %q", c.Partner)
	}
	var me httpapi.Me
	e.want(200, "GET", "/v1/me", e.dist, nil, &me)
	if me.Identity != "ed@distx" || me.Partner.ID != "distx" || me.User.Roles[0] != "lms_user" {
		t.Fatalf("me %+v", me)
	}
}

// TestNotFoundNeverReveals: another partner's objects answer exactly the not-found of unknown ones.
func TestNotFoundNeverReveals(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO1", "191000343919")
	var att httpapi.Lines
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, &att)
	unknownLoc := "00000000-0000-4000-8000-000000000000"
	anon := func(b []byte, ids ...string) string {
		s := string(b)
		for _, id := range ids {
			s = strings.ReplaceAll(s, id, "<id>")
		}
		return s
	}
	for _, tc := range []struct{ method, theirs, unknown string }{
		{"GET", "/v1/locations/" + loc.ID, "/v1/locations/" + unknownLoc},
		{"GET", "/v1/locations/" + loc.ID + "/file", "/v1/locations/" + unknownLoc + "/file"},
		{"GET", "/v1/customers/" + loc.Customer, "/v1/customers/" + unknownLoc},
		{"GET", "/v1/customers/" + loc.Customer + "/locations", "/v1/customers/" + unknownLoc + "/locations"},
		{"GET", "/v1/lookups/hwkc/191000343919", "/v1/lookups/hwkc/191000343918"},
		{"GET", "/v1/lookups/skc/" + att.Lines[0].SKC, "/v1/lookups/skc/" + strings.Repeat("Z", 20)},
		{"GET", "/v1/lookups/orders/PO1", "/v1/lookups/orders/PO2"},
		{"POST", "/v1/locations/" + loc.ID + "/regenerate", "/v1/locations/" + unknownLoc + "/regenerate"},
		{"GET", "/v1/partners/distx", "/v1/partners/nobody"},
		{"GET", "/v1/users/ed@distx", "/v1/users/nobody@x"},
	} {
		a := e.call(tc.method, tc.theirs, e.other, nil)
		b := e.call(tc.method, tc.unknown, e.other, nil)
		if a.StatusCode != 404 || b.StatusCode != 404 {
			t.Fatalf("%s: %d / %d\n%s", tc.theirs, a.StatusCode, b.StatusCode, a.body)
		}
		ids := []string{loc.ID, unknownLoc, loc.Customer, "191000343919", "191000343918", att.Lines[0].SKC, strings.Repeat("Z", 20), "PO1", "PO2",
			"ed@distx", "nobody@x", "distx", "nobody"} // longer first: "nobody" is inside "nobody@x"
		if anon(a.body, ids...) != anon(b.body, ids...) {
			t.Errorf("%s answers differently from an unknown one:\n%s\n%s", tc.theirs, a.body, b.body)
		}
		for _, secret := range []string{"distx", "Location A", "NEW CUSTOMER"} {
			if strings.Contains(string(a.body), secret) && !strings.Contains(tc.theirs, secret) {
				t.Errorf("%s reveals %q: %s", tc.theirs, secret, a.body)
			}
		}
	}
	// Attaching one's own bin to another partner's location is not-found too, and changes nothing.
	e.want(404, "POST", "/v1/locations/"+loc.ID+"/attach", e.other, httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sh.Lines[0].ID, Quantity: 1}}}, nil)
}

// TestIdempotencyOverHTTP: a retried attach after a lost response attaches once; the same key
// with another body is refused; a replayed token issue never repeats the secret.
func TestIdempotencyOverHTTP(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO1", "191000343919")
	body := httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sh.Lines[3].ID, Quantity: 5}}}
	first := e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, body, nil, "Idempotency-Key", "attach-1")
	for range 3 {
		again := e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, body, nil, "Idempotency-Key", "attach-1")
		if !bytes.Equal(again.body, first.body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs or is unmarked:\n%s\n%s", first.body, again.body)
		}
	}
	var view httpapi.LocationView
	e.want(200, "GET", "/v1/locations/"+loc.ID, e.dist, nil, &view)
	if len(view.AttachedLines) != 1 {
		t.Fatalf("%d lines attached after retries", len(view.AttachedLines))
	}
	other := httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sh.Lines[3].ID, Quantity: 6}}}
	r := e.want(422, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, other, nil, "Idempotency-Key", "attach-1")
	if p := r.problem(t); p.Type != "urn:lmskit:problem:idempotency-key-reused" {
		t.Fatalf("%+v", p)
	}
	// A refused request keeps nothing under its key: the retry runs (and is refused again).
	bad := httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sh.Lines[3].ID, Quantity: 99}}}
	for range 2 {
		e.want(409, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, bad, nil, "Idempotency-Key", "attach-2")
	}
	// Activation twice with one key issues one file.
	act := httpapi.ActivateRequest{AcceptAgreement: true}
	a1 := e.want(200, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, act, nil, "Idempotency-Key", "act")
	a2 := e.want(200, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, act, nil, "Idempotency-Key", "act")
	if !bytes.Equal(a1.body, a2.body) {
		t.Fatal("activation replay differs")
	}
	// A token's secret is never kept: the replay has none.
	tr := httpapi.TokenRequest{User: "ed@distx", Name: "ci"}
	var t1, t2 httpapi.IssuedToken
	e.want(201, "POST", "/v1/tokens", e.admin, tr, &t1, "Idempotency-Key", "tok")
	e.want(201, "POST", "/v1/tokens", e.admin, tr, &t2, "Idempotency-Key", "tok")
	if t1.Secret == "" || t2.Secret != "" || t1.Token.ID != t2.Token.ID {
		t.Fatalf("token replay: %+v / %+v", t1, t2)
	}
	snap, err := e.l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range snap {
		for _, v := range m {
			if strings.Contains(v, t1.Secret[21:]) {
				t.Fatal("the ledger keeps a token secret with its idempotency key")
			}
		}
	}
	// Keys are checked.
	e.want(400, "POST", "/v1/customers", e.dist, `{"name":"x"}`, nil, "Idempotency-Key", "has space")
	if err := entitlement.CheckConservation(ctx, e.l.Store()); err != nil {
		t.Fatal(err)
	}
}

// TestProblemFieldAndPosition: typed errors carry the field and position to the client.
func TestProblemFieldAndPosition(t *testing.T) {
	e := newEnv(t)
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dist, `{"name":"C"}`, &cu)
	r := e.want(422, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "L", System: "SV8100", HWKC: "19100034391X"}, nil)
	p := r.problem(t)
	if p.Type != "urn:lmskit:problem:invalid" || p.Field != "hwkc" || p.Position == nil || *p.Position != 11 || p.Want == "" {
		t.Fatalf("bad code: %+v", p)
	}
	r = e.want(422, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "L", System: "SV8100", HWKC: "1910003439I9"}, nil)
	if p := r.problem(t); p.Suggest != "1" || *p.Position != 10 {
		t.Fatalf("suggestion: %+v", p)
	}
	r = e.want(400, "POST", "/v1/customers", e.dist, `{"name": 7}`, nil)
	if p := r.problem(t); p.Field != "name" || p.Position == nil {
		t.Fatalf("type error: %+v", p)
	}
	r = e.want(400, "POST", "/v1/customers", e.dist, `{"name": "x",}`, nil)
	if p := r.problem(t); p.Position == nil || *p.Position != 13 {
		t.Fatalf("syntax error: %+v", p)
	}
	e.want(400, "POST", "/v1/customers", e.dist, `{"name":"x"} {}`, nil)
	e.want(415, "POST", "/v1/customers", e.dist, []byte(`{"name":"x"}`), nil, "Content-Type", "text/plain")
	e.want(400, "POST", "/v1/locations/x/regenerate", e.dist, `{}`, nil)
	// Conflict and state.
	e.want(409, "POST", "/v1/partners", e.admin, httpapi.Partner{ID: "distx", Name: "again", Kind: "distributor"}, nil)
	e.want(422, "POST", "/v1/partners", e.admin, httpapi.Partner{ID: "p", Name: "P", Kind: "emperor"}, nil)
	e.want(403, "POST", "/v1/partners", e.dist, httpapi.Partner{ID: "p", Name: "P", Kind: "dealer"}, nil)
	// A DECT refusal carries the guide's code and advice.
	var dect httpapi.Location
	e.want(201, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "D", System: "IP DECT", HWKC: "1009FFFE"}, &dect)
	r = e.want(422, "POST", "/v1/locations/"+dect.ID+"/dect-import", e.dist, []byte("EU917062 abc\n"), nil, "Content-Type", "text/plain")
	if p := r.problem(t); p.Type != "urn:lmskit:problem:rule" || p.Code != "INVALID_FEATURE_QUANTITY" || !strings.Contains(p.Advice, "EU917062") {
		t.Fatalf("DECT: %+v", p)
	}
	// Unknown routes and methods are problems too.
	if p := e.want(404, "GET", "/v2/nothing", e.dist, nil, nil).problem(t); p.Type != "urn:lmskit:problem:not-found" {
		t.Fatalf("%+v", p)
	}
	r = e.want(405, "DELETE", "/v1/partners", e.admin, nil, nil)
	if r.problem(t).Type != "urn:lmskit:problem:method-not-allowed" || r.Header.Get("Allow") != "GET, POST" {
		t.Fatalf("405: %q", r.Header.Get("Allow"))
	}
}

// TestPagination: every list pages with a cursor; an invalid cursor or limit is refused.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.want(201, "POST", "/v1/customers", e.dist, httpapi.CustomerRequest{Name: fmt.Sprintf("C%d", i)}, nil)
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Items      []httpapi.Customer
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/customers?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		e.want(200, "GET", path, e.dist, nil, &page)
		for _, c := range page.Items {
			names = append(names, c.Name)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	slices.Sort(names) // the list is in id order, and ids are random
	if strings.Join(names, ",") != "C0,C1,C2,C3,C4" {
		t.Fatalf("paged %v", names)
	}
	var empty struct{ Items []httpapi.Customer }
	r := e.want(200, "GET", "/v1/customers", e.other, nil, &empty)
	if !strings.Contains(string(r.body), `"items":[]`) {
		t.Fatalf("an empty list is not []: %s", r.body)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=***", "cursor="} {
		if q == "cursor=" {
			continue
		}
		e.want(400, "GET", "/v1/customers?"+q, e.dist, nil, nil)
	}
	// Partners page through the ledger's own seek.
	var p1 struct {
		Items      []httpapi.Partner
		NextCursor string `json:"next_cursor"`
	}
	e.want(200, "GET", "/v1/partners?limit=3", e.admin, nil, &p1)
	var p2 struct{ Items []httpapi.Partner }
	e.want(200, "GET", "/v1/partners?limit=3&cursor="+p1.NextCursor, e.admin, nil, &p2)
	if len(p1.Items) != 3 || len(p2.Items) != 1 || p2.Items[0].ID != "vendor" {
		t.Fatalf("partner pages %+v %+v", p1, p2)
	}
}

// TestImpersonationOverHTTP: a distributor's user obtains a token acting as its dealer's user;
// revoking the allowance refuses the next request made with it.
func TestImpersonationOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.want(403, "POST", "/v1/impersonations", e.other, httpapi.ImpersonationRequest{DealerUser: "dealer@y"}, nil)
	var it httpapi.IssuedToken
	e.want(201, "POST", "/v1/impersonations", e.dist, httpapi.ImpersonationRequest{DealerUser: "dealer@y"}, &it)
	if it.Token.ActingAs != "dealer@y" || it.Secret == "" {
		t.Fatalf("%+v", it)
	}
	var me httpapi.Me
	e.want(200, "GET", "/v1/me", it.Secret, nil, &me)
	if me.Identity != "IMP:ed@distx/dealer@y" || me.Partner.ID != "dealery" || me.Impersonator != "ed@distx" {
		t.Fatalf("me %+v", me)
	}
	var c httpapi.Customer
	e.want(201, "POST", "/v1/customers", it.Secret, `{"name":"Dealer's customer"}`, &c)
	if c.Partner != "dealery" {
		t.Fatalf("customer of %s", c.Partner)
	}
	e.want(204, "DELETE", "/v1/allowances/distx/dealery", e.admin, nil, nil)
	r := e.want(403, "GET", "/v1/customers", it.Secret, nil, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:not-allowed" {
		t.Fatalf("%+v", p)
	}
}

// TestTokensOverHTTP: the administrator issues, lists and revokes tokens; the secret is shown once.
func TestTokensOverHTTP(t *testing.T) {
	e := newEnv(t)
	var it httpapi.IssuedToken
	e.want(201, "POST", "/v1/tokens", e.admin, httpapi.TokenRequest{User: "zed@distz", Name: "robot", ExpiresInSeconds: 3600}, &it)
	if it.Token.ExpiresAt.Sub(it.Token.CreatedAt) != time.Hour || !regexp.MustCompile(`^lmsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$`).MatchString(it.Secret) {
		t.Fatalf("%+v", it)
	}
	e.want(200, "GET", "/v1/me", it.Secret, nil, nil)
	var list struct{ Items []httpapi.Token }
	r := e.want(200, "GET", "/v1/tokens?user=zed@distz", e.admin, nil, &list)
	if len(list.Items) != 2 || strings.Contains(string(r.body), it.Secret[21:]) {
		t.Fatalf("list %s", r.body)
	}
	e.want(403, "POST", "/v1/tokens", e.dist, httpapi.TokenRequest{User: "ed@distx"}, nil)
	e.want(404, "DELETE", "/v1/tokens/"+it.Token.ID, e.dist, nil, nil)
	e.want(204, "DELETE", "/v1/tokens/"+it.Token.ID, e.admin, nil, nil)
	e.want(401, "GET", "/v1/me", it.Secret, nil, nil)
}

// TestLogsKeepNoSecrets: the log has a line per request and never a token.
func TestLogsKeepNoSecrets(t *testing.T) {
	e := newEnv(t)
	var it httpapi.IssuedToken
	e.want(201, "POST", "/v1/tokens", e.admin, httpapi.TokenRequest{User: "ed@distx"}, &it)
	e.want(200, "GET", "/v1/me", e.dist, nil, nil)
	e.want(401, "GET", "/v1/me", e.dist+"x", nil, nil)
	e.want(401, "GET", "/v1/me", "", nil, nil, "Authorization", "Basic "+e.dist)
	logs := e.logs.String()
	if strings.Count(logs, `"msg":"request"`) != 4 {
		t.Fatalf("log:\n%s", logs)
	}
	for _, s := range []string{e.admin, e.dist, it.Secret} {
		if strings.Contains(logs, s[21:]) || strings.Contains(logs, s[:21]+s[21:30]) {
			t.Fatalf("the log holds a token secret:\n%s", logs)
		}
	}
	if !strings.Contains(logs, `"identity":"ed@distx"`) {
		t.Fatalf("the log lacks the identity:\n%s", logs)
	}
}

// TestRateLimitAndBodyCap: per-token limits answer 429 with Retry-After; large bodies 413.
func TestRateLimitAndBodyCap(t *testing.T) {
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *httpapi.Options) {
		o.RateLimit, o.RateBurst, o.Now, o.MaxBody = 1, 2, func() time.Time { return now }, 64
	})
	e.want(200, "GET", "/v1/me", e.dist, nil, nil)
	e.want(200, "GET", "/v1/me", e.dist, nil, nil)
	r := e.want(429, "GET", "/v1/me", e.dist, nil, nil)
	if r.problem(t).Type != "urn:lmskit:problem:rate-limited" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("429: %q", r.Header)
	}
	e.want(200, "GET", "/v1/me", e.other, nil, nil) // another token has its own bucket
	e.want(413, "POST", "/v1/customers", e.other, fmt.Sprintf(`{"name":%q}`, strings.Repeat("x", 100)), nil)
}

// TestEveryDocumentedRouteIsServed sends a request to every path and method of the OpenAPI
// document and checks that the handler routes it (no "no such route", no 405).
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	e := newEnv(t, presalesPolicy, func(o *httpapi.Options) { o.DealReg = &dealreg.Policy{Pipeline: &crm{}} })
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := e.want(200, "GET", "/openapi.json", "", nil, &doc)
	if !bytes.Equal(r.body, httpapi.OpenAPI()) {
		t.Fatal("/openapi.json is not the kept document")
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	n := 0
	for p, item := range doc.Paths {
		for m := range item {
			path := param.ReplaceAllString(p, "x")
			res := e.call(strings.ToUpper(m), path, e.admin, nil)
			if res.StatusCode == 405 || strings.Contains(string(res.body), "no such route") {
				t.Errorf("%s %s is documented but not served: %d %s", m, p, res.StatusCode, res.body)
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d operations documented", n)
	}
}

// TestZipHasOneEntry double-checks the download container against the archive reader.
func TestZipHasOneEntry(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO1", "191000343919")
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, nil)
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, nil)
	dl := e.want(200, "GET", "/v1/locations/"+loc.ID+"/file?format=zip", e.dist, nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(dl.body), int64(len(dl.body)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "191000343919-svi.lic" {
		t.Fatalf("zip: %v", err)
	}
	e.want(400, "GET", "/v1/locations/"+loc.ID+"/file?format=pdf", e.dist, nil, nil)
}

// TestMetricsAndHooks: /metrics counts requests, operations and their outcomes; the Observe hook
// sees every request; /readyz follows the store.
func TestMetricsAndHooks(t *testing.T) {
	var seen []httpapi.Observation
	var mu sync.Mutex
	e := newEnv(t, func(o *httpapi.Options) {
		o.Observe = func(ob httpapi.Observation) { mu.Lock(); seen = append(seen, ob); mu.Unlock() }
	})
	e.want(200, "GET", "/v1/me", e.dist, nil, nil)
	e.want(404, "GET", "/v1/customers/nope", e.dist, nil, nil)
	e.want(201, "POST", "/v1/customers", e.dist, `{"name":"x"}`, nil, "Idempotency-Key", "m")
	e.want(201, "POST", "/v1/customers", e.dist, `{"name":"x"}`, nil, "Idempotency-Key", "m")
	m := string(e.want(200, "GET", "/metrics", "", nil, nil).body)
	for _, want := range []string{
		`lmskit_http_requests_total{route="GET /v1/me",code="200"} 1`,
		`lmskit_operations_total{operation="getCustomer",outcome="refused"} 1`,
		`lmskit_operations_total{operation="createCustomer",outcome="ok"} 1`,
		`lmskit_operations_total{operation="createCustomer",outcome="replayed"} 1`,
		`lmskit_http_request_duration_seconds_count{route="GET /v1/me"} 1`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	mu.Lock()
	if len(seen) != 5 || seen[4].Operation != "metrics" || seen[2].Operation != "createCustomer" || seen[3].Outcome != "replayed" {
		t.Errorf("observations %+v", seen)
	}
	mu.Unlock()
	var b strings.Builder
	if _, err := e.h.WriteMetrics(&b); err != nil || !strings.Contains(b.String(), "lmskit_http_requests_total") {
		t.Fatalf("WriteMetrics: %v", err)
	}
	e.want(200, "GET", "/readyz", "", nil, nil)
	if err := e.l.Store().Close(); err != nil {
		t.Fatal(err)
	}
	if p := e.want(503, "GET", "/readyz", "", nil, nil).problem(t); p.Type != "urn:lmskit:problem:unavailable" {
		t.Fatalf("%+v", p)
	}
	e.want(200, "GET", "/healthz", "", nil, nil)
}

// TestDuplicateKeysRefused: a body that says a thing twice is refused, not read as its last word
// (a proxy or an audit that reads the first would see another request than the ledger runs).
func TestDuplicateKeysRefused(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO1", "191000343919")
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, nil)
	before := e.snapshot()
	for _, c := range []struct {
		path, body, field string
		pos               int
	}{
		{"/v1/locations/" + loc.ID + "/activate", `{"accept_agreement":false, "accept_agreement":true}`, "accept_agreement", 27},
		{"/v1/locations/" + loc.ID + "/attach", `{"picks":[{"line":1,"quantity":1,"quantity":99}]}`, "quantity", 33},
		{"/v1/customers", `{"name":"a","name":"b"}`, "name", 12},
		// encoding/json fills a field from a key in any case, and from a Kelvin sign for a k.
		{"/v1/locations/" + loc.ID + "/activate", `{"accept_agreement":false,"ACCEPT_agreement":true}`, "ACCEPT_agreement", 26},
		{"/v1/locations/" + loc.ID + "/detach", `{"skcs":["A"],"s\u212acs":["B"]}`, "s\u212acs", 14},
		{"/v1/customers", `{"name":"a","n\u0061me":"b"}`, "name", 12},
	} {
		r := e.want(400, "POST", c.path, e.dist, c.body, nil)
		if p := r.problem(t); p.Type != "urn:lmskit:problem:malformed" || p.Field != c.field || p.Position == nil || *p.Position != c.pos {
			t.Errorf("%s: %+v", c.body, p)
		}
	}
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	if p := e.want(400, "POST", "/v1/customers", e.dist, deep, nil).problem(t); !strings.Contains(p.Detail, "nested") {
		t.Errorf("deep: %+v", p)
	}
	if !equalSnapshots(before, e.snapshot()) {
		t.Fatal("a refused body changed the ledger")
	}
}
