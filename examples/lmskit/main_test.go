package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/pgstore"
	"github.com/lmskit/lmskit/examples/internal/keyringfile"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/license/lmc"
	"github.com/lmskit/lmskit/signing"
)

// The tests run the built programs, as a user runs them: lmskit and lmcd are built once into a
// directory every user may read, so that a test can run them as another uid too.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lmskit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	for _, p := range []struct{ out, pkg string }{{"lmskit", "."}, {"lmcd", "../lmcd"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, p.out), p.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", p.out, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// lmskit runs the command line in dir.
func lmskit(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(filepath.Join(bin, "lmskit"), args...), dir)
}

func runCmd(t *testing.T, cmd *exec.Cmd, dir string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return result{out.String(), errb.String(), code}
}

func (r result) want(t *testing.T, code int, inStdout, inStderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout, inStdout) || !strings.Contains(r.stderr, inStderr) {
		t.Fatalf("exit %d, want %d; stdout must hold %q, stderr %q\nstdout:\n%s\nstderr:\n%s", r.code, code, inStdout, inStderr, r.stdout, r.stderr)
	}
}

func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("--json output does not decode: %v\n%s", err, r.stdout)
	}
}

// TestHelpAndUsage: help for every command on stdout with exit 0; a wrong command line exits 2 with
// the error on stderr.
func TestHelpAndUsage(t *testing.T) {
	dir := t.TempDir()
	lmskit(t, dir, "help").want(t, 0, "lmc usage", "")
	var leaves [][]string
	var walk func(prefix []string, cs []*command)
	walk = func(prefix []string, cs []*command) {
		for _, c := range cs {
			p := append(append([]string(nil), prefix...), c.name)
			if c.sub != nil {
				walk(p, c.sub)
				continue
			}
			leaves = append(leaves, p)
		}
	}
	walk(nil, commands())
	for _, p := range leaves {
		for _, h := range []string{"-h", "--help"} {
			r := lmskit(t, dir, append(p, h)...)
			r.want(t, 0, "usage: lmskit "+strings.Join(p, " "), "")
			if r.stderr != "" {
				t.Fatalf("%v %s wrote to stderr: %s", p, h, r.stderr)
			}
		}
		switch strings.Join(p, " ") {
		case "issue", "lmc remove", "lmc install": // they change things and answer in words
		default:
			lmskit(t, dir, append(p, "-h")...).want(t, 0, "-json", "") // every read command takes --json
		}
	}
	lmskit(t, dir, "help", "lmc", "usage").want(t, 0, "usage: lmskit lmc usage", "")
	lmskit(t, dir, "frobnicate").want(t, 2, "", "unknown command")
	lmskit(t, dir).want(t, 2, "", "missing command")
	lmskit(t, dir, "inspect").want(t, 2, "", "missing argument")
	lmskit(t, dir, "inspect", "a", "b").want(t, 2, "", "unexpected argument")
	lmskit(t, dir, "verify", "x.lic").want(t, 2, "", "needs trusted keys")
	lmskit(t, dir, "hostid", "parse", "-nosuch", "x").want(t, 2, "", "flag provided but not defined")
}

