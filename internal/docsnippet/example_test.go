package docsnippet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/internal/docsnippet"
)

// TestDocSnippetIsExample is the package documentation's snippet, run on this package's own
// documentation.
func TestDocSnippetIsExample(t *testing.T) {
	docsnippet.Check(t, "doc.go", "example_test.go")
}

// recorder is a testing.TB that keeps what Check reports instead of failing a test.
type recorder struct {
	testing.TB // nil: Check calls only the methods below
	msgs       []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) {
	r.msgs = append(r.msgs, fmt.Sprint(args...))
	runtime.Goexit() // as testing.T does: the checking goroutine ends here
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// check runs Check on the two files in a goroutine of its own, as a test does, and returns what it
// reported.
func check(docFile, exampleFile string) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		docsnippet.Check(r, docFile, exampleFile)
	}()
	<-done
	return r.msgs
}

// A package whose documentation's snippet matches its example passes; one whose snippet changed a
// line, or ignores an error, is reported line by line.
func Example() {
	dir, err := os.MkdirTemp("", "docsnippet-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	example := `package demo_test

func Example() {
	f, err := demo.Open("x")
	if err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
`
	docs := map[string]string{
		"good": "// Package demo opens things:\n//\n//\tf, err := demo.Open(\"x\")\n//\tif err != nil {\n//\t\tpanic(err)\n//\t}\n//\n// # Details\npackage demo\n",
		"bad":  "// Package demo opens things:\n//\n//\tf, err := demo.Open(\"y\")\n//\tif err != nil {\n//\t\tpanic(err)\n//\t}\n//\t_ = f.Close()\npackage demo\n",
	}
	if err := os.WriteFile(filepath.Join(dir, "example_test.go"), []byte(example), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"good", "bad"} {
		doc := filepath.Join(dir, name+".go")
		if err := os.WriteFile(doc, []byte(docs[name]), 0o600); err != nil {
			fmt.Println(err)
			return
		}
		msgs := check(doc, filepath.Join(dir, "example_test.go"))
		fmt.Printf("%s: %d problems\n", name, len(msgs))
		for _, m := range msgs {
			fmt.Println("  ", strings.ReplaceAll(m, dir+string(filepath.Separator), ""))
		}
	}
	// Output:
	// good: 0 problems
	// bad: 3 problems
	//    the snippet's line "f, err := demo.Open(\"y\")" is not in example_test.go
	//    the snippet's line "_ = f.Close()" is not in example_test.go
	//    the snippet ignores an error: "_ = f.Close()"
}
