package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/signing"
)

// BenchmarkActivationPath takes an activation apart, one layer at a time, on the embedded store
// (durable, and without syncs so that the CPU of the layers shows), the layers interleaved
// activation by activation so that each meets the machine at the same moments: the ledger's
// activation with the actor given (the floor), with the API token in its context (the ledger's
// token check), the handler's ServeHTTP on a recorder (decoding, the call, encoding, the log line
// and the metrics: no network), a real request over loopback (net/http client and server), one
// with an Idempotency-Key (its record in the same transaction), an empty authenticated request
// over loopback (GET /v1/me), and the same POST to net/http alone (a handler that reads the body
// and answers as many bytes: what any Go HTTP service pays). Each activation takes one attached
// line of a location made before the timer starts. It reports each layer's p50 (µs) and, per
// activation of each layer, allocations (the ReportAllocs figure is the mean of all layers).
//
//	go test -run '^$' -bench ActivationPath -benchtime 400x ./entitlement/httpapi/
func BenchmarkActivationPath(b *testing.B) {
	for _, durable := range []bool{false, true} {
		name := "nosync"
		if durable {
			name = "durable"
		}
		b.Run(name, func(b *testing.B) { benchActivation(b, durable) })
	}
}

var activationLayers = []string{"inprocess", "inprocess-token", "handler", "loopback", "loopback-key", "loopback-empty", "loopback-bare"}

func benchActivation(b *testing.B, durable bool) {
	s, err := entitlement.OpenFile(filepath.Join(b.TempDir(), "ledger"), &entitlement.FileOptions{UnsafeNoSync: !durable})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key, err := signing.NewKeyFromSeed([]byte("httpapi activation bench key, 32"))
	if err != nil {
		b.Fatal(err)
	}
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Rules: systems.GuideRules()})
	admin, user := entitlement.Actor{User: "admin@vendor"}, entitlement.Actor{User: "ed@distx"}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}))
	must(l.AddPartner(ctx, admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}))
	must(l.AddUser(ctx, admin, entitlement.User{ID: user.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser}))
	lines, err := l.Ship(ctx, admin, entitlement.Order{Partner: "distx", PO: "PO-1", SO: "SO-1", Lines: []entitlement.OrderLine{{Part: "BE107585", Qty: 1_000_000_000}}})
	must(err)
	cu, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Bench customer"})
	must(err)
	secret, _, err := l.IssueToken(ctx, admin, entitlement.TokenRequest{User: user.User})
	must(err)
	h, err := httpapi.New(httpapi.Options{Ledger: l, RateLimit: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	must(err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	// bare is net/http alone: a handler that reads the request and answers an activation's
	// response, as the handler does, without lmskit.
	answer := bytes.Repeat([]byte("x"), 380)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	defer bare.Close()
	bareClient := bare.Client()
	n := 0
	fresh := func() string {
		n++
		loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cu.ID, Name: "Bench", System: "SV8100", HWKC: fmt.Sprintf("19%010d", n)})
		must(err)
		_, err = l.Attach(ctx, user, loc.ID, []entitlement.Pick{{Line: lines[0].ID, Qty: 1}})
		must(err)
		return loc.ID
	}
	body := []byte(`{"accept_agreement":true}`)
	tctx := entitlement.WithToken(context.Background(), secret)
	locs := make([]string, b.N*len(activationLayers)) // made first: the activations then run back to back
	for i := range locs {
		locs[i] = fresh()
	}
	took := map[string][]time.Duration{}
	allocs := map[string]uint64{}
	var ms runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	for i := range locs {
		loc, mode := locs[i], activationLayers[i%len(activationLayers)]
		runtime.ReadMemStats(&ms)
		before, start := ms.Mallocs, time.Now()
		switch mode {
		case "inprocess":
			_, err = l.Activate(ctx, user, loc, entitlement.Activation{AcceptAgreement: true})
		case "inprocess-token":
			_, err = l.Activate(tctx, entitlement.Actor{}, loc, entitlement.Activation{AcceptAgreement: true})
		case "handler":
			r := httptest.NewRequest("POST", "/v1/locations/"+loc+"/activate", bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+secret)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				err = fmt.Errorf("%d %s", w.Code, w.Body)
			}
		case "loopback-bare":
			req, _ := http.NewRequest("POST", bare.URL+"/v1/locations/"+loc+"/activate", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			res, rerr := bareClient.Do(req)
			if rerr != nil {
				b.Fatal(rerr)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		case "loopback-empty":
			req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			res, rerr := client.Do(req)
			if rerr != nil {
				b.Fatal(rerr)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		default:
			req, _ := http.NewRequest("POST", srv.URL+"/v1/locations/"+loc+"/activate", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			if mode == "loopback-key" {
				req.Header.Set("Idempotency-Key", fmt.Sprintf("act-%d", i))
			}
			res, rerr := client.Do(req)
			if rerr != nil {
				b.Fatal(rerr)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				err = fmt.Errorf("status %d", res.StatusCode)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		took[mode] = append(took[mode], time.Since(start))
		runtime.ReadMemStats(&ms)
		allocs[mode] += ms.Mallocs - before
	}
	b.StopTimer()
	for _, mode := range activationLayers {
		d := took[mode]
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), mode+"-p50-µs")
		b.ReportMetric(float64(allocs[mode])/float64(len(d)), mode+"-allocs")
	}
}
