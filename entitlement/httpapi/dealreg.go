package httpapi

import (
	"net/url"
	"slices"

	"github.com/lmskit/lmskit/entitlement/dealreg"
)

// Deal registrations (package entitlement/dealreg, the second vendor's "Deal Registration"):
// partners' profiles, the approvers' roles, registrations, their updates, return, acceptance,
// rejection, extension and price application, and the sweep that expires them. Each route calls
// the book's operation of the same name; the book decides who may do what. Acceptance first asks
// the vendor's pipeline (Options.DealReg.Pipeline, the service's CRM port). Without
// Options.DealReg every route here answers 404.

var errNoDealReg = &apiError{status: 404, kind: "not-found", detail: "this server takes no deal registrations"}

func (h *Handler) dealRegRoutes() []*route {
	rs := []*route{
		{method: "PUT", path: "/v1/partners/{partner}/deal-profile", op: "setDealProfile", tag: "deal-registrations", in: DealProfileRequest{},
			out: DealProfile{}, status: 200,
			summary: "Set a partner's deal-registration tier and authorised regions and products (administrator)",
			desc:    "A partner without a profile is not a Registered Partner and registers nothing.",
			do: func(c *call) (reply, error) {
				var req DealProfileRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				tier := dealreg.Tier(0)
				for t, n := range tierNames {
					if n == req.Tier {
						tier = t
					}
				}
				if tier == 0 {
					return reply{}, &apiError{status: 422, kind: "invalid", detail: "tier " + req.Tier + ": want registered, authorized, silver, gold, value_added or distributor",
						field: "tier"}
				}
				pr := dealreg.Profile{Partner: c.path("partner"), Tier: tier, Regions: nonNil(slices.Clone(req.Regions)), Products: nonNil(slices.Clone(req.Products))}
				if err := c.h.deals.SetProfile(c.ctx, c.actor, pr); err != nil {
					return reply{}, err
				}
				return jsonReply(200, DealProfile{Partner: pr.Partner, Tier: req.Tier, Regions: pr.Regions, Products: pr.Products})
			}},
		{method: "PUT", path: "/v1/users/{user}/deal-registration-roles", op: "setDealRegRoles", tag: "deal-registrations", in: DealRegRolesRequest{},
			out: StaffRoles{}, status: 200,
			summary: "Replace a vendor user's deal-registration roles (administrator)",
			do: func(c *call) (reply, error) {
				var req DealRegRolesRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				roles, err := parseFlags(req.Roles, dealRoleNames, "roles")
				if err != nil {
					return reply{}, err
				}
				if err := c.h.deals.SetRoles(c.ctx, c.actor, c.path("user"), roles); err != nil {
					return reply{}, err
				}
				return jsonReply(200, StaffRoles{User: c.path("user"), Roles: flagList(roles, dealRoleNames)})
			}},
		{method: "GET", path: "/v1/deal-registrations", op: "listDealRegistrations", tag: "deal-registrations", out: list[DealRegistration]{}, list: true, status: 200,
			query:   []param{{name: "partner", desc: "the partner whose registrations to list (the vendor's approvers); absent: the caller's own partner"}},
			summary: "The registrations a partner registered or is the deal partner of, oldest first",
			do: func(c *call) (reply, error) {
				return partnerList(c, func(partner string) ([]dealreg.Registration, error) {
					return c.h.deals.Registrations(c.ctx, c.actor, partner)
				},
					func(r dealreg.Registration) string { return numbered(r.ID) }, toRegistration)
			}},
		{method: "POST", path: "/v1/deal-registrations", op: "submitDealRegistration", tag: "deal-registrations", in: DealRegistrationRequest{},
			out: DealRegistration{}, status: 201,
			summary: "Register a deal (an LMS user of a partner with a profile); it waits for the vendor's approval",
			desc: "Incomplete information is 422 invalid naming every missing field (missing); a region or product outside the deal partner's " +
				"authorised scope, or a tier that may not register, 403; an opportunity with an accepted registration 409 exists.",
			do: func(c *call) (reply, error) {
				var req DealRegistrationRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				r, err := c.h.deals.Submit(c.ctx, c.actor, dealreg.Request{OnBehalfOf: req.OnBehalfOf, Opportunity: req.Opportunity, Info: req.Deal.dealreg()})
				if err != nil {
					return reply{}, err
				}
				return created("/v1/deal-registrations/"+url.PathEscape(r.ID), toRegistration(r))
			}},
		{method: "GET", path: "/v1/deal-registrations/{id}", op: "getDealRegistration", tag: "deal-registrations", out: DealRegistration{}, status: 200,
			summary: "A deal registration with its history",
			do: func(c *call) (reply, error) {
				return registrationReply(c.h.deals.Registration(c.ctx, c.actor, c.path("id")))
			}},
		{method: "PUT", path: "/v1/deal-registrations/{id}/deal", op: "updateDealRegistration", tag: "deal-registrations", in: Deal{},
			out: DealRegistration{}, status: 200,
			summary: "Replace a registration's information: the regular update that keeps an accepted one valid, or the supplement a returned one was asked for",
			do: func(c *call) (reply, error) {
				var req Deal
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				return registrationReply(c.h.deals.Update(c.ctx, c.actor, c.path("id"), req.dealreg()))
			}},
		{method: "POST", path: "/v1/deal-registrations/{id}/return", op: "returnDealRegistration", tag: "deal-registrations", in: ReasonRequest{},
			out: DealRegistration{}, status: 200,
			summary: "Return a submitted registration for supplement, saying what to add (an approver)",
			do: func(c *call) (reply, error) {
				return c.withReason(func(reason string) (dealreg.Registration, error) {
					return c.h.deals.Return(c.ctx, c.actor, c.path("id"), reason)
				})
			}},
		{method: "POST", path: "/v1/deal-registrations/{id}/accept", op: "acceptDealRegistration", tag: "deal-registrations", out: DealRegistration{}, status: 200,
			summary: "Accept a submitted registration (an approver)",
			desc: "Only when the deal is not in the vendor's own pipeline (asked first), no other registration of its opportunity is accepted (409 " +
				"exists), its partner's tier and scope still cover it, it is valid, and any price application came 15 days after it.",
			do: func(c *call) (reply, error) {
				return registrationReply(c.h.deals.Accept(c.ctx, c.actor, c.path("id")))
			}},
		{method: "POST", path: "/v1/deal-registrations/{id}/reject", op: "rejectDealRegistration", tag: "deal-registrations", in: ReasonRequest{},
			out: DealRegistration{}, status: 200,
			summary: "Reject a submitted or returned registration (an approver)",
			do: func(c *call) (reply, error) {
				return c.withReason(func(reason string) (dealreg.Registration, error) {
					return c.h.deals.Reject(c.ctx, c.actor, c.path("id"), reason)
				})
			}},
		{method: "POST", path: "/v1/deal-registrations/{id}/extend", op: "extendDealRegistration", tag: "deal-registrations", in: ExtendRequest{},
			out: DealRegistration{}, status: 200,
			summary: "Extend an accepted registration's validity (an approver)",
			do: func(c *call) (reply, error) {
				var req ExtendRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				return registrationReply(c.h.deals.Extend(c.ctx, c.actor, c.path("id"), req.ValidUntil.UTC()))
			}},
		{method: "POST", path: "/v1/deal-registrations/{id}/price-application", op: "applyDealPrice", tag: "deal-registrations", out: DealRegistration{}, status: 200,
			summary: "Record the deal's price application (an LMS user of its registering or deal partner)",
			desc:    "At least 15 days after the registration: an earlier one is 409 too-early and records nothing.",
			do: func(c *call) (reply, error) {
				return registrationReply(c.h.deals.ApplyPrice(c.ctx, c.actor, c.path("id")))
			}},
		{method: "POST", path: "/v1/deal-registrations/sweep", op: "sweepDealRegistrations", tag: "deal-registrations", out: DealSweepResult{}, status: 200,
			summary: "Expire registrations whose validity ended, invalidate accepted ones not updated for 4 weeks, raise expiry notices (administrator; for a scheduler)",
			do: func(c *call) (reply, error) {
				r, err := c.h.deals.Sweep(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, DealSweepResult{Expiring: r.Expiring, Expired: r.Expired, Invalid: r.Invalid})
			}},
	}
	for _, rt := range rs {
		do := rt.do
		rt.do = func(c *call) (reply, error) {
			if c.h.deals == nil {
				return reply{}, errNoDealReg
			}
			return do(c)
		}
	}
	return rs
}

func registrationReply(r dealreg.Registration, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, toRegistration(r))
}

func (c *call) withReason(fn func(reason string) (dealreg.Registration, error)) (reply, error) {
	var req ReasonRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	return registrationReply(fn(req.Reason))
}
