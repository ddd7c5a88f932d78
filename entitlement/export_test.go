package entitlement_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// richLedger runs a random sequence of every kind of operation (the guide's per-system ones
// included) on s, adds an extension's records and a units-only order, and returns the fixture.
func richLedger(t *testing.T, s entitlement.Store, steps int) *storetest.Fixture {
	t.Helper()
	f := guideFixture(t, s, 3)
	f.L.HandleUnits(func(x *entitlement.Op, o entitlement.Order, units []entitlement.OrderLine) error {
		for i, u := range units {
			if err := x.Put("test.units", fmt.Sprintf("%s/%d", o.PO, i), unitRec{Partner: o.Partner, Part: u.Part, Qty: u.Qty, Expires: o.Expires}); err != nil {
				return err
			}
		}
		_, err := x.Next("test.units")
		return err
	})
	must[[]entitlement.ShippedLine](t)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "SWA-PO", SO: "SWA-SO",
		Expires: time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC), Lines: []entitlement.OrderLine{{Part: "BE112031", Qty: 6000}}}))
	r := rand.New(rand.NewPCG(3, 3))
	seq := 0
	acts := actorsOf(f)
	for range steps {
		ac := acts[r.IntN(len(acts))]
		if _, err := randomOp(r, f, ac.a, ac.partner, &seq); err != nil && !expected(err) {
			t.Fatal(err)
		}
	}
	// A migration (history lines, a retired code) and the desk's confirmation of a DECT upload.
	c := must[entitlement.Customer](t)(f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Migrating"}))
	loc := must[entitlement.Location](t)(f.L.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "CP10", System: "SV9100 CP10", HWKC: "340000000999"}))
	s1 := must[[]entitlement.ShippedLine](t)(f.L.Ship(ctx, f.Admin, entitlement.Order{Partner: f.DistP, PO: "MIG-PO", SO: "MIG-SO", Lines: []entitlement.OrderLine{{Part: "BE114063", Qty: 2}}}))
	must[[]entitlement.Line](t)(f.L.Attach(ctx, f.Dist, loc.ID, picksAll(s1)))
	must[entitlement.Issued](t)(f.L.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	must[entitlement.Issued](t)(systems.MigrateSV9100(ctx, f.L, f.Dist, loc.ID, "440000000999"))
	for _, loc := range must[[]entitlement.Location](t)(f.L.SearchLocations(ctx, f.Dist, "", 0)) {
		if v, _ := loc.Attr(systems.AttrPARIDeactivation); v == systems.PARIRequested {
			ok(t, systems.ConfirmPARIDeactivation(ctx, f.L, f.Admin, loc.ID))
			break
		}
	}
	// An API token and an idempotency key's record, which a restore keeps.
	if _, _, err := f.L.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, Name: "backup test"}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.L.Idempotent(ctx, f.Dist, entitlement.IdempotencyKey{Key: "retry-1", Fingerprint: []byte("POST /v1/customers")},
		func(ctx context.Context) (entitlement.Response, error) {
			c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "Idempotent"})
			return entitlement.Response{Status: 201, Body: []byte(c.ID)}, err
		})
	ok(t, err)
	return f
}

// reopen is a ledger on a store (for its Snapshot and checks).
func reopen(s entitlement.Store) *entitlement.Ledger { return entitlement.New(s, entitlement.Config{}) }

func TestExportImport_ReproducesTheLedger(t *testing.T) {
	s := entitlement.NewMemStore()
	f := richLedger(t, s, 500)
	var buf bytes.Buffer
	n := must[int](t)(entitlement.Export(ctx, s, &buf))
	types := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var l struct{ Type string }
		ok(t, json.Unmarshal([]byte(line), &l))
		types[l.Type]++
	}
	// The sequence reached every kind of record, so the round trip below covers each.
	for _, typ := range []string{"header", "counter", "audit_head", "partner", "user", "allowance", "order", "shipped_line", "customer",
		"location", "line", "file", "demo_file", "reshipment", "return", "audit", "token", "idempotency", "ext", "end"} {
		if types[typ] == 0 {
			t.Errorf("the export holds no %s record: %v", typ, types)
		}
	}
	exported := buf.String()
	if !strings.Contains(exported, `"state":3`) || !strings.Contains(exported, `"former_hwkc"`) {
		t.Error("the sequence reached no migration history or retired code")
	}

	s2 := entitlement.NewMemStore()
	got := must[int](t)(entitlement.Import(ctx, s2, strings.NewReader(exported), nil))
	if got != n {
		t.Fatalf("imported %d records, exported %d", got, n)
	}
	// The same ledger: every key and value of every bucket, indexes included.
	if d := cmp.Diff(must[entitlement.Snapshot](t)(f.L.Snapshot(ctx)), must[entitlement.Snapshot](t)(reopen(s2).Snapshot(ctx))); d != "" {
		t.Fatalf("the imported ledger differs (-original +imported):\n%s", d)
	}
	conserved(t, reopen(s2))
	if _, err := reopen(s2).VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	// Exporting the import gives the same bytes: the format is deterministic.
	var again bytes.Buffer
	must[int](t)(entitlement.Export(ctx, s2, &again))
	if again.String() != exported {
		t.Fatal("the export of the imported ledger differs from the original export")
	}
	// The imported ledger works: operations go on where they left off.
	l2 := entitlement.New(s2, entitlement.Config{Issuer: storetest.Issuer{}, Rules: systems.GuideRules(), Clock: storetest.FixedClock{T: time.Date(2019, 7, 18, 0, 0, 0, 0, time.UTC)}})
	shipSV8100(t, &storetest.Fixture{L: l2, Admin: f.Admin}, f.DistP, "PO-after-import")
	conserved(t, l2)
}

