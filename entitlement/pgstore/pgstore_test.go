package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/pgstore"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/pgtest"
)

// connString is set by TestMain when it could start a throw-away PostgreSQL cluster; the tests
// skip otherwise (or use LMSKIT_PG, a connection string to a database they may create tables in).
var connString string

// TestMain starts a private PostgreSQL cluster (internal/pgtest: initdb, pg_ctl from PATH) in a
// temporary directory, listening only on a Unix socket there, runs the tests and removes it.
// Durability is not under test here (the embedded store's crash test covers that idea), so the
// cluster runs with fsync off.
func TestMain(m *testing.M) {
	connString = os.Getenv("LMSKIT_PG")
	stop := func() {}
	if connString == "" {
		var err error
		connString, stop, err = pgtest.Start(pgtest.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgstore: no PostgreSQL for the tests:", err)
			connString = ""
		}
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

var tables atomic.Int64

func open(t *testing.T) entitlement.Store {
	t.Helper()
	if connString == "" {
		if os.Getenv("LMSKIT_PG_REQUIRED") != "" {
			// CI sets this: there the PostgreSQL store's suite must run, never skip.
			t.Fatal("LMSKIT_PG_REQUIRED is set but no PostgreSQL could be started (initdb and pg_ctl on PATH, or LMSKIT_PG)")
		}
		t.Skip("no PostgreSQL (initdb and pg_ctl not found, or LMSKIT_PG unset)")
	}
	s, err := pgstoreOpen(fmt.Sprintf("lmskit_test_%d_%d", os.Getpid(), tables.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pgstoreOpen(table string) (entitlement.Store, error) {
	return pgstore.Open(context.Background(), connString, &pgstore.Options{Table: table})
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: open})
}

func TestOpenRefusesBadTable(t *testing.T) {
	if _, err := pgstore.Open(context.Background(), "host=/nonexistent", &pgstore.Options{Table: "x; DROP TABLE y"}); err == nil {
		t.Fatal("a table name that is not an identifier was accepted")
	}
}
