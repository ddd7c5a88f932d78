package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/pgstore"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/internal/loadmix"
	"github.com/lmskit/lmskit/internal/pgtest"
	"github.com/lmskit/lmskit/signing"
	"github.com/lmskit/lmskit/swa"
)

// The load mix (internal/loadmix) against the embedded store and PostgreSQL: a short run in the
// tests checks what it does (no error, conservation, the audit chain); BenchmarkLoad measures
// it beside its in-process floor, interleaved, for BENCHMARKS.md.

var pg struct {
	once sync.Once
	conn string
	stop func()
	err  error
}

// pgConn starts the private PostgreSQL cluster on first use (internal/pgtest).
func pgConn(t testing.TB) string {
	t.Helper()
	pg.once.Do(func() {
		if c := os.Getenv("LMSKIT_PG"); c != "" {
			pg.conn = c
			return
		}
		pg.conn, pg.stop, pg.err = pgtest.Start(pgtest.Options{Durable: os.Getenv("LMSKIT_PG_DURABLE") != "", Port: 40000 + (os.Getpid()+7)%20000})
	})
	if pg.conn == "" {
		if os.Getenv("LMSKIT_PG_REQUIRED") != "" {
			t.Fatalf("LMSKIT_PG_REQUIRED is set but no PostgreSQL could be started: %v", pg.err)
		}
		t.Skipf("no PostgreSQL: %v", pg.err)
	}
	return pg.conn
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pg.stop != nil {
		pg.stop()
	}
	os.Exit(code)
}

var loadTables sync.Map

// loadLedger is a ledger with an administrator and its SWA book on the named store: "embedded"
// (the durable embedded store, entitlement.OpenFile, unless fast) or "postgres".
func loadLedger(t testing.TB, storeKind string, fast bool) (*entitlement.Ledger, *swa.Book, entitlement.Actor) {
	t.Helper()
	var s entitlement.Store
	var err error
	switch storeKind {
	case "embedded":
		s, err = entitlement.OpenFile(filepath.Join(t.TempDir(), "ledger.db"), &entitlement.FileOptions{UnsafeNoSync: fast})
	case "postgres":
		table := fmt.Sprintf("lmskit_load_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		loadTables.Store(table, true)
		// Every write of the ledger touches its audit head, so 64 concurrent writers make
		// PostgreSQL's serializable transactions fail and retry a lot: allow many retries.
		s, err = pgstore.Open(context.Background(), pgConn(t), &pgstore.Options{Table: table, MaxRetries: 100_000})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key, err := signing.NewKeyFromSeed([]byte("httpapi load test key, fixed 32b"))
	if err != nil {
		t.Fatal(err)
	}
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Rules: systems.GuideRules()})
	book, err := swa.New(l, swa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		t.Fatal(err)
	}
	return l, book, admin
}

