package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The OpenAPI document is generated from the route table and the wire types, and kept in the
// repository as openapi.json: `go test ./entitlement/httpapi -run TestOpenAPIUpToDate -update`
// rewrites it after a change. TestOpenAPIUpToDate fails when the kept document and the code
// disagree; TestOpenAPIRoutes checks the kept document against the handler's routes both ways;
// .ci/run lints it with Redocly's recommended rules.

var update = flag.Bool("update", false, "rewrite openapi.json from the routes and types")

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

type schemaGen struct{ schemas map[string]any }

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if it, ok := reflect.Zero(t).Interface().(interface{ itemType() any }); ok {
			name = reflect.TypeOf(it.itemType()).Name() + "List"
		}
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = nil // a placeholder against recursion
			props, req := map[string]any{}, []string{}
			g.fields(t, props, &req)
			s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(req) > 0 {
				slices.Sort(req)
				s["required"] = req
			}
			if doc := typeDocs[name]; doc != "" {
				s["description"] = doc
			}
			g.schemas[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic("openapi: no schema for " + t.String())
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, req *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			g.fields(f.Type, props, req)
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		s := g.ref(f.Type)
		if enum := f.Tag.Get("enum"); enum != "" {
			vals := strings.Split(enum, ",")
			if s["type"] == "array" {
				s["items"] = map[string]any{"type": "string", "enum": vals}
			} else {
				s["enum"] = vals
			}
		}
		if doc := f.Tag.Get("doc"); doc != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": doc}
			} else {
				s["description"] = doc
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") {
			*req = append(*req, name)
		}
	}
}

// typeDocs describe the schemas that need more than their name.
var typeDocs = map[string]string{
	"Problem":      "An RFC 9457 problem document. type is stable per error kind: urn:lmskit:problem:<kind>.",
	"LocationView": "A location with its attached, activated and history lines, its children's lines and its latest file.",
	"FileInfo":     "An issued license file without its bytes; download it from download.",
	"IssuedToken":  "A new token. The secret is shown here once and kept nowhere.",
	"SWAAssignment": "Units drawn for agreements: an assignment to one location (a reservation while pending) or a renewal. " +
		"A day (start, end) is midnight UTC of that day.",
	"SWAShipment": "A shipment of SWA units: shipped = available + pending + consumed + reshipped_out + expired.",
	"ShippedLine": "One part of one order in a partner's bin: shipped = in_bin + attached + activated + reshipped_out + returned + revoked + cancelled.",
	"Entitlement": "An entitlement's details: ready + pooled + activated + inactive + cancelled, with what was reshipped and returned, is what was shipped.",
	"TimeToken": "A vendor-signed time token. The same request may ask for the token's bytes instead (format=cbor, or Accept: " +
		"application/vnd.lmskit.time-token+cbor).",
}

