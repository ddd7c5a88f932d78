package license

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/internal/atomicfile"
	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/internal/seal"
)

// State is where a [Device] keeps what must survive a restart. It holds two records of opaque bytes,
// both sealed by the device (see "Security" in the package documentation), so an implementation
// only stores and returns them.
//
// The state record (Load, Save) holds the installed files, the trial start, device time and the
// reference a setback is measured against. The trial marker (LoadMarker, SaveMarker) is small
// (under 150 bytes) and holds the trial start, device time, the generation of the state record
// saved with it and the open time challenge. The device writes both together, the state first
// (on a device that has neither, the marker first), so that a power cut between the two writes
// loses nothing: every RollbackTolerance/2 of device time (288 times a day by default), at every
// start-up, and at every install, remove, trial start and time token; a new time challenge
// writes the marker alone. A firmware that keeps the marker somewhere a user cannot wipe or roll
// back (a second flash partition, an EEPROM on the CPU board, a TPM NV index: see [SplitState])
// makes the trial impossible to restart and device time impossible to set back by deleting or
// restoring the state; the package documentation has the table of what each deletion or restore
// achieves otherwise.
//
// Implementations must be safe for use by one device at a time (the device serialises its calls).
type State interface {
	// Load returns the bytes last saved by Save, or an error matching fs.ErrNotExist when nothing
	// was ever saved. Any other error stops OpenDevice.
	Load() ([]byte, error)
	// Save replaces the state record. It must be atomic: after a crash at any moment, Load returns
	// either the previous bytes or the new ones, whole.
	Save(data []byte) error
	// LoadMarker returns the bytes last saved by SaveMarker, or an error matching fs.ErrNotExist.
	LoadMarker() ([]byte, error)
	// SaveMarker replaces the trial marker, atomically like Save.
	SaveMarker(data []byte) error
}

// File names of [DirState]: the state record is dir/[StateFileName]; the trial marker is
// [MarkerFileName] prefixed with "." and the directory's own name, beside dir in its parent (see
// [DirStateMarker]).
const (
	StateFileName  = "device.state"
	MarkerFileName = "trial.marker"
)

// MaxStateSize caps the bytes a device reads from its State, for either record, and the size of the
// state record Install may write: a file that would make it larger is refused.
const MaxStateSize = 8 << 20

// DirState returns a [State] kept in two files: the state record in dir/[StateFileName] and the
// trial marker beside dir, in the directory that holds it, at [DirStateMarker](dir) (for
// /data/license that is /data/.license.trial.marker). Both are written with atomic replacement
// (temporary file, fsync, rename, fsync of the directory) and permission 0600; dir is created (0700)
// on the first save; a relative dir is made absolute when DirState is called. The marker is outside
// dir so that wiping the license directory, the usual "reset the licenses" of a maintenance shell,
// only deletes the state: the files are lost, the trial and device time are not.
//
// The package documentation has the table of what deleting, damaging or putting back either file
// achieves. A user who can write in dir's parent can delete both files (the device is then a new
// one) or put back older copies of both (the device is then the older one); a firmware that must
// rule that out keeps the marker where the user cannot write, with [SplitState].
//
// The device needs write access to dir's parent as well as to dir: where it cannot write the
// marker, Tick returns the error, and the trial and fixed-term files wait once device time has
// moved past what the marker records ([HoldNotSaved]). When dir is a file system root, which has
// no parent, the marker is kept inside dir and deleting dir deletes it too.
func DirState(dir string) State { return newDirState(dir) }

// DirStateMarker returns the path of the trial marker of DirState(dir): the file
// "."+base(dir)+"."+[MarkerFileName] in dir's parent, with dir made absolute first; for a root
// directory, MarkerFileName inside it.
func DirStateMarker(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	parent, base := filepath.Split(abs)
	if base == "" || parent == "" {
		return filepath.Join(abs, MarkerFileName)
	}
	return filepath.Join(parent, "."+base+"."+MarkerFileName)
}

