// Command lmskit is the lmskit command line: the commands a user of a licensing SDK reaches for
// first.
//
//	go run ./examples/lmskit help
//
//	lmskit keygen -out vendor.key                    an Ed25519 signing key (PKCS#8 PEM, 0600)
//	lmskit hostid parse -system SV8500 CODE          what a hardware key code is, or why it is not
//	lmskit hostid detect CODE                        which systems' grammars accept it
//	lmskit issue -spec file.json -key vendor.key     a license file (armored, svi zip or BX zip)
//	lmskit inspect FILE                              what a file holds (UNVERIFIED without a key)
//	lmskit verify -keyring vendor.keyring FILE       whether it verifies, and binds to a host
//	lmskit activation-code check FILE CODE           whether an activation code is this file's
//	lmskit lmc status|usage|remove|reread|install    a running LMC (lmstat, lmremove, lmreread)
//	lmskit ledger verify-audit|check                 the license server's ledger, read-only
//
// Every command takes -h (or --help). Exit status: 0 ok, 1 refused (the input was read and the
// answer is no, or an operation failed), 2 usage (the command line is wrong). Read commands take
// --json for a machine-readable answer on stdout. Errors go to stderr. No command prints a private
// key, a token or an audit key.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A command is one verb of the command line, or a group of them.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string
	run     func(e *env, args []string) error
	sub     []*command
}

// env is what a command writes to, and how.
type env struct {
	stdout, stderr io.Writer
	path           string // "lmskit lmc usage", for messages
}

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errHelp means help was asked for and printed: exit status 0.
var errHelp = errors.New("help")

// silentError is a refusal whose explanation was already written: exit status 1.
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

func commands() []*command {
	return []*command{
		{name: "keygen", args: "-out FILE [-pub FILE] [-force]", summary: "make an Ed25519 signing key (PKCS#8 PEM, mode 0600) and show its public key and key id", run: keygen},
		{name: "hostid", summary: "hardware key codes", sub: []*command{
			{name: "parse", args: "[-system SYSTEM] CODE", summary: "what a key code is: system, canonical form, LMC form; or the parser's error with its position and suggestion", run: hostidParse},
			{name: "detect", args: "CODE", summary: "the systems whose grammar accepts a code", run: hostidDetect},
		}},
		{name: "issue", args: "-spec FILE -key FILE [-format armor|svi|bx|signed] [-out FILE]", summary: "sign a license file from a JSON spec", run: issue},
		{name: "inspect", args: "[-keyring FILE | -pub FILE] FILE", summary: "what a license file holds, in any form (signed, armored, svi zip, BX zip); UNVERIFIED without a key", run: inspect},
		{name: "verify", args: "(-keyring FILE | -pub FILE...) [-system S -code C ...] [-at TIME] FILE", summary: "verify a license file against trusted keys, and its binding and term against a host", run: verify},
		{name: "activation-code", summary: "activation codes", sub: []*command{
			{name: "check", args: "FILE CODE", summary: "whether CODE is the activation code of the license file", run: activationCheck},
		}},
		{name: "lmc", summary: "a running License Management Client (-socket PATH, or -tcp ADDR -token-file FILE)", sub: []*command{
			{name: "status", args: "", summary: "the LMC's codes, its source, what it supports and its files", run: lmcStatus},
			{name: "usage", args: "[PART]", summary: "every lease with its handle, holder, seats and expiry (lmstat; administrator), or one part's usage", run: lmcUsage},
			{name: "remove", args: "HANDLE | -app APP [-part PART]", summary: "revoke a lease by handle, or an application's leases (lmremove; administrator)", run: lmcRemove},
			{name: "reread", args: "", summary: "read the license directory again, keeping the leases still covered (lmreread; administrator)", run: lmcReread},
			{name: "install", args: "FILE", summary: "install a license file in any form (administrator)", run: lmcInstall},
		}},
		{name: "ledger", summary: "the license server's ledger, read-only (-file PATH or -pg URL)", sub: ledgerCommands()},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, path: "lmskit"}
	err := dispatch(e, &command{name: "lmskit", sub: commands()}, args)
	var ue *usageError
	var se *silentError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", e.path, err)
		fmt.Fprintf(stderr, "run '%s -h' for help\n", e.path)
		return 2
	case errors.As(err, &se):
		return 1
	}
	fmt.Fprintf(stderr, "%s: %v\n", e.path, err)
	return 1
}

func dispatch(e *env, c *command, args []string) error {
	if c.run != nil {
		return c.run(e, args)
	}
	if len(args) == 0 {
		printGroupHelp(e.stderr, e.path, c)
		return usagef("missing command")
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 { // lmskit help lmc usage
			return dispatch(e, c, append(args[1:], "-h"))
		}
		printGroupHelp(e.stdout, e.path, c)
		return errHelp
	}
	for _, s := range c.sub {
		if s.name == name {
			e.path += " " + name
			return dispatch(e, s, args[1:])
		}
	}
	return usagef("unknown command %q", name)
}

func printGroupHelp(w io.Writer, path string, c *command) {
	if c.name == "lmskit" {
		fmt.Fprintln(w, "lmskit: the lmskit command line (exit status 0 ok, 1 refused, 2 usage; --json on read commands)")
	} else {
		fmt.Fprintf(w, "%s: %s\n", path, c.summary)
	}
	fmt.Fprintln(w, "\ncommands:")
	var walk func(prefix string, cs []*command)
	walk = func(prefix string, cs []*command) {
		for _, s := range cs {
			if s.sub != nil {
				walk(prefix+s.name+" ", s.sub)
				continue
			}
			fmt.Fprintf(w, "  %-28s %s\n", prefix+s.name, s.summary)
		}
	}
	walk("", c.sub)
	fmt.Fprintf(w, "\nrun '%s COMMAND -h' for a command's flags\n", path)
}

// flags makes the flag set of a command; its help goes to stdout when asked for.
func (e *env) flags(args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(e.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "usage: %s %s\n\n%s\n", e.path, args, summary)
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if b.Len() > 0 {
			fmt.Fprintf(e.stdout, "\nflags:\n%s", b.String())
		}
	}
	return fs
}

// parse parses flags and positional arguments in any order ("inspect FILE --json") and checks the
// number of positional arguments.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	switch {
	case len(pos) < minArgs:
		return nil, usagef("missing argument (see -h)")
	case maxArgs >= 0 && len(pos) > maxArgs:
		return nil, usagef("unexpected argument %q", pos[maxArgs])
	}
	return pos, nil
}

// command-specific help text lookups: the summary and synopsis of the command at e.path.
func (e *env) spec() (args, summary string) {
	words := strings.Fields(e.path)[1:]
	cs := commands()
	var c *command
	for _, w := range words {
		for _, s := range cs {
			if s.name == w {
				c = s
				cs = s.sub
				break
			}
		}
	}
	if c == nil {
		return "", ""
	}
	return c.args, c.summary
}

// newFlags is flags with the command's own synopsis and summary.
func (e *env) newFlags() *flag.FlagSet {
	a, s := e.spec()
	return e.flags(a, s)
}

// printJSON writes v as indented JSON on stdout.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// refuse writes a refusal: the error on stderr and, for --json, the answer on stdout; exit 1.
func (e *env) refuse(asJSON bool, answer any, err error) error {
	if asJSON && answer != nil {
		e.printJSON(answer)
	}
	fmt.Fprintf(e.stderr, "%s: %v\n", e.path, err)
	return &silentError{err}
}

// readInputFile reads a file the user names ("-" is stdin), capped.
func readInputFile(path string, max int64) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: over %d bytes", path, max)
	}
	return b, nil
}
