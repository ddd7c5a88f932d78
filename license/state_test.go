package license

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/internal/atomicfile"
)

// goodDevice returns a store holding a device with a permanent file, a running demo file and a
// running trial, the clock ten days in, and what that device grants.
func goodDevice(t testing.TB) (*memState, *devClock, *Grant) {
	t.Helper()
	clock := newDevClock(devT0)
	st := &memState{}
	r := newRig(t, st, clock)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	r.install(permanentFile(t, "PERM", devT0))
	r.install(devFile(t, devHostA, "DEMO", Demo, devT0, devT0.Add(30*day), Line{Part: "DEMO-ALL", Kind: Flag, Qty: 1}))
	clock.Set(devT0.Add(10 * day))
	r.tick()
	return st, clock, r.dev.Grant()
}

// grantsNoMore fails when g grants more than the last good state could: what it granted, or the
// trial set where its trial was still running (removing every file would have shown the trial).
func grantsNoMore(t *testing.T, good, g *Grant) {
	t.Helper()
	trial := good.TrialEnd().After(g.At())
	for _, p := range append(good.Set().Parts(), g.Set().Parts()...) {
		maxCount, maxVersion, has := good.Count(p), good.Version(p), good.Has(p)
		if trial {
			maxCount, maxVersion, has = max(maxCount, devTrial.Count(p)), max(maxVersion, devTrial.Version(p)), has || devTrial.Has(p)
		}
		if g.Count(p) > maxCount || g.Version(p) > maxVersion || g.Has(p) && !has {
			t.Fatalf("part %s: grants more than the last good state could (%v vs %v)", p, g, good)
		}
	}
	if te := g.TrialEnd(); !good.TrialEnd().IsZero() && (te.IsZero() || te.After(good.TrialEnd())) {
		t.Fatalf("trial end %v, last good state had %v", te, good.TrialEnd())
	}
}

func openOn(t *testing.T, st State, clock *devClock, host Host) (*Device, []Change) {
	t.Helper()
	var changes []Change
	d, err := OpenDevice(DeviceConfig{Host: host, Keyring: devKeyring(t), State: st, Secret: devSecret,
		Clock: clock.Now, TrialSet: devTrial, OnChange: func(c Change) { changes = append(changes, c) }})
	if err != nil {
		t.Fatalf("OpenDevice: %v", err)
	}
	return d, changes
}

func hasStateInvalid(changes []Change) bool {
	for _, c := range changes {
		if c.Reason == ReasonStateInvalid && errors.Is(c.Err, ErrStateInvalid) {
			return true
		}
	}
	return false
}

// TestStateEditedByteByByte changes every byte of the sealed state (three ways each) and cuts it at
// every length: each is reported, and the device grants no more than the last good state did. The
// trial is not restarted: its start comes back from the marker.
func TestStateEditedByteByByte(t *testing.T) {
	st, clock, good := goodDevice(t)
	for i := range st.state {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := st.clone()
			bad.state[i] ^= x
			d, changes := openOn(t, bad, clock, devHostA)
			if !hasStateInvalid(changes) {
				t.Fatalf("byte %d ^ %#x: not reported", i, x)
			}
			grantsNoMore(t, good, d.Grant())
			if !d.Grant().TrialEnd().Equal(good.TrialEnd()) {
				t.Fatalf("byte %d ^ %#x: trial end %v, want %v from the marker", i, x, d.Grant().TrialEnd(), good.TrialEnd())
			}
			if err := d.StartTrial(); err != nil || !d.Grant().TrialEnd().Equal(good.TrialEnd()) {
				t.Fatalf("byte %d ^ %#x: StartTrial = %v restarted the trial", i, x, err)
			}
		}
	}
	for n := 0; n < len(st.state); n++ {
		bad := st.clone()
		bad.state = bad.state[:n]
		d, changes := openOn(t, bad, clock, devHostA)
		if !hasStateInvalid(changes) {
			t.Fatalf("cut at %d: not reported", n)
		}
		grantsNoMore(t, good, d.Grant())
	}
}

