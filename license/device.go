package license

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// Sentinel errors of the device engine.
var (
	// ErrRollback: the clock reads more than the rollback tolerance below device time (see
	// [Device]). Fixed-term files and the trial are suspended, and installing a fixed-term
	// file or starting the trial is refused, until the clock is corrected.
	ErrRollback = errors.New("license: clock set back")
	// ErrStateInvalid: the device state or trial marker was missing, edited, truncated, made for
	// another host or older than the other. Reported through [Change]; the device goes on with
	// what it can still trust.
	ErrStateInvalid = errors.New("license: device state invalid")
	// ErrNoTrial: StartTrial on a device configured without a trial (an empty TrialSet).
	ErrNoTrial = errors.New("license: device has no trial")
	// ErrTrialUsed: StartTrial after the trial ended, or after lost state made it count as used.
	ErrTrialUsed = errors.New("license: trial already used")
	// ErrNotInstalled: Remove of a serial that is not installed.
	ErrNotInstalled = errors.New("license: file not installed")
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
	// Keyring holds the vendor keys license files must be signed with. Required: nil is refused.
	Keyring *signing.Keyring
	// State is where the device keeps its files, trial start and clock across restarts: [DirState]
	// or a firmware store. Required: nil is refused.
	State State
	// Secret is the firmware's secret for sealing the state, at least 16 bytes, the same on every
	// boot of every device of the product and never stored beside the state. Required: a nil or
	// short secret is refused.
	Secret []byte
	// Clock returns the current time. Nil means time.Now.
	Clock func() time.Time
	// TrialSet is what the trial grants while it runs. The zero Set means the device has no trial:
	// StartTrial returns ErrNoTrial.
	TrialSet Set
	// TrialLength is how long the trial runs from StartTrial. Zero means DefaultTrialLength (60
	// days); negative is refused.
	TrialLength time.Duration
	// RollbackTolerance is how far the clock may read below device time before it counts
	// as set back. Zero means DefaultRollbackTolerance (10 minutes); negative is refused. Below one
	// minute, a restart can suspend the trial and fixed-term files for up to a minute (device time
	// resumes up to a minute ahead of the clock; see Device).
	RollbackTolerance time.Duration
	// OnChange, when not nil, is called for every change of the grant, in order, before the call
	// that caused it returns (for changes seen at start-up, before OpenDevice returns). It runs
	// while the device is locked: it may call Grant and Files, but not Install, Remove, StartTrial
	// or Tick. Nil means changes are not reported.
	OnChange func(Change)
}

