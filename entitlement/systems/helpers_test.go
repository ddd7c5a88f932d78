package systems_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/signing"
)

// Helpers the guide's tests share (the ledger's own tests have their twins in package
// entitlement_test).

var ctx = context.Background()

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func conserved(t testing.TB, l *entitlement.Ledger) {
	t.Helper()
	if err := entitlement.CheckConservation(ctx, l.Store()); err != nil {
		t.Fatal(err)
	}
}

func picksAll(lines []entitlement.ShippedLine) []entitlement.Pick {
	var p []entitlement.Pick
	for _, s := range lines {
		p = append(p, entitlement.Pick{Line: s.ID, Qty: s.InBin})
	}
	return p
}

// issuerKey is a fixed test key; real keys never live in source.
var issuerKey = func() *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed([]byte("entitlement test key, not secret"))
	if err != nil {
		panic(err)
	}
	return k
}()

func issuerKeyring(t testing.TB) *signing.Keyring {
	kr := signing.NewKeyring()
	if err := kr.Add(issuerKey.Public().KeyID().Bytes(), issuerKey.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	return kr
}

// readDefaultCatalog reads the shipped catalog's source, for tests that derive a catalog from it.
func readDefaultCatalog() ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "data", "catalog.json"))
}
