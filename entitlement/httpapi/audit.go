package httpapi

import (
	"encoding/hex"
	"strconv"

	"github.com/lmskit/lmskit/entitlement"
)

// The audit log (administrator): pages of the hash chain, and the integrity check.

func (h *Handler) auditRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/audit", op: "listAudit", tag: "audit", out: list[AuditRecord]{}, list: true, status: 200,
			summary: "Audit records, oldest first (administrator)", desc: "A page costs its records, whatever the log's length.",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				var after uint64
				if p.after != "" {
					if after, err = strconv.ParseUint(p.after, 10, 64); err != nil {
						return reply{}, &apiError{status: 400, kind: "malformed", detail: "cursor is not one this API returned", field: "cursor"}
					}
				}
				recs, err := c.h.l.Audit(c.ctx, c.actor, after, min(p.limit+1, entitlement.AuditPageMax))
				if err != nil {
					return reply{}, err
				}
				page := list[AuditRecord]{}
				if len(recs) > p.limit {
					recs = recs[:p.limit]
					page.NextCursor = cursorOf(strconv.FormatUint(recs[len(recs)-1].Seq, 10))
				} else if len(recs) == entitlement.AuditPageMax && p.limit >= entitlement.AuditPageMax {
					page.NextCursor = cursorOf(strconv.FormatUint(recs[len(recs)-1].Seq, 10))
				}
				page.Items = mapSlice(recs, toAudit)
				return jsonReply(200, page)
			}},
		{method: "GET", path: "/v1/audit/integrity", op: "checkIntegrity", tag: "audit", out: Integrity{}, status: 200,
			summary: "Verify the audit chain and the conservation of every shipped line (administrator)",
			desc:    "Reads the whole ledger. A broken chain or conservation is a 500 problem, logged.",
			do: func(c *call) (reply, error) {
				r, err := c.h.l.CheckIntegrity(c.ctx, c.actor)
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, Integrity{AuditRecords: r.AuditRecords, AuditHead: r.AuditHead, HeadHash: hex.EncodeToString(r.HeadHash), Conserved: true})
			}},
	}
}