// Device is the license engine of one device (PBX firmware): the files installed on it, its trial and
// its clock. Its methods are safe for concurrent use; [Device.Grant] never blocks.
//
// A firmware calls [OpenDevice] at start-up, answers every "may I?" with Grant().Count, Version or
// Has on the call-processing path (one atomic load and one map lookup, no lock, no allocation),
// calls [Device.Tick] from a timer (at the latest at Grant().Until()), [Device.StartTrial] when the
// installer sets 90-55-01 to 1, and [Device.Install] and [Device.Remove] from its management
// interface. Every change is reported to DeviceConfig.OnChange with its [Reason].
//
// What the grant holds: the lines of every active file stacked (see [Stack]; each software key code
// counts once), or, while no file is active and the trial runs, the trial set, or nothing
// (unlicensed: only the firmware's unlicensed features remain). Permanent files never expire and
// never look at the clock. Demo, service and temporary files grant from Issued until NotAfter and
// the grant then falls back to what the other files give.
//
// Time: every expiry is measured in device time (the high-water mark, kept in the sealed state),
// never below the highest clock reading seen, so setting the clock back never makes anything last
// longer. A reading more than RollbackTolerance below the mark is a rollback: the trial and every demo,
// service and temporary file stop granting at once, [ReasonRollback] is reported, and installing a
// fixed-term file or starting the trial is refused. When the clock is corrected they grant again
// for what is left of their term, measured by the mark, which moved on while the clock was wrong
// only when the clock passed it. Setbacks within the tolerance add up (see the high-water rule in
// device_clock.go): repeating them gains at most 1/64 of the time that passes. The mark is saved
// every RollbackTolerance/2 of progress (between one minute and one hour), and a restart resumes
// device time that interval ahead of the last saved reading, the most it can have reached: so
// restarting just before each save with the clock set back cannot hold device time still, while a
// restart with the clock right only makes device time wait for the clock for at most that
// interval (restarts in a row do not add up).
//
// State: see [State] and [DirState]. The state record and the trial marker are sealed with
// XChaCha20-Poly1305 under a key derived with HKDF-SHA256 from DeviceConfig.Secret and the host's
// system and code, so an edited, truncated or transplanted record fails to open; the marker keeps
// the generation of the state saved with it, and is saved on every install and remove, so an older
// copy of the state put back is recognised and can never bring back a removed file. A state the
// device cannot trust is reported and replaced by what it can: the marker's trial start, no files,
// and device time at the marker's clock floor plus the day by which the floor may lag (so wiping
// the state never gains time; see [DirState]). Writes go through State.Save, which [DirState]
// makes atomic; a failed save changes nothing in memory.
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
	gen         uint64    // generation of the last state saved
	savedHW     time.Time // high-water mark in the last state saved
	savedSeen   time.Time // highest reading in the last state saved
	markerFloor time.Time // floor in the last marker saved
	stateDirty  bool      // the state must be saved at the next chance
	markerDirty bool      // the marker must be saved at the next chance
	rollback    bool      // as of the last evaluation
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

