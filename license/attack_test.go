package license

import (
	"testing"
	"time"
)

// The four games of issue 11, played as an attacker (or, for the last, a flat battery) plays them,
// with the device's own API, over 90 days of simulated time (see sim_test.go). For the attacks the
// goal is that the trial and a 30-day demo file grant no longer than their length plus the
// rollback tolerance; for the glitch, that an honest device loses nothing outside a boot whose time
// it cannot know.

// attackBound is the most an attack may get out of a term: its length plus the tolerance.
func attackBound(term simTerm) time.Duration { return term.length() + DefaultRollbackTolerance }

func checkAttack(t *testing.T, w *simWorld, name string) simResult {
	t.Helper()
	r := w.result(name)
	if r.granted > attackBound(w.term) {
		t.Errorf("%s: the %s granted %s in %s of true time; want at most %s", name, w.term, fmtDays(r.granted), fmtDays(simSpan()), fmtDays(attackBound(w.term)))
	}
	return r
}

// attack1 lists the clock games of attack 1: the clock slowed or frozen between the device's
// readings (set back between ticks).
func attack1() []struct {
	name string
	play func(w *simWorld) func()
} {
	return []struct {
		name string
		play func(w *simWorld) func()
	}{
		{"frozen", func(w *simWorld) func() {
			frozen := w.wall
			return func() { w.setWall(frozen) }
		}},
		{"a tenth of the pace", func(w *simWorld) func() {
			last := w.wall
			return func() {
				last = last.Add(time.Minute / 10)
				w.setWall(last)
			}
		}},
		{"set back 59s before every tick", func(w *simWorld) func() {
			return func() { w.setWall(w.wall.Add(-59 * time.Second)) }
		}},
	}
}

// TestAttack_SlowedOrFrozenClock: the clock slowed or frozen between the device's readings. The
// monotonic clock still runs, so device time keeps up with true time.
func TestAttack_SlowedOrFrozenClock(t *testing.T) {
	for _, a := range attack1() {
		for _, term := range []simTerm{simTrial, simDemo} {
			t.Run(a.name+"/"+term.String(), func(t *testing.T) {
				w := newSimWorld(t, term)
				w.run(simSpan(), time.Minute, a.play(w))
				checkAttack(t, w, a.name)
			})
		}
	}
}

// attack2 lists the restart games of attack 2: restarts every few minutes, the clock then set to
// device time minus the rollback tolerance.
func attack2() []struct {
	name  string
	every time.Duration // restart period
	step  time.Duration // the firmware's tick period
	back  bool          // set the clock back before every tick too
} {
	return []struct {
		name  string
		every time.Duration
		step  time.Duration
		back  bool
	}{
		{"every 10 minutes", 10 * time.Minute, time.Minute, false},
		{"every 4 minutes (under the save interval)", 4 * time.Minute, time.Minute, false},
		{"every minute, one tick per run", time.Minute, time.Minute, false},
		{"every 10 minutes, clock set back before every tick", 10 * time.Minute, time.Minute, true},
	}
}

// TestAttack_RestartsWithClockSetBack: restart after restart, the clock set to device time minus
// the tolerance each time. Device time must not fall behind true time, however often it happens.
func TestAttack_RestartsWithClockSetBack(t *testing.T) {
	for _, a := range attack2() {
		for _, term := range []simTerm{simTrial, simDemo} {
			t.Run(a.name+"/"+term.String(), func(t *testing.T) {
				w := newSimWorld(t, term)
				setBack := func() { w.setWall(w.dev.Grant().At().Add(-DefaultRollbackTolerance)) }
				for w.real.Before(simT0.Add(simSpan())) {
					var each func()
					if a.back {
						each = setBack
					}
					w.run(a.every, a.step, each)
					w.restart(0)
					setBack()
				}
				checkAttack(t, w, a.name)
			})
		}
	}
}

// attack3 lists the file games of attack 3: an older copy of the state put back with the marker
// deleted or damaged, and the clock set back to when the copy was taken.
func attack3() []struct {
	name   string
	copyAt time.Duration // when the copy of the state is taken (true time after simT0); <0: before the trial or demo
	every  time.Duration // how often it is put back
	marker func(m []byte) []byte
} {
	del := func([]byte) []byte { return nil }
	damage := func(m []byte) []byte {
		if m == nil {
			return nil
		}
		m = append([]byte(nil), m...)
		m[len(m)/2] ^= 0x10
		return m
	}
	return []struct {
		name   string
		copyAt time.Duration
		every  time.Duration
		marker func(m []byte) []byte
	}{
		{"state from before the start, marker deleted", -1, 20 * day / simScale(), del},
		{"state from before the start, marker damaged", -1, 20 * day / simScale(), damage},
		{"state from day 1, marker deleted, clock back", day / simScale(), 20 * day / simScale(), del},
		{"state from day 1, marker damaged, clock back", day / simScale(), 5 * day / simScale(), damage},
	}
}

