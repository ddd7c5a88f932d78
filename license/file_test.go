package license

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

func TestRoundTripEveryField(t *testing.T) {
	tests := []struct {
		name string
		file *File
		why  string
	}{
		{"guide sv8100 permanent", sv8100File(t), "the guide's four activated lines, permanent"},
		{"every field", fullFile(t), "every file, host and line field set at once"},
		{"demo no entitlement", func() *File {
			f := sv8100File(t)
			f.Term, f.NotAfter = Demo, testNotAfter
			return f
		}(), "demo files from LMS carry no entitlement type"},
		{"service", func() *File {
			f := sv8100File(t)
			f.Term, f.NotAfter, f.Entitlement = Service, testNotAfter, "D"
			return f
		}(), "service file with a fixed-term type"},
		{"permanent T", func() *File {
			f := sv8100File(t)
			f.Entitlement = "T"
			return f
		}(), "T is the permanent commercial type"},
		{"no lines", func() *File {
			f := sv8100File(t)
			f.Lines = []Line{}
			return f
		}(), "a file may hold no lines"},
		{"ipv6 host", func() *File {
			f := sv8100File(t)
			f.Host.IP = netip.MustParseAddr("2001:db8::1")
			return f
		}(), "IPv6 addresses take 16 bytes"},
		{"unicode names", func() *File {
			f := sv8100File(t)
			f.Lines[0].Name = "Lizenz für Sprachkanäle – 256"
			return f
		}(), "names are UTF-8 text"},
	}
	kr := testKeyring(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed := mustSign(t, tc.file)
			got, err := Open(signed, kr)
			if err != nil {
				t.Fatalf("Open: %v (%s)", err, tc.why)
			}
			want := *tc.file
			want.Version = FormatVersion
			if d := cmp.Diff(&want, got, fileCmp...); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			// Re-encoding an opened file gives the same bytes.
			again, err := got.Sign(testKey)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, signed) {
				t.Error("signing the opened file gave different bytes")
			}
			p1, _ := tc.file.MarshalPayload()
			p2, _ := got.MarshalPayload()
			if !bytes.Equal(p1, p2) {
				t.Error("payload differs after a round trip")
			}
			// Times come back in UTC.
			if got.Issued.Location() != time.UTC {
				t.Errorf("Issued in %v, want UTC", got.Issued.Location())
			}
		})
	}
}

func TestSignIsDeterministic(t *testing.T) {
	a, b := mustSign(t, fullFile(t)), mustSign(t, fullFile(t))
	if !bytes.Equal(a, b) {
		t.Error("two signatures of the same file differ")
	}
}

