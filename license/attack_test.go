package license

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// The four games of issue 11, played as an attacker (or, for the last, a flat battery) plays them,
// with the device's own API, and the honest lives a device must survive, each over 90 days of
// simulated time (see sim_test.go), for the 60-day trial and for a 30-day demo file. For the attacks
// the goal is that neither grants longer than its length plus the rollback tolerance; for the
// honest lives, that the device loses nothing but the time it could not know the time and what a
// restart quicker than the restart lease costs (see restartLease).
//
// go test ./license -run '^TestSimulationReport$' -simreport=FILE writes the table of
// license/BENCHMARKS.md.

var simReport = flag.String("simreport", "", "write the simulation report (markdown) to this file")

// simScenario is one life of a device in simulated time.
type simScenario struct {
	group string // "attack 1" … "attack 4", "honest"
	name  string
	// run builds the world for term, lives the scenario for simSpan, and returns the world.
	run func(t *testing.T, term simTerm) *simWorld
}

// attackBound is the most an attack may get out of a term: its length plus the tolerance.
func attackBound(term simTerm) time.Duration { return term.length() + DefaultRollbackTolerance }

// checkAttack fails t when the attack got more than attackBound out of the term.
func checkAttack(t *testing.T, sc simScenario, w *simWorld) {
	t.Helper()
	if w.granted > attackBound(w.term) {
		t.Errorf("%s: the %s granted %s in %s of true time; want at most %s", sc.name, w.term, fmtDays(w.granted), fmtDays(simSpan()), fmtDays(attackBound(w.term)))
	}
}

// checkHonest fails t when an honest device lost more than its unknown time and its restarts' cost.
func checkHonest(t *testing.T, sc simScenario, w *simWorld) {
	t.Helper()
	r := w.result(sc.name)
	if r.lost() > r.unknown+r.cost {
		t.Errorf("%s: an honest device lost %s of its %s (%s of it with the time unknown, %s the restarts' documented cost); want nothing beyond that",
			sc.name, fmtDays(r.lost()), w.term, fmtDays(r.unknown), fmtDays(r.cost))
	}
}

// every runs the world until simSpan in periods of p, calling each after every period.
func every(w *simWorld, p, step time.Duration, tick func(), each func()) {
	for end := simT0.Add(simSpan()); w.real.Before(end); {
		w.run(min(p, end.Sub(w.real)), step, tick)
		if w.real.Before(end) && each != nil {
			each()
		}
	}
}

// attack1 lists the clock games of attack 1: the clock slowed or frozen between the device's
// readings (set back between ticks).
func attack1() []simScenario {
	game := func(name string, play func(w *simWorld) func()) simScenario {
		return simScenario{"attack 1", name, func(t *testing.T, term simTerm) *simWorld {
			w := newSimWorld(t, term)
			w.run(simSpan(), time.Minute, play(w))
			return w
		}}
	}
	return []simScenario{
		game("clock frozen", func(w *simWorld) func() {
			frozen := w.wall
			return func() { w.setWall(frozen) }
		}),
		game("clock at a tenth of the pace", func(w *simWorld) func() {
			last := w.wall
			return func() {
				last = last.Add(time.Minute / 10)
				w.setWall(last)
			}
		}),
		game("clock set back 59 s before every tick", func(w *simWorld) func() {
			return func() { w.setWall(w.wall.Add(-59 * time.Second)) }
		}),
	}
}

// attack2 lists the restart games of attack 2: restarts every few minutes, the clock then set to
// device time minus the rollback tolerance.
func attack2() []simScenario {
	game := func(name string, period time.Duration, backEveryTick bool) simScenario {
		return simScenario{"attack 2", name, func(t *testing.T, term simTerm) *simWorld {
			w := newSimWorld(t, term)
			setBack := func() { w.setWall(w.dev.Grant().At().Add(-DefaultRollbackTolerance)) }
			var tick func()
			if backEveryTick {
				tick = setBack
			}
			every(w, period, time.Minute, tick, func() { w.restart(0); setBack() })
			return w
		}}
	}
	return []simScenario{
		game("restart every 10 min, clock at device time minus the tolerance", 10*time.Minute, false),
		game("restart every 4 min (under the save interval), same", 4*time.Minute, false),
		game("restart every minute (one tick per run), same", time.Minute, false),
		game("restart every 10 min, clock set back before every tick too", 10*time.Minute, true),
	}
}

