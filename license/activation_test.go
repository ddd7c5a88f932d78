package license

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
)

// TestDammTable checks the properties the check digit relies on, on the table itself: it is a
// quasigroup (each row and each column a permutation of 0..9) with a zero diagonal, and weakly
// totally anti-symmetric ((c*x)*y == (c*y)*x implies x == y), which is what catches every swap of
// neighbours.
func TestDammTable(t *testing.T) {
	for i := range 10 {
		var row, col [10]bool
		for j := range 10 {
			row[damm[i][j]] = true
			col[damm[j][i]] = true
		}
		for v := range 10 {
			if !row[v] || !col[v] {
				t.Fatalf("row or column %d is not a permutation", i)
			}
		}
		if damm[i][i] != 0 {
			t.Errorf("diagonal %d is %d", i, damm[i][i])
		}
	}
	for c := range 10 {
		for x := range 10 {
			for y := range 10 {
				if x != y && damm[damm[c][x]][y] == damm[damm[c][y]][x] {
					t.Errorf("not anti-symmetric at c=%d x=%d y=%d", c, x, y)
				}
			}
		}
	}
	// Damm's worked example: 572 has check digit 4.
	if d := dammDigit([]byte{5, 7, 2}); d != 4 {
		t.Errorf("check digit of 572 = %d, want 4", d)
	}
}

func TestActivationCodeForm(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	code := ActivationCode(signed)
	if !regexp.MustCompile(`^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{4}$`).MatchString(code) {
		t.Fatalf("code %q is not in the form 3407-7473-3325-4604", code)
	}
	if ActivationCode(signed) != code {
		t.Error("the code is not deterministic")
	}
	other := mustSign(t, fullFile(t))
	if ActivationCode(other) == code {
		t.Error("two files share a code")
	}
	a, err := ParseActivationCode(code)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != code || !a.Matches(signed) || a.Matches(other) || !a.IsValid() {
		t.Errorf("parsed %v: matches own %v, other %v", a, a.Matches(signed), a.Matches(other))
	}
	var z ActCode
	if z.IsValid() || z.String() != "" || z.Matches(signed) {
		t.Error("the zero ActCode must be invalid")
	}
}

func TestParseActivationCodeForms(t *testing.T) {
	code := ActivationCode(mustSign(t, sv8100File(t)))
	bare := code[0:4] + code[5:9] + code[10:14] + code[15:19]
	tests := []struct {
		name, in string
		ok       bool
		why      string
	}{
		{"canonical", code, true, "as shown on the download"},
		{"bare", bare, true, "typed without dashes"},
		{"spaces", bare[0:4] + " " + bare[4:8] + " " + bare[8:12] + " " + bare[12:16], true, "read aloud in groups"},
		{"surrounding space", "  " + code + "\n", true, "pasted with a line end"},
		{"15 digits", bare[:15], false, "a digit missing"},
		{"17 digits", bare + "0", false, "a digit too many"},
		{"misplaced dash", bare[:3] + "-" + bare[3:], false, "groups are of four"},
		{"letter", "A" + code[1:], false, "digits only"},
		{"empty", "", false, "nothing"},
		{"long", string(make([]byte, 100)), false, "capped before work"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseActivationCode(tc.in)
			if tc.ok {
				if err != nil || a.String() != code {
					t.Errorf("ParseActivationCode(%q) = %v, %v; %s", tc.in, a, err, tc.why)
				}
				return
			}
			if err == nil {
				t.Errorf("accepted %q; %s", tc.in, tc.why)
			}
			if !errors.Is(err, ErrMalformed) || a.IsValid() {
				t.Errorf("error %v, code %v", err, a)
			}
		})
	}
}

// TestActivationCodeCatchesTypos: every single mistyped digit and every swap of two different
// neighbouring digits is refused, over the codes of many files.
func TestActivationCodeCatchesTypos(t *testing.T) {
	f := sv8100File(t)
	for n := range 200 {
		f.Serial = fmt.Sprintf("LMS-%04d", n)
		code := ActivationCode(mustSign(t, f))
		d := []byte(code)
		pos := []int{0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18}
		for _, p := range pos {
			orig := d[p]
			for c := byte('0'); c <= '9'; c++ {
				if c == orig {
					continue
				}
				d[p] = c
				if _, err := ParseActivationCode(string(d)); err == nil {
					t.Fatalf("%s: digit %d typed as %c accepted", code, p, c)
				}
			}
			d[p] = orig
		}
		// Neighbours, including across a dash (the person reads the digits in sequence).
		for i := 0; i+1 < len(pos); i++ {
			p, q := pos[i], pos[i+1]
			if d[p] == d[q] {
				continue
			}
			d[p], d[q] = d[q], d[p]
			if _, err := ParseActivationCode(string(d)); err == nil {
				t.Fatalf("%s: swap of %d and %d accepted", code, p, q)
			}
			d[p], d[q] = d[q], d[p]
		}
	}
}

func TestActCodeText(t *testing.T) {
	code := ActivationCode([]byte("x"))
	var a ActCode
	if err := a.UnmarshalText([]byte(code)); err != nil {
		t.Fatal(err)
	}
	b, _ := a.MarshalText()
	if string(b) != code {
		t.Errorf("text round trip %q -> %q", code, b)
	}
	if err := a.UnmarshalText([]byte("1234")); err == nil {
		t.Error("bad text accepted")
	}
	if err := a.UnmarshalText(nil); err != nil || a.IsValid() {
		t.Error("empty text must give the zero code")
	}
}
