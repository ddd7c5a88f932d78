package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunSecondVendor: the second vendor's part of the quickstart prints exactly the golden
// output, every run.
func TestRunSecondVendor(t *testing.T) {
	var a, b bytes.Buffer
	if err := runSecondVendor(&a); err != nil {
		t.Fatal(err)
	}
	if err := runSecondVendor(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two runs printed different output")
	}
	golden := filepath.Join("testdata", "secondvendor.golden")
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