// TestBackup_WhileWritersRun takes backups of a ledger on the embedded store while six
// goroutines change it: each backup is a consistent ledger (the import checks conservation and the
// audit chain), and the last one, taken at rest, is the ledger itself.
func TestBackup_WhileWritersRun(t *testing.T) {
	s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "l.db"), &entitlement.FileOptions{UnsafeNoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := guideFixture(t, s, 4)
	steps := 80
	if testing.Short() || raceEnabled {
		steps = 40
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i, ac := range actorsOf(f) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 4))
			seq := 0
			for range steps {
				if name, err := randomOp(r, f, ac.a, ac.partner, &seq); err != nil && !expected(err) {
					t.Errorf("%s: %v", name, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	backups := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		var buf bytes.Buffer
		if _, err := f.L.Backup(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if _, err := entitlement.Import(ctx, entitlement.NewMemStore(), &buf, nil); err != nil {
			t.Fatalf("backup %d taken while writers ran: %v", backups, err)
		}
		backups++
	}
	if backups < 2 {
		t.Fatalf("only %d backups", backups)
	}
	var buf bytes.Buffer
	must[int](t)(f.L.Backup(ctx, &buf))
	s2 := entitlement.NewMemStore()
	must[int](t)(entitlement.Import(ctx, s2, &buf, nil))
	if d := cmp.Diff(must[entitlement.Snapshot](t)(f.L.Snapshot(ctx)), must[entitlement.Snapshot](t)(reopen(s2).Snapshot(ctx))); d != "" {
		t.Fatalf("the backup at rest differs (-ledger +backup):\n%s", d)
	}
	t.Logf("%d backups while writers ran", backups)
}

// exportLines splits an export into its lines, without the end line.
func exportLines(t *testing.T, export string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(export, "\n"), "\n")
	return lines[:len(lines)-1]
}

// reseal writes lines with a correct end line: an edited export that only the checks of the ledger
// (and of the records) can refuse.
func reseal(lines []string) string {
	body := strings.Join(lines, "\n") + "\n"
	sum := sha256.Sum256([]byte(body))
	return body + fmt.Sprintf(`{"type":"end","records":%d,"sha256":"%s"}`, len(lines)-1, hex.EncodeToString(sum[:])) + "\n"
}

func TestImport_Refusals(t *testing.T) {
	s := entitlement.NewMemStore()
	f := richLedger(t, s, 150)
	var buf bytes.Buffer
	must[int](t)(entitlement.Export(ctx, s, &buf))
	good := buf.String()
	lines := exportLines(t, good)
	find := func(typ string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, `{"type":"`+typ+`"`) {
				return i
			}
		}
		t.Fatalf("no %s line", typ)
		return 0
	}
	edit := func(typ, old, new string) string {
		c := append([]string(nil), lines...)
		for i, l := range c {
			if strings.HasPrefix(l, `{"type":"`+typ+`"`) && strings.Contains(l, old) {
				c[i] = strings.Replace(l, old, new, 1)
				return reseal(c)
			}
		}
		t.Fatalf("no %s line holds %q", typ, old)
		return ""
	}
	withLine := func(i int, extra string) string {
		c := append([]string(nil), lines[:i]...)
		c = append(c, extra)
		return reseal(append(c, lines[i:]...))
	}
	shipped := lines[find("shipped_line")]
	for _, tc := range []struct {
		name, why, input string
		want             error
	}{
		{"empty", "not an export", "", entitlement.ErrInvalid},
		{"truncated", "the end line is missing", strings.Join(lines, "\n") + "\n", entitlement.ErrInvalid},
		{"cut mid-line", "the last line has no newline", good[:len(good)/2], entitlement.ErrInvalid},
		{"damaged", "one byte changed: the SHA-256 differs", strings.Replace(good, `"name":"Distributor X"`, `"name":"Distributor Y"`, 1), entitlement.ErrInvalid},
		{"wrong count", "the end line counts the records", strings.Replace(good, `"type":"end","records":`, `"type":"end","records":1`, 1), entitlement.ErrInvalid},
		{"after the end", "nothing follows the end line", good + "\n", entitlement.ErrInvalid},
		{"version 2", "a later format", reseal(append([]string{`{"type":"header","format":"lmskit-ledger-export","version":2}`}, lines[1:]...)), entitlement.ErrInvalid},
		{"other format", "not an lmskit export", reseal(append([]string{`{"type":"header","format":"other","version":1}`}, lines[1:]...)), entitlement.ErrInvalid},
		{"unknown type", "a record type this version does not know", withLine(1, `{"type":"secret","record":{}}`), entitlement.ErrInvalid},
		{"unknown field", "a field the record does not have", edit("partner", `"name":`, `"extra":1,"name":`), entitlement.ErrInvalid},
		{"record twice", "one key, two records", withLine(find("shipped_line"), shipped), entitlement.ErrInvalid},
		{"dangling partner", "a user of a partner the export does not hold", edit("user", `"partner":"distx"`, `"partner":"nobody"`), entitlement.ErrInvalid},
		{"NUL in an id", "ids never hold the key separator", edit("partner", `"id":"distx"`, `"id":"dist\u0000x"`), entitlement.ErrInvalid},
		{"quantities edited", "conservation refuses a seat made out of nothing", reseal(append(append([]string(nil), lines[:find("shipped_line")]...),
			append([]string{bumpShipped(t, shipped)}, lines[find("shipped_line")+1:]...)...)), entitlement.ErrCorrupt},
		{"audit edited", "the audit chain refuses an edited record", edit("audit", `"op":"`, `"op":"x`), entitlement.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s2 := entitlement.NewMemStore()
			if _, err := entitlement.Import(ctx, s2, strings.NewReader(tc.input), nil); !errors.Is(err, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.why, err, tc.want)
			}
			if snap := must[entitlement.Snapshot](t)(reopen(s2).Snapshot(ctx)); len(snap) != 0 {
				t.Fatalf("a refused import wrote %d buckets", len(snap))
			}
		})
	}
	// A store that holds anything is refused, and left as it was.
	before := must[entitlement.Snapshot](t)(f.L.Snapshot(ctx))
	if _, err := entitlement.Import(ctx, s, strings.NewReader(good), nil); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("import into a ledger: %v", err)
	}
	if d := cmp.Diff(before, must[entitlement.Snapshot](t)(f.L.Snapshot(ctx))); d != "" {
		t.Fatal("a refused import changed the store")
	}
}