func TestSignDropsFractionsOfASecond(t *testing.T) {
	f := sv8100File(t)
	f.Issued = testIssued.Add(999 * time.Millisecond).In(time.FixedZone("CET", 3600))
	got, err := Open(mustSign(t, f), testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Issued.Equal(testIssued) || got.Issued.Location() != time.UTC {
		t.Errorf("Issued = %v, want %v", got.Issued, testIssued)
	}
}

func TestSignRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *File)
		field  string
		why    string
	}{
		{"version 2 without supersedes", func(f *File) { f.Version = 2 }, "supersedes", "version 2 is for files that supersede"},
		{"version 3", func(f *File) { f.Version = 3 }, "version", "only formats 1 and 2 exist"},
		{"version 1 superseding", func(f *File) { f.Version, f.Serial, f.Supersedes = 1, "L.2", "L" }, "supersedes", "version 1 has no supersedes"},
		{"supersedes another series", func(f *File) { f.Serial, f.Supersedes = "L.2", "M" }, "supersedes", "a file supersedes its own series only"},
		{"no serial", func(f *File) { f.Serial = "" }, "serial", "the device removes files by serial"},
		{"serial with space", func(f *File) { f.Serial = "LMS 1" }, "serial", "serials are a restricted alphabet"},
		{"serial too long", func(f *File) { f.Serial = strings.Repeat("a", 65) }, "serial", "serials are capped"},
		{"no issued", func(f *File) { f.Issued = time.Time{} }, "issued", "the key window is checked against it"},
		{"issued before 1970", func(f *File) { f.Issued = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, "issued", "times are unsigned seconds"},
		{"issued after 9999", func(f *File) { f.Issued = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "issued", "times are capped"},
		{"no term", func(f *File) { f.Term = 0 }, "term", "the zero term is invalid"},
		{"term 5", func(f *File) { f.Term = 5 }, "term", "only four terms exist"},
		{"permanent with end", func(f *File) { f.NotAfter = testNotAfter }, "not_after", "a permanent file never ends"},
		{"permanent fixed type", func(f *File) { f.Entitlement = "C" }, "entitlement", "C is fixed-term (the second vendor's entitlement types: C Pre-sales expansion, non-commercial fixed-term)"},
		{"unknown type", func(f *File) { f.Entitlement = "Q" }, "entitlement", "only the §8 codes exist"},
		{"lower-case type", func(f *File) { f.Entitlement = "t" }, "entitlement", "type codes are upper-case letters"},
		{"demo without end", func(f *File) { f.Term = Demo }, "not_after", "a demo ends"},
		{"demo ends at issue", func(f *File) { f.Term, f.NotAfter = Demo, testIssued }, "not_after", "an empty validity is a mistake"},
		{"demo ends within the second", func(f *File) { f.Term, f.NotAfter = Demo, testIssued.Add(time.Millisecond) }, "not_after", "times are kept to the second"},
		{"demo type T", func(f *File) { f.Term, f.NotAfter, f.Entitlement = Demo, testNotAfter, "T" }, "entitlement", "T is permanent"},
		{"temporary without type", func(f *File) { f.Term, f.NotAfter = Temporary, testNotAfter }, "entitlement", "a fixed-term entitlement names its type"},
		{"no system", func(f *File) { f.Host.System = "" }, "host.system", "a file names its system"},
		{"no code", func(f *File) { f.Host.Code = keycode.Code{} }, "host.code", "a file is bound to a code"},
		{"code of another system", func(f *File) { f.Host.System = keycode.SV9500 }, "host.code", "the code must be the system's"},
		{"secondary equals primary", func(f *File) { f.Host.Secondary = f.Host.Code }, "host.secondary", "a pair has two machines"},
		{"zoned ip", func(f *File) { f.Host.IP = netip.MustParseAddr("fe80::1%eth0") }, "host.ip", "zones are local names"},
		{"mapped ip", func(f *File) { f.Host.IP = netip.MustParseAddr("::ffff:10.0.0.1") }, "host.ip", "one address, one form"},
		{"upper-case computer name", func(f *File) { f.Host.ComputerName = "HVPC030PBX.devlnec.local" }, "host.computer_name", "the guide keeps it lower-case"},
		{"computer name trailing dot", func(f *File) { f.Host.ComputerName = "pbx.local." }, "host.computer_name", "one form per name"},
		{"domain with space", func(f *File) { f.Host.Domain = "example .com" }, "host.domain", "names are DNS-like"},
		{"domain double dot", func(f *File) { f.Host.Domain = "example..com" }, "host.domain", "empty labels are not names"},
		{"line zero qty", func(f *File) { f.Lines[2].Qty = 0 }, "qty", "every line grants something"},
		{"line two kinds", func(f *File) { f.Lines = append(f.Lines, Line{Part: "BE107573", Kind: Flag, Qty: 1}) }, "kind", "a file whose lines do not stack is useless"},
		{"line bad utf8", func(f *File) { f.Lines[0].Name = "a\xffb" }, "name", "text is UTF-8"},
		{"line name too long", func(f *File) { f.Lines[0].Name = strings.Repeat("n", MaxNameLen+1) }, "name", "names are capped"},
		{"line C1 control", func(f *File) { f.Lines[0].PO = "PO\u0085" }, "po", "C1 controls are control characters too"},
		{"line activated before 1970", func(f *File) { f.Lines[0].Activated = time.Unix(-1, 0) }, "activated", "times are unsigned seconds"},
		{"too many lines", func(f *File) {
			f.Lines = make([]Line, MaxLines+1)
			for i := range f.Lines {
				f.Lines[i] = Line{Part: "P", Kind: Count, Qty: 1}
			}
		}, "lines", "files are capped at 10,000 lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sv8100File(t)
			tc.change(f)
			signed, err := f.Sign(testKey)
			if err == nil {
				t.Fatalf("Sign accepted it; %s", tc.why)
			}
			if signed != nil {
				t.Error("Sign returned bytes with an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Field != tc.field {
				t.Errorf("error %v: want field %q", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "license: ") {
				t.Errorf("message %q does not start with the package name", err)
			}
		})
	}
}

func TestSignNilKey(t *testing.T) {
	if _, err := sv8100File(t).Sign(nil); err == nil {
		t.Error("Sign(nil) succeeded")
	}
	if _, err := Open(mustSign(t, sv8100File(t)), nil); err == nil {
		t.Error("Open with a nil keyring succeeded")
	}
}

func TestEntitlementTable(t *testing.T) {
	// The second vendor's "Entitlement Category" table: T commercial permanent; B D L M N P S X Y commercial fixed-term; A C F V
	// non-commercial fixed-term.
	for _, c := range strings.Split("T B D L M N P S X Y", " ") {
		if com, known := EntitlementCommercial(c); !known || !com {
			t.Errorf("%s: commercial=%v known=%v", c, com, known)
		}
	}
	for _, c := range strings.Split("A C F V", " ") {
		if com, known := EntitlementCommercial(c); !known || com {
			t.Errorf("%s: commercial=%v known=%v", c, com, known)
		}
	}
	for _, c := range []string{"", "E", "TT", "t"} {
		if _, known := EntitlementCommercial(c); known {
			t.Errorf("%q known", c)
		}
	}
	// Every fixed-term code fits every fixed-term term; none fits a permanent file.
	for _, c := range strings.Split("B D L M N P S X Y A C F V", " ") {
		for _, term := range []Term{Demo, Service, Temporary} {
			f := sv8100File(t)
			f.Term, f.NotAfter, f.Entitlement = term, testNotAfter, c
			if _, err := f.Sign(testKey); err != nil {
				t.Errorf("%s %v: %v", c, term, err)
			}
		}
		f := sv8100File(t)
		f.Entitlement = c
		if _, err := f.Sign(testKey); err == nil {
			t.Errorf("permanent file with fixed-term type %s signed", c)
		}
	}
}

func TestGuide_CheckBinding(t *testing.T) {
	f := fullFile(t)
	f.Term, f.NotAfter, f.Entitlement = Permanent, time.Time{}, ""
	kr := testKeyring(t)
	opened, err := Open(mustSign(t, f), kr)
	if err != nil {
		t.Fatal(err)
	}
	primary := opened.Host
	primary.Secondary = keycode.Code{}
	secondary := primary
	secondary.Code = f.Host.Secondary
	other := mustCode(t, keycode.SV9500, "35G00N470108E0S0A8832EF2d3Po")
	otherSecondary := mustCode(t, keycode.SV9500, "35G00N360103F0S0007490B6E0yQ")

	tests := []struct {
		name    string
		obs     func(h Host) Host
		wantErr error
		why     string
	}{
		{"primary", func(h Host) Host { return h }, nil, "the file is for this machine"},
		{"secondary", func(h Host) Host { h.Code = f.Host.Secondary; return h }, nil, "either machine of a pair opens the file"},
		{"other code", func(h Host) Host { h.Code = other; return h }, ErrHostMismatch, "a file for one HWKC does not open on another"},
		{"secondary of another", func(h Host) Host { h.Code = otherSecondary; return h }, ErrHostMismatch, "nor on another pair's secondary"},
		{"no code", func(h Host) Host { h.Code = keycode.Code{}; return h }, ErrHostMismatch, "a host that cannot read its code opens nothing"},
		{"other system", func(h Host) Host { h.System = keycode.SV8100; return h }, ErrHostMismatch, "system is part of the binding"},
		{"other ip", func(h Host) Host { h.IP = netip.MustParseAddr("123.0.0.106"); return h }, ErrHostMismatch, "the virtual code's IP moved"},
		{"no ip", func(h Host) Host { h.IP = netip.Addr{}; return h }, ErrHostMismatch, "a bound attribute must be observed"},
		{"mapped ip", func(h Host) Host { h.IP = netip.MustParseAddr("::ffff:123.0.0.105"); return h }, nil, "an observed IPv4-mapped address is its IPv4 form"},
		{"other mac", func(h Host) Host { h.MAC[5]++; return h }, ErrHostMismatch, "SV9500 SE is bound to its MAC"},
		{"computer name case", func(h Host) Host { h.ComputerName = "HVPC030PBX.DEVLNEC.LOCAL."; return h }, nil, "names compare without case and trailing dot"},
		{"other computer name", func(h Host) Host { h.ComputerName = "hvpc031pbx.devlnec.local"; return h }, ErrHostMismatch, "iS3000 dongle-less is bound to its FCN"},
		{"other domain", func(h Host) Host { h.Domain = "example.org"; return h }, ErrHostMismatch, "3C is bound to its domain"},
		{"other product key", func(h Host) Host { h.ProductKey = mustPK(t, "DT2729221"); return h }, ErrHostMismatch, "BX is bound to its product key"},
		{"no product key", func(h Host) Host { h.ProductKey = keycode.ProductKey{}; return h }, ErrHostMismatch, "a bound product key must be observed"},
	}
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := opened.Check(tc.obs(primary), far)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Check = %v, want %v; %s", err, tc.wantErr, tc.why)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "license: host mismatch") {
				t.Errorf("message %q", err)
			}
		})
	}
	// A file without optional bindings ignores what the host observes of them.
	plain, _ := Open(mustSign(t, sv8100File(t)), kr)
	h := plain.Host
	h.IP, h.MAC, h.ComputerName = netip.MustParseAddr("10.1.1.1"), MAC{1}, "anything"
	if err := plain.Check(h, far); err != nil {
		t.Errorf("unbound attributes must not matter: %v", err)
	}
}