func buildOpenAPI(h *Handler) ([]byte, error) {
	g := &schemaGen{schemas: map[string]any{}}
	problem := g.ref(reflect.TypeOf(Problem{}))
	problemContent := map[string]any{"application/problem+json": map[string]any{"schema": problem}}
	paths := map[string]any{}
	tags := map[string]bool{}
	for _, rt := range h.routes {
		tags[rt.tag] = true
		op := map[string]any{"operationId": rt.op, "summary": rt.summary, "tags": []string{rt.tag}}
		if rt.desc != "" {
			op["description"] = rt.desc
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
				"description": "the " + strings.ReplaceAll(m[1], "_", " ") + " (as the API returned it)"})
		}
		for _, q := range rt.query {
			s := map[string]any{"type": "string"}
			if q.enum != nil {
				s["enum"] = q.enum
			}
			params = append(params, map[string]any{"name": q.name, "in": "query", "schema": s, "description": q.desc})
		}
		if rt.list {
			params = append(params, map[string]any{"$ref": "#/components/parameters/Cursor"}, map[string]any{"$ref": "#/components/parameters/Limit"})
		}
		if rt.method == "POST" && !rt.public {
			params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch {
		case rt.in != nil:
			op["requestBody"] = map[string]any{"required": !rt.optionalIn,
				"content": map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(rt.in))}}}
		case rt.upload != "":
			op["requestBody"] = map[string]any{"required": !rt.optionalIn,
				"content": map[string]any{rt.upload: map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": rt.upload}}}}
		}
		ok := map[string]any{"description": http200(rt)}
		switch {
		case rt.files:
			ok["content"] = fileContent(rt)
			if strings.HasPrefix(rt.path, "/v1/") {
				ok["headers"] = map[string]any{"Content-Disposition": map[string]any{"description": "attachment; filename=<the file's download name>",
					"schema": map[string]any{"type": "string"}}}
			}
		case rt.out != nil:
			content := map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(rt.out))}}
			if rt.raw != "" {
				content[rt.raw] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": rt.raw}}
			}
			ok["content"] = content
		}
		if rt.method == "POST" && !rt.public {
			hdr, _ := ok["headers"].(map[string]any)
			if hdr == nil {
				hdr = map[string]any{}
			}
			hdr["Idempotent-Replayed"] = map[string]any{"$ref": "#/components/headers/IdempotentReplayed"}
			ok["headers"] = hdr
		}
		resp := map[string]any{itoa(rt.status): ok, "4XX": map[string]any{"$ref": "#/components/responses/Problem"},
			"5XX": map[string]any{"$ref": "#/components/responses/Problem"}}
		op["responses"] = resp
		if rt.public {
			op["security"] = []any{}
		}
		oapiPath := rt.path
		item, _ := paths[oapiPath].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[oapiPath] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	var tagList []any
	for _, t := range sortedStrings(keys(tags)) {
		tagList = append(tagList, map[string]any{"name": t, "description": tagDocs[t]})
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "lmskit license server API",
			"version": "1.0.0",
			"summary": "The license server's ledger over HTTP/JSON: partners, bins, customers, locations, license files, lookups, the audit log, Software Assurance, the entitlement lifecycle, time tokens, temporary licenses and deal registrations.",
			"description": "Every route under /v1/ needs an API token (Authorization: Bearer lmsk_…) issued by the administrator, or a verified " +
				"TLS client certificate where the server maps certificates to users. The identity comes from the credential only; every " +
				"permission is the ledger's decision. JSON field names are snake_case, enums are names, times are RFC 3339, lists are " +
				"[] when empty and every list pages with cursor and limit. Errors are RFC 9457 problem documents whose type is " +
				"urn:lmskit:problem:<kind> (unauthenticated 401, not-allowed 403, not-found 404, exists 409, quantity-unavailable 409, " +
				"state 409 (a refused delivery status move with its status and the moves allowed), too-early 409, no-demo 409, swa-no-terms 409, " +
				"invalid 422 (an incomplete deal registration with every missing field), rule 422, agreement-not-accepted 422, idempotency-key-reused 422, " +
				"units-not-authorized 422, quote-failed 422 (with reasons), malformed 400, too-large 413, unsupported-media-type 415, " +
				"rate-limited 429, internal 500, swa-terms-invalid 500, timeout 503, unavailable 503); another " +
				"partner's objects are not-found exactly as unknown ones. Every POST takes an Idempotency-Key: a retry with the same key " +
				"gets the first response back (Idempotent-Replayed: true) instead of running again.",
		},
		"servers":  []any{map[string]any{"url": "http://127.0.0.1:8440", "description": "examples/licenseserver's default address"}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"clientCertificate": []any{}}},
		"tags":     tagList,
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "lmsk_<16 hex id>_<43 base64url characters>",
					"description": "An API token issued by the administrator (POST /v1/tokens) or an impersonation token (POST /v1/impersonations)."},
				"clientCertificate": map[string]any{"type": "mutualTLS",
					"description": "A verified client certificate, where the server enables it: the user is the certificate's first e-mail address SAN, else its subject common name."},
			},
			"parameters": map[string]any{
				"Cursor": map[string]any{"name": "cursor", "in": "query", "schema": map[string]any{"type": "string"},
					"description": "the next_cursor of the previous page; absent for the first page"},
				"Limit": map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxPage, "default": defaultPage},
					"description": "the page size"},
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 255},
					"description": "1 to 255 printable ASCII characters, unique per request of this client: a retry with the same key and the same request gets the first response back (kept 24 hours by default); the same key with another request is 422 idempotency-key-reused."},
			},
			"headers": map[string]any{
				"IdempotentReplayed": map[string]any{"description": "true when the response is the stored response of an earlier request with the same Idempotency-Key",
					"schema": map[string]any{"type": "string", "enum": []string{"true"}}},
			},
			"responses": map[string]any{
				"Problem": map[string]any{"description": "A problem document (RFC 9457)", "content": problemContent},
			},
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var tagDocs = map[string]string{
	"service":   "Health, readiness, metrics, this document and the caller's identity.",
	"catalog":   "The parts catalog: system types and part numbers.",
	"partners":  "Partners, users, roles and shipping allowances.",
	"tokens":    "API tokens and impersonation tokens.",
	"orders":    "Shipping orders, the license bin, the parts inventory, reshipments and returns.",
	"customers": "End customers and their locations.",
	"locations": "Customer locations and the license handling on them: attach, detach, activate, regenerate.",
	"files":     "License file and demo file downloads.",
	"systems":   "Per-system operations: LAN1 IP, computer name, hardware replacement, migration, DECT upload, external files.",
	"lookups":   "Hardware key code, software key code and order lookups; recent lines.",
	"audit":     "The hash-chained audit log and the integrity check.",
	"swa":       "Software Assurance: the SWA units bin, quotes, assignments and reservations, renewals and co-terms, free-of-charge upgrades.",
	"lifecycle": "The second vendor's entitlement lifecycle: entitlement types and annual fees, the delivery status moves of the self-developed " +
		"and third-party machines, renewal and expiry notices.",
	"time-tokens":        "Vendor-signed time tokens answering a device's time challenge.",
	"temporary-licenses": "Temporary (pre-sales expansion) licenses: the policy, devices by ESN, applications and their approval, downloads.",
	"deal-registrations": "Deal registrations: partner profiles, registrations, their approval, validity and price application.",
}

