package license

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const day = 24 * time.Hour

// TestGuide_Trial_SixtyDaysToTheSecond: the SV8100 trial runs 60 days from 90-55-01 set to 1
// ("Trial period SV8100"): at 59d23h59m59s it still grants, at 60d only unlicensed features remain.
func TestGuide_Trial_SixtyDaysToTheSecond(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	if got := r.dev.Grant().Mode(); got != ModeUnlicensed {
		t.Fatalf("new device mode = %v, want unlicensed", got)
	}
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	g := r.dev.Grant()
	if g.Mode() != ModeTrial || g.Count("BE107585") != 32 || !g.Has("BE107576") {
		t.Fatalf("after StartTrial: %v", g)
	}
	end := devT0.Add(60 * day)
	if !g.Until().Equal(end) || !g.TrialEnd().Equal(end) {
		t.Errorf("Until = %v, TrialEnd = %v, want %v", g.Until(), g.TrialEnd(), end)
	}

	clock.Set(devT0.Add(30 * day))
	if err := r.dev.StartTrial(); err != nil {
		t.Errorf("StartTrial while running = %v, want nil", err)
	}
	if got := r.dev.Grant().TrialEnd(); !got.Equal(end) {
		t.Errorf("StartTrial again moved the end to %v", got)
	}

	clock.Set(end.Add(-time.Second))
	r.tick()
	if g := r.dev.Grant(); g.Mode() != ModeTrial || g.Count("BE107585") != 32 {
		t.Errorf("at 59d23h59m59s: %v, want trial", g)
	}
	clock.Set(end)
	r.tick()
	if g := r.dev.Grant(); g.Mode() != ModeUnlicensed || g.Count("BE107585") != 0 || g.Has("BE107576") || !g.Until().IsZero() {
		t.Errorf("at 60d: %v, want unlicensed with nothing due", g)
	}
	if diff := cmp.Diff([]string{"trial started", "expired"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if err := r.dev.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("StartTrial after the end = %v, want ErrTrialUsed", err)
	}
	r.reopen()
	if err := r.dev.StartTrial(); !errors.Is(err, ErrTrialUsed) || r.dev.Grant().Mode() != ModeUnlicensed {
		t.Errorf("after restart StartTrial = %v, mode %v; want ErrTrialUsed, unlicensed", err, r.dev.Grant().Mode())
	}
}

func TestDeviceTrialSurvivesRestart(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, DirState(t.TempDir()), clock)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	clock.Add(10 * day)
	r.reopen()
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	g := r.dev.Grant()
	if g.Mode() != ModeTrial || !g.TrialEnd().Equal(devT0.Add(60*day)) {
		t.Errorf("after restart: %v, trial end %v; want trial ending %v", g, g.TrialEnd(), devT0.Add(60*day))
	}
}

func TestDeviceNoTrial(t *testing.T) {
	clock := newDevClock(devT0)
	r := &devRig{t: t, clock: clock, state: &memState{}, host: devHostA, kr: devKeyring(t)}
	cfg := r.config()
	cfg.TrialSet = Set{}
	d, err := OpenDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.StartTrial(); !errors.Is(err, ErrNoTrial) {
		t.Errorf("StartTrial without a trial set = %v, want ErrNoTrial", err)
	}
}

