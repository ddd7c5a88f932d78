package license

import (
	"fmt"
	"time"
)

// StartTrial starts the trial: programming command 90-55-01 set to 1 on an SV8100. The trial grants
// DeviceConfig.TrialSet for TrialLength (60 days unless configured), counted in device time from
// this call, once per device lifetime, whenever no file is active.
//
// Calling it while the trial runs changes nothing and returns nil; it never restarts the countdown.
// It returns an error matching [ErrTrialUsed] once the trial has ended (or counts as used because the
// state was lost), [ErrNoTrial] for a device without a trial, and [ErrRollback] while the clock is set
// back. The start is saved in the state and then in the trial marker before the trial is granted;
// if the state cannot be saved nothing changes, and if only the marker cannot be saved the trial
// runs and the next [Device.Tick] tries the marker again.
func (d *Device) StartTrial() error {
	if d.trialSet.Len() == 0 {
		return ErrNoTrial
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := readClock(d.clock)
	rolled := d.ck.observe(now)
	eff := d.ck.hw
	switch {
	case d.trialVoid:
		return fmt.Errorf("%w: the device state was lost, so the trial counts as used", ErrTrialUsed)
	case !d.trialStart.IsZero():
		end := d.trialStart.Add(d.trialLen)
		if eff.Before(end) {
			return nil
		}
		return fmt.Errorf("%w: it ran from %s to %s", ErrTrialUsed, d.trialStart.Format(time.RFC3339), end.Format(time.RFC3339))
	case rolled:
		return fmt.Errorf("%w: cannot start the trial until the clock is corrected (it reads %s, device time is %s)",
			ErrRollback, now.Format(time.RFC3339), eff.Format(time.RFC3339))
	}
	// The trial starts at the highest clock reading, which device time can be ahead of for a few
	// minutes after a restart (see clockState): the trial then still lasts its full length.
	start := d.ck.seen
	if err := d.saveState(d.files, start); err != nil {
		return fmt.Errorf("license: start trial: %w", err)
	}
	d.trialStart = start
	d.markerDirty = true
	d.flush()
	changes := []Change{{Reason: ReasonTrialStarted, At: now}}
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return nil
}
