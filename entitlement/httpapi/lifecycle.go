package httpapi

import (
	"strconv"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

// The second vendor's entitlement lifecycle (package entitlement/lifecycle, its "Entitlement
// basics"): annual-fee orders, an entitlement's details, the delivery status moves of the
// self-developed machine on a location (pool, unpool, activate, revoke, cancel) and in the bin
// (cancel Ready), the third-party machine, and the sweep that raises renewal and expiry notices.
// Each route calls the package's operation of the same name; a move the machine's table does not
// allow is 409 state with the status and the moves allowed from it.

func (h *Handler) lifecycleRoutes() []*route {
	return []*route{
		{method: "POST", path: "/v1/orders/annual-fee", op: "shipAnnualFeeOrder", tag: "lifecycle", in: AnnualFeeOrderRequest{}, out: Shipment{}, status: 201,
			summary: "Ship an annual-fee order into a partner's bin (administrator)",
			desc: "The fee term is computed from fee and dates; every line gets the business model's entitlement type: S ending with the term " +
				"for a fixed-term model (04, 05, 09), T for a permanent one. A line naming another type is refused.",
			do: func(c *call) (reply, error) {
				var req AnnualFeeOrderRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				lines, err := lifecycle.ShipAnnualFee(c.ctx, c.h.l, c.actor, req.order(), req.Fee.lifecycle(), req.Dates.lifecycle())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, toShipment(lines))
			}},
		{method: "POST", path: "/v1/annual-fee-terms", op: "computeFeeTerm", tag: "lifecycle", in: FeeTermRequest{}, out: FeeTerm{}, status: 200,
			summary: "Compute an annual fee's term from its business model, scenario, start rule and the order's dates, as shipping it would",
			desc:    "Changes nothing. A missing or inconsistent input is 422 invalid naming it.",
			do: func(c *call) (reply, error) {
				var req FeeTermRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				if err := c.authenticated(); err != nil {
					return reply{}, err
				}
				t, err := lifecycle.FeeTerm(req.Fee.lifecycle(), req.Dates.lifecycle())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toFeeTerm(t))
			}},
		{method: "GET", path: "/v1/entitlements/transitions", op: "listTransitions", tag: "lifecycle", out: list[Transition]{}, list: true, status: 200,
			summary: "The delivery status machines: every legal move, from which status to which, who makes it and with which operation",
			do: func(c *call) (reply, error) {
				// The table's own order: each row keyed by its place.
				rows := func() []transitionRow {
					ts := lifecycle.Transitions()
					out := make([]transitionRow, len(ts))
					for i, t := range ts {
						out[i] = transitionRow{seq(uint64(i)), t}
					}
					return out
				}
				return authenticatedList(c, rows, func(r transitionRow) string { return r.key },
					func(r transitionRow) Transition { return toTransition(r.t) })
			}},
		{method: "GET", path: "/v1/entitlements/{line}", op: "getEntitlement", tag: "lifecycle", out: Entitlement{}, status: 200,
			summary: "An entitlement (a shipped order line): its type, its quantities per delivery status, its location lines and its annual fee",
			do: func(c *call) (reply, error) {
				line, err := c.lineID()
				if err != nil {
					return reply{}, err
				}
				e, err := lifecycle.Details(c.ctx, c.h.l, c.actor, line)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toEntitlement(e))
			}},
		{method: "POST", path: "/v1/entitlements/{line}/cancel", op: "cancelReady", tag: "lifecycle", in: CancelReadyRequest{}, out: ShippedLine{}, status: 200,
			summary: "Cancel a quantity of an entitlement's Ready quantity, in the partner's bin (administrator): Ready → Order Cancelled",
			do: func(c *call) (reply, error) {
				var req CancelReadyRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				line, err := c.lineID()
				if err != nil {
					return reply{}, err
				}
				s, err := lifecycle.CancelReady(c.ctx, c.h.l, c.actor, line, req.Quantity, req.Reason)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toShipped(s))
			}},
		{method: "POST", path: "/v1/entitlements/sweep", op: "sweepEntitlements", tag: "lifecycle", in: LifecycleSweepRequest{}, optionalIn: true,
			out: LifecycleSweepResult{}, status: 200,
			summary: "Raise the renewal and expiry notices of activated fixed-term entitlements that are due (administrator; for a scheduler)",
			desc:    "Each notice is raised once, on the ledger's event stream; the body may be left out.",
			do: func(c *call) (reply, error) {
				var req LifecycleSweepRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				if req.RenewalNoticeDays < 0 || req.RenewalNoticeDays > 3660 {
					return reply{}, &apiError{status: 422, kind: "invalid", detail: "renewal_notice_days: want 0 to 3660", field: "renewal_notice_days"}
				}
				r, err := lifecycle.Sweep(c.ctx, c.h.l, c.actor, lifecycle.Notices{RenewalBefore: time.Duration(req.RenewalNoticeDays) * 24 * time.Hour})
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, LifecycleSweepResult{Renewals: r.Renewals, Expiries: r.Expiries})
			}},
		{method: "POST", path: "/v1/locations/{location}/delivery/pool", op: "poolLines", tag: "lifecycle", in: AttachRequest{}, out: Lines{}, status: 201,
			summary: "Pool bin quantities on the location (Ready → Pooled): each pick becomes a line with a software key code",
			desc:    "A pick of a line with nothing Ready is 409 state with its status and the moves allowed; more than is Ready 409 quantity-unavailable.",
			do: func(c *call) (reply, error) {
				var req AttachRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				lines, err := lifecycle.Pool(c.ctx, c.h.l, c.actor, c.path("location"), picks(req.Picks))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, Lines{Lines: mapSlice(lines, toLine)})
			}},
		{method: "POST", path: "/v1/locations/{location}/delivery/unpool", op: "unpoolLines", tag: "lifecycle", in: DetachRequest{}, status: 204,
			summary: "Return pooled lines to the bin (Pooled → Ready)",
			do: func(c *call) (reply, error) {
				var req DetachRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				if err := lifecycle.Unpool(c.ctx, c.h.l, c.actor, c.path("location"), nonNil(req.SKCs)); err != nil {
					return reply{}, err
				}
				return noContent()
			}},
		{method: "POST", path: "/v1/locations/{location}/delivery/activate", op: "activatePooledLines", tag: "lifecycle", in: ActivateRequest{}, out: FileInfo{}, status: 200,
			summary: "Activate pooled lines (Pooled → Activated) and issue the location's files",
			desc: "accept_agreement must be true. Fixed-term lines go in a file of their own per entitlement type and end date beside the permanent " +
				"file; the download holds every current file (contents lists them).",
			do: func(c *call) (reply, error) {
				var req ActivateRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				f, err := lifecycle.Activate(c.ctx, c.h.l, c.actor, c.path("location"), entitlement.Activation{SKCs: req.SKCs, AcceptAgreement: req.AcceptAgreement})
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/delivery/revoke", op: "revokeLines", tag: "lifecycle", in: RevokeRequest{}, out: FileInfo{}, status: 200,
			summary: "Revoke activated lines (Activated → Inactive) and re-issue the location's files without them (administrator)",
			desc:    "The files that held them are superseded: a device that installs the new download stops granting them.",
			do: func(c *call) (reply, error) {
				var req RevokeRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				f, err := lifecycle.Revoke(c.ctx, c.h.l, c.actor, c.path("location"), nonNil(req.SKCs), req.Reason)
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/delivery/cancel", op: "cancelPooledLines", tag: "lifecycle", in: CancelLinesRequest{}, status: 204,
			summary: "Cancel pooled lines of an order cancelled before activation (Pooled → Order Cancelled; administrator)",
			do: func(c *call) (reply, error) {
				var req CancelLinesRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				if err := lifecycle.Cancel(c.ctx, c.h.l, c.actor, c.path("location"), nonNil(req.SKCs), req.Reason); err != nil {
					return reply{}, err
				}
				return noContent()
			}},
		{method: "GET", path: "/v1/third-party-entitlements", op: "listThirdParty", tag: "lifecycle", out: list[ThirdPartyEntitlement]{}, list: true, status: 200,
			query:   []param{{name: "partner", desc: "the partner whose entitlements to list (an administrator); absent: the caller's own partner"}},
			summary: "A partner's third-party entitlements, in id order",
			do: func(c *call) (reply, error) {
				return partnerList(c, func(partner string) ([]lifecycle.ThirdPartyEntitlement, error) {
					return lifecycle.ThirdParties(c.ctx, c.h.l, c.actor, partner)
				}, func(e lifecycle.ThirdPartyEntitlement) string { return numbered(e.ID) }, toThirdParty)
			}},
		{method: "POST", path: "/v1/third-party-entitlements", op: "registerThirdParty", tag: "lifecycle", in: ThirdPartyRequest{}, out: ThirdPartyEntitlement{}, status: 201,
			summary: "Register a third-party entitlement for a partner (administrator): none → Activation",
			do: func(c *call) (reply, error) {
				var req ThirdPartyRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				tr := lifecycle.ThirdPartyRequest{Partner: req.Partner, Location: req.Location, PO: req.PO, SO: req.SO, Product: req.Product,
					Part: req.Part, Qty: req.Quantity, Type: license.EntitlementType(req.Type)}
				if req.NotAfter != nil {
					tr.NotAfter = req.NotAfter.UTC()
				}
				e, err := lifecycle.RegisterThirdParty(c.ctx, c.h.l, c.actor, tr)
				if err != nil {
					return reply{}, err
				}
				return created("/v1/third-party-entitlements/"+e.ID, toThirdParty(e))
			}},
		{method: "GET", path: "/v1/third-party-entitlements/{id}", op: "getThirdParty", tag: "lifecycle", out: ThirdPartyEntitlement{}, status: 200,
			summary: "A third-party entitlement with its delivery history",
			do: func(c *call) (reply, error) {
				return thirdPartyReply(lifecycle.ThirdPartyOf(c.ctx, c.h.l, c.actor, c.path("id")))
			}},
		{method: "POST", path: "/v1/third-party-entitlements/{id}/start-purchase", op: "startThirdPartyPurchase", tag: "lifecycle", out: ThirdPartyEntitlement{}, status: 200,
			summary: "Record that the vendor started buying the license (administrator): Activation → In Purchase (3rd)",
			do: func(c *call) (reply, error) {
				return thirdPartyReply(lifecycle.StartPurchase(c.ctx, c.h.l, c.actor, c.path("id")))
			}},
		{method: "POST", path: "/v1/third-party-entitlements/{id}/purchase", op: "purchaseThirdParty", tag: "lifecycle", upload: "application/octet-stream",
			out: ThirdPartyEntitlement{}, status: 200, query: []param{{name: "name", desc: "the license file's name (required)"}},
			summary: "Record the purchased license with its file, the request body (administrator): In Purchase (3rd) → Ready (3rd)",
			desc:    "The file is 1 byte to 4 MiB; the partner can then download it.",
			do: func(c *call) (reply, error) {
				return thirdPartyReply(lifecycle.Purchase(c.ctx, c.h.l, c.actor, c.path("id"), c.r.URL.Query().Get("name"), c.body))
			}},
		{method: "POST", path: "/v1/third-party-entitlements/{id}/medium-delivery", op: "deliverThirdPartyOnMedium", tag: "lifecycle",
			upload: "application/octet-stream", optionalIn: true, out: ThirdPartyEntitlement{}, status: 200,
			query:   []param{{name: "backup_name", desc: "the electronic backup's file name, with a body"}},
			summary: "Record that the license went with the equipment on a medium (administrator): to Medium Delivery N (3rd), or E (3rd) with the body as its electronic backup",
			do: func(c *call) (reply, error) {
				var backup []byte
				if len(c.body) > 0 {
					backup = c.body
				}
				return thirdPartyReply(lifecycle.DeliverOnMedium(c.ctx, c.h.l, c.actor, c.path("id"), c.r.URL.Query().Get("backup_name"), backup))
			}},
		{method: "POST", path: "/v1/third-party-entitlements/{id}/download", op: "downloadThirdParty", tag: "lifecycle", files: true, status: 200,
			summary: "Download the license file and close the entitlement (the partner's own user): Ready (3rd) or Medium Delivery E (3rd) → Closed (3rd)",
			desc: "A closed entitlement's file is not handed out again (a lost one is applied for again with reapply). Send an Idempotency-Key: " +
				"a retry after a lost response then gets the file again.",
			do: func(c *call) (reply, error) {
				f, err := lifecycle.DownloadThirdParty(c.ctx, c.h.l, c.actor, c.path("id"))
				if err != nil {
					return reply{}, err
				}
				return fileReply(f.Name, mediaTypeOf(f.Name), f.Data), nil
			}},
		{method: "POST", path: "/v1/third-party-entitlements/{id}/reapply", op: "reapplyThirdParty", tag: "lifecycle", in: ReasonRequest{}, out: ThirdPartyEntitlement{}, status: 200,
			summary: "Apply again for a license whose file was lost (the partner's own user): Closed (3rd) → In Purchase (3rd)",
			do: func(c *call) (reply, error) {
				var req ReasonRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				return thirdPartyReply(lifecycle.ReapplyLost(c.ctx, c.h.l, c.actor, c.path("id"), req.Reason))
			}},
	}
}

type transitionRow struct {
	key string
	t   lifecycle.Transition
}

func thirdPartyReply(e lifecycle.ThirdPartyEntitlement, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, toThirdParty(e))
}

// lineID reads the path's shipped line number; one that is no number is not found.
func (c *call) lineID() (uint64, error) {
	id, err := strconv.ParseUint(c.path("line"), 10, 64)
	if err != nil || id == 0 {
		return 0, &apiError{status: 404, kind: "not-found", detail: "entitlement " + c.path("line")}
	}
	return id, nil
}
