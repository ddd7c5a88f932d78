package license

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// reasons returns the reasons of changes, as strings.
func reasons(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Reason.String())
	}
	return out
}

// TestDeviceUnknownTimeBoot: a PBX that boots with its clock at 2000-01-01 (a flat battery) holds
// its time-limited grants, says why, and keeps its permanent files; when the clock is set right
// (NTP, minutes later) they run again at once, with device time at the clock's reading.
func TestDeviceUnknownTimeBoot(t *testing.T) {
	w := newSimWorld(t, simDemo)
	if err := w.dev.Install(permanentFile(t, "PERM", simT0)); err != nil {
		t.Fatal(err)
	}
	w.run(simDemo.length()/6, time.Minute, nil)
	// Off for a while; the clock reads 2000-01-01 when it starts again.
	w.up = false
	w.real = w.real.Add(simDemo.length() / 10)
	flat := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	w.setWall(flat)
	w.changes = nil
	w.boot()
	g := w.dev.Grant()
	if g.Hold() != HoldTimeUnknown || g.Mode() != ModeLicensed || g.Count("BE107585") != 20 || g.Has("DEMO-ALL") {
		t.Fatalf("boot at 2000-01-01: %v (hold %v); want the permanent file alone, time unknown", g, g.Hold())
	}
	if diff := cmp.Diff([]string{"clock glitch", "time unknown"}, reasons(w.changes)); diff != "" {
		t.Errorf("changes at start-up (-want +got):\n%s", diff)
	}
	if c := w.changes[len(w.changes)-1]; !errors.Is(c.Err, ErrTimeUnknown) {
		t.Errorf("the hold's error %v does not match ErrTimeUnknown", c.Err)
	}
	var statuses []string
	for _, f := range w.dev.Files() {
		statuses = append(statuses, f.File.Serial+" "+f.Status.String())
	}
	if diff := cmp.Diff([]string{"SIM-DEMO suspended", "PERM active"}, statuses); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// Ten minutes of readings at 2000-01-01: reported once, nothing else.
	w.changes = nil
	w.run(10*time.Minute, time.Minute, func() { w.setWall(flat) })
	if len(w.changes) != 0 {
		t.Errorf("more readings at 2000-01-01 reported %v", reasons(w.changes))
	}
	// NTP sets the clock.
	w.setWall(w.real)
	w.run(time.Minute, time.Minute, nil)
	if g := w.dev.Grant(); g.Hold() != HoldNone || !g.Has("DEMO-ALL") || !g.At().Equal(w.real) {
		t.Errorf("clock set: %v (hold %v) at %v; want the demo, device time %v", g, g.Hold(), g.At(), w.real)
	}
	if diff := cmp.Diff([]string{"clock restored"}, reasons(w.changes)); diff != "" {
		t.Errorf("changes when the clock is set (-want +got):\n%s", diff)
	}
}

// TestDeviceEarliestPlausible: a clock before EarliestPlausible is never believed, on the first boot
// included; the default is defaultEarliestPlausible.
func TestDeviceEarliestPlausible(t *testing.T) {
	build := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		earliest time.Time
		clock    time.Time
		want     Hold
	}{
		{"before the build time", build, build.Add(-time.Second), HoldTimeUnknown},
		{"at the build time", build, build, HoldNone},
		{"default floor, 2024", time.Time{}, time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), HoldTimeUnknown},
		{"default floor, 2025", time.Time{}, defaultEarliestPlausible, HoldNone},
		{"epoch", build, time.Unix(0, 0), HoldTimeUnknown},
		{"far future on a new device", build, build.Add(21 * 366 * day), HoldTimeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newDevClock(tt.clock)
			r := &devRig{t: t, clock: clock, state: &memState{}, host: devHostA, kr: devKeyring(t)}
			cfg := r.config()
			cfg.EarliestPlausible = tt.earliest
			d, err := OpenDevice(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Grant().Hold(); got != tt.want {
				t.Errorf("hold %v, want %v", got, tt.want)
			}
			err = d.StartTrial()
			if tt.want == HoldTimeUnknown && !errors.Is(err, ErrTimeUnknown) || tt.want == HoldNone && err != nil {
				t.Errorf("StartTrial = %v", err)
			}
		})
	}
}

