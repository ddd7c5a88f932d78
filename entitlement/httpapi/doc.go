// Package httpapi serves the license server's ledger (package entitlement) as an authenticated
// HTTP/JSON API: an http.Handler that a Go service mounts, and that examples/licenseserver runs.
//
// # Getting started
//
// Build the [entitlement.Ledger] as usual, issue the administrator a token with
// [entitlement.Ledger.IssueToken], and mount the handler:
//
//	h, err := httpapi.New(httpapi.Options{Ledger: ledger, Logger: slog.Default()})
//	...
//	srv := &http.Server{Addr: "127.0.0.1:8440", Handler: h, ReadHeaderTimeout: 10 * time.Second}
//
// Every route under /v1/ takes Authorization: Bearer <token>; GET /openapi.json serves the
// OpenAPI 3.1 document ([OpenAPI]), which lists every route, its JSON types and its errors.
// /healthz and /readyz answer liveness and readiness, /metrics the Prometheus-format counters.
//
// # Conventions
//
// Resources are JSON objects with snake_case names; enums are their names ("distributor",
// "activated"); times are RFC 3339 in UTC; a list is never null. Every list is a page,
// {"items": [...], "next_cursor": "..."}, taking cursor and limit (1 to 1000, default 100);
// next_cursor is absent on the last page. Creations answer 201, actions 200 with their result,
// deletions 204. Downloads answer the container the ledger issued (application/zip, named by
// Content-Disposition: <HWKC>-svi.zip, or a BX/OVOC AA_<key>_out.zip) or, with format=armored
// (or Accept: text/plain), the signed file as PEM-style text.
//
// Errors are RFC 9457 problem documents (application/problem+json) whose type is stable per
// kind, urn:lmskit:problem:<kind> ([ProblemType]): each sentinel error of the ledger has its
// kind and status (not-allowed 403, not-found 404, exists 409, quantity-unavailable 409, state
// 409, no-demo 409, invalid 422, rule 422, agreement-not-accepted 422, idempotency-key-reused
// 422, unauthenticated 401), as has each of the SWA book's (swa-no-terms 409,
// units-not-authorized 422, quote-failed 422, swa-terms-invalid 500) and the deal-registration
// book's (too-early 409), and the handler's own refusals theirs (malformed 400, too-large 413,
// unsupported-media-type 415, not-acceptable 406, rate-limited 429, timeout 503, internal 500).
// A refused hardware key code carries field, position, want and suggest; a DECT refusal the
// guide's code and advice; a refused renewal (quote-failed) the quote's reasons per location and
// product, as the guide words them; a refused delivery status move (state) the entitlement, its
// delivery_status, the move and the allowed_moves; an incomplete deal registration (invalid)
// every missing field (missing); a malformed time challenge (invalid) its field and position.
// To a partner's user another partner's objects answer exactly the not-found of unknown ones.
//
// # Software Assurance
//
// With Options.SWA (the ledger's [swa.Book]) the handler serves the book: the units bin
// (/v1/swa/bin and its shipments), SWA order lookups, reshipments of units, prospective
// locations, the product terms, and per location (/v1/locations/{location}/swa) the status, the
// quote, the assignment, the one-step activation with assignment and the free-of-charge
// upgrades; reservations with their push, cancel and escalation (/v1/swa/assignments/{id}/…),
// settling for a scheduler, renewal quotes and renewals, per location or co-terming a
// customer's locations. An assignment or renewal sent with an Idempotency-Key draws its units
// once, whatever the retries. Without a book those routes answer 404.
//
// # The second vendor's workflows
//
// The entitlement lifecycle (package entitlement/lifecycle) is served with the ledger: every order
// line carries its entitlement type (type, and not_after for a fixed-term one); annual-fee orders
// (/v1/orders/annual-fee); an entitlement's details (/v1/entitlements/{line}) and the machines'
// table (/v1/entitlements/transitions); the delivery status moves on a location
// (/v1/locations/{location}/delivery/pool, unpool, activate, revoke, cancel) and in the bin
// (/v1/entitlements/{line}/cancel); third-party entitlements (/v1/third-party-entitlements, whose
// download is a POST: it closes the entitlement); the sweep of renewal and expiry notices. A
// location's download holds every current file (its contents); the armored form only a download
// of one file.
//
// Time tokens (POST /v1/time-tokens) answer a device's challenge: JSON with the token in base64,
// or the token's own bytes as application/vnd.lmskit.time-token+cbor (format=cbor, or that
// Accept header).
//
// With Options.Presales the handler keeps the temporary license book of that policy
// (/v1/temporary-licenses/: the policy, devices by ESN, applications, approval, download; the
// approval roles at /v1/users/{user}/temporary-license-roles). With Options.DealReg it keeps the
// deal-registration book (/v1/deal-registrations/; profiles at /v1/partners/{partner}/deal-profile,
// roles at /v1/users/{user}/deal-registration-roles). The policy's Pipeline is the deployment's
// port to its CRM: a Go service passes its own dealreg.Pipeline; one without a CRM passes one
// that finds no deal in the pipeline, saying so (examples/licenseserver does, and can ask an
// HTTP endpoint instead). The pipeline's errors go to the log; a client learns only that it did
// not answer. Without a policy those routes answer 404.
//
// Adding a package's routes is mechanical: a file with a function returning its routes (method,
// path, operationId, request and response types, the ledger call), one line in the route table,
// and `go test -run TestOpenAPIUpToDate -update` to regenerate the document from the routes and
// the types; the tests then check the document against the routes both ways.
//
// # Security
//
// The acting identity comes from the credential only, never from a request body (unknown
// fields are refused): an API token the administrator issued (the ledger keeps its SHA-256 hash
// and compares in constant time; tokens expire and are revoked at once: each ledger operation
// authenticates the token inside its own transaction, [entitlement.WithToken]), an impersonation token
// a distributor's user obtained through the ledger's impersonation rule (checked again by every
// operation), or, with Options.ClientCertUser, a verified TLS client certificate mapped to a
// user ([CertEmailUser]). Every permission decision is the ledger's. Request bodies are capped
// (413), each request has a timeout, each credential a rate limit (429 with Retry-After). A
// POST with an Idempotency-Key runs inside one ledger transaction with the key's record and
// its response ([entitlement.Ledger.Idempotent]): a retry after a lost response gets the
// first response back (Idempotent-Replayed: true) and never ships, attaches or activates
// twice; the same key with another request is refused (422). A token's secret is never kept
// with its key: a replayed token issue returns the token without it. Logs carry the method,
// route, status, duration, identity and request id: never a token, a secret or a body.
package httpapi
