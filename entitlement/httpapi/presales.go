package httpapi

import (
	"net/url"

	"github.com/lmskit/lmskit/entitlement/presales"
)

// Temporary (pre-sales expansion) licenses (package entitlement/presales, the second vendor's
// "Pre-sales Expansion License Application"): the policy, devices by ESN, applications with their
// approval, and the download of the issued license. Each route calls the book's operation of the
// same name; the book decides who may do what. Without Options.Presales every route here answers
// 404.

var errNoPresales = &apiError{status: 404, kind: "not-found", detail: "this server takes no temporary license applications"}

func (h *Handler) presalesRoutes() []*route {
	rs := []*route{
		{method: "GET", path: "/v1/temporary-licenses/policy", op: "getPresalesPolicy", tag: "temporary-licenses", out: PresalesPolicy{}, status: 200,
			summary: "The temporary license policy: products and their templates, validity periods, the approval-free count and the approval steps",
			do: func(c *call) (reply, error) {
				if err := c.authenticated(); err != nil {
					return reply{}, err
				}
				return jsonReply(200, c.h.presalesPolicy)
			}},
		{method: "POST", path: "/v1/temporary-licenses/devices", op: "addDevice", tag: "temporary-licenses", in: DeviceRequest{}, out: Device{}, status: 201,
			summary: "Add a device by its ESN (any LMS user): an unknown ESN that passes the ESN rules",
			desc:    "A known ESN is 409 exists: select it with getDevice.",
			do: func(c *call) (reply, error) {
				var req DeviceRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				d, err := c.h.presales.AddDevice(c.ctx, c.actor, req.ESN)
				if err != nil {
					return reply{}, err
				}
				return created("/v1/temporary-licenses/devices/"+url.PathEscape(d.ESN), toDevice(d))
			}},
		{method: "GET", path: "/v1/temporary-licenses/devices/{esn}", op: "getDevice", tag: "temporary-licenses", out: Device{}, status: 200,
			summary: "A known device with its application count",
			do: func(c *call) (reply, error) {
				d, err := c.h.presales.Device(c.ctx, c.actor, c.path("esn"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toDevice(d))
			}},
		{method: "GET", path: "/v1/temporary-licenses/devices/{esn}/applications", op: "listDeviceApplications", tag: "temporary-licenses",
			out: list[TemporaryLicense]{}, list: true, status: 200,
			summary: "The applications for a device the caller may see (its partner's, or all for the vendor's staff), oldest first",
			do: func(c *call) (reply, error) {
				return bookList(c, func() ([]presales.Application, error) {
					return c.h.presales.Applications(c.ctx, c.actor, c.path("esn"))
				},
					func(a presales.Application) string { return numbered(a.Number) }, c.h.toTemporaryLicense)
			}},
		{method: "POST", path: "/v1/temporary-licenses/applications", op: "applyTemporaryLicense", tag: "temporary-licenses", in: TemporaryLicenseRequest{},
			out: TemporaryLicense{}, status: 201,
			summary: "Apply for a temporary license: issued at once when approval is skipped, else pending",
			desc: "Approval is skipped only when every product has an enterprise part template, selected with its values unchanged, allows " +
				"self-service download, and the ESN's application count is below the approval-free count. The ESN's count goes up by one.",
			do: func(c *call) (reply, error) {
				var req TemporaryLicenseRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				a, err := c.h.presales.Apply(c.ctx, c.actor, req.presales())
				if err != nil {
					return reply{}, err
				}
				return created("/v1/temporary-licenses/applications/"+a.Number, c.h.toTemporaryLicense(a))
			}},
		{method: "GET", path: "/v1/temporary-licenses/applications/{number}", op: "getTemporaryLicense", tag: "temporary-licenses", out: TemporaryLicense{}, status: 200,
			summary: "An application and what became of it",
			do: func(c *call) (reply, error) {
				return c.application(c.h.presales.Application(c.ctx, c.actor, c.path("number")))
			}},
		{method: "GET", path: "/v1/temporary-licenses/applications/{number}/prefill", op: "prefillTemporaryLicense", tag: "temporary-licenses",
			out: TemporaryLicenseRequest{}, status: 200,
			summary: "A new application filled in from a historical one (its process number), to send as it is or changed",
			do: func(c *call) (reply, error) {
				r, err := c.h.presales.Prefill(c.ctx, c.actor, c.path("number"))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, toPresalesRequest(r))
			}},
		{method: "POST", path: "/v1/temporary-licenses/applications/{number}/approve", op: "approveTemporaryLicense", tag: "temporary-licenses",
			in: ApprovalRequest{}, optionalIn: true, out: TemporaryLicense{}, status: 200,
			summary: "Approve the step a pending application waits at (a vendor user holding one of its roles); after the last step the license is issued",
			do: func(c *call) (reply, error) {
				var req ApprovalRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				return c.application(c.h.presales.Approve(c.ctx, c.actor, c.path("number"), req.Note))
			}},
		{method: "POST", path: "/v1/temporary-licenses/applications/{number}/reject", op: "rejectTemporaryLicense", tag: "temporary-licenses",
			in: ReasonRequest{}, out: TemporaryLicense{}, status: 200,
			summary: "Reject a pending application, with a reason (a vendor user holding a role of its step)",
			do: func(c *call) (reply, error) {
				var req ReasonRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				return c.application(c.h.presales.Reject(c.ctx, c.actor, c.path("number"), req.Reason))
			}},
		{method: "GET", path: "/v1/temporary-licenses/applications/{number}/file", op: "downloadTemporaryLicense", tag: "temporary-licenses",
			files: true, status: 200, query: []param{formatParam},
			summary: "Download an issued temporary license",
			desc: "The applicant's partner downloads it itself only when every product allows self-service download; otherwise the vendor's staff " +
				"(an administrator or an approver) do. A pending or rejected application is 409 state.",
			do: func(c *call) (reply, error) {
				f, err := c.h.presales.Download(c.ctx, c.actor, c.path("number"))
				if err != nil {
					return reply{}, err
				}
				return c.download(f)
			}},
		{method: "PUT", path: "/v1/users/{user}/temporary-license-roles", op: "setPresalesRoles", tag: "temporary-licenses", in: PresalesRolesRequest{},
			out: StaffRoles{}, status: 200,
			summary: "Replace a vendor user's approval roles (administrator)",
			do: func(c *call) (reply, error) {
				var req PresalesRolesRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				roles, err := parseFlags(req.Roles, presalesRoleNames, "roles")
				if err != nil {
					return reply{}, err
				}
				if err := c.h.presales.SetRoles(c.ctx, c.actor, c.path("user"), roles); err != nil {
					return reply{}, err
				}
				return jsonReply(200, StaffRoles{User: c.path("user"), Roles: flagList(roles, presalesRoleNames)})
			}},
	}
	for _, rt := range rs {
		do := rt.do
		rt.do = func(c *call) (reply, error) {
			if c.h.presales == nil {
				return reply{}, errNoPresales
			}
			return do(c)
		}
	}
	return rs
}

func (c *call) application(a presales.Application, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	return jsonReply(200, c.h.toTemporaryLicense(a))
}
