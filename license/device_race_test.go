package license

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDeviceConcurrentReaders: readers of Grant (and Files) run while files are installed and
// removed and the clock ticks. Under -race this proves the hot path needs no lock; each reader also
// checks that every snapshot it sees is one the device really published (never half-made).
func TestDeviceConcurrentReaders(t *testing.T) {
	clock := newDevClock(devT0)
	r := newRig(t, &memState{}, clock)
	r.install(permanentFile(t, "PERM", devT0))
	extra := devFile(t, devHostA, "EXTRA", Permanent, devT0, time.Time{}, Line{Part: "BE107585", Kind: Count, Qty: 100}, Line{Part: "EXTRA", Kind: Flag, Qty: 1})
	demo := devFile(t, devHostA, "DEMO", Demo, devT0, devT0.Add(day), Line{Part: "DEMO-ALL", Kind: Flag, Qty: 1})

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan string, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				g := r.dev.Grant()
				n, has := g.Count("BE107585"), g.Has("EXTRA")
				// Published snapshots: PERM alone (20), PERM+EXTRA (120). A snapshot with 120
				// seats but no EXTRA flag, or the reverse, would be half-made.
				if !(n == 20 && !has || n == 120 && has) {
					select {
					case errs <- g.String():
					default:
					}
					return
				}
				_ = r.dev.Files()
				reads.Add(1)
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if err := r.dev.Install(extra); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := r.dev.Install(demo); err != nil {
				t.Fatal(err)
			}
			if err := r.dev.Remove("DEMO"); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(time.Second)
		if err := r.dev.Tick(); err != nil {
			t.Fatal(err)
		}
		if err := r.dev.Remove("EXTRA"); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a reader saw a snapshot that was never published: %s", e)
	}
	if reads.Load() == 0 {
		t.Error("the readers never ran")
	}
}
