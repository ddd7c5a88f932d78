// Package loadmix is the license server's load generator: N concurrent partners each run rounds
// of a realistic mix (create a location, attach, activate, download the file, look up the
// hardware and software key codes, quote Software Assurance for the partner's iS3000 location,
// and requests that only authenticate), against the HTTP API or in-process against the ledger
// and its SWA book, and the latencies per operation are collected. It is bounded in rounds and in
// time and stops by itself; the HTTP driver only talks to loopback addresses. Pick a driver and run
// it:
//
//	d := &loadmix.InProcess{L: l, Book: book, Admin: admin, Prefix: "load"} // or a *loadmix.HTTP on a served API
//	res, err := loadmix.Run(ctx, d, loadmix.Config{Clients: 2, Rounds: 3, MaxTime: time.Minute})
//	if err != nil {
//		return err
//	}
//
// res.Table() is then a Markdown table of each operation's count, rate, p50 and p99, and
// res.Errors what failed. [RunInterleaved] runs two drivers round by round in one run (the HTTP
// API beside the ledger in process, its floor), so that their figures read as a ratio.
package loadmix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Operation names, in report order.
const (
	OpCreateLocation = "create_location" // create a location under a new hardware key code
	OpAttach         = "attach"          // attach one seat from the partner's bin
	OpActivate       = "activate"        // activate it, issuing the location's file
	OpDownload       = "download"        // download the file
	OpLookupHWKC     = "lookup_hwkc"     // look the hardware key code up
	OpLookupSKC      = "lookup_skc"      // look the software key code up
	OpSWAQuote       = "swa_quote"       // quote Software Assurance for the iS3000 location
	OpEmpty          = "empty"           // a request that only authenticates (HTTP)
)

// Ops lists the operations in report order.
var Ops = []string{OpCreateLocation, OpAttach, OpActivate, OpDownload, OpLookupHWKC, OpLookupSKC, OpSWAQuote, OpEmpty}

// Driver runs the operations of one partner. Setup prepares the partner (its user, stock,
// customer and an iS3000 location with its licenses activated, in Software Assurance's grace,
// under the ten digits code); each call of Round creates a location under code and runs the mix
// on it, timing each operation through t.
type Driver interface {
	Setup(ctx context.Context, client int, code string) (Partner, error)
	Round(ctx context.Context, p Partner, code string, t Timer) error
}

// Partner is what a driver keeps of one client's partner.
type Partner struct {
	Token       string // HTTP: the user's API token
	User        string // in-process: the user's login
	Customer    string // the customer the rounds create locations for
	Line        uint64 // the shipped line to attach from
	SWALocation string // the iS3000 location quoted
}

// Orders of the setup: a million BE107585 to attach one at a time, the licenses of an iS3000
// system and SWA units (expiring in two years).
var (
	stockPart   = "BE107585"
	is3000Parts = []struct {
		part string
		qty  int64
	}{{"960026138000", 1}, {"EU920000", 1}, {"EU920014", 40}, {"BE112031", 1000}}
)

// is3000Code is the iS3000 dongle code of a partner's SWA location.
func is3000Code(digits string) string { return "aa0014SA" + digits + "AA" }

// Timer times one operation.
type Timer func(op string, fn func() error) error

// Config bounds a run.
type Config struct {
	Clients int           // concurrent partners; 0 means 1
	Rounds  int           // rounds per client; 0 means 10
	MaxTime time.Duration // the run stops after this however many rounds are done; 0 means 60 s
	// CodeBase makes the hardware key codes of this run unique in the ledger: driver j's client
	// c's round r uses SV8100 code 19 followed by the ten digits of CodeBase + j×500,000,000 +
	// c×100,000 + r; its setup the same digits with r = 99,999 in an iS3000 code.
	CodeBase int64
}

// Result is what a run measured.
type Result struct {
	Clients int                        // the concurrent partners
	Elapsed time.Duration              // the run's wall-clock time
	Samples map[string][]time.Duration // per operation
	Errors  []error                    // the operations and rounds that failed
}