// TestKeygen: the private key goes to a 0600 file only, never to stdout; an existing file is not
// overwritten without -force.
func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	r := lmskit(t, dir, "keygen", "-out", "vendor.key", "-pub", "vendor.pub", "--json")
	r.want(t, 0, "key_id", "")
	var ans struct{ KeyID, PublicKey string }
	json.Unmarshal([]byte(strings.NewReplacer("key_id", "KeyID", "public_key", "PublicKey").Replace(r.stdout)), &ans)
	fi, err := os.Stat(filepath.Join(dir, "vendor.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "vendor.key"))
	k, err := signing.ParsePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	if ans.KeyID != k.Public().KeyID().String() || strings.Contains(r.stdout, "PRIVATE") || strings.Contains(r.stdout, string(b[30:60])) {
		t.Fatalf("stdout %q: want the key id and the public key only", r.stdout)
	}
	lmskit(t, dir, "keygen", "-out", "vendor.key").want(t, 1, "", "exists; use -force")
	lmskit(t, dir, "keygen").want(t, 2, "", "-out is required")
	lmskit(t, dir, "keygen", "-out", "vendor.key", "-force").want(t, 0, "BEGIN PUBLIC KEY", "")
}

// TestHostid: what a code is, and the parser's typed error with position and suggestion.
func TestHostid(t *testing.T) {
	dir := t.TempDir()
	var ok map[string]any
	r := lmskit(t, dir, "hostid", "parse", "22CC538207AFD058020640CD57xO", "--json")
	r.want(t, 0, `"system": "SV8500"`, "")
	r.json(t, &ok)
	if ok["lmc"] != "LM22CC538207AFD058020640CD57xO" {
		t.Fatalf("LMC form: %v", ok)
	}
	lmskit(t, dir, "hostid", "parse", "-system", "License Manager Client", "LM22CC538207AFD058020640CD57xO").want(t, 0, "PBX:    22CC538207AFD058020640CD57xO", "")
	// The guide's "I" read for "1" in a decimal code: the error says where and what was meant.
	r = lmskit(t, dir, "hostid", "parse", "-system", "SV8100", "19100034391I")
	r.want(t, 1, "", `did you mean '1'?`)
	r = lmskit(t, dir, "hostid", "parse", "-system", "SV8100", "19100034391I", "--json")
	var bad map[string]any
	r.json(t, &bad)
	if r.code != 1 || bad["offset"] != float64(11) || bad["suggest"] != "1" || bad["ok"] != false {
		t.Fatalf("exit %d, %v", r.code, bad)
	}
	lmskit(t, dir, "hostid", "parse", "191000343919").want(t, 1, "", "fits")
	lmskit(t, dir, "hostid", "parse", "-system", "NoSuchSystem", "1").want(t, 2, "", "unknown system")
	lmskit(t, dir, "hostid", "detect", "191000343919").want(t, 0, "SV8100", "")
	lmskit(t, dir, "hostid", "detect", "!!").want(t, 1, "", "no system's key code")
}

// vendor is a license issuer for the tests: a key in a file, a keyring file trusting it, and one
// revoked key.
type vendor struct {
	dir                       string
	key, revoked, retired     *signing.PrivateKey
	keyFile, keyring, pubFile string
}

func testKey(t *testing.T, b byte) *signing.PrivateKey {
	t.Helper()
	k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{b}, signing.SeedSize)) // fixed test keys; real keys never live in source
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var rotation = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newVendor(t *testing.T) *vendor {
	t.Helper()
	v := &vendor{dir: t.TempDir(), key: testKey(t, 1), revoked: testKey(t, 2), retired: testKey(t, 3)}
	v.keyFile = filepath.Join(v.dir, "vendor.key")
	v.keyring = filepath.Join(v.dir, "vendor.keyring")
	v.pubFile = filepath.Join(v.dir, "vendor.pub")
	write(t, v.keyFile, v.key.MarshalPEM(), 0o600)
	write(t, v.pubFile, v.key.Public().MarshalPEM(), 0o644)
	write(t, v.keyring, keyringfile.Format([]keyringfile.Entry{
		{Key: v.key.Public(), Window: signing.Window{NotBefore: rotation}},
		{Key: v.retired.Public(), Window: signing.Window{NotAfter: rotation}, Comment: "before the rotation"},
		{Key: v.revoked.Public(), Revoked: true},
	}), 0o644)
	return v
}

func write(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
}

const lmcCode = "LM22CC538207AFD058020640CD57xO"

func (v *vendor) spec(t *testing.T, name, serial string, qty int, extra string) string {
	t.Helper()
	s := fmt.Sprintf(`{"serial":%q,"issued":"2026-03-01T00:00:00Z","host":{"system":"License Manager Client","code":%q},
		"lines":[{"part":"USER","kind":"count","qty":%d},{"part":"390908","kind":"version","qty":10}]%s}`, serial, lmcCode, qty, extra)
	path := filepath.Join(v.dir, name)
	write(t, path, []byte(s), 0o644)
	return path
}

