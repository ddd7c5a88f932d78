package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
	"github.com/lmskit/lmskit/swa"
)

// server is a running licenseserver process.
type server struct {
	cmd   *exec.Cmd
	url   string
	token string // the first administrator token, when this start printed one
	out   *bufio.Reader
}

// start runs the binary on a free loopback port and reads what it prints up to the address.
func start(t *testing.T, bin, data string) *server {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", data, "-rate", "-1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: bufio.NewReader(stdout)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for s.url == "" {
		line, err := s.out.ReadString('\n')
		if err != nil {
			t.Fatalf("the server ended before it listened: %v", err)
		}
		line = strings.TrimSpace(line)
		if tok, ok := strings.CutPrefix(line, "admin token: "); ok {
			s.token = tok
		} else if u, ok := strings.CutPrefix(line, "listening on "); ok {
			s.url = u
		}
	}
	return s
}

// client sends JSON requests to a server.
type client struct {
	t   *testing.T
	url string
	hc  *http.Client
}

type result struct {
	status   int
	body     []byte
	header   http.Header
	replayed bool
}

func (c *client) do(method, path, token string, body any, key string) (result, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return result{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		return result{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return result{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: res.StatusCode, body: b, header: res.Header, replayed: res.Header.Get("Idempotent-Replayed") == "true"}, nil
}

// must sends a request that must answer status, decoding the body into out.
func (c *client) must(status int, method, path, token string, body, out any) result {
	c.t.Helper()
	r, err := c.do(method, path, token, body, "")
	if err != nil {
		c.t.Fatal(err)
	}
	if r.status != status {
		c.t.Fatalf("%s %s: %d, want %d\n%s", method, path, r.status, status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatal(err)
		}
	}
	return r
}

// pending is a request whose response the client may not have seen.
type pending struct {
	path, key string
	body      any
	status    int // the acknowledged status, 0 if no response came
	resp      []byte
}

// TestEndToEnd builds and starts the server, walks the guide's SV8100 example and an SWA
// assignment over HTTP, kills the server with SIGKILL in the middle of a load of attaches,
// activations, SWA assignments and cancellations sent with Idempotency-Keys, checks the ledger
// file as the kill left it, restarts the server on the same data directory, retries what was not
// acknowledged, and checks that nothing was done twice or lost: the ledger's conservation, the
// SWA units' (swa.CheckConservation) and the audit chain, over HTTP and on the ledger file.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "licenseserver")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	s := start(t, bin, data)
	if !strings.HasPrefix(s.token, "lmsk_") {
		t.Fatalf("first start printed no admin token (%q)", s.token)
	}
	for f, mode := range map[string]os.FileMode{"issuer.pem": 0o600, "deriver.key": 0o600, "audit.key": 0o600, "ledger": 0o700} {
		fi, err := os.Stat(filepath.Join(data, f))
		if err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v %v, want mode %o", f, err, fi, mode)
		}
	}
	c := &client{t: t, url: s.url, hc: &http.Client{Timeout: 30 * time.Second}}
	admin := s.token

	// The service endpoints, and 401 without a token.
	c.must(200, "GET", "/healthz", "", nil, nil)
	if r := c.must(200, "GET", "/openapi.json", "", nil, nil); !bytes.Equal(r.body, httpapi.OpenAPI()) {
		t.Fatal("/openapi.json differs from the kept document")
	}
	if r := c.must(401, "GET", "/v1/partners", "", nil, nil); r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("401 without a problem document: %q", r.header)
	}

	// The guide's SV8100 example ("LMS License handling procedure").
	c.must(201, "POST", "/v1/partners", admin, httpapi.Partner{ID: "partner-x", Name: "Partner X", Kind: "distributor"}, nil)
	c.must(201, "POST", "/v1/users", admin, httpapi.User{ID: "lms-user@partner-x.example", Name: "LMS User", Partner: "partner-x", Roles: []string{"lms_user"}}, nil)
	var it httpapi.IssuedToken
	c.must(201, "POST", "/v1/tokens", admin, httpapi.TokenRequest{User: "lms-user@partner-x.example", Name: "e2e"}, &it)
	user := it.Secret
	var sh httpapi.Shipment
	c.must(201, "POST", "/v1/orders", admin, httpapi.OrderRequest{Partner: "partner-x", PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics",
		Lines: []httpapi.OrderLine{{Part: "BE107573", Quantity: 1}, {Part: "BE107582", Quantity: 5}, {Part: "BE107576", Quantity: 1}, {Part: "BE107585", Quantity: 20}}}, &sh)
	var cust httpapi.Customer
	c.must(201, "POST", "/v1/customers", user, httpapi.CustomerRequest{Name: "NEW CUSTOMER NAME", Address: "STREET AND NUMBER, TOWN OR VILLAGE"}, &cust)
	var loc httpapi.Location
	c.must(201, "POST", "/v1/locations", user, httpapi.LocationRequest{Customer: cust.ID, Name: "Location A", System: "SV8100", HWKC: "191000343919"}, &loc)
	var picks []httpapi.Pick
	for _, l := range sh.Lines {
		picks = append(picks, httpapi.Pick{Line: l.ID, Quantity: l.InBin})
	}
	c.must(201, "POST", "/v1/locations/"+loc.ID+"/attach", user, httpapi.AttachRequest{Picks: picks}, nil)
	var fi httpapi.FileInfo
	c.must(200, "POST", "/v1/locations/"+loc.ID+"/activate", user, httpapi.ActivateRequest{AcceptAgreement: true}, &fi)
	dl := c.must(200, "GET", fi.Download, user, nil, nil)
	if dl.header.Get("Content-Disposition") != "attachment; filename=191000343919-svi.zip" {
		t.Fatalf("download %q", dl.header)
	}
	pemKey, err := os.ReadFile(filepath.Join(data, "issuer.pem"))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := signing.ParsePrivateKeyPEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	kr := signing.NewKeyring()
	if err := kr.Add(issuer.Public().KeyID().Bytes(), issuer.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	signed, err := license.ReadSVIZip(dl.body)
	if err != nil {
		t.Fatal(err)
	}
	f, err := license.Open(signed, kr)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Software Assurance ("Software Assurance handling"): SWA units shipped into the units bin,
	// an iS3000/SIP@Net system's licenses activated with the quote that follows, 12 months
	// assigned, pushed into force at once, and the status showing the agreement.
	c.must(200, "PUT", "/v1/users/lms-user@partner-x.example/roles", admin, httpapi.RolesRequest{Roles: []string{"lms_user", "swa_distributor"}}, nil)
	unitsExpire := time.Now().UTC().AddDate(2, 0, 0).Truncate(24 * time.Hour)
	var swaOrder httpapi.Shipment
	c.must(201, "POST", "/v1/orders", admin, httpapi.OrderRequest{Partner: "partner-x", PO: "PO-SWA", SO: "SO-SWA", ExpiresAt: &unitsExpire,
		Lines: []httpapi.OrderLine{{Part: "BE112031", Quantity: 1000}, {Part: "960026138000", Quantity: 20}, {Part: "EU920000", Quantity: 20},
			{Part: "EU920014", Quantity: 800}}}, &swaOrder)
	var units httpapi.SWABin
	c.must(200, "GET", "/v1/swa/bin", user, nil, &units)
	if units.Available != 1000 {
		t.Fatalf("SWA units bin %+v", units)
	}
	// is3000 creates an iS3000 location and attaches a tenth of each license line to it.
	is3000 := func(name, hwkc string) string {
		var l httpapi.Location
		c.must(201, "POST", "/v1/locations", user, httpapi.LocationRequest{Customer: cust.ID, Name: name, System: "iS3000", HWKC: hwkc}, &l)
		var picks []httpapi.Pick
		for _, s := range swaOrder.Lines {
			if s.Part != "BE112031" {
				picks = append(picks, httpapi.Pick{Line: s.ID, Quantity: s.Shipped / 10})
			}
		}
		c.must(201, "POST", "/v1/locations/"+l.ID+"/attach", user, httpapi.AttachRequest{Picks: picks}, nil)
		return l.ID
	}
	sipnet := is3000("SIP@Net", "aa0014SA2792654321AA")
	var activated httpapi.SWAActivated
	c.must(200, "POST", "/v1/locations/"+sipnet+"/swa/activate", user, httpapi.SWAActivateRequest{AcceptAgreement: true}, &activated)
	if activated.Quote == nil || activated.File.Download == "" {
		t.Fatalf("activation with SWA: %+v", activated)
	}
	var quote httpapi.SWAQuote
	c.must(200, "GET", "/v1/locations/"+sipnet+"/swa/quote", user, nil, &quote)
	if len(quote.Products) != 1 || quote.Products[0].State != "grace" || quote.Products[0].Options[0].Months != 12 || quote.Products[0].Options[0].Units != 66 {
		t.Fatalf("quote %+v", quote)
	}
	var assigned httpapi.SWAAssignment
	c.must(201, "POST", "/v1/locations/"+sipnet+"/swa/assignments", user, httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 12}},
		Reference: "e2e", AuthorizeUnits: true}, &assigned)
	c.must(200, "POST", fmt.Sprintf("/v1/swa/assignments/%d/push", assigned.ID), user, httpapi.SWAReasonRequest{Reason: "Need to activate SWA Immediately"}, nil)
	var status httpapi.SWAStatus
	c.must(200, "GET", "/v1/locations/"+sipnet+"/swa", user, nil, &status)
	if p := status.Products; status.State != "active" || len(p) != 1 || !strings.HasPrefix(p[0].Agreement, "50IS0-") || !strings.HasSuffix(p[0].Agreement, "-N") || p[0].ExpiresAt == nil {
		t.Fatalf("SWA status %+v", status)
	}
	const swaConsumed = 66

	// Load, then SIGKILL in the middle of it.
	var big httpapi.Shipment
	c.must(201, "POST", "/v1/orders", admin, httpapi.OrderRequest{Partner: "partner-x", PO: "PO-LOAD", SO: "SO-LOAD",
		Lines: []httpapi.OrderLine{{Part: "BE107585", Quantity: 100000}}}, &big)
	const workers = 6
	locs, swaLocs := make([]string, workers), make([]string, workers)
	for w := range workers {
		var l httpapi.Location
		c.must(201, "POST", "/v1/locations", user, httpapi.LocationRequest{Customer: cust.ID, Name: fmt.Sprintf("Load %d", w), System: "SV8100",
			HWKC: fmt.Sprintf("19%010d", 5000000+w)}, &l)
		locs[w] = l.ID
		// An iS3000 location in grace per worker, on which the load assigns SWA units and cancels.
		swaLocs[w] = is3000(fmt.Sprintf("SWA load %d", w), fmt.Sprintf("aa0014SA27920000%02dAA", w))
		c.must(200, "POST", "/v1/locations/"+swaLocs[w]+"/swa/activate", user, httpapi.SWAActivateRequest{AcceptAgreement: true}, nil)
	}
	var acked atomic.Int64
	killNow := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var sent []*pending
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastAssign *pending
			for i := 0; i < 200; i++ {
				for _, p := range []*pending{
					{path: "/v1/locations/" + locs[w] + "/attach", key: fmt.Sprintf("att-%d-%d", w, i),
						body: httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: big.Lines[0].ID, Quantity: 1}}}},
					{path: "/v1/locations/" + locs[w] + "/activate", key: fmt.Sprintf("act-%d-%d", w, i),
						body: httpapi.ActivateRequest{AcceptAgreement: true}},
					{path: "/v1/locations/" + swaLocs[w] + "/swa/assignments", key: fmt.Sprintf("swa-%d-%d", w, i),
						body: httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 12}}, AuthorizeUnits: true}},
					{key: fmt.Sprintf("cancel-%d-%d", w, i), body: httpapi.SWAReasonRequest{Reason: "load"}}, // path: the assignment's
				} {
					if p.path == "" {
						p.path = cancelPath(lastAssign) // this worker's assignment, acknowledged just before
					} else if strings.HasSuffix(p.path, "/swa/assignments") {
						lastAssign = p
					}
					mu.Lock()
					sent = append(sent, p)
					mu.Unlock()
					r, err := c.do("POST", p.path, user, p.body, p.key)
					if err != nil {
						return // the server is gone: this request's outcome is unknown
					}
					if r.status >= 300 {
						t.Errorf("%s: %d %s", p.path, r.status, r.body)
						return
					}
					p.status, p.resp = r.status, r.body
					if acked.Add(1) == 40 {
						once.Do(func() { close(killNow) })
					}
				}
			}
		}()
	}
	// Kill once the load is well under way: the 40th acknowledgement signals it.
	go func() {
		<-killNow
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}()
	wg.Wait()
	once.Do(func() { close(killNow) })
	_ = s.cmd.Wait()
	if acked.Load() >= int64(workers*800) {
		t.Fatal("the load finished before the kill")
	}
	// The ledger file as SIGKILL left it: every committed transaction whole.
	checkFile(t, data, -1)

	// Restart on the same data directory: no second admin token.
	s2 := start(t, bin, data)
	if s2.token != "" {
		t.Fatal("a restart printed a new admin token")
	}
	c.url = s2.url
	// Retry everything not acknowledged, with the same key and body; repeat acknowledged ones too.
	unacked, replays := 0, 0
	for _, p := range sent {
		r, err := c.do("POST", p.path, user, p.body, p.key)
		if err != nil {
			t.Fatal(err)
		}
		if p.status == 0 {
			unacked++
			if r.status >= 300 {
				t.Fatalf("retry of %s (%s): %d %s", p.path, p.key, r.status, r.body)
			}
			p.status, p.resp = r.status, r.body
			continue
		}
		if !r.replayed || r.status != p.status || !bytes.Equal(r.body, p.resp) {
			t.Fatalf("repeat of acknowledged %s (%s): replayed %v, %d\n%s\nwas\n%s", p.path, p.key, r.replayed, r.status, r.body, p.resp)
		}
		replays++
	}
	if unacked == 0 {
		t.Fatal("the kill left no request unacknowledged: it did not happen mid-load")
	}
	// Exactly once: each location holds one line per attach key, the bin the rest.
	attaches := 0
	for _, p := range sent {
		if strings.HasSuffix(p.path, "/attach") {
			attaches++
		}
	}
	lines := 0
	for _, id := range locs {
		var v httpapi.LocationView
		c.must(200, "GET", "/v1/locations/"+id, user, nil, &v)
		lines += len(v.AttachedLines) + len(v.ActivatedLines)
	}
	if lines != attaches {
		t.Fatalf("%d lines on the load locations for %d attach requests: something ran twice or was lost", lines, attaches)
	}
	var od httpapi.OrderDetails
	c.must(200, "GET", "/v1/lookups/orders/PO-LOAD", user, nil, &od)
	if got := od.Shipped[0]; got.InBin != 100000-int64(attaches) || got.Attached+got.Activated != int64(attaches) {
		t.Fatalf("load line after the crash: %+v for %d attaches", got, attaches)
	}
	// SWA units exactly once: after cancelling what the kill left pending, every unit the load
	// assigned is back in the bin.
	var res struct{ Items []httpapi.SWAAssignment }
	c.must(200, "GET", "/v1/swa/reservations", user, nil, &res)
	if len(res.Items) > workers {
		t.Fatalf("%d SWA reservations pending for %d load locations: an assignment ran twice", len(res.Items), workers)
	}
	for _, a := range res.Items {
		c.must(200, "POST", fmt.Sprintf("/v1/swa/assignments/%d/cancel", a.ID), user, httpapi.SWAReasonRequest{Reason: "after the crash"}, nil)
	}
	c.must(200, "GET", "/v1/swa/bin", user, nil, &units)
	if units.Available != 1000-swaConsumed || units.Allocated != 0 {
		t.Fatalf("SWA units bin after the crash and the retries: %+v, want %d available", units, 1000-swaConsumed)
	}
	var integ httpapi.Integrity
	c.must(200, "GET", "/v1/audit/integrity", admin, nil, &integ)
	if !integ.Conserved {
		t.Fatalf("integrity %+v", integ)
	}
	t.Logf("%d requests acknowledged before the kill, %d retried after it, %d replayed; %d SWA reservations left pending; %d audit records",
		acked.Load(), unacked, replays, len(res.Items), integ.AuditRecords)

	// Graceful stop, then the ledger file itself.
	if err := s2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s2.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	checkFile(t, data, integ.AuditRecords)
}

