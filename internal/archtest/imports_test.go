package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/lmskit/lmskit"

// deps lists every package pkg depends on, standard library included, as `go list -deps` reports it.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", mod+"/"+pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
		}
		t.Skipf("go command not available: %v", err)
	}
	return strings.Fields(string(out))
}

func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	lmskit := []string{"keycode", "signing", "license", "license/lmc", "entitlement", "entitlement/systems", "entitlement/pgstore",
		"entitlement/storetest", "entitlement/httpapi", "entitlement/lifecycle", "entitlement/presales", "entitlement/dealreg", "swa"}
	tests := []struct {
		pkg     string
		allowed []string // lmskit packages (besides internal/...) it may depend on
		why     string
	}{
		{"keycode", nil, "keycode is a leaf"},
		{"signing", nil, "signing is a leaf"},
		{"license", []string{"keycode", "signing"}, "license imports keycode and signing only"},
		{"license/lmc", []string{"keycode", "signing", "license"}, "license/lmc imports license and what it stands on"},
		{"entitlement", []string{"keycode", "signing", "license"}, "entitlement imports keycode, signing and license, none of the packages built on it"},
		{"entitlement/systems", []string{"keycode", "signing", "license", "entitlement"},
			"the per-system rules build on the ledger's extension point and on nothing above it"},
		{"swa", []string{"keycode", "signing", "license", "entitlement"}, "swa is built on entitlement (never the reverse)"},
		{"entitlement/httpapi", []string{"keycode", "signing", "license", "entitlement", "entitlement/systems", "entitlement/lifecycle",
			"entitlement/presales", "entitlement/dealreg", "swa"},
			"the HTTP handler imports what it serves and what that stands on"},
		{"entitlement/lifecycle", []string{"keycode", "signing", "license", "entitlement"},
			"the entitlement lifecycle builds on the ledger's extension point, beside the other workflows, not on them"},
		{"entitlement/presales", []string{"keycode", "signing", "license", "entitlement"},
			"temporary licenses build on the ledger's extension point and on nothing above it"},
		{"entitlement/dealreg", []string{"keycode", "signing", "license", "entitlement"},
			"deal registration builds on the ledger's extension point and on nothing above it"},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			for _, d := range deps(t, tc.pkg) {
				rel, ok := strings.CutPrefix(d, mod+"/")
				if !ok || rel == tc.pkg || strings.HasPrefix(rel, "internal/") {
					continue
				}
				if slices.Contains(lmskit, rel) && !slices.Contains(tc.allowed, rel) {
					t.Errorf("%s depends on %s: %s", tc.pkg, rel, tc.why)
				}
			}
		})
	}
}

func TestPBXImageStaysSmall(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	forbidden := []string{"net/http", "go.etcd.io/bbolt", "github.com/cockroachdb/pebble/v2", "github.com/jackc/pgx/v5", mod + "/entitlement",
		mod + "/license/lmc", "github.com/veraison/go-cose", mod + "/internal/httpx"}
	for _, pkg := range []string{"keycode", "signing", "license"} {
		for _, d := range deps(t, pkg) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s pulls in %s; a PBX image linking keycode, signing and license must not", pkg, d)
				}
			}
		}
	}
	// The ledger core serves no HTTP: only the handler above it does. (Its embedded store's engine,
	// Pebble, links net/http through its error-reporting dependencies; the core itself imports
	// neither net/http nor the handler's plumbing.)
	for _, d := range deps(t, "entitlement") {
		if d == mod+"/entitlement/httpapi" || d == mod+"/internal/httpx" {
			t.Errorf("entitlement pulls in %s; HTTP belongs to entitlement/httpapi (the package map in README.md)", d)
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, mod+"/entitlement").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, "net/http") {
			t.Errorf("entitlement imports %s; HTTP belongs to entitlement/httpapi (the package map in README.md)", d)
		}
	}
	for _, d := range deps(t, "keycode") {
		if d != mod+"/keycode" && strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
			t.Errorf("keycode depends on %s; it uses the standard library only", d)
		}
	}
}

// TestEntitlementCoreImportsNoSubPackage: the packages under entitlement (the per-system rules,
// the stores, the HTTP handler) and swa import the core; the core imports none of them, so a
// package built on the ledger extends it without the core knowing it.
func TestEntitlementCoreImportsNoSubPackage(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	for _, d := range deps(t, "entitlement") {
		rel, ok := strings.CutPrefix(d, mod+"/")
		if !ok {
			continue
		}
		if strings.HasPrefix(rel, "entitlement/") || rel == "swa" || strings.HasPrefix(rel, "swa/") {
			t.Errorf("entitlement depends on %s, a package built on it", rel)
		}
	}
	// The sub-packages import the core (they are built on the extension point, not beside it).
	for _, sub := range []string{"entitlement/systems", "entitlement/lifecycle", "entitlement/presales", "entitlement/dealreg"} {
		if !slices.Contains(deps(t, sub), mod+"/entitlement") {
			t.Errorf("%s does not import entitlement", sub)
		}
	}
}
