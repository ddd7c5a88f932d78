package pgstore_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
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
	flag.Parse()
	connString = os.Getenv("LMSKIT_PG")
	stop := func() {}
	if connString == "" {
		conn, stopCluster, err := pgtest.Start(pgtest.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgstore: no PostgreSQL for the tests:", err)
		} else {
			connString, stop = conn, stopCluster
		}
	}
	if connString == "" && os.Getenv("LMSKIT_PG_REQUIRED") == "" {
		// An example cannot skip itself: without PostgreSQL (and outside CI) leave the examples out.
		skip := "^Example"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		if err := flag.Set("test.skip", skip); err != nil {
			fmt.Fprintln(os.Stderr, "pgstore:", err)
			os.Exit(2)
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

// Every ledger operation writes the audit head, so concurrent writers always conflict. They queue
// on the table's writer lock instead of failing serialization: with no retries allowed at all,
// 16 writers incrementing one counter 25 times each all succeed and no increment is lost.
func TestConcurrentWritersQueueInsteadOfFailing(t *testing.T) {
	open(t) // skips (or, in CI, fails) without PostgreSQL
	table := fmt.Sprintf("lmskit_test_%d_%d", os.Getpid(), tables.Add(1))
	one, err := pgstore.Open(context.Background(), connString, &pgstore.Options{Table: table, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16*25)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				errs <- one.Update(ctx, func(tx entitlement.Tx) error {
					v, _, err := tx.Get("meta", "counter")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Put("meta", "counter", []byte(strconv.Itoa(n+1)))
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	err = one.View(ctx, func(tx entitlement.Tx) error {
		v, _, err := tx.Get("meta", "counter")
		if string(v) != "400" {
			t.Errorf("counter %q, want 400 (%v)", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