func TestFixedTermBoundaries(t *testing.T) {
	f := sv8100File(t)
	f.Term, f.NotAfter, f.Entitlement = Demo, testNotAfter, ""
	opened, err := Open(mustSign(t, f), testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	host := opened.Host
	tests := []struct {
		name    string
		now     time.Time
		wantErr error
	}{
		{"one second before issue", testIssued.Add(-time.Second), ErrNotYetValid},
		{"one nanosecond before issue", testIssued.Add(-1), ErrNotYetValid},
		{"at issue", testIssued, nil},
		{"middle", testIssued.Add(15 * 24 * time.Hour), nil},
		{"one second before end", testNotAfter.Add(-time.Second), nil},
		{"at end", testNotAfter, ErrExpired},
		{"one second after end", testNotAfter.Add(time.Second), ErrExpired},
		{"at end in another zone", testNotAfter.In(time.FixedZone("X", -5*3600)), ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := opened.Check(host, tc.now)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Check at %v = %v, want %v", tc.now, err, tc.wantErr)
			}
		})
	}
	// Permanent files ignore the clock entirely.
	p, _ := Open(mustSign(t, sv8100File(t)), testKeyring(t))
	for _, now := range []time.Time{{}, time.Unix(0, 0), testIssued.Add(-time.Hour), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if err := p.Check(p.Host, now); err != nil {
			t.Errorf("permanent file at %v: %v", now, err)
		}
	}
	// The host is checked before the time.
	h := host
	h.Code = mustCode(t, keycode.SV8100, "190400324412")
	if err := opened.Check(h, testNotAfter); !errors.Is(err, ErrHostMismatch) {
		t.Errorf("wrong host and expired: %v, want ErrHostMismatch", err)
	}
}

