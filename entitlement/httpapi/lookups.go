package httpapi

import (
	"context"

	"github.com/lmskit/lmskit/entitlement"
)

// The Tools page's lookups: hardware key code, software key code, purchase/sales order, and the
// recently attached and activated lines.

func (h *Handler) lookupRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/lookups/hwkc/{hwkc}", op: "lookupHWKC", tag: "lookups", out: LocationView{}, status: 200,
			summary: "The location holding a hardware key code (also a former one)",
			do: func(c *call) (reply, error) {
				v, err := c.h.l.LookupHWKC(c.ctx, c.actor, c.path("hwkc"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toView(v))
			}},
		{method: "GET", path: "/v1/lookups/skc/{skc}", op: "lookupSKC", tag: "lookups", out: SKCLookup{}, status: 200,
			summary: "The line with a software key code and its location",
			do: func(c *call) (reply, error) {
				ln, loc, err := c.h.l.LookupSKC(c.ctx, c.actor, c.path("skc"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, SKCLookup{Line: toLine(ln), Location: toLocation(loc)})
			}},
		{method: "GET", path: "/v1/lookups/orders/{number}", op: "lookupOrder", tag: "lookups", out: OrderDetails{}, status: 200,
			summary: "Lines shipped under a purchase or sales order number, with the location lines taken from them",
			do: func(c *call) (reply, error) {
				d, err := c.h.l.LookupOrder(c.ctx, c.actor, c.path("number"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, OrderDetails{Shipped: mapSlice(d.Shipped, toShipped), Lines: mapSlice(d.Lines, toLine)})
			}},
		{method: "GET", path: "/v1/lines/recently-attached", op: "listRecentlyAttached", tag: "lookups", out: list[Line]{}, list: true, status: 200,
			summary: "The caller's partner's attached lines, newest first",
			do:      func(c *call) (reply, error) { return c.recent(c.h.l.RecentlyAttachedPage) }},
		{method: "GET", path: "/v1/lines/recently-activated", op: "listRecentlyActivated", tag: "lookups", out: list[Line]{}, list: true, status: 200,
			summary: "The caller's partner's activated lines, newest first",
			do:      func(c *call) (reply, error) { return c.recent(c.h.l.RecentlyActivatedPage) }},
	}
}

func (c *call) recent(fn func(ctx context.Context, a entitlement.Actor, q entitlement.PageQuery) ([]entitlement.Line, error)) (reply, error) {
	p, err := c.page()
	if err != nil {
		return reply{}, err
	}
	lines, err := fn(c.ctx, c.actor, p.query())
	if err != nil {
		return reply{}, err
	}
	// Newest first: the cursor is the line's position in the recent list.
	return jsonReply(200, pageFrom(lines, func(ln entitlement.Line) string { return num(ln.Recent) }, p, toLine))
}
