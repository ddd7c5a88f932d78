package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/license/lmc"
)

// lmcFlags are the flags every lmc command takes: where the LMC is.
type lmcFlags struct {
	socket, tcp, tokenFile *string
	timeout                *time.Duration
	asJSON                 *bool
}

func addLMCFlags(fs *flag.FlagSet, read bool) lmcFlags {
	f := lmcFlags{
		socket:    fs.String("socket", "/run/lmc/lmc.sock", "the LMC's unix socket `PATH`"),
		tcp:       fs.String("tcp", "", "the LMC's loopback TCP `ADDRESS` instead of the socket (needs -token-file)"),
		tokenFile: fs.String("token-file", "", "a `FILE` holding the token to present (over TCP: the admin token for the administrator's commands)"),
		timeout:   fs.Duration("timeout", 10*time.Second, "give up after `DURATION`"),
	}
	if read {
		f.asJSON = fs.Bool("json", false, "answer in JSON")
	} else {
		f.asJSON = new(bool)
	}
	return f
}

func (f lmcFlags) dial(ctx context.Context) (*lmc.Conn, error) {
	var opts []lmc.DialOption
	opts = append(opts, lmc.WithTimeout(*f.timeout))
	if *f.tokenFile != "" {
		b, err := os.ReadFile(*f.tokenFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, lmc.WithToken([]byte(strings.TrimRight(string(b), "\r\n"))))
	}
	if *f.tcp != "" {
		return lmc.Dial(ctx, "tcp", *f.tcp, opts...)
	}
	return lmc.Dial(ctx, "unix", *f.socket, opts...)
}

