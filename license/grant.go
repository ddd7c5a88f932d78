package license

import (
	"strconv"
	"time"
)

// Mode says where a device's current grant comes from.
type Mode uint8

// The modes of a [Grant]. When files of several terms are active at once, Mode names the first of
// demo, service, temporary, licensed that applies.
const (
	// ModeUnlicensed: no file is active and no trial runs; only unlicensed features work.
	ModeUnlicensed Mode = iota
	// ModeLicensed: permanent files only.
	ModeLicensed
	// ModeTrial: no file is active and the trial runs; the grant is DeviceConfig.TrialSet.
	ModeTrial
	// ModeDemo: at least one demo file is active.
	ModeDemo
	// ModeService: at least one service file is active (and no demo file).
	ModeService
	// ModeTemporary: at least one temporary (fixed-term) file is active (and no demo or service
	// file).
	ModeTemporary
)

var modeNames = [...]string{"unlicensed", "licensed", "trial", "demo", "service", "temporary"}

// String returns the mode's lower-case name.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Grant is what a device may do at one moment: an immutable snapshot that [Device.Grant] returns
// with one atomic load. Any number of goroutines may read it; it never changes. A new snapshot is
// published when a file is installed or removed, the trial starts, or time (see [Device.Tick])
// ends or starts something. The methods are safe on a nil *Grant, which grants nothing.
type Grant struct {
	counts   map[string]int // the Count parts of set, for the hot path
	set      Set
	mode     Mode
	until    time.Time
	at       time.Time
	trialEnd time.Time
	hold     Hold
}

// Count returns the stacked quantity of a Count part (0 when absent). It does not allocate.
func (g *Grant) Count(part string) int {
	if g == nil {
		return 0
	}
	return g.counts[part]
}

// Version returns the highest version of a Version part (0 when absent).
func (g *Grant) Version(part string) int {
	if g == nil {
		return 0
	}
	return g.set.Version(part)
}

// Has reports whether the grant holds part under any kind.
func (g *Grant) Has(part string) bool {
	if g == nil {
		return false
	}
	return g.set.Has(part)
}

// Set returns everything the grant holds.
func (g *Grant) Set() Set {
	if g == nil {
		return Set{}
	}
	return g.set
}

// Mode says where the grant comes from.
func (g *Grant) Mode() Mode {
	if g == nil {
		return ModeUnlicensed
	}
	return g.mode
}

// Until returns the device time at which the grant next changes by itself (a file or the trial ends,
// or a file issued for later starts), or the zero time when nothing is due. The firmware should call
// [Device.Tick] then.
func (g *Grant) Until() time.Time {
	if g == nil {
		return time.Time{}
	}
	return g.until
}

// At returns the device time the grant was computed at, never below the highest clock reading
// seen (see [Device]).
func (g *Grant) At() time.Time {
	if g == nil {
		return time.Time{}
	}
	return g.at
}

// TrialEnd returns when the trial ends or ended, or the zero time when it was never started. A trial
// that counts as used up because the state was lost ends at the zero Unix time.
func (g *Grant) TrialEnd() time.Time {
	if g == nil {
		return time.Time{}
	}
	return g.trialEnd
}

// Rollback reports whether the clock reads more than the rollback tolerance below the time the
// device has confirmed (see [Device], "Time"): Hold() == HoldRollback. While it does, the trial and every demo, service and temporary file grant
// nothing.
func (g *Grant) Rollback() bool { return g.Hold() == HoldRollback }

// Hold says whether the device holds its time-limited grants (the trial and every demo, service and
// temporary file), and why: HoldNone when they run. Permanent files grant whatever it says.
func (g *Grant) Hold() Hold {
	if g == nil {
		return HoldNone
	}
	return g.hold
}

// String summarises the grant for logs: mode, hold, until, and the set.
func (g *Grant) String() string {
	if g == nil {
		return "unlicensed"
	}
	s := g.mode.String()
	if g.hold != HoldNone {
		s += " (" + g.hold.String() + ")"
	}
	if !g.until.IsZero() {
		s += " until " + g.until.Format(time.RFC3339)
	}
	if g.set.Len() > 0 {
		s += ": " + g.set.String()
	}
	return s
}

