package license

import (
	"errors"
	"strconv"
)

// Sentinel errors a caller acts on. Errors carry detail around them; match with [errors.Is].
// Errors from the signing package (unknown key, revoked key, bad signature, …) come back wrapped,
// so errors.Is(err, signing.ErrSignature) and the like work on what [Open] returns.
var (
	// ErrHostMismatch: the observed host is not the one the file is bound to.
	ErrHostMismatch = errors.New("license: host mismatch")
	// ErrExpired: a fixed-term file checked at or after its NotAfter time.
	ErrExpired = errors.New("license: expired")
	// ErrNotYetValid: a fixed-term file checked before its Issued time.
	ErrNotYetValid = errors.New("license: not yet valid")
	// ErrMalformed: bytes that are not a well-formed license file, armor block or container
	// (including input over a size cap). Every [*FormatError] matches it.
	ErrMalformed = errors.New("license: malformed")
	// ErrInvalid: a value breaks a rule of the file or of stacking (a zero quantity, a part under two
	// kinds, a sum that overflows, a term that does not fit the entitlement type, a file too large
	// to sign, …). [File.Sign] refuses such a file and [Open] refuses such a payload. Every
	// [*LineError] matches it.
	ErrInvalid = errors.New("license: invalid")
	// ErrSuperseded: Install of a file that a newer file of its series superseded (format version
	// 2, [File.Supersedes]): what it held was revoked or replaced, so the device no longer takes it.
	ErrSuperseded = errors.New("license: file superseded")
)

// Sentinel errors of the device engine.
var (
	// ErrRollback: the clock reads more than the rollback tolerance below device time (see
	// [Device]). Fixed-term files and the trial are suspended, and installing a fixed-term
	// file or starting the trial is refused, until the clock is corrected.
	ErrRollback = errors.New("license: clock set back")
	// ErrTimeUnknown: the device does not know the time: no plausible clock reading since
	// start-up, or a state its trial marker could not confirm (see [Grant.Hold]). Fixed-term
	// files and the trial wait, and installing a fixed-term file or starting the trial is
	// refused, until the clock reads a plausible time (for the former) or a vendor time token is
	// applied ([Device.ApplyTimeToken]).
	ErrTimeUnknown = errors.New("license: device time unknown")
	// ErrNotSaved: device time, or the trial start, cannot be saved in the device's state: the
	// State fails. Fixed-term files and the trial wait until a save succeeds ([Device.Tick]
	// retries and returns the failure).
	ErrNotSaved = errors.New("license: device state not saved")
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
	// ErrChallenge: a time token that does not answer the device's open time challenge: none is
	// open, it answers another (or an earlier one, already used), or the challenge expired. Ask the
	// device for a new challenge ([Device.TimeChallenge]).
	ErrChallenge = errors.New("license: time token does not answer the open challenge")
)

// FormatError reports bytes that do not follow the license file format, or a container or armor
// block that is not acceptable. It matches [ErrMalformed].
type FormatError struct {
	// What names the thing being read: "payload", "armor", "svi zip", "bx zip", "activation code".
	What string
	// Offset is the byte offset into the payload (or the container) where reading failed, or -1.
	Offset int
	// Field is the payload field being read, like "lines[3].qty" or "host.code"; empty when none.
	Field string
	// Reason says what was wrong, in words.
	Reason string

	cause error // an error from another package this one stands for, if any
}

// Unwrap returns the error from another package (such as signing's) that e stands for, if any.
func (e *FormatError) Unwrap() error { return e.cause }

// Error returns the message.
func (e *FormatError) Error() string {
	s := "license: " + e.What
	if e.Field != "" {
		s += " field " + e.Field
	}
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	return s + ": " + e.Reason
}

// Is makes a *FormatError match [ErrMalformed].
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }

// LineError reports a license line (or a file field) that breaks a rule. It matches [ErrInvalid].
type LineError struct {
	// Index is the position of the line in what was given to [Stack] or in File.Lines; -1 for a
	// field of the file itself (then Field names it, like "term" or "host.ip").
	Index int
	// Part is the part number of the line, when known.
	Part string
	// Field names the field at fault: "qty", "kind", "part", "term", "entitlement", …
	Field string
	// Reason says what was wrong, in words.
	Reason string
}

// Error returns the message.
func (e *LineError) Error() string {
	s := "license: "
	if e.Index >= 0 {
		s += "line " + strconv.Itoa(e.Index)
		if e.Part != "" {
			s += " (part " + strconv.Quote(e.Part) + ")"
		}
		if e.Field != "" {
			s += " " + e.Field
		}
	} else {
		s += e.Field
	}
	return s + ": " + e.Reason
}

// Is makes a *LineError match [ErrInvalid].
func (e *LineError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, reason string) error {
	return &LineError{Index: -1, Field: field, Reason: reason}
}
