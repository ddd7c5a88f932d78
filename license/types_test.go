package license

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDoc002_EntitlementTypeTable: the entitlement types and their categories, as the entitlement
// basics' table gives them: T is commercial and permanent; B D L M N P S X Y commercial and
// fixed-term; A C F V non-commercial and fixed-term.
func TestDoc002_EntitlementTypeTable(t *testing.T) {
	type row struct {
		Code       EntitlementType
		Name       string
		Commercial bool
		FixedTerm  bool
	}
	var got []row
	for _, typ := range EntitlementTypes() {
		got = append(got, row{typ, typ.Name(), typ.Commercial(), typ.FixedTerm()})
	}
	want := []row{
		{"T", "Commerce", true, false}, {"B", "Beta tests", true, true}, {"D", "Commissioning", true, true},
		{"L", "Trial", true, true}, {"M", "Buyout", true, true}, {"N", "Case by case", true, true},
		{"P", "Postpaid", true, true}, {"S", "Software subscription annual fee", true, true}, {"X", "Test", true, true},
		{"Y", "Energy saving service", true, true}, {"A", "Brand exhibition", false, true}, {"C", "Pre-sales expansion", false, true},
		{"F", "Exhibition", false, true}, {"V", "R&D external test", false, true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("the table (-document +code):\n%s", d)
	}
	for _, bad := range []string{"", "t", "TT", "Q", "Z"} {
		if _, err := ParseEntitlementType(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseEntitlementType(%q): %v", bad, err)
		}
		if EntitlementType(bad).IsValid() || EntitlementType(bad).FixedTerm() || EntitlementType(bad).Name() != "" {
			t.Errorf("%q is valid", bad)
		}
	}
	// The file rules read the same table.
	for _, typ := range EntitlementTypes() {
		com, known := EntitlementCommercial(string(typ))
		if !known || com != typ.Commercial() {
			t.Errorf("EntitlementCommercial(%s) = %v, %v", typ, com, known)
		}
	}
	if b, err := EntitlementType("").MarshalText(); err != nil || len(b) != 0 {
		t.Errorf("the zero type marshals to %q, %v", b, err)
	}
	if _, err := EntitlementType("Q").MarshalText(); err == nil {
		t.Error("an invalid type marshals")
	}
}

// TestSVIZipFiles: a location's files in one <HWKC>-svi.zip: the permanent file first, the
// fixed-term ones named by type and end; the same files in any order give the same bytes; files
// of two codes, or two files of one name, are refused; each entry must be named after its file.
func TestSVIZipFiles(t *testing.T) {
	perm := sv8100File(t)
	temp := sv8100File(t)
	temp.Serial, temp.Term, temp.NotAfter, temp.Entitlement = "L:S:1", Temporary, time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC), "S"
	demo := sv8100File(t)
	demo.Serial, demo.Term, demo.NotAfter = "L.9", Demo, temp.NotAfter
	p, tf, df := mustSign(t, perm), mustSign(t, temp), mustSign(t, demo)
	name, data, err := SVIZipFiles(tf, df, p)
	if err != nil || name != "191000343919-svi.zip" {
		t.Fatalf("%q, %v", name, err)
	}
	_, again, _ := SVIZipFiles(p, tf, df)
	if !bytes.Equal(again, data) {
		t.Fatal("another order gives other bytes")
	}
	files, err := ReadSVIZipFiles(data)
	if err != nil || len(files) != 3 || !bytes.Equal(files[0], p) || !bytes.Equal(files[1], tf) || !bytes.Equal(files[2], df) {
		t.Fatalf("read back %d files, %v", len(files), err)
	}
	entries, _ := readZip("svi zip", data)
	var names []string
	for _, e := range entries {
		names = append(names, e.name)
	}
	if d := cmp.Diff([]string{"191000343919-svi.lic", "191000343919-svi-S-20310203040506.lic", "191000343919-svi-demo-20310203040506.lic"}, names); d != "" {
		t.Fatalf("entry names (-want +got):\n%s", d)
	}
	if _, err := ReadSVIZip(data); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ReadSVIZip of several files: %v", err)
	}
	// One fixed-term file alone reads with ReadSVIZip.
	_, one, _ := SVIZipFiles(tf)
	if b, err := ReadSVIZip(one); err != nil || !bytes.Equal(b, tf) {
		t.Fatalf("one fixed-term file: %v", err)
	}
	other := sv8100File(t)
	other.Host.Code = mustCode(t, other.Host.System, "190400324412")
	for name, files := range map[string][][]byte{
		"two codes":           {p, mustSign(t, other)},
		"two permanent files": {p, p},
		"none":                nil,
	} {
		if _, _, err := SVIZipFiles(files...); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A mislabelled entry is refused.
	bad, _ := writeZip([]zipEntry{{"191000343919-svi.lic", p}, {"191000343919-svi-S-20990101000000.lic", tf}})
	if _, err := ReadSVIZipFiles(bad); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "holds the file") {
		t.Fatalf("mislabelled: %v", err)
	}
	mixed, _ := writeZip([]zipEntry{{"191000343919-svi.lic", p}, {"190400324412-svi.lic", mustSign(t, other)}})
	if _, err := ReadSVIZipFiles(mixed); !errors.Is(err, ErrMalformed) {
		t.Fatalf("two codes read: %v", err)
	}
}
