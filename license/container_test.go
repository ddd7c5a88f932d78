package license

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/keycode"
)

func TestArmorRoundTrip(t *testing.T) {
	signed := mustSign(t, fullFile(t))
	armored, err := Armor(signed)
	if err != nil {
		t.Fatal(err)
	}
	text := string(armored)
	for _, want := range []string{
		"-----BEGIN LMSKIT LICENSE-----",
		"System: SV9500",
		"HWKC: 3565A9C3084267EF2E44A4736DI2",
		"Secondary: 3565ACE34C8C5745F64708D363FK",
		"Serial: LMS-2026-000042",
		"Term: temporary",
		"Not-After: 2026-03-31T09:30:00Z",
		"Entitlement: C",
		"Activation-Code: " + ActivationCode(signed),
		"-----END LMSKIT LICENSE-----",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("armor lacks %q:\n%s", want, text)
		}
	}
	back, err := Dearmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, signed) {
		t.Error("Dearmor did not give the signed bytes back")
	}
	if _, err := Open(back, testKeyring(t)); err != nil {
		t.Error(err)
	}
	// Headers are informative: editing them changes nothing that is read.
	edited := strings.Replace(text, "Serial: LMS-2026-000042", "Serial: FORGED", 1)
	if b, err := Dearmor([]byte(edited)); err != nil || !bytes.Equal(b, signed) {
		t.Errorf("edited header: %v", err)
	}
	a2, _ := Armor(signed)
	if !bytes.Equal(a2, armored) {
		t.Error("Armor is not deterministic")
	}
}

func TestArmorRefusesGarbage(t *testing.T) {
	if _, err := Armor([]byte("not a license")); !errors.Is(err, ErrMalformed) {
		t.Errorf("Armor(garbage) = %v, want ErrMalformed", err)
	}
	signed := mustSign(t, sv8100File(t))
	if _, err := Armor(signed[:len(signed)-1]); err == nil {
		t.Error("Armor of a cut file succeeded")
	}
}

func TestDearmorRejects(t *testing.T) {
	good, err := Armor(mustSign(t, sv8100File(t)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		why  string
	}{
		{"empty", "", "nothing"},
		{"other type", strings.ReplaceAll(string(good), "LMSKIT LICENSE", "PRIVATE KEY"), "only license blocks"},
		{"text before", "hello\n" + string(good), "one block and white space only"},
		{"two blocks", string(good) + string(good), "one file per armor"},
		{"damaged base64", strings.Replace(string(good), "\n\n", "\n\n!!!!", 1), "base64 must decode"},
		{"no end", strings.Split(string(good), "-----END")[0], "a block ends"},
		{"huge", strings.Repeat("A", 2<<20), "capped before parsing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Dearmor([]byte(tc.in))
			if err == nil || b != nil {
				t.Fatalf("accepted; %s", tc.why)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not match ErrMalformed", err)
			}
		})
	}
}

