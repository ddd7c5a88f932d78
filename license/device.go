package license

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// MaxInstalledFiles is the most files a device holds at once.
const MaxInstalledFiles = 32

// DeviceConfig configures [OpenDevice]. Each field says what its zero value means.
type DeviceConfig struct {
	// Host is what the device observes of itself: its system and its own hardware key code (the
	// primary's or the secondary's), and where the code is virtual the IP, MAC, computer name,
	// domain or product key it was derived from. Required: a zero System or Code is refused. The
	// state is sealed to System and Code, so a state moved to another host is rejected.
	Host Host
	// Keyring holds the vendor keys license files and time tokens must be signed with. Required:
	// nil is refused.
	Keyring *signing.Keyring
	// State is where the device keeps its files, trial start and clock across restarts: [DirState],
	// [SplitState] or a firmware store. Required: nil is refused.
	State State
	// Secret is the firmware's secret for sealing the state, at least 16 bytes, the same on every
	// boot of every device of the product and never stored beside the state. Required: a nil or
	// short secret is refused.
	Secret []byte
	// Clock returns the current time: the wall clock, which a user or a flat battery can set to
	// anything. It must return the true instant (any location; a clock that keeps local time and
	// is read as UTC jumps at every daylight saving change). Nil means time.Now.
	Clock func() time.Time
	// Elapsed returns the monotonic time since an origin fixed for the process: it only moves
	// forward, nobody can set it, and a restart of the process starts it again. Device time
	// advances by at least the time it measures while the device runs, so a wall clock that is
	// slowed, frozen or set back between readings gains nothing. The device counts from its first
	// reading in OpenDevice. Nil means Go's monotonic clock, unless Clock is set: then elapsed time
	// is taken from Clock (the forward moves of its readings), so that a simulation or an example
	// that moves a fake clock keeps working; that gives up the protection against a slowed or
	// frozen clock and against forward glitches within MaxClockLead, so a firmware sets neither.
	Elapsed func() time.Duration
	// EarliestPlausible is the earliest time a clock reading can be: a reading before it is never
	// believed, on the first boot included (a PBX whose real-time clock lost its battery reads
	// 2000-01-01 or 1970-01-01). A firmware sets its own build time. Zero means
	// 2025-01-01T00:00:00Z, a time before this version of the package was written.
	EarliestPlausible time.Time
	// MaxClockLead is how far ahead of device time a clock reading can be and still be believed:
	// a reading further ahead (2099-01-01 from a flat battery) is never believed without a vendor
	// time token. It bounds how long a device can be switched off and still take the clock's word
	// for the time when it starts again. Zero means DefaultMaxClockLead (366 days); negative is
	// refused.
	MaxClockLead time.Duration
	// Rand is the source of the nonces of time challenges ([Device.TimeChallenge]). Nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// TrialSet is what the trial grants while it runs. The zero Set means the device has no trial:
	// StartTrial returns ErrNoTrial.
	TrialSet Set
	// TrialLength is how long the trial runs from StartTrial. Zero means DefaultTrialLength (60
	// days); negative is refused.
	TrialLength time.Duration
	// RollbackTolerance is how far the clock may read below device time before it counts as set
	// back; it also sets how often device time is saved (every RollbackTolerance/2, between two
	// minutes and an hour) and so what a restart costs (see [State]). Zero means
	// DefaultRollbackTolerance (10 minutes); negative is refused.
	RollbackTolerance time.Duration
	// OnChange, when not nil, is called for every change of the grant, in order, before the call
	// that caused it returns (for changes seen at start-up, before OpenDevice returns). It runs
	// while the device is locked: it may call Grant and Files, but no other method of the device.
	// Nil means changes are not reported.
	OnChange func(Change)
}

// String summarises the configuration for logs: the host and the settings, never the secret.
func (c DeviceConfig) String() string {
	var b strings.Builder
	b.WriteString("license.DeviceConfig{Host: ")
	b.WriteString(string(c.Host.System) + " " + strconv.Quote(c.Host.Code.String()))
	fmt.Fprintf(&b, ", Secret: %d bytes", len(c.Secret))
	if c.Keyring == nil {
		b.WriteString(", Keyring: nil")
	}
	if c.State == nil {
		b.WriteString(", State: nil")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"Clock", c.Clock != nil}, {"Elapsed", c.Elapsed != nil}, {"Rand", c.Rand != nil}, {"OnChange", c.OnChange != nil}} {
		if f.set {
			b.WriteString(", " + f.name + ": set")
		}
	}
	if !c.EarliestPlausible.IsZero() {
		b.WriteString(", EarliestPlausible: " + c.EarliestPlausible.UTC().Format(time.RFC3339))
	}
	if c.MaxClockLead != 0 {
		b.WriteString(", MaxClockLead: " + c.MaxClockLead.String())
	}
	if c.TrialSet.Len() > 0 {
		b.WriteString(", TrialSet: " + c.TrialSet.String())
	}
	if c.TrialLength != 0 {
		b.WriteString(", TrialLength: " + c.TrialLength.String())
	}
	if c.RollbackTolerance != 0 {
		b.WriteString(", RollbackTolerance: " + c.RollbackTolerance.String())
	}
	return b.String() + "}"
}

// GoString is String: %#v never prints the secret.
func (c DeviceConfig) GoString() string { return c.String() }

