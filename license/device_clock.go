package license

import (
	"fmt"
	"time"
)

// DefaultRollbackTolerance is the RollbackTolerance of a DeviceConfig that leaves it zero.
const DefaultRollbackTolerance = 10 * time.Minute

// DefaultTrialLength is the TrialLength of a DeviceConfig that leaves it zero: the 60 days of the
// SV8100 trial.
const DefaultTrialLength = 60 * 24 * time.Hour

// defaultEarliestPlausible is the EarliestPlausible of a DeviceConfig that leaves it zero: the
// start of 2025, before this version of the package was written. It never changes.
var defaultEarliestPlausible = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultMaxClockLead is the MaxClockLead of a DeviceConfig that leaves it zero: a year and a day.
const DefaultMaxClockLead = 366 * 24 * time.Hour

// ForwardJumpHold is how long a forward jump of the clock while the device runs must hold, in
// monotonic time, before device time follows it (see [Device], "Time").
const ForwardJumpHold = 24 * time.Hour

// MaxTickInterval is the longest a firmware may let pass between two calls of [Device.Tick]. The
// device saves its state often enough that a restart, at any moment, resumes device time at or
// beyond every device time a grant was published at, provided the firmware ticks at least this
// often.
const MaxTickInterval = time.Minute

// firstBootLead bounds the readings a device without any state believes: at most this far after
// EarliestPlausible.
const firstBootLead = 20 * 366 * 24 * time.Hour

// refSlack sets how much slower than the monotonic clock the reference (the reading setbacks are
// measured against) advances: 1/refSlack, about 1000 ppm, far more than a clock crystal drifts, so
// that a wall clock that keeps its own time a little slower than the monotonic clock is never
// taken for a clock set back.
const refSlack = 1024

// persistInterval is how far device time may advance before the state is saved again: half the
// tolerance, between two minutes and an hour (five minutes by default).
func persistInterval(tol time.Duration) time.Duration {
	return min(max(tol/2, 2*time.Minute), time.Hour)
}

// restartLease is how far beyond the device time last saved a restart resumes: the persist
// interval plus MaxTickInterval, the most device time can have reached (and a grant been in force
// at) before the process stopped. It is the persistence bound: the most a restart costs an honest
// device (less the time the restart itself takes).
func restartLease(tol time.Duration) time.Duration { return persistInterval(tol) + MaxTickInterval }

// markerIntervalV1 is how often the previous record version wrote the trial marker's clock floor.
const markerIntervalV1 = 24 * time.Hour

// clockEvent is what one reading showed beyond the hold: a reading device time did not follow,
// or a forward jump it followed after it held.
type clockEvent uint8

const (
	clockNone        clockEvent = iota
	clockGlitch                 // a forward jump that the monotonic clock does not confirm: not followed (yet)
	clockImplausible            // a reading outside the plausible window: ignored
	clockJumped                 // a forward jump that held for ForwardJumpHold: followed
)

// clockState is the device's view of time.
//
// Device time (dev) is what every term is measured in. It advances by the monotonic time that
// passes while the device runs, whatever the wall clock does, and never goes back (only a vendor
// time token may pull it back). It follows the wall clock forward only where nothing contradicts
// the move: at start-up, where the time the device was off is unknown, the first plausible reading
// that is not a rollback is believed when it is more than the tolerance ahead; while running, a
// reading ahead of device time is a glitch until it has held, against the monotonic clock, for
// ForwardJumpHold.
//
// The reference (ref) is what a reading is compared with to call it a rollback: the highest time
// confirmed (monotonic progress, and readings at or below device time), advancing with the
// monotonic clock less 1/refSlack (with elapsed time taken from the wall clock, at its pace). It is
// at most dev, and a restart resumes it as saved, so restarting cannot reset it.
type clockState struct {
	dev time.Time // device time
	ref time.Time // the reference for setbacks; at most dev

	tol      time.Duration // RollbackTolerance
	lead     time.Duration // MaxClockLead
	earliest time.Time     // EarliestPlausible

	// The run.
	lastE     time.Duration // last monotonic reading
	fresh     bool          // no state and no reading believed yet: no device time to compare with
	booting   bool          // no reading believed since start-up
	known     bool          // a plausible reading since start-up (or a time token)
	rolled    bool          // the last plausible reading was more than tol below ref
	badStreak bool          // the last reading was implausible (reported once per streak)
	pending   bool          // a forward jump is being watched
	pendOff   time.Duration // its offset: reading since earliest, less the monotonic reading
	pendSince time.Duration // the monotonic reading when it was first seen

	// derive: elapsed time comes from the wall clock's forward moves (Clock injected, Elapsed
	// nil); lastW is the previous reading that counted.
	derive bool
	lastW  time.Time
}

