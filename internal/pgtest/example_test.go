package pgtest_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/pgstore"
	"github.com/lmskit/lmskit/internal/pgtest"
)

// TestMain leaves the example out where it cannot run: without initdb on PATH (and outside CI,
// which sets LMSKIT_PG_REQUIRED and must run it), since an example cannot skip itself.
func TestMain(m *testing.M) {
	flag.Parse()
	if _, err := exec.LookPath("initdb"); err != nil && os.Getenv("LMSKIT_PG_REQUIRED") == "" {
		fmt.Fprintln(os.Stderr, "pgtest: no initdb on PATH: the example is left out")
		skip := "^Example"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		if err := flag.Set("test.skip", skip); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

// A throw-away cluster for a test of the PostgreSQL store: started, used and removed again.
func Example() {
	if err := withCluster(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// read back from the private cluster: committed true
}

func withCluster(ctx context.Context) error {
	conn, stop, err := pgtest.Start(pgtest.Options{}) // fsync off; Durable: true for a benchmark of commits
	if err != nil {
		return err // in a test: t.Skip without PostgreSQL, unless CI requires it
	}
	defer stop() // stops the cluster and removes its files
	store, err := pgstore.Open(ctx, conn, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Update(ctx, func(tx entitlement.Tx) error { return tx.Put("b", "k", []byte("committed")) }); err != nil {
		return err
	}
	return store.View(ctx, func(tx entitlement.Tx) error {
		v, ok, err := tx.Get("b", "k")
		fmt.Printf("read back from the private cluster: %s %v\n", v, ok)
		return err
	})
}