// TestGuide_Demo_ExpiresMidRun: a demo file opens its lines until NotAfter, then the grant falls
// back to what the permanent file gives ("Demo license and Service license").
func TestGuide_Demo_ExpiresMidRun(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	r.install(permanentFile(t, "PERM-1", devT0.Add(-day)))
	demoEnd := devT0.Add(14 * day)
	r.install(devFile(t, devHostA, "DEMO-1", Demo, devT0.Add(-time.Hour), demoEnd,
		Line{Part: "BE107585", Kind: Count, Qty: 100}, Line{Part: "BE114234", Kind: Flag, Qty: 1}))
	g := r.dev.Grant()
	if g.Mode() != ModeDemo || g.Count("BE107585") != 120 || !g.Has("BE114234") || !g.Until().Equal(demoEnd) {
		t.Fatalf("with demo: %v", g)
	}
	clock.Set(demoEnd.Add(-time.Second))
	r.tick()
	if got := r.dev.Grant().Count("BE107585"); got != 120 {
		t.Errorf("a second before the end: count %d, want 120", got)
	}
	clock.Set(demoEnd)
	r.tick()
	g = r.dev.Grant()
	if g.Mode() != ModeLicensed || g.Count("BE107585") != 20 || g.Has("BE114234") || g.Count("BE107582") != 5 {
		t.Errorf("after the demo: %v, want the permanent file alone", g)
	}
	if diff := cmp.Diff([]string{"installed PERM-1", "installed DEMO-1", "expired DEMO-1"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// An expired demo file cannot be installed again, and stays listed as expired.
	if err := r.dev.Install(devFile(t, devHostA, "DEMO-0", Demo, devT0.Add(-time.Hour), demoEnd)); !errors.Is(err, ErrExpired) {
		t.Errorf("installing an expired demo file = %v, want ErrExpired", err)
	}
	var statuses []string
	for _, f := range r.dev.Files() {
		statuses = append(statuses, f.File.Serial+" "+f.Status.String())
	}
	if diff := cmp.Diff([]string{"PERM-1 active", "DEMO-1 expired"}, statuses); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}

// TestGuide_Demo_BackToBack ("Demo license and Service license"): the location's two demo licenses, the second issued to start when the
// first ends; the device goes from one to the other without a gap.
func TestGuide_Demo_BackToBack(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	t1, t2 := devT0.Add(30*day), devT0.Add(60*day)
	r.install(devFile(t, devHostA, "DEMO-A", Demo, devT0, t1))
	r.install(devFile(t, devHostA, "DEMO-B", Demo, t1, t2))
	if g := r.dev.Grant(); g.Mode() != ModeDemo || g.Count("BE107585") != 8 || !g.Until().Equal(t1) {
		t.Fatalf("first demo: %v (until %v)", g, g.Until())
	}
	clock.Set(t1.Add(-time.Second))
	r.tick()
	clock.Set(t1)
	r.tick()
	if g := r.dev.Grant(); g.Mode() != ModeDemo || g.Count("BE107585") != 8 || !g.Until().Equal(t2) {
		t.Errorf("second demo: %v (until %v)", g, g.Until())
	}
	clock.Set(t2)
	r.tick()
	if g := r.dev.Grant(); g.Mode() != ModeUnlicensed {
		t.Errorf("after both: %v", g)
	}
	want := []string{"installed DEMO-A", "installed DEMO-B", "expired DEMO-A", "started DEMO-B", "expired DEMO-B"}
	if diff := cmp.Diff(want, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestDeviceModes: which mode names the grant when files of several terms are active.
func TestDeviceModes(t *testing.T) {
	end := devT0.Add(10 * day)
	tests := []struct {
		name  string
		why   string
		files [][]byte
		trial bool
		want  Mode
	}{
		{"nothing", "a new device", nil, false, ModeUnlicensed},
		{"trial", "the trial alone", nil, true, ModeTrial},
		{"permanent beats trial", "the trial is for running without a license file", [][]byte{permanentFile(t, "P", devT0)}, true, ModeLicensed},
		{"temporary", "a fixed-term file", [][]byte{devFile(t, devHostA, "T", Temporary, devT0, end)}, false, ModeTemporary},
		{"service over temporary", "service files are named before temporary ones", [][]byte{devFile(t, devHostA, "T", Temporary, devT0, end), devFile(t, devHostA, "S", Service, devT0, end)}, false, ModeService},
		{"demo over all", "demo files are named first", [][]byte{permanentFile(t, "P", devT0), devFile(t, devHostA, "S", Service, devT0, end), devFile(t, devHostA, "D", Demo, devT0, end)}, false, ModeDemo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, &memState{}, newDevClock(devT0))
			if tt.trial {
				if err := r.dev.StartTrial(); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tt.files {
				r.install(f)
			}
			if got := r.dev.Grant().Mode(); got != tt.want {
				t.Errorf("mode = %v, want %v (%s)", got, tt.want, tt.why)
			}
		})
	}
}

// TestDeviceRegeneratedFileReplaces: LMS regenerates a location's file from all its activated lines;
// installing it beside the old one must not double the seats, and a new line adds.
func TestDeviceRegeneratedFileReplaces(t *testing.T) {
	r := newRig(t, &memState{}, newDevClock(devT0))
	r.install(permanentFile(t, "LMS-1", devT0.Add(-2*day)))
	regen := devFile(t, devHostA, "LMS-2", Permanent, devT0.Add(-day), time.Time{},
		Line{SKC: "HV19BBXB9E9CVDK52N0W", Part: "BE107573", Kind: Count, Qty: 1},
		Line{SKC: "AA19MXCH1TN7A43ML65B", Part: "BE107582", Kind: Count, Qty: 5},
		Line{SKC: "1V191JTEBJGFV57KNTE9", Part: "BE107576", Kind: Flag, Qty: 1},
		Line{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Kind: Count, Qty: 20},
		Line{SKC: "KD19AAAAAAAAAAAAAAAA", Part: "BE107585", Kind: Count, Qty: 20},
	)
	r.install(regen)
	if got := r.dev.Grant().Count("BE107585"); got != 40 {
		t.Errorf("after the regenerated file: BE107585 = %d, want 40 (20 once, plus the new 20)", got)
	}
	if got := r.dev.Grant().Count("BE107582"); got != 5 {
		t.Errorf("BE107582 = %d, want 5 (same software key code in both files)", got)
	}
}

// TestDeviceInstallRefused: every refused file leaves the device exactly as it was: the same grant
// snapshot, the same files, the same saved bytes.
func TestDeviceInstallRefused(t *testing.T) {
	clock := newDevClock(devT0)
	st := &memState{}
	r := newRig(t, st, clock)
	r.install(permanentFile(t, "PERM-1", devT0))
	tampered := permanentFile(t, "PERM-2", devT0)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		why    string
		signed []byte
		setup  func(r *devRig)
		want   error
	}{
		{"bad signature", "a file changed after signing", tampered, nil, nil},
		{"other host", "a file for another SV8100", devFile(t, devHostB, "B-1", Permanent, devT0, time.Time{}), nil, ErrHostMismatch},
		{"expired", "a demo file past its end", devFile(t, devHostA, "D-OLD", Demo, devT0.Add(-20*day), devT0.Add(-day)), nil, ErrExpired},
		{"two kinds", "a part already stacked as a count arrives as a flag", devFile(t, devHostA, "K", Permanent, devT0, time.Time{}, Line{Part: "BE107585", Kind: Flag, Qty: 1}), nil, ErrInvalid},
		{"older same serial", "a file cannot be replaced by an older issue of itself", permanentFile(t, "PERM-1", devT0.Add(-day)), nil, nil},
		{"fixed-term during rollback", "the clock is set back; a demo file would run on borrowed time", devFile(t, devHostA, "D-NEW", Demo, devT0.Add(-40*day), devT0.Add(10*day)), func(r *devRig) {
			clock.Set(devT0.Add(-day))
		}, ErrRollback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Set(devT0)
			if tt.setup != nil {
				tt.setup(r)
			}
			before, files, saved := r.dev.Grant(), r.dev.Files(), st.clone()
			err := r.dev.Install(tt.signed)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Install = %v, want an error matching %v (%s)", err, tt.want, tt.why)
			}
			if r.dev.Grant() != before {
				t.Error("the grant snapshot changed")
			}
			if diff := cmp.Diff(len(files), len(r.dev.Files())); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if string(st.state) != string(saved.state) || string(st.marker) != string(saved.marker) {
				t.Error("the saved state changed")
			}
		})
	}
}