// TestDeviceMaxClockLead: after a restart a clock far ahead of device time is not believed; within
// MaxClockLead (the device was switched off for a while) it is, at once.
func TestDeviceMaxClockLead(t *testing.T) {
	for _, tt := range []struct {
		name string
		off  time.Duration
		want Hold
	}{
		{"off 300 days", 300 * day, HoldNone},
		{"off 400 days", 400 * day, HoldTimeUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newSimWorld(t, simTrial)
			w.run(time.Hour, time.Minute, nil)
			w.up = false
			w.restart(tt.off)
			g := w.dev.Grant()
			if g.Hold() != tt.want {
				t.Errorf("hold %v, want %v", g.Hold(), tt.want)
			}
			if tt.want == HoldNone && !g.At().Equal(w.real) || tt.want != HoldNone && g.At().After(simT0.Add(2*time.Hour)) {
				t.Errorf("device time %v, true time %v", g.At(), w.real)
			}
		})
	}
}

// TestDeviceClockGlitchReported: a forward jump while running is reported once and not followed; a
// jump back within the tolerance of device time ends it.
func TestDeviceClockGlitchReported(t *testing.T) {
	w := newSimWorld(t, simTrial)
	w.run(time.Hour, time.Minute, nil)
	w.changes = nil
	w.setWall(w.wall.Add(30 * day))
	w.run(10*time.Minute, time.Minute, nil)
	if diff := cmp.Diff([]string{"clock glitch"}, reasons(w.changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if at := w.dev.Grant().At(); !at.Equal(w.real) {
		t.Errorf("device time %v followed the glitch (true time %v)", at, w.real)
	}
	w.changes = nil
	w.setWall(w.real)
	w.run(time.Hour, time.Minute, nil)
	w.setWall(w.wall.Add(30 * day))
	w.run(time.Minute, time.Minute, nil)
	if diff := cmp.Diff([]string{"clock glitch"}, reasons(w.changes)); diff != "" {
		t.Errorf("a second glitch after the clock came back (-want +got):\n%s", diff)
	}
}

// TestStateWrittenByTheCurrentVersionOpens: the state and marker in testdata/state-v1, written by
// the engine before issue 11 (record version 1), open without complaint and grant what they granted;
// the device rewrites them in version 2.
func TestStateWrittenByTheCurrentVersionOpens(t *testing.T) {
	state, err := os.ReadFile("testdata/state-v1/device.state")
	if err != nil {
		t.Fatal(err)
	}
	marker, err := os.ReadFile("testdata/state-v1/trial.marker")
	if err != nil {
		t.Fatal(err)
	}
	st := &memState{state: state, marker: marker}
	clock := newDevClock(devT0.Add(10*day + time.Hour))
	for i := range 2 {
		d, changes := openOn(t, st, clock, devHostA)
		if len(changes) != 0 {
			t.Errorf("open %d: changes %v", i, changes)
		}
		g := d.Grant()
		want := "demo until 2026-05-01T08:00:00Z: BE107573=1 BE107576=on BE107582=5 BE107585=20 DEMO-ALL=on"
		if g.String() != want || !g.TrialEnd().Equal(devT0.Add(60*day)) || len(d.Files()) != 2 {
			t.Errorf("open %d: %v, trial end %v, %d files; want %s, trial end %v", i, g, g.TrialEnd(), len(d.Files()), want, devT0.Add(60*day))
		}
		if at := g.At(); at.Before(clock.Now()) || at.After(clock.Now().Add(restartLease(DefaultRollbackTolerance))) {
			t.Errorf("open %d: device time %v; the clock reads %v", i, at, clock.Now())
		}
		sl, _ := newSealer(devSecret, devHostA)
		if r, err := sl.openState(st.state); err != nil || r.V != recordVersion {
			t.Errorf("open %d: the state was not rewritten in version %d: %v", i, recordVersion, err)
		}
		if r, err := sl.openMarker(st.marker); err != nil || r.V != recordVersion {
			t.Errorf("open %d: the marker was not rewritten in version %d: %v", i, recordVersion, err)
		}
		clock.Add(time.Hour)
	}
}

// cutState is a State that a power cut stops: from write number cutAt on (counting Save and
// SaveMarker from 1), nothing is written and every write fails, as if the process had died there.
type cutState struct {
	memState
	writes int
	cutAt  int
	dead   bool
}

var errPowerCut = errors.New("power cut")

func (c *cutState) write(save func([]byte) error, b []byte) error {
	c.writes++
	if c.cutAt > 0 && c.writes >= c.cutAt {
		c.dead = true
		return errPowerCut
	}
	return save(b)
}

func (c *cutState) Save(b []byte) error       { return c.write(c.memState.Save, b) }
func (c *cutState) SaveMarker(b []byte) error { return c.write(c.memState.SaveMarker, b) }

// powerLife is one run of TestDevicePowerCutAtEveryWrite's device life.
type powerLife struct {
	w        *simWorld
	st       *cutState
	lastAt   time.Time       // the last device time published before the cut
	trial    bool            // StartTrial returned nil
	files    map[string]bool // installed (true) or removed (false) by an operation that returned nil
	pending  string          // the step during which the power was cut
	tokenSer int
}

func (l *powerLife) install(serial string, signed []byte) error {
	err := l.w.dev.Install(signed)
	if err == nil {
		l.files[serial] = true
	}
	return err
}

// TestDevicePowerCutAtEveryWrite runs a device's life (first boot, trial, installs, device time
// saves, a restart, a remove, a time challenge and token) and cuts the power at each of its writes
// in turn. After each cut the device starts again on what was written: it must not report its state
// as invalid, not hold its time-limited grants, not lose a trial or a file (or bring back a removed
// one) that an operation that returned had saved, and not resume device time below the last device
// time it published.
func TestDevicePowerCutAtEveryWrite(t *testing.T) {
	perm := permanentFile(t, "PERM", simT0)
	demo := simDemoFile(t)
	steps := []struct {
		name string
		do   func(l *powerLife) error
	}{
		{"start trial", func(l *powerLife) error {
			err := l.w.dev.StartTrial()
			l.trial = l.trial || err == nil
			return err
		}},
		{"install PERM", func(l *powerLife) error { return l.install("PERM", perm) }},
		{"run 12 minutes", func(l *powerLife) error { l.w.run(12*time.Minute, time.Minute, nil); return nil }},
		{"install demo", func(l *powerLife) error { return l.install("SIM-DEMO", demo) }},
		{"restart", func(l *powerLife) error { l.w.restart(time.Minute); return nil }},
		{"run 7 minutes", func(l *powerLife) error { l.w.run(7*time.Minute, time.Minute, nil); return nil }},
		{"remove demo", func(l *powerLife) error {
			err := l.w.dev.Remove("SIM-DEMO")
			if err == nil {
				l.files["SIM-DEMO"] = false
			}
			return err
		}},
		{"time token", func(l *powerLife) error {
			ch, err := l.w.dev.TimeChallenge()
			if err != nil {
				return err
			}
			l.tokenSer++
			signed, err := IssueTimeToken(devSigner, ch, l.w.real, TimeTokenOptions{Serial: fmt.Sprintf("TT-%d", l.tokenSer)})
			if err != nil {
				t.Fatal(err)
			}
			return l.w.dev.ApplyTimeToken(signed)
		}},
		{"run 6 minutes", func(l *powerLife) error { l.w.run(6*time.Minute, time.Minute, nil); return nil }},
	}
	// live runs the life with the power cut at write cutAt (0: never).
	live := func(cutAt int) *powerLife {
		st := &cutState{cutAt: cutAt}
		w := &simWorld{t: t, term: simTrial, real: simT0, wall: simT0, st: &st.memState, state: st}
		l := &powerLife{w: w, st: st, files: map[string]bool{}, pending: "first boot"}
		w.boot()
		for _, s := range steps {
			if st.dead {
				break
			}
			l.pending = s.name
			l.lastAt = w.dev.Grant().At()
			s.do(l)
			if !st.dead {
				l.lastAt = w.dev.Grant().At()
			}
		}
		return l
	}
	total := live(0).st.writes
	t.Logf("the life makes %d writes", total)
	if total < len(steps)+4 {
		t.Fatalf("the life made only %d writes", total)
	}
	for cut := 1; cut <= total; cut++ {
		l := live(cut)
		// Power back two minutes later, on what was written.
		l.st.cutAt, l.st.dead = 0, false
		l.w.changes = nil
		l.w.restart(2 * time.Minute)
		d, g := l.w.dev, l.w.dev.Grant()
		where := fmt.Sprintf("cut at write %d of %d (during %q)", cut, total, l.pending)
		if hasStateInvalid(l.w.changes) {
			t.Errorf("%s: reported %v", where, l.w.changes)
		}
		if g.Hold() != HoldNone {
			t.Errorf("%s: hold %v", where, g.Hold())
		}
		if l.trial && !g.TrialEnd().Equal(simT0.Add(simTrial.length())) {
			t.Errorf("%s: trial end %v, want %v", where, g.TrialEnd(), simT0.Add(simTrial.length()))
		}
		if err := d.StartTrial(); err != nil {
			t.Errorf("%s: StartTrial = %v (the trial was started, or can be)", where, err)
		}
		have := map[string]bool{}
		for _, f := range d.Files() {
			have[f.File.Serial] = true
		}
		for serial, in := range l.files {
			if have[serial] != in {
				t.Errorf("%s: file %s installed %v, want %v", where, serial, have[serial], in)
			}
		}
		if at := g.At(); at.Before(l.lastAt) {
			t.Errorf("%s: device time %v, below the %v it had published", where, at, l.lastAt)
		}
	}
}
