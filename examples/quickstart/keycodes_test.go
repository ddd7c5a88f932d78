package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/keycodes.golden")

// TestRunKeyCodes: the key-code part of the quickstart prints exactly the golden output, every run.
func TestRunKeyCodes(t *testing.T) {
	var a, b bytes.Buffer
	if err := runKeyCodes(&a); err != nil {
		t.Fatal(err)
	}
	if err := runKeyCodes(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two runs printed different output")
	}
	golden := filepath.Join("testdata", "keycodes.golden")
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