// served mounts the handler on a loopback test server with an administrator token.
func served(t testing.TB, l *entitlement.Ledger, book *swa.Book, admin entitlement.Actor, clients int) *loadmix.HTTP {
	t.Helper()
	h, err := httpapi.New(httpapi.Options{Ledger: l, SWA: book, RateLimit: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tok, _, err := l.IssueToken(ctx, admin, entitlement.TokenRequest{User: admin.User})
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients + 4
	c := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	return &loadmix.HTTP{Base: srv.URL, Admin: tok, Client: c}
}

// TestLoadMix runs a short load on each store, over HTTP and in-process at once, and checks that
// nothing failed and the books hold.
func TestLoadMix(t *testing.T) {
	for _, kind := range []string{"embedded", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			l, book, admin := loadLedger(t, kind, true)
			hd := served(t, l, book, admin, 4)
			hd.Prefix = "h"
			in := &loadmix.InProcess{L: l, Book: book, Admin: admin, Prefix: "i"}
			rh, ri, err := loadmix.RunInterleaved(ctx, hd, in, loadmix.Config{Clients: 3, Rounds: 2, MaxTime: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []*loadmix.Result{ri, rh} {
				if len(r.Errors) > 0 {
					t.Fatalf("%d errors, first %v", len(r.Errors), r.Errors[0])
				}
				if n := len(r.Samples[loadmix.OpActivate]); n != 6 {
					t.Fatalf("%d activations, want 6", n)
				}
				if n := len(r.Samples[loadmix.OpSWAQuote]); n != 12 {
					t.Fatalf("%d SWA quotes, want 12", n)
				}
			}
			if n := len(rh.Samples[loadmix.OpEmpty]); n != 12 {
				t.Fatalf("%d empty requests, want 12", n)
			}
			if err := entitlement.CheckConservation(ctx, l.Store()); err != nil {
				t.Fatal(err)
			}
			if _, err := l.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := swa.CheckConservation(ctx, l); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadgenRefusesOtherHosts(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1:8440", "http://example.com", "http://192.168.1.1", "http://[2001:db8::1]:80"} {
		if loadmix.CheckLoopback(u) == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8440", "http://localhost:1", "http://[::1]:8440", "http://127.9.9.9"} {
		if err := loadmix.CheckLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// BenchmarkLoad measures the mix at 1, 8 and 64 concurrent partners on the durable embedded store
// and on PostgreSQL, over HTTP and in-process (the floor) in one run, interleaved round by round
// (loadmix.RunInterleaved: every client alternates an in-process round and an HTTP round on one
// ledger). Run it once per configuration:
//
//	go test -run '^$' -bench Load -benchtime 1x -timeout 30m ./entitlement/httpapi/
//
// It reports each operation's p50 over HTTP and in-process (µs) and their ratio; for the lookups
// and the SWA quote also the target's ratio, HTTP p50 / (in-process p50 + the empty authenticated
// request's p50); and it logs the full tables (requests/s, p50, p99).
func BenchmarkLoad(b *testing.B) {
	for _, kind := range []string{"embedded", "postgres"} {
		for _, clients := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/clients=%d", kind, clients), func(b *testing.B) {
				rounds := max(3, 64/clients)
				l, book, admin := loadLedger(b, kind, false)
				hd := served(b, l, book, admin, clients)
				inproc, overHTTP := &loadmix.Result{}, &loadmix.Result{}
				for i := range b.N {
					hd.Prefix = fmt.Sprintf("h%d", i)
					in := &loadmix.InProcess{L: l, Book: book, Admin: admin, Prefix: fmt.Sprintf("i%d", i)}
					ri, rh, err := loadmix.RunInterleaved(ctx, in, hd, loadmix.Config{Clients: clients, Rounds: rounds, MaxTime: 10 * time.Minute,
						CodeBase: int64(i) * 10_000_000})
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range []*loadmix.Result{ri, rh} {
						if len(r.Errors) > 0 {
							b.Fatalf("%d errors, first %v", len(r.Errors), r.Errors[0])
						}
					}
					inproc.Merge(ri)
					overHTTP.Merge(rh)
				}
				empty := loadmix.Percentile(overHTTP.Samples[loadmix.OpEmpty], 50)
				b.ReportMetric(float64(empty.Microseconds()), "empty-p50-µs")
				for _, op := range []string{loadmix.OpAttach, loadmix.OpActivate, loadmix.OpDownload, loadmix.OpLookupHWKC, loadmix.OpLookupSKC, loadmix.OpSWAQuote} {
					h := loadmix.Percentile(overHTTP.Samples[op], 50)
					f := loadmix.Percentile(inproc.Samples[op], 50)
					b.ReportMetric(float64(h.Microseconds()), op+"-http-p50-µs")
					b.ReportMetric(float64(f.Microseconds()), op+"-inproc-p50-µs")
					b.ReportMetric(float64(h)/float64(f), op+"-ratio")
					if strings.HasPrefix(op, "lookup") || op == loadmix.OpSWAQuote {
						b.ReportMetric(float64(h)/float64(f+empty), op+"-target-ratio")
					}
				}
				b.Logf("%s, %d clients; in-process (floor), interleaved with HTTP:\n%s\nover HTTP:\n%s", kind, clients, inproc.Table(), overHTTP.Table())
			})
		}
	}
}
