package httpapi

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// Software Assurance (package swa, the guide's "Software Assurance handling" and "SWA Renewal in
// LMS"): the units bin, reshipments, quotes, assignments and their reservations, settling,
// renewals, free-of-charge upgrades and the one-step activation. Each route calls the book's
// operation of the same name; the book decides who may do what. Without Options.SWA every route
// here answers 404.

// errNoSWA answers the SWA routes of a handler without a book.
var errNoSWA = &apiError{status: 404, kind: "not-found", detail: "this server keeps no Software Assurance book"}

func (h *Handler) swaRoutes() []*route {
	rs := []*route{
		{method: "GET", path: "/v1/swa/bin", op: "getSWABin", tag: "swa", out: SWABin{}, status: 200,
			summary: "The caller's partner's SWA units bin: unallocated, allocated and available units",
			do: func(c *call) (reply, error) {
				b, err := c.h.book.Bin(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, SWABin{Unallocated: b.UnAllocated, Allocated: b.Allocated, Available: b.Available, Shipments: len(b.Shipments)})
			}},
		{method: "GET", path: "/v1/swa/bin/shipments", op: "listSWABinShipments", tag: "swa", out: list[SWAShipment]{}, list: true, status: 200,
			summary: "The shipments in the caller's partner's SWA units bin, those that expire first first",
			desc:    "Units are drawn in this order. Not expired, with units available.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				b, err := c.h.book.Bin(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(b.Shipments, func(s swa.Shipment) string { return seq(uint64(s.Expires.Unix())) + seq(s.ID) }, p, toSWAShipment))
			}},
		{method: "GET", path: "/v1/swa/lookups/orders/{number}", op: "lookupSWAOrder", tag: "swa", out: list[SWAShipment]{}, list: true, status: 200,
			summary: "The caller's partner's SWA unit shipments under a purchase or sales order number, expired and used-up ones included",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ss, err := c.h.book.LookupOrder(c.ctx, c.actor, c.path("number"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(ss, func(s swa.Shipment) string { return seq(s.ID) }, p, toSWAShipment))
			}},
		{method: "POST", path: "/v1/swa/reshipments", op: "reshipSWAUnits", tag: "swa", in: SWAReshipRequest{}, out: SWAReshipment{}, status: 201,
			summary: "Reship SWA units to a dealer's user (SWA Distributor Admin with the shipping allowance)",
			do: func(c *call) (reply, error) {
				var req SWAReshipRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				rs, err := c.h.book.Reship(c.ctx, c.actor, swa.ReshipRequest{DealerUser: req.DealerUser, PO: req.PO, SO: req.SO,
					Picks: mapSlice(req.Picks, func(p SWAUnitPick) swa.UnitPick { return swa.UnitPick{Shipment: p.Shipment, Qty: p.Quantity} })})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, toSWAReshipment(rs))
			}},
		{method: "GET", path: "/v1/swa/reshipments", op: "listSWAReshipments", tag: "swa", out: list[SWAReshipment]{}, list: true, status: 200,
			summary: "The SWA unit reshipments (resold orders) of the caller's distributor, newest first",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				rs, err := c.h.book.Resold(c.ctx, c.actor, math.MaxInt32)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(rs, func(r swa.Reshipment) string { return seq(math.MaxUint64 - r.ID) }, p, toSWAReshipment))
			}},
		{method: "GET", path: "/v1/swa/prospects", op: "listSWAProspects", tag: "swa", out: list[SWAProspect]{}, list: true, status: 200,
			summary: "The caller's partner's locations in grace without SWA, by customer and location name",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ps, err := c.h.book.Prospective(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(ps, func(p swa.Prospect) string { return p.CustomerName + "\x00" + p.Name + "\x00" + p.Location }, p, toSWAProspect))
			}},
		{method: "GET", path: "/v1/swa/products", op: "listSWAProducts", tag: "swa", out: list[SWAProduct]{}, list: true, status: 200,
			summary: "The product terms table: the units each term of each product costs",
			do: func(c *call) (reply, error) {
				return authenticatedList(c, c.h.book.Terms().Products, func(p swa.Product) string { return p.Name }, toSWAProduct)
			}},
		{method: "GET", path: "/v1/locations/{location}/swa", op: "getSWAStatus", tag: "swa", out: SWAStatus{}, status: 200,
			summary: "A location's SWA status: per product its state, agreement, expiry and history",
			do: func(c *call) (reply, error) {
				st, err := c.h.book.Status(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toSWAStatus(st))
			}},
		{method: "GET", path: "/v1/locations/{location}/swa/quote", op: "quoteSWA", tag: "swa", out: SWAQuote{}, status: 200,
			summary: "The SWA quote of a location: per product the units of each term, the reinstatement fee, the units available",
			desc:    "A product without product terms is 409 swa-no-terms.",
			do: func(c *call) (reply, error) {
				q, err := c.h.book.Quote(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toSWAQuote(q))
			}},
		{method: "POST", path: "/v1/locations/{location}/swa/assignments", op: "assignSWA", tag: "swa", in: SWAAssignRequest{}, out: SWAAssignment{}, status: 201,
			summary: "Assign SWA units to a location for a quoted term; pending for the cooling-off period",
			desc: "authorize_units must be true (422 units-not-authorized). Too few units is 409 quantity-unavailable. " +
				"Send an Idempotency-Key: a retry then never draws units twice.",
			do: func(c *call) (reply, error) {
				var req SWAAssignRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				a, err := c.h.book.Assign(c.ctx, c.actor, c.path("location"), req.swa())
				if err != nil {
					return reply{}, err
				}
				// The assignment is a resource of its location's SWA status (the book reads no
				// assignment by its number alone).
				return created("/v1/locations/"+a.Location+"/swa", toSWAAssignment(a))
			}},
		{method: "POST", path: "/v1/locations/{location}/swa/activate", op: "activateWithSWA", tag: "swa", in: SWAActivateRequest{}, out: SWAActivated{}, status: 200,
			summary: "Activate attached lines and get the SWA quote and the free-of-charge offers, or assign SWA in the same step",
			desc:    "The guide's \"SWA assignment directly (immediately following License activation)\": with assign, a refused assignment activates nothing.",
			do: func(c *call) (reply, error) {
				var req SWAActivateRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				var assign *swa.AssignRequest
				if req.Assign != nil {
					ar := req.Assign.swa()
					assign = &ar
				}
				act, err := c.h.book.Activate(c.ctx, c.actor, c.path("location"), entitlement.Activation{SKCs: req.SKCs, AcceptAgreement: req.AcceptAgreement}, assign)
				if err != nil {
					return reply{}, err
				}
				out := SWAActivated{File: toFile(act.File, "/v1/locations/"+act.File.Location+"/file"), FreeOfCharge: mapSlice(act.FreeOfCharge, toSWAOffer)}
				if act.Quote != nil {
					q := toSWAQuote(*act.Quote)
					out.Quote = &q
				}
				if act.Assignment != nil {
					a := toSWAAssignment(*act.Assignment)
					out.Assignment = &a
				}
				return jsonReply(200, out)
			}},
		{method: "GET", path: "/v1/locations/{location}/swa/free-of-charge", op: "listSWAFreeOfCharge", tag: "swa", out: list[SWAOffer]{}, list: true, status: 200,
			summary: "The upgrade licenses a location may attach free of charge now (with SWA in force or in grace)",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				os, err := c.h.book.FreeOfCharge(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(os, func(o swa.Offer) string { return o.Part }, p, toSWAOffer))
			}},
		{method: "POST", path: "/v1/locations/{location}/swa/free-of-charge", op: "attachSWAFreeOfCharge", tag: "swa", in: SWAFreeOfChargeRequest{}, out: SWAFreeOfChargeResult{}, status: 201,
			summary: "Attach offered upgrade licenses without a purchase order, activated and the file re-issued in one step",
			do: func(c *call) (reply, error) {
				var req SWAFreeOfChargeRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				r, err := c.h.book.AttachFreeOfCharge(c.ctx, c.actor, c.path("location"), swa.FreeOfChargeRequest{Parts: nonNil(req.Parts), AcceptAgreement: req.AcceptAgreement})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, SWAFreeOfChargeResult{PO: r.PO, SO: r.SO, Lines: mapSlice(r.Lines, toLine),
					File: toFile(r.File, "/v1/locations/"+r.File.Location+"/file"), Offers: mapSlice(r.Offers, toSWAOffer), Order: mapSlice(r.Order, toShipped)})
			}},
		{method: "GET", path: "/v1/swa/reservations", op: "listSWAReservations", tag: "swa", out: list[SWAAssignment]{}, list: true, status: 200,
			summary: "Pending assignments the caller may act on, oldest due first",
			desc: "A partner's own; for an SWA Distributor Admin also its dealers'; for the vendor's administrator the escalated ones. " +
				"Each page reads every pending assignment (one lives 24 hours).",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				as, err := c.h.book.Reservations(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(as, func(a swa.Assignment) string { return seq(uint64(a.Due.Unix())) + seq(a.ID) }, p, toSWAAssignment))
			}},
		{method: "POST", path: "/v1/swa/assignments/{assignment}/push", op: "pushSWAAssignment", tag: "swa", in: SWAReasonRequest{}, out: SWAAssignment{}, status: 200,
			summary: "Bring a pending assignment into force at once, with a reason (its partner's SWA user; the administrator an escalated one)",
			do: func(c *call) (reply, error) {
				return c.reservation(func(id uint64, text string) (swa.Assignment, error) { return c.h.book.Push(c.ctx, c.actor, id, text) })
			}},
		{method: "POST", path: "/v1/swa/assignments/{assignment}/cancel", op: "cancelSWAAssignment", tag: "swa", in: SWAReasonRequest{}, out: SWAAssignment{}, status: 200,
			summary: "Cancel a pending assignment: every unit goes back to its shipment",
			desc:    "Its partner's SWA user, an SWA Distributor Admin holding the shipping allowance for the dealer, or the administrator an escalated one with a reason. A pushed or settled assignment is 409 state.",
			do: func(c *call) (reply, error) {
				return c.reservation(func(id uint64, text string) (swa.Assignment, error) { return c.h.book.Cancel(c.ctx, c.actor, id, text) })
			}},
		{method: "POST", path: "/v1/swa/assignments/{assignment}/escalate", op: "escalateSWAAssignment", tag: "swa", in: SWAEscalationRequest{}, out: SWAAssignment{}, status: 200,
			summary: "Escalate a dealer's pending assignment to the vendor's administrator (SWA Distributor Admin with the shipping allowance)",
			do: func(c *call) (reply, error) {
				var req SWAEscalationRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				id, err := c.assignmentID()
				if err != nil {
					return reply{}, err
				}
				a, err := c.h.book.Escalate(c.ctx, c.actor, id, req.Note)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toSWAAssignment(a))
			}},
		{method: "POST", path: "/v1/swa/settle", op: "settleSWA", tag: "swa", out: SWASettleReport{}, status: 200,
			summary: "Bring into force the assignments whose cooling-off ended and expire units, for a scheduler",
			desc:    "The administrator settles every partner and raises the agreements' expiry events; a partner's SWA user settles its own partner. Every other operation settles what it meets, so nothing depends on this.",
			do: func(c *call) (reply, error) {
				r, err := c.h.book.Settle(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, SWASettleReport{Activated: nonNil(r.Activated), ExpiredUnits: r.ExpiredUnits, Expiring: r.Expiring, Expired: r.Expired})
			}},
		{method: "POST", path: "/v1/swa/renewal-quotes", op: "quoteSWARenewal", tag: "swa", in: SWARenewalQuoteRequest{}, out: SWARenewalQuote{}, status: 200,
			summary: "Quote a renewal: one location, or a customer's locations (all or a subset) co-termed to one end month",
			desc:    "A failed quote is no error: its lines and the quote as a whole carry the guide's reasons.",
			do: func(c *call) (reply, error) {
				var req SWARenewalQuoteRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				q, err := c.h.book.RenewalQuote(c.ctx, c.actor, req.swa())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toSWARenewalQuote(q))
			}},
		{method: "POST", path: "/v1/swa/renewals", op: "renewSWA", tag: "swa", in: SWARenewRequest{}, out: SWAAssignment{}, status: 201,
			summary: "Renew what the renewal quote quotes; in force at once",
			desc: "A quote that fails is 422 quote-failed with the reasons per location (reasons); authorize_units must be true. " +
				"Send an Idempotency-Key: a retry then never draws units twice.",
			do: func(c *call) (reply, error) {
				var req SWARenewRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				rr := req.swa()
				rr.Reference, rr.AuthorizeUnits = req.Reference, req.AuthorizeUnits
				a, err := c.h.book.Renew(c.ctx, c.actor, rr)
				if errors.Is(err, swa.ErrQuote) {
					return reply{}, &quoteFailed{err: err, req: rr}
				}
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, toSWAAssignment(a))
			}},
	}
	for _, rt := range rs {
		do := rt.do
		rt.do = func(c *call) (reply, error) {
			if c.h.book == nil {
				return reply{}, errNoSWA
			}
			return do(c)
		}
	}
	return rs
}