// TestIssueInspectVerify: a file issued in every form is read back from every form; inspect says
// UNVERIFIED without a key; verify refuses with the typed reason and exit 1.
func TestIssueInspectVerify(t *testing.T) {
	v := newVendor(t)
	dir := v.dir
	spec := v.spec(t, "spec.json", "LMC-1", 5, "")
	forms := map[string]string{"armor": "lic.txt", "svi": "lic.zip", "signed": "lic.lic"}
	for format, out := range forms {
		lmskit(t, dir, "issue", "-spec", spec, "-key", v.keyFile, "-format", format, "-out", out).want(t, 0, "activation code", "")
	}
	armored := lmskit(t, dir, "issue", "-spec", spec, "-key", v.keyFile)
	armored.want(t, 0, "-----BEGIN LMSKIT LICENSE-----", "")
	lmskit(t, dir, "issue", "-spec", spec, "-key", v.keyFile, "-format", "svi").want(t, 2, "", "give -out")
	lmskit(t, dir, "issue", "-spec", spec, "-key", v.pubFile).want(t, 1, "", "vendor.pub")
	badSpec := filepath.Join(dir, "bad.json")
	write(t, badSpec, []byte(`{"serial":"X","host":{"system":"SV8100","code":"19100034391I"},"lines":[]}`), 0o644)
	lmskit(t, dir, "issue", "-spec", badSpec, "-key", v.keyFile).want(t, 1, "", "host.code")

	for format, out := range forms {
		r := lmskit(t, dir, "inspect", out, "--json")
		var ans struct {
			Form  string
			OK    bool
			Files []fileView
		}
		r.json(t, &ans)
		if r.code != 0 || len(ans.Files) != 1 || ans.Files[0].Verified || ans.Files[0].Serial != "LMC-1" || len(ans.Files[0].Lines) != 2 {
			t.Fatalf("inspect of the %s form: exit %d %+v", format, r.code, ans)
		}
		lmskit(t, dir, "inspect", out).want(t, 0, "UNVERIFIED", "")
		lmskit(t, dir, "inspect", "-keyring", v.keyring, out).want(t, 0, "signature:       verified", "")
		lmskit(t, dir, "verify", "-keyring", v.keyring, out).want(t, 0, "OK LMC-1", "")
		lmskit(t, dir, "verify", "-pub", v.pubFile, "-system", "License Manager Client", "-code", lmcCode, out).want(t, 0, "binding to "+lmcCode, "")
	}
	write(t, filepath.Join(dir, "order.pdf"), []byte("%PDF-1.7\n"), 0o644)
	lmskit(t, dir, "inspect", "order.pdf").want(t, 1, "", "input is a PDF")
	lmskit(t, dir, "verify", "-keyring", v.keyring, "order.pdf", "--json").want(t, 1, `"reason": "malformed"`, "input is a PDF")

	// Refusals, each with its reason.
	signedBy := func(k *signing.PrivateKey, issued time.Time, term license.Term, notAfter time.Time) string {
		f := &license.File{Serial: "X-1", Issued: issued, Term: term, NotAfter: notAfter, Entitlement: map[bool]string{true: "L"}[term != license.Permanent],
			Host:  license.Host{System: keycode.LMC, Code: keycode.MustParse(keycode.LMC, lmcCode)},
			Lines: []license.Line{{Part: "USER", Kind: license.Count, Qty: 1}}}
		b, err := f.Sign(k)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("x-%d.lic", rand.Int()))
		write(t, path, b, 0o644)
		return path
	}
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file string
		args       []string
		reason     string
	}{
		{"revoked key", signedBy(v.revoked, mar, license.Permanent, time.Time{}), nil, "revoked-key"},
		{"retired key after the rotation", signedBy(v.retired, mar, license.Permanent, time.Time{}), nil, "outside-key-window"},
		{"new key before the rotation", signedBy(v.key, rotation.Add(-time.Hour), license.Permanent, time.Time{}), nil, "outside-key-window"},
		{"unknown key", signedBy(testKey(t, 9), mar, license.Permanent, time.Time{}), nil, "unknown-key"},
		{"another host", signedBy(v.key, mar, license.Permanent, time.Time{}), []string{"-system", "License Manager Client", "-code", "LM22E76E11299790CBCA0724859BI4"}, "host-mismatch"},
		{"expired", signedBy(v.key, mar, license.Temporary, mar.Add(24*time.Hour)), []string{"-system", "License Manager Client", "-code", lmcCode, "-at", "2026-03-05T00:00:00Z"}, "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"verify", "-keyring", v.keyring, "--json"}, tc.args...)
			r := lmskit(t, dir, append(args, tc.file)...)
			var ans struct {
				OK    bool
				Files []fileView
			}
			r.json(t, &ans)
			if r.code != 1 || ans.OK || len(ans.Files) != 1 || ans.Files[0].Reason != tc.reason || !strings.Contains(r.stderr, "REFUSED ("+tc.reason+")") {
				t.Fatalf("exit %d, %+v, stderr %s; want exit 1 and reason %s", r.code, ans, r.stderr, tc.reason)
			}
		})
	}
	// The retired key still verifies what it signed before the rotation.
	lmskit(t, dir, "verify", "-keyring", v.keyring, signedBy(v.retired, rotation.Add(-time.Hour), license.Permanent, time.Time{})).want(t, 0, "OK X-1", "")
	// A BX zip with a redundant pair's two files.
	bx := func(serial, pk string) []byte {
		f := &license.File{Serial: serial, Issued: mar, Term: license.Permanent,
			Host:  license.Host{System: keycode.BXOVOC, Code: keycode.MustParse(keycode.BXOVOC, "358744541284567"), ProductKey: mustPK(t, pk)},
			Lines: []license.Line{{Part: "BX", Kind: license.Flag, Qty: 1}}}
		b, err := f.Sign(v.key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, zip, err := license.BXZip(bx("BX-1", "DT2729220"), bx("BX-2", "DT2729221"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "AA_pair.zip"), zip, 0o644)
	lmskit(t, dir, "inspect", "-keyring", v.keyring, "AA_pair.zip").want(t, 0, "bx zip, 2 file(s)", "")
}

func mustPK(t *testing.T, s string) keycode.ProductKey {
	pk, err := keycode.ParseProductKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// TestActivationCodeCheck: the code of the file passes; another valid code, a mistyped one and a
// file that is no license are refused with exit 1.
func TestActivationCodeCheck(t *testing.T) {
	v := newVendor(t)
	lmskit(t, v.dir, "issue", "-spec", v.spec(t, "s.json", "LMC-1", 5, ""), "-key", v.keyFile, "-out", "lic.txt").want(t, 0, "", "")
	b, _ := os.ReadFile(filepath.Join(v.dir, "lic.txt"))
	files, _, err := license.ReadInput(b)
	if err != nil {
		t.Fatal(err)
	}
	code := license.ActivationCode(files[0])
	lmskit(t, v.dir, "activation-code", "check", "lic.txt", code).want(t, 0, "OK "+code, "")
	lmskit(t, v.dir, "activation-code", "check", "lic.txt", code, "--json").want(t, 0, `"ok": true`, "")
	other := license.ActivationCode([]byte("another file"))
	lmskit(t, v.dir, "activation-code", "check", "lic.txt", other).want(t, 1, "", "is not the activation code")
	typo := []byte(code)
	typo[0] = '0' + (typo[0]-'0'+1)%10
	lmskit(t, v.dir, "activation-code", "check", "lic.txt", string(typo)).want(t, 1, "", "activation code")
	lmskit(t, v.dir, "activation-code", "check", "s.json", code).want(t, 1, "", "not an lmskit armor block")
}

// daemon is a running lmcd.
type daemon struct {
	cmd       *exec.Cmd
	logs      chan string
	dir, sock string
	tcp       string // the loopback address it serves
	clientTok string // the token files
	adminTok  string

	mu  sync.Mutex
	all strings.Builder // every log line
}

// startLMCD starts lmcd with a static SV8500 source, the vendor keyring, its socket opened to the
// group nogroup (0660) and loopback TCP with a client and an admin token, and waits for its
// "serving" log line.
func startLMCD(t *testing.T, v *vendor) *daemon {
	t.Helper()
	base, err := os.MkdirTemp("", "lmcd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	d := &daemon{dir: filepath.Join(base, "lmc"), sock: filepath.Join(base, "lmc.sock"), logs: make(chan string, 100),
		clientTok: filepath.Join(base, "client.token"), adminTok: filepath.Join(base, "admin.token")}
	write(t, d.clientTok, []byte("client-token-0123456789abcdef\n"), 0o600)
	write(t, d.adminTok, []byte("admin-token-0123456789abcdef\n"), 0o600)
	args := []string{"-dir", d.dir, "-socket", d.sock, "-keyring", v.keyring, "-source", "static:SV8500:22CC538207AFD058020640CD57xO",
		"-tcp", "127.0.0.1:0", "-token-file", d.clientTok, "-admin-token-file", d.adminTok, "-lease-ttl", "1m"}
	if os.Geteuid() == 0 {
		args = append(args, "-socket-mode", "0660", "-socket-group", "nogroup")
	}
	d.cmd = exec.Command(filepath.Join(bin, "lmcd"), args...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.all.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
			select {
			case d.logs <- sc.Text():
			default: // nobody waits for it
			}
		}
		close(d.logs)
	}()
	line := d.waitLog(t, "msg=serving")
	for _, f := range strings.Fields(line) {
		if a, ok := strings.CutPrefix(f, "tcp="); ok {
			d.tcp = a
		}
	}
	if d.tcp == "" {
		t.Fatalf("lmcd's serving line names no TCP address: %s", line)
	}
	return d
}

// waitLog waits for a log line holding s; the daemon's own output paces the test.
func (d *daemon) waitLog(t *testing.T, s string) string {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case line, ok := <-d.logs:
			if !ok {
				t.Fatalf("lmcd ended before logging %q", s)
			}
			if strings.Contains(line, s) {
				return line
			}
		case <-timeout.C:
			t.Fatalf("lmcd did not log %q", s)
		}
	}
}

