package httpapi

import (
	"net/url"

	"github.com/lmskit/lmskit/entitlement"
)

// Partners, users and shipping allowances (administrator's changes; lists scoped by the ledger).

func (h *Handler) partnerRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/partners", op: "listPartners", tag: "partners", out: list[Partner]{}, list: true, status: 200,
			summary: "Partners the caller may see", desc: "Every partner for an administrator; otherwise the caller's own partner and, for a distributor, the dealers it holds a shipping allowance for.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ps, err := c.h.l.Partners(c.ctx, c.actor, p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(ps, func(p entitlement.Partner) string { return p.ID }, p, toPartner))
			}},
		{method: "POST", path: "/v1/partners", op: "createPartner", tag: "partners", in: Partner{}, out: Partner{}, status: 201,
			summary: "Add a partner (administrator)",
			do: func(c *call) (reply, error) {
				var req Partner
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				kind, ok := parseKind(req.Kind)
				if !ok {
					return reply{}, &apiError{status: 422, kind: "invalid", detail: "kind must be distributor or dealer", field: "kind"}
				}
				p := entitlement.Partner{ID: req.ID, Name: req.Name, Kind: kind}
				if err := c.h.l.AddPartner(c.ctx, c.actor, p); err != nil {
					return reply{}, err
				}
				return created("/v1/partners/"+url.PathEscape(p.ID), toPartner(p))
			}},
		{method: "GET", path: "/v1/partners/{partner}", op: "getPartner", tag: "partners", out: Partner{}, status: 200,
			summary: "A partner the caller may see",
			do: func(c *call) (reply, error) {
				p, err := c.h.l.Partner(c.ctx, c.actor, c.path("partner"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toPartner(p))
			}},
		{method: "GET", path: "/v1/users", op: "listUsers", tag: "partners", out: list[User]{}, list: true, status: 200,
			query:   []param{{name: "partner", desc: "only this partner's users"}},
			summary: "Users the caller may see", desc: "Every user for an administrator; otherwise the users of the partners listPartners shows.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				us, err := c.h.l.Users(c.ctx, c.actor, entitlement.UserQuery{Partner: c.r.URL.Query().Get("partner"), After: p.after, Limit: p.query().Limit})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(us, func(u entitlement.User) string { return u.ID }, p, toUser))
			}},
		{method: "POST", path: "/v1/users", op: "createUser", tag: "partners", in: User{}, out: User{}, status: 201,
			summary: "Add a user of a partner with roles (administrator)",
			do: func(c *call) (reply, error) {
				var req User
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				roles, err := parseFlags(req.Roles, roleNames, "roles")
				if err != nil {
					return reply{}, err
				}
				u := entitlement.User{ID: req.ID, Name: req.Name, Partner: req.Partner, Roles: roles}
				if err := c.h.l.AddUser(c.ctx, c.actor, u); err != nil {
					return reply{}, err
				}
				return created("/v1/users/"+url.PathEscape(u.ID), toUser(u))
			}},
		{method: "GET", path: "/v1/users/{user}", op: "getUser", tag: "partners", out: User{}, status: 200,
			summary: "A user the caller may see",
			do: func(c *call) (reply, error) {
				u, err := c.h.l.User(c.ctx, c.actor, c.path("user"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toUser(u))
			}},
		{method: "PUT", path: "/v1/users/{user}/roles", op: "setRoles", tag: "partners", in: RolesRequest{}, out: User{}, status: 200,
			summary: "Replace a user's roles (administrator)",
			do: func(c *call) (reply, error) {
				var req RolesRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				roles, err := parseFlags(req.Roles, roleNames, "roles")
				if err != nil {
					return reply{}, err
				}
				if err := c.h.l.SetRoles(c.ctx, c.actor, c.path("user"), roles); err != nil {
					return reply{}, err
				}
				u, err := c.h.l.User(c.ctx, c.actor, c.path("user"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toUser(u))
			}},
		{method: "GET", path: "/v1/allowances", op: "listAllowances", tag: "partners", out: list[Allowance]{}, list: true, status: 200,
			summary: "Shipping allowances the caller may see", desc: "Every allowance for an administrator; a distributor's own for its users.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				as, err := c.h.l.Allowances(c.ctx, c.actor, p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(as, func(a entitlement.Allowance) string { return a.Distributor + "/" + a.Dealer }, p,
					func(a entitlement.Allowance) Allowance { return Allowance(a) }))
			}},
		{method: "PUT", path: "/v1/allowances/{distributor}/{dealer}", op: "grantAllowance", tag: "partners", out: Allowance{}, status: 200,
			summary: "Grant the shipping allowance distributor→dealer (administrator)",
			do:      func(c *call) (reply, error) { return c.allowance(true) }},
		{method: "DELETE", path: "/v1/allowances/{distributor}/{dealer}", op: "revokeAllowance", tag: "partners", status: 204,
			summary: "Revoke the shipping allowance distributor→dealer (administrator)",
			do:      func(c *call) (reply, error) { return c.allowance(false) }},
	}
}

func (c *call) allowance(allow bool) (reply, error) {
	a := Allowance{Distributor: c.path("distributor"), Dealer: c.path("dealer")}
	if err := c.h.l.SetAllowance(c.ctx, c.actor, a.Distributor, a.Dealer, allow); err != nil {
		return reply{}, err
	}
	if !allow {
		return noContent()
	}
	return jsonReply(200, a)
}
