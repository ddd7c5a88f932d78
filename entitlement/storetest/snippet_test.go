package storetest_test

import (
	"testing"

	"github.com/lmskit/lmskit/internal/docsnippet"
)

// TestDocSnippetIsExample: every line of code in the package documentation's snippet is a line
// of example_test.go, where TestConformance runs it: the snippet compiles, runs and ignores no
// error.
func TestDocSnippetIsExample(t *testing.T) { docsnippet.Check(t, "doc.go", "example_test.go") }