// newGrant builds a grant over set, with the map of counts the hot path reads.
func newGrant(set Set) *Grant {
	g := &Grant{set: set}
	parts := set.Parts()
	g.counts = make(map[string]int, len(parts))
	for _, p := range parts {
		if set.Kind(p) == Count {
			g.counts[p] = set.Count(p)
		}
	}
	return g
}

// Hold says why a device holds its time-limited grants: the trial and every demo, service and
// temporary file wait (they grant nothing, their terms run on in device time) while permanent files
// grant as usual. [Grant.Hold] returns it; [Change] reports when it begins and ends.
type Hold uint8

// The holds, in the order the device checks them (the first that applies is the one reported).
const (
	// HoldNone: time-limited grants run.
	HoldNone Hold = iota
	// HoldUnconfirmed: the device state could not be confirmed by its trial marker (the marker was
	// missing or damaged, so the state may be an older copy). Only a vendor time token
	// ([Device.ApplyTimeToken]) ends it. Errors match [ErrTimeUnknown].
	HoldUnconfirmed
	// HoldTimeUnknown: no plausible clock reading since start-up (see [Device], "Time"). It ends
	// at the first plausible reading or with a vendor time token. Errors match [ErrTimeUnknown].
	HoldTimeUnknown
	// HoldRollback: the clock reads more than RollbackTolerance below the time the device has
	// confirmed (see [Device], "Time"). It ends when the clock is corrected. Errors match [ErrRollback].
	HoldRollback
	// HoldNotSaved: device time has moved past what the trial marker records, or the trial start
	// is not in it yet, because the State fails to save. It ends when a save succeeds. Errors
	// match [ErrNotSaved].
	HoldNotSaved
)

var holdNames = [...]string{"", "state unconfirmed", "time unknown", "clock rolled back", "state not saved"}

// String returns the hold's name ("" for HoldNone).
func (h Hold) String() string {
	if int(h) < len(holdNames) {
		return holdNames[h]
	}
	return "hold(" + strconv.Itoa(int(h)) + ")"
}

// FileStatus is the state of one installed file at the device's current time.
type FileStatus uint8

// The statuses of an installed file.
const (
	// FileActive: the file grants its lines now.
	FileActive FileStatus = iota
	// FilePending: a fixed-term file issued for later; it starts granting at its Issued time.
	FilePending
	// FileExpired: a fixed-term file past its NotAfter; it stays installed until removed and never
	// grants again.
	FileExpired
	// FileSuspended: a fixed-term file within its term while time-limited grants are held (the
	// clock rolled back, the time unknown, the state unconfirmed or not saved: see [Grant.Hold]).
	FileSuspended
	// FileHostMismatch: a file installed earlier that no longer matches what the device observes of
	// its host (an IP address, MAC or name the file is bound to changed). It grants nothing.
	FileHostMismatch
)

var fileStatusNames = [...]string{"active", "pending", "expired", "suspended", "host mismatch"}

