package entitlement_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	"github.com/lmskit/lmskit/license"
)

// BenchmarkActivateIssue50Mixed is BenchmarkActivateIssue50 with the 50 lines spread over the
// permanent file and four fixed-term files (two types, two ends each): one activation issues and
// signs five files and packs them into one download. Compare it with ActivateIssue50 and the
// floors of the same run:
//
//	go test -run '^$' -bench 'Floor|ActivateIssue50' -benchtime 1s -count 2 ./entitlement/
func BenchmarkActivateIssue50Mixed(b *testing.B) {
	s := openBench(b, false)
	f := storetest.NewFixture(b, s, 1)
	l := realIssuer(s)
	parts := []string{"BE107573", "BE107576", "BE107582", "BE107585"}
	ends := []time.Time{t0.AddDate(1, 0, 0), t0.AddDate(2, 0, 0)}
	types := []license.EntitlementType{"", license.TypeSubscription, license.TypeTest}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		ord := entitlement.Order{Partner: f.DistP, PO: fmt.Sprint("PO", i), SO: "SO"}
		for j := range 50 {
			ln := entitlement.OrderLine{Part: parts[j%4], Qty: int64(j + 1), Type: types[j%3]}
			if ln.Type != "" {
				ln.NotAfter = ends[(j/3)%2]
			}
			ord.Lines = append(ord.Lines, ln)
		}
		shipped, err := l.Ship(ctx, f.Admin, ord)
		if err != nil {
			b.Fatal(err)
		}
		loc := newLocation(b, f, f.Dist, "SV8100", fmt.Sprintf("19%010d", i))
		if _, err := l.Attach(ctx, f.Dist, loc.ID, picksAll(shipped)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		file, err := l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true})
		if err != nil || len(file.Contents) != 5 {
			b.Fatalf("%v, %d files", err, len(file.Contents))
		}
	}
}