// TestDeviceRevokedKey: a key revoked after a file was installed: Install refuses its files, and at
// the next start-up the installed file is dropped and reported.
func TestDeviceRevokedKey(t *testing.T) {
	st := &memState{}
	r := newRig(t, st, newDevClock(devT0))
	r.install(permanentFile(t, "PERM-1", devT0))
	r.kr = devKeyring(t)
	r.kr.Revoke(devSigner.Public().KeyID().Bytes())
	r.reopen()
	if diff := cmp.Diff([]string{"removed"}, r.take()); diff != "" {
		t.Errorf("changes at start-up (-want +got):\n%s", diff)
	}
	if g := r.dev.Grant(); g.Mode() != ModeUnlicensed || len(r.dev.Files()) != 0 {
		t.Errorf("after start-up: %v with %d files", g, len(r.dev.Files()))
	}
	if err := r.dev.Install(permanentFile(t, "PERM-2", devT0)); err == nil {
		t.Error("Install accepted a file signed with a revoked key")
	}
}

func TestDeviceInstallSameBytesTwice(t *testing.T) {
	st := &memState{}
	r := newRig(t, st, newDevClock(devT0))
	f := permanentFile(t, "PERM-1", devT0)
	r.install(f)
	saves, g := st.saves, r.dev.Grant()
	r.install(f)
	if st.saves != saves || r.dev.Grant() != g {
		t.Error("installing the same bytes again saved or published something")
	}
}