func TestGuide_SVIZip(t *testing.T) {
	// "Licenses are now being activated on the TEMP key and can be downloaded as ZIP file:
	// 22-130320025726-607-TEMP-KEY-svi.zip".
	f := sv8100File(t)
	f.Host = Host{System: keycode.SRMGC, Code: mustCode(t, keycode.SRMGC, "22-130320025726-607-TEMP-KEY")}
	signed := mustSign(t, f)
	name, data, err := SVIZip(signed)
	if err != nil {
		t.Fatal(err)
	}
	if name != "22-130320025726-607-TEMP-KEY-svi.zip" {
		t.Errorf("name %q", name)
	}
	back, err := ReadSVIZip(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, signed) {
		t.Error("round trip changed the file")
	}
	_, again, _ := SVIZip(signed)
	if !bytes.Equal(again, data) {
		t.Error("SVIZip is not deterministic")
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if len(zr.File) != 1 || zr.File[0].Name != "22-130320025726-607-TEMP-KEY-svi.lic" || !zr.File[0].Modified.Equal(zipTime) {
		t.Errorf("entries %+v", zr.File[0].FileHeader)
	}
}

func bxFile(t *testing.T, pk, serial string) []byte {
	t.Helper()
	f := sv8100File(t)
	f.Serial = serial
	f.Host = Host{System: keycode.BXOVOC, Code: mustCode(t, keycode.BXOVOC, "358744541284567"), ProductKey: mustPK(t, pk)}
	return mustSign(t, f)
}

func TestGuide_BXZip(t *testing.T) {
	// "Attach and Activate BX / OVOC licenses": AA_DT2729220_out.zip holds AA_DT2729220_out.lic
	// and AA_DT2729220_out.log; the redundant AA_V1D50EAF7FF016S3_out.zip holds
	// AA_NEC890D3BFF01RC2_out.lic, AA_V1D50EAF7FF016S3_out.lic and AA_V1D50EAF7FF016S3_out.log.
	single := bxFile(t, "DT2729220", "BX-1")
	name, data, err := BXZip(single, nil)
	if err != nil {
		t.Fatal(err)
	}
	if name != "AA_DT2729220_out.zip" {
		t.Errorf("name %q", name)
	}
	b, err := ReadBXZip(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.ProductKey.String() != "DT2729220" || len(b.Licenses) != 1 || b.Licenses[0].ProductKey.String() != "DT2729220" || !bytes.Equal(b.Licenses[0].Signed, single) {
		t.Errorf("bundle %+v", b)
	}
	for _, want := range []string{"AA_DT2729220_out.lic", "serial: BX-1", "product key: DT2729220", "activation code: " + ActivationCode(single), "BE107585 count 20"} {
		if !strings.Contains(b.Log, want) {
			t.Errorf("log lacks %q:\n%s", want, b.Log)
		}
	}

	primary := bxFile(t, "V1D50EAF7FF016S3", "BX-2a")
	secondary := bxFile(t, "NEC890D3BFF01RC2", "BX-2b")
	name, data, err = BXZip(primary, secondary)
	if err != nil {
		t.Fatal(err)
	}
	if name != "AA_V1D50EAF7FF016S3_out.zip" {
		t.Errorf("name %q", name)
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := []string{"AA_NEC890D3BFF01RC2_out.lic", "AA_V1D50EAF7FF016S3_out.lic", "AA_V1D50EAF7FF016S3_out.log"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	b, err = ReadBXZip(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.ProductKey.String() != "V1D50EAF7FF016S3" || len(b.Licenses) != 2 || !bytes.Equal(b.Licenses[1].Signed, primary) || !bytes.Equal(b.Licenses[0].Signed, secondary) {
		t.Errorf("pair bundle %+v", b)
	}
	_, again, _ := BXZip(primary, secondary)
	if !bytes.Equal(again, data) {
		t.Error("BXZip is not deterministic")
	}
	if _, _, err := BXZip(primary, primary); err == nil {
		t.Error("a pair of one machine accepted")
	}
	if _, _, err := BXZip(mustSign(t, sv8100File(t)), nil); err == nil {
		t.Error("a file without product key accepted for BX")
	}
}

// rawZip builds a zip by hand so that tests can make what our writer never would.
type rawEntry struct {
	name     string
	data     []byte
	mode     uint32 // 0 means 0644 regular
	method   uint16
	declared int64 // when > 0, the uncompressed size written to the header instead of the real one
}

func rawZip(t *testing.T, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: e.method, Modified: time.Unix(0, 0)}
		if e.mode != 0 {
			fh.SetMode(fileModeFrom(e.mode))
		} else {
			fh.SetMode(0o644)
		}
		if e.declared > 0 {
			// Write a raw stored entry whose header lies about its size.
			fh.Method = zip.Store
			fh.CompressedSize64 = uint64(len(e.data))
			fh.UncompressedSize64 = uint64(e.declared)
			w, err := zw.CreateRaw(fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZipReadersRefuse(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	lic := func(name string) rawEntry { return rawEntry{name: name, data: signed} }
	bx := func(pk string) rawEntry { return rawEntry{name: "AA_" + pk + "_out.lic", data: bxFile(t, pk, "S-"+pk)} }
	bomb := bytes.Repeat([]byte{0}, 8<<20) // deflates to a few KiB
	tests := []struct {
		name    string
		data    []byte
		readers string // which readers must refuse: "svi", "bx" or "both"
		why     string
	}{
		{"not a zip", []byte("PK\x03\x04 nonsense"), "both", "garbage"},
		{"empty input", nil, "both", "nothing"},
		{"oversize input", make([]byte, MaxZipSize+1), "both", "capped before parsing"},
		{"no entries", rawZip(t), "both", "an empty container holds no license"},
		{"parent path", rawZip(t, lic("../191000343919-svi.lic")), "both", "../ would escape the directory"},
		{"nested parent", rawZip(t, lic("a/../../x-svi.lic")), "both", "so would a deeper one"},
		{"absolute", rawZip(t, lic("/etc/191000343919-svi.lic")), "both", "absolute paths escape"},
		{"backslash", rawZip(t, lic(`..\191000343919-svi.lic`)), "both", "Windows separators too"},
		{"drive", rawZip(t, lic("C:191000343919-svi.lic")), "both", "drive-relative paths"},
		{"directory entry", rawZip(t, rawEntry{name: "dir-svi.lic", mode: uint32(0o755) | 1<<31}), "both", "directories are not files"},
		{"symlink", rawZip(t, rawEntry{name: "191000343919-svi.lic", data: []byte("/etc/passwd"), mode: uint32(0o777) | 1<<27}), "both", "a link points elsewhere"},
		{"control in name", rawZip(t, lic("19100\n-svi.lic")), "both", "names are printable"},
		{"hidden", rawZip(t, lic(".191000343919-svi.lic")), "both", "nothing hidden"},
		{"duplicate names", rawZip(t, lic("191000343919-svi.lic"), lic("191000343919-SVI.lic")), "both", "two entries one name (on a case-insensitive disk)"},
		{"too many entries", rawZip(t, func() []rawEntry {
			var es []rawEntry
			for i := range MaxZipEntries + 1 {
				es = append(es, rawEntry{name: "e" + itoa(i) + ".txt", data: []byte("x")})
			}
			return es
		}()...), "both", "entry count is capped"},
		{"deflate bomb", rawZip(t, rawEntry{name: "191000343919-svi.lic", data: bomb, method: zip.Deflate}), "both", "8 MiB from a few KiB is refused by the declared size"},
		{"lying size", rawZip(t, rawEntry{name: "191000343919-svi.lic", data: signed, declared: 10}), "both", "more data than declared is refused while reading"},
		{"svi wrong name", rawZip(t, lic("license.lic")), "svi", "the entry is <HWKC>-svi.lic"},
		{"svi name of another code", rawZip(t, lic("190400324412-svi.lic")), "svi", "the name says one PBX, the file another"},
		{"svi not a license", rawZip(t, rawEntry{name: "191000343919-svi.lic", data: []byte("hello")}), "svi", "a .lic holds a license"},
		{"svi two entries", rawZip(t, lic("191000343919-svi.lic"), lic("190400324412-svi.lic")), "svi", "one file per container"},
		{"bx no log", rawZip(t, bx("DT2729220")), "bx", "a BX container lists its content"},
		{"bx no lic", rawZip(t, rawEntry{name: "AA_DT2729220_out.log", data: []byte("x")}), "bx", "a log of nothing"},
		{"bx three lics", rawZip(t, bx("DT0000001"), bx("DT0000002"), bx("DT0000003"), rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")}), "bx", "one machine or a pair"},
		{"bx log for nobody", rawZip(t, bx("DT0000001"), rawEntry{name: "AA_DT0000002_out.log", data: []byte("x")}), "bx", "the log is named after the primary"},
		{"bx two logs", rawZip(t, bx("DT0000001"), bx("DT0000002"), rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")}, rawEntry{name: "AA_DT0000002_out.log", data: []byte("x")}), "bx", "one log"},
		{"bx stray entry", rawZip(t, bx("DT0000001"), rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")}, rawEntry{name: "readme.txt", data: []byte("x")}), "bx", "nothing else"},
		{"bx name of another machine", rawZip(t, rawEntry{name: "AA_DT0000001_out.lic", data: bxFile(t, "DT2729220", "BX-9")}, rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")}), "bx", "the name says one machine, the file another"},
		{"bx not a license", rawZip(t, rawEntry{name: "AA_DT0000001_out.lic", data: []byte("hello")}, rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")}), "bx", "a .lic holds a license"},
		{"bx bad product key", rawZip(t, lic("AA_X1_out.lic"), rawEntry{name: "AA_X1_out.log", data: []byte("x")}), "bx", "names carry real product keys"},
		{"bx lower-case key", rawZip(t, lic("AA_dt0000001_out.lic"), rawEntry{name: "AA_dt0000001_out.log", data: []byte("x")}), "bx", "one spelling per key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.readers != "bx" {
				b, err := ReadSVIZip(tc.data)
				if err == nil || b != nil {
					t.Errorf("ReadSVIZip accepted; %s", tc.why)
				} else if !errors.Is(err, ErrMalformed) {
					t.Errorf("ReadSVIZip: %v does not match ErrMalformed", err)
				}
			}
			if tc.readers != "svi" {
				b, err := ReadBXZip(tc.data)
				if err == nil || b != nil {
					t.Errorf("ReadBXZip accepted; %s", tc.why)
				} else if !errors.Is(err, ErrMalformed) {
					t.Errorf("ReadBXZip: %v does not match ErrMalformed", err)
				}
			}
		})
	}
}

func TestZipReaderAcceptsDeflate(t *testing.T) {
	// Containers repacked by other tools are usually deflated; that is fine within the caps.
	signed := mustSign(t, sv8100File(t))
	data := rawZip(t, rawEntry{name: "191000343919-svi.lic", data: signed, method: zip.Deflate})
	b, err := ReadSVIZip(data)
	if err != nil || !bytes.Equal(b, signed) {
		t.Errorf("deflated container: %v", err)
	}
	_ = flate.BestSpeed
	_ = io.EOF
}

func fileModeFrom(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&(1<<31) != 0 {
		mode |= fs.ModeDir
	}
	if m&(1<<27) != 0 {
		mode |= fs.ModeSymlink
	}
	return mode
}

// TestBXReaderAcceptsHandBuilt: the rejection cases above differ from this accepted container in
// one thing each.
func TestBXReaderAcceptsHandBuilt(t *testing.T) {
	a, b := bxFile(t, "DT0000001", "S-1"), bxFile(t, "DT0000002", "S-2")
	data := rawZip(t, rawEntry{name: "AA_DT0000001_out.lic", data: a}, rawEntry{name: "AA_DT0000002_out.lic", data: b}, rawEntry{name: "AA_DT0000001_out.log", data: []byte("x")})
	bundle, err := ReadBXZip(data)
	if err != nil {
		t.Fatal(err)
	}
	if bundle.ProductKey.String() != "DT0000001" || len(bundle.Licenses) != 2 || bundle.Log != "x" {
		t.Errorf("bundle %+v", bundle)
	}
}
