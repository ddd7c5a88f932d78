package license

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGuide_Stacking: "Licenses and SWA Units stacking": 5 x 20 seats + 20 seats = 120 seats;
// V3 + V4 + V6 = V6.
func TestGuide_Stacking(t *testing.T) {
	var lines []Line
	for range 5 {
		lines = append(lines, Line{Part: "BE107585", Kind: Count, Qty: 20})
	}
	lines = append(lines, Line{Part: "BE107585", Kind: Count, Qty: 20})
	for _, v := range []int{3, 4, 6} {
		lines = append(lines, Line{Part: "390908", Kind: Version, Qty: v})
	}
	lines = append(lines, Line{Part: "BE107576", Kind: Flag, Qty: 1}, Line{Part: "BE107576", Kind: Flag, Qty: 2})
	s, err := Stack(lines...)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"count":   s.Count("BE107585"),
		"version": s.Version("390908"),
		"flag":    s.Has("BE107576"),
		"parts":   s.Parts(),
		"string":  s.String(),
	}
	want := map[string]any{
		"count":   120,
		"version": 6,
		"flag":    true,
		"parts":   []string{"390908", "BE107576", "BE107585"},
		"string":  "390908=v6 BE107576=on BE107585=120",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stacked set (-want +got):\n%s", d)
	}
}

func TestSetAccessorsByKind(t *testing.T) {
	s, err := Stack(
		Line{Part: "C", Kind: Count, Qty: 7},
		Line{Part: "V", Kind: Version, Qty: 3},
		Line{Part: "F", Kind: Flag, Qty: 1},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, part     string
		count, version int
		has            bool
		kind           Kind
		why            string
	}{
		{"count part", "C", 7, 0, true, Count, "a count part has a count and no version"},
		{"version part", "V", 0, 3, true, Version, "a version part has a version and no count"},
		{"flag part", "F", 0, 0, true, Flag, "a flag is present without count or version"},
		{"absent part", "X", 0, 0, false, 0, "an absent part grants nothing"},
		{"case matters", "c", 0, 0, false, 0, "part numbers are exact"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := []any{s.Count(tc.part), s.Version(tc.part), s.Has(tc.part), s.Kind(tc.part)}
			want := []any{tc.count, tc.version, tc.has, tc.kind}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
}

func TestStackRejects(t *testing.T) {
	tests := []struct {
		name  string
		lines []Line
		index int
		field string
		why   string
	}{
		{"two kinds", []Line{{Part: "P", Kind: Count, Qty: 1}, {Part: "P", Kind: Version, Qty: 2}}, 1, "kind", "a part cannot be both a quantity and a version"},
		{"zero qty", []Line{{Part: "P", Kind: Count, Qty: 0}}, 0, "qty", "a line of nothing is a mistake"},
		{"negative qty", []Line{{Part: "P", Kind: Count, Qty: 1}, {Part: "Q", Kind: Count, Qty: -5}}, 1, "qty", "negative seats would take seats away"},
		{"zero version", []Line{{Part: "P", Kind: Version, Qty: 0}}, 0, "qty", "version 0 does not exist"},
		{"qty over max", []Line{{Part: "P", Kind: Count, Qty: MaxQty + 1}}, 0, "qty", "one line may not exceed MaxQty (int32 on every platform)"},
		{"sum overflows", []Line{{Part: "P", Kind: Count, Qty: MaxQty}, {Part: "P", Kind: Count, Qty: 1}}, 1, "qty", "a sum over MaxQty would wrap on 32-bit firmware"},
		{"invalid kind", []Line{{Part: "P", Kind: 0, Qty: 1}}, 0, "kind", "the zero kind is invalid"},
		{"kind 4", []Line{{Part: "P", Kind: 4, Qty: 1}}, 0, "kind", "only three kinds exist"},
		{"empty part", []Line{{Kind: Count, Qty: 1}}, 0, "part", "a line must name its part"},
		{"control char", []Line{{Part: "P\n1", Kind: Count, Qty: 1}}, 0, "part", "part numbers are printable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Stack(tc.lines...)
			if err == nil {
				t.Fatalf("Stack accepted %+v; %s", tc.lines, tc.why)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LineError", err)
			}
			if d := cmp.Diff([]any{tc.index, tc.field}, []any{le.Index, le.Field}); d != "" {
				t.Errorf("where (-want +got):\n%s", d)
			}
			if s.Len() != 0 || s.Has("P") {
				t.Errorf("a failed Stack returned a non-empty set %v", s)
			}
		})
	}
}

func TestCheckStackAgreesWithStack(t *testing.T) {
	// checkStack (quadratic, for files) and Stack (map) must agree on every combination of these.
	pool := []Line{
		{Part: "A", Kind: Count, Qty: MaxQty - 1},
		{Part: "A", Kind: Count, Qty: 1},
		{Part: "A", Kind: Count, Qty: 2},
		{Part: "A", Kind: Version, Qty: 2},
		{Part: "B", Kind: Flag, Qty: 1},
		{Part: "B", Kind: Count, Qty: 1},
	}
	for mask := range 1 << len(pool) {
		var lines []Line
		for i, l := range pool {
			if mask&(1<<i) != 0 {
				lines = append(lines, l)
			}
		}
		_, e1 := Stack(lines...)
		e2 := checkStack(lines)
		if (e1 == nil) != (e2 == nil) {
			t.Errorf("lines %v: Stack %v, checkStack %v", lines, e1, e2)
		}
		// And above 64 lines checkStack uses Stack: pad with distinct parts.
		long := append([]Line(nil), lines...)
		for i := range 70 {
			long = append(long, Line{Part: "pad" + itoa(i), Kind: Flag, Qty: 1})
		}
		if e3 := checkStack(long); (e3 == nil) != (e1 == nil) {
			t.Errorf("padded lines %v: Stack %v, checkStack %v", lines, e1, e3)
		}
	}
}

func TestZeroSetIsEmpty(t *testing.T) {
	var s Set
	if s.Count("x") != 0 || s.Version("x") != 0 || s.Has("x") || s.Len() != 0 || len(s.Parts()) != 0 || s.String() != "" {
		t.Errorf("zero Set is not empty: %v", s)
	}
	e, err := Stack()
	if err != nil || !e.Equal(s) {
		t.Errorf("Stack() = %v, %v; want the empty set", e, err)
	}
}

func TestMerge(t *testing.T) {
	a, _ := Stack(Line{Part: "C", Kind: Count, Qty: 100}, Line{Part: "V", Kind: Version, Qty: 4})
	b, _ := Stack(Line{Part: "C", Kind: Count, Qty: 20}, Line{Part: "V", Kind: Version, Qty: 6}, Line{Part: "F", Kind: Flag, Qty: 1})
	m, err := Merge(a, b, Set{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := Stack(Line{Part: "C", Kind: Count, Qty: 120}, Line{Part: "V", Kind: Version, Qty: 6}, Line{Part: "F", Kind: Flag, Qty: 1})
	if !m.Equal(all) {
		t.Errorf("Merge = %v, want %v", m, all)
	}
	c, _ := Stack(Line{Part: "V", Kind: Count, Qty: 1})
	if _, err := Merge(a, c); !errors.Is(err, ErrInvalid) {
		t.Errorf("Merge of a part under two kinds: %v, want ErrInvalid", err)
	}
	big, _ := Stack(Line{Part: "C", Kind: Count, Qty: MaxQty})
	if _, err := Merge(a, big); !errors.Is(err, ErrInvalid) {
		t.Errorf("Merge over MaxQty: %v, want ErrInvalid", err)
	}
}

func TestPartsIsACopy(t *testing.T) {
	s, _ := Stack(Line{Part: "A", Kind: Flag, Qty: 1}, Line{Part: "B", Kind: Flag, Qty: 1})
	p := s.Parts()
	p[0] = "Z"
	if s.Parts()[0] != "A" {
		t.Error("changing the result of Parts changed the set")
	}
}

func TestStackDoesNotKeepTheLines(t *testing.T) {
	lines := []Line{{Part: "A", Kind: Count, Qty: 3}}
	s, _ := Stack(lines...)
	lines[0].Qty = 1000
	lines[0].Part = "B"
	if s.Count("A") != 3 || s.Has("B") {
		t.Errorf("the set changed with its input: %v", s)
	}
}

func TestSetConcurrentReaders(t *testing.T) {
	s, _ := Stack(bigFile(t, 50).Lines...)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if s.Count("BE100073") != 20 || !s.Has("BE104973") {
					t.Error("wrong answer under concurrency")
					return
				}
				_ = s.Parts()
			}
		}()
	}
	wg.Wait()
}