// SplitState returns a [State] whose state record is that of records (its Load and Save) and whose
// trial marker is that of marker (its LoadMarker and SaveMarker). With the state on the data
// partition and the marker in a store that a factory reset of the data does not touch and a user
// cannot write (a separate flash partition, an EEPROM on the CPU board, a TPM NV index behind a
// firmware State), wiping or restoring the data can neither restart the trial nor set device time
// back: the last three rows of the package documentation's table are gone.
//
//	license.SplitState(license.DirState("/data/license"), license.DirState("/nvram/license"))
//
// The marker is written as often as the state (see [State]): choose a store rated for it, or a
// larger RollbackTolerance (with two hours or more, 24 writes a day).
func SplitState(records, marker State) State { return splitState{records, marker} }

type splitState struct{ records, marker State }

func (s splitState) Load() ([]byte, error)       { return s.records.Load() }
func (s splitState) Save(b []byte) error         { return s.records.Save(b) }
func (s splitState) LoadMarker() ([]byte, error) { return s.marker.LoadMarker() }
func (s splitState) SaveMarker(b []byte) error   { return s.marker.SaveMarker(b) }

type dirState struct {
	dir    string
	marker string            // DirStateMarker(dir)
	w      atomicfile.Writer // its Fault hook is set by tests
}

func newDirState(dir string) *dirState {
	// Both paths are fixed now, so that a later change of working directory cannot separate the
	// state from its marker.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &dirState{dir: dir, marker: DirStateMarker(dir)}
}

func (s *dirState) Load() ([]byte, error)        { return s.read(filepath.Join(s.dir, StateFileName)) }
func (s *dirState) Save(data []byte) error       { return s.write(filepath.Join(s.dir, StateFileName), data) }
func (s *dirState) LoadMarker() ([]byte, error)  { return s.read(s.marker) }
func (s *dirState) SaveMarker(data []byte) error { return s.write(s.marker, data) }

func (s *dirState) read(p string) ([]byte, error) {
	atomicfile.RemoveTemps(p) // best effort: leftovers of a crash in the middle of a save
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxStateSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxStateSize {
		return nil, fmt.Errorf("license: %s is over %d bytes", p, MaxStateSize)
	}
	return b, nil
}

func (s *dirState) write(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return s.w.WriteFile(p, data, 0o600)
}

// Sealed record kinds: the associated data of each record names its kind, so one cannot stand in
// for the other.
const (
	sealPurpose = "lmskit device state"
	kindState   = "device state"
	kindMarker  = "trial marker"
)

// recordVersion is the version of the plaintext state and marker records this version writes.
// Version 1 records (written before device time followed the monotonic clock) are read too.
const recordVersion = 2

// stateRecord is the plaintext of the sealed state record: a CBOR map with small integer keys.
type stateRecord struct {
	V          int      `cbor:"0,keyasint"`           // record version: 1 or 2
	Gen        uint64   `cbor:"1,keyasint"`           // generation: +1 on every save
	HighWater  int64    `cbor:"2,keyasint"`           // device time, Unix nanoseconds
	TrialStart int64    `cbor:"3,keyasint,omitempty"` // trial start, Unix nanoseconds; 0: not started
	TrialVoid  bool     `cbor:"4,keyasint,omitempty"` // the trial counts as used up (state was lost)
	Files      [][]byte `cbor:"5,keyasint,omitempty"` // installed signed files, in install order
	Seen       int64    `cbor:"6,keyasint,omitempty"` // the reference setbacks are measured against, Unix ns; 0: HighWater
	// Version 2.
	Unconfirmed bool `cbor:"7,keyasint,omitempty"` // time-limited grants wait for a vendor time token
	// Superseded is what superseding files said (supersede.go): their series stay closed to the
	// older files after they are removed.
	Superseded []supersession `cbor:"8,keyasint,omitempty"`
}

// markerRecord is the plaintext of the sealed trial marker.
type markerRecord struct {
	V          int    `cbor:"0,keyasint"`
	Gen        uint64 `cbor:"1,keyasint"`           // generation of the state record saved with it
	Floor      int64  `cbor:"2,keyasint"`           // the reference in that state record, Unix ns
	TrialStart int64  `cbor:"3,keyasint,omitempty"` // as in stateRecord
	TrialVoid  bool   `cbor:"4,keyasint,omitempty"`
	// Version 2.
	HighWater   int64  `cbor:"5,keyasint,omitempty"` // device time in that state record, Unix ns; 0 in version 1
	Unconfirmed bool   `cbor:"6,keyasint,omitempty"` // as in stateRecord
	Challenge   []byte `cbor:"7,keyasint,omitempty"` // the open time challenge's nonce (TimeChallengeNonceSize bytes)
	ChallengeAt int64  `cbor:"8,keyasint,omitempty"` // device time when it was made, Unix ns
}

