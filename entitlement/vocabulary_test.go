package entitlement_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

func FuzzCatalogParseSystem(f *testing.F) {
	cat := entitlement.DefaultCatalog()
	for _, s := range cat.Systems() {
		f.Add(s.Name)
	}
	for _, s := range keycode.Systems() {
		f.Add(string(s))
	}
	for _, s := range []string{"", "SV9500", "SV9100", "sv9500 standard", "License Manager Client", "CTI (LMC)", "\xff\x00", strings.Repeat("SV", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := cat.ParseSystem(name)
		if err == nil {
			if got, ok := cat.System(s.Name); !ok || got.Name != s.Name {
				t.Fatalf("ParseSystem(%q) = %q, not a catalog system", name, s.Name)
			}
			return
		}
		var se *entitlement.SystemError
		if !errors.As(err, &se) || !errors.Is(err, entitlement.ErrInvalid) || len(se.Input) > 64 || len(se.Valid) != len(cat.Systems()) {
			t.Fatalf("ParseSystem(%q): %#v", name, err)
		}
		for _, c := range se.Candidates {
			if _, ok := cat.System(c); !ok {
				t.Fatalf("candidate %q is no catalog system", c)
			}
		}
		if se.Ambiguous && len(se.Candidates) < 2 {
			t.Fatalf("ambiguous with %v", se.Candidates)
		}
	})
}

// TestCatalog_ParseSystem: the catalog reads a system type in either vocabulary, and every refusal
// names what would have been accepted.
func TestCatalog_ParseSystem(t *testing.T) {
	cat := entitlement.DefaultCatalog()
	for _, tc := range []struct{ in, want, why string }{
		{"SV9100 CP10", "SV9100 CP10", "the catalog's own name"},
		{"sv9100cp10", "SV9100 CP10", "case and spaces do not matter"},
		{"iS3000 / SIP@Net Server", "iS3000", "keycode's name, one catalog system"},
		{"SIP@Net Server", "iS3000", "a keycode spelling of the guide"},
		{"License Manager Client", "LMC", "the catalog's alias: keycode's LMC also covers UIP"},
		{"DECT", "IP DECT", "keycode's spelling of IP DECT"},
		{"Expense Management (protect.dat)", "Expense Management", "the guide's table row"},
		{"SV8500 (SR-MGC)", "SR-MGC", "the guide's table row"},
	} {
		got, err := cat.ParseSystem(tc.in)
		if err != nil || got.Name != tc.want {
			t.Errorf("ParseSystem(%q) = %q, %v; want %q (%s)", tc.in, got.Name, err, tc.want, tc.why)
		}
	}
	for _, tc := range []struct {
		in, why    string
		ambiguous  bool
		candidates []string
	}{
		{"SV9500", "keycode's one SV9500 is three catalog models", true, []string{"SV9500 Appliance Server", "SV9500 SE", "SV9500 Standard Server"}},
		{"SV9100", "CP10 or CP20, chosen by the code's range", true, []string{"SV9100 CP10", "SV9100 CP20"}},
		{"BX/OVOC", "three BX/OVOC catalog systems", true, []string{"BX/OVOC HW", "BX/OVOC SW", "OVOC"}},
		{"SV8200", "a typing error: the near names", false, []string{"SV8100", "SV8300", "SV8500"}},
		{"SV9500 Standard", "the start of a catalog name", false, []string{"SV9500 Standard Server"}},
		{"uMobility", "keycode knows it, the catalog has no such system type", false, nil},
		{"fax machine", "nothing near", false, nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := cat.ParseSystem(tc.in)
			var se *entitlement.SystemError
			if !errors.As(err, &se) || !errors.Is(err, entitlement.ErrInvalid) {
				t.Fatalf("ParseSystem(%q): %v, want a *SystemError (%s)", tc.in, err, tc.why)
			}
			if se.Ambiguous != tc.ambiguous {
				t.Errorf("ambiguous %v (%s)", se.Ambiguous, tc.why)
			}
			if d := cmp.Diff(tc.candidates, se.Candidates); d != "" {
				t.Errorf("candidates (-want +got) (%s):\n%s", tc.why, d)
			}
			msg := err.Error()
			for _, c := range tc.candidates {
				if !strings.Contains(msg, c) {
					t.Errorf("message %q lacks candidate %q", msg, c)
				}
			}
			// Every refusal names what would have been accepted.
			for _, s := range cat.Systems() {
				if !strings.Contains(msg, s.Name) {
					t.Errorf("message %q lacks the valid name %q", msg, s.Name)
				}
			}
		})
	}
}

