// Command loadgen drives a running licenseserver with the load mix (internal/loadmix): N
// concurrent partners, each created for the run with its own user (an SWA Distributor Admin),
// token, stock, SWA units, customer and iS3000 location, run rounds of create location, attach,
// activate, download, hardware and software key code lookups, SWA quotes and authenticated empty
// requests. It targets loopback addresses only, is bounded in
// rounds and time, stops by itself and prints requests/s, p50 and p99 per operation.
//
//	go run ./examples/licenseserver/loadgen -token "$ADMIN_TOKEN" -clients 8 -rounds 20
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/lmskit/lmskit/internal/loadmix"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8440", "the server (a loopback address)")
	token := flag.String("token", os.Getenv("LMSKIT_TOKEN"), "an administrator's API token (default $LMSKIT_TOKEN)")
	clients := flag.Int("clients", 8, "concurrent partners")
	rounds := flag.Int("rounds", 10, "rounds per partner")
	maxTime := flag.Duration("max-time", time.Minute, "stop after this long")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -token (or LMSKIT_TOKEN) is required: the administrator token the server printed")
		os.Exit(2)
	}
	if err := loadmix.CheckLoopback(*base); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	now := time.Now().Unix()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = *clients + 4
	d := &loadmix.HTTP{Base: *base, Admin: *token, Prefix: fmt.Sprintf("load-%d", now), Client: &http.Client{Transport: tr, Timeout: time.Minute}}
	res, err := loadmix.Run(context.Background(), d, loadmix.Config{Clients: *clients, Rounds: *rounds, MaxTime: *maxTime,
		CodeBase: now % 1000 * 1_000_000})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d clients, %v\n%s", res.Clients, res.Elapsed.Round(time.Millisecond), res.Table())
	if len(res.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: %d errors, first: %v\n", len(res.Errors), res.Errors[0])
		os.Exit(1)
	}
}
