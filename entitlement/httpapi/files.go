package httpapi

import (
	"fmt"
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/license"
)

// Downloads: a location's license file and its demo files, as the container the ledger issued
// (the <HWKC>-svi.zip, or a BX/OVOC AA_<key>_out.zip) or, on request, the armored text of the
// signed file.

var formatParam = param{name: "format", enum: []string{"zip", "armored"},
	desc: "zip: the container as issued (default; an external product's file as supplied); armored: the signed license file as PEM-style text, where the download is one file (406 otherwise). Accept: text/plain asks for armored too."}

func (h *Handler) fileRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/locations/{location}/file", op: "downloadFile", tag: "files", files: true, status: 200, query: []param{formatParam},
			summary: "Download the location's latest license file",
			do: func(c *call) (reply, error) {
				f, err := c.h.l.Download(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				return c.download(f)
			}},
		{method: "POST", path: "/v1/locations/{location}/demo-files", op: "generateDemo", tag: "files", out: FileInfo{}, status: 201,
			summary: "Issue a time-limited demo file (uses one of the location's demo licenses)",
			do: func(c *call) (reply, error) {
				f, err := c.h.l.GenerateDemo(c.ctx, c.actor, c.path("location"))
				if err != nil {
					return reply{}, err
				}
				p := demoPath(f)
				return created(p, toFile(f, p))
			}},
		{method: "GET", path: "/v1/locations/{location}/demo-files", op: "listDemoFiles", tag: "files", out: list[FileInfo]{}, list: true, status: 200,
			summary: "The location's demo files, oldest first",
			do: func(c *call) (reply, error) {
				p, err := c.page()
				if err != nil {
					return reply{}, err
				}
				fs, err := c.h.l.DemoFilesPage(c.ctx, c.actor, c.path("location"), p.query())
				if err != nil {
					return reply{}, err
				}
				return jsonReply(200, pageFrom(fs, func(f entitlement.Issued) string { return num(f.Serial) }, p,
					func(f entitlement.Issued) FileInfo { return toFile(f, demoPath(f)) }))
			}},
		{method: "GET", path: "/v1/locations/{location}/demo-files/{serial}", op: "downloadDemoFile", tag: "files", files: true, status: 200,
			query: []param{formatParam}, summary: "Download a demo file",
			do: func(c *call) (reply, error) {
				serial, err := strconv.ParseUint(c.path("serial"), 10, 64)
				if err != nil || serial == 0 {
					return reply{}, &apiError{status: 404, kind: "not-found", detail: "demo file " + c.path("serial")}
				}
				fs, err := c.h.l.DemoFilesPage(c.ctx, c.actor, c.path("location"), entitlement.PageQuery{After: num(serial - 1), Limit: 1})
				if err != nil {
					return reply{}, err
				}
				if len(fs) == 1 && fs[0].Serial == serial {
					return c.download(fs[0])
				}
				return reply{}, &apiError{status: 404, kind: "not-found", detail: fmt.Sprintf("demo file %d of location %s", serial, c.path("location"))}
			}},
	}
}

func demoPath(f entitlement.Issued) string {
	return "/v1/locations/" + f.Location + "/demo-files/" + strconv.FormatUint(f.Serial, 10)
}

// download answers with the file in the requested form.
func (c *call) download(f entitlement.Issued) (reply, error) {
	format := c.r.URL.Query().Get("format")
	if format == "" && acceptsOnlyText(c.r.Header.Get("Accept")) {
		format = "armored"
	}
	switch format {
	case "", "zip":
		return fileReply(f.Name, mediaTypeOf(f.Name), f.Data), nil
	case "armored":
		if f.External {
			return reply{}, &apiError{status: 406, kind: "not-acceptable", detail: "an external product's file is available only as supplied (format=zip)", field: "format"}
		}
		if len(f.Contents) > 1 {
			return reply{}, &apiError{status: 406, kind: "not-acceptable", field: "format",
				detail: fmt.Sprintf("the download holds %d license files (a permanent one and fixed-term ones); the armored form holds one: take the zip (format=zip)", len(f.Contents))}
		}
		text, err := license.Armor(f.File)
		if err != nil {
			return reply{}, fmt.Errorf("httpapi: armoring the file of %s: %w", f.Location, err)
		}
		name := strings.TrimSuffix(f.Name, path.Ext(f.Name)) + ".txt"
		return fileReply(name, "text/plain; charset=utf-8", text), nil
	}
	return reply{}, &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("format %q: want zip or armored", format), field: "format"}
}

// mediaTypeOf is a downloaded file's media type: a zip container's, or any bytes'.
func mediaTypeOf(name string) string {
	if strings.EqualFold(path.Ext(name), ".zip") {
		return "application/zip"
	}
	return "application/octet-stream"
}

func acceptsOnlyText(accept string) bool {
	if accept == "" {
		return false
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		mt = strings.TrimSpace(strings.ToLower(mt))
		if mt != "text/plain" && mt != "" {
			return false
		}
	}
	return true
}

func fileReply(name, ctype string, data []byte) reply {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	return reply{status: 200, ctype: ctype, body: data, header: map[string]string{"Content-Disposition": disp}}
}