// TestLMCDaemonAndAdminCommands: lmcd serves applications; the lmc commands administer it over the
// socket (as its own user) and over TCP (with the admin token only); SIGHUP rereads; SIGTERM stops
// it gracefully.
func TestLMCDaemonAndAdminCommands(t *testing.T) {
	v := newVendor(t)
	d := startLMCD(t, v)
	lmskit(t, v.dir, "issue", "-spec", v.spec(t, "s.json", "LMC-1", 3, ""), "-key", v.keyFile, "-format", "svi", "-out", "lic.zip").want(t, 0, "", "")
	sock := []string{"-socket", d.sock}
	lm := func(args ...string) result {
		return lmskit(t, v.dir, append(append([]string{"lmc"}, args...), sock...)...)
	}

	lm("status").want(t, 0, "LMC code:      "+lmcCode, "")
	lm("install", "lic.zip").want(t, 0, "installed LMC-1", "")
	lm("install", "s.json").want(t, 1, "", "not an lmskit armor block")
	// --json: snake_case names, statuses in words, unset times left out.
	var st struct {
		Status struct {
			Code        string  `json:"code"`
			HostCode    string  `json:"host_code"`
			Reachable   bool    `json:"reachable"`
			LastContact *string `json:"last_contact"`
			Until       *string `json:"until"`
		} `json:"status"`
		Protocol int  `json:"protocol"`
		Admin    bool `json:"admin"`
		Files    []struct {
			Serial   string  `json:"serial"`
			Status   string  `json:"status"`
			Term     string  `json:"term"`
			NotAfter *string `json:"not_after"`
			Lines    int     `json:"lines"`
		} `json:"files"`
	}
	r := lm("status", "--json")
	r.json(t, &st)
	if st.Protocol != 2 || !st.Admin || st.Status.Code != lmcCode || st.Status.HostCode == "" || !st.Status.Reachable ||
		st.Status.LastContact == nil || st.Status.Until != nil || len(st.Files) != 1 || st.Files[0].Serial != "LMC-1" ||
		st.Files[0].Status != "active" || st.Files[0].Term != "permanent" || st.Files[0].NotAfter != nil || st.Files[0].Lines != 2 {
		t.Fatalf("status --json: %+v\n%s", st, r.stdout)
	}
	if strings.Contains(r.stdout, "0001-01-01") || strings.Contains(r.stdout, `"Serial"`) {
		t.Fatalf("status --json prints a zero time or a Go field name:\n%s", r.stdout)
	}

	// Two applications take seats.
	ctx := context.Background()
	app, err := lmc.Dial(ctx, "unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	ma, err := app.Checkout(ctx, "MA4000", "USER", 2)
	if err != nil {
		t.Fatal(err)
	}
	bct, err := app.Checkout(ctx, "BCT", "USER", 1)
	if err != nil {
		t.Fatal(err)
	}
	var usage struct {
		Leases []struct {
			Handle  string `json:"handle"`
			App     string `json:"app"`
			Part    string `json:"part"`
			Seats   int    `json:"seats"`
			Count   int    `json:"count"`
			Expires string `json:"expires"`
		} `json:"leases"`
	}
	lm("usage", "--json").json(t, &usage)
	if len(usage.Leases) != 2 || usage.Leases[0].App != "BCT" || usage.Leases[1].App != "MA4000" || usage.Leases[1].Seats != 2 ||
		usage.Leases[1].Part != "USER" || usage.Leases[1].Count != 3 || usage.Leases[1].Handle == "" || usage.Leases[1].Expires == "" {
		t.Fatalf("usage: %+v", usage)
	}
	r = lm("usage")
	r.want(t, 0, "USER: 3 of 3 seats in use", "")
	if strings.Contains(r.stdout, ma.ID()) || strings.Contains(r.stdout, bct.ID()) {
		t.Fatal("lmc usage shows a bearer lease id")
	}
	lm("remove", usage.Leases[1].Handle).want(t, 0, "revoked lease", "")
	if err := ma.Renew(ctx); !errors.Is(err, lmc.ErrLeaseRevoked) {
		t.Fatalf("the removed holder's renewal: %v", err)
	}
	lm("remove", "-app", "BCT").want(t, 0, "revoked 1 lease(s) of BCT", "")
	lm("remove").want(t, 2, "", "give a lease HANDLE")
	lm("remove", "999").want(t, 1, "", "no live lease has handle 999")

	// A file copied in by hand: lmc reread, then SIGHUP.
	lmskit(t, v.dir, "issue", "-spec", v.spec(t, "s2.json", "LMC-2", 4, ""), "-key", v.keyFile, "-format", "signed", "-out", filepath.Join(d.dir, "licenses", "LMC-2.lic")).want(t, 0, "", "")
	var rr struct {
		Added, Replaced, Removed, Invalid []string
		Revoked                           int
	}
	lm("reread", "--json").json(t, &rr)
	if len(rr.Added) != 1 || rr.Added[0] != "LMC-2" || rr.Replaced == nil || rr.Removed == nil || rr.Invalid == nil {
		t.Fatalf("reread --json: %+v", rr)
	}
	lm("reread").want(t, 0, "added [], replaced [], removed []", "")
	if n, _ := app.Count(ctx, "USER"); n != 7 {
		t.Fatalf("Count after reread: %d", n)
	}
	os.Remove(filepath.Join(d.dir, "licenses", "LMC-2.lic"))
	d.cmd.Process.Signal(syscall.SIGHUP)
	if line := d.waitLog(t, "msg=reread"); !strings.Contains(line, "removed=[LMC-2]") {
		t.Fatalf("SIGHUP log: %s", line)
	}

	// TCP: the admin token administers, the client token does not, no token does not connect.
	tcp := d.tcp
	lmskit(t, v.dir, "lmc", "usage", "-tcp", tcp, "-token-file", d.adminTok).want(t, 0, "no leases out", "")
	lmskit(t, v.dir, "lmc", "reread", "-tcp", tcp, "-token-file", d.adminTok).want(t, 0, "added []", "")
	lmskit(t, v.dir, "lmc", "usage", "-tcp", tcp, "-token-file", d.clientTok).want(t, 1, "", "unauthorized")
	lmskit(t, v.dir, "lmc", "reread", "-tcp", tcp, "-token-file", d.clientTok).want(t, 1, "", "for the LMC's administrator")
	lmskit(t, v.dir, "lmc", "usage", "USER", "-tcp", tcp, "-token-file", d.clientTok).want(t, 0, "USER: 0 of 3 seats in use", "")
	var pu struct {
		Part    string            `json:"part"`
		Count   *int              `json:"count"`
		InUse   *int              `json:"in_use"`
		Holders []json.RawMessage `json:"holders"`
	}
	lmskit(t, v.dir, "lmc", "usage", "USER", "--json", "-tcp", tcp, "-token-file", d.clientTok).json(t, &pu)
	if pu.Part != "USER" || pu.Count == nil || *pu.Count != 3 || pu.InUse == nil || *pu.InUse != 0 || pu.Holders == nil {
		t.Fatalf("usage USER --json: %+v", pu)
	}
	lmskit(t, v.dir, "lmc", "install", "lic.zip", "-tcp", tcp, "-token-file", d.clientTok).want(t, 1, "", "for the LMC's administrator")
	lmskit(t, v.dir, "lmc", "install", "lic.zip", "-tcp", tcp, "-token-file", d.adminTok).want(t, 0, "installed LMC-1", "")
	if _, err := app.Checkout(ctx, "CTI", "USER", 1); err != nil {
		t.Fatal(err)
	}
	lmskit(t, v.dir, "lmc", "remove", "-app", "CTI", "-tcp", tcp, "-token-file", d.clientTok).want(t, 1, "", "for the LMC's administrator")
	lmskit(t, v.dir, "lmc", "remove", "-app", "CTI", "-tcp", tcp, "-token-file", d.adminTok).want(t, 0, "revoked 1 lease(s) of CTI", "")
	lmskit(t, v.dir, "lmc", "status", "-tcp", tcp).want(t, 1, "", "wrong or missing token")
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.waitLog(t, "msg=\"lmcd stopped\"")
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("lmcd after SIGTERM: %v", err)
	}
	lm("status").want(t, 1, "", "unavailable")
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, secret := range []string{"client-token", "admin-token"} {
		if strings.Contains(d.all.String(), secret) {
			t.Fatalf("lmcd logged a token:\n%s", d.all.String())
		}
	}
}

