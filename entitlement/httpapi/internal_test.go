package httpapi

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/systems"
	"github.com/lmskit/lmskit/signing"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// newTestLedger is an empty in-memory ledger with a fixed test key (real keys never live in
// source) and the guide's rules.
func newTestLedger(t testing.TB) *entitlement.Ledger {
	t.Helper()
	key, err := signing.NewKeyFromSeed([]byte("httpapi internal test key, fixed"))
	if err != nil {
		t.Fatal(err)
	}
	s := entitlement.NewMemStore()
	t.Cleanup(func() { s.Close() })
	return entitlement.New(s, entitlement.Config{Issuer: entitlement.LicenseIssuer{Key: key}, Rules: systems.GuideRules(),
		Clock: fixedClock(time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC))})
}

func ctx() context.Context { return context.Background() }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