// Run sets up cfg.Clients partners and runs their rounds concurrently.
func Run(ctx context.Context, d Driver, cfg Config) (*Result, error) {
	rs, err := run(ctx, []Driver{d}, cfg)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// RunInterleaved runs two drivers in one run, interleaved as finely as possible: every client has
// a partner in each and alternates between them round by round (in alternating order), so both
// see the same machine at the same moments and their figures read as a ratio. Each driver does
// cfg.Rounds rounds per client.
func RunInterleaved(ctx context.Context, a, b Driver, cfg Config) (ra, rb *Result, err error) {
	rs, err := run(ctx, []Driver{a, b}, cfg)
	if err != nil {
		return nil, nil, err
	}
	return rs[0], rs[1], nil
}

func run(ctx context.Context, ds []Driver, cfg Config) ([]*Result, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 1
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 10
	}
	if cfg.MaxTime <= 0 {
		cfg.MaxTime = time.Minute
	}
	if cfg.Rounds > 99_998 || cfg.Clients > 4_999 {
		return nil, errors.New("loadmix: at most 4,999 clients of 99,998 rounds")
	}
	partners := make([][]Partner, len(ds))
	for j, d := range ds {
		partners[j] = make([]Partner, cfg.Clients)
		for i := range cfg.Clients {
			p, err := d.Setup(ctx, i, digits(cfg.CodeBase, j, i, 99_999))
			if err != nil {
				return nil, fmt.Errorf("loadmix: setting up client %d: %w", i, err)
			}
			partners[j][i] = p
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxTime)
	defer cancel()
	results := make([]*Result, len(ds))
	for j := range ds {
		results[j] = &Result{Clients: cfg.Clients, Samples: map[string][]time.Duration{}}
	}
	var mu sync.Mutex
	timer := func(res *Result) Timer {
		return func(op string, fn func() error) error {
			t0 := time.Now()
			err := fn()
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors = append(res.Errors, fmt.Errorf("%s: %w", op, err))
				return err
			}
			res.Samples[op] = append(res.Samples[op], d)
			return nil
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range cfg.Rounds {
				for k := range ds {
					j := (k + r + c) % len(ds) // alternate which driver goes first
					if ctx.Err() != nil {
						return
					}
					code := "19" + digits(cfg.CodeBase, j, c, r)
					if err := ds[j].Round(ctx, partners[j][c], code, timer(results[j])); err != nil {
						if ctx.Err() == nil {
							mu.Lock()
							results[j].Errors = append(results[j].Errors, fmt.Errorf("client %d round %d: %w", c, r, err))
							mu.Unlock()
						}
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, res := range results {
		res.Elapsed = time.Since(start)
	}
	return results, nil
}

// digits are the ten digits of driver j's client c's round r (Config.CodeBase).
func digits(base int64, j, c, r int) string {
	return fmt.Sprintf("%010d", base+int64(j)*500_000_000+int64(c)*100_000+int64(r))
}

// Percentile returns the p-th percentile (0 < p <= 100, nearest rank) of samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Table formats a result as a Markdown table: per operation the count, the rate over the run,
// p50 and p99.
func (r *Result) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| operation | count | per second | p50 | p99 |\n|---|---|---|---|---|\n")
	for _, op := range Ops {
		s := r.Samples[op]
		if len(s) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f | %v | %v |\n", op, len(s), float64(len(s))/r.Elapsed.Seconds(),
			Percentile(s, 50).Round(time.Microsecond), Percentile(s, 99).Round(time.Microsecond))
	}
	return b.String()
}

// Merge adds o's samples and errors to r (interleaved runs of one configuration).
func (r *Result) Merge(o *Result) {
	if r.Samples == nil {
		r.Samples = map[string][]time.Duration{}
	}
	for op, s := range o.Samples {
		r.Samples[op] = append(r.Samples[op], s...)
	}
	r.Errors = append(r.Errors, o.Errors...)
	r.Elapsed += o.Elapsed
	r.Clients = o.Clients
}
