package license

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// Fixed test keys: real keys never live in source.
var (
	testKey      = mustKey(bytes.Repeat([]byte{0x42}, signing.SeedSize))
	otherKey     = mustKey(bytes.Repeat([]byte{0x17}, signing.SeedSize))
	testIssued   = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	testNotAfter = testIssued.Add(30 * 24 * time.Hour)
)

func mustKey(seed []byte) *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed(seed)
	if err != nil {
		panic(err)
	}
	return k
}

func testKeyring(t testing.TB, keys ...*signing.PrivateKey) *signing.Keyring {
	t.Helper()
	kr := signing.NewKeyring()
	if len(keys) == 0 {
		keys = []*signing.PrivateKey{testKey}
	}
	for _, k := range keys {
		if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), signing.Window{}); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

func mustCode(t testing.TB, sys keycode.System, s string) keycode.Code {
	t.Helper()
	c, err := keycode.Parse(sys, s)
	if err != nil {
		t.Fatalf("keycode.Parse(%q, %q): %v", sys, s, err)
	}
	return c
}

// guideLines are the four activated SV8100 lines of the guide ("IV. Activate Licenses and Download
// License file"), with the kind each part stacks as.
func guideLines() []Line {
	act := time.Date(2012, 12, 28, 0, 0, 0, 0, time.UTC)
	return []Line{
		{SKC: "HV19BBXB9E9CVDK52N0W", Part: "BE107573", Name: "LK-SYS-256 PORT LIC", Kind: Count, Qty: 1, PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics", Activated: act},
		{SKC: "AA19MXCH1TN7A43ML65B", Part: "BE107582", Name: "LK-SYS-IP-TRUNK1-LIC", Kind: Count, Qty: 5, PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics", Activated: act},
		{SKC: "1V191JTEBJGFV57KNTE9", Part: "BE107576", Name: "LK-SYS-SMDR-LIC SMDR License", Kind: Flag, Qty: 1, PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics", Activated: act},
		{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", Kind: Count, Qty: 20, PO: "PO123456 -SV8100", SO: "SO 1280677 - SV8100 lics", Activated: act},
	}
}

// sv8100File is a permanent file for the guide's SV8100 location.
func sv8100File(t testing.TB) *File {
	t.Helper()
	return &File{
		Serial: "LMS-0001",
		Issued: testIssued,
		Term:   Permanent,
		Host:   Host{System: keycode.SV8100, Code: mustCode(t, keycode.SV8100, "191000343919")},
		Lines:  guideLines(),
	}
}

// fullFile sets every field of a file and of its host: an SV9500 appliance pair bound to an IP,
// a MAC, a computer name, a domain and a product key (no real location has them all; the format
// must carry each).
func fullFile(t testing.TB) *File {
	t.Helper()
	return &File{
		Version:     FormatVersion,
		Serial:      "LMS-2026-000042",
		Issued:      testIssued,
		Term:        Temporary,
		NotAfter:    testNotAfter,
		Entitlement: "C",
		Host: Host{
			System:       keycode.SV9500,
			Code:         mustCode(t, keycode.SV9500, "3565A9C3084267EF2E44A4736DI2"),
			Secondary:    mustCode(t, keycode.SV9500, "3565ACE34C8C5745F64708D363FK"),
			IP:           netip.MustParseAddr("123.0.0.105"),
			MAC:          MAC{0x6C, 0xE4, 0xDA, 0x01, 0x37, 0x8C},
			ComputerName: "hvpc030pbx.devlnec.local",
			Domain:       "example.com",
			ProductKey:   mustPK(t, "DT2729220"),
		},
		Lines: append(guideLines(), Line{Part: "BE114263", Kind: Version, Qty: 6}),
	}
}

// bigFile is a file of n count lines, as a large location has.
func bigFile(t testing.TB, n int) *File {
	t.Helper()
	f := sv8100File(t)
	f.Lines = nil
	act := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		f.Lines = append(f.Lines, Line{
			SKC:       "HV19BBXB9E9CVDK5" + string(rune('A'+i%26)) + string(rune('A'+i/26%26)) + "0W",
			Part:      "BE1" + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "73",
			Name:      "LK-SYS-IP-TERMINAL-1-LIC",
			Kind:      Count,
			Qty:       20 + i,
			PO:        "PO123456 -SV8100",
			SO:        "SO 1280677 - SV8100 lics",
			Activated: act,
		})
	}
	return f
}

func mustSign(t testing.TB, f *File) []byte {
	t.Helper()
	b, err := f.Sign(testKey)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return b
}

// fileCmp compares Files: codes and addresses by ==, times by Equal.
var fileCmp = []cmp.Option{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b keycode.Code) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b keycode.ProductKey) bool { return a == b }),
}

func mustPK(t testing.TB, s string) keycode.ProductKey {
	t.Helper()
	pk, err := keycode.ParseProductKey(s)
	if err != nil {
		t.Fatalf("keycode.ParseProductKey(%q): %v", s, err)
	}
	return pk
}