// TestAttack_RestoreOlderState: an older copy of the state put back while the marker is deleted or
// damaged must not restart the trial nor give back time; the device reports the state and does not
// trust it.
func TestAttack_RestoreOlderState(t *testing.T) {
	for _, a := range attack3() {
		for _, term := range []simTerm{simTrial, simDemo} {
			t.Run(a.name+"/"+term.String(), func(t *testing.T) {
				var w *simWorld
				var state []byte
				var wallAtCopy time.Time
				if a.copyAt < 0 {
					// The copy is taken on a new device before the trial starts (or the demo file
					// is installed).
					w = newIdleSimWorld(t, term)
					state, _ = w.snapshot()
					wallAtCopy = w.wall
					if err := w.begin(); err != nil {
						t.Fatal(err)
					}
				} else {
					w = newSimWorld(t, term)
					w.run(a.copyAt, time.Minute, nil)
					state, _ = w.snapshot()
					wallAtCopy = w.wall
				}
				for w.real.Before(simT0.Add(simSpan())) {
					w.run(min(a.every, simT0.Add(simSpan()).Sub(w.real)), time.Minute, nil)
					_, marker := w.snapshot()
					w.putRecords(state, a.marker(marker))
					w.setWall(wallAtCopy)
					w.restart(0)
					_ = w.begin() // 90-55-01 set to 1 again, or the demo file installed again
				}
				checkAttack(t, w, a.name)
			})
		}
	}
}

// glitches lists the forward glitches of issue 11's fourth game: a single reading of 2099-01-01,
// as a flat RTC battery gives, while the device runs and at a boot.
func glitches() []struct {
	name string
	play func(t *testing.T, w *simWorld)
} {
	y2099 := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	once := func(w *simWorld) {
		n := w.reads + 1
		w.glitch = func(i int, wall time.Time) time.Time {
			if i == n {
				return y2099
			}
			return wall
		}
	}
	ten := 10 * day / simScale() // when the glitch comes
	return []struct {
		name string
		play func(t *testing.T, w *simWorld)
	}{
		{"one reading while running", func(t *testing.T, w *simWorld) {
			w.run(ten, time.Minute, nil)
			once(w)
			w.run(simSpan()-ten, time.Minute, nil)
		}},
		{"one reading at a boot", func(t *testing.T, w *simWorld) {
			w.run(ten, time.Minute, nil)
			w.up = false
			once(w)
			w.restart(2 * time.Minute)
			w.run(simSpan()-ten-2*time.Minute, time.Minute, nil)
		}},
		{"the state deleted after a glitch", func(t *testing.T, w *simWorld) {
			w.run(ten, time.Minute, nil)
			once(w)
			w.run(day/simScale(), time.Minute, nil)
			_, marker := w.snapshot()
			w.putRecords(nil, marker)
			w.restart(2 * time.Minute)
			if w.term == simDemo {
				// The state, and the demo file with it, are gone: the partner installs it again.
				if err := w.begin(); err != nil {
					t.Errorf("installing the demo file again after the state was deleted: %v", err)
				}
			}
			if at := w.dev.Grant().At(); at.Year() > 2030 {
				t.Errorf("after the state was deleted device time is %v", at)
			}
			w.run(simSpan()-ten-day/simScale()-2*time.Minute, time.Minute, nil)
		}},
	}
}

// TestAttack_ForwardGlitch: one forward glitch of the clock (a flat RTC battery reading
// 2099-01-01 once) must not end the trial or a demo file: device time does not follow a reading
// the monotonic clock does not confirm, and a boot with such a reading holds time-limited grants
// until the clock is plausible again. An honest device loses nothing but the time its clock was
// unknown (and what a restart quicker than the restart lease costs any device).
func TestAttack_ForwardGlitch(t *testing.T) {
	for _, g := range glitches() {
		for _, term := range []simTerm{simTrial, simDemo} {
			t.Run(g.name+"/"+term.String(), func(t *testing.T) {
				w := newSimWorld(t, term)
				g.play(t, w)
				r := w.result(g.name)
				if r.lost() > r.unknown+r.cost {
					t.Errorf("%s: an honest device lost %s of its %s (%s of it with the time unknown, %s the restarts' documented cost); want nothing beyond that",
						g.name, fmtDays(r.lost()), term, fmtDays(r.unknown), fmtDays(r.cost))
				}
			})
		}
	}
}

// simHeldUnknown reports whether g holds time-limited grants because the time is unknown.
func simHeldUnknown(g *Grant) bool { return g.Hold() == HoldTimeUnknown }
