package license

import (
	"bytes"
	"errors"
	"io/fs"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// The tests of "supersedes" (format version 2) keep their own small rig, so they do not depend on
// the other device tests' helpers.

var (
	supKey = func() *signing.PrivateKey {
		k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{0x6e}, signing.SeedSize))
		if err != nil {
			panic(err)
		}
		return k
	}()
	supT0   = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	supHost = Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
)

// supState is a State in memory.
type supState struct {
	mu            sync.Mutex
	state, marker []byte
}

func (s *supState) Load() ([]byte, error)       { return s.get(&s.state) }
func (s *supState) LoadMarker() ([]byte, error) { return s.get(&s.marker) }
func (s *supState) Save(b []byte) error         { return s.put(&s.state, b) }
func (s *supState) SaveMarker(b []byte) error   { return s.put(&s.marker, b) }

func (s *supState) get(p *[]byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *p == nil {
		return nil, fs.ErrNotExist
	}
	return bytes.Clone(*p), nil
}

func (s *supState) put(p *[]byte, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	*p = bytes.Clone(b)
	return nil
}

type supRig struct {
	t       *testing.T
	state   *supState
	now     time.Time
	dev     *Device
	changes []string
}

func newSupRig(t *testing.T) *supRig {
	r := &supRig{t: t, state: &supState{}, now: supT0}
	r.open()
	return r
}

