package keycode

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vectorFile is shared/vectors/keycodes.json.
type vectorFile struct {
	About string `json:"about"`
	Valid []struct {
		System    string `json:"system"`
		Input     string `json:"input"`
		Canonical string `json:"canonical"`
		LMC       string `json:"lmc"`
	} `json:"valid"`
	Invalid []struct {
		System string `json:"system"`
		Input  string `json:"input"`
		Why    string `json:"why"`
	} `json:"invalid"`
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = up
	}
}

// loadVectors reads the shared vectors when ../shared sits beside the repository, and the package's
// copy otherwise. When both exist, the copy must still equal the shared file.
func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	local, err := os.ReadFile(filepath.Join("testdata", "keycodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	data := local
	shared := filepath.Join(repoRoot(t), "..", "shared", "vectors", "keycodes.json")
	if b, err := os.ReadFile(shared); err == nil {
		if !bytes.Equal(b, local) {
			t.Errorf("testdata/keycodes.json differs from %s: copy the shared file again", shared)
		}
		data = b
	}
	var v vectorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 {
		t.Fatal("no vectors")
	}
	return v
}

// TestGuide_Vectors runs every case of shared/vectors/keycodes.json: the guide's table of hardware
// key code formats and the external products table.
func TestGuide_Vectors(t *testing.T) {
	v := loadVectors(t)
	for _, tc := range v.Valid {
		t.Run("valid/"+tc.System+"/"+tc.Input, func(t *testing.T) {
			sys, ok := LookupSystem(tc.System)
			if !ok {
				t.Fatalf("LookupSystem(%q) found nothing", tc.System)
			}
			c, err := Parse(sys, tc.Input)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.Canonical, c.String()); diff != "" {
				t.Errorf("canonical (-want +got):\n%s", diff)
			}
			if c.System() != sys {
				t.Errorf("System() = %q, want %q", c.System(), sys)
			}
			again, err := Parse(sys, c.String())
			if err != nil || again != c {
				t.Errorf("reparse of %q = %v, %v; want the same Code", c, again, err)
			}
			if tc.LMC != "" {
				l, err := c.LMC()
				if err != nil {
					t.Fatalf("LMC: %v", err)
				}
				if diff := cmp.Diff(tc.LMC, l.String()); diff != "" {
					t.Errorf("LMC (-want +got):\n%s", diff)
				}
				back, err := l.PBX()
				if err != nil || back != c {
					t.Errorf("LMC().PBX() = %v, %v; want %v", back, err, c)
				}
			}
		})
	}
	for _, tc := range v.Invalid {
		t.Run("invalid/"+tc.System+"/"+tc.Input, func(t *testing.T) {
			sys, ok := LookupSystem(tc.System)
			if !ok {
				t.Fatalf("LookupSystem(%q) found nothing", tc.System)
			}
			c, err := Parse(sys, tc.Input)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, %v; want a *ParseError (%s)", c, err, tc.Why)
			}
			if !c.IsZero() {
				t.Errorf("Parse returned %v beside its error", c)
			}
		})
	}
}
