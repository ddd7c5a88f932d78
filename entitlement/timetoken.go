package entitlement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lmskit/lmskit/license"
)

// Vendor-signed time tokens. A PBX that booted without a trusted clock, or whose device time ran
// ahead after a forward glitch of its clock, asks for one: it shows a challenge
// (license.Device.TimeChallenge), the partner or the device brings it to the license server, and
// [Ledger.IssueTimeToken] answers it with a token the device applies (license.Device.ApplyTimeToken).
// A token only ever states the server's time for one device and one challenge; what more it may
// do (pull device time back, start the trial again) is the license desk's decision, recorded in
// the audit.

// DefaultMaxTimeTokenSetBack is how far a time token may pull a device's time back when
// Config.MaxTimeTokenSetBack is 0: a little more than the furthest a device ever follows its clock
// forward (license.DefaultMaxClockLead, 366 days).
const DefaultMaxTimeTokenSetBack = 400 * 24 * time.Hour

// TimeTokenRequest asks for a time token.
type TimeTokenRequest struct {
	// Challenge is the device's challenge in its text form (license.TimeChallenge.String()).
	Challenge string
	// MaxSetBack is how far the token may pull device time back (after a forward glitch); 0 means
	// the token only confirms the time. More than 0 is the administrator's decision, with a
	// Reason, at most Config.MaxTimeTokenSetBack.
	MaxSetBack time.Duration
	// RearmTrial lets the device start its trial again (administrator only, with a Reason).
	RearmTrial bool
	// Reason says why, for the audit record; required with MaxSetBack or RearmTrial.
	Reason string
}

// TimeTokenIssued is an issued time token.
type TimeTokenIssued struct {
	Serial   string // the token's id, as recorded in the audit ("TT-<n>")
	Location string // the location whose device asked
	Token    []byte // the signed token for license.Device.ApplyTimeToken
}

// TimeTokenIssuer is implemented by an [Issuer] that can also sign vendor time tokens
// ([LicenseIssuer] does, with the same vendor key the devices trust for license files).
type TimeTokenIssuer interface {
	IssueTimeToken(ch license.TimeChallenge, now time.Time, opts license.TimeTokenOptions) ([]byte, error)
}

// IssueTimeToken implements [TimeTokenIssuer] with license.IssueTimeToken.
func (li LicenseIssuer) IssueTimeToken(ch license.TimeChallenge, now time.Time, opts license.TimeTokenOptions) ([]byte, error) {
	if li.Key == nil {
		return nil, errors.New("entitlement: license issuer has no key")
	}
	return license.IssueTimeToken(li.Key, ch, now, opts)
}

// IssueTimeToken answers a device's time challenge with a token signed by the issuer, stating the
// ledger's time. The challenge's code must be the hardware key code of a location the actor may
// see, of a system whose codes follow the challenge's grammar; another partner's location is not
// found, like an unknown code. A token that only confirms the time may be asked for by an LMS
// user of the location's partner or an administrator. Pulling device time back (MaxSetBack, at
// most Config.MaxTimeTokenSetBack) or starting the trial again (RearmTrial) is the administrator's
// decision and needs a Reason. The token gets the serial TT-<n>; the audit record names it, the
// location, the options and the reason. The configured Issuer must implement [TimeTokenIssuer];
// otherwise the request is refused with ErrState.
func (l *Ledger) IssueTimeToken(ctx context.Context, a Actor, req TimeTokenRequest) (TimeTokenIssued, error) {
	var out TimeTokenIssued
	err := l.update(ctx, a, "issue time token", func(o *op) error {
		out = TimeTokenIssued{}
		if err := o.lmsUser("ask for time tokens"); err != nil {
			return err
		}
		ch, err := license.ParseTimeChallenge(req.Challenge)
		if err != nil {
			return wrapf(ErrInvalid, "time challenge: %v", err)
		}
		if req.MaxSetBack < 0 {
			return wrapf(ErrInvalid, "time token: negative set-back %v", req.MaxSetBack)
		}
		if err := checkText("time token reason", req.Reason, false); err != nil {
			return err
		}
		code := ch.Code.String()
		id, ok, err := o.tx.Get(bHWKC, code)
		if err != nil {
			return err
		}
		if !ok {
			return wrapf(ErrNotFound, "location with hardware key code %s", code)
		}
		loc, err := o.location(string(id))
		if err != nil {
			return wrapf(ErrNotFound, "location with hardware key code %s", code)
		}
		sys, _ := o.l.cat.System(loc.System)
		if sys.Keycode != ch.Code.System() {
			return wrapf(ErrInvalid, "time challenge for a %s code, but location %s is a %s (%s codes)", ch.Code.System(), loc.ID, loc.System, sys.Keycode)
		}
		if req.MaxSetBack > 0 || req.RearmTrial {
			if err := o.need(RoleAdmin, "issue time tokens that pull device time back or re-arm a trial"); err != nil {
				return err
			}
			if req.Reason == "" {
				return wrapf(ErrInvalid, "time token: a set-back or a re-armed trial needs a reason for the audit")
			}
			limit := o.l.cfg.MaxTimeTokenSetBack
			if limit == 0 {
				limit = DefaultMaxTimeTokenSetBack
			}
			if req.MaxSetBack > limit {
				return wrapf(ErrInvalid, "time token: set-back %v is more than the allowed %v", req.MaxSetBack, limit)
			}
		} else if loc.Partner != o.partner.ID && !o.admin() {
			return wrapf(ErrNotFound, "location with hardware key code %s", code)
		}
		ti, ok := o.l.cfg.Issuer.(TimeTokenIssuer)
		if !ok {
			return wrapf(ErrState, "the configured issuer cannot sign time tokens")
		}
		n, err := o.next("timetoken")
		if err != nil {
			return err
		}
		serial := fmt.Sprintf("TT-%d", n)
		token, err := ti.IssueTimeToken(ch, o.now, license.TimeTokenOptions{Serial: serial, MaxSetBack: req.MaxSetBack.Truncate(time.Second), RearmTrial: req.RearmTrial})
		if err != nil {
			return wrapf(ErrState, "signing time token %s: %v", serial, err)
		}
		o.ref("location", loc.ID)
		o.ref("time-token", serial)
		o.note(fmt.Sprintf("time token %s for %s at %s: set-back up to %v, re-arm trial %v",
			serial, code, o.now.Format(time.RFC3339), req.MaxSetBack.Truncate(time.Second), req.RearmTrial))
		if req.Reason != "" {
			o.note("reason: " + req.Reason)
		}
		out = TimeTokenIssued{Serial: serial, Location: loc.ID, Token: token}
		return nil
	})
	if err != nil {
		return TimeTokenIssued{}, err
	}
	return out, nil
}