func TestOpenKeyring(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	kid := testKey.Public().KeyID().Bytes()
	tests := []struct {
		name    string
		ring    func() *signing.Keyring
		wantErr error
		why     string
	}{
		{"trusted", func() *signing.Keyring { return testKeyring(t) }, nil, "the signer's key is trusted"},
		{"empty ring", signing.NewKeyring, signing.ErrUnknownKey, "nothing is trusted"},
		{"other key", func() *signing.Keyring { return testKeyring(t, otherKey) }, signing.ErrUnknownKey, "only the signer's kid counts"},
		{"other key under our kid", func() *signing.Keyring {
			kr := signing.NewKeyring()
			_ = kr.Add(kid, otherKey.Public(), signing.Window{})
			return kr
		}, signing.ErrSignature, "a kid does not make a key"},
		{"revoked", func() *signing.Keyring {
			kr := testKeyring(t)
			kr.Revoke(kid)
			return kr
		}, signing.ErrRevoked, "a revoked key opens nothing"},
		{"window contains issue", func() *signing.Keyring {
			kr := signing.NewKeyring()
			_ = kr.Add(kid, testKey.Public(), signing.Window{NotBefore: testIssued, NotAfter: testIssued.Add(time.Second)})
			return kr
		}, nil, "the window is about the signing time, which is Issued"},
		{"retired before issue", func() *signing.Keyring {
			kr := signing.NewKeyring()
			_ = kr.Add(kid, testKey.Public(), signing.Window{NotAfter: testIssued})
			return kr
		}, signing.ErrOutsideWindow, "a retired key signs no new files"},
		{"not yet valid at issue", func() *signing.Keyring {
			kr := signing.NewKeyring()
			_ = kr.Add(kid, testKey.Public(), signing.Window{NotBefore: testIssued.Add(time.Second)})
			return kr
		}, signing.ErrOutsideWindow, "a key is not trusted before its window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(signed, tc.ring())
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Open = %v, want %v; %s", err, tc.wantErr, tc.why)
			}
			if err != nil && f != nil {
				t.Error("Open returned a file with an error")
			}
			if err != nil && !strings.HasPrefix(err.Error(), "license: ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestOpenRequiresContentType(t *testing.T) {
	payload, err := sv8100File(t).MarshalPayload()
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"", "application/cbor"} {
		msg, err := signing.Sign1(testKey, payload, &signing.Sign1Options{ContentType: ct})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(msg, testKeyring(t)); !errors.Is(err, ErrMalformed) {
			t.Errorf("content type %q: Open = %v, want ErrMalformed", ct, err)
		}
	}
}

// TestEveryByteMatters changes every byte of a signed file in turn (and cuts it at every length):
// Open must refuse each, since the signature covers the protected header and the payload, and
// anything outside them is structure.
func TestEveryByteMatters(t *testing.T) {
	signed := mustSign(t, fullFile(t))
	kr := testKeyring(t)
	if _, err := Open(signed, kr); err != nil {
		t.Fatal(err)
	}
	mut := make([]byte, len(signed))
	for i := range signed {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			copy(mut, signed)
			mut[i] ^= x
			if f, err := Open(mut, kr); err == nil {
				t.Fatalf("byte %d ^ %#x accepted: %+v", i, x, f)
			}
		}
	}
	for n := range len(signed) {
		if _, err := Open(signed[:n], kr); err == nil {
			t.Fatalf("cut at %d accepted", n)
		}
	}
	if _, err := Open(append(append([]byte(nil), signed...), 0), kr); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestOpenSizeCap(t *testing.T) {
	_, err := Open(make([]byte, MaxFileSize+1), testKeyring(t))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Open of an oversize input = %v, want ErrMalformed", err)
	}
}

