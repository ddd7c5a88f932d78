package httpapi

import (
	"github.com/lmskit/lmskit/entitlement"
)

// Customers of the caller's partner and their locations.

func (h *Handler) customerRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/customers", op: "listCustomers", tag: "customers", out: list[Customer]{}, list: true, status: 200,
			query:   []param{{name: "q", desc: "only customers whose name contains this (case-insensitive)"}},
			summary: "The caller's partner's customers, in id order",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				cs, err := c.h.l.CustomersPage(c.ctx, c.actor, c.r.URL.Query().Get("q"), p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(cs, func(c entitlement.Customer) string { return c.ID }, p, toCustomer))
			}},
		{method: "POST", path: "/v1/customers", op: "createCustomer", tag: "customers", in: CustomerRequest{}, out: Customer{}, status: 201,
			summary: "Create a customer of the caller's partner",
			do: func(c *call) (reply, error) {
				var req CustomerRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				cu, err := c.h.l.CreateCustomer(c.ctx, c.actor, entitlement.Customer{Name: req.Name, Address: req.Address, Reference: req.Reference, Email: req.Email})
				if err != nil {
					return reply{}, err
				}
				return created("/v1/customers/"+cu.ID, toCustomer(cu))
			}},
		{method: "GET", path: "/v1/customers/{customer}", op: "getCustomer", tag: "customers", out: Customer{}, status: 200,
			summary: "A customer",
			do: func(c *call) (reply, error) {
				cu, err := c.h.l.Customer(c.ctx, c.actor, c.path("customer"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toCustomer(cu))
			}},
		{method: "PUT", path: "/v1/customers/{customer}", op: "editCustomer", tag: "customers", in: CustomerRequest{}, out: Customer{}, status: 200,
			summary: "Replace a customer's name, address, reference and e-mail",
			do: func(c *call) (reply, error) {
				var req CustomerRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				id := c.path("customer")
				if err := c.h.l.EditCustomer(c.ctx, c.actor, entitlement.Customer{ID: id, Name: req.Name, Address: req.Address,
					Reference: req.Reference, Email: req.Email}); err != nil {
					return reply{}, err
				}
				cu, err := c.h.l.Customer(c.ctx, c.actor, id)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toCustomer(cu))
			}},
		{method: "GET", path: "/v1/customers/{customer}/locations", op: "listCustomerLocations", tag: "customers", out: list[Location]{}, list: true, status: 200,
			summary: "A customer's locations",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ls, err := c.h.l.LocationsPage(c.ctx, c.actor, c.path("customer"), p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(ls, func(l entitlement.Location) string { return l.ID }, p, toLocation))
			}},
	}
}
