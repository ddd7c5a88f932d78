package license

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/keycode"
)

// inputBX signs a BX/OVOC file for product key pk.
func inputBX(t testing.TB, pk, serial string) []byte {
	t.Helper()
	f := sv8100File(t)
	f.Serial = serial
	f.Host = Host{System: keycode.BXOVOC, Code: mustCode(t, keycode.BXOVOC, "358744541284567"), ProductKey: mustPK(t, pk)}
	return mustSign(t, f)
}

// inputForms returns one license in every form a user holds it, and the files each holds.
func inputForms(t testing.TB) map[string]struct {
	data  []byte
	form  InputForm
	files [][]byte
} {
	t.Helper()
	signed := mustSign(t, sv8100File(t))
	armored, err := Armor(signed)
	if err != nil {
		t.Fatal(err)
	}
	_, svi, err := SVIZip(signed)
	if err != nil {
		t.Fatal(err)
	}
	a, b := inputBX(t, "DT2729220", "BX-1"), inputBX(t, "DT2729221", "BX-2")
	_, bx1, err := BXZip(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, bx2, err := BXZip(a, b)
	if err != nil {
		t.Fatal(err)
	}
	type in = struct {
		data  []byte
		form  InputForm
		files [][]byte
	}
	return map[string]in{
		"signed":                 {signed, InputSigned, [][]byte{signed}},
		"armored":                {armored, InputArmor, [][]byte{signed}},
		"armored with CRLF":      {bytes.ReplaceAll(armored, []byte("\n"), []byte("\r\n")), InputArmor, [][]byte{signed}},
		"armored with a BOM":     {append([]byte("\xef\xbb\xbf"), armored...), InputArmor, [][]byte{signed}},
		"armored with spaces":    {append(append([]byte("\n\n  "), armored...), "\n\n"...), InputArmor, [][]byte{signed}},
		"svi zip":                {svi, InputSVIZip, [][]byte{signed}},
		"bx zip, one machine":    {bx1, InputBXZip, [][]byte{a}},
		"bx zip, redundant pair": {bx2, InputBXZip, [][]byte{a, b}},
	}
}

// TestReadInputForms: every form a user holds gives back exactly the signed bytes that were
// issued, and says which form it was, recognised by content alone.
func TestReadInputForms(t *testing.T) {
	for name, tc := range inputForms(t) {
		t.Run(name, func(t *testing.T) {
			files, form, err := ReadInput(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if form != tc.form {
				t.Errorf("form %v, want %v", form, tc.form)
			}
			if diff := cmp.Diff(tc.files, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			for _, f := range files {
				if _, err := Open(f, testKeyring(t)); err != nil {
					t.Errorf("a returned file does not open: %v", err)
				}
			}
		})
	}
}

// TestReadInputOwnsResult: the files returned are the caller's; writing to them does not write to
// the input, and the reverse.
func TestReadInputOwnsResult(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	in := bytes.Clone(signed)
	files, _, err := ReadInput(in)
	if err != nil {
		t.Fatal(err)
	}
	in[len(in)-1] ^= 1
	if !bytes.Equal(files[0], signed) {
		t.Error("the result aliases the input")
	}
}

// TestReadInputRefuses: input in none of the forms is an *InputError naming what it looks like;
// a damaged container or armor block is the reader's *FormatError. Both match ErrMalformed and
// return nothing.
func TestReadInputRefuses(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	armored, _ := Armor(signed)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(armored)
	zw.Close()
	otherZip := rawZipOf(t, map[string][]byte{"readme.txt": []byte("hello"), "license.lic": signed})
	mixedZip := rawZipOf(t, map[string][]byte{"22-130320025726-607-TEMP-KEY-svi.lic": signed, "AA_DT2729220_out.log": []byte("x")})
	tar := make([]byte, 1024)
	copy(tar[257:], "ustar")
	keyPEM := []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		name string
		in   []byte
		saw  string // the InputError's Saw; "" when a reader's FormatError is expected
		why  string
	}{
		{"nil", nil, "empty input", "nothing was handed over"},
		{"blank", []byte(" \n\t\r\n"), "white space only", "an empty text file"},
		{"pdf", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "a PDF", "the order confirmation instead of the license"},
		{"gzip", gz.Bytes(), "a gzip file", "a compressed license: unpack first"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "a PNG image", "a screenshot of the license page"},
		{"utf16", []byte("\xff\xfe-\x00-\x00"), "UTF-16 text (save it as UTF-8 or ASCII)", "an editor saved the armor as UTF-16"},
		{"tar", tar, "a tar archive", "a tar of the download"},
		{"plain text", []byte("please find the license attached\n"), "text that is not an lmskit armor block", "the mail body"},
		{"json", []byte(`{"serial":"X"}`), "JSON or other text that is not an lmskit armor block", "an issue spec, not a license"},
		{"html", []byte("<!doctype html><html>"), "XML or HTML text that is not an lmskit armor block", "the download page saved instead of the file"},
		{"bare base64", []byte(strings.Repeat("0oRYSqMBJwN4I2FwcGxpY2F0aW9u", 3)), "base64 text without the armor lines", "the armor's body without its lines"},
		{"private key", keyPEM, `a PEM block of type "PRIVATE KEY"`, "a key, whose content must never be echoed"},
		{"binary", []byte{0x00, 0x01, 0xfe, 0xff, 0x80}, "binary data that is not a license file", "random bytes"},
		{"other zip", otherZip, "a zip archive that is neither an <HWKC>-svi.zip nor an AA_<productkey>_out.zip", "a zip of something else"},
		{"mixed zip", mixedZip, "a zip archive that is neither an <HWKC>-svi.zip nor an AA_<productkey>_out.zip", "entries of both containers"},
		{"empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "an empty zip archive", "a zip with no entries"},
		{"truncated signed", signed[:len(signed)-10], "", "COSE recognised, the reader refuses it"},
		{"damaged armor", bytes.Replace(armored, []byte("permanent\n\n"), []byte("permanent\n\n*"), 1), "", "the armor reader refuses it"},
		{"truncated zip", func() []byte { _, z, _ := SVIZip(signed); return z[:len(z)-30] }(), "", "the zip reader refuses it"},
		{"over the cap", make([]byte, MaxZipSize+1), "4194305 bytes", "refused before any parsing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, form, err := ReadInput(tc.in)
			if err == nil || files != nil || form != 0 {
				t.Fatalf("ReadInput = %d files, form %v, err %v; want an error and nothing else (%s)", len(files), form, err, tc.why)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%v does not match ErrMalformed", err)
			}
			var ie *InputError
			if tc.saw == "" {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("%v (%T) is not a *FormatError (%s)", err, err, tc.why)
				}
				return
			}
			if !errors.As(err, &ie) || ie.Saw != tc.saw {
				t.Errorf("err %v; want an *InputError that saw %q (%s)", err, tc.saw, tc.why)
			}
			if bytes.Contains([]byte(err.Error()), []byte("MC4CAQ")) {
				t.Error("the error echoes the input")
			}
		})
	}
}

func rawZipOf(t testing.TB, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPeekFile: PeekFile reads what Open reads, without a key, and refuses what Open refuses as
// malformed.
func TestPeekFile(t *testing.T) {
	f := sv8100File(t)
	signed := mustSign(t, f)
	got, err := PeekFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	f.Version = FormatVersion
	if diff := cmp.Diff(f, got, fileCmp...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := PeekFile(signed[:20]); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated: %v", err)
	}
}

// FuzzReadInput: whatever the input, ReadInput returns files and a form, or an error matching
// ErrMalformed and nothing; every file it returns is a well-formed signed file, and a file in the
// form of its own armor reads back to itself.
func FuzzReadInput(f *testing.F) {
	for _, tc := range inputForms(f) {
		f.Add(tc.data)
	}
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("-----BEGIN LMSKIT LICENSE-----\n\n-----END LMSKIT LICENSE-----\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, form, err := ReadInput(data)
		if err != nil {
			if files != nil || form != 0 {
				t.Fatal("something came back with an error")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if len(files) == 0 || len(files) > 2 || form < InputSigned || form > InputBXZip {
			t.Fatalf("%d files, form %v", len(files), form)
		}
		for _, s := range files {
			if _, err := PeekFile(s); err != nil {
				t.Fatalf("a returned file does not read: %v", err)
			}
			arm, err := Armor(s)
			if err != nil {
				t.Fatal(err)
			}
			again, form, err := ReadInput(arm)
			if err != nil || form != InputArmor || !bytes.Equal(again[0], s) {
				t.Fatalf("armor of a returned file reads back as %v %v", form, err)
			}
		}
	})
}