func (r *supRig) open() {
	r.t.Helper()
	kr := signing.NewKeyring()
	if err := kr.Add(supKey.Public().KeyID().Bytes(), supKey.Public(), signing.Window{}); err != nil {
		r.t.Fatal(err)
	}
	d, err := OpenDevice(DeviceConfig{Host: supHost, Keyring: kr, State: r.state, Secret: []byte("supersede test secret, not real"),
		Clock: func() time.Time { return r.now }, OnChange: func(c Change) {
			s := c.Reason.String()
			if c.Serial != "" {
				s += " " + c.Serial
			}
			r.changes = append(r.changes, s)
		}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.dev = d
}

func (r *supRig) take() []string {
	c := r.changes
	r.changes = nil
	return c
}

// file signs a file of the location series "L" (or another series) with lines of the given
// software key codes, each one BE107585 seat; supersedes names the series it supersedes, if any.
func supFile(t *testing.T, serial, supersedes string, term Term, issued time.Time, skcs ...string) []byte {
	t.Helper()
	f := &File{Serial: serial, Issued: issued, Term: term, Host: supHost, Supersedes: supersedes}
	if term.FixedTerm() {
		f.NotAfter, f.Entitlement = issued.AddDate(1, 0, 0), "S"
		if term == Demo {
			f.Entitlement = ""
		}
	}
	for _, s := range skcs {
		f.Lines = append(f.Lines, Line{SKC: s, Part: "BE107585", Kind: Count, Qty: 1})
	}
	b, err := f.Sign(supKey)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDoc002_RevocationReachesDevice: the attack a revocation must defeat. A device counts each
// software key code once across its files, so a line left out of a regenerated version 1 file
// still grants through the older file; a version 2 file that supersedes its series ends that, for
// good: the older files are removed, refused afterwards (also once the newer file is removed, and
// after a restart), and files of other kinds are untouched.
func TestDoc002_RevocationReachesDevice(t *testing.T) {
	r := newSupRig(t)
	seats := func() int { return r.dev.Grant().Count("BE107585") }
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	l1 := supFile(t, "L.1", "", Permanent, supT0, "SKCA", "SKCB")
	ok(r.dev.Install(l1))
	demo := supFile(t, "L.2", "", Demo, supT0, "DEMO1")
	ok(r.dev.Install(demo))
	term := supFile(t, "L:S:20270504100000.3", "", Temporary, supT0, "TERM1")
	ok(r.dev.Install(term))
	if seats() != 4 {
		t.Fatalf("%d seats", seats())
	}
	// The attack wins against a version 1 regeneration: B was revoked, yet L.1 still grants it.
	ok(r.dev.Install(supFile(t, "L.4", "", Permanent, supT0.Add(time.Hour), "SKCA")))
	if seats() != 4 {
		t.Fatalf("version 1 regeneration: %d seats (the revoked line is expected to survive in L.1)", seats())
	}
	r.take()
	// The superseding file ends it.
	r.now = supT0.Add(2 * time.Hour)
	ok(r.dev.Install(supFile(t, "L.5", "L", Permanent, r.now, "SKCA")))
	if seats() != 3 {
		t.Fatalf("after the superseding file: %d seats, want 3 (A, the demo, the fixed-term line)", seats())
	}
	if d := cmp.Diff([]string{"installed L.5", "superseded L.1", "superseded L.4"}, r.take()); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
	var serials []string
	for _, f := range r.dev.Files() {
		serials = append(serials, f.File.Serial)
	}
	if d := cmp.Diff([]string{"L.2", "L:S:20270504100000.3", "L.5"}, serials); d != "" {
		t.Fatalf("installed (-want +got):\n%s", d)
	}
	// The superseded files are refused, now, after the newer file is removed, and after a restart.
	for _, step := range []string{"now", "after removal", "after restart"} {
		switch step {
		case "after removal":
			ok(r.dev.Remove("L.5"))
		case "after restart":
			r.open()
		}
		for _, old := range [][]byte{l1, supFile(t, "L.3", "", Permanent, supT0, "SKCA", "SKCB")} {
			if err := r.dev.Install(old); !errors.Is(err, ErrSuperseded) {
				t.Fatalf("%s: an older file of the series: %v", step, err)
			}
		}
		if step != "now" && seats() != 2 {
			t.Fatalf("%s: %d seats", step, seats())
		}
	}
	// A later file of the series installs, and another series' files are not concerned.
	ok(r.dev.Install(supFile(t, "L.6", "", Permanent, supT0.Add(3*time.Hour), "SKCA", "SKCC")))
	ok(r.dev.Install(supFile(t, "M.1", "", Permanent, supT0, "SKCM")))
}

// TestDoc002_SupersedeSameKindOnly: a series is superseded within one term: a permanent file does
// not end a demo file of the same location, and a fixed-term file supersedes only its own type
// and end; a fixed-term file that lost every line ends what its series granted.
func TestDoc002_SupersedeSameKindOnly(t *testing.T) {
	r := newSupRig(t)
	for _, f := range [][]byte{
		supFile(t, "L.1", "", Demo, supT0, "DEMO1"),
		supFile(t, "L:S:20270504100000.2", "", Temporary, supT0, "T1", "T2"),
		supFile(t, "L:S:20280504100000.3", "", Temporary, supT0, "U1"),
	} {
		if err := r.dev.Install(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.dev.Install(supFile(t, "L.4", "L", Permanent, supT0, "P1")); err != nil {
		t.Fatal(err)
	}
	if n := len(r.dev.Files()); n != 4 {
		t.Fatalf("the permanent file superseded files of other kinds: %d files", n)
	}
	// Revoke both lines of the first fixed-term series: an empty superseding file.
	if err := r.dev.Install(supFile(t, "L:S:20270504100000.5", "L:S:20270504100000", Temporary, supT0)); err != nil {
		t.Fatal(err)
	}
	if got := r.dev.Grant().Count("BE107585"); got != 3 {
		t.Fatalf("%d seats, want the demo, the other series and the permanent line", got)
	}
	// A superseding file that is itself older than the newest is refused.
	if err := r.dev.Install(supFile(t, "L:S:20270504100000.4", "L:S:20270504100000", Temporary, supT0, "T1")); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("an older superseding file: %v", err)
	}
}

// TestSupersede_Memory: the device remembers at most maxSupersessions series; those whose
// superseding file has ended are forgotten first, and with none ended the install is refused.
func TestSupersede_Memory(t *testing.T) {
	r := newSupRig(t)
	for i := range maxSupersessions {
		s := "T" + strconv.Itoa(i)
		f := supFile(t, s+".2", s, Temporary, supT0, "X"+s)
		if err := r.dev.Install(f); err != nil {
			t.Fatalf("series %d: %v", i, err)
		}
		if err := r.dev.Remove(s + ".2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.dev.Install(supFile(t, "N.2", "N", Permanent, supT0, "N1")); err == nil {
		t.Fatal("a 65th series was remembered")
	}
	r.now = supT0.AddDate(1, 0, 1) // every remembered series has ended
	if err := r.dev.Install(supFile(t, "N.2", "N", Permanent, supT0, "N1")); err != nil {
		t.Fatalf("after the ended series: %v", err)
	}
	r.open()
	if err := r.dev.Install(supFile(t, "N.1", "", Permanent, supT0, "N0")); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("the memory was not kept: %v", err)
	}
}

// TestSupersedes_Format: serials and versions of superseding files, as Sign checks them and Open
// reads them back.
func TestSupersedes_Format(t *testing.T) {
	signed := supFile(t, "d10d0af9-d78a-446b-932e-7cd38e8c637b.12", "d10d0af9-d78a-446b-932e-7cd38e8c637b", Permanent, supT0, "A")
	kr := signing.NewKeyring()
	if err := kr.Add(supKey.Public().KeyID().Bytes(), supKey.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(signed, kr)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != FormatVersionSupersedes || f.Supersedes != "d10d0af9-d78a-446b-932e-7cd38e8c637b" {
		t.Fatalf("read back %+v", f)
	}
	again, err := f.Sign(supKey)
	if err != nil || !bytes.Equal(again, signed) {
		t.Fatalf("re-signing gives other bytes: %v", err)
	}
	plain := supFile(t, "L.1", "", Permanent, supT0, "A")
	if g, _ := Open(plain, kr); g.Version != FormatVersion {
		t.Fatalf("a file that supersedes nothing is version %d", g.Version)
	}
	for _, tc := range []struct{ serial, series string }{
		{"L.1", "M"}, {"L.0", "L"}, {"L.01", "L"}, {"L", "L"}, {"L.", "L"}, {"L.1x", "L"}, {"LX.1", "L"}, {"L.1234567890123456789", "L"},
	} {
		g := &File{Serial: tc.serial, Supersedes: tc.series, Issued: supT0, Term: Permanent, Host: supHost}
		if _, err := g.Sign(supKey); !errors.Is(err, ErrInvalid) {
			t.Errorf("serial %q of series %q: %v", tc.serial, tc.series, err)
		}
	}
}
