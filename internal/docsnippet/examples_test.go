package docsnippet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIgnoredErrors runs the check on a package of its own, in a module of its own: each way of
// ignoring an error is reported with its line, and what handles or may drop an error is not.
func TestIgnoredErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/demo\n\ngo 1.24\n",
		"demo.go": `package demo

import "errors"

// Open fails for an empty name.
func Open(name string) (int, error) {
	if name == "" {
		return 0, errors.New("demo: no name")
	}
	return len(name), nil
}

// Close fails never.
func Close() error { return nil }

// Found is a lookup with a bool.
func Found(name string) (int, bool) { return len(name), name != "" }
`,
		"example_test.go": `package demo_test

import (
	"fmt"
	"os"
	"strings"

	"example.com/demo"
)

var n, _ = demo.Open("x")

func Example() {
	_, _ = demo.Open("a")
	m, _ := demo.Open("b")
	_ = demo.Close()
	demo.Close()
	k, _ := demo.Found("c")
	defer demo.Close()
	var b strings.Builder
	b.WriteString("d")
	fmt.Fprintln(os.Stdout, n, m, k, b.String())
	if err := helper(); err != nil {
		fmt.Println(err)
	}
	// Output: 1 1 1 d
}

func helper() error {
	var err error
	_, err = demo.Open("")
	return err
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	got, err := ignoredErrors([]string{"example_test.go"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example_test.go:11: an error is assigned to _",               // var n, _ = demo.Open("x")
		"example_test.go:14: an error is assigned to _",               // _, _ = demo.Open("a")
		"example_test.go:15: an error is assigned to _",               // m, _ := demo.Open("b")
		"example_test.go:16: an error is assigned to _",               // _ = demo.Close()
		"example_test.go:17: the call's error is dropped: demo.Close", // demo.Close()
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reported (-want +got):\n%s", d)
	}
}