var stateDecMode = cborx.MustDecMode(cborx.Limits{MaxNested: 4, MaxArray: 64, MaxMap: 16})

// sealer seals and opens the two records for one host.
type sealer struct{ key *seal.Key }

// hostIdentity is what state is bound to: the observed system and code. Other observed attributes
// (IP, MAC, names) may change without invalidating the state.
func hostIdentity(h Host) []byte {
	b := make([]byte, 0, 64)
	b = append(b, h.System...)
	b = append(b, 0)
	return append(b, h.Code.String()...)
}

func newSealer(secret []byte, h Host) (*sealer, error) {
	k, err := seal.NewKey(secret, hostIdentity(h), sealPurpose)
	if err != nil {
		return nil, fmt.Errorf("license: device secret: %w", err)
	}
	return &sealer{key: k}, nil
}

func (s *sealer) sealState(r *stateRecord) ([]byte, error) {
	r.V = recordVersion
	b, err := cborx.EncMode().Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("license: encoding device state: %w", err)
	}
	return s.key.Seal(kindState, b), nil
}

func (s *sealer) sealMarker(r *markerRecord) ([]byte, error) {
	r.V = recordVersion
	b, err := cborx.EncMode().Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("license: encoding trial marker: %w", err)
	}
	return s.key.Seal(kindMarker, b), nil
}

// openState opens a sealed state record. Every failure wraps ErrStateInvalid.
func (s *sealer) openState(b []byte) (*stateRecord, error) {
	pt, err := s.key.Open(kindState, b)
	if err != nil {
		return nil, &stateError{what: "device state", err: err}
	}
	var r stateRecord
	if err := stateDecMode.Unmarshal(pt, &r); err != nil {
		return nil, &stateError{what: "device state", err: err}
	}
	if r.V != 1 && r.V != recordVersion {
		return nil, &stateError{what: "device state", err: fmt.Errorf("record version %d", r.V)}
	}
	if r.HighWater <= 0 || r.TrialStart < 0 || r.Seen < 0 || r.Seen > r.HighWater || len(r.Files) > MaxInstalledFiles ||
		r.V == 1 && r.Unconfirmed {
		return nil, &stateError{what: "device state", err: errors.New("values out of range")}
	}
	return &r, nil
}

func (s *sealer) openMarker(b []byte) (*markerRecord, error) {
	pt, err := s.key.Open(kindMarker, b)
	if err != nil {
		return nil, &stateError{what: "trial marker", err: err}
	}
	var r markerRecord
	if err := stateDecMode.Unmarshal(pt, &r); err != nil {
		return nil, &stateError{what: "trial marker", err: err}
	}
	if r.V != 1 && r.V != recordVersion {
		return nil, &stateError{what: "trial marker", err: fmt.Errorf("record version %d", r.V)}
	}
	v1 := r.V == 1
	if r.Floor < 0 || r.TrialStart < 0 || r.HighWater < 0 || r.ChallengeAt < 0 ||
		v1 && (r.HighWater != 0 || r.Unconfirmed || r.Challenge != nil || r.ChallengeAt != 0) ||
		!v1 && (r.HighWater == 0 || r.Floor > r.HighWater) ||
		(r.Challenge == nil) != (r.ChallengeAt == 0) || r.Challenge != nil && len(r.Challenge) != TimeChallengeNonceSize {
		return nil, &stateError{what: "trial marker", err: errors.New("values out of range")}
	}
	return &r, nil
}

// stateError is a state or marker record that could not be trusted. It matches ErrStateInvalid.
type stateError struct {
	what string
	err  error
}

func (e *stateError) Error() string {
	return "license: " + e.what + " rejected: " + e.err.Error()
}

func (e *stateError) Is(target error) bool { return target == ErrStateInvalid }
func (e *stateError) Unwrap() error        { return e.err }

// nanos converts a time to the Unix nanoseconds kept in records; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// loadRecord calls load and separates "nothing saved" from other errors.
func loadRecord(load func() ([]byte, error)) (b []byte, missing bool, err error) {
	b, err = load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(b) > MaxStateSize {
		return nil, false, fmt.Errorf("license: state record of %d bytes, over %d", len(b), MaxStateSize)
	}
	return b, false, nil
}
