package httpapi

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/entitlement/presales"
)

// TestEnumNamesComplete: every value the second vendor's packages define has its wire name, so a
// value added there cannot reach a client as "". The values are found by their String: each
// package names an undefined value "<type>(<n>)".
func TestEnumNamesComplete(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	check := func(what string, n int, str func(int) string, name func(int) (string, bool)) {
		t.Helper()
		seen := map[string]bool{}
		for i := 1; i < 256; i++ {
			if strings.HasSuffix(str(i), fmt.Sprintf("(%d)", i)) {
				if i == 1 {
					t.Fatalf("%s: no value defined", what)
				}
				if i-1 != n {
					t.Errorf("%s: %d values defined, %d named", what, i-1, n)
				}
				return
			}
			got, ok := name(i)
			if !ok || !snake.MatchString(got) || seen[got] {
				t.Errorf("%s %d (%s): wire name %q", what, i, str(i), got)
			}
			seen[got] = true
		}
	}
	check("lifecycle.Status", len(deliveryStatusNames), func(i int) string { return lifecycle.Status(i).String() },
		func(i int) (string, bool) { s, ok := deliveryStatusNames[lifecycle.Status(i)]; return s, ok })
	check("lifecycle.Move", len(moveNames), func(i int) string { return lifecycle.Move(i).String() },
		func(i int) (string, bool) { s, ok := moveNames[lifecycle.Move(i)]; return s, ok })
	check("lifecycle.Machine", len(machineNames), func(i int) string { return lifecycle.Machine(i).String() },
		func(i int) (string, bool) { s, ok := machineNames[lifecycle.Machine(i)]; return s, ok })
	check("presales.Status", len(presalesStatusNames), func(i int) string { return presales.Status(i).String() },
		func(i int) (string, bool) { s, ok := presalesStatusNames[presales.Status(i)]; return s, ok })
	check("dealreg.Status", len(dealStatusNames), func(i int) string { return dealreg.Status(i).String() },
		func(i int) (string, bool) { s, ok := dealStatusNames[dealreg.Status(i)]; return s, ok })
	check("dealreg.Tier", len(tierNames), func(i int) string { return dealreg.Tier(i).String() },
		func(i int) (string, bool) { s, ok := tierNames[dealreg.Tier(i)]; return s, ok })
	// Every move has the operation of this API that makes it.
	for _, tr := range lifecycle.Transitions() {
		for _, op := range moveOperations(tr.Move, tr.From) {
			if op == "" {
				t.Errorf("move %s from %s has no operation", tr.Move, tr.From)
			}
		}
	}
	// The approval roles: the table names each bit presales names, and presales names no bit beyond.
	for i, rn := range presalesRoleNames {
		if rn.v != 1<<i || rn.v.String() == "none" {
			t.Errorf("presales role %d: %#x %q", i, uint32(rn.v), rn.v.String())
		}
	}
	if s := presales.Role(1 << len(presalesRoleNames)).String(); s != "none" {
		t.Errorf("presales.Role %#x is %q: a role without a wire name", 1<<len(presalesRoleNames), s)
	}
}
