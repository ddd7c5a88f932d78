// Command lmcd is the License Management Client daemon: one process per machine that serves
// license/lmc to every application there on a unix socket (and, with a token, on loopback TCP).
//
//	lmcd -config /etc/lmc/lmcd.json
//	lmcd -dir /var/lib/lmc -socket /run/lmc/lmc.sock -keyring /etc/lmc/vendor.keyring \
//	     -source static:SV8500:22CC538207AFD058020640CD57xO
//
// It runs in the foreground and logs to stderr (log/slog, text), as systemd expects: SIGTERM or
// SIGINT stop it gracefully (the requests already read are answered), SIGHUP makes it read its
// license directory again without dropping the leases the files there still cover. The socket is
// mode 0600 unless -socket-mode and -socket-group open it to a group of application users.
//
// The administrator's operations (lmskit lmc usage|remove|reread|install) are allowed to the
// daemon's own user and root on the socket (checked with SO_PEERCRED on Linux), and on TCP to
// whoever presents the admin token, which must differ from the client token.
//
// Exit status: 0 after a graceful stop, 1 when it cannot start or serve, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lmcd: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.level()}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := serve(ctx, cfg, log, hup); err != nil {
		log.Error("lmcd stopped", "err", err)
		return 1
	}
	log.Info("lmcd stopped")
	return 0
}
