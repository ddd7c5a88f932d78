package lmc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/internal/docsnippet"
)

// TestDocSnippetIsExample: every line of code in the package documentation's snippet (the
// application's side) is a line of example_test.go, whose Example runs it: the snippet compiles,
// runs and ignores no error.
func TestDocSnippetIsExample(t *testing.T) { docsnippet.Check(t, "doc.go", "example_test.go") }

// TestDocLMCProcessIsExample: the same for the snippet of the "The LMC process" section (serveLMC,
// which Example runs).
func TestDocLMCProcessIsExample(t *testing.T) {
	docsnippet.Check(t, docSection(t, "doc.go", "The LMC process"), "example_test.go")
}

// docSection writes the section of docFile's package documentation under the heading to a file of
// its own, as if it were a package documentation, and returns the file's name.
func docSection(t *testing.T, docFile, heading string) string {
	t.Helper()
	src, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(src), "\n") {
		switch {
		case l == "// # "+heading:
			in = true
		case in && strings.HasPrefix(l, "// # "), in && !strings.HasPrefix(l, "//"):
			in = false
		case in:
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no section %q", docFile, heading)
	}
	name := filepath.Join(t.TempDir(), "section.go")
	text := "// Package section is a section of " + docFile + ".\n" + strings.Join(out, "\n") + "\npackage section\n"
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}
