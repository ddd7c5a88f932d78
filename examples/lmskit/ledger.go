package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/pgstore"
)

// A ledgerOp is one read-only command on an open ledger store. Adding a command (export, say) is one
// entry in ledgerCommands with a function of this type: opening the store read-only, the audit key,
// --json and the exit status are done once, in ledgerCommand.
type ledgerOp func(ctx context.Context, e *env, s entitlement.Store, key []byte, pos []string, asJSON bool) error

func ledgerCommands() []*command {
	return []*command{
		ledgerCommand("verify-audit", "", "check the audit chain: sequence, links, hashes (keyed with -audit-key-file), head", 0, verifyAudit),
		ledgerCommand("check", "", "check that no seat was created or lost (the conservation check)", 0, checkLedger),
		{name: "migrate", args: "OLD NEW", run: migrateLedger,
			summary: "copy a ledger file of the earlier bbolt store (OLD) to a new store of the current engine (NEW), verified (entitlement.MigrateFile)"},
		ledgerCommand("export", "OUT", "write every record as versioned JSON lines (entitlement.Export) to OUT (- for standard output); holds no secret", 1, exportLedger),
	}
}

// ledgerCommand makes a ledger command from its operation.
func ledgerCommand(name, args, summary string, nargs int, op ledgerOp) *command {
	return &command{name: name, args: "(-file PATH | -pg URL [-table NAME]) [-audit-key-file FILE] " + args, summary: summary,
		run: func(e *env, argv []string) error {
			fs := e.newFlags()
			file := fs.String("file", "", "the embedded ledger `PATH` (entitlement.OpenFile), opened read-only")
			pg := fs.String("pg", "", "a PostgreSQL connection `URL` (entitlement/pgstore); only read-only transactions are run")
			table := fs.String("table", "", "the PostgreSQL `TABLE` of the ledger (default lmskit_ledger)")
			keyFile := fs.String("audit-key-file", "", "the `FILE` holding the ledger's audit key (Config.AuditKey), if it has one")
			wait := fs.Duration("wait", time.Second, "how long to wait for a ledger file another process holds")
			asJSON := fs.Bool("json", false, "answer in JSON")
			pos, err := parse(fs, argv, nargs, nargs)
			if err != nil {
				return err
			}
			if (*file == "") == (*pg == "") {
				return usagef("give -file PATH or -pg URL")
			}
			var key []byte
			if *keyFile != "" {
				if key, err = os.ReadFile(*keyFile); err != nil {
					return err
				}
				if len(key) == 0 {
					return fmt.Errorf("%s: empty audit key", *keyFile)
				}
			}
			ctx := context.Background()
			s, err := openLedger(ctx, *file, *pg, *table, *wait)
			if err != nil {
				return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
			}
			defer s.Close()
			if err := op(ctx, e, s, key, pos, *asJSON); err != nil {
				var se *silentError
				if errors.As(err, &se) {
					return err
				}
				return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
			}
			return nil
		}}
}

// openLedger opens a ledger store read-only.
func openLedger(ctx context.Context, file, pg, table string, wait time.Duration) (entitlement.Store, error) {
	if file != "" {
		if _, err := os.Stat(file); err != nil {
			return nil, err
		}
		s, err := entitlement.OpenFile(file, &entitlement.FileOptions{ReadOnly: true, Timeout: wait})
		if errors.Is(err, entitlement.ErrLocked) {
			return nil, fmt.Errorf("%w; stop it, or run this against a backup copy", err)
		}
		return s, err
	}
	if table == "" {
		table = "lmskit_ledger"
	}
	// pgstore.Open creates a missing table; a read-only tool must not, so look first.
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	var found *string
	err = conn.QueryRow(ctx, "SELECT to_regclass($1)::text", table).Scan(&found)
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("looking for the ledger table: %w", err)
	}
	if found == nil {
		return nil, fmt.Errorf("no ledger table %q in that database", table)
	}
	return pgstore.Open(ctx, pg, &pgstore.Options{Table: table})
}

func verifyAudit(ctx context.Context, e *env, s entitlement.Store, key []byte, _ []string, asJSON bool) error {
	n, err := entitlement.VerifyAudit(ctx, s, key)
	if err != nil {
		return e.refuse(asJSON, map[string]any{"ok": false, "records": n, "error": err.Error()}, err)
	}
	if asJSON {
		return e.printJSON(map[string]any{"ok": true, "records": n, "keyed": key != nil})
	}
	kind := "SHA-256 chain"
	if key != nil {
		kind = "HMAC-SHA-256 chain under the audit key"
	}
	fmt.Fprintf(e.stdout, "OK: %d audit records, %s intact\n", n, kind)
	return nil
}

func checkLedger(ctx context.Context, e *env, s entitlement.Store, _ []byte, _ []string, asJSON bool) error {
	err := entitlement.CheckConservation(ctx, s)
	var ce *entitlement.ConservationError
	if errors.As(err, &ce) {
		if !asJSON {
			for _, p := range ce.Problems {
				fmt.Fprintf(e.stdout, "problem: %s\n", p)
			}
		}
		return e.refuse(asJSON, map[string]any{"ok": false, "problems": ce.Problems}, fmt.Errorf("%d conservation problems", len(ce.Problems)))
	}
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(map[string]any{"ok": true})
	}
	fmt.Fprintln(e.stdout, "OK: every shipped line is conserved (no seat created or lost)")
	return nil
}

// exportLedger writes the ledger's export to a new file (0600: it holds the partners' books) or
// to standard output.
func exportLedger(ctx context.Context, e *env, s entitlement.Store, _ []byte, pos []string, asJSON bool) error {
	out := pos[0]
	w := e.stdout
	var f *os.File
	if out != "-" {
		var err error
		if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		w = f
	} else if asJSON {
		return usagef("--json reports on the export: give a file, not -")
	}
	n, err := entitlement.Export(ctx, s, w)
	if f != nil {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(out)
		}
	}
	if err != nil {
		return err
	}
	switch {
	case asJSON:
		return e.printJSON(map[string]any{"ok": true, "records": n, "file": out, "format": entitlement.ExportFormat, "version": entitlement.ExportVersion})
	case out != "-":
		fmt.Fprintf(e.stdout, "OK: %d records written to %s (%s version %d)\n", n, out, entitlement.ExportFormat, entitlement.ExportVersion)
	}
	return nil
}

// migrateLedger wraps entitlement.MigrateFile: OLD is opened read-only and left as it is; NEW must
// not exist.
func migrateLedger(e *env, argv []string) error {
	fs := e.newFlags()
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, argv, 2, 2)
	if err != nil {
		return err
	}
	if err := entitlement.MigrateFile(pos[0], pos[1]); err != nil {
		return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	if *asJSON {
		return e.printJSON(map[string]any{"ok": true, "old": pos[0], "new": pos[1]})
	}
	fmt.Fprintf(e.stdout, "OK: %s copied to %s and verified; %s is unchanged\n", pos[0], pos[1], pos[0])
	return nil
}