// seq is a number's sort key.
func seq(n uint64) string { return fmt.Sprintf("%020d", n) }

// assignmentID reads the path's assignment number; one that is no number is not found.
func (c *call) assignmentID() (uint64, error) {
	id, err := strconv.ParseUint(c.path("assignment"), 10, 64)
	if err != nil || id == 0 {
		return 0, &apiError{status: 404, kind: "not-found", detail: "assignment " + c.path("assignment")}
	}
	return id, nil
}

// reservation runs a push or cancel with the request's reason.
func (c *call) reservation(fn func(id uint64, reason string) (swa.Assignment, error)) (reply, error) {
	var req SWAReasonRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	id, err := c.assignmentID()
	if err != nil {
		return reply{}, err
	}
	a, err := fn(id, req.Reason)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, toSWAAssignment(a))
}

// quoteFailed is a renewal the book refused with swa.ErrQuote. Once the refused transaction has
// ended, the handler asks the book for the renewal quote and puts its reasons in the problem
// document (see call.run).
type quoteFailed struct {
	err error
	req swa.RenewalRequest
}

func (q *quoteFailed) Error() string { return q.err.Error() }
func (q *quoteFailed) Unwrap() error { return q.err }

// explain turns a refused renewal into its problem with the quote's reasons; a quote that cannot
// be had now leaves the refusal as it was.
func (c *call) explain(q *quoteFailed) error {
	rq, err := c.h.book.RenewalQuote(c.ctx, c.actor, q.req)
	if err != nil {
		return q
	}
	return &apiError{status: 422, kind: "quote-failed", detail: q.err.Error(), reasons: quoteReasons(rq)}
}
