package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"net/http"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/httpx"
)

// openAPI is the API's OpenAPI 3.1 document, kept in the repository as openapi.json.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3.1 document (JSON), as GET /openapi.json serves it.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

func (h *Handler) serviceRoutes() []*route {
	return []*route{
		{method: "GET", path: "/healthz", op: "health", tag: "service", public: true, out: Health{}, status: 200,
			summary: "Liveness: the process serves requests",
			do:      func(c *call) (reply, error) { return jsonReply(200, Health{Status: "ok"}) }},
		{method: "GET", path: "/readyz", op: "ready", tag: "service", public: true, out: Health{}, status: 200,
			summary: "Readiness: the ledger's store answers", desc: "503 with a problem document while the store does not answer.",
			do: func(c *call) (reply, error) {
				if err := c.h.ready(c.ctx); err != nil {
					c.h.log.Warn("httpapi: not ready", "error", err.Error())
					return problemReply(&apiError{status: 503, kind: "unavailable", detail: "the ledger's store does not answer"}), nil
				}
				return jsonReply(200, Health{Status: "ok"})
			}},
		{method: "GET", path: "/metrics", op: "metrics", tag: "service", public: true, files: true, status: 200,
			summary: "Prometheus-format metrics: requests, latencies, operations, store errors",
			do: func(c *call) (reply, error) {
				var b bytes.Buffer
				_, _ = c.h.metrics.WriteTo(&b)
				return reply{status: 200, ctype: httpx.ContentType, body: b.Bytes()}, nil
			}},
		{method: "GET", path: "/openapi.json", op: "openapi", tag: "service", public: true, files: true, status: 200,
			summary: "This API's OpenAPI 3.1 document",
			do: func(c *call) (reply, error) {
				return reply{status: 200, ctype: "application/json", body: openAPI}, nil
			}},
		{method: "GET", path: "/v1/me", op: "whoami", tag: "service", out: Me{}, status: 200,
			summary: "The authenticated identity: user, partner, impersonation",
			do: func(c *call) (reply, error) {
				u, p, err := c.h.l.Whoami(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				who := c.who()
				me := Me{User: toUser(u), Partner: toPartner(p), Identity: who.String()}
				if who.As != "" {
					me.Impersonator = who.User
				}
				return jsonReply(200, me)
			}},
		{method: "GET", path: "/v1/catalog/systems", op: "listSystems", tag: "catalog", out: list[System]{}, list: true, status: 200,
			summary: "The catalog's system types",
			do: func(c *call) (reply, error) {
				return authenticatedList(c, c.h.l.Catalog().Systems, func(s entitlement.System) string { return s.Name },
					func(s entitlement.System) System {
						return System{Name: s.Name, Keycode: string(s.Keycode), SKC: s.SKC, PBX: s.PBX}
					})
			}},
		{method: "GET", path: "/v1/catalog/parts", op: "listParts", tag: "catalog", out: list[Part]{}, list: true, status: 200,
			summary: "The catalog's parts",
			do: func(c *call) (reply, error) {
				return authenticatedList(c, c.h.l.Catalog().Parts, func(p entitlement.Part) string { return p.Number }, toPart)
			}},
	}
}

// authenticatedList answers a page of a list that is the server's data rather than the ledger's
// books (the catalog, the SWA product terms), for any authenticated caller.
func authenticatedList[T, W any](c *call, items func() []T, key func(T) string, conv func(T) W) (reply, error) {
	if err := c.authenticated(); err != nil {
		return reply{}, err
	}
	p, err := c.page()
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, pageOf(items(), key, p, conv))
}

// bookList answers a page of a list a book returns whole (the caller's partner's, a device's):
// the page parameters are read first, then the list.
func bookList[T, W any](c *call, items func() ([]T, error), key func(T) string, conv func(T) W) (reply, error) {
	p, err := c.page()
	if err != nil {
		return reply{}, err
	}
	all, err := items()
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, pageOf(all, key, p, conv))
}

// partnerList is bookList of a list kept per partner: the query's partner, else the caller's own.
func partnerList[T, W any](c *call, items func(partner string) ([]T, error), key func(T) string, conv func(T) W) (reply, error) {
	return bookList(c, func() ([]T, error) {
		partner := c.r.URL.Query().Get("partner")
		if partner == "" {
			_, p, err := c.h.l.Whoami(c.ctx, c.actor)
			if err != nil {
				return nil, err
			}
			partner = p.ID
		}
		return items(partner)
	}, key, conv)
}

func (h *Handler) ready(ctx context.Context) error {
	if h.opts.Ready != nil {
		return h.opts.Ready(ctx)
	}
	return h.l.Store().View(ctx, func(entitlement.Tx) error { return nil })
}

var _ http.Handler = (*Handler)(nil)
