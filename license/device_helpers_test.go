package license

import (
	"bytes"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// Fixed test material for the device tests: real keys and secrets never live in source.
var (
	devSigner = func() *signing.PrivateKey {
		k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{0x5d}, signing.SeedSize))
		if err != nil {
			panic(err)
		}
		return k
	}()
	devSecret = []byte("lmskit device test secret - not a real one")
	devT0     = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	devHostA  = Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	devHostB  = Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "190400324412")}
	devTrial  = func() Set {
		s, err := Stack(
			Line{Part: "BE107573", Kind: Count, Qty: 2},  // 512 ports
			Line{Part: "BE107585", Kind: Count, Qty: 32}, // IP terminals
			Line{Part: "BE107576", Kind: Flag, Qty: 1},   // SMDR
		)
		if err != nil {
			panic(err)
		}
		return s
	}()
)

func devKeyring(t testing.TB) *signing.Keyring {
	t.Helper()
	kr := signing.NewKeyring()
	if err := kr.Add(devSigner.Public().KeyID().Bytes(), devSigner.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	return kr
}

// devClock is a fake clock that tests move by hand.
type devClock struct {
	mu sync.Mutex
	t  time.Time
}

func newDevClock(t time.Time) *devClock { return &devClock{t: t} }

func (c *devClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *devClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *devClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// memState is a State in memory; fail, when set, makes the next saves fail.
type memState struct {
	mu            sync.Mutex
	state, marker []byte
	failState     error
	failMarker    error
	saves         int
	markerSaves   int
}

func (m *memState) Load() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == nil {
		return nil, fs.ErrNotExist
	}
	return bytes.Clone(m.state), nil
}

func (m *memState) Save(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failState != nil {
		return m.failState
	}
	m.saves++
	m.state = bytes.Clone(b)
	return nil
}

func (m *memState) LoadMarker() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marker == nil {
		return nil, fs.ErrNotExist
	}
	return bytes.Clone(m.marker), nil
}

func (m *memState) SaveMarker(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failMarker != nil {
		return m.failMarker
	}
	m.markerSaves++
	m.marker = bytes.Clone(b)
	return nil
}

func (m *memState) clone() *memState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &memState{state: bytes.Clone(m.state), marker: bytes.Clone(m.marker)}
}

// devRig is a device under test with its clock, store and the changes it reported.
type devRig struct {
	t       testing.TB
	clock   *devClock
	state   State
	host    Host
	kr      *signing.Keyring
	dev     *Device
	changes []Change
	mu      sync.Mutex
}

func newRig(t testing.TB, st State, clock *devClock) *devRig {
	t.Helper()
	r := &devRig{t: t, clock: clock, state: st, host: devHostA, kr: devKeyring(t)}
	r.reopen()
	return r
}

func (r *devRig) config() DeviceConfig {
	return DeviceConfig{
		Host:     r.host,
		Keyring:  r.kr,
		State:    r.state,
		Secret:   devSecret,
		Clock:    r.clock.Now,
		TrialSet: devTrial,
		OnChange: func(c Change) {
			r.mu.Lock()
			r.changes = append(r.changes, c)
			r.mu.Unlock()
		},
	}
}

// reopen opens the device again on the same state, as after a restart.
func (r *devRig) reopen() {
	r.t.Helper()
	r.mu.Lock()
	r.changes = nil
	r.mu.Unlock()
	d, err := OpenDevice(r.config())
	if err != nil {
		r.t.Fatalf("OpenDevice: %v", err)
	}
	r.dev = d
}

// take returns the changes reported since the last call, as "reason serial" strings.
func (r *devRig) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		s := c.Reason.String()
		if c.Serial != "" {
			s += " " + c.Serial
		}
		out = append(out, s)
	}
	r.changes = nil
	return out
}

func (r *devRig) tick() {
	r.t.Helper()
	if err := r.dev.Tick(); err != nil {
		r.t.Fatalf("Tick: %v", err)
	}
}

func (r *devRig) install(signed []byte) {
	r.t.Helper()
	if err := r.dev.Install(signed); err != nil {
		r.t.Fatalf("Install: %v", err)
	}
}

// devFile signs a file for host with the given term and window; lines default to one Count line.
func devFile(t testing.TB, host Host, serial string, term Term, issued, notAfter time.Time, lines ...Line) []byte {
	t.Helper()
	if len(lines) == 0 {
		lines = []Line{{Part: "BE107585", Kind: Count, Qty: 8}}
	}
	f := &File{Serial: serial, Issued: issued, Term: term, Host: host, Lines: lines}
	if term.FixedTerm() {
		f.NotAfter = notAfter
		if term == Temporary {
			f.Entitlement = "L"
		}
	}
	b, err := f.Sign(devSigner)
	if err != nil {
		t.Fatalf("signing %s: %v", serial, err)
	}
	return b
}

// permanentFile is the guide's SV8100 lines, permanent, for host A.
func permanentFile(t testing.TB, serial string, issued time.Time) []byte {
	return devFile(t, devHostA, serial, Permanent, issued, time.Time{},
		Line{SKC: "HV19BBXB9E9CVDK52N0W", Part: "BE107573", Kind: Count, Qty: 1},
		Line{SKC: "AA19MXCH1TN7A43ML65B", Part: "BE107582", Kind: Count, Qty: 5},
		Line{SKC: "1V191JTEBJGFV57KNTE9", Part: "BE107576", Kind: Flag, Qty: 1},
		Line{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Kind: Count, Qty: 20},
	)
}

// linesFile returns a file of n Count lines for parts P0000..P(n-1).
func linesFile(t testing.TB, serial string, term Term, issued, notAfter time.Time, n int) []byte {
	lines := make([]Line, n)
	for i := range lines {
		lines[i] = Line{SKC: fmt.Sprintf("SKC%s%04d", serial, i), Part: fmt.Sprintf("P%04d", i), Kind: Count, Qty: i + 1, Name: "LK-TEST-PART"}
	}
	return devFile(t, devHostA, serial, term, issued, notAfter, lines...)
}