// OpenDevice opens the device's state, checks it, and publishes the first grant.
//
// What the state cannot vouch for is not trusted: files kept in the state are verified again
// against Keyring (one that no longer verifies is dropped and reported), and a state or marker that
// is missing, edited, truncated, older than the other or made for another host is reported with
// [ReasonStateInvalid] and never grants more than the last good state did (see [DirState] for what
// each case restores). Errors are returned only for a configuration that is refused and for a State
// that fails to read for a reason other than "nothing saved". A failure to write the repaired state
// here is not fatal: the next [Device.Tick] tries again and returns the error.
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
		trialSet: cfg.TrialSet,
		trialLen: cfg.TrialLength,
		onChange: cfg.OnChange,
		status:   map[string]FileStatus{},
	}
	if d.clock == nil {
		d.clock = time.Now
	}
	if d.trialLen == 0 {
		d.trialLen = DefaultTrialLength
	}
	d.ck.tol = cfg.RollbackTolerance
	if d.ck.tol == 0 {
		d.ck.tol = DefaultRollbackTolerance
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	changes, err := d.load()
	if err != nil {
		return nil, err
	}
	now := readClock(d.clock)
	d.ck.observe(now)
	changes = append(changes, d.evaluate(now, true)...)
	d.flush() // best effort; Tick retries and reports
	d.notify(changes)
	return d, nil
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
		sErr = &stateError{what: "device state", err: fmt.Errorf("generation %d is older than the trial marker's %d (an old copy was put back)", st.Gen, mr.Gen)}
		st = nil
	}
	var problems []string
	switch {
	case st != nil && mr != nil:
		// Both good.
	case st != nil && mMissing:
		problems = append(problems, "trial marker missing; rewritten from the device state")
	case st != nil:
		problems = append(problems, detail(mErr)+"; rewritten from the device state")
	case mr != nil:
		what := "device state missing"
		if sErr != nil {
			what = detail(sErr)
		}
		problems = append(problems, what+"; installed files dropped, trial restored from the trial marker, device time moved to its clock floor plus the day it may lag by")
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
		problems = append(problems, strings.Join(whats, "; ")+"; nothing can be trusted: no files, the trial counts as used")
		d.trialVoid = true
	}

	var changes []Change
	if st != nil {
		d.gen = st.Gen
		// Device time may have moved on by up to a save interval since the state was saved (the
		// state is saved when it has): resume at the most it can have reached, so that restarting
		// just before each save, with the clock set back, cannot hold device time still. The
		// highest reading stays as saved, so a clock that is right is not behind, and restarting
		// again and again does not add up.
		d.savedHW, d.savedSeen = fromNanos(st.HighWater), fromNanos(st.Seen)
		if st.Seen == 0 {
			d.savedSeen = d.savedHW
		}
		d.ck.hw, d.ck.seen = d.savedHW, d.savedSeen
		if lease := d.savedSeen.Add(persistInterval(d.ck.tol)); lease.After(d.ck.hw) {
			d.ck.hw = lease
		}
		d.trialStart = fromNanos(st.TrialStart)
		d.trialVoid = d.trialVoid || st.TrialVoid
		d.superseded = st.Superseded
		for _, signed := range st.Files {
			f, err := Open(signed, d.kr)
			if err != nil {
				changes = append(changes, Change{Reason: ReasonRemoved, Err: fmt.Errorf("license: installed file no longer opens: %w", err)})
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
		if mr.Gen > d.gen {
			d.gen = mr.Gen
		}
		d.markerFloor = fromNanos(mr.Floor)
		floor := d.markerFloor
		if st == nil {
			// The marker's floor can be up to a marker interval (plus a state interval) behind the
			// highest time the device saw. Without the state to say how much, assume all of it:
			// otherwise wiping the state and setting the clock back to the floor, again and again,
			// would hold device time still. A clock that reads below this is a rollback until it
			// passes it, at most a day later.
			floor = floor.Add(markerInterval + persistInterval(d.ck.tol))
		}
		if floor.After(d.ck.hw) {
			d.ck.hw = floor
		}
		if d.markerFloor.After(d.ck.seen) {
			d.ck.seen = d.markerFloor
		}
		if ts := fromNanos(mr.TrialStart); !ts.IsZero() && (d.trialStart.IsZero() || ts.Before(d.trialStart)) {
			d.trialStart = ts
		}
		d.trialVoid = d.trialVoid || mr.TrialVoid
	} else {
		d.markerDirty = true
	}
	// A marker behind the state (a crash between the two saves, or an older copy put back) is
	// rewritten now: left as it is, deleting the state next would bring back what it says. A state
	// behind the marker's trial is rewritten too.
	if st != nil && mr != nil && (mr.Gen != st.Gen || mr.TrialStart != nanos(d.trialStart) || mr.TrialVoid != d.trialVoid) {
		d.markerDirty = true
	}
	if st != nil && (st.TrialStart != nanos(d.trialStart) || st.TrialVoid != d.trialVoid) {
		d.stateDirty = true
	}
	for _, p := range problems {
		changes = append(changes, Change{Reason: ReasonStateInvalid, Err: fmt.Errorf("%w: %s", ErrStateInvalid, p)})
	}
	return changes, nil
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

// Install verifies a signed license file against the keyring, checks that it is bound to this host
// and within its term at device time (see [Device]), saves the new state
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
// another host ([ErrHostMismatch]), has expired ([ErrExpired]), is fixed-term while the clock is set
// back ([ErrRollback]), would not stack with the installed files ([ErrInvalid]), is older than the
// installed file of the same serial, or would exceed MaxInstalledFiles or MaxStateSize; and any
// failure to save the state (where only the final flush of the directory failed, the new state may
// still be found after a restart). Once the state is saved the file is installed; if the trial marker
// then fails to save, the next Tick tries again and returns that error.
func (d *Device) Install(signed []byte) error {
	f, err := Open(signed, d.kr)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := readClock(d.clock)
	rolled := d.ck.observe(now)
	eff := d.ck.hw
	if err := f.Check(d.host, eff); err != nil {
		if !errors.Is(err, ErrNotYetValid) {
			return err
		}
		if err := f.Check(d.host, f.Issued); err != nil {
			return err
		}
	}
	if rolled && f.Term.FixedTerm() {
		return fmt.Errorf("%w: cannot install %s file %q until the clock is corrected (it reads %s, device time is %s)",
			ErrRollback, f.Term, f.Serial, now.Format(time.RFC3339), eff.Format(time.RFC3339))
	}
	if why := supersededBy(f, d.superseded); why != "" {
		return fmt.Errorf("%w: install %q: %s", ErrSuperseded, f.Serial, why)
	}
	in := &installed{signed: bytes.Clone(signed), file: f}
	files := slices.Clone(d.files)
	if i := d.find(f.Serial); i >= 0 {
		old := files[i]
		if bytes.Equal(old.signed, signed) && !old.mismatch {
			return nil
		}
		if f.Issued.Before(old.file.Issued) {
			return fmt.Errorf("license: install %q: issued %s, before the installed file of the same serial (%s)",
				f.Serial, f.Issued.Format(time.RFC3339), old.file.Issued.Format(time.RFC3339))
		}
		files[i] = in
	} else {
		if len(files) >= MaxInstalledFiles {
			return fmt.Errorf("license: install %q: the device holds %d files already; remove one first", f.Serial, len(files))
		}
		files = append(files, in)
	}
	files, dropped, mem, err := supersede(f, files, d.superseded, eff)
	if err != nil {
		return err
	}
	all, err := stackFiles(files, func(*installed) bool { return true })
	if err != nil {
		return fmt.Errorf("license: install %q: does not stack with the installed files: %w", f.Serial, err)
	}
	kept := d.superseded
	d.superseded = mem
	if err := d.saveState(files, d.trialStart); err != nil {
		d.superseded = kept
		return fmt.Errorf("license: install %q: %w", f.Serial, err)
	}
	d.files = files
	d.allFiles = &all
	d.markerDirty = true
	d.flush()
	changes := []Change{{Reason: ReasonInstalled, Serial: f.Serial, At: now}}
	for _, s := range dropped {
		delete(d.status, s)
		changes = append(changes, Change{Reason: ReasonSuperseded, Serial: s, At: now})
	}
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return nil
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
	now := readClock(d.clock)
	d.ck.observe(now)
	files := slices.Delete(slices.Clone(d.files), i, i+1)
	if err := d.saveState(files, d.trialStart); err != nil {
		return fmt.Errorf("license: remove %q: %w", serial, err)
	}
	d.files = files
	delete(d.status, serial)
	d.markerDirty = true
	d.flush()
	changes := []Change{{Reason: ReasonRemoved, Serial: serial, At: now}}
	changes = append(changes, d.evaluate(now, false)...)
	d.notify(changes)
	return nil
}

// Tick reads the clock and re-evaluates the grant: files and the trial that reached their end stop
// granting, files issued for later start, and a clock set back (or corrected again) is detected.
// Each change is reported through OnChange. The firmware calls Tick from its timer, at the latest at
// Grant().Until(). Tick also saves the clock's progress when due; the error it returns is a failure
// to save, and the grant is re-evaluated all the same.
func (d *Device) Tick() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := readClock(d.clock)
	d.ck.observe(now)
	changes := d.evaluate(now, false)
	err := d.flush()
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

// record builds the state record for the given files and trial start at the current mark.
func (d *Device) record(files []*installed, trialStart time.Time) *stateRecord {
	r := &stateRecord{
		Gen:        d.gen + 1,
		HighWater:  nanos(d.ck.hw),
		Seen:       nanos(d.ck.seen),
		TrialStart: nanos(trialStart),
		TrialVoid:  d.trialVoid,
		Superseded: d.superseded,
	}
	for _, f := range files {
		r.Files = append(r.Files, f.signed)
	}
	return r
}

// saveState seals and saves a state record; on success the device's saved generation and mark move
// on. On failure nothing in memory changes.
func (d *Device) saveState(files []*installed, trialStart time.Time) error {
	r := d.record(files, trialStart)
	b, err := d.sealer.sealState(r)
	if err != nil {
		return err
	}
	if len(b) > MaxStateSize {
		return fmt.Errorf("license: device state would be %d bytes, over %d", len(b), MaxStateSize)
	}
	if err := d.state.Save(b); err != nil {
		return fmt.Errorf("license: saving device state: %w", err)
	}
	d.gen = r.Gen
	d.savedHW, d.savedSeen = d.ck.hw, d.ck.seen
	d.stateDirty = false
	return nil
}

// saveMarker seals and saves the trial marker with the generation and the highest reading of the
// last saved state.
func (d *Device) saveMarker() error {
	r := &markerRecord{
		Gen:        d.gen,
		Floor:      nanos(d.savedSeen),
		TrialStart: nanos(d.trialStart),
		TrialVoid:  d.trialVoid,
	}
	b, err := d.sealer.sealMarker(r)
	if err != nil {
		return err
	}
	if err := d.state.SaveMarker(b); err != nil {
		return fmt.Errorf("license: saving trial marker: %w", err)
	}
	d.markerFloor = d.savedSeen
	d.markerDirty = false
	return nil
}

// flush saves the state when it is dirty or the mark has moved on by the persist interval, then the
// marker when it is dirty or its floor is a day behind.
func (d *Device) flush() error {
	// A restart resumes device time at max(savedHW, savedSeen + interval): save before device time
	// can pass that, and only when there is a new reading to save (right after a restart device
	// time may stand at that bound while the clock catches up with it).
	lease := d.savedSeen.Add(persistInterval(d.ck.tol))
	if d.savedHW.After(lease) {
		lease = d.savedHW
	}
	if d.stateDirty || !d.ck.hw.Before(lease) && d.ck.seen.After(d.savedSeen) {
		if err := d.saveState(d.files, d.trialStart); err != nil {
			return err
		}
	}
	if d.markerDirty || d.savedSeen.Sub(d.markerFloor) >= markerInterval {
		if err := d.saveMarker(); err != nil {
			return err
		}
	}
	return nil
}

// evaluate computes the grant at device time, publishes it with the file view, and returns the
// changes since the last evaluation. initial is true at start-up, where only a rollback is reported.
func (d *Device) evaluate(now time.Time, initial bool) []Change {
	eff := d.ck.hw
	rolled := d.ck.rolledBack(now)
	var changes []Change
	if rolled && (initial || !d.rollback) {
		changes = append(changes, Change{Reason: ReasonRollback, At: now,
			Err: fmt.Errorf("%w: the clock reads %s, %s below device time (%s); tolerance %s",
				ErrRollback, now.Format(time.RFC3339), eff.Sub(now).Round(time.Second), eff.Format(time.RFC3339), d.ck.tol)})
	} else if !rolled && d.rollback && !initial {
		changes = append(changes, Change{Reason: ReasonClockRestored, At: now})
	}
	d.rollback = rolled

	var until time.Time
	due := func(t time.Time) {
		if t.After(eff) && (until.IsZero() || t.Before(until)) {
			until = t
		}
	}
	status := make(map[string]FileStatus, len(d.files))
	view := make([]InstalledFile, 0, len(d.files))
	var hasTerm [Temporary + 1]bool
	anyActive, nActive := false, 0
	for _, f := range d.files {
		st := fileStatus(f, eff, rolled)
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
	trialActive := !d.trialVoid && !d.trialStart.IsZero() && eff.Before(trialEnd) && !rolled

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
	g.mode, g.at, g.until, g.trialEnd, g.rollback = mode, eff, until, trialEnd, rolled

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
		if d.trialActive && !trialActive && !eff.Before(trialEnd) {
			changes = append(changes, Change{Reason: ReasonExpired, At: now})
		}
	}
	d.status = status
	d.trialActive = trialActive
	d.view.Store(&view)
	d.grant.Store(g)
	return changes
}

// fileStatus is the status of an installed file at device time eff.
func fileStatus(f *installed, eff time.Time, rolled bool) FileStatus {
	switch {
	case f.mismatch:
		return FileHostMismatch
	case !f.file.Term.FixedTerm():
		return FileActive
	case !eff.Before(f.file.NotAfter):
		return FileExpired
	case eff.Before(f.file.Issued):
		return FilePending
	case rolled:
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
