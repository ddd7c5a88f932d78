// Command licenseserver runs the license server: the ledger (package entitlement) and its
// Software Assurance book (package swa) behind their HTTP/JSON API (package entitlement/httpapi),
// on the embedded store in a data directory or on PostgreSQL.
//
//	go run ./examples/licenseserver                   # 127.0.0.1:8440, data in ./lmskit-data
//	go run ./examples/licenseserver -addr 127.0.0.1:9000 -data /var/lib/lmskit
//	go run ./examples/licenseserver -pg postgres://lmskit@db/lmskit
//	go run ./examples/licenseserver -tls-cert server.pem -tls-key server.key -client-ca clients.pem
//	go run ./examples/licenseserver -swa-terms terms.json   # the vendor's SWA product terms
//	go run ./examples/licenseserver -presales-policy examples/licenseserver/presales-policy.json
//	go run ./examples/licenseserver -deal-pipeline https://crm.example/lmskit/pipeline
//
// On first start it creates the data directory (0700) with the issuer's signing key
// (issuer.pem), the key code deriver's secret (deriver.key) and the audit chain's key
// (audit.key), each 0600, bootstraps the vendor's administrator and prints the administrator's
// first API token once, on a line of its own starting with "admin token: ". It stops gracefully
// on SIGINT or SIGTERM.
//
// It keeps the second vendor's workflows too: the entitlement lifecycle and time tokens always;
// temporary licenses with -presales-policy (the policy document, as GET
// /v1/temporary-licenses/policy serves it); deal registrations always, asking the vendor's CRM
// whether a deal is in its pipeline when -deal-pipeline names its endpoint (a POST of the
// registration as JSON, answered {"in_pipeline": true|false}), and otherwise keeping no pipeline:
// no deal is in it, as it says when it starts. A Go service that mounts the handler passes its
// own dealreg.Pipeline in httpapi.Options.DealReg instead.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/pgstore"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/swa"
)

