package httpapi

import (
	"slices"

	"github.com/lmskit/lmskit/entitlement"
)

// Locations: create, read, edit, search, and the license handling on them (attach, detach,
// activate, regenerate).

func (h *Handler) locationRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/locations", op: "searchLocations", tag: "locations", out: list[Location]{}, list: true, status: 200,
			query:   []param{{name: "q", desc: "name or hardware key code: contained in them (a partner's user; empty lists all) or their prefix (an administrator, required)"}},
			summary: "Search locations by name or hardware key code",
			desc:    "A partner's user pages its locations in id order; an administrator's search lists code matches by code, then name matches by name.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				ls, err := c.h.l.SearchLocationsPage(c.ctx, c.actor, c.r.URL.Query().Get("q"), p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(ls, func(l entitlement.Location) string { return l.ID }, p, toLocation))
			}},
		{method: "POST", path: "/v1/locations", op: "createLocation", tag: "locations", in: LocationRequest{}, out: Location{}, status: 201,
			summary: "Create a customer location",
			desc:    "The hardware key code is validated for the system; a refused code is 422 with field and position.",
			do: func(c *call) (reply, error) {
				var req LocationRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				loc, err := c.h.l.CreateLocation(c.ctx, c.actor, entitlement.Location{Customer: req.Customer, Parent: req.Parent, Name: req.Name,
					Address: req.Address, System: req.System, HWKC: req.HWKC, SecondaryHWKC: req.SecondaryHWKC, Reference: req.Reference,
					CustomerEmail: req.CustomerEmail, DealerEmail: req.DealerEmail, Verticals: slices.Clone(req.Verticals),
					Attrs: mapSlice(req.Attributes, func(a Attribute) entitlement.Attr { return entitlement.Attr{Name: a.Name, Value: a.Value} })})
				if err != nil {
					return reply{}, err
				}
				return created("/v1/locations/"+loc.ID, toLocation(loc))
			}},
		{method: "GET", path: "/v1/locations/{location}", op: "getLocation", tag: "locations", out: LocationView{}, status: 200,
			summary: "A location with its lines, children and latest file",
			do: func(c *call) (reply, error) {
				v, err := c.h.l.Location(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toView(v))
			}},
		{method: "PUT", path: "/v1/locations/{location}", op: "editLocation", tag: "locations", in: LocationEdit{}, out: LocationView{}, status: 200,
			summary: "Replace a location's editable fields",
			do: func(c *call) (reply, error) {
				var req LocationEdit
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				id := c.path("location")
				if err := c.h.l.EditLocation(c.ctx, c.actor, id, entitlement.LocationEdit{Name: req.Name, Address: req.Address,
					Reference: req.Reference, CustomerEmail: req.CustomerEmail, DealerEmail: req.DealerEmail, Verticals: slices.Clone(req.Verticals)}); err != nil {
					return reply{}, err
				}
				v, err := c.h.l.Location(c.ctx, c.actor, id)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toView(v))
			}},
		{method: "POST", path: "/v1/locations/{location}/attach", op: "attachLines", tag: "locations", in: AttachRequest{}, out: Lines{}, status: 201,
			summary: "Attach bin quantities to the location; each pick becomes a line with a software key code",
			do: func(c *call) (reply, error) {
				var req AttachRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				lines, err := c.h.l.Attach(c.ctx, c.actor, c.path("location"), picks(req.Picks))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, Lines{Lines: mapSlice(lines, toLine)})
			}},
		{method: "POST", path: "/v1/locations/{location}/detach", op: "detachLines", tag: "locations", in: DetachRequest{}, status: 204,
			summary: "Return attached lines to the bin",
			do: func(c *call) (reply, error) {
				var req DetachRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				if err := c.h.l.Detach(c.ctx, c.actor, c.path("location"), nonNil(req.SKCs)); err != nil {
					return reply{}, err
				}
				return noContent()
			}},
		{method: "POST", path: "/v1/locations/{location}/activate", op: "activateLines", tag: "locations", in: ActivateRequest{}, out: FileInfo{}, status: 200,
			summary: "Activate attached lines for good and issue the location's license file",
			desc:    "accept_agreement must be true. The response describes the file; download it from its download path.",
			do: func(c *call) (reply, error) {
				var req ActivateRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				f, err := c.h.l.Activate(c.ctx, c.actor, c.path("location"), entitlement.Activation{SKCs: req.SKCs, AcceptAgreement: req.AcceptAgreement})
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/regenerate", op: "regenerateFile", tag: "locations", out: FileInfo{}, status: 200,
			summary: "Re-issue the location's license file from all its activated lines, with the next serial",
			do: func(c *call) (reply, error) {
				f, err := c.h.l.Regenerate(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
	}
}

// fileInfoReply describes a location's newly issued (or pending) file.
func fileInfoReply(f entitlement.Issued) (reply, error) {
	return jsonReply(200, toFile(f, "/v1/locations/"+f.Location+"/file"))
}
