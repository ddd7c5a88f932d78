package lmc

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// Test keys come from fixed seeds; real keys never live in source.
func testKey(t testing.TB, b byte) *signing.PrivateKey {
	t.Helper()
	k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{b}, signing.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyringOf(t testing.TB, keys ...*signing.PrivateKey) *signing.Keyring {
	t.Helper()
	kr := signing.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), signing.Window{}); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// Codes from the guide.
var (
	sv8500A = keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	sv8500B = keycode.MustParse(keycode.SV8500, "22E76E11299790CBCA0724859BI4")
)

func lmcOf(t testing.TB, c keycode.Code) keycode.Code {
	t.Helper()
	l, err := lmcCodeOf(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fileSpec describes a test license file.
type fileSpec struct {
	serial   string
	code     keycode.Code // the LMC code it is bound to
	issued   time.Time
	term     license.Term
	notAfter time.Time
	lines    []license.Line
}

func count(part string, n int) license.Line {
	return license.Line{Part: part, Kind: license.Count, Qty: n}
}

func version(part string, v int) license.Line {
	return license.Line{Part: part, Kind: license.Version, Qty: v}
}

func flag(part string) license.Line {
	return license.Line{Part: part, Kind: license.Flag, Qty: 1}
}

func issue(t testing.TB, key *signing.PrivateKey, s fileSpec) []byte {
	t.Helper()
	f := &license.File{
		Serial:   s.serial,
		Issued:   s.issued,
		Term:     s.term,
		NotAfter: s.notAfter,
		Host:     license.Host{System: keycode.LMC, Code: s.code},
		Lines:    s.lines,
	}
	if f.Issued.IsZero() {
		f.Issued = t0.Add(-24 * time.Hour)
	}
	if f.Term == 0 {
		f.Term = license.Permanent
	}
	if f.Term != license.Permanent && f.Entitlement == "" {
		f.Entitlement = "L"
	}
	b, err := f.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeSource is a Source the test steers: it gives code, or err.
type fakeSource struct {
	mu    sync.Mutex
	code  keycode.Code
	err   error
	calls int
}

func (s *fakeSource) HostCode(context.Context) (keycode.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.code, s.err
}

func (s *fakeSource) set(code keycode.Code, err error) {
	s.mu.Lock()
	s.code, s.err = code, err
	s.mu.Unlock()
}

// testLMC opens an LMC in dir with a fake source reporting code and the test vendor key trusted.
func testLMC(t testing.TB, dir string, src Source, clk *fakeClock) *LMC {
	t.Helper()
	l, err := Open(context.Background(), Config{
		Dir:      dir,
		Source:   src,
		Keyring:  keyringOf(t, testKey(t, 1)),
		Clock:    clk.Now,
		LeaseTTL: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustInstall(t testing.TB, l *LMC, signed []byte) {
	t.Helper()
	if _, err := l.Install(signed); err != nil {
		t.Fatal(err)
	}
}