func TestDeviceRemove(t *testing.T) {
	r := newRig(t, &memState{}, newDevClock(devT0))
	r.install(permanentFile(t, "PERM-1", devT0))
	if err := r.dev.Remove("PERM-1"); err != nil {
		t.Fatal(err)
	}
	if g := r.dev.Grant(); g.Mode() != ModeUnlicensed || g.Count("BE107585") != 0 {
		t.Errorf("after Remove: %v", g)
	}
	if err := r.dev.Remove("PERM-1"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("second Remove = %v, want ErrNotInstalled", err)
	}
	r.reopen()
	if n := len(r.dev.Files()); n != 0 {
		t.Errorf("after restart %d files, want 0", n)
	}
	if diff := cmp.Diff([]string(nil), r.take()); diff != "" {
		t.Errorf("changes at restart (-want +got):\n%s", diff)
	}
}

func TestOpenDeviceRefusesConfig(t *testing.T) {
	good := func() DeviceConfig {
		return DeviceConfig{Host: devHostA, Keyring: devKeyring(t), State: &memState{}, Secret: devSecret}
	}
	tests := []struct {
		name string
		edit func(*DeviceConfig)
	}{
		{"no host", func(c *DeviceConfig) { c.Host = Host{} }},
		{"no keyring", func(c *DeviceConfig) { c.Keyring = nil }},
		{"no state", func(c *DeviceConfig) { c.State = nil }},
		{"no secret", func(c *DeviceConfig) { c.Secret = nil }},
		{"short secret", func(c *DeviceConfig) { c.Secret = []byte("short") }},
		{"negative trial", func(c *DeviceConfig) { c.TrialLength = -time.Second }},
		{"negative tolerance", func(c *DeviceConfig) { c.RollbackTolerance = -time.Second }},
	}
	if _, err := OpenDevice(good()); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.edit(&c)
			if d, err := OpenDevice(c); err == nil || d != nil {
				t.Errorf("OpenDevice = %v, %v; want an error", d, err)
			}
		})
	}
}

