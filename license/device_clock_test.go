package license

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClockStateObserve checks the clock model on its own, reading by reading: each step reads the
// wall clock and the monotonic clock (both relative to devT0) and checks device time, the rollback
// state and what was reported.
func TestClockStateObserve(t *testing.T) {
	const tol = 10 * time.Minute
	type step struct {
		wall, mono time.Duration
		wantDev    time.Duration
		rolled     bool
		ev         clockEvent
	}
	h := time.Hour
	tests := []struct {
		name  string
		why   string
		steps []step
	}{
		{"with the monotonic clock", "device time advances with the monotonic clock when the wall clock agrees",
			[]step{{0, 0, 0, false, clockNone}, {h, h, h, false, clockNone}, {2 * h, 2 * h, 2 * h, false, clockNone}}},
		{"frozen wall clock", "a frozen clock does not hold device time still, and becomes a rollback past the tolerance",
			[]step{{0, 0, 0, false, clockNone}, {0, 5 * time.Minute, 5 * time.Minute, false, clockNone}, {0, h, h, true, clockNone}}},
		{"set back within the tolerance", "not a rollback, and device time runs on",
			[]step{{0, 0, 0, false, clockNone}, {h - tol, h, h, false, clockNone}}},
		{"set back beyond the tolerance", "a rollback (the reference lags the monotonic clock by 1/1024, 3.5s an hour); device time runs on",
			[]step{{0, 0, 0, false, clockNone}, {h - tol - 4*time.Second, h, h, true, clockNone}, {h, h, h, false, clockNone}}},
		{"setbacks add up", "two setbacks of just under the tolerance are one rollback",
			[]step{{0, 0, 0, false, clockNone}, {h - tol + time.Second, h, h, false, clockNone}, {2*h - 2*tol + 2*time.Second, 2 * h, 2 * h, true, clockNone}}},
		{"forward glitch", "a reading ahead of device time that the monotonic clock does not confirm is not followed",
			[]step{{0, 0, 0, false, clockNone}, {30 * day, h, h, false, clockGlitch}, {2 * h, 2 * h, 2 * h, false, clockNone}}},
		{"implausible reading", "a reading more than MaxClockLead ahead is ignored",
			[]step{{0, 0, 0, false, clockNone}, {400 * day, h, h, false, clockImplausible}, {500 * day, 2 * h, 2 * h, false, clockNone}, {3 * h, 3 * h, 3 * h, false, clockNone}}},
		{"forward jump that holds", "followed once it has held for ForwardJumpHold of monotonic time",
			[]step{{0, 0, 0, false, clockNone}, {30 * day, h, h, false, clockGlitch}, {30*day + 12*h, 13 * h, 13 * h, false, clockNone},
				{30*day + 24*h, 25 * h, 30*day + 24*h, false, clockJumped}, {30*day + 25*h, 26 * h, 30*day + 25*h, false, clockNone}}},
		{"a jump that does not hold", "a correction back ends the watch",
			[]step{{0, 0, 0, false, clockNone}, {30 * day, h, h, false, clockGlitch}, {2 * h, 2 * h, 2 * h, false, clockNone}, {30*day + 24*h, 25 * h, 25 * h, false, clockGlitch}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clockState{tol: tol, lead: DefaultMaxClockLead, earliest: defaultEarliestPlausible, dev: devT0, ref: devT0, booting: true}
			for i, s := range tt.steps {
				ev := c.observe(devT0.Add(s.wall), s.mono)
				if got := c.dev.Sub(devT0); got != s.wantDev || c.rolled != s.rolled || ev != s.ev {
					t.Errorf("step %d (wall %v, mono %v): device time %v rolled %v event %v; want %v %v %v (%s)", i, s.wall, s.mono, got, c.rolled, ev, s.wantDev, s.rolled, s.ev, tt.why)
				}
			}
		})
	}
}

