package docsnippet

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// Check fails t unless the package comment in docFile starts with a snippet of at least three
// lines of code, each of which is a line (white space trimmed) of exampleFile, and none of which
// assigns an error to the blank identifier.
func Check(t testing.TB, docFile, exampleFile string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), docFile, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatalf("%s has no package documentation", docFile)
	}
	ex, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(ex), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	n := 0
	for _, l := range strings.Split(f.Doc.Text(), "\n") {
		if strings.HasPrefix(l, "# ") {
			break // the snippet comes before the first heading
		}
		code := strings.TrimSpace(l)
		if !strings.HasPrefix(l, "\t") || code == "" || strings.HasPrefix(code, "//") {
			continue
		}
		n++
		if !have[code] {
			t.Errorf("the snippet's line %q is not in %s", code, exampleFile)
		}
		if strings.Contains(code, "_ =") || strings.Contains(code, ", _ :=") || strings.Contains(code, "_, _") {
			t.Errorf("the snippet ignores an error: %q", code)
		}
	}
	if n < 3 {
		t.Fatalf("the package documentation starts with no snippet (%d lines of code before the first heading)", n)
	}
}
