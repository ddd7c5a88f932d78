package license

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The simulated-time harness: a device in a world with a true time, the wall clock the device reads
// (which an attacker or a flat battery may set to anything), the monotonic clock of the current
// process (which nobody sets, and which a restart starts again), a firmware that ticks on a timer,
// restarts, and a state store whose records can be deleted, damaged or put back. It measures the
// time during which the device granted the trial or a demo file, in true time.

// simTerm is what a simulated world watches: the trial or a demo file.
type simTerm uint8

const (
	simTrial simTerm = iota
	simDemo
)

func (k simTerm) String() string { return [...]string{"trial", "demo"}[k] }

// simScale divides every span of the simulations: 1 normally, 10 with -short, 30 with the race
// detector (which slows them about tenfold, and has nothing to find in them: they run on one
// goroutine). The periods of ticks, restarts and clock games do not scale.
func simScale() time.Duration {
	switch {
	case raceEnabled:
		return 30
	case testing.Short():
		return 10
	}
	return 1
}

// simSpan is how much true time a simulation runs: 90 days, divided by simScale.
func simSpan() time.Duration { return 90 * day / simScale() }

// length is the length of each term: the 60-day trial, a 30-day demo file (scaled by simScale).
func (k simTerm) length() time.Duration {
	if k == simTrial {
		return DefaultTrialLength / simScale()
	}
	return 30 * day / simScale()
}

// simT0 is when every world starts (true time); the trial starts, or the demo file is issued, then.
// It is in late October, so that every scale of the simulations sees the daylight saving changes
// of Europe (October 25) and the United States (November 1).
var simT0 = time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)

// simWorld is one device in simulated time.
type simWorld struct {
	t    testing.TB
	term simTerm

	real time.Time     // true time
	wall time.Time     // what the device's clock reads
	mono time.Duration // the device process's monotonic clock
	mu   sync.Mutex    // guards wall and mono (the device reads them under its own lock)

	wallLocation func(time.Time) *time.Location // when set, the clock returns wall in this location (DST)
	tol          time.Duration                  // RollbackTolerance (0: default)

	st      *memState
	state   State // when not nil, the device's State (wrapping st); else st
	dev     *Device
	changes []Change
	reads   int // clock readings so far, for glitches at a given reading

	granted  time.Duration // true time during which the watched term was granted
	entitled time.Duration // true time, with the device up, inside the term's true window
	unknown  time.Duration // true time with the device up while it held time-limited grants for an unknown time
	up       bool
	restarts int
	// restartCost adds up, per restart, how far the restart lease can move device time ahead of
	// the true time: the lease less the time the restart took (see restartLease).
	restartCost time.Duration

	// glitch, when not nil, may replace a reading of the wall clock (a flat RTC battery).
	glitch func(n int, wall time.Time) time.Time
}

// newSimWorld returns a new device, booted at simT0, with its trial started or its demo file
// installed.
func newSimWorld(t testing.TB, term simTerm) *simWorld {
	t.Helper()
	w := newIdleSimWorld(t, term)
	if err := w.begin(); err != nil {
		t.Fatalf("starting the %s: %v", term, err)
	}
	return w
}

// newIdleSimWorld returns a new device, booted at simT0, that has not started its term yet.
func newIdleSimWorld(t testing.TB, term simTerm) *simWorld {
	t.Helper()
	w := &simWorld{t: t, term: term, real: simT0, wall: simT0, st: &memState{}}
	w.boot()
	return w
}

// simDemoFile is the demo file of every world: 30 days from simT0.
func simDemoFile(t testing.TB) []byte {
	return devFile(t, devHostA, "SIM-DEMO", Demo, simT0, simT0.Add(simDemo.length()), Line{Part: "DEMO-ALL", Kind: Flag, Qty: 1})
}

// begin starts the trial (90-55-01 set to 1) or installs the demo file.
func (w *simWorld) begin() error {
	if w.term == simTrial {
		return w.dev.StartTrial()
	}
	return w.dev.Install(simDemoFile(w.t))
}

// clock is the device's Clock.
func (w *simWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads++
	r := w.wall
	if w.glitch != nil {
		r = w.glitch(w.reads, r)
	}
	if w.wallLocation != nil {
		r = r.In(w.wallLocation(r))
	}
	return r
}

// elapsed is the device's monotonic clock.
func (w *simWorld) elapsed() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mono
}