func TestKindAndTermText(t *testing.T) {
	for _, k := range []Kind{Count, Version, Flag} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("kind %v round trip: %v, %v", k, back, err)
		}
	}
	for _, tm := range []Term{Permanent, Demo, Service, Temporary} {
		b, err := tm.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Term
		if err := back.UnmarshalText(b); err != nil || back != tm {
			t.Errorf("term %v round trip: %v, %v", tm, back, err)
		}
	}
	var k Kind
	if err := k.UnmarshalText([]byte("Count")); err == nil {
		t.Error("kind names are lower-case")
	}
	if _, err := Kind(0).MarshalText(); err == nil {
		t.Error("the zero kind has no text")
	}
	var tm Term
	if err := tm.UnmarshalText([]byte("forever")); err == nil {
		t.Error("unknown term accepted")
	}
	if Kind(9).String() != "kind(9)" || Term(0).String() != "term(0)" {
		t.Error("invalid values must print their number")
	}
}

// TestSetManyParts checks the lookup table on every part of a large set and on as many absent
// parts, and that two sets built from the same lines (with different hash seeds) are Equal.
func TestSetManyParts(t *testing.T) {
	var lines []Line
	for i := range 1000 {
		lines = append(lines, Line{Part: "P" + itoa(i), Kind: Kind(1 + i%3), Qty: i + 1})
	}
	s, err := Stack(lines...)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		want := [3]int{}
		want[i%3] = l.Qty
		if l.Kind == Flag {
			want[2] = 1
		}
		got := [3]int{s.Count(l.Part), s.Version(l.Part), 0}
		if s.Has(l.Part) && s.Kind(l.Part) == Flag {
			got[2] = 1
		}
		if got != want || !s.Has(l.Part) {
			t.Fatalf("part %s: got %v, want %v", l.Part, got, want)
		}
		if absent := "Q" + itoa(i); s.Has(absent) || s.Count(absent) != 0 {
			t.Fatalf("absent part %s found", absent)
		}
	}
	again, _ := Stack(lines...)
	if !s.Equal(again) || s.Len() != 1000 {
		t.Error("two stacks of the same lines differ")
	}
	other, _ := Stack(lines[1:]...)
	if s.Equal(other) || other.Equal(s) {
		t.Error("sets of different lines are Equal")
	}
}
