package signing

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The benchmarks put Sign1 and Verify1 beside the bare Ed25519 operation on the same payload, so each
// figure reads as a ratio against its floor:
//
//	go test ./signing -run '^$' -bench 'Sign1|Verify1' -benchtime=1s -count=5
//
// Target: Sign1 and Verify1 at most 1.10x the bare ed25519.Sign / ed25519.Verify, with a handful of
// allocations that do not grow with the payload beyond one copy.
//
// On a shared, loaded machine the two sub-benchmarks run minutes apart under different load, so
// BenchmarkRatio also runs them interleaved, one bare and one lmskit operation per iteration, and
// reports the ratio of the median times as "x-bare" (medians, so that a preemption inside one
// operation does not decide the figure), beside the medians themselves:
//
//	go test ./signing -run '^$' -bench Ratio -benchtime=1s -count=5

var benchSizes = []int{1 << 10, 16 << 10}

func BenchmarkSign1(b *testing.B) {
	k := testKey(b, "bench")
	for _, n := range benchSizes {
		payload := make([]byte, n)
		b.Run(fmt.Sprintf("%dKiB/ed25519.Sign", n>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				_ = ed25519.Sign(k.priv, payload)
			}
		})
		b.Run(fmt.Sprintf("%dKiB/Sign1", n>>10), func(b *testing.B) {
			opts := &Sign1Options{ContentType: "application/cbor"}
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := Sign1(k, payload, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify1(b *testing.B) {
	k := testKey(b, "bench")
	kr := trust(b, k)
	pub := ed25519.PublicKey(k.Public().Bytes())
	for _, n := range benchSizes {
		payload := make([]byte, n)
		sig := ed25519.Sign(k.priv, payload)
		msg, err := Sign1(k, payload, &Sign1Options{ContentType: "application/cbor"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dKiB/ed25519.Verify", n>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if !ed25519.Verify(pub, payload, sig) {
					b.Fatal("bare verify failed")
				}
			}
		})
		b.Run(fmt.Sprintf("%dKiB/Verify1", n>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, _, err := kr.Verify1(msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRatio(b *testing.B) {
	k := testKey(b, "bench")
	kr := trust(b, k)
	pub := ed25519.PublicKey(k.Public().Bytes())
	opts := &Sign1Options{ContentType: "application/cbor"}
	for _, n := range benchSizes {
		payload := make([]byte, n)
		sig := ed25519.Sign(k.priv, payload)
		msg, err := Sign1(k, payload, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("Sign1/%dKiB", n>>10), func(b *testing.B) {
			var bare, ours []time.Duration
			for b.Loop() {
				t0 := time.Now()
				_ = ed25519.Sign(k.priv, payload)
				t1 := time.Now()
				if _, err := Sign1(k, payload, opts); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				bare = append(bare, t1.Sub(t0))
				ours = append(ours, t2.Sub(t1))
			}
			reportRatio(b, bare, ours)
		})
		b.Run(fmt.Sprintf("Verify1/%dKiB", n>>10), func(b *testing.B) {
			var bare, ours []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if !ed25519.Verify(pub, payload, sig) {
					b.Fatal("bare verify failed")
				}
				t1 := time.Now()
				if _, _, err := kr.Verify1(msg, nil); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				bare = append(bare, t1.Sub(t0))
				ours = append(ours, t2.Sub(t1))
			}
			reportRatio(b, bare, ours)
		})
	}
}

// reportRatio reports the median of each series and their ratio.
func reportRatio(b *testing.B, bare, ours []time.Duration) {
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	mb, mo := median(bare), median(ours)
	b.ReportMetric(mb, "bare-ns")
	b.ReportMetric(mo, "lmskit-ns")
	b.ReportMetric(mo/mb, "x-bare")
}

// TestAllocations pins the allocation counts the benchmarks report, so a regression fails CI rather
// than waiting for someone to read a benchmark: Sign1 makes one buffer (plus what crypto/ed25519
// makes), Verify1 one buffer, whatever the payload size.
func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in full runs")
	}
	k := testKey(t, "bench")
	kr := trust(t, k)
	for _, n := range benchSizes {
		payload := make([]byte, n)
		opts := &Sign1Options{ContentType: "application/cbor"}
		bare := testing.AllocsPerRun(20, func() { _ = ed25519.Sign(k.priv, payload) })
		signAllocs := testing.AllocsPerRun(20, func() { _, _ = Sign1(k, payload, opts) })
		if signAllocs > bare+1 {
			t.Errorf("%d-byte payload: Sign1 makes %v allocations, bare ed25519.Sign %v; want at most one more", n, signAllocs, bare)
		}
		msg, _ := Sign1(k, payload, opts)
		verifyAllocs := testing.AllocsPerRun(20, func() { _, _, _ = kr.Verify1(msg, nil) })
		if verifyAllocs > 1 {
			t.Errorf("%d-byte payload: Verify1 makes %v allocations, want 1", n, verifyAllocs)
		}
	}
}
