package keycode

import (
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Benchmarks of Parse on canonical input, each beside its floor: a bare map lookup of the same
// string (what a table-driven validator costs at least) and a bare string comparison. Targets:
// Parse of a canonical 12- and 28-character code at most 100 ns/op and 0 allocs/op.
// Run: go test -run '^$' -bench . -benchtime=1s ./keycode/
//
// Besides ns/op (wall time) the Parse benchmarks and their floors report cpu-ns/op, the CPU time of
// the benchmark's thread per operation (Linux), which stays meaningful on a shared, loaded machine.

var (
	sinkCode Code
	sinkBool bool
	sinkSys  System
)

const (
	bench12 = "190400324412"
	bench28 = "35G00N470108E0S0A8832EF2d3Po"
)

// cpuMeter reports cpu-ns/op for a benchmark loop run on one locked thread.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU(b *testing.B) *cpuMeter {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	m := &cpuMeter{}
	m.start, m.ok = threadCPU()
	return m
}

func (m *cpuMeter) report(b *testing.B) {
	end, ok := threadCPU()
	if m.ok && ok && b.N > 0 {
		b.ReportMetric(float64((end-m.start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkParse12(b *testing.B) {
	b.ReportAllocs()
	m := startCPU(b)
	defer m.report(b)
	for b.Loop() {
		c, err := Parse(SV8100, bench12)
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
	}
}

func BenchmarkParse28(b *testing.B) {
	b.ReportAllocs()
	m := startCPU(b)
	defer m.report(b)
	for b.Loop() {
		c, err := Parse(SV9500, bench28)
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
	}
}

// BenchmarkParse30LMC is the longest canonical grammar, the License Manager Client, whose table
// holds fourteen forms.
func BenchmarkParse30LMC(b *testing.B) {
	b.ReportAllocs()
	m := startCPU(b)
	defer m.report(b)
	for b.Loop() {
		c, err := Parse(LMC, "LM16717688D912171C3E3E603E1836")
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
	}
}

// BenchmarkParseQR normalises the SV9500 label form (one allocation: the new string).
func BenchmarkParseQR(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parse(SV9500, "A_3565-A9C3-0842-67EF-2E44-A473-6DI2")
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
	}
}

func benchFloorMap(b *testing.B, s string) {
	m := map[string]System{bench12: SV8100, bench28: SV9500, "3CB6CE81EECE": ThreeC, "1009FFFE": IPDECT}
	key := strings.Clone(s) // not the literal, so the lookup hashes and compares for real
	b.ReportAllocs()
	cm := startCPU(b)
	defer cm.report(b)
	for b.Loop() {
		sinkSys = m[key]
	}
}

// BenchmarkFloorMapLookup12 is the floor of BenchmarkParse12: one map lookup of the same string.
func BenchmarkFloorMapLookup12(b *testing.B) { benchFloorMap(b, bench12) }

// BenchmarkFloorMapLookup28 is the floor of BenchmarkParse28.
func BenchmarkFloorMapLookup28(b *testing.B) { benchFloorMap(b, bench28) }

// BenchmarkFloorStringCompare28 is a bare comparison of two equal 28-byte strings.
func BenchmarkFloorStringCompare28(b *testing.B) {
	x, y := strings.Clone(bench28), strings.Clone(bench28)
	b.ReportAllocs()
	m := startCPU(b)
	defer m.report(b)
	for b.Loop() {
		sinkBool = x == y
	}
}

func BenchmarkDetect12(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkBool = len(Detect(bench12)) > 0
	}
}

func BenchmarkDeriveThreeC(b *testing.B) {
	d := testDeriver(b)
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		c, err := d.ThreeC(ThreeC, "domain.local", i)
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
		i++
	}
}

func BenchmarkDeriveSV9500StandardServer(b *testing.B) {
	d := testDeriver(b)
	ip := netip.MustParseAddr("123.0.0.105")
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		c, err := d.SV9500StandardServer(ip, i)
		if err != nil {
			b.Fatal(err)
		}
		sinkCode = c
		i++
	}
}

func BenchmarkVerify(b *testing.B) {
	d := testDeriver(b)
	c, err := d.SV9500StandardServer(netip.MustParseAddr("123.0.0.105"), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkBool = c.Verify() == nil
	}
}

// TestParse_CanonicalDoesNotAllocate pins the allocation half of the target in the plain test run.
func TestParse_CanonicalDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		sys System
		s   string
	}{{SV8100, bench12}, {SV9500, bench28}, {LMC, "LM16717688D912171C3E3E603E1836"}, {IS3000, " aa0014SA2792883418AA "}} {
		if n := testing.AllocsPerRun(100, func() { sinkCode, _ = Parse(tc.sys, tc.s) }); n != 0 {
			t.Errorf("Parse(%q, %q): %v allocs/op, want 0", tc.sys, tc.s, n)
		}
	}
}