type config struct {
	addr, data, pg, pgTable     string
	tlsCert, tlsKey, clientCA   string
	swaTerms                    string
	presalesPolicy, dealPipe    string
	admin, vendor               string
	idempotencyTTL, groupCommit time.Duration
	rate                        float64
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:8440", "address to listen on")
	flag.StringVar(&c.data, "data", "./lmskit-data", "data directory: the keys and, without -pg, the ledger file")
	flag.StringVar(&c.pg, "pg", "", "PostgreSQL connection URL; the ledger then lives there (the keys stay in -data)")
	flag.StringVar(&c.pgTable, "pg-table", "", "PostgreSQL table of the ledger (default lmskit_ledger)")
	flag.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	flag.StringVar(&c.tlsKey, "tls-key", "", "and this private key (PEM)")
	flag.StringVar(&c.clientCA, "client-ca", "", "with -tls-cert: accept client certificates from these CAs (PEM); the user is the certificate's e-mail SAN, else its CN")
	flag.StringVar(&c.swaTerms, "swa-terms", "", "the SWA product terms table (JSON, as swa.ParseTerms reads it); default: the guide's figures (swa.DefaultTerms)")
	flag.StringVar(&c.presalesPolicy, "presales-policy", "", "the temporary license policy (JSON, as GET /v1/temporary-licenses/policy serves it); without it the server takes no applications")
	flag.StringVar(&c.dealPipe, "deal-pipeline", "", "the vendor's CRM endpoint asked whether a registered deal is in its pipeline (POST, JSON); default: no pipeline, no deal is in it")
	flag.StringVar(&c.admin, "admin", "admin", "login of the first administrator, created on first start")
	flag.StringVar(&c.vendor, "vendor", "vendor", "partner id of the vendor, created on first start")
	flag.DurationVar(&c.idempotencyTTL, "idempotency-ttl", 24*time.Hour, "how long an Idempotency-Key's response is kept")
	flag.DurationVar(&c.groupCommit, "group-commit", 0, "embedded store: let concurrent transactions share a commit, waiting up to this long (0: one fsync per transaction)")
	flag.Float64Var(&c.rate, "rate", 50, "requests per second per token (bursts of twice as many); negative: no limit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "licenseserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends; the lines for people (the first token, the address) go to out.
func run(ctx context.Context, c config, out io.Writer, log *slog.Logger) error {
	keys, err := loadKeys(c.data)
	if err != nil {
		return err
	}
	var store entitlement.Store
	if c.pg != "" {
		store, err = pgstore.Open(ctx, c.pg, &pgstore.Options{Table: c.pgTable})
	} else {
		store, err = entitlement.OpenFile(filepath.Join(c.data, "ledger"), &entitlement.FileOptions{GroupCommit: c.groupCommit})
	}
	if err != nil {
		return err
	}
	defer store.Close()
	deriver, err := keycode.NewDeriver(keys.deriver)
	if err != nil {
		return err
	}
	l := entitlement.New(store, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: keys.issuer},
		Rules: systems.GuideRules(), Deriver: deriver, AuditKey: keys.audit})
	var terms *swa.Terms
	if c.swaTerms != "" {
		f, err := os.Open(c.swaTerms)
		if err != nil {
			return err
		}
		terms, err = swa.ParseTerms(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.swaTerms, err)
		}
	}
	book, err := swa.New(l, swa.Config{Terms: terms}) // before any request: SWA units shipped reach the units bin
	if err != nil {
		return err
	}
	if err := firstStart(ctx, l, c, out); err != nil {
		return err
	}
	opts := httpapi.Options{Ledger: l, SWA: book, Logger: log, IdempotencyTTL: c.idempotencyTTL, RateLimit: c.rate,
		DealReg: &dealreg.Policy{Pipeline: noPipeline{}}}
	if c.presalesPolicy != "" {
		f, err := os.Open(c.presalesPolicy)
		if err != nil {
			return err
		}
		p, err := httpapi.ParsePresalesPolicy(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.presalesPolicy, err)
		}
		opts.Presales = &p
	}
	if c.dealPipe != "" {
		u, err := url.Parse(c.dealPipe)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("-deal-pipeline %q: want an http or https URL", c.dealPipe)
		}
		opts.DealReg.Pipeline = newHTTPPipeline(u.String())
	} else {
		log.Warn("deal registrations: no pipeline (-deal-pipeline): no deal counts as in the vendor's pipeline")
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if c.clientCA != "" {
			pem, err := os.ReadFile(c.clientCA)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%s: no certificates", c.clientCA)
			}
			srv.TLSConfig.ClientCAs, srv.TLSConfig.ClientAuth = pool, tls.VerifyClientCertIfGiven
			opts.ClientCertUser = httpapi.CertEmailUser
		}
	} else if c.clientCA != "" {
		return errors.New("-client-ca needs -tls-cert and -tls-key")
	}
	h, err := httpapi.New(opts)
	if err != nil {
		return err
	}
	srv.Handler = h
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if srv.TLSConfig != nil {
		scheme = "https"
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	fmt.Fprintf(out, "listening on %s://%s\n", scheme, ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// firstStart bootstraps an empty ledger and issues the administrator's first token while no
// token exists: printed once, and never again once one was issued.
func firstStart(ctx context.Context, l *entitlement.Ledger, c config, out io.Writer) error {
	admin := entitlement.Actor{User: c.admin}
	err := l.Bootstrap(ctx, entitlement.Partner{ID: c.vendor, Name: "Vendor"}, entitlement.User{ID: c.admin, Name: "LMS Administrator"})
	if err != nil && !errors.Is(err, entitlement.ErrExists) {
		return err
	}
	if err != nil {
		// An existing ledger: a token is issued only if none ever was (a first start that
		// stopped between the bootstrap and the token).
		toks, err := l.Tokens(ctx, admin, entitlement.TokenQuery{Limit: 1})
		if err != nil || len(toks) > 0 {
			return nil // another administrator's ledger, or tokens exist: nothing to print
		}
	}
	secret, _, err := l.IssueToken(ctx, admin, entitlement.TokenRequest{User: c.admin, Name: "first administrator token"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "admin token: %s\n", secret)
	return nil
}