// TestLmskitNonOwner: a process of another user, let in by the socket's group, may use the LMC but
// not administer it (SO_PEERCRED). Runs the command line as uid/gid 65534 (nobody/nogroup).
func TestLmskitNonOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a command as another uid (nobody); TestAdminPeerDecision in license/lmc covers the rule")
	}
	v := newVendor(t)
	d := startLMCD(t, v)
	asNobody := func(args ...string) result {
		cmd := exec.Command(filepath.Join(bin, "lmskit"), append(args, "-socket", d.sock)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		return runCmd(t, cmd, "/")
	}
	r := asNobody("lmc", "status", "--json")
	var st struct{ Admin bool }
	r.json(t, &st)
	if r.code != 0 || st.Admin {
		t.Fatalf("nobody's status: exit %d admin %v; stderr %s", r.code, st.Admin, r.stderr)
	}
	asNobody("lmc", "usage").want(t, 1, "", "for the LMC's administrator")
	asNobody("lmc", "reread").want(t, 1, "", "unauthorized")
	asNobody("lmc", "remove", "1").want(t, 1, "", "unauthorized")
	asNobody("lmc", "install", "/dev/null").want(t, 1, "", "")
	lmskit(t, v.dir, "lmc", "usage", "-socket", d.sock).want(t, 0, "no leases out", "") // the owner (root) may
}

