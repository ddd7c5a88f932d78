package license

import "time"

// DefaultRollbackTolerance is the RollbackTolerance of a DeviceConfig that leaves it zero.
const DefaultRollbackTolerance = 10 * time.Minute

// DefaultTrialLength is the TrialLength of a DeviceConfig that leaves it zero: the 60 days of the
// SV8100 trial.
const DefaultTrialLength = 60 * 24 * time.Hour

// catchUp sets how fast the high-water mark moves while the clock reads below it: at 1-1/catchUp of
// the clock's pace. See clockState.observe.
const catchUp = 64

// clockState is the device's view of time: device time (the high-water mark), the highest clock
// reading seen, and the previous reading of this run. Device time, against which every expiry is
// measured, never goes back. Within a run it equals the highest reading seen, except while it
// catches up after a small setback; after a restart it may be ahead of every reading (see
// Device.load: it resumes at the most it can have reached before the restart).
type clockState struct {
	hw   time.Time     // device time (high-water mark); never decreases
	seen time.Time     // highest clock reading seen; at most hw
	last time.Time     // previous reading in this run; zero before the first
	tol  time.Duration // how far below hw a reading may be without being a rollback
}

// observe takes one clock reading and reports whether the clock is rolled back: more than tol below
// the high-water mark.
//
// A reading above the mark raises it. While the clock reads below a reading it showed before but
// within the tolerance of the mark (it was set back a little), each forward step of the clock moves
// the mark on by 63/64 of the step, or up to the clock if that is more. So setbacks within the
// tolerance add up: setting the clock back again and again cannot hold device time still (the most
// it gains is 1/64 of the time that passes), their sum beyond the tolerance is a rollback, and a
// clock that an NTP correction left slightly behind converges back to the mark instead of drifting
// towards a false rollback. While the clock is rolled back the mark stays where it is until the
// clock passes it again. A clock between the highest reading and a mark that a restart put ahead
// of it is not behind: the mark waits for it.
func (c *clockState) observe(now time.Time) (rolledBack bool) {
	behind := !c.last.IsZero() && c.last.Before(c.seen) && !c.rolledBack(c.last)
	switch {
	case behind && now.After(c.last):
		step := now.Sub(c.last)
		c.hw = c.hw.Add(step - step/catchUp)
		if c.hw.Before(now) {
			c.hw = now
		}
		c.seen = c.hw
	case now.After(c.hw):
		c.hw, c.seen = now, now
	case now.After(c.seen):
		c.seen = now
	}
	c.last = now
	return c.rolledBack(now)
}

// rolledBack reports whether now is more than the tolerance below the mark.
func (c *clockState) rolledBack(now time.Time) bool {
	return now.Before(c.hw.Add(-c.tol))
}

// persistInterval is how far the mark may advance before the state is saved again: half the
// tolerance, between a minute and an hour. A restart resumes device time at the saved highest
// reading plus this (or the saved mark, if more), so it never loses any of the mark.
func persistInterval(tol time.Duration) time.Duration {
	return min(max(tol/2, time.Minute), time.Hour)
}

// markerInterval is how far the mark may advance before the trial marker's floor is raised.
const markerInterval = 24 * time.Hour

// readClock reads the injected clock as a wall-clock time: the monotonic reading is dropped (a clock
// set back must compare as earlier, which monotonic readings would hide) and the result is UTC.
func readClock(clock func() time.Time) time.Time {
	return clock().Round(0).UTC()
}
