package swa_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

func TestDefaultTermsAreTheGuidesTables(t *testing.T) {
	terms := swa.DefaultTerms()
	units := func(tb swa.Table) map[int]int64 {
		m := map[int]int64{}
		for _, tm := range tb.Terms {
			m[tm.Months] = tm.Units
		}
		return m
	}
	sv, ok := terms.Product("SV8300")
	if !ok || sv.Code != "18" || sv.Application != "SV 8300" || sv.RenewalMaxMonths != 36 || len(sv.Tables) != 1 ||
		!reflect.DeepEqual(units(sv.Tables[0]), map[int]int64{12: 264, 24: 513, 36: 753}) {
		t.Fatalf("SV8300 %+v", sv)
	}
	is, ok := terms.Product("iS3000")
	if !ok || is.Code != "IS" {
		t.Fatalf("iS3000 %+v", is)
	}
	old, _ := is.Table(date(2013, 5, 31))
	cur, _ := is.Table(date(2013, 6, 1))
	if !reflect.DeepEqual(units(old), map[int]int64{12: 59, 24: 115, 36: 168}) || !old.EndDateChoice || old.MinMonths != 3 || !old.WaiveReinstatement ||
		!reflect.DeepEqual(units(cur), map[int]int64{12: 66, 24: 129, 36: 189, 48: 251, 60: 304}) || cur.EndDateChoice || cur.MaxMonths() != 60 {
		t.Fatalf("iS3000 tables: before 2013-06-01 %+v, after %+v", old, cur)
	}
	if _, ok := terms.Product("SV8100"); ok {
		t.Fatal("the guide prints no SV8100 table")
	}
	// Units by month count: the table's figure, else ceil(rate12 × months / 12).
	for _, c := range []struct {
		months int
		want   int64
	}{{12, 66}, {60, 304}, {13, 72}, {1, 6}, {0, 0}} {
		if got := cur.Units(c.months); got != c.want {
			t.Errorf("Units(%d) = %d, want %d", c.months, got, c.want)
		}
	}
	// The shipped table is the embedded data file.
	data, err := os.ReadFile("data/terms.json")
	must(t, err)
	parsed, err := swa.ParseTerms(bytes.NewReader(data))
	must(t, err)
	if !reflect.DeepEqual(parsed.Products(), terms.Products()) {
		t.Fatal("DefaultTerms differs from data/terms.json")
	}
}

// termsCases are rejected tables, each with the reason it must be refused (also the fuzz seeds).
var termsCases = []struct{ name, in, want string }{
	{"not JSON", `{`, "unexpected end of input"},
	{"version 2", `{"version":2,"products":[]}`, "version 2"},
	{"no products", `{"version":1,"products":[]}`, "0 products"},
	{"unknown field", `{"version":1,"products":[],"extra":1}`, "unknown field"},
	{"duplicate key", `{"version":1,"version":1,"products":[]}`, `key "version" repeated`},
	{"trailing data", `{"version":1,"products":[{"product":"P","application":"A","code":"AB","systems":["S"],"tables":[{"terms":[{"months":12,"units":1}]}]}]} {}`, "data after"},
	{"code of three", product(`"code":"ABC"`), "code"},
	{"lower-case code", product(`"code":"ab"`), "code"},
	{"no systems", product(`"systems":[]`), "no systems"},
	{"a system twice", product(`"systems":["S","S"]`), "listed twice"},
	{"empty product name", product(`"product":""`), "product name"},
	{"renewal maximum of 61", product(`"renewal_max_months":61`), "renewal_max_months"},
	{"no tables", product(`"tables":[]`), "0 tables"},
	{"no 12-month term", product(`"tables":[{"terms":[{"months":24,"units":5}]}]`), "no 12-month term"},
	{"terms out of order", product(`"tables":[{"terms":[{"months":24,"units":5},{"months":12,"units":3}]}]`), "ascending"},
	{"61 months", product(`"tables":[{"terms":[{"months":12,"units":3},{"months":61,"units":5}]}]`), "61 months"},
	{"zero units", product(`"tables":[{"terms":[{"months":12,"units":0}]}]`), "0 units"},
	{"a bad date", product(`"tables":[{"activated_before":"2013-6-1","terms":[{"months":12,"units":3}]}]`), "activated_before"},
	{"two open tables", product(`"tables":[{"terms":[{"months":12,"units":3}]},{"terms":[{"months":12,"units":4}]}]`), "second table"},
	{"a repeated date", product(`"tables":[{"activated_before":"2013-06-01","terms":[{"months":12,"units":3}]},{"activated_before":"2013-06-01","terms":[{"months":12,"units":4}]}]`), "repeated"},
	{"min_months without the choice", product(`"tables":[{"min_months":3,"terms":[{"months":12,"units":3}]}]`), "min_months 3 without"},
	{"the choice without min_months", product(`"tables":[{"end_date_choice":true,"terms":[{"months":12,"units":3}]}]`), "min_months 0"},
	{"two products on one system", `{"version":1,"products":[` + productBody(`"product":"A"`) + `,` + productBody(`"product":"B"`) + `]}`, "both cover system"},
	{"one product twice", `{"version":1,"products":[` + productBody() + `,` + productBody() + `]}`, "listed twice"},
}