// TestMarkerEditedByteByByte: an edited marker beside a good state may hide an older copy of the
// state: it is reported, the permanent files grant, the trial and the demo file wait for a vendor
// time token (HoldUnconfirmed), and the trial does not start again. The marker is rewritten, and
// the hold stays across a restart without being reported again.
func TestMarkerEditedByteByByte(t *testing.T) {
	st, clock, good := goodDevice(t)
	for i := range st.marker {
		bad := st.clone()
		bad.marker[i] ^= 0x20
		d, changes := openOn(t, bad, clock, devHostA)
		if !hasStateInvalid(changes) {
			t.Fatalf("byte %d: not reported", i)
		}
		g := d.Grant()
		if g.Hold() != HoldUnconfirmed || g.Mode() != ModeLicensed || g.Has("DEMO-ALL") || g.Count("BE107585") != 20 || !g.TrialEnd().Equal(good.TrialEnd()) {
			t.Fatalf("byte %d: grant %v (hold %v), want the permanent file alone, held for a token", i, g, g.Hold())
		}
		if err := d.StartTrial(); err != nil || !d.Grant().TrialEnd().Equal(good.TrialEnd()) {
			t.Fatalf("byte %d: StartTrial = %v, trial end %v", i, err, d.Grant().TrialEnd())
		}
		d, changes = openOn(t, bad, clock, devHostA)
		if hasStateInvalid(changes) || d.Grant().Hold() != HoldUnconfirmed {
			t.Fatalf("byte %d: after a restart: changes %v, hold %v; want no report and the hold kept", i, changes, d.Grant().Hold())
		}
	}
}

// TestStateBothEdited: with neither record trustworthy nothing is granted and the trial counts as
// used.
func TestStateBothEdited(t *testing.T) {
	st, clock, _ := goodDevice(t)
	st.state[len(st.state)/2] ^= 1
	st.marker[len(st.marker)/2] ^= 1
	d, changes := openOn(t, st, clock, devHostA)
	if !hasStateInvalid(changes) {
		t.Fatal("not reported")
	}
	if g := d.Grant(); g.Mode() != ModeUnlicensed || len(g.Set().Parts()) != 0 {
		t.Errorf("grant %v, want nothing", g)
	}
	if err := d.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("StartTrial = %v, want ErrTrialUsed", err)
	}
	// And it stays so after a restart, now that the repaired state is saved.
	d, changes = openOn(t, st, clock, devHostA)
	if hasStateInvalid(changes) {
		t.Error("the repaired state was not saved")
	}
	if err := d.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("after restart StartTrial = %v, want ErrTrialUsed", err)
	}
}

// TestStateFromAnotherHost: state and marker copied from one SV8100 to another are rejected there:
// no files, and no fresh trial either.
func TestStateFromAnotherHost(t *testing.T) {
	st, clock, _ := goodDevice(t)
	d, changes := openOn(t, st.clone(), clock, devHostB)
	if !hasStateInvalid(changes) {
		t.Fatal("a transplanted state was not reported")
	}
	if g := d.Grant(); g.Mode() != ModeUnlicensed || len(d.Files()) != 0 {
		t.Errorf("grant %v with %d files, want nothing", g, len(d.Files()))
	}
	if err := d.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("StartTrial = %v, want ErrTrialUsed", err)
	}
	// The host it was made for still opens it.
	if _, changes := openOn(t, st, clock, devHostA); hasStateInvalid(changes) {
		t.Errorf("the state's own host rejected it: %v", changes)
	}
}

// TestStateSecretMatters: the same host with another firmware secret cannot read the state.
func TestStateSecretMatters(t *testing.T) {
	st, clock, _ := goodDevice(t)
	var changes []Change
	_, err := OpenDevice(DeviceConfig{Host: devHostA, Keyring: devKeyring(t), State: st, Secret: []byte("another firmware's secret, 16+ b"),
		Clock: clock.Now, TrialSet: devTrial, OnChange: func(c Change) { changes = append(changes, c) }})
	if err != nil || !hasStateInvalid(changes) {
		t.Errorf("OpenDevice with another secret: %v, changes %v; want the state rejected", err, changes)
	}
}

