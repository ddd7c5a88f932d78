package license

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// TimeChallengeNonceSize is the size in bytes of a time challenge's nonce.
const TimeChallengeNonceSize = 16

// TimeChallengeLifetime is how long a time challenge stays open, in device time: a token applied
// later is refused ([ErrChallenge]). It bounds how stale the time a token carries can be when it
// arrives.
const TimeChallengeLifetime = 24 * time.Hour

// TimeTokenContentType is the media type in the protected header of every time token. It differs
// from [ContentType], so that a token cannot pass for a license file, nor a file for a token.
const TimeTokenContentType = "application/vnd.lmskit.time-token+cbor"

// MaxTimeTokenSize caps the signed bytes [OpenTimeToken] accepts, checked before parsing.
const MaxTimeTokenSize = 1024

// TimeChallenge is what a device asks the vendor to answer with a time token: its own hardware key
// code and a nonce it keeps in its sealed state until a token answers it. The zero TimeChallenge is
// invalid. It is comparable.
type TimeChallenge struct {
	// Code is the device's own hardware key code (its system included).
	Code keycode.Code
	// Nonce is the device's random nonce.
	Nonce [TimeChallengeNonceSize]byte
}

// IsZero reports whether c is the zero TimeChallenge.
func (c TimeChallenge) IsZero() bool { return c == TimeChallenge{} }

// String returns the text form of the challenge: the code's text form (system ":" code), ":", and
// the nonce in 32 upper-case hex digits, like "SV8100:191000343919:0123456789ABCDEF0123456789ABCDEF".
// The zero TimeChallenge gives "".
func (c TimeChallenge) String() string {
	if c.IsZero() {
		return ""
	}
	t, _ := c.Code.MarshalText()
	return string(t) + ":" + strings.ToUpper(hex.EncodeToString(c.Nonce[:]))
}

// GoString returns a Go-like summary for %#v: the text form, never the bytes one by one.
func (c TimeChallenge) GoString() string {
	return "license.TimeChallenge(" + strconv.Quote(c.String()) + ")"
}