// TestClockRepeatedSmallSetbacks: setting the clock back by just under the tolerance again and
// again cannot hold device time still: the setbacks add up to a rollback, and the trial ends after
// its 60 days of true time, to the minute.
func TestClockRepeatedSmallSetbacks(t *testing.T) {
	w := newSimWorld(t, simTrial)
	w.run(simTrial.length()+10*day/simScale(), time.Minute, func() {
		if w.mono%(64*time.Minute) == 0 {
			w.setWall(w.wall.Add(-(DefaultRollbackTolerance - time.Second)))
		}
	})
	if w.granted > simTrial.length() {
		t.Errorf("the trial granted %v with repeated small setbacks; want at most its %v", w.granted, simTrial.length())
	}
	if !w.dev.Grant().Rollback() {
		t.Error("setbacks that add up to more than the tolerance are not a rollback")
	}
}

// TestDeviceRollback: the clock set back more than the tolerance below the highest time seen ends
// the trial and fixed-term files at once and is reported; permanent files are unaffected; moving
// the clock forward again restores only what is still within its real term.
func TestDeviceRollback(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	r.install(permanentFile(t, "PERM", devT0))
	demoEnd := devT0.Add(20 * day)
	r.install(devFile(t, devHostA, "DEMO", Demo, devT0, demoEnd, Line{Part: "DEMO-ALL", Kind: Flag, Qty: 1}))
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	r.take()

	// Ten days in, set back by exactly the tolerance: not a rollback.
	mark := devT0.Add(10 * day)
	clock.Set(mark)
	r.tick()
	clock.Set(mark.Add(-DefaultRollbackTolerance))
	r.tick()
	if g := r.dev.Grant(); g.Rollback() || !g.Has("DEMO-ALL") {
		t.Fatalf("back by one tolerance: %v", g)
	}
	// One second further: a rollback.
	clock.Set(mark.Add(-DefaultRollbackTolerance - time.Second))
	r.tick()
	g := r.dev.Grant()
	if !g.Rollback() || g.Has("DEMO-ALL") || g.Mode() != ModeLicensed || g.Count("BE107585") != 20 {
		t.Fatalf("back by more: %v; want the permanent file alone", g)
	}
	if diff := cmp.Diff([]string{"rollback"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// Back by a year: still a rollback, reported once.
	clock.Set(mark.Add(-365 * day))
	r.tick()
	if diff := cmp.Diff([]string(nil), r.take()); diff != "" {
		t.Errorf("a second setback while rolled back (-want +got):\n%s", diff)
	}
	// A restart does not forget it.
	r.reopen()
	if diff := cmp.Diff([]string{"rollback"}, r.take()); diff != "" {
		t.Errorf("changes at restart (-want +got):\n%s", diff)
	}
	if err := r.dev.StartTrial(); err != nil {
		t.Errorf("StartTrial while the trial is suspended = %v, want nil (it runs)", err)
	}
	// Clock corrected, still within the demo's term: what is left of it comes back.
	clock.Set(mark.Add(time.Hour))
	r.tick()
	if g := r.dev.Grant(); g.Rollback() || !g.Has("DEMO-ALL") || !g.Until().Equal(demoEnd) {
		t.Errorf("clock corrected: %v", g)
	}
	if diff := cmp.Diff([]string{"clock restored"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// Past the demo's end, set back to the middle of it, then forward to just after the end: the
	// demo stays expired, and so does the trial after its real end.
	clock.Set(devT0.Add(61 * day))
	r.tick()
	clock.Set(devT0.Add(5 * day))
	r.tick()
	clock.Set(devT0.Add(61*day + time.Second))
	r.tick()
	g = r.dev.Grant()
	if g.Has("DEMO-ALL") || g.Mode() != ModeLicensed || g.Rollback() {
		t.Errorf("after the round trip: %v; want the permanent file alone", g)
	}
	if diff := cmp.Diff([]string{"expired DEMO", "expired", "rollback", "clock restored"}, r.take()); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestDeviceRollbackTrialNotExtended: time spent rolled back still counts: the trial ends at its real
// end, not later by the time the clock was behind.
func TestDeviceRollbackTrialNotExtended(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	clock.Set(devT0.Add(50 * day))
	r.tick()
	clock.Set(devT0) // back 50 days
	r.tick()
	if r.dev.Grant().Mode() != ModeUnlicensed {
		t.Fatalf("rolled back: %v, want unlicensed", r.dev.Grant())
	}
	if err := r.dev.StartTrial(); err != nil {
		t.Fatalf("StartTrial during rollback of a started trial: %v", err)
	}
	clock.Set(devT0.Add(59 * day))
	r.tick()
	if g := r.dev.Grant(); g.Mode() != ModeTrial || !g.TrialEnd().Equal(devT0.Add(60*day)) {
		t.Errorf("clock corrected at day 59: %v, trial end %v", g, g.TrialEnd())
	}
}

func TestDeviceStartTrialDuringRollback(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	clock.Set(devT0.Add(-day))
	if err := r.dev.StartTrial(); !errors.Is(err, ErrRollback) {
		t.Errorf("StartTrial with the clock set back = %v, want ErrRollback", err)
	}
	if r.dev.Grant().Mode() != ModeUnlicensed {
		t.Error("a refused StartTrial changed the grant")
	}
}

// TestRestartsBeforeTheSaveGainNothing: device time is saved every RollbackTolerance/2 of progress,
// and a restart resumes it the restart lease (that interval plus MaxTickInterval) ahead of the last
// save, the most it can have reached. Restarting every four minutes, before any save but the one
// at start-up, with the clock set back four minutes or to just within the tolerance of device
// time, must not hold device time back. (These run with elapsed time taken from the fake clock;
// sim_test.go plays the same with a monotonic clock.)
func TestRestartsBeforeTheSaveGainNothing(t *testing.T) {
	attacks := []struct {
		name     string
		afterRun func(r *devRig, clock *devClock) // after four minutes, before the restart
		afterOn  func(r *devRig, clock *devClock) // after the restart
	}{
		{"back four minutes", func(r *devRig, c *devClock) { c.Add(-4 * time.Minute) }, func(*devRig, *devClock) {}},
		{"just within the tolerance", func(*devRig, *devClock) {}, func(r *devRig, c *devClock) {
			c.Set(r.dev.Grant().At().Add(-DefaultRollbackTolerance))
		}},
	}
	for _, tt := range attacks {
		t.Run(tt.name, func(t *testing.T) {
			clock := newDevClock(devT0)
			r := newRig(t, &memState{}, clock)
			if err := r.dev.StartTrial(); err != nil {
				t.Fatal(err)
			}
			var real time.Duration
			for real < 2*day {
				for range 4 {
					clock.Add(time.Minute)
					real += time.Minute
					r.dev.Tick()
					g := r.dev.Grant()
					if low := devT0.Add(real); !g.Rollback() && g.At().Before(low) {
						t.Fatalf("after %v of restarts every four minutes device time is %v and not held; want at least %v",
							real, g.At().Sub(devT0), low.Sub(devT0))
					}
				}
				tt.afterRun(r, clock)
				r.reopen()
				tt.afterOn(r, clock)
			}
		})
	}
	// Honest restarts with the clock right are never taken for a rollback. One that takes at least
	// the restart lease costs nothing: device time stays within the tolerance behind the clock
	// (a reading less than the tolerance ahead at start-up is not believed at once). Quicker ones
	// move device time ahead of the clock by at most the lease each.
	for _, down := range []time.Duration{restartLease(DefaultRollbackTolerance), time.Minute} {
		t.Run(fmt.Sprintf("honest, restarts taking %v", down), func(t *testing.T) {
			clock := newDevClock(devT0)
			r := newRig(t, &memState{}, clock)
			if err := r.dev.StartTrial(); err != nil {
				t.Fatal(err)
			}
			r.take()
			for i := range 200 {
				clock.Add(down)
				r.reopen()
				r.tick()
				g := r.dev.Grant()
				ahead := restartLease(DefaultRollbackTolerance) - down
				if g.Rollback() || g.Mode() != ModeTrial || g.At().Before(clock.Now().Add(-DefaultRollbackTolerance)) ||
					g.At().After(clock.Now().Add(time.Duration(i+1)*ahead)) {
					t.Fatalf("restart %d at %v: %v, device time %v", i, clock.Now().Sub(devT0), g, g.At().Sub(devT0))
				}
				if diff := cmp.Diff([]string(nil), r.take()); diff != "" {
					t.Fatalf("restart %d: changes (-want +got):\n%s", i, diff)
				}
			}
			if end := r.dev.Grant().TrialEnd(); !end.Equal(devT0.Add(60 * day)) {
				t.Errorf("trial end %v, want %v", end, devT0.Add(60*day))
			}
		})
	}
}