// TestCreateLocation_EitherVocabulary: CreateLocation takes every unambiguous spelling and stores
// the catalog's name; the rest is refused naming the choices, changing nothing.
func TestCreateLocation_EitherVocabulary(t *testing.T) {
	f := newFixture(t)
	l := f.L
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"}))
	for _, tc := range []struct{ system, code, want string }{
		{"iS3000 / SIP@Net Server", "aa0014SA2792883418AA", "iS3000"},
		{"License Manager Client", "LM16717688D912171C3E3E603E1836", "LMC"},
		{"sv9100 cp10", "341006761783", "SV9100 CP10"},
	} {
		loc := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: tc.system, System: tc.system, HWKC: tc.code}))
		if loc.System != tc.want {
			t.Errorf("%q stored as %q, want %q", tc.system, loc.System, tc.want)
		}
	}
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "x", System: "SV9500", HWKC: "3565A9C3084267EF2E44A4736DI2"})
	var se *entitlement.SystemError
	if !errors.As(err, &se) || !se.Ambiguous || !strings.Contains(err.Error(), "SV9500 Appliance Server") {
		t.Fatalf("SV9500: %v", err)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](t)(l.Snapshot(ctx))); d != "" {
		t.Fatalf("a refused location changed the ledger:\n%s", d)
	}
}

// TestSystemDocMatchesCatalog: the documented mapping of catalog systems to keycode systems (the
// System type's documentation) is the shipped catalog's.
func TestSystemDocMatchesCatalog(t *testing.T) {
	text := typeDoc(t, "catalog.go", "System")
	cols := regexp.MustCompile(`\s{2,}`)
	got := map[string][2]string{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "\t") {
			continue
		}
		f := cols.Split(strings.TrimSpace(line), -1)
		if len(f) < 2 {
			continue
		}
		alias := ""
		if len(f) > 2 {
			alias = strings.Trim(strings.TrimPrefix(f[2], "also "), `"`)
		}
		got[f[0]] = [2]string{f[1], alias}
	}
	want := map[string][2]string{}
	for _, s := range entitlement.DefaultCatalog().Systems() {
		want[s.Name] = [2]string{string(s.Keycode), strings.Join(s.Aliases, ", ")}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("the System documentation's table is not the catalog's (-catalog +doc):\n%s", d)
	}
}

// typeDoc returns the documentation of a type declared in one of the package's files.
func typeDoc(t *testing.T, file, name string) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	p, err := doc.NewFromFiles(fset, []*ast.File{f}, "github.com/lmskit/lmskit/entitlement")
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range p.Types {
		if ty.Name == name {
			return ty.Doc
		}
	}
	t.Fatalf("no type %s in %s", name, file)
	return ""
}

func TestParseCatalog_Aliases(t *testing.T) {
	for name, js := range map[string]string{
		"alias of another system's name": `{"version":1,"systems":[{"name":"A","skc":"AA","keycode":"SV8100"},{"name":"B","skc":"BB","keycode":"SV8100","aliases":["a"]}],"parts":[]}`,
		"alias twice":                    `{"version":1,"systems":[{"name":"A","skc":"AA","keycode":"SV8100","aliases":["x"]},{"name":"B","skc":"BB","keycode":"SV8100","aliases":["X "]}],"parts":[]}`,
		"empty alias":                    `{"version":1,"systems":[{"name":"A","skc":"AA","keycode":"SV8100","aliases":[""]}],"parts":[]}`,
	} {
		if _, err := entitlement.ParseCatalog(strings.NewReader(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestGenerateDemo_NoDemoSetSaysHowToAddOne: the refusal names the catalog and how an operator's
// catalog adds a demo set.
func TestGenerateDemo_NoDemoSetSaysHowToAddOne(t *testing.T) {
	f := newFixture(t)
	loc := newLocation(t, f, f.Dist, "SV9100 CP10", "341006761783")
	_, err := f.L.GenerateDemo(ctx, f.Dist, loc.ID)
	if !errors.Is(err, entitlement.ErrNoDemo) {
		t.Fatalf("demo of a system without a demo set: %v", err)
	}
	for _, s := range []string{"the catalog has no demo set for system SV9100 CP10", `"demo" quantity`, "ParseCatalog", "Config.Catalog"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("refusal %q lacks %q", err, s)
		}
	}
}

// TestCreateLocation_RegisteredCodeRevealsNoOwner is the attack of a partner's user probing for
// another partner's location by its hardware key code: the guide's uniqueness rule makes the
// refusal say that the code is registered, and nothing else: not the partner, the location, the
// customer or any id.
func TestCreateLocation_RegisteredCodeRevealsNoOwner(t *testing.T) {
	f := newFixture(t)
	l := f.L
	theirs := newLocation(t, f, f.Other, "SV8100", "191000343919")
	mine := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Mine"}))
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	_, err := l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: mine.ID, Name: "probe", System: "SV8100", HWKC: "191000343919"})
	if !errors.Is(err, entitlement.ErrExists) || !strings.Contains(err.Error(), "hardware key code 191000343919 is registered") {
		t.Fatalf("probe: %v", err)
	}
	for _, secret := range []string{f.OtherP, theirs.ID, theirs.Customer, theirs.Name, "Distributor Z", "zed"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the refusal %q reveals %q", err, secret)
		}
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](t)(l.Snapshot(ctx))); d != "" {
		t.Fatalf("the probe changed the ledger:\n%s", d)
	}
}

