package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/signing"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// A ledger served over HTTP: the administrator's token creates a partner, and a request without
// a token gets a problem document. A fixed test key, clock and randomness keep the output the
// same; real keys never live in source.
func Example() {
	ctx := context.Background()
	key, _ := signing.NewKeyFromSeed([]byte("example issuer key, not secret!!"))
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key},
		Clock: fixedClock(time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)), Rand: rand.NewChaCha8([32]byte{7})})
	admin := entitlement.Actor{User: "admin@vendor"}
	_ = l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"})
	token, _, _ := l.IssueToken(ctx, admin, entitlement.TokenRequest{User: admin.User, Name: "first"})

	h, _ := httpapi.New(httpapi.Options{Ledger: l, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/partners", strings.NewReader(`{"id":"partner-x","name":"Partner X","kind":"distributor"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, _ := http.DefaultClient.Do(req)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("Location"), strings.TrimSpace(string(body)))

	res, _ = http.Get(srv.URL + "/v1/partners")
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	fmt.Println(strings.TrimSpace(string(body)))
	// Output:
	// 201 /v1/partners/partner-x {"id":"partner-x","name":"Partner X","kind":"distributor"}
	// 401 application/problem+json
	// {"type":"urn:lmskit:problem:unauthenticated","title":"Not authenticated","status":401,"detail":"no credentials: send Authorization: Bearer <token>"}
}