func http200(rt *route) string {
	switch rt.status {
	case 201:
		return "Created"
	case 204:
		return "Done, no content"
	}
	return "OK"
}

func fileContent(rt *route) map[string]any {
	bin := map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}}
	text := map[string]any{"schema": map[string]any{"type": "string"}}
	switch rt.op {
	case "metrics":
		return map[string]any{"text/plain": text}
	case "openapi":
		return map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
	case "downloadThirdParty":
		return map[string]any{"application/octet-stream": bin, "application/zip": bin}
	}
	return map[string]any{"application/zip": bin, "application/octet-stream": bin, "text/plain": text}
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func testHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := New(Options{Ledger: newTestLedger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOpenAPIUpToDate(t *testing.T) {
	h := testHandler(t)
	got, err := buildOpenAPI(h)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, openAPI) {
		t.Fatal("openapi.json is out of date with the routes or the wire types: run go test ./entitlement/httpapi -run TestOpenAPIUpToDate -update")
	}
}

// TestOpenAPIRoutes reads the kept document on its own and checks that it lists exactly the
// handler's routes, method and path.
func TestOpenAPIRoutes(t *testing.T) {
	h := testHandler(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for p, item := range doc.Paths {
		for m := range item {
			inDoc[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range h.routes {
		served[rt.method+" "+rt.path] = true
		if !inDoc[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.path)
		}
	}
	for r := range inDoc {
		if !served[r] {
			t.Errorf("openapi.json lists %s, which the handler does not serve", r)
		}
	}
}
