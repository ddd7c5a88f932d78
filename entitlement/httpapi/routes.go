package httpapi

import "slices"

// allRoutes is the API: every route the handler serves, and so every path of the OpenAPI
// document. Each resource's routes live in its own file; a package's routes are one more
// function of this shape and one line here.
func (h *Handler) allRoutes() []*route {
	var rs []*route
	for _, group := range [][]*route{
		h.serviceRoutes(),
		h.partnerRoutes(),
		h.tokenRoutes(),
		h.orderRoutes(),
		h.customerRoutes(),
		h.locationRoutes(),
		h.fileRoutes(),
		h.systemRoutes(),
		h.lookupRoutes(),
		h.auditRoutes(),
		h.swaRoutes(),
		h.lifecycleRoutes(),
		h.timeTokenRoutes(),
		h.presalesRoutes(),
		h.dealRegRoutes(),
	} {
		rs = append(rs, group...)
	}
	return rs
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