// attack3 lists the file games of attack 3: an older copy of the state put back with the marker
// deleted or damaged, the clock set back to when the copy was taken, the trial started (or the
// demo file installed) again.
func attack3() []simScenario {
	del := func([]byte) []byte { return nil }
	damage := func(m []byte) []byte {
		if m == nil {
			return nil
		}
		m = append([]byte(nil), m...)
		m[len(m)/2] ^= 0x10
		return m
	}
	game := func(name string, copyAt, period time.Duration, marker func([]byte) []byte) simScenario {
		return simScenario{"attack 3", name, func(t *testing.T, term simTerm) *simWorld {
			var w *simWorld
			if copyAt < 0 {
				// The copy is taken on a new device before the trial starts (or the demo file is
				// installed).
				w = newIdleSimWorld(t, term)
			} else {
				w = newSimWorld(t, term)
				w.run(copyAt, time.Minute, nil)
			}
			state, _ := w.snapshot()
			wallAtCopy := w.wall
			if copyAt < 0 {
				if err := w.begin(); err != nil {
					t.Fatal(err)
				}
			}
			every(w, period, time.Minute, nil, func() {
				_, m := w.snapshot()
				w.putRecords(state, marker(m))
				w.setWall(wallAtCopy)
				w.restart(0)
				_ = w.begin() // 90-55-01 set to 1 again, or the demo file installed again
			})
			return w
		}}
	}
	s := simScale()
	return []simScenario{
		game("pre-start state put back, marker deleted, every 20 days", -1, 20*day/s, del),
		game("pre-start state put back, marker damaged, every 20 days", -1, 20*day/s, damage),
		game("day-1 state put back, marker deleted, clock back, every 20 days", day/s, 20*day/s, del),
		game("day-1 state put back, marker damaged, clock back, every 5 days", day/s, 5*day/s, damage),
	}
}

// y2099 is what a flat RTC battery reads in issue 11's fourth game.
var y2099 = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

// glitchOnce makes the next reading of the clock 2099-01-01, once.
func glitchOnce(w *simWorld) {
	n := w.reads + 1
	w.glitch = func(i int, wall time.Time) time.Time {
		if i == n {
			return y2099
		}
		return wall
	}
}

// attack4 lists issue 11's fourth game, played by a flat battery: one reading of 2099-01-01 while the
// device runs, at a boot, and followed by deleting the state (the old way out).
func attack4() []simScenario {
	s := simScale()
	ten := 10 * day / s
	game := func(name string, play func(t *testing.T, w *simWorld)) simScenario {
		return simScenario{"attack 4", name, func(t *testing.T, term simTerm) *simWorld {
			w := newSimWorld(t, term)
			w.run(ten, time.Minute, nil)
			play(t, w)
			w.run(simT0.Add(simSpan()).Sub(w.real), time.Minute, nil)
			return w
		}}
	}
	return []simScenario{
		game("2099-01-01 read once while running", func(t *testing.T, w *simWorld) { glitchOnce(w) }),
		game("2099-01-01 read once at a boot (restart of 2 min)", func(t *testing.T, w *simWorld) {
			w.up = false
			glitchOnce(w)
			w.restart(2 * time.Minute)
		}),
		game("2099-01-01 read once, then the state deleted (restart of 2 min)", func(t *testing.T, w *simWorld) {
			glitchOnce(w)
			w.run(day/s, time.Minute, nil)
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
		}),
	}
}

// honest lists the lives of honest devices.
func honest() []simScenario {
	life := func(name string, setup func(w *simWorld), play func(t *testing.T, w *simWorld, rnd *rand.Rand)) simScenario {
		return simScenario{"honest", name, func(t *testing.T, term simTerm) *simWorld {
			w := &simWorld{t: t, term: term, real: simT0, wall: simT0, st: &memState{}}
			if setup != nil {
				setup(w)
			}
			w.boot()
			if err := w.begin(); err != nil {
				t.Fatal(err)
			}
			play(t, w, rand.New(rand.NewPCG(11, uint64(len(name)))))
			return w
		}}
	}
	uniform := func(rnd *rand.Rand, lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rnd.Int64N(int64(hi-lo)+1))
	}
	cuts := func(meanGap, minDown, maxDown time.Duration) func(t *testing.T, w *simWorld, rnd *rand.Rand) {
		return func(t *testing.T, w *simWorld, rnd *rand.Rand) {
			for end := simT0.Add(simSpan()); w.real.Before(end); {
				w.run(min(uniform(rnd, time.Minute, 2*meanGap), end.Sub(w.real)), time.Minute, nil)
				if w.real.Before(end) {
					w.up = false
					w.restart(min(uniform(rnd, minDown, maxDown), end.Sub(w.real)))
				}
			}
		}
	}
	s := simScale()
	return []simScenario{
		life("steady: clock right, no restart", nil, func(t *testing.T, w *simWorld, _ *rand.Rand) {
			w.run(simSpan(), time.Minute, nil)
		}),
		life("power cuts every 3 days on average, off 2 min to 4 h", nil, cuts(3*day/s, 2*time.Minute, 4*time.Hour)),
		life("power flickers every 12 h on average, off 10 s to 1 min", nil, cuts(12*time.Hour/s, 10*time.Second, time.Minute)),
		life("NTP corrections within the tolerance, every 6 h", nil, func(t *testing.T, w *simWorld, rnd *rand.Rand) {
			// The clock wanders up to 5 minutes either way (a bad RTC, a slow NTP server), and NTP
			// steps it back to the true time ten minutes later.
			every(w, 6*time.Hour, time.Minute, nil, func() {
				w.setWall(w.real.Add(uniform(rnd, -5*time.Minute, 5*time.Minute)))
				w.run(10*time.Minute, time.Minute, nil)
				w.setWall(w.real)
			})
		}),
		life("daylight saving: the clock gives local times in Europe/Berlin (Oct 25) and America/New_York (Nov 1)", func(w *simWorld) {
			berlin, err1 := time.LoadLocation("Europe/Berlin")
			newYork, err2 := time.LoadLocation("America/New_York")
			if err1 != nil || err2 != nil {
				w.t.Skip("no time zone database")
			}
			w.wallLocation = func(t time.Time) *time.Location {
				if t.Day()%2 == 0 {
					return berlin
				}
				return newYork
			}
		}, func(t *testing.T, w *simWorld, _ *rand.Rand) {
			w.run(simSpan(), time.Minute, nil)
		}),
		life("dead RTC: every boot reads 2000-01-01 until NTP sets the clock 5 min later", nil, func(t *testing.T, w *simWorld, rnd *rand.Rand) {
			every(w, 3*day/s, time.Minute, nil, func() {
				w.up = false
				w.restarts++
				w.real = w.real.Add(10 * time.Minute)
				w.setWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
				w.boot()
				w.run(5*time.Minute, time.Minute, nil)
				w.setWall(w.real)
			})
		}),
	}
}