// TestDirStateDeletion walks through every row of DirState's table: what deleting, damaging or
// putting back its files achieves.
func TestDirStateDeletion(t *testing.T) {
	type outcome struct {
		Reported   bool
		Files      int
		TrialEnd   time.Time
		CanRestart bool // StartTrial starts a new trial
		Hold       Hold
	}
	trialEnd := devT0.Add(60 * day)
	void := time.Unix(0, 0).UTC()
	// dir is the state directory, marker the marker beside it, old a copy of both taken before the
	// trial started and the demo file was installed (old/state, old/marker).
	stateOf := func(dir string) string { return filepath.Join(dir, StateFileName) }
	damage := func(p string) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x40
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		why  string
		do   func(dir, marker, old string)
		want outcome
	}{
		{"nothing", "a plain restart", func(dir, marker, old string) {}, outcome{false, 2, trialEnd, false, HoldNone}},
		{"delete state", "files are lost; the trial and device time come back from the marker", func(dir, marker, old string) {
			os.Remove(stateOf(dir))
		}, outcome{true, 0, trialEnd, false, HoldNone}},
		{"delete the directory", "the marker is beside the directory, so wiping it is deleting the state", func(dir, marker, old string) {
			os.RemoveAll(dir)
		}, outcome{true, 0, trialEnd, false, HoldNone}},
		{"damage state", "as deleting it", func(dir, marker, old string) { damage(stateOf(dir)) }, outcome{true, 0, trialEnd, false, HoldNone}},
		{"restore older state", "an older copy of the state is told by the marker's generation: as deleting it", func(dir, marker, old string) {
			copyFile(t, filepath.Join(old, "state"), stateOf(dir))
		}, outcome{true, 0, trialEnd, false, HoldNone}},
		{"delete marker", "the state may be an older copy: files kept, time-limited grants wait for a token", func(dir, marker, old string) {
			os.Remove(marker)
		}, outcome{true, 2, trialEnd, false, HoldUnconfirmed}},
		{"damage marker", "as deleting it", func(dir, marker, old string) { damage(marker) }, outcome{true, 2, trialEnd, false, HoldUnconfirmed}},
		{"restore older marker", "the newer state wins and the marker is rewritten", func(dir, marker, old string) {
			copyFile(t, filepath.Join(old, "marker"), marker)
		}, outcome{true, 2, trialEnd, false, HoldNone}},
		{"restore older state, delete marker", "the copy's files, its trial never started counts as used, time-limited grants wait for a token", func(dir, marker, old string) {
			copyFile(t, filepath.Join(old, "state"), stateOf(dir))
			os.Remove(marker)
		}, outcome{true, 1, void, false, HoldUnconfirmed}},
		{"restore older state, damage marker", "as with the marker deleted", func(dir, marker, old string) {
			copyFile(t, filepath.Join(old, "state"), stateOf(dir))
			damage(marker)
		}, outcome{true, 1, void, false, HoldUnconfirmed}},
		{"damage state, delete marker", "nothing to trust: no files, the trial counts as used", func(dir, marker, old string) {
			damage(stateOf(dir))
			os.Remove(marker)
		}, outcome{true, 0, void, false, HoldNone}},
		{"damage both", "nothing to trust: no files, the trial counts as used", func(dir, marker, old string) {
			damage(stateOf(dir))
			damage(marker)
		}, outcome{true, 0, void, false, HoldNone}},
		{"delete directory and marker", "DirState cannot tell this from a new device: the trial can start again", func(dir, marker, old string) {
			os.RemoveAll(dir)
			os.Remove(marker)
		}, outcome{false, 0, time.Time{}, true, HoldNone}},
		{"restore older copies of both", "DirState cannot tell this from the older device: a trial started since then can start again", func(dir, marker, old string) {
			copyFile(t, filepath.Join(old, "state"), stateOf(dir))
			copyFile(t, filepath.Join(old, "marker"), marker)
		}, outcome{false, 1, time.Time{}, true, HoldNone}},
		{"restore older marker, delete state", "the older device without its files: a trial started since then can start again", func(dir, marker, old string) {
			os.Remove(stateOf(dir))
			copyFile(t, filepath.Join(old, "marker"), marker)
		}, outcome{true, 0, time.Time{}, true, HoldNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, oldDir := filepath.Join(t.TempDir(), "lic"), t.TempDir()
			marker := DirStateMarker(dir)
			clock := newDevClock(devT0)
			r := newRig(t, DirState(dir), clock)
			r.install(permanentFile(t, "PERM", devT0))
			if filepath.Dir(marker) == dir {
				t.Fatalf("marker %s is inside the state directory", marker)
			}
			copyFile(t, stateOf(dir), filepath.Join(oldDir, "state"))
			copyFile(t, marker, filepath.Join(oldDir, "marker"))
			if err := r.dev.StartTrial(); err != nil {
				t.Fatal(err)
			}
			r.install(devFile(t, devHostA, "DEMO", Demo, devT0, devT0.Add(30*day)))
			clock.Add(day)
			r.tick()

			tt.do(dir, marker, oldDir)
			d, changes := openOn(t, DirState(dir), clock, devHostA)
			got := outcome{Reported: hasStateInvalid(changes), Files: len(d.Files()), TrialEnd: d.Grant().TrialEnd(), Hold: d.Grant().Hold()}
			if err := d.StartTrial(); err == nil && !d.Grant().TrialEnd().Equal(got.TrialEnd) {
				got.CanRestart = true
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.why, diff)
			}
			if at := d.Grant().At(); at.Before(clock.Now().Add(-DefaultRollbackTolerance)) && tt.want.Hold == HoldNone && tt.want.Reported {
				t.Errorf("device time %v went back below the clock %v", at, clock.Now())
			}
		})
	}
}

