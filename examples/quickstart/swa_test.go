package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunSWA: the SWA part of the quickstart prints the guide's figures (grace until 03/31/2015,
// 304 + 17 = 321 units, 8967 → 8646) exactly as the golden output, every run. The random letters
// and digits of agreement numbers are compared by shape, and the rules' warnings are left out.
func TestRunSWA(t *testing.T) {
	var a, b bytes.Buffer
	if err := runSWA(&a); err != nil {
		t.Fatal(err)
	}
	if err := runSWA(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two runs printed different output")
	}
	shape := regexp.MustCompile(`-[A-Z]{4}[0-9]{5}-`)
	got := shape.ReplaceAllString(a.String(), "-????#####-")
	// The system's rules word their warnings (iS3000 without Lic-073/Lic-078) themselves: the
	// golden output leaves them out.
	got = regexp.MustCompile(`(?m)^swa: warning: .*\n`).ReplaceAllString(got, "")
	golden := filepath.Join("testdata", "swa.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
