package httpapi

import (
	"errors"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/license"
)

// Vendor time tokens (entitlement.Ledger.IssueTimeToken): a PBX that booted without a plausible
// clock, or whose time ran ahead, shows a challenge; the partner (or the device) posts it here and
// gets the signed token the device applies.
//
// The answer is JSON with the token in base64 (the default), or the token's own bytes with its
// media type, application/vnd.lmskit.time-token+cbor, when the request asks for it with
// format=cbor or an Accept header naming that type (and not application/json): what a device's
// upload takes as it is. With an Idempotency-Key, the Accept header is part of the request a key
// stands for, so a retry gets the form it asked for.

func (h *Handler) timeTokenRoutes() []*route {
	return []*route{
		{method: "POST", path: "/v1/time-tokens", op: "issueTimeToken", tag: "time-tokens", in: TimeTokenRequest{}, out: TimeToken{},
			raw: license.TimeTokenContentType, status: 200,
			query: []param{{name: "format", enum: []string{"json", "cbor"},
				desc: "json: the token in base64 inside a JSON object (default); cbor: the token's bytes as application/vnd.lmskit.time-token+cbor (Accept: application/vnd.lmskit.time-token+cbor asks for it too)"}},
			summary: "Answer a device's time challenge with a vendor-signed time token",
			desc: "The challenge's code must be the hardware key code of a location the caller may see (another partner's is 404, like an unknown one). " +
				"A token that only confirms the time: an LMS user of the location's partner or an administrator; pulling device time back or " +
				"re-arming the trial: an administrator, with a reason.",
			do: func(c *call) (reply, error) {
				var req TimeTokenRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				raw, err := c.wantsRaw()
				if err != nil {
					return reply{}, err
				}
				var setBack time.Duration
				switch {
				case req.MaxSetBackSeconds < 0:
					setBack = -1
				case req.MaxSetBackSeconds > int64(10*entitlement.DefaultMaxTimeTokenSetBack/time.Second):
					setBack = 10 * entitlement.DefaultMaxTimeTokenSetBack // refused by the ledger as beyond its allowance
				default:
					setBack = time.Duration(req.MaxSetBackSeconds) * time.Second
				}
				tt, err := c.h.l.IssueTimeToken(c.ctx, c.actor, entitlement.TimeTokenRequest{Challenge: req.Challenge, MaxSetBack: setBack,
					RearmTrial: req.RearmTrial, Reason: req.Reason})
				if err != nil {
					return reply{}, challengeError(req.Challenge, err)
				}
				if raw {
					return fileReply(tt.Serial+".cbor", license.TimeTokenContentType, tt.Token), nil
				}
				return jsonReply(200, TimeToken{Serial: tt.Serial, Location: tt.Location, Token: tt.Token, MediaType: license.TimeTokenContentType})
			}},
	}
}

// wantsRaw reads which form of the time token the request asks for.
func (c *call) wantsRaw() (bool, error) {
	switch f := c.r.URL.Query().Get("format"); f {
	case "cbor":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, &apiError{status: 400, kind: "malformed", detail: "format " + f + ": want json or cbor", field: "format"}
	}
	raw := false
	for _, v := range c.r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			switch mt, _, _ := strings.Cut(part, ";"); strings.ToLower(strings.TrimSpace(mt)) {
			case license.TimeTokenContentType:
				raw = true
			case "application/json":
				return false, nil
			}
		}
	}
	return raw, nil
}

// challengeError adds where a refused challenge is malformed: the field and the byte position.
func challengeError(challenge string, err error) error {
	if !errors.Is(err, entitlement.ErrInvalid) {
		return err
	}
	_, perr := license.ParseTimeChallenge(challenge)
	var fe *license.FormatError
	if !errors.As(perr, &fe) {
		return err
	}
	ae := &apiError{status: 422, kind: "invalid", detail: err.Error(), field: "challenge"}
	if fe.Offset >= 0 {
		pos := fe.Offset
		ae.position = &pos
	}
	return ae
}
