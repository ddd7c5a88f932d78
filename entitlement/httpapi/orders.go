package httpapi

import (
	"fmt"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/license"
)

// Orders, the license bin, the parts inventory, reshipments and returns.

func (h *Handler) orderRoutes() []*route {
	return []*route{
		{method: "POST", path: "/v1/orders", op: "shipOrder", tag: "orders", in: OrderRequest{}, out: Shipment{}, status: 201,
			summary: "Ship an order into a partner's bin (administrator)",
			desc:    "An order (partner, PO, SO) ships once: a repeat is 409. Each line carries its entitlement type (absent: T, permanent); a fixed-term type needs not_after.",
			do: func(c *call) (reply, error) {
				var req OrderRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				lines, err := c.h.l.Ship(c.ctx, c.actor, req.order())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, Shipment{Lines: mapSlice(lines, toShipped)})
			}},
		{method: "GET", path: "/v1/bin", op: "listBin", tag: "orders", out: list[ShippedLine]{}, list: true, status: 200,
			summary: "The caller's partner's license bin (lines with a quantity in the bin), by purchase order",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				bin, err := c.h.l.BinPage(c.ctx, c.actor, p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(bin, func(s entitlement.ShippedLine) string { return num(s.ID) }, p, toShipped))
			}},
		{method: "GET", path: "/v1/inventory", op: "listInventory", tag: "orders", out: list[PartStock]{}, list: true, status: 200,
			summary: "The caller's partner's parts inventory, per part number",
			desc:    "Sums every line ever shipped to the partner: each page costs the partner's shipped lines.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				inv, err := c.h.l.Inventory(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageOf(inv, func(s entitlement.PartStock) string { return s.Part }, p,
					func(s entitlement.PartStock) PartStock { return PartStock(s) }))
			}},
		{method: "POST", path: "/v1/reshipments", op: "reship", tag: "orders", in: ReshipRequest{}, out: Reshipment{}, status: 201,
			summary: "Reship bin lines to a dealer's user (distributor with the shipping allowance)",
			do: func(c *call) (reply, error) {
				var req ReshipRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				rs, err := c.h.l.Reship(c.ctx, c.actor, entitlement.ReshipRequest{DealerUser: req.DealerUser, PO: req.PO, SO: req.SO, Picks: picks(req.Picks)})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, toReshipment(rs))
			}},
		{method: "GET", path: "/v1/reshipments", op: "listReshipments", tag: "orders", out: list[Reshipment]{}, list: true, status: 200,
			summary: "The caller's distributor's reshipments (resold orders), newest first",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				rs, err := c.h.l.ResoldPage(c.ctx, c.actor, p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(rs, func(r entitlement.Reshipment) string { return num(r.ID) }, p, toReshipment))
			}},
		{method: "POST", path: "/v1/returns", op: "returnLines", tag: "orders", in: ReturnRequest{}, out: Return{}, status: 201,
			summary: "Return bin lines to whoever shipped them",
			do: func(c *call) (reply, error) {
				var req ReturnRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				rt, err := c.h.l.ReturnLines(c.ctx, c.actor, picks(req.Picks), req.Reason)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, toReturn(rt))
			}},
		{method: "GET", path: "/v1/returns", op: "listReturns", tag: "orders", out: list[Return]{}, list: true, status: 200,
			query: []param{{name: "direction", desc: "sent: the caller's partner's own returns (default); received: returns made to it (to the vendor, for an administrator)",
				enum: []string{"sent", "received"}}},
			summary: "Returns sent or received, newest first",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				var rs []entitlement.Return
				switch d := c.r.URL.Query().Get("direction"); d {
				case "", "sent":
					rs, err = c.h.l.ReturnsSentPage(c.ctx, c.actor, p.query())
				case "received":
					rs, err = c.h.l.ReturnsReceivedPage(c.ctx, c.actor, p.query())
				default:
					return reply{}, &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("direction %q: want sent or received", d), field: "direction"}
				}
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(rs, func(r entitlement.Return) string { return num(r.ID) }, p, toReturn))
			}},
	}
}

// order is the ledger's form of an order request.
func (req OrderRequest) order() entitlement.Order {
	ord := entitlement.Order{Partner: req.Partner, PO: req.PO, SO: req.SO, Lines: mapSlice(req.Lines, func(l OrderLine) entitlement.OrderLine {
		ol := entitlement.OrderLine{Part: l.Part, Qty: l.Quantity, Type: license.EntitlementType(l.Type)}
		if l.NotAfter != nil {
			ol.NotAfter = l.NotAfter.UTC()
		}
		return ol
	})}
	if req.ExpiresAt != nil {
		ord.Expires = req.ExpiresAt.UTC()
	}
	return ord
}

func picks(ps []Pick) []entitlement.Pick {
	return mapSlice(ps, func(p Pick) entitlement.Pick { return entitlement.Pick{Line: p.Line, Qty: p.Quantity} })
}