func runScenarios(t *testing.T, list []simScenario, check func(*testing.T, simScenario, *simWorld)) {
	for _, sc := range list {
		for _, term := range []simTerm{simTrial, simDemo} {
			t.Run(sc.name+"/"+term.String(), func(t *testing.T) { check(t, sc, sc.run(t, term)) })
		}
	}
}

// TestAttack_SlowedOrFrozenClock: the clock slowed or frozen between the device's readings. The
// monotonic clock still runs, so device time keeps up with the true time, and the clock that falls
// behind becomes a rollback.
func TestAttack_SlowedOrFrozenClock(t *testing.T) { runScenarios(t, attack1(), checkAttack) }

// TestAttack_RestartsWithClockSetBack: restart after restart, the clock set to device time minus the
// tolerance each time. Device time must not fall behind the true time, however often it happens.
func TestAttack_RestartsWithClockSetBack(t *testing.T) { runScenarios(t, attack2(), checkAttack) }

// TestAttack_RestoreOlderState: an older copy of the state put back while the marker is deleted or
// damaged must not restart the trial nor give back time: the device reports the state and does not
// trust it.
func TestAttack_RestoreOlderState(t *testing.T) { runScenarios(t, attack3(), checkAttack) }

// TestAttack_ForwardGlitch: one forward glitch of the clock (a flat RTC battery reading 2099-01-01
// once) must not end the trial or a demo file: device time does not follow a reading the monotonic
// clock does not confirm, and a boot with such a reading holds time-limited grants until the clock
// is plausible again. The device loses nothing but the time its clock was unknown (and what a
// restart quicker than the restart lease costs any device).
func TestAttack_ForwardGlitch(t *testing.T) { runScenarios(t, attack4(), checkHonest) }

// TestHonestLives: power cuts, power flickers, NTP corrections within the tolerance, daylight saving
// changes and a dead RTC cost an honest device nothing beyond the time it could not know the time
// and what its restarts cost (see restartLease).
func TestHonestLives(t *testing.T) { runScenarios(t, honest(), checkHonest) }

// TestSimulationReport writes the table of license/BENCHMARKS.md to the file -simreport names:
// every scenario above, for the trial and the demo file, with what it granted or lost.
func TestSimulationReport(t *testing.T) {
	if *simReport == "" {
		t.Skip("run with -simreport=FILE to write the report")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Simulated: %s of true time from %s; trial %s, demo file %s; RollbackTolerance %s; ticks every minute.\n\n",
		fmtDays(simSpan()), simT0.Format(time.RFC3339), fmtDays(simTrial.length()), fmtDays(simDemo.length()), DefaultRollbackTolerance)
	b.WriteString("| game | scenario | trial granted | demo granted | goal (each) | met |\n|---|---|---:|---:|---|---|\n")
	ok := func(good bool) string {
		if good {
			return "yes"
		}
		return "**no**"
	}
	for _, list := range [][]simScenario{attack1(), attack2(), attack3()} {
		for _, sc := range list {
			tr, de := sc.run(t, simTrial), sc.run(t, simDemo)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | ≤ length + %s | %s |\n", sc.group, sc.name, fmtDays(tr.granted), fmtDays(de.granted),
				DefaultRollbackTolerance, ok(tr.granted <= attackBound(simTrial) && de.granted <= attackBound(simDemo)))
		}
	}
	b.WriteString("\n| life | scenario | term | entitled (device up, inside the term) | granted | lost | of which: time unknown | restarts (their lease cost, at most) | met |\n|---|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, list := range [][]simScenario{attack4(), honest()} {
		for _, sc := range list {
			for _, term := range []simTerm{simTrial, simDemo} {
				r := sc.run(t, term).result(sc.name)
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d (%s) | %s |\n", sc.group, sc.name, term, fmtDays(r.entitled), fmtDays(r.granted),
					fmtDays(r.lost()), fmtDays(r.unknown), r.restarts, fmtDays(r.cost), ok(r.lost() <= r.unknown+r.cost))
			}
		}
	}
	if err := os.WriteFile(*simReport, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