// TestRoles_TableMatchesBehaviour: the Role documentation's table lists every role and says
// whether it includes the LMS user role; a user holding only that role passes (or fails) the
// LMS user checks as the table says.
func TestRoles_TableMatchesBehaviour(t *testing.T) {
	text := typeDoc(t, "model.go", "Role")
	roles := map[string]entitlement.Role{"RoleLMSUser": entitlement.RoleLMSUser, "RoleSWADistributor": entitlement.RoleSWADistributor,
		"RoleSWADealer": entitlement.RoleSWADealer, "RoleAdmin": entitlement.RoleAdmin}
	holder := map[string]struct{ partner, user string }{"RoleLMSUser": {"distx", "only-lms@distx"},
		"RoleSWADistributor": {"distx", "only-swa-dist@distx"}, "RoleSWADealer": {"dealery", "only-swa-dealer@y"}, "RoleAdmin": {"vendor", "only-admin@vendor"}}
	cols := regexp.MustCompile(`\s{2,}`)
	seen := map[string]bool{}
	f := newFixture(t)
	for _, line := range strings.Split(text, "\n") {
		c := cols.Split(strings.TrimSpace(line), -1)
		r, isRole := roles[c[0]]
		if !isRole || len(c) < 4 {
			continue
		}
		seen[c[0]] = true
		h := holder[c[0]]
		ok(t, f.L.AddUser(ctx, f.Admin, entitlement.User{ID: h.user, Name: c[0], Partner: h.partner, Roles: r}))
		_, err := f.L.Customers(ctx, entitlement.Actor{User: h.user}, "")
		switch c[2] {
		case "yes", "(is it)":
			if err != nil {
				t.Errorf("%s: the table says it includes the LMS user role, but %v", c[0], err)
			}
		case "no":
			if !errors.Is(err, entitlement.ErrNotAllowed) {
				t.Errorf("%s: the table says it does not include the LMS user role, but %v", c[0], err)
			}
		default:
			t.Errorf("%s: includes column %q", c[0], c[2])
		}
	}
	for name := range roles {
		if !seen[name] {
			t.Errorf("the Role table does not list %s", name)
		}
	}
	if !slices.Contains(strings.Fields(text), "includes") {
		t.Error("the Role table has no includes column")
	}
}

// TestInvalidUTF8_CannotCorruptTheLedger is the attack of a distributor's user reshipping under a
// purchase order number that is not UTF-8 (and an administrator shipping one): stored, it would
// make every strict decode of the line and of the audit record fail, bricking the bin and the
// audit chain's verification. It is refused, and a reference or note an extension adds is made
// valid.
func TestInvalidUTF8_CannotCorruptTheLedger(t *testing.T) {
	f := newFixture(t)
	l := f.L
	s := shipSV8100(t, f, f.DistP, "PO-UTF8")
	before := must[entitlement.Snapshot](t)(l.Snapshot(ctx))
	if _, err := l.Reship(ctx, f.Dist, entitlement.ReshipRequest{DealerUser: "dealer@y", PO: "PO\xff", SO: "SO", Picks: []entitlement.Pick{{Line: s[0].ID, Qty: 1}}}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("reship under an invalid PO: %v", err)
	}
	if _, err := l.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "P", SO: "S\xfe", Lines: []entitlement.OrderLine{{Part: "BE107573", Qty: 1}}}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("ship under an invalid SO: %v", err)
	}
	if err := l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "bad\xff", Name: "Bad", Kind: entitlement.KindDealer}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("partner id: %v", err)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](t)(l.Snapshot(ctx))); d != "" {
		t.Fatalf("refusals changed the ledger:\n%s", d)
	}
	ok(t, l.Update(ctx, f.Dist, "test.note", func(x *entitlement.Op) error {
		x.Ref("agreement", "A\xff")
		x.Note("units from %s", "B\xfe")
		return nil
	}))
	must[[]entitlement.ShippedLine](t)(l.Bin(ctx, f.Dist))
	if _, err := l.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOpenFile_LockedByAnotherSays: a second open of a held ledger file waits its timeout and says
// that another process holds the file.
func TestOpenFile_LockedByAnotherSays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := entitlement.OpenFile(path, nil)
	ok(t, err)
	defer s.Close()
	_, err = entitlement.OpenFile(path, &entitlement.FileOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, entitlement.ErrLocked) || !strings.Contains(err.Error(), "another process holds the ledger file") || !strings.Contains(err.Error(), path) {
		t.Fatalf("second open: %v", err)
	}
}

// TestIssued_PrintsNoBytes: an issued file prints a summary, never its bytes, in every verb.
func TestIssued_PrintsNoBytes(t *testing.T) {
	f := entitlement.Issued{Location: "loc", Serial: 2, Name: "191000343919-svi.zip", Data: []byte("SECRETBYTES-data"), File: []byte("SECRETBYTES-file")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, f)
		if strings.Contains(out, "SECRETBYTES") || strings.Contains(out, "83 69 67") || !strings.Contains(out, "191000343919-svi.zip") {
			t.Errorf("%s prints %q", verb, out)
		}
	}
}