// Device is the license engine of one device (PBX firmware): the files installed on it, its trial and
// its clock. Its methods are safe for concurrent use; [Device.Grant] never blocks.
//
// A firmware calls [OpenDevice] at start-up, answers every "may I?" with Grant().Count, Version or
// Has on the call-processing path (one atomic load and one map lookup, no lock, no allocation),
// calls [Device.Tick] from a timer at least every [MaxTickInterval] (a minute) and at
// Grant().Until(), [Device.StartTrial] when the installer sets 90-55-01 to 1, and [Device.Install]
// and [Device.Remove] from its management interface. Every change is reported to
// DeviceConfig.OnChange with its [Reason].
//
// What the grant holds: the lines of every active file stacked (see [Stack]; each software key code
// counts once), or, while no file is active and the trial runs, the trial set, or nothing
// (unlicensed: only the firmware's unlicensed features remain). Permanent files never expire and
// never look at the clock. Demo, service and temporary files grant from Issued until NotAfter and
// the grant then falls back to what the other files give.
//
// # Time
//
// Every term is measured in device time, kept in the sealed state. Device time advances by the
// monotonic time that passes while the device runs (DeviceConfig.Elapsed), whatever the wall clock
// (DeviceConfig.Clock) reads, and never goes back: a clock slowed, frozen or set back gains
// nothing. It follows the clock forward only where nothing contradicts the move:
//
//   - At start-up the device cannot know how long it was off, so the first clock reading that is
//     plausible and not a rollback is believed when it is more than RollbackTolerance ahead of
//     device time.
//   - While the device runs, a reading ahead of device time that the monotonic clock does not
//     confirm is a glitch: device time does not follow it ([ReasonClockGlitch] is reported when it
//     is more than RollbackTolerance ahead). Only a jump that holds, reading after reading and
//     steady against the monotonic clock, for [ForwardJumpHold] (24 hours) of monotonic time is
//     followed ([ReasonClockJump]); a reading back at or below device time ends the watch. No
//     reading more than MaxClockLead ahead is ever accepted without a vendor time token.
//
// The plausibility rule: a reading is plausible when it is not before EarliestPlausible and not
// more than MaxClockLead (366 days) ahead of device time (a device without any state takes any
// reading up to 20 years after EarliestPlausible). An implausible reading is ignored, and reported
// once per run of them. A device that starts without a plausible reading (its real-time clock lost
// its battery, or reads a year far off device time) knows no time: it holds its time-limited
// grants ([HoldTimeUnknown]) until the clock reads a plausible time or a vendor time token
// ([Device.ApplyTimeToken]) arrives; permanent files grant all along.
//
// Rollback: a plausible reading more than RollbackTolerance below the reference (the highest time
// confirmed, which advances with the monotonic clock, less 1/1024 for clock drift, and which a
// restart resumes as saved) is a rollback: the trial and every demo, service and temporary file stop
// granting at once ([HoldRollback], [ReasonRollback]), and installing a fixed-term file or starting
// the trial is refused, until the clock is corrected. Device time runs on meanwhile, so what was held
// is not given back later: when the clock is corrected, each term grants again for what is left of
// it.
//
// Restarts: device time is saved every RollbackTolerance/2 of its progress (five minutes by
// default; between two minutes and an hour), and a restart resumes it that interval plus
// MaxTickInterval ahead of the last save, the most it can have reached, and saves at once. So
// restarting, however often and whatever the clock reads, never holds device time back; the cost
// to an honest device is that a restart that takes less than that interval (six minutes by default)
// since the last save moves device time ahead of the true time by the difference. See [State] for
// the writes this costs.
//
// What a device cannot prove without trusted time: that time passed while it was switched off. A
// device that is off, and whose clock is set back to where it stopped before it starts, spends its
// terms only while it runs. Its terms still never grant for longer than their length, and a
// fixed-term file never grants for more than its length after its Issued time.
//
// # State
//
// See [State], [DirState] and [SplitState]. The state record and the trial marker are sealed with
// XChaCha20-Poly1305 under a key derived with HKDF-SHA256 from DeviceConfig.Secret and the host's
// system and code, so an edited, truncated or transplanted record fails to open. Both records carry
// a generation and device time and are written together (the state first, then the marker; on a
// device that has neither, the marker first), so an older copy of the state put back is
// recognised, and deleting either loses no time. A state the device cannot trust is reported
// ([ReasonStateInvalid]) and never grants more than the last good one: a state whose marker is
// missing or damaged may be an older copy, so it starts no trial and its time-limited grants wait
// for a vendor time token ([HoldUnconfirmed]); an invalid or older state is dropped with its files,
// and the trial and device time come from the marker. The package documentation has the table of
// what each deletion or restore achieves. Writes go through State.Save, which [DirState] makes
// atomic; a failed save changes nothing in memory, and while device time cannot be saved
// time-limited grants stop once the last save no longer covers it ([HoldNotSaved]).
//
// # Vendor time
//
// A vendor time token (see [TimeToken]) answers a challenge the device makes
// ([Device.TimeChallenge]) and confirms the time after a boot that could not know it, lifts the
// hold of a state that could not be confirmed, pulls device time back from a forward glitch by at
// most the allowance the vendor put in it, and can re-arm a trial the vendor grants again. Without
// a token the device never grants more time than before.
//
// Hardware replacement ("License Transfer in case of Hardware Replacement"): a new CPU has a new
// key code, so the old CPU's files and state do not apply to it. It starts with its own empty state;
// a state carried over from the old CPU is sealed to the old code, is rejected, and counts the trial
// as used. While the files for the new code are being issued the partner runs the new CPU's trial,
// or installs a demo or service file issued for the new code.
type Device struct {
	host     Host
	kr       *signing.Keyring
	state    State
	sealer   *sealer
	clock    func() time.Time
	elapsed  func() time.Duration // nil: derived from clock
	rand     io.Reader
	trialSet Set
	trialLen time.Duration
	onChange func(Change)

	// grant is what the hot path reads. The fields above it never change after OpenDevice; the
	// padding keeps the fields below, which writers change, off its cache line.
	grant atomic.Pointer[Grant]
	_     [64]byte
	view  atomic.Pointer[[]InstalledFile] // Files, published with each grant

	mu          sync.Mutex
	files       []*installed // install order
	ck          clockState
	trialStart  time.Time
	trialVoid   bool
	unconfirmed bool      // time-limited grants wait for a vendor time token
	challenge   []byte    // the open time challenge's nonce; nil when none
	challengeAt time.Time // device time when it was made
	gen         uint64    // generation of the last state saved (or read)
	savedDev    time.Time // device time in the last state saved (the next save is due a persist interval on)
	savedRef    time.Time // the reference in the last state saved
	markerFirst bool      // no marker and no state that can be trusted: the next save writes the marker first
	markerDev   time.Time // device time in the last marker saved (or read): a restart after the state is lost resumes from it
	markerTrial time.Time // the trial start in the last marker saved (or read)
	stateDirty  bool      // the state must be saved at the next chance
	markerDirty bool      // the marker must be saved at the next chance
	saveErr     error     // the last save that failed, until one succeeds
	hold        Hold      // as of the last evaluation
	allFiles    *Set      // when not nil, the stack of every file in files (set by Install)
	status      map[string]FileStatus
	trialActive bool
	superseded  []supersession // what superseding files said (supersede.go), kept in the state
}

