package swa_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/swa"
)

// benchCustomer is a distributor's customer with 100 iS3000 locations, each with the guide's
// SIP@Net licenses activated on 2014-12-15, on the durable file store (fsync on); the clock reads
// 2015-06-30, past grace, so every quote carries the reinstatement fee. withSWA gives every
// location an agreement in force (for the renewal benchmark).
func benchCustomer(b *testing.B, withSWA bool) (*fx, []entitlement.Location) {
	b.Helper()
	s, err := entitlement.OpenFile(filepath.Join(b.TempDir(), "bench.db"), nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	f := newFx(b, fxOpt{store: s, start: date(2014, 12, 15).Add(10 * time.Hour)})
	f.units(b, f.DistP, "SO-bench", "PO-bench", 10_000_000, date(2030, 12, 31))
	c, err := f.L.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: "a customer with 100 locations"})
	must(b, err)
	var locs []entitlement.Location
	for i := range 100 {
		loc := f.location(b, f.Dist, c.ID, fmt.Sprintf("SIP@Net %03d", i), "iS3000", fmt.Sprintf("aa0014SA27%08dAA", i))
		f.activate(b, f.Dist, f.DistP, loc.ID, sipNetLicenses...)
		if withSWA {
			asg, err := f.B.Assign(ctx, f.Dist, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}}, AuthorizeUnits: true})
			must(b, err)
			_, err = f.B.Push(ctx, f.Dist, asg.ID, "benchmark")
			must(b, err)
		}
		locs = append(locs, loc)
	}
	f.C.Set(date(2015, 6, 30).Add(10 * time.Hour))
	return f, locs
}

// floorFx is the fixture on a fresh durable file store, for the floors.
func floorFx(b *testing.B) *fx {
	s, err := entitlement.OpenFile(filepath.Join(b.TempDir(), "floor.db"), nil)
	must(b, err)
	b.Cleanup(func() { s.Close() })
	f := newFx(b, fxOpt{store: s})
	b.ReportAllocs()
	return f
}

// BenchmarkFloor_LedgerEmptyUpdate is the floor of every SWA change: an empty operation through the
// ledger's extension point on the durable file store: the actor resolved, one audit record
// appended, one bbolt commit with its fsync.
func BenchmarkFloor_LedgerEmptyUpdate(b *testing.B) {
	f := floorFx(b)
	for b.Loop() {
		if err := f.L.Update(ctx, f.Dist, "swa.floor", func(*entitlement.Op) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor_LedgerEmptyView is the floor of every SWA read: an empty read-only operation with
// the actor resolved.
func BenchmarkFloor_LedgerEmptyView(b *testing.B) {
	f := floorFx(b)
	for b.Loop() {
		if err := f.L.View(ctx, f.Dist, "swa.floor", func(*entitlement.Op) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuote100 quotes one location of the 100-location customer (a read: its lines, the
// product table, the reinstatement fee, the units available).
func BenchmarkQuote100(b *testing.B) {
	f, locs := benchCustomer(b, false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q, err := f.B.Quote(ctx, f.Dist, locs[i%len(locs)].ID)
		if err != nil || q.Products[0].Options[4].Total != 321 {
			b.Fatal(q, err)
		}
	}
}

// BenchmarkAssign100 assigns SWA to one location of the 100-location customer (one durable
// transaction: the quote, the draw from the bin, the reservation). The previous round's
// reservation on the location is cancelled outside the timer.
func BenchmarkAssign100(b *testing.B) {
	f, locs := benchCustomer(b, false)
	pending := make([]uint64, len(locs))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % len(locs)
		if pending[j] != 0 {
			b.StopTimer()
			if _, err := f.B.Cancel(ctx, f.Dist, pending[j], "benchmark"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		asg, err := f.B.Assign(ctx, f.Dist, locs[j].ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 60}}, AuthorizeUnits: true})
		if err != nil || asg.Units != 321 {
			b.Fatal(asg, err)
		}
		pending[j] = asg.ID
	}
}

// BenchmarkRenewalQuote100 quotes the co-term renewal of all 100 locations of the customer (a read
// over every location's lines and agreement).
func BenchmarkRenewalQuote100(b *testing.B) {
	f, locs := benchCustomer(b, true)
	b.ReportAllocs()
	for b.Loop() {
		q, err := f.B.RenewalQuote(ctx, f.Dist, swa.RenewalRequest{Customer: locs[0].Customer})
		if err != nil || len(q.Lines) != 100 {
			b.Fatal(len(q.Lines), err)
		}
	}
}

// BenchmarkInterleaved100 measures each SWA operation on the 100-location customer and its floor
// alternately in one loop (one floor operation, then one SWA operation, each timed on its own), so
// both meet the same machine and disk load; it reports both and their ratio.
func BenchmarkInterleaved100(b *testing.B) {
	b.Run("assign-vs-empty-update", func(b *testing.B) {
		f, locs := benchCustomer(b, false)
		pending := make([]uint64, len(locs))
		var floor, op time.Duration
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % len(locs)
			if pending[j] != 0 {
				b.StopTimer()
				if _, err := f.B.Cancel(ctx, f.Dist, pending[j], "benchmark"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			t0 := time.Now()
			if err := f.L.Update(ctx, f.Dist, "swa.floor", func(*entitlement.Op) error { return nil }); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			asg, err := f.B.Assign(ctx, f.Dist, locs[j].ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 60}}, AuthorizeUnits: true})
			if err != nil || asg.Units != 321 {
				b.Fatal(asg, err)
			}
			floor, op = floor+t1.Sub(t0), op+time.Since(t1)
			pending[j] = asg.ID
		}
		report(b, floor, op, "assign")
	})
	b.Run("quote-vs-empty-view", func(b *testing.B) {
		f, locs := benchCustomer(b, false)
		var floor, op time.Duration
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			t0 := time.Now()
			if err := f.L.View(ctx, f.Dist, "swa.floor", func(*entitlement.Op) error { return nil }); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := f.B.Quote(ctx, f.Dist, locs[i%len(locs)].ID); err != nil {
				b.Fatal(err)
			}
			floor, op = floor+t1.Sub(t0), op+time.Since(t1)
		}
		report(b, floor, op, "quote")
	})
}

func report(b *testing.B, floor, op time.Duration, name string) {
	n := float64(b.N)
	b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-ns/op")
	b.ReportMetric(float64(op.Nanoseconds())/n, name+"-ns/op")
	b.ReportMetric(float64(op)/float64(floor), name+"/floor")
}
