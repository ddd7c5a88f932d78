package entitlement_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// ocrDamaged are tokens in the guide text that are truncated copies of a real part number (the
// screenshot cut "960026180000" short); the catalog lists the full number.
var ocrDamaged = map[string]string{"960026180": "960026180000", "96002618001": "960026180000"}

var partRE = regexp.MustCompile(`\b(BE[0-9]{6}|EU[0-9]{6,8}|96002[0-9]{4,7}|39[0-9]{4})\b`)

// guideParts returns the part numbers the LMS guide shows: from shared/seeds when the shared
// folder is beside the repository, else from the copy in testdata.
func guideParts(t *testing.T) []string {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "seeds", "004_5312160dc798173f.txt")); err == nil {
		set := map[string]bool{}
		for _, m := range partRE.FindAllString(string(b), -1) {
			set[m] = true
		}
		var out []string
		for p := range set {
			out = append(out, p)
		}
		sort.Strings(out)
		copyList, err := os.ReadFile(filepath.Join("testdata", "guide_parts.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(string(copyList)); !slices.Equal(got, out) {
			t.Fatalf("testdata/guide_parts.txt is out of date with the guide:\n got %v\nwant %v", got, out)
		}
		return out
	}
	b, err := os.ReadFile(filepath.Join("testdata", "guide_parts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func TestCatalog_EveryGuidePartNumber(t *testing.T) {
	cat := entitlement.DefaultCatalog()
	for _, p := range guideParts(t) {
		if full, ok := ocrDamaged[p]; ok {
			p = full
		}
		if _, ok := cat.Part(p); !ok {
			t.Errorf("part %s from the guide is missing from the catalog", p)
		}
	}
	for _, p := range cat.Parts() {
		for _, s := range p.Systems {
			if _, ok := cat.System(s); !ok {
				t.Errorf("part %s: system %s", p.Number, s)
			}
		}
	}
	// The guide's SV8100 example parts, as its bin shows them.
	for num, name := range map[string]string{"BE107573": "LK-SYS-256 PORT LIC", "BE107582": "LK-SYS-IP-TRUNK1-LIC",
		"BE107576": "LK-SYS-SMDR-LIC SMDR License", "BE107585": "LK-SYS-IP-TERMINAL-1-LIC"} {
		p, _ := cat.Part(num)
		if p.Name != name || !p.FitsSystem("SV8100") || p.Application {
			t.Errorf("%s: %+v", num, p)
		}
	}
	if p, _ := cat.Part("BE112031"); !p.SWAUnits {
		t.Error("BE112031 (the SWA units of the SWA bin) is not marked as SWA units")
	}
	if p, _ := cat.Part("960026473134"); !p.FreeOfCharge {
		t.Error("Lic 078 - SWA Upgrade (960026473134) is not marked free of charge: it would ship on a paid order")
	}
	if len(cat.DemoParts("SV8100")) == 0 || len(cat.DemoParts("iS3000")) == 0 {
		t.Error("the guide's demo systems (SV8100, iS3000) have no demo set")
	}
}

func TestParseCatalog_Rejects(t *testing.T) {
	sys := `"systems":[{"name":"SV8100","skc":"19","pbx":true,"keycode":"SV8100"}]`
	for _, c := range []struct{ name, why, in string }{
		{"version", "a future format must not be misread", `{"version":2,` + sys + `,"parts":[]}`},
		{"unknown field", "typos must not be ignored", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count","systems":[],"colour":"blue"}]}`},
		{"bad kind", "kind drives stacking", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"seats","systems":[]}]}`},
		{"duplicate part", "one entry per part", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count"},{"part":"A1","name":"y","kind":"flag"}]}`},
		{"unknown system", "parts attach to known systems", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count","systems":["SV1"]}]}`},
		{"unknown keycode system", "every system has a host id grammar", `{"version":1,"systems":[{"name":"X","skc":"19","keycode":"nope"}],"parts":[]}`},
		{"skc code disagrees with keycode", "software key codes carry the guide's system code", `{"version":1,"systems":[{"name":"X","skc":"77","keycode":"SV8100"}],"parts":[]}`},
		{"empty name", "the bin shows names", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"","kind":"count"}]}`},
		{"unknown successor", "successors must exist", `{"version":1,` + sys + `,"parts":[{"part":"A1","name":"x","kind":"count","successor":"B2"}]}`},
		{"not JSON", "garbage in", `parts: all`},
	} {
		if _, err := entitlement.ParseCatalog(strings.NewReader(c.in)); err == nil {
			t.Errorf("%s: accepted (%s)", c.name, c.why)
		}
	}
}

func readDefaultCatalog() ([]byte, error) { return os.ReadFile(filepath.Join("data", "catalog.json")) }