// cancelPath is the cancel path of the assignment an acknowledged assign request made.
func cancelPath(assign *pending) string {
	var a httpapi.SWAAssignment
	if err := json.Unmarshal(assign.resp, &a); err != nil || a.ID == 0 {
		return "/v1/swa/assignments/0/cancel" // not acknowledged: the worker stopped before this
	}
	return fmt.Sprintf("/v1/swa/assignments/%d/cancel", a.ID)
}

// checkFile opens the ledger file of a stopped (or killed) server and checks the ledger's
// conservation, the SWA units' conservation and the audit chain with its key (records is the
// chain's length when known, -1 otherwise).
func checkFile(t *testing.T, data string, records int) {
	t.Helper()
	ctx := context.Background()
	auditKey, err := os.ReadFile(filepath.Join(data, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := entitlement.OpenFile(filepath.Join(data, "ledger"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := entitlement.CheckConservation(ctx, store); err != nil {
		t.Fatal(err)
	}
	l := entitlement.New(store, entitlement.Config{AuditKey: auditKey})
	if _, err := swa.New(l, swa.Config{}); err != nil {
		t.Fatal(err)
	}
	if err := swa.CheckConservation(ctx, l); err != nil {
		t.Fatalf("SWA units: %v", err)
	}
	if n, err := entitlement.VerifyAudit(ctx, store, auditKey); err != nil || records >= 0 && n != records {
		t.Fatalf("audit chain: %d records, %v (over HTTP: %d)", n, err, records)
	}
	if _, err := entitlement.VerifyAudit(ctx, store, nil); !errors.Is(err, entitlement.ErrCorrupt) {
		t.Fatal("the audit chain verifies without its key: it is not keyed")
	}
}
