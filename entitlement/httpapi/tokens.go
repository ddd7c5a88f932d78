package httpapi

import (
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// API tokens: issued by the administrator, impersonation tokens by a distributor's user; listed
// and revoked. A secret is in the response that creates it and nowhere else.

func (h *Handler) tokenRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/tokens", op: "listTokens", tag: "tokens", out: list[Token]{}, list: true, status: 200,
			query:   []param{{name: "user", desc: "only this user's tokens"}},
			summary: "API tokens, without secrets", desc: "Every token for an administrator; the caller's own otherwise.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ts, err := c.h.l.Tokens(c.ctx, c.actor, entitlement.TokenQuery{User: c.r.URL.Query().Get("user"), After: p.after, Limit: p.query().Limit})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(ts, func(t entitlement.Token) string { return t.ID }, p, toToken))
			}},
		{method: "POST", path: "/v1/tokens", op: "createToken", tag: "tokens", in: TokenRequest{}, out: IssuedToken{}, status: 201, secret: true,
			summary: "Issue an API token for a user (administrator); the secret is shown once",
			desc:    "An idempotent replay of this request returns the token without its secret: the ledger keeps only the secret's hash.",
			do: func(c *call) (reply, error) {
				var req TokenRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				secret, t, err := c.h.l.IssueToken(c.ctx, c.actor, entitlement.TokenRequest{User: req.User, Name: req.Name,
					TTL: seconds(req.ExpiresInSeconds)})
				if err != nil {
					return reply{}, err
				}
				return tokenReply(secret, t)
			}},
		{method: "POST", path: "/v1/impersonations", op: "impersonate", tag: "tokens", in: ImpersonationRequest{}, out: IssuedToken{}, status: 201, secret: true,
			summary: "Obtain a token acting as a dealer's user (distributor's user with the shipping allowance)",
			desc:    "Every request made with the token checks the impersonation rule again; revoking the allowance ends its use at once.",
			do: func(c *call) (reply, error) {
				var req ImpersonationRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				secret, t, err := c.h.l.IssueImpersonationToken(c.ctx, c.actor, req.DealerUser, seconds(req.ExpiresInSeconds))
				if err != nil {
					return reply{}, err
				}
				return tokenReply(secret, t)
			}},
		{method: "DELETE", path: "/v1/tokens/{token}", op: "revokeToken", tag: "tokens", status: 204,
			summary: "Revoke a token (its holder or an administrator)",
			do: func(c *call) (reply, error) {
				if err := c.h.l.RevokeToken(c.ctx, c.actor, c.path("token")); err != nil {
					return reply{}, err
				}
				return noContent()
			}},
	}
}

func seconds(n int64) time.Duration {
	if n < 0 {
		return -1
	}
	if n > int64(entitlement.MaxTokenTTL/time.Second) {
		return entitlement.MaxTokenTTL
	}
	return time.Duration(n) * time.Second
}

// tokenReply answers with the secret; what an idempotency key keeps has none.
func tokenReply(secret string, t entitlement.Token) (reply, error) {
	rep, err := jsonReply(201, IssuedToken{Token: toToken(t), Secret: secret})
	if err != nil {
		return rep, err
	}
	kept, err := jsonReply(201, IssuedToken{Token: toToken(t)})
	rep.keep = kept.body
	return rep, err
}
