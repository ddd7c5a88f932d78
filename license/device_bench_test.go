package license

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var devSink int

// grant200 returns a device whose grant holds 200 Count parts, with the part to look up.
func grant200(b *testing.B) (*devRig, string) {
	b.Helper()
	r := newRig(b, &memState{}, newDevClock(devT0))
	r.install(linesFile(b, "B200", Permanent, devT0, time.Time{}, 200))
	if n := r.dev.Grant().Set().Len(); n != 200 {
		b.Fatalf("grant holds %d parts, want 200", n)
	}
	return r, "P0137"
}

// BenchmarkGrantCountFloor is the floor Grant().Count stands on: one atomic.Pointer load and one
// lookup in a map of 200 parts.
func BenchmarkGrantCountFloor(b *testing.B) {
	type snap struct{ m map[string]int }
	m := make(map[string]int, 200)
	for i := 0; i < 200; i++ {
		m[fmt.Sprintf("P%04d", i)] = i + 1
	}
	var p atomic.Pointer[snap]
	p.Store(&snap{m: m})
	part := "P0137"
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += p.Load().m[part]
	}
	devSink = n
}

// BenchmarkGrantCount: the call-processing hot path, Device.Grant().Count(part) on a 200-part grant.
func BenchmarkGrantCount(b *testing.B) {
	r, part := grant200(b)
	d := r.dev
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += d.Grant().Count(part)
	}
	devSink = n
}

// BenchmarkGrantCountWhileInstalling: the same while another goroutine installs and removes a file
// in a loop (each publishes a new grant).
func BenchmarkGrantCountWhileInstalling(b *testing.B) {
	r, part := grant200(b)
	d := r.dev
	other := devFile(b, devHostA, "CHURN", Permanent, devT0, time.Time{}, Line{Part: "CHURN", Kind: Flag, Qty: 1})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var installs atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := d.Install(other); err != nil {
				panic(err)
			}
			if err := d.Remove("CHURN"); err != nil {
				panic(err)
			}
			installs.Add(1)
		}
	}()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += d.Grant().Count(part)
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	devSink = n
	b.ReportMetric(float64(installs.Load()), "installs")
}

// BenchmarkInstall50: Install of a 50-line permanent file (verify, check, stack, seal, save,
// publish), beside a bare Open of the same file. "mem" saves to memory; "dir" is DirState with its
// fsyncs, so it measures the disk more than the engine.
func BenchmarkInstall50(b *testing.B) {
	signed := linesFile(b, "B50", Permanent, devT0, time.Time{}, 50)
	b.Run("open-floor", func(b *testing.B) {
		kr := devKeyring(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Open(signed, kr); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, store := range []string{"mem", "dir"} {
		b.Run(store, func(b *testing.B) {
			var st State = &memState{}
			if store == "dir" {
				st = DirState(b.TempDir())
			}
			r := newRig(b, st, newDevClock(devT0))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.dev.Install(signed); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := r.dev.Remove("B50"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(len(signed)), "file-bytes")
		})
	}
}

// BenchmarkGrantCountRatio measures Grant().Count and its floor in alternating chunks of 1000
// lookups in the same run and reports the fastest chunk of each (ns per lookup) and their ratio, so
// that load from other processes on a shared machine, which only ever slows a chunk down, cancels
// out. With "installing", another goroutine installs and removes a file throughout.
func BenchmarkGrantCountRatio(b *testing.B) {
	for _, churn := range []bool{false, true} {
		name := "idle"
		if churn {
			name = "installing"
		}
		b.Run(name, func(b *testing.B) {
			r, part := grant200(b)
			d := r.dev
			type snap struct{ m map[string]int }
			m := make(map[string]int, 200)
			for i := 0; i < 200; i++ {
				m[fmt.Sprintf("P%04d", i)] = i + 1
			}
			var p atomic.Pointer[snap]
			p.Store(&snap{m: m})
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if churn {
				other := devFile(b, devHostA, "CHURN", Permanent, devT0, time.Time{}, Line{Part: "CHURN", Kind: Flag, Qty: 1})
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if err := d.Install(other); err != nil {
							panic(err)
						}
						if err := d.Remove("CHURN"); err != nil {
							panic(err)
						}
					}
				}()
			}
			const chunk = 1000
			minFloor, minCount := time.Duration(1<<62), time.Duration(1<<62)
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += 2 * chunk {
				t0 := time.Now()
				for i := 0; i < chunk; i++ {
					n += p.Load().m[part]
				}
				t1 := time.Now()
				for i := 0; i < chunk; i++ {
					n += d.Grant().Count(part)
				}
				t2 := time.Now()
				minFloor, minCount = min(minFloor, t1.Sub(t0)), min(minCount, t2.Sub(t1))
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			devSink = n
			b.ReportMetric(float64(minFloor.Nanoseconds())/chunk, "floor-ns")
			b.ReportMetric(float64(minCount.Nanoseconds())/chunk, "count-ns")
			b.ReportMetric(float64(minCount)/float64(minFloor), "ratio")
		})
	}
}
