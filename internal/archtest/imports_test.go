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
	lmskit := []string{"keycode", "signing", "license", "license/lmc", "entitlement", "swa"}
	tests := []struct {
		pkg     string
		allowed []string // lmskit packages (besides internal/...) it may depend on
		why     string
	}{
		{"keycode", nil, "keycode is a leaf (DESIGN.md)"},
		{"signing", nil, "signing is a leaf (DESIGN.md)"},
		{"license", []string{"keycode", "signing"}, "license imports keycode and signing only"},
		{"license/lmc", []string{"keycode", "signing", "license"}, "license/lmc imports license and what it stands on"},
		{"entitlement", []string{"keycode", "signing", "license"}, "entitlement imports keycode, signing and license"},
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
	forbidden := []string{"net/http", "go.etcd.io/bbolt", "github.com/cockroachdb/pebble/v2", "github.com/jackc/pgx/v5", mod + "/entitlement", mod + "/license/lmc", "github.com/veraison/go-cose"}
	for _, pkg := range []string{"keycode", "signing", "license"} {
		for _, d := range deps(t, pkg) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s pulls in %s; a PBX image linking keycode, signing and license must not (DESIGN.md)", pkg, d)
				}
			}
		}
	}
	for _, d := range deps(t, "keycode") {
		if d != mod+"/keycode" && strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
			t.Errorf("keycode depends on %s; it uses the standard library only", d)
		}
	}
}
