package license

import (
	"bytes"
	"testing"

	"github.com/lmskit/lmskit/signing"
)

// Fuzz targets, seeded from the golden files and the hostile payload table. CI runs the seeds;
// run one by hand with, for example, go test -run '^$' -fuzz '^FuzzOpen$' -fuzztime 20s.

func seedSigned(f *testing.F) [][]byte {
	out := [][]byte{mustSign(f, sv8100File(f)), mustSign(f, fullFile(f)), mustSign(f, bigFile(f, 3))}
	for _, tc := range payloadCases() {
		msg, err := signing.Sign1(testKey, tc.in, &signing.Sign1Options{ContentType: ContentType})
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, msg)
	}
	for _, g := range loadGolden(f) {
		out = append(out, g.signed)
	}
	return out
}

func FuzzOpen(f *testing.F) {
	for _, s := range seedSigned(f) {
		f.Add(s)
	}
	kr := testKeyring(f)
	f.Fuzz(func(t *testing.T, signed []byte) {
		file, err := Open(signed, kr)
		if err != nil {
			if file != nil {
				t.Fatal("a file came back with an error")
			}
			return
		}
		// What opened re-encodes to exactly the payload that was signed.
		p, err := peekPayload(signed)
		if err != nil {
			t.Fatalf("opened but the payload cannot be read again: %v", err)
		}
		again, err := file.MarshalPayload()
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("re-encoding differs: %v", err)
		}
		_ = file.Check(file.Host, file.Issued)
	})
}

func FuzzUnmarshalPayload(f *testing.F) {
	for _, tc := range payloadCases() {
		f.Add(tc.in)
	}
	for _, fl := range []*File{sv8100File(f), fullFile(f)} {
		p, _ := fl.MarshalPayload()
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		file, err := UnmarshalPayload(payload)
		if err != nil {
			if file != nil {
				t.Fatal("a file came back with an error")
			}
			return
		}
		again, err := file.MarshalPayload()
		if err != nil {
			t.Fatalf("accepted payload does not re-encode: %v", err)
		}
		if !bytes.Equal(again, payload) {
			t.Fatalf("parse-then-marshal changed the bytes:\n in  %x\n out %x", payload, again)
		}
		if _, err := Stack(file.Lines...); err != nil {
			t.Fatalf("accepted lines do not stack: %v", err)
		}
	})
}

func FuzzDearmor(f *testing.F) {
	for _, s := range seedSigned(f)[:3] {
		a, err := Armor(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(a)
	}
	f.Add([]byte("-----BEGIN LMSKIT LICENSE-----\n\n-----END LMSKIT LICENSE-----\n"))
	f.Add([]byte("-----BEGIN LMSKIT LICENSE-----\nSystem: x\n\nAAAA\n-----END LMSKIT LICENSE-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		signed, err := Dearmor(in)
		if err != nil {
			if signed != nil {
				t.Fatal("bytes came back with an error")
			}
			return
		}
		if len(signed) > MaxFileSize {
			t.Fatal("over the cap")
		}
		// If it holds a license payload, armoring it again and reading that back is the identity.
		if a, err := Armor(signed); err == nil {
			back, err := Dearmor(a)
			if err != nil || !bytes.Equal(back, signed) {
				t.Fatalf("re-armor round trip: %v", err)
			}
		}
	})
}

func zipSeeds(f *testing.F) [][]byte {
	s := seedSigned(f)
	_, svi, err := SVIZip(s[0])
	if err != nil {
		f.Fatal(err)
	}
	fl := sv8100File(f)
	fl.Host.ProductKey = mustPK(f, "DT2729220")
	a := mustSign(f, fl)
	fl.Host.ProductKey = mustPK(f, "V1D50EAF7FF016S3")
	b := mustSign(f, fl)
	_, bx1, err := BXZip(a, nil)
	if err != nil {
		f.Fatal(err)
	}
	_, bx2, err := BXZip(b, a)
	if err != nil {
		f.Fatal(err)
	}
	perm, temp := sv8100File(f), sv8100File(f)
	perm.Serial, perm.Supersedes = "L.4", "L"
	temp.Serial, temp.Term, temp.NotAfter, temp.Entitlement = "L:S:20300101000000.5", Temporary, temp.Issued.AddDate(1, 0, 0), "S"
	_, multi, err := SVIZipFiles(mustSign(f, perm), mustSign(f, temp))
	if err != nil {
		f.Fatal(err)
	}
	return [][]byte{svi, bx1, bx2, multi, []byte("PK\x05\x06" + string(make([]byte, 18)))}
}

func FuzzReadSVIZipFiles(f *testing.F) {
	for _, z := range zipSeeds(f) {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := ReadSVIZipFiles(data)
		if err != nil {
			if files != nil {
				t.Fatal("files came back with an error")
			}
			return
		}
		if len(files) == 0 || len(files) > MaxZipEntries {
			t.Fatalf("%d files", len(files))
		}
		// What was read packs again into a container that reads back the same files.
		_, again, err := SVIZipFiles(files...)
		if err != nil {
			t.Fatalf("accepted files do not pack again: %v", err)
		}
		back, err := ReadSVIZipFiles(again)
		if err != nil || len(back) != len(files) {
			t.Fatalf("re-packed container: %d files, %v", len(back), err)
		}
	})
}

func FuzzParseEntitlementType(f *testing.F) {
	for _, t := range EntitlementTypes() {
		f.Add(string(t))
	}
	for _, s := range []string{"", "t", "TT", "Q", "\xff", "T\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseEntitlementType(s)
		if err != nil {
			if typ != "" {
				t.Fatal("a type came back with an error")
			}
			return
		}
		if string(typ) != s || !typ.IsValid() || typ.Name() == "" || typ.FixedTerm() == (typ == TypeCommerce) {
			t.Fatalf("%q: %q %v %q", s, typ, typ.IsValid(), typ.Name())
		}
		b, err := typ.MarshalText()
		var back EntitlementType
		if err != nil || back.UnmarshalText(b) != nil || back != typ {
			t.Fatalf("text round trip of %q", typ)
		}
	})
}

func FuzzReadSVIZip(f *testing.F) {
	for _, z := range zipSeeds(f) {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		signed, err := ReadSVIZip(data)
		if err != nil {
			if signed != nil {
				t.Fatal("bytes came back with an error")
			}
			return
		}
		if len(signed) > MaxFileSize {
			t.Fatal("over the cap")
		}
	})
}

func FuzzReadBXZip(f *testing.F) {
	for _, z := range zipSeeds(f) {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBXZip(data)
		if err != nil {
			if b != nil {
				t.Fatal("a bundle came back with an error")
			}
			return
		}
		if len(b.Licenses) < 1 || len(b.Licenses) > 2 {
			t.Fatalf("%d licenses", len(b.Licenses))
		}
	})
}

func FuzzParseActivationCode(f *testing.F) {
	f.Add(ActivationCode([]byte("seed")))
	f.Add("3407-7473-3325-4604")
	f.Add("3407747333254604")
	f.Add(" 1234 5678 9012 3456 ")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseActivationCode(s)
		if err != nil {
			if a.IsValid() {
				t.Fatal("a valid code came back with an error")
			}
			return
		}
		b, err := ParseActivationCode(a.String())
		if err != nil || b != a {
			t.Fatalf("canonical form does not parse back: %v", err)
		}
	})
}
