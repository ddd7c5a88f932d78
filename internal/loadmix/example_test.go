package loadmix_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/internal/loadmix"
	"github.com/lmskit/lmskit/swa"
)

// Two partners each run three rounds of the mix in process, on an in-memory ledger with the test
// issuer (a fixed test key; real keys never live in source). The latencies depend on the machine,
// so the example prints how many of each operation ran; res.Table() gives the figures. The
// requests that only authenticate (empty) are the HTTP driver's.
func Example() {
	if err := loadInProcess(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// create_location: 6
	// attach: 6
	// activate: 6
	// download: 6
	// lookup_hwkc: 12
	// lookup_skc: 12
	// swa_quote: 12
	// empty: 0
	// errors: 0
}

func loadInProcess() error {
	ctx := context.Background()
	l := entitlement.New(entitlement.NewMemStore(), entitlement.Config{Issuer: storetest.Issuer{},
		Clock: storetest.FixedClock{T: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, Rand: rand.NewChaCha8([32]byte{1})})
	admin := entitlement.Actor{User: "admin@vendor"}
	if err := l.Bootstrap(ctx, entitlement.Partner{ID: "vendor", Name: "Vendor"}, entitlement.User{ID: admin.User, Name: "Admin"}); err != nil {
		return err
	}

	book, err := swa.New(l, swa.Config{})
	if err != nil {
		return err
	}
	d := &loadmix.InProcess{L: l, Book: book, Admin: admin, Prefix: "load"} // or a *loadmix.HTTP on a served API
	res, err := loadmix.Run(ctx, d, loadmix.Config{Clients: 2, Rounds: 3, MaxTime: time.Minute})
	if err != nil {
		return err
	}
	for _, op := range loadmix.Ops {
		fmt.Printf("%s: %d\n", op, len(res.Samples[op])) // res.Table(): count, per second, p50, p99
	}
	fmt.Println("errors:", len(res.Errors))
	return nil
}