// bumpShipped raises a shipped line's shipped and bin quantities by one: a seat from nowhere.
func bumpShipped(t *testing.T, line string) string {
	var l struct {
		Type   string                  `json:"type"`
		Record entitlement.ShippedLine `json:"record"`
	}
	ok(t, json.Unmarshal([]byte(line), &l))
	l.Record.Shipped++
	l.Record.InBin++
	b, err := json.Marshal(l)
	ok(t, err)
	return string(b)
}

// TestExport_HoldsNoSecret is the attacker who obtains an export: it holds neither the issuer's
// signing key, nor the audit key, nor the deriver's secret, in any encoding; and a keyed audit
// chain imports only with its key.
func TestExport_HoldsNoSecret(t *testing.T) {
	seed := []byte("export test issuer seed, secret!")
	auditKey := []byte("export test audit key, secret!!!")
	deriverSecret := []byte("export test deriver secret, 32 b")
	key, err := signing.NewKeyFromSeed(seed)
	ok(t, err)
	d, err := keycode.NewDeriver(deriverSecret)
	ok(t, err)
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 30)
	// The fixture's records are chained without the key; this ledger keys what follows, so the
	// chain is verified below as a whole only on the ledger's own terms: start it afresh.
	s = entitlement.NewMemStore()
	l := entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, AuditKey: auditKey, Deriver: d,
		Rules: systems.GuideRules(), Clock: storetest.FixedClock{T: time.Date(2019, 7, 17, 9, 0, 0, 0, time.UTC)}, Rand: rand.NewChaCha8([32]byte{30})})
	ok(t, l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: f.Admin.User, Name: "Admin"}))
	ok(t, l.AddPartner(ctx, f.Admin, entitlement.Partner{ID: "distx", Name: "Distributor X", Kind: entitlement.KindDistributor}))
	ok(t, l.AddUser(ctx, f.Admin, entitlement.User{ID: f.Dist.User, Name: "Ed", Partner: "distx", Roles: entitlement.RoleLMSUser}))
	c := must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "C"}))
	sv := must[entitlement.Location](t)(l.CreateLocation(ctx, f.Dist, entitlement.Location{Customer: c.ID, Name: "SV9500", System: "SV9500 Standard Server"}))
	s1 := must[[]entitlement.ShippedLine](t)(l.Ship(ctx, f.Admin, entitlement.Order{Partner: "distx", PO: "P", SO: "S", Lines: []entitlement.OrderLine{{Part: "BE114234", Qty: 1}}}))
	must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, sv.ID, picksAll(s1)))
	must[entitlement.Issued](t)(systems.SetLAN1IP(ctx, l, f.Dist, sv.ID, netip.MustParseAddr("10.0.0.1")))
	token, _, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User})
	ok(t, err)
	var buf bytes.Buffer
	must[int](t)(l.Backup(ctx, &buf))
	export := buf.Bytes()
	for name, secret := range map[string][]byte{"issuer seed": seed, "audit key": auditKey, "deriver secret": deriverSecret, "API token": []byte(token)} {
		for form, b := range map[string][]byte{
			"raw": secret, "hex": []byte(hex.EncodeToString(secret)), "HEX": []byte(strings.ToUpper(hex.EncodeToString(secret))),
			"base64": []byte(base64.StdEncoding.EncodeToString(secret)), "base64url": []byte(base64.RawURLEncoding.EncodeToString(secret)),
			"base64 of a prefix": []byte(base64.StdEncoding.EncodeToString(secret[:24])),
		} {
			if bytes.Contains(export, b) {
				t.Errorf("the export holds the %s (%s)", name, form)
			}
		}
	}
	if _, err := entitlement.Import(ctx, entitlement.NewMemStore(), bytes.NewReader(export), nil); !errors.Is(err, entitlement.ErrCorrupt) {
		t.Fatalf("a keyed chain imported without its key: %v", err)
	}
	if _, err := entitlement.Import(ctx, entitlement.NewMemStore(), bytes.NewReader(export), auditKey); err != nil {
		t.Fatalf("import with the audit key: %v", err)
	}
}