func TestDirStateMarker(t *testing.T) {
	root := filepath.VolumeName(os.TempDir()) + string(filepath.Separator)
	tests := []struct{ name, dir, want, why string }{
		{"plain", filepath.FromSlash("/data/license"), filepath.FromSlash("/data/.license.trial.marker"), "beside the directory, hidden"},
		{"trailing slash", filepath.FromSlash("/data/license/"), filepath.FromSlash("/data/.license.trial.marker"), "the same directory however it is spelled"},
		{"dot dot", filepath.FromSlash("/data/x/../license"), filepath.FromSlash("/data/.license.trial.marker"), "cleaned first"},
		{"root", root, filepath.Join(root, MarkerFileName), "a root has no parent: inside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DirStateMarker(tt.dir); got != filepath.Clean(filepath.VolumeName(os.TempDir())+tt.want) && got != tt.want {
				t.Errorf("DirStateMarker(%q) = %q, want %q; %s", tt.dir, got, tt.want, tt.why)
			}
		})
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := DirStateMarker("lic"), filepath.Join(wd, ".lic."+MarkerFileName); got != want {
		t.Errorf("a relative directory: %q, want %q", got, want)
	}
}

// TestSplitStateWipe: with the marker on a second store, wiping the whole state directory loses the
// files but does not restart the trial.
func TestSplitStateWipe(t *testing.T) {
	data, nvram := filepath.Join(t.TempDir(), "data"), t.TempDir()
	clock := newDevClock(devT0)
	r := newRig(t, SplitState(DirState(data), DirState(nvram)), clock)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(DirStateMarker(nvram)); err != nil {
		t.Fatalf("the marker is not on the second store: %v", err)
	}
	if _, err := os.Stat(DirStateMarker(data)); err == nil {
		t.Fatal("a marker was written beside the data store")
	}
	clock.Add(20 * day)
	os.RemoveAll(data)
	r.reopen()
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	if got := r.dev.Grant().TrialEnd(); !got.Equal(devT0.Add(60 * day)) {
		t.Errorf("after wiping the data store the trial ends %v, want %v", got, devT0.Add(60*day))
	}
	if diff := cmp.Diff([]string{"state invalid"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var errFault = errors.New("injected write fault")

// TestDeviceWriteFaults fails each step of the atomic write of the state during Install, Remove and
// StartTrial. The call must fail and change nothing: not the grant, not the files, and (for every
// step before the rename) not what a restart finds.
func TestDeviceWriteFaults(t *testing.T) {
	ops := []struct {
		name string
		do   func(d *Device) error
	}{
		{"install", func(d *Device) error {
			return d.Install(devFile(t, devHostA, "NEW", Permanent, devT0, time.Time{}, Line{Part: "NEW-PART", Kind: Flag, Qty: 1}))
		}},
		{"remove", func(d *Device) error { return d.Remove("PERM") }},
		{"start trial", func(d *Device) error { return d.StartTrial() }},
	}
	// after is what the device grants once op succeeded.
	after := func(op string) Set {
		r := newRig(t, &memState{}, newDevClock(devT0))
		r.install(permanentFile(t, "PERM", devT0))
		for _, o := range ops {
			if o.name == op {
				if err := o.do(r.dev); err != nil {
					t.Fatal(err)
				}
			}
		}
		return r.dev.Grant().Set()
	}
	for _, op := range ops {
		for _, step := range atomicfile.Steps {
			t.Run(op.name+"/"+step.String(), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "lic")
				clock := newDevClock(devT0)
				st := newDirState(dir)
				r := newRig(t, st, clock)
				r.install(permanentFile(t, "PERM", devT0))
				before, files := r.dev.Grant(), r.dev.Files()
				st.w.Fault = func(s atomicfile.Step, path string) error {
					if s == step {
						return errFault
					}
					return nil
				}
				if err := op.do(r.dev); !errors.Is(err, errFault) {
					t.Fatalf("%s with a fault at %v = %v, want the fault", op.name, step, err)
				}
				if r.dev.Grant() != before || len(r.dev.Files()) != len(files) {
					t.Errorf("the device changed: %v", r.dev.Grant())
				}
				st.w.Fault = nil
				d, changes := openOn(t, DirState(dir), clock, devHostA)
				if hasStateInvalid(changes) {
					t.Errorf("after restart the state was reported invalid: %v", changes)
				}
				if step == atomicfile.StepSyncDir {
					// The rename happened before the directory flush failed: the new state may be
					// found after a restart (the call still failed: its durability is unknown).
					if !d.Grant().Set().Equal(before.Set()) && !d.Grant().Set().Equal(after(op.name)) {
						t.Errorf("after restart: %v, want the old or the new grant", d.Grant())
					}
				} else if !d.Grant().Set().Equal(before.Set()) || d.Grant().Mode() != before.Mode() {
					t.Errorf("after restart: %v (changes %v), want %v", d.Grant(), changes, before)
				}
				leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
				more, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*.tmp-*"))
				leftovers = append(leftovers, more...)
				if len(leftovers) != 0 {
					t.Errorf("temporary files left: %v", leftovers)
				}
			})
		}
	}
}

// TestDeviceCrashAtEachStep copies the state directory at the moment before each step of every write
// an Install makes (what a power cut then leaves) and opens a device on each copy: every copy must
// open without complaint and grant either what the device granted before the Install or after it.
func TestDeviceCrashAtEachStep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lic")
	clock := newDevClock(devT0)
	st := newDirState(dir)
	r := newRig(t, st, clock)
	r.install(permanentFile(t, "PERM", devT0))
	before := r.dev.Grant().Set()
	var snaps []string
	st.w.Fault = func(s atomicfile.Step, path string) error {
		// What a power cut leaves: the state directory and the marker beside it, with any
		// temporary file.
		snap := filepath.Join(t.TempDir(), "lic")
		if err := os.Mkdir(snap, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, d := range [][2]string{{dir, snap}, {filepath.Dir(dir), filepath.Dir(snap)}} {
			entries, _ := os.ReadDir(d[0])
			for _, e := range entries {
				if e.Type().IsRegular() {
					copyFile(t, filepath.Join(d[0], e.Name()), filepath.Join(d[1], e.Name()))
				}
			}
		}
		snaps = append(snaps, snap)
		return nil
	}
	r.install(devFile(t, devHostA, "NEW", Permanent, devT0, time.Time{}, Line{Part: "NEW-PART", Kind: Flag, Qty: 1}))
	after := r.dev.Grant().Set()
	if len(snaps) < 2*len(atomicfile.Steps) {
		t.Fatalf("%d snapshots; want one per step of the state and of the marker", len(snaps))
	}
	for i, snap := range snaps {
		d, changes := openOn(t, DirState(snap), clock, devHostA)
		if hasStateInvalid(changes) {
			t.Errorf("crash point %d: state reported invalid: %v", i, changes)
		}
		if g := d.Grant().Set(); !g.Equal(before) && !g.Equal(after) {
			t.Errorf("crash point %d: grants %v, want %v or %v", i, g, before, after)
		}
	}
}

// TestDeviceMarkerFaultRetried: if only the marker cannot be written when the trial starts, the
// trial is started in the state but waits (HoldNotSaved) and StartTrial says so; Tick reports the
// failure, and once the marker is written the trial runs, and the marker alone keeps it.
func TestDeviceMarkerFaultRetried(t *testing.T) {
	st := &memState{}
	clock := newDevClock(devT0)
	r := newRig(t, st, clock)
	st.failMarker = errFault
	if err := r.dev.StartTrial(); !errors.Is(err, errFault) {
		t.Fatalf("StartTrial = %v, want the marker fault", err)
	}
	if g := r.dev.Grant(); g.Mode() != ModeUnlicensed || g.Hold() != HoldNotSaved {
		t.Errorf("with the trial start not in the marker: %v (hold %v); want unlicensed, not saved", g, g.Hold())
	}
	if err := r.dev.Tick(); !errors.Is(err, errFault) {
		t.Errorf("Tick = %v, want the marker fault", err)
	}
	st.failMarker = nil
	if err := r.dev.Tick(); err != nil {
		t.Fatal(err)
	}
	if g := r.dev.Grant(); g.Mode() != ModeTrial {
		t.Errorf("after the marker was saved: %v; want the trial", g)
	}
	st.state = nil // the state is lost; the marker alone keeps the trial
	d, changes := openOn(t, st, clock, devHostA)
	if !hasStateInvalid(changes) || !d.Grant().TrialEnd().Equal(devT0.Add(60*day)) {
		t.Errorf("trial end from the marker = %v, want %v", d.Grant().TrialEnd(), devT0.Add(60*day))
	}
}

// TestDeviceSaveSchedule: ticking every minute for three days saves the state, and the marker with
// it, once per RollbackTolerance/2 of progress, as State documents: 288 of each a day.
func TestDeviceSaveSchedule(t *testing.T) {
	st := &memState{}
	clock := newDevClock(devT0)
	r := newRig(t, st, clock)
	st.saves, st.markerSaves = 0, 0
	for i := 0; i < 3*24*60; i++ {
		clock.Add(time.Minute)
		r.tick()
	}
	if want := 3 * 24 * 60 / 5; st.saves != want || st.markerSaves != want {
		t.Errorf("%d state and %d marker saves in 3 days of minute ticks, want %d of each (every 5 minutes)", st.saves, st.markerSaves, want)
	}
	// State documents the marker as under 150 bytes, with a trial and a time challenge in it.
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dev.TimeChallenge(); err != nil {
		t.Fatal(err)
	}
	if n := len(st.marker); n >= 150 {
		t.Errorf("the marker is %d bytes", n)
	}
}

// TestDeviceSavesTheMark: the clock's progress is saved as it advances, so a restart with the clock
// set back is still caught.
func TestDeviceSavesTheMark(t *testing.T) {
	st := &memState{}
	clock := newDevClock(devT0)
	r := newRig(t, st, clock)
	for i := 0; i < 48; i++ {
		clock.Add(time.Hour)
		r.tick()
	}
	clock.Set(devT0.Add(24 * time.Hour))
	r.reopen()
	if !r.dev.Grant().Rollback() {
		t.Errorf("restart a day behind the saved mark: not a rollback (%v)", r.dev.Grant())
	}
}

// FuzzDeviceState seals arbitrary plaintexts as the state and marker records of a host, so that the
// fuzzer reaches the record decoder behind the seal, and opens a device on them: it must never panic
// or fail to open, every file it keeps must verify, and Tick must be able to save what it repaired.
func FuzzDeviceState(f *testing.F) {
	st, _, _ := goodDevice(f)
	sl, err := newSealer(devSecret, devHostA)
	if err != nil {
		f.Fatal(err)
	}
	statePT, err := sl.key.Open(kindState, st.state)
	if err != nil {
		f.Fatal(err)
	}
	markerPT, err := sl.key.Open(kindMarker, st.marker)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(statePT, markerPT)
	// Version 1 records, as the engine before record version 2 wrote them.
	if v1s, err := os.ReadFile("testdata/state-v1/device.state"); err == nil {
		v1m, _ := os.ReadFile("testdata/state-v1/trial.marker")
		s1, err1 := sl.key.Open(kindState, v1s)
		m1, err2 := sl.key.Open(kindMarker, v1m)
		if err1 != nil || err2 != nil {
			f.Fatal("testdata/state-v1 does not open")
		}
		f.Add(s1, m1)
	}
	// A marker with an open time challenge.
	w := newSimWorld(f, simTrial)
	if _, err := w.dev.TimeChallenge(); err != nil {
		f.Fatal(err)
	}
	if m, err := sl.key.Open(kindMarker, w.st.marker); err == nil {
		f.Add(statePT, m)
	}
	f.Add([]byte{0xa0}, []byte{0xa0})
	f.Add([]byte{0xa1, 0x00, 0x01}, markerPT)
	f.Add(statePT[:len(statePT)/2], []byte{})
	f.Fuzz(func(t *testing.T, statePT, markerPT []byte) {
		ms := &memState{state: sl.key.Seal(kindState, statePT), marker: sl.key.Seal(kindMarker, markerPT)}
		clock := newDevClock(devT0.Add(10 * day))
		d, err := OpenDevice(DeviceConfig{Host: devHostA, Keyring: devKeyring(t), State: ms, Secret: devSecret,
			Clock: clock.Now, TrialSet: devTrial})
		if err != nil {
			t.Fatalf("OpenDevice: %v", err)
		}
		for _, in := range d.Files() {
			if _, err := Open(in.Signed, devKeyring(t)); err != nil {
				t.Fatalf("a file kept from the state does not verify: %v", err)
			}
		}
		if err := d.Tick(); err != nil {
			t.Fatalf("Tick: %v", err)
		}
	})
}

// TestOlderMarkerRewritten: a marker older than the state (an old copy put back, or a crash between
// the two saves) is rewritten at once from the state, so deleting the state next cannot bring back
// what the old marker says (no trial started yet).
func TestOlderMarkerRewritten(t *testing.T) {
	for _, store := range []string{"memory", "directory"} {
		t.Run(store, func(t *testing.T) {
			var st State = &memState{}
			var saveOld, restoreOld, wipeState func()
			if store == "directory" {
				dir := filepath.Join(t.TempDir(), "lic")
				old := filepath.Join(t.TempDir(), "marker")
				st = DirState(dir)
				saveOld = func() { copyFile(t, DirStateMarker(dir), old) }
				restoreOld = func() { copyFile(t, old, DirStateMarker(dir)) }
				wipeState = func() { os.RemoveAll(dir) }
			} else {
				m := st.(*memState)
				var old []byte
				saveOld = func() { old = bytes.Clone(m.marker) }
				restoreOld = func() { m.marker = bytes.Clone(old) }
				wipeState = func() { m.state = nil }
			}
			clock := newDevClock(devT0)
			r := newRig(t, st, clock)
			r.install(permanentFile(t, "PERM", devT0))
			saveOld()
			if err := r.dev.StartTrial(); err != nil {
				t.Fatal(err)
			}
			clock.Add(time.Hour)
			restoreOld()
			r.reopen() // reads the older marker beside the newer state
			wipeState()
			r.reopen()
			if err := r.dev.StartTrial(); err == nil && !r.dev.Grant().TrialEnd().Equal(devT0.Add(60*day)) {
				t.Errorf("the trial started again, ending %v", r.dev.Grant().TrialEnd())
			}
			if got, want := r.dev.Grant().TrialEnd(), devT0.Add(60*day); !got.Equal(want) {
				t.Errorf("trial end %v, want %v", got, want)
			}
		})
	}
}

// TestRepeatedStateWipeDoesNotStretchTheTrial: the trial marker's clock floor is written at most
// once a day, so a state restored from the marker alone cannot know how much of the day since
// passed. A user who wipes the state every 23 hours and sets the clock back must not hold device
// time still: the trial grants no more than its 60 days of real time, whether the clock is set back
// to where the last wipe left it (a rollback) or just within the tolerance of what the device then
// shows. A single honest wipe suspends the trial for at most a day and does not shorten it.
func TestRepeatedStateWipeDoesNotStretchTheTrial(t *testing.T) {
	tests := []struct {
		name    string
		setBack func(r *devRig, cycleStart time.Time) time.Time
	}{
		{"back to the cycle start", func(r *devRig, cycleStart time.Time) time.Time { return cycleStart }},
		{"just within the tolerance", func(r *devRig, cycleStart time.Time) time.Time {
			return r.dev.Grant().At().Add(-DefaultRollbackTolerance)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memState{}
			clock := newDevClock(devT0)
			r := newRig(t, st, clock)
			if err := r.dev.StartTrial(); err != nil {
				t.Fatal(err)
			}
			var granted time.Duration
			cycleStart := devT0
			for real := devT0; real.Before(devT0.Add(70 * day)); {
				for range 23 {
					clock.Add(time.Hour)
					real = real.Add(time.Hour)
					r.dev.Tick()
					if r.dev.Grant().Mode() == ModeTrial {
						granted += time.Hour
					}
				}
				st.mu.Lock()
				st.state = nil // wiped
				st.mu.Unlock()
				r.reopen()
				clock.Set(tt.setBack(r, cycleStart))
				cycleStart = clock.Now()
				r.tick()
			}
			if granted > 60*day {
				t.Errorf("the trial granted %v of real time by wiping the state daily; want at most 60 days", granted)
			}
		})
	}
	t.Run("one honest wipe", func(t *testing.T) {
		// The marker keeps device time as the state does: wiping the state loses the files and
		// nothing else.
		st := &memState{}
		clock := newDevClock(devT0)
		r := newRig(t, st, clock)
		if err := r.dev.StartTrial(); err != nil {
			t.Fatal(err)
		}
		clock.Set(devT0.Add(10*day + 7*time.Hour))
		r.tick()
		st.state = nil
		r.reopen()
		var modes []string
		for _, at := range []time.Duration{10*day + 7*time.Hour, 59 * day, 60 * day} {
			clock.Set(devT0.Add(at))
			r.tick()
			modes = append(modes, r.dev.Grant().Mode().String())
		}
		want := []string{"trial", "trial", "unlicensed"}
		if diff := cmp.Diff(want, modes); diff != "" {
			t.Errorf("modes just after the wipe, at day 59 and at day 60 (-want +got):\n%s", diff)
		}
	})
}

// TestDirStateRelative: a relative directory is fixed when DirState is called, so changing the
// working directory later does not separate the state from its marker.
func TestDirStateRelative(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	st := DirState("lic")
	t.Chdir(t.TempDir())
	if err := st.Save([]byte("state")); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveMarker([]byte("marker")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(base, "lic", StateFileName), filepath.Join(base, ".lic."+MarkerFileName)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// writeLog is a State in memory that records the order of its writes.
type writeLog struct {
	memState
	log []string
}

func (w *writeLog) Save(b []byte) error {
	w.log = append(w.log, "state")
	return w.memState.Save(b)
}

func (w *writeLog) SaveMarker(b []byte) error {
	w.log = append(w.log, "marker")
	return w.memState.SaveMarker(b)
}

// take returns the writes since the last call.
func (w *writeLog) take() []string {
	out := w.log
	w.log = nil
	return out
}

// TestDeviceWritesPerOperation pins the package documentation's "Writes" paragraph: a new device
// writes the marker first; every start-up, install, remove, trial start and time token writes the
// state and then the marker; a new time challenge writes the marker alone, and asking for the open
// one again writes nothing.
func TestDeviceWritesPerOperation(t *testing.T) {
	st := &writeLog{}
	clock := newDevClock(devT0)
	r := newRig(t, st, clock)
	both := []string{"state", "marker"}
	check := func(what string, want []string) {
		t.Helper()
		if d := cmp.Diff(want, st.take()); d != "" {
			t.Errorf("%s: writes (-want +got):\n%s", what, d)
		}
	}
	check("a new device's start-up", []string{"marker", "state", "marker"})
	r.reopen()
	check("a start-up", both)
	r.install(permanentFile(t, "PERM", devT0))
	check("an install", both)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	check("a trial start", both)
	ch, err := r.dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}
	check("a new time challenge", []string{"marker"})
	if _, err := r.dev.TimeChallenge(); err != nil {
		t.Fatal(err)
	}
	check("the open time challenge again", nil)
	token, err := IssueTimeToken(devSigner, ch, devT0, TimeTokenOptions{Serial: "TT-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.dev.ApplyTimeToken(token); err != nil {
		t.Fatal(err)
	}
	check("a time token", both)
	if err := r.dev.Remove("PERM"); err != nil {
		t.Fatal(err)
	}
	check("a remove", both)
	r.tick()
	check("a tick before the save is due", nil)
}