// ledgerFile makes an embedded ledger with a few audited operations, keyed with auditKey.
// treeDigest is a digest of every file's name, mode and content under dir (the embedded store is
// a directory), so that a test can tell whether a read-only command changed anything.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d\n", p, fi.Mode(), fi.Size())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func ledgerFile(t *testing.T, path string, auditKey []byte) {
	t.Helper()
	s, err := entitlement.OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillLedger(t, s, auditKey)
}

func fillLedger(t *testing.T, s entitlement.Store, auditKey []byte) {
	t.Helper()
	ctx := context.Background()
	l := entitlement.New(s, entitlement.Config{AuditKey: auditKey})
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: "admin@vendor", Name: "Admin"}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddPartner(ctx, admin, entitlement.Partner{ID: "p", Name: "P", Kind: entitlement.KindDistributor}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Ship(ctx, admin, entitlement.Order{Partner: "p", PO: "PO1", SO: "SO1", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 3}}}); err != nil {
		t.Fatal(err)
	}
}

// TestLedgerCommands: verify-audit and check on the embedded store, read-only, with the audit key
// from a file; a wrong key is refused; a store another process holds is named as such.
func TestLedgerCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ledger")
	key := []byte("audit key 0123456789abcdef012345")
	ledgerFile(t, db, key)
	write(t, filepath.Join(dir, "audit.key"), key, 0o600)
	write(t, filepath.Join(dir, "wrong.key"), []byte("another key"), 0o600)
	before := treeDigest(t, db)

	r := lmskit(t, dir, "ledger", "verify-audit", "-file", db, "-audit-key-file", "audit.key", "--json")
	var ans struct {
		OK      bool
		Records int
	}
	r.json(t, &ans)
	if r.code != 0 || !ans.OK || ans.Records < 3 {
		t.Fatalf("verify-audit: exit %d %+v %s", r.code, ans, r.stderr)
	}
	lmskit(t, dir, "ledger", "verify-audit", "-file", db, "-audit-key-file", "audit.key").want(t, 0, "HMAC-SHA-256 chain under the audit key intact", "")
	r = lmskit(t, dir, "ledger", "verify-audit", "-file", db, "-audit-key-file", "wrong.key")
	r.want(t, 1, "", "hash mismatch")
	if strings.Contains(r.stderr, "another key") || strings.Contains(r.stderr, string(key)) {
		t.Fatal("an audit key was echoed")
	}
	lmskit(t, dir, "ledger", "check", "-file", db).want(t, 0, "OK: every shipped line is conserved", "")
	lmskit(t, dir, "ledger", "check", "-file", db, "--json").want(t, 0, `"ok": true`, "")
	lmskit(t, dir, "ledger", "check").want(t, 2, "", "give -file PATH or -pg URL")
	lmskit(t, dir, "ledger", "check", "-file", filepath.Join(dir, "none.db")).want(t, 1, "", "no such file")
	// export: a new 0600 file, or standard output; it imports into an empty store.
	lmskit(t, dir, "ledger", "export", "-file", db, "export.jsonl").want(t, 0, "records written to export.jsonl", "")
	if fi, err := os.Stat(filepath.Join(dir, "export.jsonl")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", fi, err)
	}
	lmskit(t, dir, "ledger", "export", "-file", db, "export.jsonl").want(t, 1, "", "file exists")
	r = lmskit(t, dir, "ledger", "export", "-file", db, "-")
	r.want(t, 0, `"format":"lmskit-ledger-export"`, "")
	if n, err := entitlement.Import(context.Background(), entitlement.NewMemStore(), strings.NewReader(r.stdout), key); err != nil || n < 3 {
		t.Fatalf("the exported ledger does not import: %d %v", n, err)
	}
	lmskit(t, dir, "ledger", "export", "-file", db).want(t, 2, "", "")
	// migrate: a ledger file of the earlier bbolt store becomes a store of the current engine.
	old, err := os.ReadFile(filepath.Join("..", "..", "entitlement", "testdata", "ledger-bbolt-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "old.db"), old, 0o600)
	lmskit(t, dir, "ledger", "migrate", "old.db", "migrated").want(t, 0, "copied to migrated and verified", "")
	lmskit(t, dir, "ledger", "check", "-file", "migrated").want(t, 0, "OK: every shipped line is conserved", "")
	lmskit(t, dir, "ledger", "migrate", "old.db", "migrated").want(t, 1, "", "exists")
	lmskit(t, dir, "ledger", "migrate", "old.db").want(t, 2, "", "")
	if after := treeDigest(t, db); before != after {
		t.Fatal("a read-only command changed the ledger file")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Fatal("a read-only command created a ledger")
	}

	// Another process (this test) holds the store: the command says so.
	s, err := entitlement.OpenFile(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	lmskit(t, dir, "ledger", "check", "-file", db, "-wait", "50ms").want(t, 1, "", "another process holds the ledger file")
	s.Close()
}

// TestLedgerCommandsPostgreSQL: the same commands against entitlement/pgstore, on a private
// throw-away cluster (initdb and pg_ctl from PATH, run as the postgres user when root); a missing
// table is refused, not created.
func TestLedgerCommandsPostgreSQL(t *testing.T) {
	conn := startPostgres(t)
	dir := t.TempDir()
	key := []byte("audit key for postgres 0123456789")
	write(t, filepath.Join(dir, "audit.key"), key, 0o600)
	s, err := pgstore.Open(context.Background(), conn, &pgstore.Options{Table: "ledger_cli"})
	if err != nil {
		t.Fatal(err)
	}
	fillLedger(t, s, key)
	s.Close()
	lmskit(t, dir, "ledger", "verify-audit", "-pg", conn, "-table", "ledger_cli", "-audit-key-file", "audit.key").want(t, 0, "audit records", "")
	lmskit(t, dir, "ledger", "check", "-pg", conn, "-table", "ledger_cli", "--json").want(t, 0, `"ok": true`, "")
	lmskit(t, dir, "ledger", "verify-audit", "-pg", conn, "-table", "ledger_cli").want(t, 1, "", "hash mismatch")
	lmskit(t, dir, "ledger", "check", "-pg", conn, "-table", "no_such_ledger").want(t, 1, "", `no ledger table "no_such_ledger"`)
	lmskit(t, dir, "ledger", "check", "-pg", conn, "-table", "no_such_ledger").want(t, 1, "", "no ledger table") // still not there
	lmskit(t, dir, "ledger", "check", "-file", "x", "-pg", conn).want(t, 2, "", "give -file PATH or -pg URL")
}

// startPostgres starts a private PostgreSQL cluster for one test, or skips (fails when
// LMSKIT_PG_REQUIRED is set, as CI sets it).
func startPostgres(t *testing.T) string {
	t.Helper()
	skip := func(why string, a ...any) {
		if os.Getenv("LMSKIT_PG_REQUIRED") != "" {
			t.Fatalf("LMSKIT_PG_REQUIRED is set but: "+why, a...)
		}
		t.Skipf("no PostgreSQL: "+why, a...)
	}
	initdb, err1 := exec.LookPath("initdb")
	pgctl, err2 := exec.LookPath("pg_ctl")
	if err1 != nil || err2 != nil {
		skip("initdb and pg_ctl not on PATH")
	}
	dir, err := os.MkdirTemp("", "lmskit-cli-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	wrap := func(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			skip("running as root and no postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chown(dir, uid, gid)
		wrap = func(name string, args ...string) *exec.Cmd {
			c := exec.Command(name, args...)
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			return c
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := wrap(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-N").CombinedOutput(); err != nil {
		skip("initdb: %v: %s", err, out)
	}
	port := strconv.Itoa(20000 + os.Getpid()%20000)
	opts := fmt.Sprintf("-k %s -p %s -c listen_addresses='' -c fsync=off", dir, port)
	if out, err := wrap(pgctl, "start", "-w", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts).CombinedOutput(); err != nil {
		skip("pg_ctl start: %v: %s", err, out)
	}
	t.Cleanup(func() { wrap(pgctl, "stop", "-D", data, "-m", "immediate").Run() })
	return fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres", dir, port)
}
