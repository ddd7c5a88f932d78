package httpapi

import (
	"bytes"
	"net/netip"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
)

// The per-system operations of the guide's "LMS License handling instructions per System Type",
// "Migrations" and "License Transfer in case of Hardware Replacement": each route calls the
// ledger's operation of the same name. They sit in this file alone so that they follow those
// operations wherever they live.

func (h *Handler) systemRoutes() []*route {
	return []*route{
		{method: "POST", path: "/v1/locations/{location}/lan1-ip", op: "setLAN1IP", tag: "systems", in: LAN1IPRequest{}, out: FileInfo{}, status: 200,
			summary: "SV9500 Standard Server: give the LAN1 IP, derive the virtual code and issue the file",
			desc:    "A second derivation (a new IP) is for administrators only.",
			do: func(c *call) (reply, error) {
				var req LAN1IPRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				ip, err := netip.ParseAddr(req.IP)
				if err != nil {
					return reply{}, &apiError{status: 422, kind: "invalid", detail: "ip " + err.Error(), field: "ip"}
				}
				f, err := systems.SetLAN1IP(c.ctx, c.h.l, c.actor, c.path("location"), ip)
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/computer-name", op: "changeComputerName", tag: "systems", in: ComputerNameRequest{}, out: FileInfo{}, status: 200,
			summary: "iS3000 dongle-less: change the Full Computer Name and re-issue the file",
			do: func(c *call) (reply, error) {
				var req ComputerNameRequest
				if err := c.decode(&req); err != nil {
					return reply{}, err
				}
				f, err := systems.ChangeComputerName(c.ctx, c.h.l, c.actor, c.path("location"), req.ComputerName)
				if err != nil {
					return reply{}, err
				}
				return fileInfoReply(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/hardware-replacement", op: "replaceHardware", tag: "systems", in: HardwareRequest{}, out: FileInfo{}, status: 200,
			summary: "Move every line to a new hardware key code and issue a new file (administrator)",
			do: func(c *call) (reply, error) {
				return c.withCode(func(code string) (entitlement.Issued, error) {
					return systems.ReplaceHardware(c.ctx, c.h.l, c.actor, c.path("location"), code)
				})
			}},
		{method: "POST", path: "/v1/locations/{location}/secondary-hardware-replacement", op: "replaceSecondaryHardware", tag: "systems", in: HardwareRequest{}, out: FileInfo{}, status: 200,
			summary: "SV9500 Appliance: replace the secondary hardware key code (administrator)",
			do: func(c *call) (reply, error) {
				return c.withCode(func(code string) (entitlement.Issued, error) {
					return systems.ReplaceSecondaryHardware(c.ctx, c.h.l, c.actor, c.path("location"), code)
				})
			}},
		{method: "POST", path: "/v1/locations/{location}/migration", op: "migrateSV9100", tag: "systems", in: HardwareRequest{}, out: FileInfo{}, status: 200,
			summary: "Migrate an SV9100 CP10 location to CP20 under its new code",
			do: func(c *call) (reply, error) {
				return c.withCode(func(code string) (entitlement.Issued, error) {
					return systems.MigrateSV9100(c.ctx, c.h.l, c.actor, c.path("location"), code)
				})
			}},
		{method: "POST", path: "/v1/locations/{location}/dect-import", op: "importDECTLicenses", tag: "systems", upload: "text/plain", out: Lines{}, status: 201,
			summary: "IP DECT: upload an existing system's license table as the location's first action",
			desc:    "The body is the license table, one \"<part number> <quantity>\" or \"<row>\\t<name>- <part>\\t<qty>\" per line. Refusals carry the guide's DECT code and advice.",
			do: func(c *call) (reply, error) {
				lines, err := systems.ImportDECTLicenses(c.ctx, c.h.l, c.actor, c.path("location"), bytes.NewReader(c.body))
				if err != nil {
					return reply{}, err
				}
				return jsonReply(201, Lines{Lines: mapSlice(lines, toLine)})
			}},
		{method: "POST", path: "/v1/locations/{location}/pari-deactivation", op: "confirmPARIDeactivation", tag: "systems", status: 204,
			summary: "Record that an uploaded DECT system's PARI was deactivated (administrator)",
			do: func(c *call) (reply, error) {
				if err := systems.ConfirmPARIDeactivation(c.ctx, c.h.l, c.actor, c.path("location")); err != nil {
					return reply{}, err
				}
				return noContent()
			}},
		{method: "POST", path: "/v1/locations/{location}/external-file", op: "attachExternalFile", tag: "systems", upload: "application/octet-stream", out: FileInfo{}, status: 201,
			query:   []param{{name: "name", desc: "the file's download name (required)"}},
			summary: "Store an external product's license file supplied from outside (administrator)",
			do: func(c *call) (reply, error) {
				f, err := systems.AttachExternalFile(c.ctx, c.h.l, c.actor, c.path("location"), c.r.URL.Query().Get("name"), c.body)
				if err != nil {
					return reply{}, err
				}
				p := "/v1/locations/" + f.Location + "/file"
				return created(p, toFile(f, p))
			}},
	}
}

// withCode decodes a HardwareRequest and runs an operation that issues a file.
func (c *call) withCode(fn func(code string) (entitlement.Issued, error)) (reply, error) {
	var req HardwareRequest
	if err := c.decode(&req); err != nil {
		return reply{}, err
	}
	f, err := fn(req.HWKC)
	if err != nil {
		return reply{}, err
	}
	return fileInfoReply(f)
}