func (w *simWorld) config() DeviceConfig {
	return DeviceConfig{
		Host:              devHostA,
		Keyring:           devKeyring(w.t),
		State:             w.store(),
		Secret:            devSecret,
		Clock:             w.clock,
		Elapsed:           w.elapsed,
		TrialSet:          devTrial,
		TrialLength:       simTrial.length(),
		RollbackTolerance: w.tol,
		OnChange:          func(c Change) { w.changes = append(w.changes, c) },
	}
}

// store is the device's State.
func (w *simWorld) store() State {
	if w.state != nil {
		return w.state
	}
	return w.st
}

// tolerance is the world's RollbackTolerance.
func (w *simWorld) tolerance() time.Duration {
	if w.tol == 0 {
		return DefaultRollbackTolerance
	}
	return w.tol
}

// boot starts the device process: the monotonic clock starts again.
func (w *simWorld) boot() {
	w.t.Helper()
	w.mu.Lock()
	w.mono = 0
	w.mu.Unlock()
	d, err := OpenDevice(w.config())
	if err != nil {
		w.t.Fatalf("OpenDevice: %v", err)
	}
	w.dev, w.up = d, true
}

// restart stops the device process, lets down pass (the wall clock keeps time, as a battery-backed
// RTC does), and starts it again.
func (w *simWorld) restart(down time.Duration) {
	w.t.Helper()
	w.up = false
	w.restarts++
	w.restartCost += max(0, restartLease(w.tolerance())-down)
	w.real = w.real.Add(down)
	w.mu.Lock()
	w.wall = w.wall.Add(down)
	w.mu.Unlock()
	w.boot()
}

// setWall sets the wall clock, as a user with the device's settings (or a flat battery) can.
func (w *simWorld) setWall(t time.Time) {
	w.mu.Lock()
	w.wall = t
	w.mu.Unlock()
}

// run lets d of true time pass with the device up, in steps of step, the firmware ticking at the
// end of each. The grant published at a tick is in force until the next one. each, when not nil,
// runs after the clocks moved and before the tick (the attacker's turn).
func (w *simWorld) run(d, step time.Duration, each func()) {
	w.t.Helper()
	for end := w.real.Add(d); w.real.Before(end); {
		s := min(step, end.Sub(w.real))
		w.account(s)
		w.real = w.real.Add(s)
		w.mu.Lock()
		w.mono += s
		w.wall = w.wall.Add(s)
		w.mu.Unlock()
		if each != nil {
			each()
		}
		if !w.up {
			continue
		}
		_ = w.dev.Tick() // a save error is reported by Tick; the grant is re-evaluated all the same
	}
}

// account adds s of true time, starting now, to the figures.
func (w *simWorld) account(s time.Duration) {
	if !w.up {
		return
	}
	g := w.dev.Grant()
	if w.grants(g) {
		w.granted += s
	}
	if w.real.Before(simT0.Add(w.term.length())) {
		w.entitled += s
		if g.Hold() == HoldTimeUnknown {
			w.unknown += s
		}
	}
}

// grants reports whether g grants the watched term.
func (w *simWorld) grants(g *Grant) bool {
	if w.term == simTrial {
		return g.Mode() == ModeTrial
	}
	return g.Has("DEMO-ALL")
}

// snapshot returns copies of the two records as they are now.
func (w *simWorld) snapshot() (state, marker []byte) {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	return bytes.Clone(w.st.state), bytes.Clone(w.st.marker)
}

// putRecords replaces the stored records (nil deletes one).
func (w *simWorld) putRecords(state, marker []byte) {
	w.st.mu.Lock()
	w.st.state, w.st.marker = bytes.Clone(state), bytes.Clone(marker)
	w.st.mu.Unlock()
}

// simResult is one line of the report.
type simResult struct {
	name     string
	term     simTerm
	days     float64 // true days simulated
	granted  time.Duration
	entitled time.Duration
	unknown  time.Duration
	restarts int
	cost     time.Duration // the world's restartCost
}

func (w *simWorld) result(name string) simResult {
	return simResult{name: name, term: w.term, days: w.real.Sub(simT0).Hours() / 24, granted: w.granted,
		entitled: w.entitled, unknown: w.unknown, restarts: w.restarts, cost: w.restartCost}
}

// lost is the true time inside the term's window, with the device up, that it did not grant.
func (r simResult) lost() time.Duration { return max(0, r.entitled-r.granted) }

func fmtDays(d time.Duration) string {
	if d%day == 0 {
		return fmt.Sprintf("%d d", d/day)
	}
	if d < day {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%.3f d", d.Hours()/24)
}
