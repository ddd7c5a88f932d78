package license

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClockStateObserve checks the high-water logic on its own, reading by reading.
func TestClockStateObserve(t *testing.T) {
	const tol = 10 * time.Minute
	type step struct {
		at     time.Duration // reading, relative to devT0
		wantHW time.Duration
		rolled bool
	}
	tests := []struct {
		name  string
		why   string
		steps []step
	}{
		{"forward", "readings above the mark raise it", []step{{0, 0, false}, {time.Hour, time.Hour, false}}},
		{"back by one tolerance", "exactly the tolerance below the mark is still fine", []step{{time.Hour, time.Hour, false}, {time.Hour - tol, time.Hour, false}}},
		{"back by more", "a second more than the tolerance is a rollback", []step{{time.Hour, time.Hour, false}, {time.Hour - tol - time.Second, time.Hour, true}}},
		{"catch up at 63/64", "after a small setback the mark moves on with the clock, a little slower",
			[]step{{time.Hour, time.Hour, false}, {time.Hour - 5*time.Minute, time.Hour, false}, {time.Hour - 5*time.Minute + 64*time.Second, time.Hour + 63*time.Second, false}}},
		{"setback is paid off", "a minute set back is paid off at 1/64 of the clock's pace, even past the mark",
			[]step{{time.Hour, time.Hour, false}, {time.Hour - time.Minute, time.Hour, false}, {2 * time.Hour, time.Hour + 61*time.Minute - 61*time.Minute/64, false}, {64 * time.Hour, 64 * time.Hour, false}}},
		{"setbacks add up", "two setbacks of just under the tolerance, ten minutes apart, are one rollback",
			[]step{{time.Hour, time.Hour, false}, {time.Hour - tol + time.Second, time.Hour, false}, {time.Hour + time.Second, time.Hour + tol - tol/64, false}, {time.Hour + 2*time.Second - tol, time.Hour + tol - tol/64, true}}},
		{"rolled back stays until corrected", "a clock left back keeps the rollback while the mark moves on",
			[]step{{48 * time.Hour, 48 * time.Hour, false}, {0, 48 * time.Hour, true}, {64 * time.Minute, 48 * time.Hour, true}, {48*time.Hour + 63*time.Minute, 48*time.Hour + 63*time.Minute, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clockState{tol: tol}
			for i, s := range tt.steps {
				rolled := c.observe(devT0.Add(s.at))
				if got := c.hw.Sub(devT0); got != s.wantHW || rolled != s.rolled {
					t.Errorf("step %d (%v): mark %v rolled %v; want %v %v (%s)", i, s.at, got, rolled, s.wantHW, s.rolled, tt.why)
				}
			}
		})
	}
}

// TestClockRepeatedSmallSetbacks: setting the clock back by just under the tolerance each time the
// mark has caught up must not hold device time still: the 60-day trial still ends, at most 1/63 late.
func TestClockRepeatedSmallSetbacks(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	if err := r.dev.StartTrial(); err != nil {
		t.Fatal(err)
	}
	const tol = DefaultRollbackTolerance
	const wait = catchUp * tol // how long the mark takes to catch up a setback of tol
	real := time.Duration(0)   // time that really passed
	for r.dev.Grant().Mode() == ModeTrial {
		clock.Add(-(tol - time.Second))
		r.tick()
		for i := 0; i < 64; i++ {
			clock.Add(wait / 64)
			real += wait / 64
			r.tick()
		}
		if r.dev.Grant().Rollback() {
			t.Fatal("setbacks within the tolerance, each caught up, were reported as a rollback")
		}
		if real > 70*day {
			t.Fatal("the trial outlived 70 days of real time with repeated small setbacks")
		}
	}
	if limit := 60*day + 60*day/63 + wait; real > limit {
		t.Errorf("trial lasted %v of real time, more than %v", real, limit)
	}
	if real < 60*day {
		t.Errorf("trial lasted only %v of real time", real)
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

// TestRestartsBeforeTheSaveGainNothing: the highest time seen is saved every RollbackTolerance/2 of
// progress, so a restart could forget up to that much. Restarting every four minutes and setting the
// clock back four minutes (within the tolerance) must not hold device time still: after a restart
// device time resumes where it can have got to at most (the saved mark plus the save interval).
// Honest restarts in a row, with the clock right, cost nothing and are never taken for a rollback.
func TestRestartsBeforeTheSaveGainNothing(t *testing.T) {
	// Whatever the clock reads, device time must keep up with real time (less 1/64 and the
	// tolerance) whenever the grant is not suspended for a rollback.
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
					if low := devT0.Add(real - real/64 - DefaultRollbackTolerance); !g.Rollback() && g.At().Before(low) {
						t.Fatalf("after %v of restarts every four minutes device time is %v and not suspended; want at least %v",
							real, g.At().Sub(devT0), low.Sub(devT0))
					}
				}
				tt.afterRun(r, clock)
				r.reopen()
				tt.afterOn(r, clock)
			}
		})
	}
	t.Run("honest", func(t *testing.T) {
		clock := newDevClock(devT0)
		r := newRig(t, &memState{}, clock)
		if err := r.dev.StartTrial(); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			clock.Add(time.Duration(i%7) * time.Minute)
			r.reopen()
			r.tick()
			if g := r.dev.Grant(); g.Rollback() || g.Mode() != ModeTrial || g.At().After(clock.Now().Add(persistInterval(DefaultRollbackTolerance))) {
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