func TestMAC(t *testing.T) {
	want := MAC{0x6C, 0xE4, 0xDA, 0x01, 0x37, 0x8C}
	for _, s := range []string{"6CE4DA01378C", "6ce4da01378c", "6C:E4:DA:01:37:8C", "6c-e4-da-01-37-8c", " 6CE4DA01378C "} {
		m, err := ParseMAC(s)
		if err != nil || m != want {
			t.Errorf("ParseMAC(%q) = %v, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "6CE4DA01378", "6CE4DA01378CX", "6C:E4-DA:01:37:8C", "6C.E4.DA.01.37.8C", "GCE4DA01378C"} {
		if _, err := ParseMAC(s); err == nil {
			t.Errorf("ParseMAC(%q) accepted", s)
		}
	}
	if want.String() != "6C:E4:DA:01:37:8C" || (MAC{}).String() != "" {
		t.Errorf("String = %q", want.String())
	}
	var m MAC
	b, _ := want.MarshalText()
	if err := m.UnmarshalText(b); err != nil || m != want {
		t.Errorf("text round trip: %v %v", m, err)
	}
	if err := m.UnmarshalText(nil); err != nil || !m.IsZero() {
		t.Errorf("empty text: %v %v", m, err)
	}
}

func TestOverlaps(t *testing.T) {
	b := make([]byte, 10)
	if !overlaps(b[2:5], b[4:8]) || overlaps(b[2:4], b[4:8]) || overlaps(b, make([]byte, 10)) || overlaps(nil, b) {
		t.Error("overlaps is wrong")
	}
}

// TestOpenedFileOwnsItsText: changing the signed bytes after Open changes nothing in the File.
func TestOpenedFileOwnsItsText(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	f, err := Open(signed, testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	want := f.Lines[0].Name
	for i := range signed {
		signed[i] = 'X'
	}
	if f.Lines[0].Name != want || f.Serial != "LMS-0001" {
		t.Errorf("the File changed with the input: %q", f.Lines[0].Name)
	}
}

// TestOpenRequiresCanonicalEnvelope: the signature does not cover the COSE tag or the unprotected
// header, so Open accepts only the envelope Sign writes; otherwise one file could have many byte
// forms (and many activation codes).
func TestOpenRequiresCanonicalEnvelope(t *testing.T) {
	signed := mustSign(t, sv8100File(t))
	kr := testKeyring(t)
	untagged := signed[1:]
	if _, _, err := kr.Verify1(untagged, nil); err != nil {
		t.Fatalf("signing accepts the untagged form in general: %v", err)
	}
	if _, err := Open(untagged, kr); !errors.Is(err, signing.ErrMalformed) {
		t.Errorf("Open(untagged) = %v, want signing.ErrMalformed", err)
	}
}

// TestHostIsComparable: Host (and so a binding) compares with ==, which the device engine and
// callers rely on; a field that is not comparable would break this at compile time.
func TestHostIsComparable(t *testing.T) {
	a := fullFile(t).Host
	b := fullFile(t).Host
	if a != b {
		t.Error("two equal hosts differ")
	}
	b.MAC[0]++
	if a == b {
		t.Error("hosts with different MACs are equal")
	}
	seen := map[Host]bool{a: true}
	if !seen[fullFile(t).Host] {
		t.Error("a Host does not work as a map key")
	}
}