// productBody is a valid product with some fields replaced.
func productBody(repl ...string) string {
	fields := []string{`"product":"P"`, `"application":"A"`, `"code":"AB"`, `"systems":["S"]`, `"tables":[{"terms":[{"months":12,"units":1}]}]`}
	for _, r := range repl {
		name := r[:strings.Index(r, ":")]
		found := false
		for i, f := range fields {
			if strings.HasPrefix(f, name+":") {
				fields[i], found = r, true
			}
		}
		if !found {
			fields = append(fields, r)
		}
	}
	return "{" + strings.Join(fields, ",") + "}"
}

func product(repl ...string) string {
	return `{"version":1,"products":[` + productBody(repl...) + `]}`
}

func TestParseTermsRefusesMalformedTables(t *testing.T) {
	for _, c := range termsCases {
		got, err := swa.ParseTerms(strings.NewReader(c.in))
		if got != nil || !errors.Is(err, swa.ErrTerms) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "swa: ") {
			t.Errorf("%s: %v, %v; want an ErrTerms mentioning %q", c.name, got, err, c.want)
		}
	}
	if _, err := swa.ParseTerms(strings.NewReader(product())); err != nil {
		t.Fatalf("the valid base of the cases: %v", err)
	}
	big := `{"version":1,"source":"` + strings.Repeat("x", 1<<20) + `","products":[]}`
	if _, err := swa.ParseTerms(strings.NewReader(big)); !errors.Is(err, swa.ErrTerms) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a table over 1 MiB: %v", err)
	}
}

func TestNewChecksTermsAgainstTheCatalog(t *testing.T) {
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{})
	for name, in := range map[string]string{
		"an unknown system":       product(`"systems":["SV9999"]`),
		"an unknown part":         product(`"systems":["iS3000"]`, `"parts":["NOPE"]`),
		"a part not SWA-eligible": product(`"systems":["iS3000"]`, `"parts":["960026473134"]`),
	} {
		terms, err := swa.ParseTerms(strings.NewReader(in))
		must(t, err)
		if b, err := swa.New(l, swa.Config{Terms: terms}); b != nil || !errors.Is(err, swa.ErrTerms) {
			t.Errorf("%s: %v %v", name, b, err)
		}
	}
	if _, err := swa.New(nil, swa.Config{}); err == nil {
		t.Error("a nil ledger")
	}
	if _, err := swa.New(l, swa.Config{CoolingOff: -time.Second}); err == nil {
		t.Error("a negative cooling-off")
	}
	if _, err := swa.New(l, swa.Config{}); err != nil {
		t.Fatalf("the shipped terms on the shipped catalog: %v", err)
	}
}

// FuzzParseTerms: no input panics; a refused one returns no table and an ErrTerms; an accepted one
// writes back (MarshalJSON) to a table that parses equal.
func FuzzParseTerms(f *testing.F) {
	data, err := os.ReadFile("data/terms.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(product()))
	if extra, err := os.ReadFile("testdata/terms_extra.json"); err == nil {
		f.Add(extra)
	}
	for _, c := range termsCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		terms, err := swa.ParseTerms(bytes.NewReader(in))
		if err != nil {
			if terms != nil || !errors.Is(err, swa.ErrTerms) {
				t.Fatalf("refused with %v but returned %v", err, terms)
			}
			return
		}
		out, err := terms.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := swa.ParseTerms(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the written table does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(terms.Products(), again.Products()) {
			t.Fatalf("round trip changed the table:\n%s", out)
		}
		out2, _ := again.MarshalJSON()
		if !bytes.Equal(out, out2) {
			t.Fatalf("writing is not stable:\n%s\n%s", out, out2)
		}
	})
}
