package license

import (
	"strconv"
	"time"
)

// Term is how long a file grants what it holds.
type Term uint8

// The terms of a license file. The zero Term is invalid.
const (
	// Permanent files never expire and never look at the clock.
	Permanent Term = 1
	// Demo files open what they hold from Issued until NotAfter (the guide's "Trial periods, demo
	// licenses and service licenses").
	Demo Term = 2
	// Service files are like demo files, used while hardware is being replaced or serviced.
	Service Term = 3
	// Temporary files are fixed-term entitlements (pre-sales, subscriptions, trials of the second
	// vendor's entitlement types) that end at NotAfter.
	Temporary Term = 4
)

var termNames = [...]string{Permanent: "permanent", Demo: "demo", Service: "service", Temporary: "temporary"}

// IsValid reports whether t is one of the four terms.
func (t Term) IsValid() bool { return t >= Permanent && t <= Temporary }

// FixedTerm reports whether t ends at a NotAfter time (every valid term but [Permanent]).
func (t Term) FixedTerm() bool { return t.IsValid() && t != Permanent }

// String returns "permanent", "demo", "service" or "temporary", or "term(N)" when invalid.
func (t Term) String() string {
	if t.IsValid() {
		return termNames[t]
	}
	return "term(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText returns the name of a valid term, and an error for an invalid one.
func (t Term) MarshalText() ([]byte, error) {
	if !t.IsValid() {
		return nil, fieldErr("term", "invalid term "+strconv.Itoa(int(t)))
	}
	return []byte(termNames[t]), nil
}

// UnmarshalText accepts the names [Term.String] gives.
func (t *Term) UnmarshalText(b []byte) error {
	for i := Permanent; i <= Temporary; i++ {
		if string(b) == termNames[i] {
			*t = i
			return nil
		}
	}
	return fieldErr("term", "unknown term "+strconv.Quote(string(b)))
}

// The payload format versions this package reads and writes. A file is written in the lowest
// version that holds it: version 1, or version 2 when it supersedes earlier files
// ([File.Supersedes]). A version 1 reader refuses version 2 files (FORMAT.md's compatibility
// rules), so files that supersede nothing stay readable by every device.
const (
	// FormatVersion is the first payload format, that of every file without Supersedes.
	FormatVersion = 1
	// FormatVersionSupersedes is version 1 plus the supersedes key (9).
	FormatVersionSupersedes = 2
)

// File is the content of a license file: what is granted, to which host, for how long.
//
// Build a File and call [File.Sign] to issue it; call [Open] to verify and decode one, then
// [File.Check] to see whether it applies to this host now. Times are kept to the second, in UTC:
// Sign drops fractions of a second, Open returns UTC times.
type File struct {
	// Version is the payload format version: 0 means the lowest that holds the file
	// (FormatVersion, or FormatVersionSupersedes when Supersedes is set); 1 must not have
	// Supersedes and 2 must. Open sets it to the version read.
	Version int
	// Serial identifies the file: 1 to 64 letters, digits and "-._:". Required.
	Serial string
	// Issued is when the file was signed; the signing key's validity window is checked against
	// it. Fixed-term files are valid from Issued. Required.
	Issued time.Time
	// Term is the file's term. Required.
	Term Term
	// NotAfter is when a fixed-term file stops granting (exclusive: valid while now < NotAfter).
	// Required and after Issued for fixed-term files; must be zero for permanent ones.
	NotAfter time.Time
	// Entitlement is the entitlement type code (see [EntitlementType]). Permanent files: "" or
	// "T" (empty means T). Demo and service files: "" or a fixed-term code. Temporary files: a
	// fixed-term code, one of B D L M N P S X Y (commercial) or A C F V (non-commercial).
	Entitlement string
	// Host is what the file is bound to.
	Host Host
	// Lines are the license lines, 0 to MaxLines, in the order they were given. Their stacked
	// form must be valid (see [Stack]).
	Lines []Line
	// Supersedes, when not empty, names the series of files this one replaces (format version 2):
	// the file's Serial is then Supersedes + "." + its sequence number n (decimal, 1 or more, no
	// leading zero), and it supersedes every file of the same Term whose serial is Supersedes +
	// "." + m with m < n. A device that installs it stops granting what those files held and
	// refuses them afterwards ([Device.Install]), so a line left out of a newer file (a revoked
	// entitlement) no longer grants through an older one. Files of another term or series are
	// not affected. 1 to 62 of the serial's characters.
	Supersedes string
}

// version is the payload version f is written in.
func (f *File) version() int {
	if f.Version != 0 {
		return f.Version
	}
	if f.Supersedes != "" {
		return FormatVersionSupersedes
	}
	return FormatVersion
}

// entitlementClass classifies a type code by the table of [EntitlementType].
func entitlementClass(code string) (known, fixed, commercial bool) {
	ti, ok := EntitlementType(code).info()
	return ok, ti.fixedTerm, ti.commercial
}

// EntitlementCommercial reports whether code is a known entitlement type code (see
// [EntitlementType]), and whether it is commercial (T, B, D, L, M, N, P, S, X, Y) or not (A, C, F,
// V).
func EntitlementCommercial(code string) (commercial, known bool) {
	known, _, commercial = entitlementClass(code)
	return commercial, known
}

// validate checks every rule of the file format on f, as Sign writes it.
func (f *File) validate() error { return f.check(true) }

// validateDecoded checks what the payload decoder has not already checked as it read.
func (f *File) validateDecoded() error { return f.check(false) }

// check checks the rules of the file; full is false when the payload decoder has already checked
// the text fields and parsed the codes.
func (f *File) check(full bool) error {
	switch f.Version {
	case 0:
	case FormatVersion:
		if f.Supersedes != "" {
			return fieldErr("supersedes", "a version 1 file cannot supersede; version 2 can")
		}
	case FormatVersionSupersedes:
		if f.Supersedes == "" {
			return fieldErr("supersedes", "a version 2 file supersedes a series; without one it is written as version 1")
		}
	default:
		return fieldErr("version", "unsupported format version "+strconv.Itoa(f.Version))
	}
	if f.Serial == "" {
		return fieldErr("serial", "no serial")
	}
	if !validSerial(f.Serial) {
		return fieldErr("serial", quote(f.Serial)+" is not 1 to 64 letters, digits and -._:")
	}
	if f.Supersedes != "" {
		if _, ok := seriesSeq(f.Serial, f.Supersedes); !ok {
			return fieldErr("supersedes", "serial "+quote(f.Serial)+" is not "+quote(f.Supersedes+".")+" and a sequence number (1 or more, no leading zero)")
		}
	}
	if f.Issued.IsZero() {
		return fieldErr("issued", "no issue time")
	}
	if r := timeProblem(f.Issued); r != "" {
		return fieldErr("issued", r)
	}
	if r := timeProblem(f.NotAfter); r != "" {
		return fieldErr("not_after", r)
	}
	if !f.Term.IsValid() {
		return fieldErr("term", "invalid term "+strconv.Itoa(int(f.Term)))
	}
	known, fixed, _ := entitlementClass(f.Entitlement)
	if f.Entitlement != "" && !known {
		return fieldErr("entitlement", "unknown entitlement type "+quote(f.Entitlement))
	}
	if f.Term == Permanent {
		if !f.NotAfter.IsZero() {
			return fieldErr("not_after", "a permanent file has no end")
		}
		if fixed {
			return fieldErr("entitlement", "type "+f.Entitlement+" is fixed-term; a permanent file carries T or nothing")
		}
	} else {
		if f.NotAfter.IsZero() {
			return fieldErr("not_after", "a "+f.Term.String()+" file needs an end")
		}
		if f.NotAfter.Unix() <= f.Issued.Unix() {
			return fieldErr("not_after", "ends at or before it was issued")
		}
		if f.Entitlement == "T" {
			return fieldErr("entitlement", "type T is permanent; a "+f.Term.String()+" file needs a fixed-term type")
		}
		if f.Term == Temporary && f.Entitlement == "" {
			return fieldErr("entitlement", "a temporary file needs a fixed-term entitlement type")
		}
	}
	if err := f.Host.validate(full); err != nil {
		return err
	}
	if len(f.Lines) > MaxLines {
		return fieldErr("lines", strconv.Itoa(len(f.Lines))+" lines; at most "+strconv.Itoa(MaxLines))
	}
	for i := range f.Lines {
		l := &f.Lines[i]
		var err error
		if full {
			err = l.validate(i)
		} else {
			err = l.validateValues(i)
		}
		if err != nil {
			return err
		}
	}
	return checkStack(f.Lines)
}

func validSerial(s string) bool {
	if len(s) == 0 || len(s) > MaxSerialLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '.' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// Set stacks the file's lines (see [Stack]).
func (f *File) Set() (Set, error) { return Stack(f.Lines...) }

// Check reports whether the file applies to the observed host at time now.
//
// Binding: the observed System must equal the file's; the observed Code must be the file's primary
// or secondary code; and every other attribute the file carries (IP, MAC, computer name, domain,
// product key) must equal the observed one. A mismatch returns an error matching [ErrHostMismatch]
// that names the attribute.
//
// Term: a permanent file ignores now. A fixed-term file is valid while Issued <= now < NotAfter;
// otherwise the error matches [ErrNotYetValid] or [ErrExpired].
func (f *File) Check(observed Host, now time.Time) error {
	h := &f.Host
	switch {
	case observed.System != h.System:
		return hostErr("system", string(h.System), string(observed.System))
	case observed.Code.IsZero() || observed.Code != h.Code && (h.Secondary.IsZero() || observed.Code != h.Secondary):
		return hostErr("code", h.Code.String(), observed.Code.String())
	case h.IP.IsValid() && observed.IP.Unmap().WithZone("") != h.IP:
		return hostErr("ip", h.IP.String(), observed.IP.String())
	case !h.MAC.IsZero() && observed.MAC != h.MAC:
		return hostErr("mac", h.MAC.String(), observed.MAC.String())
	case h.ComputerName != "" && !sameHostName(h.ComputerName, observed.ComputerName):
		return hostErr("computer name", h.ComputerName, observed.ComputerName)
	case h.Domain != "" && !sameHostName(h.Domain, observed.Domain):
		return hostErr("domain", h.Domain, observed.Domain)
	case !h.ProductKey.IsZero() && observed.ProductKey != h.ProductKey:
		return hostErr("product key", h.ProductKey.String(), observed.ProductKey.String())
	}
	if !f.Term.FixedTerm() {
		return nil
	}
	if now.Before(f.Issued) {
		return &timeError{err: ErrNotYetValid, bound: f.Issued, now: now}
	}
	if !now.Before(f.NotAfter) {
		return &timeError{err: ErrExpired, bound: f.NotAfter, now: now}
	}
	return nil
}

type hostError struct{ attr, file, observed string }

func hostErr(attr, file, observed string) error { return &hostError{attr, file, observed} }

// Error returns the message.
func (e *hostError) Error() string {
	obs := "none"
	if e.observed != "" {
		obs = quote(e.observed)
	}
	return "license: host mismatch: file bound to " + e.attr + " " + quote(e.file) + ", host has " + obs
}

// Unwrap returns the error this one wraps.
func (e *hostError) Unwrap() error { return ErrHostMismatch }

type timeError struct {
	err        error
	bound, now time.Time
}

// Error returns the message.
func (e *timeError) Error() string {
	const layout = "2006-01-02T15:04:05Z07:00"
	if e.err == ErrExpired {
		return "license: expired: valid until " + e.bound.UTC().Format(layout) + ", now " + e.now.UTC().Format(layout)
	}
	return "license: not yet valid: valid from " + e.bound.UTC().Format(layout) + ", now " + e.now.UTC().Format(layout)
}

// Unwrap returns the error this one wraps.
func (e *timeError) Unwrap() error { return e.err }

func quote(s string) string { return strconv.Quote(s) }
func itoa(i int) string     { return strconv.Itoa(i) }

// checkStack checks that lines stack (no part under two kinds, no sum over MaxQty) without
// building a Set. Lines are already valid one by one.
func checkStack(lines []Line) error {
	if len(lines) > 64 {
		_, err := Stack(lines...)
		return err
	}
	// A small open-addressing table on the stack: slot holds 1 + the index of the first line of
	// a part; sum holds that part's running count.
	var slot [128]uint8
	var sum [64]int
	for i := range lines {
		l := &lines[i]
		h := uint32(2166136261)
		for j := 0; j < len(l.Part); j++ {
			h = (h ^ uint32(l.Part[j])) * 16777619
		}
		for k := h & 127; ; k = (k + 1) & 127 {
			s := slot[k]
			if s == 0 {
				slot[k] = uint8(i + 1)
				sum[i] = l.Qty
				break
			}
			first := &lines[s-1]
			if first.Part != l.Part {
				continue
			}
			if first.Kind != l.Kind {
				return &LineError{Index: i, Part: l.Part, Field: "kind",
					Reason: "part stacked as " + first.Kind.String() + " and as " + l.Kind.String()}
			}
			if l.Kind == Count {
				if l.Qty > MaxQty-sum[s-1] {
					return &LineError{Index: i, Part: l.Part, Field: "qty", Reason: "sum over the maximum " + strconv.Itoa(MaxQty)}
				}
				sum[s-1] += l.Qty
			}
			break
		}
	}
	return nil
}