func TestOpenDeviceStateReadError(t *testing.T) {
	boom := errors.New("flash read error")
	st := &failingLoad{err: boom}
	_, err := OpenDevice(DeviceConfig{Host: devHostA, Keyring: devKeyring(t), State: st, Secret: devSecret})
	if !errors.Is(err, boom) {
		t.Errorf("OpenDevice with an unreadable state = %v, want the read error", err)
	}
}

type failingLoad struct {
	memState
	err error
}

func (f *failingLoad) Load() ([]byte, error) { return nil, f.err }

func TestGrantNil(t *testing.T) {
	var g *Grant
	if g.Count("x") != 0 || g.Version("x") != 0 || g.Has("x") || g.Mode() != ModeUnlicensed || !g.Until().IsZero() || g.Rollback() || g.String() != "unlicensed" {
		t.Error("a nil grant must grant nothing")
	}
}

// TestDeviceHostAttributeChanged: a file bound to an IP address (SV9500 Standard Server style) on a
// device whose IP then changes: the state still opens (it is sealed to system and code only), the
// file is kept but grants nothing, and it grants again when the address is back.
func TestDeviceHostAttributeChanged(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	r.host.IP = netip.MustParseAddr("123.0.0.105")
	r.reopen()
	bound := r.host
	r.install(devFile(t, bound, "IP-BOUND", Permanent, devT0, time.Time{}))
	if got := r.dev.Grant().Count("BE107585"); got != 8 {
		t.Fatalf("bound file: count %d, want 8", got)
	}
	r.host.IP = netip.MustParseAddr("123.0.0.106")
	r.reopen()
	if diff := cmp.Diff([]string(nil), r.take()); diff != "" {
		t.Errorf("changes at start-up (-want +got):\n%s", diff)
	}
	files := r.dev.Files()
	if len(files) != 1 || files[0].Status != FileHostMismatch || r.dev.Grant().Count("BE107585") != 0 {
		t.Errorf("after the IP changed: %v, files %v", r.dev.Grant(), files)
	}
	r.host = bound
	r.reopen()
	if got := r.dev.Grant().Count("BE107585"); got != 8 {
		t.Errorf("IP back: count %d, want 8", got)
	}
}

// TestDeviceInstallLimits: the refusals for too many files and for a state over MaxStateSize change
// nothing, and say why.
func TestDeviceInstallLimits(t *testing.T) {
	t.Run("files", func(t *testing.T) {
		st := &memState{}
		r := newRig(t, st, newDevClock(devT0))
		for i := range MaxInstalledFiles {
			r.install(devFile(t, devHostA, fmt.Sprintf("F-%02d", i), Permanent, devT0, time.Time{}))
		}
		if got := r.dev.Grant().Count("BE107585"); got != 8*MaxInstalledFiles {
			t.Fatalf("with %d files: count %d", MaxInstalledFiles, got)
		}
		before, saved := r.dev.Grant(), st.clone()
		err := r.dev.Install(devFile(t, devHostA, "ONE-MORE", Permanent, devT0, time.Time{}))
		if err == nil || !strings.Contains(err.Error(), "remove one first") {
			t.Fatalf("Install of file %d = %v, want a refusal", MaxInstalledFiles+1, err)
		}
		if r.dev.Grant() != before || len(r.dev.Files()) != MaxInstalledFiles || !bytes.Equal(st.state, saved.state) {
			t.Error("the refused install changed the device")
		}
		// Replacing an installed serial is not one more file.
		r.install(devFile(t, devHostA, "F-00", Permanent, devT0.Add(time.Second), time.Time{}, Line{Part: "BE107585", Kind: Count, Qty: 9}))
		if got := r.dev.Grant().Count("BE107585"); got != 8*MaxInstalledFiles+1 {
			t.Errorf("after replacing F-00: count %d", got)
		}
	})
	t.Run("state size", func(t *testing.T) {
		st := &memState{}
		r := newRig(t, st, newDevClock(devT0))
		// Files just under MaxFileSize: 2,900 lines of about 350 bytes each.
		big := func(serial string) []byte {
			lines := make([]Line, 2900)
			for i := range lines {
				lines[i] = Line{SKC: fmt.Sprintf("%-24s%08d", serial, i), Part: fmt.Sprintf("%-24s%08d", serial, i), Kind: Flag, Qty: 1,
					Name: strings.Repeat("N", MaxNameLen), PO: strings.Repeat("P", MaxOrderLen), SO: strings.Repeat("S", MaxOrderLen)}
			}
			return devFile(t, devHostA, serial, Permanent, devT0, time.Time{}, lines...)
		}
		first := big("BIG-00")
		if len(first) > MaxFileSize || len(first) < MaxFileSize*9/10 {
			t.Fatalf("test file of %d bytes; want just under %d", len(first), MaxFileSize)
		}
		r.install(first)
		n := 1
		var err error
		for ; n < MaxInstalledFiles; n++ {
			before, saved := r.dev.Grant(), st.clone()
			if err = r.dev.Install(big(fmt.Sprintf("BIG-%02d", n))); err != nil {
				if r.dev.Grant() != before || len(r.dev.Files()) != n || !bytes.Equal(st.state, saved.state) {
					t.Error("the refused install changed the device")
				}
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), "over") || n != MaxStateSize/len(first) {
			t.Errorf("install of file %d = %v; want a refusal at file %d for the state size", n+1, err, MaxStateSize/len(first)+1)
		}
	})
}

