package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden runs a part of the quickstart twice and checks that it prints the same both times,
// exactly the golden output in testdata/name.
func checkGolden(t *testing.T, name string, run func(io.Writer) error) {
	t.Helper()
	var a, b bytes.Buffer
	if err := run(&a); err != nil {
		t.Fatal(err)
	}
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two runs printed different output")
	}
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, a.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), a.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestRunKeyCodes: the key-code part of the quickstart prints exactly the golden output, every run.
func TestRunKeyCodes(t *testing.T) { checkGolden(t, "keycodes.golden", runKeyCodes) }
