package lifecycle_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/internal/docsnippet"
)

// TestDocSnippetIsExample: every line of code in the package documentation's snippet is a line
// of example_test.go, whose Example runs it.
func TestDocSnippetIsExample(t *testing.T) { docsnippet.Check(t, "doc.go", "example_test.go") }

// TestDocTableIsTheTable: the package documentation's table of moves is the table the operations
// check ([lifecycle.Transitions]), row for row.
func TestDocTableIsTheTable(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	cols := regexp.MustCompile(`\s{2,}`)
	var got []string
	for _, line := range strings.Split(string(b), "\n") {
		row, ok := strings.CutPrefix(line, "//\t")
		if !ok || !strings.HasPrefix(row, "self-developed") && !strings.HasPrefix(row, "third-party") {
			continue
		}
		f := cols.Split(row, -1)
		if len(f) < 4 {
			t.Fatalf("row %q", row)
		}
		got = append(got, strings.Join(f[:4], " | "))
	}
	var want []string
	for _, tr := range lifecycle.Transitions() {
		from := tr.From.String()
		if tr.From == 0 {
			from = "(none)"
		}
		move := tr.Move.String()
		if tr.Move == lifecycle.MoveReapplyLost {
			move = "re-apply (lost file)"
		}
		want = append(want, strings.Join([]string{tr.Machine.String()[:strings.Index(tr.Machine.String(), " ")], from, move, tr.To.String()}, " | "))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("the documentation's table is not the operations' (-table +doc):\n%s", d)
	}
}
