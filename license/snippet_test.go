package license_test

import (
	"testing"

	"github.com/lmskit/lmskit/internal/docsnippet"
)

// TestDocSnippetIsExample: every line of code in the package documentation's snippet (the
// server's Sign and the firmware's first steps) is a line of example_test.go, whose Example runs
// it: the snippet compiles, runs and ignores no error.
func TestDocSnippetIsExample(t *testing.T) { docsnippet.Check(t, "doc.go", "example_test.go") }

// TestExamplesIgnoreNoError: no Example of the package, nor a helper of one, assigns an error to
// the blank identifier or drops one: what a reader copies handles its errors.
func TestExamplesIgnoreNoError(t *testing.T) {
	docsnippet.CheckExamples(t, "example_test.go", "device_example_test.go")
}