// TestDeviceConfigValues: the zero values DeviceConfig documents (nil Clock is time.Now, zero
// TrialLength is 60 days, zero RollbackTolerance is ten minutes) and values other than them.
func TestDeviceConfigValues(t *testing.T) {
	t.Run("nil clock", func(t *testing.T) {
		cfg := DeviceConfig{Host: devHostA, Keyring: devKeyring(t), State: &memState{}, Secret: devSecret, TrialSet: devTrial}
		before := time.Now().Add(-time.Second).Truncate(time.Second)
		d, err := OpenDevice(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.StartTrial(); err != nil {
			t.Fatal(err)
		}
		after := time.Now().Add(time.Second)
		end := d.Grant().TrialEnd()
		if end.Before(before.Add(DefaultTrialLength)) || end.After(after.Add(DefaultTrialLength)) {
			t.Errorf("with a nil Clock the trial ends %v, want 60 days after a time between %v and %v", end, before, after)
		}
	})
	tests := []struct {
		name      string
		trial     time.Duration
		tol       time.Duration
		wantTrial time.Duration
		wantTol   time.Duration
		why       string
	}{
		{"zero values", 0, 0, 60 * day, 10 * time.Minute, "the documented defaults"},
		{"set values", 7 * day, time.Hour, 7 * day, time.Hour, "a firmware's own trial length and tolerance are used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newDevClock(devT0)
			r := &devRig{t: t, clock: clock, state: &memState{}, host: devHostA, kr: devKeyring(t)}
			cfg := r.config()
			cfg.TrialLength, cfg.RollbackTolerance = tt.trial, tt.tol
			d, err := OpenDevice(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.StartTrial(); err != nil {
				t.Fatal(err)
			}
			clock.Set(devT0.Add(day))
			d.Tick()
			clock.Set(devT0.Add(day - tt.wantTol))
			d.Tick()
			atTol := d.Grant().Rollback()
			clock.Set(devT0.Add(day - tt.wantTol - time.Second))
			d.Tick()
			beyond := d.Grant().Rollback()
			got := []any{d.Grant().TrialEnd().Sub(devT0), atTol, beyond}
			if diff := cmp.Diff([]any{tt.wantTrial, false, true}, got); diff != "" {
				t.Errorf("%s: trial length, rollback at the tolerance, beyond it (-want +got):\n%s", tt.why, diff)
			}
		})
	}
}
