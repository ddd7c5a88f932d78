package license

import (
	"fmt"
	"time"
)

// StartTrial starts the trial: programming command 90-55-01 set to 1 on an SV8100. The trial grants
// DeviceConfig.TrialSet for TrialLength (60 days unless configured), counted in device time from
// this call, once per device lifetime, whenever no file is active and time-limited grants are not
// held (see [Grant.Hold]).
//
// Calling it while the trial runs (or is held) changes nothing and returns nil; it never restarts
// the countdown. It returns an error matching [ErrTrialUsed] once the trial has ended, or counts as
// used because the state was lost or could not be confirmed (a vendor time token can re-arm it:
// see [TimeToken]); [ErrNoTrial] for a device without a trial; and, while time-limited grants are
// held, the hold's error ([ErrRollback], [ErrTimeUnknown], [ErrNotSaved]). The start is saved in
// the state and then in the trial marker before the trial grants; if the state cannot be saved
// nothing changes, and if only the marker cannot be saved StartTrial returns that error and the
// trial, started, waits until a [Device.Tick] saves the marker ([HoldNotSaved]).
func (d *Device) StartTrial() error {
	if d.trialSet.Len() == 0 {
		return ErrNoTrial
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now, ev := d.read()
	dev := d.ck.dev
	switch {
	case d.trialVoid:
		return fmt.Errorf("%w: the device state was lost or could not be confirmed, so the trial counts as used (a vendor time token can re-arm it)", ErrTrialUsed)
	case !d.trialStart.IsZero():
		end := d.trialStart.Add(d.trialLen)
		if dev.Before(end) {
			return nil
		}
		return fmt.Errorf("%w: it ran from %s to %s in device time", ErrTrialUsed, d.trialStart.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	if h := d.holdNow(); h != HoldNone && h != HoldNotSaved {
		return fmt.Errorf("license: cannot start the trial now: %w", d.holdErr(h, now))
	}
	if err := d.saveState(d.files, dev); err != nil {
		return fmt.Errorf("license: start trial: %w", err)
	}
	d.trialStart = dev
	err := d.flush()
	changes := append(d.clockChange(ev, now), Change{Reason: ReasonTrialStarted, At: now})
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	if err != nil {
		return fmt.Errorf("license: start trial: the start is saved in the device state, but the trial waits until the trial marker is saved too (Tick retries): %w", err)
	}
	return nil
}