// plausible reports whether a reading can be believed at all: not before EarliestPlausible, and not
// more than MaxClockLead ahead of device time (with no state yet, not more than firstBootLead after
// EarliestPlausible).
func (c *clockState) plausible(now time.Time) bool {
	if now.Before(c.earliest) {
		return false
	}
	if c.fresh {
		return !now.After(c.earliest.Add(firstBootLead))
	}
	return !now.After(c.dev.Add(c.lead))
}

// advance moves device time and the reference on to the monotonic reading e.
func (c *clockState) advance(e time.Duration) {
	if e <= c.lastE {
		return // an injected clock that went back: nothing passed
	}
	step := e - c.lastE
	c.lastE = e
	c.dev = c.dev.Add(step)
	if c.derive {
		c.ref = c.ref.Add(step) // the wall clock cannot drift from itself
	} else {
		c.ref = c.ref.Add(step - step/refSlack)
	}
}

// observe takes one reading of the wall clock (now) and of the monotonic clock (e), and returns
// what it showed beside the rollback state.
func (c *clockState) observe(now time.Time, e time.Duration) clockEvent {
	ok := c.plausible(now)
	if c.derive {
		// Without a monotonic clock, elapsed time is the forward moves of readings that can be
		// believed: a reading set back does not count, nor the way back up to where it was.
		e = c.lastE
		if ok && !c.rolledBack(now) {
			if !c.lastW.IsZero() && now.After(c.lastW) {
				e += now.Sub(c.lastW)
			}
			c.lastW = now
		}
	}
	c.advance(e)
	if !ok {
		if c.badStreak {
			return clockNone
		}
		c.badStreak = true
		return clockImplausible
	}
	c.badStreak, c.known = false, true
	if c.rolledBack(now) {
		c.rolled, c.pending = true, false
		return clockNone
	}
	c.rolled = false
	if c.booting {
		c.booting = false
		if c.fresh || now.After(c.dev.Add(c.tol)) {
			c.fresh = false
			c.dev, c.ref, c.pending = now, now, false
			return clockNone
		}
	}
	if !now.After(c.dev) {
		c.pending = false
		if now.After(c.ref) {
			c.ref = now
		}
		return clockNone
	}
	// Ahead of device time: followed only once it has held against the monotonic clock.
	c.ref = c.dev
	off := now.Sub(c.earliest) - e
	if !c.pending || (off-c.pendOff).Abs() > c.tol {
		c.pending, c.pendOff, c.pendSince = true, off, e
		if now.After(c.dev.Add(c.tol)) {
			return clockGlitch
		}
		return clockNone
	}
	if e-c.pendSince < ForwardJumpHold {
		return clockNone
	}
	big := now.After(c.dev.Add(c.tol))
	c.dev, c.ref, c.pending = now, now, false
	if big {
		return clockJumped
	}
	return clockNone
}

// rolledBack reports whether now is more than the tolerance below the reference.
func (c *clockState) rolledBack(now time.Time) bool { return now.Before(c.ref.Add(-c.tol)) }

// readClock reads the injected clock as a wall-clock time: the monotonic reading is dropped (a clock
// set back must compare as earlier, which monotonic readings would hide) and the result is UTC.
func readClock(clock func() time.Time) time.Time {
	return clock().Round(0).UTC()
}

// eventErr describes what a reading showed, for Change.Err.
func (c *clockState) eventErr(ev clockEvent, now time.Time) error {
	switch ev {
	case clockGlitch:
		return fmt.Errorf("license: the clock reading %s is %s ahead of device time %s, which the monotonic clock does not confirm: device time follows it only if it holds for %s",
			now.Format(time.RFC3339), now.Sub(c.dev).Round(time.Second), c.dev.Format(time.RFC3339), ForwardJumpHold)
	case clockImplausible:
		return fmt.Errorf("license: the clock reading %s is not plausible (before %s or more than %s ahead of device time %s): ignored",
			now.Format(time.RFC3339), c.earliest.Format(time.RFC3339), c.lead, c.dev.Format(time.RFC3339))
	case clockJumped:
		return fmt.Errorf("license: device time moved forward to the clock reading %s, which held for %s", now.Format(time.RFC3339), ForwardJumpHold)
	}
	return nil
}
