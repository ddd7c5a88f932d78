// Package docsnippet checks, in a package's tests, that the snippet its documentation starts
// with is code an Example runs: every line of code before the documentation's first heading is a
// line of the example file, and none ignores an error. A package calls it from a test:
//
//	func TestDocSnippetIsExample(t *testing.T) {
//		docsnippet.Check(t, "doc.go", "example_test.go")
//	}
//
// where doc.go holds the package documentation, whose snippet comes before its first heading, and
// example_test.go the Example that runs the snippet's lines. A line of the snippet is a line of
// code when it is indented (a Go doc code block) and is not a comment; it must appear in the
// example file as it is, white space around it aside, so the snippet may leave out the example's
// set-up lines but not change the lines it shows. The package's Example shows what Check
// reports.
//
// # Ignored errors
//
// [CheckExamples] goes further, over every line of the example files: it type-checks them and
// reports each error an Example or its helpers assign to the blank identifier or drop with a
// call, so that no Example teaches ignoring an error:
//
//	func TestExamplesIgnoreNoError(t *testing.T) {
//		docsnippet.CheckExamples(t, "example_test.go")
//	}
package docsnippet