func FuzzImport(f *testing.F) {
	s := entitlement.NewMemStore()
	fx := storetest.NewFixture(f, s, 40)
	loc := newLocation(f, fx, fx.Dist, "SV8100", "191000343919")
	shipped := shipSV8100(f, fx, fx.DistP, "PO-F")
	must[[]entitlement.Line](f)(fx.L.Attach(ctx, fx.Dist, loc.ID, picksAll(shipped[:2])))
	must[entitlement.Issued](f)(fx.L.Activate(ctx, fx.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	ok(f, fx.L.Update(ctx, fx.Dist, "test.ext", func(x *entitlement.Op) error { return x.Put("test.units", "a", unitRec{Qty: 1}) }))
	var buf bytes.Buffer
	must[int](f)(entitlement.Export(ctx, s, &buf))
	good := buf.String()
	f.Add([]byte(good))
	f.Add([]byte(good[:len(good)/3]))
	f.Add([]byte(strings.Replace(good, `"qty":1`, `"qty":2`, 1)))
	lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
	f.Add([]byte(reseal(lines[:len(lines)-1])))
	f.Add([]byte(reseal(lines[:3])))
	f.Add([]byte(`{"type":"header","format":"lmskit-ledger-export","version":1}` + "\n"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s2 := entitlement.NewMemStore()
		n, err := entitlement.Import(ctx, s2, bytes.NewReader(in), nil)
		snap := must[entitlement.Snapshot](t)(reopen(s2).Snapshot(ctx))
		if err != nil {
			if len(snap) != 0 || n != 0 {
				t.Fatalf("a refused import (%v) left %d buckets", err, len(snap))
			}
			if !errors.Is(err, entitlement.ErrInvalid) && !errors.Is(err, entitlement.ErrCorrupt) {
				t.Fatalf("refusal %v matches no sentinel", err)
			}
			return
		}
		// Accepted: the ledger checks pass, and it exports and imports again to itself.
		conserved(t, reopen(s2))
		var out bytes.Buffer
		if m := must[int](t)(entitlement.Export(ctx, s2, &out)); m != n {
			t.Fatalf("imported %d, exported %d", n, m)
		}
		s3 := entitlement.NewMemStore()
		must[int](t)(entitlement.Import(ctx, s3, &out, nil))
		if d := cmp.Diff(snap, must[entitlement.Snapshot](t)(reopen(s3).Snapshot(ctx))); d != "" {
			t.Fatalf("export and import again differ:\n%s", d)
		}
	})
}
