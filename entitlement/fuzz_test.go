package entitlement_test

import (
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// FuzzParseCatalog: any input either parses into a catalog whose entries are consistent or is
// refused with an error; nothing panics.
func FuzzParseCatalog(f *testing.F) {
	b, err := readDefaultCatalog()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	sys := `"systems":[{"name":"SV8100","skc":"19","pbx":true,"keycode":"SV8100"}]`
	for _, s := range []string{
		`{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count","systems":["SV8100"],"demo":3}]}`,
		`{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"seats","systems":[]}]}`,
		`{"version":1,"systems":[{"name":"X","skc":"77","keycode":"SV8100"}],"parts":[]}`,
		`{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count","successor":"B2"}]}`,
		`{}`, `[]`, `{"version":1e400}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := entitlement.ParseCatalog(strings.NewReader(in))
		if err != nil {
			if c != nil {
				t.Fatal("a catalog came back with an error")
			}
			return
		}
		for _, p := range c.Parts() {
			if p.Number == "" || p.Name == "" || p.Kind < entitlement.PartCount || p.Kind > entitlement.PartFlag || p.Demo < 0 {
				t.Fatalf("accepted a bad part %+v", p)
			}
			for _, s := range p.Systems {
				if _, ok := c.System(s); !ok {
					t.Fatalf("part %s names unknown system %q", p.Number, s)
				}
			}
			if got, ok := c.Part(p.Number); !ok || got.Number != p.Number {
				t.Fatalf("part %s not found by number", p.Number)
			}
		}
		for _, s := range c.Systems() {
			if len(s.SKC) != 2 || !s.Keycode.IsValid() {
				t.Fatalf("accepted a bad system %+v", s)
			}
		}
	})
}
