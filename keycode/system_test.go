package keycode

import (
	"errors"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseSystem: every spelling LookupSystem accepts parses; an ambiguous or mistyped name is a
// *SystemError naming what it may have meant, and the message names it too.
func TestParseSystem(t *testing.T) {
	for _, s := range Systems() {
		if got, err := ParseSystem(string(s)); err != nil || got != s {
			t.Errorf("ParseSystem(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := ParseSystem("SIP@Net Server"); err != nil || got != IS3000 {
		t.Errorf("ParseSystem(SIP@Net Server) = %q, %v", got, err)
	}
	cases := []struct {
		name, why string
		in        string
		ambiguous bool
		want      []System
		message   string // a part of the message
	}{
		{"SV9100", "the guide's SV9100 is two system types, chosen by the code's range", "SV9100", true,
			[]System{SV9100CP10, SV9100CP20}, `keycode: system "SV9100" is ambiguous: SV9100 CP10 or SV9100 CP20`},
		{"MobiCall", "two MobiCall systems", "MobiCall", true, []System{MobiCallMaster, MobiCallSupervisor}, "Mobicall Master or Mobicall Supervisor"},
		{"3C prefix", "3C and 3C CAT2 both start with 3C, but 3C is exact", "3c cat", false, []System{ThreeCCAT2}, "did you mean 3C CAT2?"},
		{"typo", "one character off three PBXs", "SV8200", false, []System{SV8100, SV8300, SV8500}, "did you mean SV8100, SV8300 or SV8500?"},
		{"long typo", "two characters off a long name", "Licence Manger Client", false, []System{LMC}, "License Manager Client"},
		{"nothing near", "every system is named", "fax machine", false, nil, "the systems are SL1000/SL1100, SL2100,"},
		{"empty", "an empty name names every system", "", false, nil, "uMobility"},
		{"huge", "cut to 64 bytes", strings.Repeat("x", 10000), false, nil, `"` + strings.Repeat("x", 64) + `"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSystem(tc.in)
			var se *SystemError
			if got != "" || !errors.As(err, &se) || !errors.Is(err, ErrUnknownSystem) {
				t.Fatalf("ParseSystem(%q) = %q, %v; want a *SystemError (%s)", tc.in, got, err, tc.why)
			}
			if se.Ambiguous != tc.ambiguous {
				t.Errorf("ambiguous = %v (%s)", se.Ambiguous, tc.why)
			}
			if diff := cmp.Diff(tc.want, se.Candidates); diff != "" {
				t.Errorf("candidates (-want +got) (%s):\n%s", tc.why, diff)
			}
			if !strings.Contains(err.Error(), tc.message) || len(se.Input) > 64 {
				t.Errorf("message %q lacks %q", err, tc.message)
			}
		})
	}
}

// TestSystemDocListsEveryConstant: `go doc keycode System` shows every system at once (constant
// and value), not only the first constant of the block.
func TestSystemDocListsEveryConstant(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "system.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	p, err := doc.NewFromFiles(fset, []*ast.File{f}, "github.com/lmskit/lmskit/keycode")
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, ty := range p.Types {
		if ty.Name == "System" {
			text = ty.Doc
		}
	}
	names := map[System]string{}
	for _, ty := range p.Types {
		for _, c := range ty.Consts {
			for _, spec := range c.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Values) == 1 {
					if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
						names[System(strings.Trim(lit.Value, `"`))] = vs.Names[0].Name
					}
				}
			}
		}
	}
	for _, s := range Systems() {
		line := names[s]
		if line == "" {
			t.Fatalf("no constant for %q", s)
		}
		found := false
		for _, l := range strings.Split(text, "\n") {
			fields := strings.Fields(l)
			if len(fields) > 1 && fields[0] == line && strings.Contains(l, `"`+string(s)+`"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("the System documentation does not list %s = %q", line, s)
		}
	}
}

func FuzzParseSystem(f *testing.F) {
	for _, s := range Systems() {
		f.Add(string(s))
	}
	for s := range aliases {
		f.Add(s)
	}
	for _, s := range []string{"", "SV9100", "MobiCall", "SV8200", "CTI (LMC)", "\xff", strings.Repeat("a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := ParseSystem(name)
		ls, ok := LookupSystem(name)
		if (err == nil) != ok || s != ls {
			t.Fatalf("ParseSystem(%q) = %q, %v; LookupSystem = %q, %v", name, s, err, ls, ok)
		}
		if err != nil {
			var se *SystemError
			if !errors.As(err, &se) || len(se.Input) > maxSystemName || !strings.HasPrefix(name, se.Input) {
				t.Fatalf("ParseSystem(%q): %#v", name, err)
			}
			for _, c := range se.Candidates {
				if !c.IsValid() {
					t.Fatalf("candidate %q", c)
				}
			}
			if se.Ambiguous && len(se.Candidates) < 2 {
				t.Fatalf("ambiguous with %v", se.Candidates)
			}
			_ = err.Error()
		}
	})
}