// withLMC parses an lmc command's flags, dials and runs fn.
func withLMC(e *env, args []string, read bool, minArgs, maxArgs int, extra func(*flag.FlagSet),
	fn func(ctx context.Context, c *lmc.Conn, pos []string, asJSON bool) error) error {
	fs := e.newFlags()
	lf := addLMCFlags(fs, read)
	if extra != nil {
		extra(fs)
	}
	pos, err := parse(fs, args, minArgs, maxArgs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *lf.timeout)
	defer cancel()
	c, err := lf.dial(ctx)
	if err != nil {
		return e.refuse(*lf.asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	defer c.Close()
	if err := fn(ctx, c, pos, *lf.asJSON); err != nil {
		var ue *usageError
		var se *silentError
		if errors.As(err, &ue) || errors.As(err, &se) {
			return err
		}
		return e.refuse(*lf.asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	return nil
}

func lmcStatus(e *env, args []string) error {
	return withLMC(e, args, true, 0, 0, nil, func(ctx context.Context, c *lmc.Conn, _ []string, asJSON bool) error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		var files []lmc.FileSummary
		if info.Supports("files") {
			if files, err = c.InstalledFiles(ctx); err != nil {
				return err
			}
		}
		if asJSON {
			return e.printJSON(map[string]any{"status": toStatusJSON(st), "protocol": info.Version, "admin": info.Admin, "ops": orEmpty(info.Ops),
				"lease_ttl": info.LeaseTTL.String(), "files": toFilesJSON(files)})
		}
		fmt.Fprintf(e.stdout, "LMC code:      %s\nhost code:     %s\n", orNone(st.Code), orNone(st.HostCode))
		if st.Bound != "" && st.Bound != st.Code {
			fmt.Fprintf(e.stdout, "files for:     %s (the host changed: new checkouts refused until files for %s are installed)\n", st.Bound, st.Code)
		}
		src := "reachable"
		if !st.Reachable {
			src = "NOT reachable: " + st.SourceError
		}
		fmt.Fprintf(e.stdout, "source:        %s", src)
		if !st.LastContact.IsZero() {
			fmt.Fprintf(e.stdout, " (last answer %s)", st.LastContact.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(e.stdout, "\nfiles:         %d installed, %d active\nprotocol:      %d; administrator: %v\n", st.Files, st.Active, info.Version, info.Admin)
		for _, f := range files {
			fmt.Fprintf(e.stdout, "  %-20s %-10s %-9s %3d lines", f.Serial, f.Status, f.Term, f.Lines)
			if !f.NotAfter.IsZero() {
				fmt.Fprintf(e.stdout, "  until %s", f.NotAfter.UTC().Format(time.RFC3339))
			}
			if f.Err != "" {
				fmt.Fprintf(e.stdout, "  %s", f.Err)
			}
			fmt.Fprintln(e.stdout)
		}
		return nil
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// lmcUsage is lmstat: every lease for the administrator, or one part's usage for anyone.
func lmcUsage(e *env, args []string) error {
	return withLMC(e, args, true, 0, 1, nil, func(ctx context.Context, c *lmc.Conn, pos []string, asJSON bool) error {
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if !info.Admin {
			if len(pos) == 0 {
				return fmt.Errorf("%w: listing every lease is for the LMC's administrator; name a PART to see its usage", lmc.ErrUnauthorized)
			}
			u, err := c.Usage(ctx, pos[0])
			if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(toUsageJSON(u))
			}
			fmt.Fprintf(e.stdout, "%s: %d of %d seats in use\n", u.Part, u.InUse, u.Count)
			for _, h := range u.Holders {
				fmt.Fprintf(e.stdout, "  %-20s %4d seats  %3d leases\n", h.App, h.Seats, h.Leases)
			}
			return nil
		}
		leases, err := c.Leases(ctx)
		if err != nil {
			return err
		}
		if len(pos) == 1 {
			kept := leases[:0]
			for _, l := range leases {
				if l.Part == pos[0] {
					kept = append(kept, l)
				}
			}
			leases = kept
		}
		if asJSON {
			return e.printJSON(map[string]any{"leases": toLeasesJSON(leases)})
		}
		part := ""
		for _, l := range leases {
			if l.Part != part {
				part = l.Part
				inUse := 0
				for _, m := range leases {
					if m.Part == part {
						inUse += m.Seats
					}
				}
				fmt.Fprintf(e.stdout, "%s: %d of %d seats in use\n", part, inUse, l.Count)
			}
			who := ""
			if l.PID != 0 {
				who = fmt.Sprintf("pid %d uid %d", l.PID, l.UID)
			}
			fmt.Fprintf(e.stdout, "  handle %-6s %-20s %4d seats  expires %s  %s\n", l.Handle, l.App, l.Seats, l.Expires.UTC().Format(time.RFC3339), who)
		}
		if len(leases) == 0 {
			fmt.Fprintln(e.stdout, "no leases out")
		}
		return nil
	})
}

// lmcRemove is lmremove.
func lmcRemove(e *env, args []string) error {
	var app, part *string
	return withLMC(e, args, false, 0, 1, func(fs *flag.FlagSet) {
		app = fs.String("app", "", "revoke every lease of the application `APP`")
		part = fs.String("part", "", "with -app: only its leases of `PART`")
	}, func(ctx context.Context, c *lmc.Conn, pos []string, _ bool) error {
		switch {
		case len(pos) == 1 && *app == "":
			if err := c.Revoke(ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked lease %s; its holder learns it at its next renewal\n", pos[0])
			return nil
		case len(pos) == 0 && *app != "":
			n, err := c.RevokeApp(ctx, *app, *part)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked %d lease(s) of %s\n", n, *app)
			return nil
		}
		return usagef("give a lease HANDLE (see 'lmskit lmc usage') or -app APP")
	})
}

// lmcReread is lmreread.
func lmcReread(e *env, args []string) error {
	return withLMC(e, args, true, 0, 0, nil, func(ctx context.Context, c *lmc.Conn, _ []string, asJSON bool) error {
		rr, err := c.Reread(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return e.printJSON(toRereadJSON(rr))
		}
		fmt.Fprintf(e.stdout, "added %v, replaced %v, removed %v, invalid %v; %d lease(s) revoked\n",
			rr.Added, rr.Replaced, rr.Removed, rr.Invalid, rr.Revoked)
		return nil
	})
}

// lmcInstall installs a file in any form.
func lmcInstall(e *env, args []string) error {
	return withLMC(e, args, false, 1, 1, nil, func(ctx context.Context, c *lmc.Conn, pos []string, _ bool) error {
		data, err := readInputFile(pos[0], license.MaxZipSize)
		if err != nil {
			return err
		}
		serials, err := c.InstallData(ctx, data)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "installed %s\n", strings.Join(serials, ", "))
		return nil
	})
}