// String returns the status's name.
func (s FileStatus) String() string {
	if int(s) < len(fileStatusNames) {
		return fileStatusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// InstalledFile describes one file installed on a device. It prints as a summary (String, also for
// %+v and %#v), never the signed bytes.
type InstalledFile struct {
	// File is a copy of the opened file; changing it changes nothing on the device.
	File *File
	// Signed is a copy of the signed bytes as installed.
	Signed []byte
	// Status is the file's status at the device's current time.
	Status FileStatus
}

// String summarises the file: serial, term, status, validity, number of lines and of signed bytes.
func (f InstalledFile) String() string {
	s := "license.InstalledFile{"
	if f.File == nil {
		s += "no file"
	} else {
		s += strconv.Quote(f.File.Serial) + " " + f.File.Term.String()
		if f.File.Term.FixedTerm() {
			s += " " + f.File.Issued.UTC().Format(time.RFC3339) + " to " + f.File.NotAfter.UTC().Format(time.RFC3339)
		}
		s += ", " + strconv.Itoa(len(f.File.Lines)) + " lines"
	}
	return s + ", " + f.Status.String() + ", " + strconv.Itoa(len(f.Signed)) + " bytes signed}"
}

// GoString is String: %#v never prints the signed bytes.
func (f InstalledFile) GoString() string { return f.String() }

// Reason says why a device's grant changed.
type Reason uint8

// The reasons a [Change] reports.
const (
	// ReasonInstalled: Install accepted the file named by Change.Serial.
	ReasonInstalled Reason = iota + 1
	// ReasonRemoved: Remove took the file away, or a file kept in the state no longer verifies
	// (Change.Err says why) and was dropped at start-up.
	ReasonRemoved
	// ReasonExpired: a fixed-term file (Change.Serial) or, with an empty Serial, the trial reached
	// its end.
	ReasonExpired
	// ReasonStarted: a file issued for later (Change.Serial) reached its Issued time.
	ReasonStarted
	// ReasonTrialStarted: StartTrial started the trial.
	ReasonTrialStarted
	// ReasonRollback: the clock reads more than the tolerance below the time the device has
	// confirmed (see [Device], "Time"); the trial and every fixed-term file are suspended
	// ([HoldRollback]). Change.Err matches [ErrRollback].
	ReasonRollback
	// ReasonClockRestored: a hold ended (the clock is back within the tolerance, it reads a
	// plausible time again, a save succeeded, or a time token confirmed the time); what is still
	// within its term grants again, measured in device time, so nothing outlives its real end.
	ReasonClockRestored
	// ReasonStateInvalid: at start-up the state or the trial marker was missing, edited, truncated,
	// made for another host or older than the other; Change.Err matches [ErrStateInvalid] and says
	// what was restored from where, and what waits for a vendor time token.
	ReasonStateInvalid
	// ReasonTimeUnknown: no plausible clock reading since start-up; time-limited grants wait
	// ([HoldTimeUnknown]). Change.Err matches [ErrTimeUnknown] and quotes the reading.
	ReasonTimeUnknown
	// ReasonClockGlitch: a clock reading device time does not follow: a forward jump the
	// monotonic clock does not confirm, or a reading that is not plausible (reported once per run
	// of them). Change.Err quotes the reading and device time. Nothing else changes.
	ReasonClockGlitch
	// ReasonClockJump: device time followed a forward jump of the clock that held for
	// [ForwardJumpHold]. Change.Err says to what.
	ReasonClockJump
	// ReasonNotSaved: device time cannot be saved and has moved past what the trial marker
	// records; time-limited grants wait ([HoldNotSaved]). Change.Err matches [ErrNotSaved] and
	// carries the State's error.
	ReasonNotSaved
	// ReasonTimeToken: a vendor time token was applied; Change.Serial is the token's serial, and
	// the grant published with the change shows the device time it set.
	ReasonTimeToken
	// ReasonSuperseded: an installed file (Change.Serial) was superseded by the file just
	// installed (format version 2) and removed: it no longer grants.
	ReasonSuperseded
)

var reasonNames = [...]string{"", "installed", "removed", "expired", "started", "trial started", "rollback", "clock restored",
	"state invalid", "time unknown", "clock glitch", "clock jump", "not saved", "time token", "superseded"}

// String returns the reason's name.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Change is one event a device reports through DeviceConfig.OnChange.
type Change struct {
	// Reason says what happened.
	Reason Reason
	// Serial names the file concerned; empty for the trial and for clock and state events.
	Serial string
	// At is the clock reading when the change was seen. The device time it was seen at is that of
	// Grant (Grant.At()).
	At time.Time
	// Err gives detail for ReasonRollback, ReasonStateInvalid, ReasonTimeUnknown,
	// ReasonClockGlitch, ReasonClockJump, ReasonNotSaved, and ReasonRemoved at start-up.
	Err error
	// Grant is the grant published with the change.
	Grant *Grant
}

// String describes the change for logs: the reason, the file's serial (for the trial's end, "trial
// expired"), for a change that time made the device time and the clock reading, and the detail.
func (c Change) String() string {
	s := c.Reason.String()
	switch {
	case c.Serial != "":
		s += " " + strconv.Quote(c.Serial)
	case c.Reason == ReasonExpired:
		s = "trial expired"
	}
	switch c.Reason {
	case ReasonExpired, ReasonStarted, ReasonTrialStarted, ReasonClockRestored, ReasonTimeToken:
		if c.Grant != nil {
			s += " at device time " + c.Grant.At().Format(time.RFC3339)
		}
		if !c.At.IsZero() {
			s += " (the clock reading " + c.At.UTC().Format(time.RFC3339) + ")"
		}
	}
	if c.Err != nil {
		s += ": " + c.Err.Error()
	}
	return s
}