type installed struct {
	signed   []byte
	file     *File
	mismatch bool // the binding no longer holds for the observed host (checked at open)
}

// OpenDevice opens the device's state, checks it, reads the clocks, and publishes the first grant.
//
// What the state cannot vouch for is not trusted: files kept in the state are verified again
// against Keyring (one that no longer verifies is dropped and reported), and a state or marker that
// is missing, edited, truncated, older than the other or made for another host is reported with
// [ReasonStateInvalid] and never grants more than the last good state did (see [DirState] for what
// each case restores). Errors are returned only for a configuration that is refused and for a State
// that fails to read for a reason other than "nothing saved". A failure to write the state here is
// not fatal: it is reported ([ReasonNotSaved]), time-limited grants wait, and the next
// [Device.Tick] tries again and returns the error.
func OpenDevice(cfg DeviceConfig) (*Device, error) {
	switch {
	case cfg.Host.System == "" || cfg.Host.Code.IsZero():
		return nil, errors.New("license: device config: no host system or code")
	case cfg.Keyring == nil:
		return nil, errors.New("license: device config: nil keyring")
	case cfg.State == nil:
		return nil, errors.New("license: device config: nil state")
	case cfg.TrialLength < 0:
		return nil, errors.New("license: device config: negative trial length")
	case cfg.RollbackTolerance < 0:
		return nil, errors.New("license: device config: negative rollback tolerance")
	case cfg.MaxClockLead < 0:
		return nil, errors.New("license: device config: negative clock lead")
	}
	sl, err := newSealer(cfg.Secret, cfg.Host)
	if err != nil {
		return nil, err
	}
	d := &Device{
		host:     cfg.Host,
		kr:       cfg.Keyring,
		state:    cfg.State,
		sealer:   sl,
		clock:    cfg.Clock,
		elapsed:  cfg.Elapsed,
		rand:     cfg.Rand,
		trialSet: cfg.TrialSet,
		trialLen: cfg.TrialLength,
		onChange: cfg.OnChange,
		status:   map[string]FileStatus{},
	}
	if d.elapsed == nil {
		if d.clock != nil {
			d.ck.derive = true
		} else {
			start := time.Now()
			d.elapsed = func() time.Duration { return time.Since(start) }
		}
	}
	if d.clock == nil {
		d.clock = time.Now
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.trialLen == 0 {
		d.trialLen = DefaultTrialLength
	}
	d.ck.tol = cfg.RollbackTolerance
	if d.ck.tol == 0 {
		d.ck.tol = DefaultRollbackTolerance
	}
	d.ck.lead = cfg.MaxClockLead
	if d.ck.lead == 0 {
		d.ck.lead = DefaultMaxClockLead
	}
	d.ck.earliest = cfg.EarliestPlausible.UTC()
	if cfg.EarliestPlausible.IsZero() {
		d.ck.earliest = defaultEarliestPlausible
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	changes, err := d.load()
	if err != nil {
		return nil, err
	}
	if d.elapsed != nil {
		d.ck.lastE = d.elapsed() // counted from here on
	}
	now, ev := d.read()
	changes = append(changes, d.clockChange(ev, now)...)
	d.flush() // best effort; reported through the hold, and Tick retries and returns it
	changes = append(changes, d.evaluate(now, true)...)
	d.notify(changes)
	return d, nil
}

// read reads the two clocks and observes them.
func (d *Device) read() (time.Time, clockEvent) {
	now := readClock(d.clock)
	var e time.Duration
	if d.elapsed != nil {
		e = d.elapsed()
	}
	return now, d.ck.observe(now, e)
}

// clockChange reports what a reading showed, if anything.
func (d *Device) clockChange(ev clockEvent, now time.Time) []Change {
	switch ev {
	case clockGlitch, clockImplausible:
		return []Change{{Reason: ReasonClockGlitch, At: now, Err: d.ck.eventErr(ev, now)}}
	case clockJumped:
		return []Change{{Reason: ReasonClockJump, At: now, Err: d.ck.eventErr(ev, now)}}
	}
	return nil
}

// load reads and checks the state and the marker and sets the device's fields from them.
func (d *Device) load() ([]Change, error) {
	sb, sMissing, err := loadRecord(d.state.Load)
	if err != nil {
		return nil, fmt.Errorf("license: reading device state: %w", err)
	}
	mb, mMissing, err := loadRecord(d.state.LoadMarker)
	if err != nil {
		return nil, fmt.Errorf("license: reading trial marker: %w", err)
	}
	var (
		st         *stateRecord
		mr         *markerRecord
		sErr, mErr error
	)
	if !sMissing {
		st, sErr = d.sealer.openState(sb)
	}
	if !mMissing {
		mr, mErr = d.sealer.openMarker(mb)
	}
	if st != nil && mr != nil && st.Gen < mr.Gen {
		sErr = &stateError{what: "device state", err: fmt.Errorf("generation %d is older than the trial marker's %d (an older copy was put back)", st.Gen, mr.Gen)}
		st = nil
	}
	var problems []string
	switch {
	case st != nil && mr != nil:
		// The marker is written right after the state, so it may be one generation behind (a
		// cut between the two writes). More is an older copy of the marker: the newer state
		// wins, and the marker is rewritten from it.
		if st.Gen > mr.Gen+1 {
			problems = append(problems, fmt.Sprintf("trial marker of generation %d is older than the device state's %d (an older copy was put back); rewritten from the device state", mr.Gen, st.Gen))
		}
	case st != nil:
		what := "trial marker missing"
		if mErr != nil {
			what = detail(mErr)
		}
		msg := what + ": the device state may be an older copy, so its trial and fixed-term files wait for a vendor time token"
		if st.TrialStart == 0 && !st.TrialVoid {
			msg += ", and the trial, never started in it, cannot start unless a token re-arms it"
		}
		if !st.Unconfirmed {
			problems = append(problems, msg)
		}
		d.unconfirmed = true
		if st.TrialStart == 0 {
			d.trialVoid = true
		}
	case mr != nil:
		// A cut after the first marker a new device writes, before its first state: nothing lost.
		firstCut := sMissing && mr.Gen == 1 && mr.TrialStart == 0 && !mr.TrialVoid && !mr.Unconfirmed
		if !firstCut {
			what := "device state missing"
			if sErr != nil {
				what = detail(sErr)
			}
			problems = append(problems, what+"; installed files dropped (install them again); the trial and device time restored from the trial marker")
		}
	case sMissing && mMissing:
		// A new device (or one whose whole state was deleted: indistinguishable).
	default:
		var whats []string
		for _, e := range []error{sErr, mErr} {
			if e != nil {
				whats = append(whats, detail(e))
			}
		}
		if sMissing {
			whats = append(whats, "device state missing")
		}
		if mMissing {
			whats = append(whats, "trial marker missing")
		}
		problems = append(problems, strings.Join(whats, "; ")+"; nothing can be trusted: no files, and the trial counts as used")
		d.trialVoid = true
	}
	d.markerFirst = st == nil && mr == nil

	var (
		changes  []Change
		dev, ref time.Time
	)
	if st != nil {
		d.gen = st.Gen
		dev, ref = fromNanos(st.HighWater), fromNanos(st.Seen)
		if st.Seen == 0 {
			ref = dev
		}
		d.trialStart = fromNanos(st.TrialStart)
		d.trialVoid = d.trialVoid || st.TrialVoid
		d.unconfirmed = d.unconfirmed || st.Unconfirmed
		d.superseded = st.Superseded
		for i, signed := range st.Files {
			f, err := Open(signed, d.kr)
			if err != nil {
				changes = append(changes, Change{Reason: ReasonRemoved, Err: fmt.Errorf("license: installed file %d of %d (activation code %s) no longer opens, and is dropped: %w",
					i+1, len(st.Files), ActivationCode(signed), err)})
				d.stateDirty = true
				continue
			}
			in := &installed{signed: signed, file: f}
			if err := f.Check(d.host, f.Issued); errors.Is(err, ErrHostMismatch) {
				in.mismatch = true
			}
			d.files = append(d.files, in)
		}
	} else {
		d.stateDirty = true
	}
	if mr != nil {
		d.gen = max(d.gen, mr.Gen)
		mdev, mref := fromNanos(mr.HighWater), fromNanos(mr.Floor)
		if mr.V == 1 {
			// A version 1 marker kept only the highest reading, written once a day: without
			// the state, device time may have run up to a day past it.
			mdev = mref
			if st == nil {
				mdev = mref.Add(markerIntervalV1)
			}
		}
		dev, ref = later(dev, mdev), later(ref, mref)
		d.markerDev = mdev
		if ts := fromNanos(mr.TrialStart); !ts.IsZero() && (d.trialStart.IsZero() || ts.Before(d.trialStart)) {
			d.trialStart = ts
		}
		d.markerTrial = fromNanos(mr.TrialStart)
		d.trialVoid = d.trialVoid || mr.TrialVoid
		d.unconfirmed = d.unconfirmed || mr.Unconfirmed
		d.challenge, d.challengeAt = mr.Challenge, fromNanos(mr.ChallengeAt)
		if mr.Gen != d.gen || mr.V != recordVersion || mr.TrialStart != nanos(d.trialStart) || mr.TrialVoid != d.trialVoid || mr.Unconfirmed != d.unconfirmed {
			d.markerDirty = true
		}
	} else {
		d.markerDirty = true
	}
	if st != nil && (st.TrialStart != nanos(d.trialStart) || st.TrialVoid != d.trialVoid || st.Unconfirmed != d.unconfirmed) {
		d.stateDirty = true
	}

	d.ck.booting = true
	if dev.IsZero() {
		// No device time at all: the first plausible reading sets it.
		d.ck.fresh = true
		d.ck.dev, d.ck.ref = d.ck.earliest, d.ck.earliest
	} else {
		// Resume at the most device time can have reached before the restart, and save at once
		// (the save is due when device time reaches savedDev plus the persist interval).
		if ref.After(dev) {
			ref = dev
		}
		d.savedDev, d.savedRef = dev, ref
		d.ck.dev, d.ck.ref = dev.Add(restartLease(d.ck.tol)), ref
	}
	for _, p := range problems {
		changes = append(changes, Change{Reason: ReasonStateInvalid, Err: fmt.Errorf("%w: %s", ErrStateInvalid, p)})
	}
	return changes, nil
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// detail is an error's message without the package prefix, to be quoted inside another message.
func detail(err error) string { return strings.TrimPrefix(err.Error(), "license: ") }

// Grant returns the current grant: one atomic load, no lock, no allocation. It is never nil.
func (d *Device) Grant() *Grant { return d.grant.Load() }

// Files lists the installed files in install order, with their status at the last evaluation. The
// result is a copy. It does not take the device's lock.
func (d *Device) Files() []InstalledFile {
	v := d.view.Load()
	if v == nil {
		return nil
	}
	out := make([]InstalledFile, len(*v))
	for i, f := range *v {
		cp := *f.File
		cp.Lines = slices.Clone(f.File.Lines)
		out[i] = InstalledFile{File: &cp, Signed: slices.Clone(f.Signed), Status: f.Status}
	}
	return out
}

// Install installs a license file in any form a user holds it, recognised by content (see
// [ReadInput]): the signed file, its armored text, the <HWKC>-svi.zip (every file in it, a
// location's permanent and fixed-term files, all or none), or the BX/OVOC zip (from a redundant
// pair's zip, the file bound to this host). Anything else is refused with an
// [*InputError] that names the form it saw. It verifies the file against the keyring, checks that
// it is bound to this host and within its term at device time (see [Device]), saves the new state
// atomically, and publishes the new grant.
//
// A fixed-term file issued for later is accepted and starts granting at its Issued time (so two
// demo files can run back to back). A file whose serial is installed already replaces it when it was
// issued at the same time or later; the very same bytes again change nothing. Across files, each
// software key code counts once (the newest file's line wins), so a regenerated file, which repeats
// every activated line of the location, replaces the lines of the one before instead of doubling
// them; lines without a software key code always stack. A file that supersedes its series (format
// version 2, [File.Supersedes]) removes the installed files it supersedes ([ReasonSuperseded]),
// and the device refuses them afterwards with [ErrSuperseded], also once the newer file is removed
// or the device restarts: so a line left out of the newer file (a revoked entitlement) stops
// granting.
//
// Install refuses, changing nothing: a file that does not open ([Open]'s errors), is bound to
// another host ([ErrHostMismatch]), has expired at device time ([ErrExpired]), is fixed-term while
// time-limited grants are held (the hold's error: [ErrRollback], [ErrTimeUnknown] or [ErrNotSaved];
// see [Grant.Hold]), would not stack with the installed files ([ErrInvalid]), is older than the
// installed file of the same serial, or would exceed MaxInstalledFiles or MaxStateSize; and any
// failure to save the state (where only the final flush of the directory failed, the new state may
// still be found after a restart). Once the state is saved the file is installed; if the trial marker
// then fails to save, the next Tick tries again and returns that error.
func (d *Device) Install(data []byte) error {
	files, form, err := ReadInput(data)
	if err != nil {
		return fmt.Errorf("license: install: %w", err)
	}
	if form != InputBXZip || len(files) == 1 {
		// One file, or a location's current files in one <HWKC>-svi.zip: all of them, or none.
		return d.install(files)
	}
	// A redundant BX/OVOC pair's zip: each file is bound to its own machine; install this one's.
	var mismatch error
	for _, signed := range files {
		f, err := Open(signed, d.kr)
		if err != nil {
			return fmt.Errorf("license: install from the %s: %w", form, err)
		}
		if err := f.Check(d.host, f.Issued); errors.Is(err, ErrHostMismatch) {
			mismatch = err
			continue
		}
		return d.install([][]byte{signed})
	}
	return fmt.Errorf("license: install: none of the %d files in the %s is bound to this host: %w", len(files), form, mismatch)
}

// install installs signed files (Install, once the input's form is read) with one state save: if
// any of them is refused, none is installed.
func (d *Device) install(signeds [][]byte) error {
	opened := make([]*File, len(signeds))
	for i, signed := range signeds {
		f, err := Open(signed, d.kr)
		if err != nil {
			return err
		}
		opened[i] = f
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now, ev := d.read()
	clockChanges := d.clockChange(ev, now)
	dev := d.ck.dev
	files := slices.Clone(d.files)
	mem := d.superseded
	var added, dropped []string
	for i, f := range opened {
		signed := signeds[i]
		// The binding first (checked at the file's own Issued time, so the term cannot fail),
		// then, for a fixed-term file, whether device time can be trusted, then the term at
		// device time.
		if err := f.Check(d.host, f.Issued); err != nil {
			return fmt.Errorf("license: install %s file %q: %w", f.Term, f.Serial, err)
		}
		if h := d.holdNow(); h != HoldNone && f.Term.FixedTerm() {
			return fmt.Errorf("license: cannot install %s file %q now: %w", f.Term, f.Serial, d.holdErr(h, now))
		}
		if err := f.Check(d.host, dev); errors.Is(err, ErrExpired) {
			return fmt.Errorf("license: install %s file %q: %w: it was valid until %s, and device time is %s",
				f.Term, f.Serial, ErrExpired, f.NotAfter.Format(time.RFC3339), dev.Format(time.RFC3339))
		} else if err != nil && !errors.Is(err, ErrNotYetValid) {
			return fmt.Errorf("license: install %s file %q: %w", f.Term, f.Serial, err)
		}
		if why := supersededBy(f, mem); why != "" {
			return fmt.Errorf("%w: install %q: %s", ErrSuperseded, f.Serial, why)
		}
		in := &installed{signed: bytes.Clone(signed), file: f}
		if j := slices.IndexFunc(files, func(x *installed) bool { return x.file.Serial == f.Serial }); j >= 0 {
			old := files[j]
			if bytes.Equal(old.signed, signed) && !old.mismatch {
				continue // the very same bytes again change nothing
			}
			if f.Issued.Before(old.file.Issued) {
				return fmt.Errorf("license: install %q: issued %s, before the installed file of the same serial (%s)",
					f.Serial, f.Issued.Format(time.RFC3339), old.file.Issued.Format(time.RFC3339))
			}
			files[j] = in
		} else {
			if len(files) >= MaxInstalledFiles {
				return fmt.Errorf("license: install %q: the device holds %d files already; remove one first", f.Serial, len(files))
			}
			files = append(files, in)
		}
		var gone []string
		var err error
		if files, gone, mem, err = supersede(f, files, mem, dev); err != nil {
			return err
		}
		added, dropped = append(added, f.Serial), append(dropped, gone...)
	}
	if len(added) == 0 {
		return nil
	}
	all, err := stackFiles(files, func(*installed) bool { return true })
	if err != nil {
		return fmt.Errorf("license: install %s: does not stack with the installed files: %w", quoteSerials(added), err)
	}
	kept := d.superseded
	d.superseded = mem
	if err := d.saveState(files, d.trialStart); err != nil {
		d.superseded = kept
		return fmt.Errorf("license: install %s: %w", quoteSerials(added), err)
	}
	d.files = files
	d.allFiles = &all
	d.flush()
	changes := clockChanges
	for _, s := range added {
		changes = append(changes, Change{Reason: ReasonInstalled, Serial: s, At: now})
	}
	for _, s := range dropped {
		delete(d.status, s)
		changes = append(changes, Change{Reason: ReasonSuperseded, Serial: s, At: now})
	}
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return nil
}

// quoteSerials is serials quoted and joined for a message.
func quoteSerials(serials []string) string {
	q := make([]string, len(serials))
	for i, s := range serials {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Remove uninstalls the file with the given serial, saves the state and publishes the new grant. An
// unknown serial returns an error matching [ErrNotInstalled]; a failure to save changes nothing.
func (d *Device) Remove(serial string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.find(serial)
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrNotInstalled, serial)
	}
	now, ev := d.read()
	files := slices.Delete(slices.Clone(d.files), i, i+1)
	if err := d.saveState(files, d.trialStart); err != nil {
		return fmt.Errorf("license: remove %q: %w", serial, err)
	}
	d.files = files
	delete(d.status, serial)
	d.flush()
	changes := append(d.clockChange(ev, now), Change{Reason: ReasonRemoved, Serial: serial, At: now})
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return nil
}

// Tick reads the clocks and re-evaluates the grant: files and the trial that reached their end stop
// granting, files issued for later start, and a clock set back (or corrected again), a glitch or a
// clock that is not plausible is detected. Each change is reported through OnChange. The firmware
// calls Tick from its timer at least every [MaxTickInterval] (a minute) and at Grant().Until().
// Tick also saves device time when due; the error it returns is a failure to save, and the grant
// is re-evaluated all the same.
func (d *Device) Tick() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now, ev := d.read()
	changes := d.clockChange(ev, now)
	err := d.flush()
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return err
}

func (d *Device) find(serial string) int {
	for i, f := range d.files {
		if f.file.Serial == serial {
			return i
		}
	}
	return -1
}

func (d *Device) notify(changes []Change) {
	if d.onChange == nil {
		return
	}
	g := d.grant.Load()
	for _, c := range changes {
		if c.Grant == nil {
			c.Grant = g
		}
		d.onChange(c)
	}
}

// saveState seals and saves a state record for the given files and trial start at the current
// device time; on success the device's saved generation and device time move on and the marker is
// due. A device with no marker that can be trusted writes the marker (with the new generation)
// first, so that a cut between the two writes never leaves a state without its marker. On failure
// nothing in memory changes.
func (d *Device) saveState(files []*installed, trialStart time.Time) error {
	r := &stateRecord{
		Gen:         d.gen + 1,
		HighWater:   nanos(d.ck.dev),
		Seen:        nanos(d.ck.ref),
		TrialStart:  nanos(trialStart),
		TrialVoid:   d.trialVoid,
		Unconfirmed: d.unconfirmed,
		Superseded:  d.superseded,
	}
	for _, f := range files {
		r.Files = append(r.Files, f.signed)
	}
	b, err := d.sealer.sealState(r)
	if err != nil {
		return err
	}
	if len(b) > MaxStateSize {
		return fmt.Errorf("license: device state would be %d bytes, over %d", len(b), MaxStateSize)
	}
	if d.markerFirst {
		if err := d.writeMarker(r.Gen, d.ck.dev, d.ck.ref, trialStart); err != nil {
			d.saveErr = err
			return err
		}
		d.markerFirst = false
	}
	if err := d.state.Save(b); err != nil {
		d.saveErr = fmt.Errorf("license: saving device state: %w", err)
		return d.saveErr
	}
	d.gen = r.Gen
	d.savedDev, d.savedRef = d.ck.dev, d.ck.ref
	d.stateDirty = false
	d.markerDirty = true
	return nil
}

// writeMarker seals and saves the trial marker for generation gen.
func (d *Device) writeMarker(gen uint64, dev, ref, trialStart time.Time) error {
	r := &markerRecord{
		Gen:         gen,
		Floor:       nanos(ref),
		HighWater:   nanos(dev),
		TrialStart:  nanos(trialStart),
		TrialVoid:   d.trialVoid,
		Unconfirmed: d.unconfirmed,
		Challenge:   d.challenge,
		ChallengeAt: nanos(d.challengeAt),
	}
	b, err := d.sealer.sealMarker(r)
	if err != nil {
		return err
	}
	if err := d.state.SaveMarker(b); err != nil {
		return fmt.Errorf("license: saving trial marker: %w", err)
	}
	d.markerDev, d.markerTrial = dev, trialStart
	return nil
}

// saveMarker saves the trial marker for the last state saved.
func (d *Device) saveMarker() error {
	if err := d.writeMarker(d.gen, d.savedDev, d.savedRef, d.trialStart); err != nil {
		d.saveErr = err
		return err
	}
	d.markerDirty = false
	return nil
}

// flush saves the state when it is dirty or device time has moved on by the persist interval, and
// then the marker when it is due.
func (d *Device) flush() error {
	if d.stateDirty || !d.ck.dev.Before(d.savedDev.Add(persistInterval(d.ck.tol))) {
		if err := d.saveState(d.files, d.trialStart); err != nil {
			return err
		}
	}
	if d.markerDirty {
		if err := d.saveMarker(); err != nil {
			return err
		}
	}
	d.saveErr = nil
	return nil
}

// holdNow says why time-limited grants are held now, if they are.
func (d *Device) holdNow() Hold {
	switch {
	case d.unconfirmed:
		return HoldUnconfirmed
	case !d.ck.known:
		return HoldTimeUnknown
	case d.ck.rolled:
		return HoldRollback
	case d.ck.dev.After(d.markerDev.Add(restartLease(d.ck.tol))) || !d.markerTrial.Equal(d.trialStart):
		// The protected record no longer covers device time (or the trial start): deleting the
		// state now would give time back.
		return HoldNotSaved
	}
	return HoldNone
}

// holdErr describes a hold, for errors and Change.Err.
func (d *Device) holdErr(h Hold, now time.Time) error {
	switch h {
	case HoldRollback:
		return fmt.Errorf("%w: the clock reading %s is %s behind device time %s, more than the tolerance (%s); correct the clock",
			ErrRollback, now.Format(time.RFC3339), d.ck.dev.Sub(now).Round(time.Second), d.ck.dev.Format(time.RFC3339), d.ck.tol)
	case HoldTimeUnknown:
		return fmt.Errorf("%w: no plausible clock reading since start-up: the clock reading %s is not from %s up to %s ahead of device time %s; set the clock or apply a vendor time token",
			ErrTimeUnknown, now.Format(time.RFC3339), d.ck.earliest.Format(time.RFC3339), d.ck.lead, d.ck.dev.Format(time.RFC3339))
	case HoldUnconfirmed:
		return fmt.Errorf("%w: the device state could not be confirmed by its trial marker (it may be an older copy): apply a vendor time token",
			ErrTimeUnknown)
	case HoldNotSaved:
		if d.saveErr != nil {
			return fmt.Errorf("%w: %v", ErrNotSaved, d.saveErr)
		}
		return fmt.Errorf("%w: device time %s is not saved in the trial marker yet", ErrNotSaved, d.ck.dev.Format(time.RFC3339))
	}
	return nil
}

// evaluate computes the grant at device time, publishes it with the file view, and returns the
// changes since the last evaluation. initial is true at start-up, where only a hold is reported.
func (d *Device) evaluate(now time.Time, initial bool) []Change {
	dev := d.ck.dev
	hold := d.holdNow()
	held := hold != HoldNone
	var changes []Change
	if hold != d.hold || initial {
		switch {
		case hold == HoldRollback:
			changes = append(changes, Change{Reason: ReasonRollback, At: now, Err: d.holdErr(hold, now)})
		case hold == HoldTimeUnknown:
			changes = append(changes, Change{Reason: ReasonTimeUnknown, At: now, Err: d.holdErr(hold, now)})
		case hold == HoldNotSaved:
			changes = append(changes, Change{Reason: ReasonNotSaved, At: now, Err: d.holdErr(hold, now)})
		case hold == HoldNone && !initial:
			changes = append(changes, Change{Reason: ReasonClockRestored, At: now})
		}
	}
	d.hold = hold

	var until time.Time
	due := func(t time.Time) {
		if t.After(dev) && (until.IsZero() || t.Before(until)) {
			until = t
		}
	}
	status := make(map[string]FileStatus, len(d.files))
	view := make([]InstalledFile, 0, len(d.files))
	var hasTerm [Temporary + 1]bool
	anyActive, nActive := false, 0
	for _, f := range d.files {
		st := fileStatus(f, dev, held)
		status[f.file.Serial] = st
		view = append(view, InstalledFile{File: f.file, Signed: f.signed, Status: st})
		if st == FileActive {
			anyActive = true
			nActive++
			hasTerm[f.file.Term] = true
		}
		if f.file.Term.FixedTerm() && !f.mismatch {
			due(f.file.Issued)
			due(f.file.NotAfter)
		}
	}

	var trialEnd time.Time
	switch {
	case d.trialVoid:
		trialEnd = time.Unix(0, 0).UTC()
	case !d.trialStart.IsZero():
		trialEnd = d.trialStart.Add(d.trialLen)
		if !hasTerm[Permanent] {
			due(trialEnd) // with a permanent file active the trial's end changes nothing
		}
	}
	trialActive := !d.trialVoid && !d.trialStart.IsZero() && dev.Before(trialEnd) && !held

	var (
		set  Set
		mode Mode
	)
	switch {
	case anyActive && nActive == len(d.files) && d.allFiles != nil:
		set = *d.allFiles
	case anyActive:
		set, _ = stackFiles(d.files, func(f *installed) bool { return status[f.file.Serial] == FileActive })
	}
	d.allFiles = nil
	switch {
	case anyActive:
		switch {
		case hasTerm[Demo]:
			mode = ModeDemo
		case hasTerm[Service]:
			mode = ModeService
		case hasTerm[Temporary]:
			mode = ModeTemporary
		default:
			mode = ModeLicensed
		}
	case trialActive:
		set, mode = d.trialSet, ModeTrial
	default:
		mode = ModeUnlicensed
	}
	g := newGrant(set)
	g.mode, g.at, g.until, g.trialEnd, g.hold = mode, dev, until, trialEnd, hold

	if !initial {
		serials := make([]string, 0, len(status))
		for s := range status {
			serials = append(serials, s)
		}
		sort.Strings(serials)
		for _, s := range serials {
			old, ok := d.status[s]
			st := status[s]
			switch {
			case !ok || old == st:
			case st == FileExpired:
				changes = append(changes, Change{Reason: ReasonExpired, Serial: s, At: now})
			case st == FileActive && old == FilePending:
				changes = append(changes, Change{Reason: ReasonStarted, Serial: s, At: now})
			}
		}
		if d.trialActive && !trialActive && !dev.Before(trialEnd) {
			changes = append(changes, Change{Reason: ReasonExpired, At: now})
		}
	}
	d.status = status
	d.trialActive = trialActive
	d.view.Store(&view)
	d.grant.Store(g)
	return changes
}

// fileStatus is the status of an installed file at device time dev.
func fileStatus(f *installed, dev time.Time, held bool) FileStatus {
	switch {
	case f.mismatch:
		return FileHostMismatch
	case !f.file.Term.FixedTerm():
		return FileActive
	case !dev.Before(f.file.NotAfter):
		return FileExpired
	case dev.Before(f.file.Issued):
		return FilePending
	case held:
		return FileSuspended
	}
	return FileActive
}

// stackFiles stacks the lines of the files for which use is true. Each software key code counts once,
// taken from the newest file (latest Issued, then latest installed). A file whose lines do not stack
// with those of newer files is left out (Install never lets that happen; this guards a state written
// by another version).
func stackFiles(files []*installed, use func(*installed) bool) (Set, error) {
	order := make([]int, 0, len(files))
	for i, f := range files {
		if use(f) {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		fa, fb := files[order[a]].file, files[order[b]].file
		if !fa.Issued.Equal(fb.Issued) {
			return fa.Issued.After(fb.Issued)
		}
		return order[a] > order[b]
	})
	// Fast path: everything stacks.
	if s, err := Stack(dedupe(files, order, nil)...); err == nil {
		return s, nil
	}
	// Slow path: add file by file, newest first, leaving out a file that does not stack.
	var (
		kept     []int
		firstErr error
	)
	for _, i := range order {
		if _, err := Stack(dedupe(files, append(kept, i), nil)...); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("file %q: %w", files[i].file.Serial, err)
			}
			continue
		}
		kept = append(kept, i)
	}
	s, err := Stack(dedupe(files, kept, nil)...)
	if err != nil {
		return Set{}, err
	}
	return s, firstErr
}

// dedupe appends to lines the lines of files[order...], skipping a software key code seen before.
func dedupe(files []*installed, order []int, lines []Line) []Line {
	n := 0
	for _, i := range order {
		n += len(files[i].file.Lines)
	}
	lines = slices.Grow(lines, n)
	if len(order) == 1 {
		return append(lines, files[order[0]].file.Lines...) // one file: nothing to skip
	}
	seen := make(map[string]struct{}, n)
	for _, i := range order {
		for _, l := range files[i].file.Lines {
			if l.SKC != "" {
				if _, ok := seen[l.SKC]; ok {
					continue
				}
				seen[l.SKC] = struct{}{}
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// String describes the device for logs: host and current grant.
func (d *Device) String() string {
	return string(d.host.System) + " " + strconv.Quote(d.host.Code.String()) + ": " + d.Grant().String()
}

// GoString is a summary too: %#v never prints the device's files, keys or secrets.
func (d *Device) GoString() string { return "license.Device(" + d.String() + ")" }