// MarshalText returns String's form.
func (c TimeChallenge) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads the text form, as ParseTimeChallenge does; on error c is unchanged.
func (c *TimeChallenge) UnmarshalText(b []byte) error {
	p, err := ParseTimeChallenge(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// ParseTimeChallenge reads the text form of a time challenge (see [TimeChallenge.String]); the
// nonce's hex digits may be in either case, and the code must be in its canonical form. An error
// matches [ErrMalformed].
func ParseTimeChallenge(s string) (TimeChallenge, error) {
	bad := func(off int, reason string) (TimeChallenge, error) {
		return TimeChallenge{}, &FormatError{What: "time challenge", Offset: off, Reason: reason}
	}
	if len(s) > 256 {
		return bad(-1, strconv.Itoa(len(s))+" bytes, over the cap of 256")
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return bad(-1, "want system:code:nonce")
	}
	var c TimeChallenge
	if err := c.Code.UnmarshalText([]byte(s[:i])); err != nil {
		return bad(0, "key code: "+detailOf(err))
	}
	if c.Code.IsZero() {
		return bad(0, "no key code")
	}
	h := s[i+1:]
	if len(h) != 2*TimeChallengeNonceSize {
		return bad(i+1, "nonce of "+strconv.Itoa(len(h))+" characters; want "+strconv.Itoa(2*TimeChallengeNonceSize)+" hex digits")
	}
	if _, err := hex.Decode(c.Nonce[:], []byte(h)); err != nil {
		return bad(i+1, "nonce is not hex")
	}
	return c, nil
}

// detailOf is an error's message without its package prefix.
func detailOf(err error) string {
	m := err.Error()
	if j := strings.Index(m, ": "); j > 0 && !strings.Contains(m[:j], " ") {
		return m[j+2:]
	}
	return m
}

// TimeToken is a vendor-signed statement of the time, for one device, answering one challenge. It
// prints as a summary. The exchange:
//
//  1. The device makes a challenge: ch, err := dev.TimeChallenge(). Its text form (ch.String(),
//     like "SV8100:191000343919:6C1A…") goes to the vendor's license server, by the partner or by
//     the device itself.
//  2. The license server reads it with [ParseTimeChallenge], checks that ch.Code is the code of a
//     location it keeps and that its policy allows what it is asked (who may ask, how often, how
//     far device time may be pulled back, whether the trial may start again), signs a token with
//     the vendor key, signed, err := license.IssueTimeToken(key, ch, now,
//     license.TimeTokenOptions{Serial: id, MaxSetBack: …, RearmTrial: …}), and records the serial
//     and the options in its audit. That is the whole of the ledger's operation: a thin wrapper
//     around IssueTimeToken.
//  3. The device applies it: err := dev.ApplyTimeToken(signed). See [Device.ApplyTimeToken] for
//     what it does and refuses.
//
// The signed form is a COSE_Sign1 message like a license file's (tag 18, EdDSA, the key's kid),
// with content type [TimeTokenContentType] and a payload that is a CBOR map in core deterministic
// encoding:
//
//	time-token = {
//	  1 => 1,                          ; version
//	  2 => tstr .size (1..64),         ; serial: the issuer's id for the token (as a file serial)
//	  3 => tstr,                       ; system: the keycode.System name
//	  4 => tstr,                       ; code: the device's canonical hardware key code
//	  5 => bstr .size 16,              ; nonce: the challenge's
//	  6 => uint .le 253402300799,      ; time: the vendor's time when it issued the token, seconds
//	  ? 7 => uint,                     ; max set back, seconds (left out when 0)
//	  ? 8 => true,                     ; re-arm the trial (left out when false)
//	}
type TimeToken struct {
	// Serial is the issuer's id for the token, for its audit: 1 to 64 letters, digits and -._:.
	Serial string
	// Code is the device's hardware key code (its system included), from the challenge.
	Code keycode.Code
	// Nonce is the challenge's nonce.
	Nonce [TimeChallengeNonceSize]byte
	// Time is the vendor's time when it issued the token, to the second. It is also the signing
	// time the keyring checks the key's validity window against.
	Time time.Time
	// MaxSetBack is how far the token may pull device time back, to the second: when device time
	// is ahead of Time (after a forward glitch), the device moves it back by at most this much.
	// Zero means not at all: the token only confirms the time or moves it forward.
	MaxSetBack time.Duration
	// RearmTrial lets the device start its trial again, as if it never had (the vendor grants it a
	// new one, or one that counted as used when the state was lost).
	RearmTrial bool
}

// String summarises the token for logs.
func (t TimeToken) String() string {
	s := "license.TimeToken{" + strconv.Quote(t.Serial) + " for " + string(t.Code.System()) + " " + strconv.Quote(t.Code.String()) +
		", time " + t.Time.UTC().Format(time.RFC3339) + ", nonce " + strings.ToUpper(hex.EncodeToString(t.Nonce[:4])) + "…"
	if t.MaxSetBack > 0 {
		s += ", may set back " + t.MaxSetBack.String()
	}
	if t.RearmTrial {
		s += ", re-arms the trial"
	}
	return s + "}"
}

// GoString is String: %#v never prints the nonce byte by byte.
func (t TimeToken) GoString() string { return t.String() }

// TimeTokenOptions are what the issuer decides for one token beyond the challenge and the time.
type TimeTokenOptions struct {
	// Serial is the issuer's id for the token, recorded in its audit. Required.
	Serial string
	// MaxSetBack: see [TimeToken]. Zero means the token cannot pull device time back.
	MaxSetBack time.Duration
	// RearmTrial: see [TimeToken].
	RearmTrial bool
}

// IssueTimeToken builds the time token that answers ch at the vendor's time now and signs it with
// the vendor key (see [TimeToken.Sign]). It is what the license server calls once it has checked
// that the challenge's code is one of its locations and that its policy allows the options; it
// returns the signed token for the device's [Device.ApplyTimeToken]. now is truncated to the
// second. An invalid challenge or option returns an error matching [ErrInvalid] and nothing is
// signed.
func IssueTimeToken(key *signing.PrivateKey, ch TimeChallenge, now time.Time, opts TimeTokenOptions) ([]byte, error) {
	t := &TimeToken{Serial: opts.Serial, Code: ch.Code, Nonce: ch.Nonce, Time: now.UTC().Truncate(time.Second),
		MaxSetBack: opts.MaxSetBack, RearmTrial: opts.RearmTrial}
	return t.Sign(key)
}

// timeTokenPayload is the CBOR form of a TimeToken.
type timeTokenPayload struct {
	V          int    `cbor:"1,keyasint"`
	Serial     string `cbor:"2,keyasint"`
	System     string `cbor:"3,keyasint"`
	Code       string `cbor:"4,keyasint"`
	Nonce      []byte `cbor:"5,keyasint"`
	Time       int64  `cbor:"6,keyasint"`
	MaxSetBack int64  `cbor:"7,keyasint,omitempty"`
	RearmTrial bool   `cbor:"8,keyasint,omitempty"`
}

var tokenDecMode = cborx.MustDecMode(cborx.Limits{MaxNested: 4, MaxArray: 16, MaxMap: 16})

// maxSetBackSeconds is the longest MaxSetBack a time.Duration holds, in whole seconds.
const maxSetBackSeconds = int64(1<<63-1) / int64(time.Second)

func tokenErr(field, reason string) error { return fieldErr("time token "+field, reason) }

// check checks the rules of a token.
func (t *TimeToken) check() error {
	switch {
	case !validSerial(t.Serial):
		return tokenErr("serial", quote(t.Serial)+" is not 1 to 64 letters, digits and -._:")
	case t.Code.IsZero():
		return tokenErr("code", "no key code")
	case t.Nonce == [TimeChallengeNonceSize]byte{}:
		return tokenErr("nonce", "no nonce")
	case t.Time.IsZero() || t.Time.Unix() < 0 || t.Time.Unix() > maxUnix || t.Time.Nanosecond() != 0:
		return tokenErr("time", "time "+t.Time.UTC().Format(time.RFC3339Nano)+" is not a whole second in 1970..9999")
	case t.MaxSetBack < 0 || t.MaxSetBack%time.Second != 0:
		return tokenErr("max set back", t.MaxSetBack.String()+" is not a whole number of seconds, zero or more")
	}
	return nil
}

func (t *TimeToken) payload() timeTokenPayload {
	return timeTokenPayload{V: 1, Serial: t.Serial, System: string(t.Code.System()), Code: t.Code.String(),
		Nonce: t.Nonce[:], Time: t.Time.Unix(), MaxSetBack: int64(t.MaxSetBack / time.Second), RearmTrial: t.RearmTrial}
}

// Sign validates t and signs it with key as a tagged COSE_Sign1 message whose protected header holds
// alg EdDSA, the content type [TimeTokenContentType] and the key's KeyID. Sign is deterministic. An
// invalid token returns an error matching [ErrInvalid] and nothing is signed.
func (t *TimeToken) Sign(key *signing.PrivateKey) ([]byte, error) {
	if key == nil {
		return nil, errors.New("license: sign time token: nil key")
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	p := t.payload()
	b, err := cborx.EncMode().Marshal(&p)
	if err != nil {
		return nil, fmt.Errorf("license: encoding time token: %w", err)
	}
	signed, err := signing.Sign1(key, b, &signing.Sign1Options{ContentType: TimeTokenContentType})
	if err != nil {
		return nil, &wrapped{"license: sign time token: ", err}
	}
	return signed, nil
}

// OpenTimeToken verifies signed against the keyring and decodes the time token it holds. Like [Open]
// it refuses, changing nothing: input over [MaxTimeTokenSize] before any parsing; a message that is
// not the exact envelope Sign writes, or whose signature does not hold under a key the keyring
// trusts at the token's Time (the signing package's sentinels come back wrapped); another content
// type; a payload that is not in the exact encoding Sign writes ([ErrMalformed]); and one that
// breaks a rule of the token ([ErrInvalid]). It does not look at a device: see
// [Device.ApplyTimeToken].
func OpenTimeToken(signed []byte, kr *signing.Keyring) (*TimeToken, error) {
	var t *TimeToken
	err := openSigned(signed, kr, "time token", "open time token", MaxTimeTokenSize, TimeTokenContentType, func(payload []byte) (time.Time, error) {
		var err error
		if t, err = decodeTimeToken(payload); err != nil {
			return time.Time{}, err
		}
		return t.Time, nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// decodeTimeToken decodes and checks a token's payload: exactly the bytes Sign writes.
func decodeTimeToken(b []byte) (*TimeToken, error) {
	malformed := func(reason string) error {
		return &FormatError{What: "time token", Offset: -1, Reason: reason}
	}
	var p timeTokenPayload
	if err := tokenDecMode.Unmarshal(b, &p); err != nil {
		return nil, malformed(detailOf(err))
	}
	if again, err := cborx.EncMode().Marshal(&p); err != nil || !bytes.Equal(again, b) {
		return nil, malformed("not in core deterministic encoding, or a field present with its default value")
	}
	if p.V != 1 {
		return nil, tokenErr("version", "unsupported version "+strconv.Itoa(p.V))
	}
	sys, ok := keycode.LookupSystem(p.System)
	if !ok || string(sys) != p.System {
		return nil, tokenErr("system", quote(p.System)+" is not a system name")
	}
	code, err := keycode.Parse(sys, p.Code)
	if err != nil || code.String() != p.Code {
		return nil, tokenErr("code", quote(p.Code)+" is not a canonical "+p.System+" code")
	}
	if len(p.Nonce) != TimeChallengeNonceSize {
		return nil, tokenErr("nonce", strconv.Itoa(len(p.Nonce))+" bytes; want "+strconv.Itoa(TimeChallengeNonceSize))
	}
	if p.MaxSetBack < 0 || p.MaxSetBack > maxSetBackSeconds {
		return nil, tokenErr("max set back", strconv.FormatInt(p.MaxSetBack, 10)+" seconds is out of range")
	}
	if p.Time < 0 || p.Time > maxUnix {
		return nil, tokenErr("time", strconv.FormatInt(p.Time, 10)+" is outside 1970..9999")
	}
	t := &TimeToken{Serial: p.Serial, Code: code, Time: time.Unix(p.Time, 0).UTC(),
		MaxSetBack: time.Duration(p.MaxSetBack) * time.Second, RearmTrial: p.RearmTrial}
	copy(t.Nonce[:], p.Nonce)
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// TimeChallenge returns the device's open time challenge, making a new one when none is open (or
// the open one is older than [TimeChallengeLifetime] in device time). A new challenge's nonce is
// read from DeviceConfig.Rand and kept in the trial marker, so that it survives a restart and a
// token answers it once: applying a token closes it. Making one writes the marker; if that fails,
// nothing changes and the error is returned.
func (d *Device) TimeChallenge() (TimeChallenge, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now, ev := d.read()
	changes := d.clockChange(ev, now)
	defer func() { d.notify(append(changes, d.evaluate(now, false)...)) }()
	ch := TimeChallenge{Code: d.host.Code}
	if d.challenge != nil && !d.challengeExpired() {
		copy(ch.Nonce[:], d.challenge)
		return ch, nil
	}
	if _, err := io.ReadFull(d.rand, ch.Nonce[:]); err != nil {
		return TimeChallenge{}, fmt.Errorf("license: time challenge: reading a nonce: %w", err)
	}
	if ch.Nonce == [TimeChallengeNonceSize]byte{} {
		return TimeChallenge{}, errors.New("license: time challenge: the random source gave a nonce of zeros")
	}
	oldNonce, oldAt := d.challenge, d.challengeAt
	d.challenge, d.challengeAt = bytes.Clone(ch.Nonce[:]), d.ck.dev
	if err := d.saveMarker(); err != nil {
		d.challenge, d.challengeAt = oldNonce, oldAt
		return TimeChallenge{}, fmt.Errorf("license: time challenge: %w", err)
	}
	return ch, nil
}

// challengeExpired reports whether the open challenge is older than its lifetime in device time.
func (d *Device) challengeExpired() bool {
	return d.ck.dev.Sub(d.challengeAt) > TimeChallengeLifetime
}

// ApplyTimeToken verifies a vendor time token against the keyring and applies it. The token must be
// for this device's key code ([ErrHostMismatch]) and answer its open time challenge
// ([ErrChallenge]: no challenge open, another or an earlier one, or one made more than
// [TimeChallengeLifetime] ago in device time); otherwise, and on any error of [OpenTimeToken],
// nothing changes.
//
// What it does, saved in the state and the marker before the grant changes:
//   - Device time moves forward to the token's Time when it is behind it; when it is ahead (a
//     forward glitch was followed), it moves back to Time by at most the token's MaxSetBack.
//   - The time is known again: a hold for an unknown time ([HoldTimeUnknown]) or for a state that
//     could not be confirmed ([HoldUnconfirmed]) ends. A clock still set back keeps its rollback
//     hold until it is corrected; a clock that is not plausible is ignored, and device time runs on
//     the monotonic clock.
//   - With RearmTrial, the trial can be started again, for its full length.
//   - The challenge is closed: the same token cannot be applied twice.
//
// It reports [ReasonTimeToken] with the token's serial. If saving fails, nothing changes and the
// error is returned; the challenge stays open, so the token can be applied again.
func (d *Device) ApplyTimeToken(signed []byte) error {
	t, err := OpenTimeToken(signed, d.kr)
	if err != nil {
		return err
	}
	if t.Code != d.host.Code {
		return fmt.Errorf("%w: time token %q is for %s %q; this device is %s %q", ErrHostMismatch, t.Serial,
			t.Code.System(), t.Code.String(), d.host.System, d.host.Code.String())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now, ev := d.read()
	changes := d.clockChange(ev, now)
	defer func() { d.notify(changes) }()
	switch {
	case d.challenge == nil:
		return fmt.Errorf("%w: time token %q: the device has no open time challenge (it was answered already, or never made)", ErrChallenge, t.Serial)
	case !bytes.Equal(d.challenge, t.Nonce[:]):
		return fmt.Errorf("%w: time token %q answers another challenge (nonce %X…; the open one is %X…)", ErrChallenge, t.Serial, t.Nonce[:4], d.challenge[:4])
	case d.challengeExpired():
		return fmt.Errorf("%w: time token %q answers the challenge made at device time %s, which expired at %s (device time is %s)", ErrChallenge, t.Serial,
			d.challengeAt.Format(time.RFC3339), d.challengeAt.Add(TimeChallengeLifetime).Format(time.RFC3339), d.ck.dev.Format(time.RFC3339))
	}

	// Apply to a copy of what changes, save, and only then keep it.
	saved := struct {
		ck          clockState
		trialStart  time.Time
		trialVoid   bool
		unconfirmed bool
		challenge   []byte
		challengeAt time.Time
	}{d.ck, d.trialStart, d.trialVoid, d.unconfirmed, d.challenge, d.challengeAt}
	dev := d.ck.dev
	switch {
	case t.Time.After(dev):
		dev = t.Time
	case t.MaxSetBack > 0:
		dev = dev.Add(-min(dev.Sub(t.Time), t.MaxSetBack))
	}
	d.ck.dev = dev
	d.ck.ref = later(d.ck.ref, t.Time)
	if d.ck.ref.After(dev) {
		d.ck.ref = dev
	}
	d.ck.known, d.ck.booting, d.ck.fresh, d.ck.pending = true, false, false, false
	d.ck.rolled = d.ck.plausible(now) && d.ck.rolledBack(now)
	d.unconfirmed = false
	if t.RearmTrial {
		d.trialStart, d.trialVoid = time.Time{}, false
	}
	d.challenge, d.challengeAt = nil, time.Time{}
	if err := d.saveState(d.files, d.trialStart); err != nil {
		d.ck, d.trialStart, d.trialVoid, d.unconfirmed, d.challenge, d.challengeAt =
			saved.ck, saved.trialStart, saved.trialVoid, saved.unconfirmed, saved.challenge, saved.challengeAt
		return fmt.Errorf("license: apply time token %q: %w", t.Serial, err)
	}
	err = d.flush()
	changes = append(changes, Change{Reason: ReasonTimeToken, Serial: t.Serial, At: now})
	changes = append(changes, d.evaluate(now, false)...)
	if err != nil {
		return fmt.Errorf("license: apply time token %q: saved in the device state, but not yet in the trial marker (Tick retries): %w", t.Serial, err)
	}
	return nil
}
