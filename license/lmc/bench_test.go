package lmc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lmskit/lmskit/license"
)

// benchLMC is an LMC with a 50-part grant bound to the guide's SV8500, on the wall clock.
func benchLMC(b *testing.B) *LMC {
	b.Helper()
	l, err := Open(context.Background(), Config{
		Dir:     b.TempDir(),
		Source:  StaticSource(sv8500A),
		Keyring: keyringOf(b, testKey(b, 1)),
	})
	if err != nil {
		b.Fatal(err)
	}
	lines := []license.Line{count("USER", 1<<20), version("390908", 10)}
	for i := range 48 {
		lines = append(lines, count(fmt.Sprintf("BE%06d", i), 10))
	}
	mustInstall(b, l, issue(b, testKey(b, 1), fileSpec{serial: "BENCH", code: lmcOf(b, sv8500A), issued: time.Now().Add(-time.Hour), lines: lines}))
	return l
}

var sinkBool bool

// BenchmarkHas is the in-process feature check an application calls on its hot path.
func BenchmarkHas(b *testing.B) {
	l := benchLMC(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sinkBool, _ = l.Has(ctx, "BE000031")
	}
}

// BenchmarkHasFloor is what Has stands on: one atomic pointer load and one lookup in a 50-entry map.
func BenchmarkHasFloor(b *testing.B) {
	m := map[string]int{}
	for i := range 50 {
		m[fmt.Sprintf("BE%06d", i)] = 10
	}
	var p atomic.Pointer[map[string]int]
	p.Store(&m)
	b.ReportAllocs()
	for b.Loop() {
		_, sinkBool = (*p.Load())["BE000031"]
	}
}

// BenchmarkCheckoutRelease is an in-process checkout and release from every core at once.
func BenchmarkCheckoutRelease(b *testing.B) {
	l := benchLMC(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ls, err := l.Checkout(ctx, "MA4000", "USER", 1)
			if err != nil {
				b.Error(err)
				return
			}
			if err := ls.Release(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkSocketCheckoutRelease: 8 applications, each on its own connection over a unix socket, check
// out a seat and release it as fast as they can. pairs/s counts checkout+release pairs (two round trips
// each); rt/s counts round trips; p99-µs is the 99th percentile of one pair's latency; slow-% is the
// share of pairs that took over a millisecond; cpu-µs/pair is the process's CPU time (user and system,
// clients and server together) per pair, which a loaded machine disturbs far less than the rates.
func BenchmarkSocketCheckoutRelease(b *testing.B) { socketPairs(b, 8, 0) }

// BenchmarkSocketCheckoutReleaseLone is BenchmarkSocketCheckoutRelease with one application: the
// latency of a pair with nothing else on the socket.
func BenchmarkSocketCheckoutReleaseLone(b *testing.B) { socketPairs(b, 1, 0) }

// BenchmarkSocketCheckoutReleaseOneP is BenchmarkSocketCheckoutRelease with GOMAXPROCS 1 while it
// measures. On a machine of 2 virtual CPUs the kernel now and then runs both of the process's busy
// threads on one CPU, a tick (4 ms at 250 Hz) each in turn, while the other CPU idles; the goroutines
// queued on the thread that waits wait with it, since the other one finds its work in the network
// poller before it looks for work to steal. That puts about 1 % of the pairs (of the LMC's and of the
// echo's alike) at 2 to 8 ms, right where p99 reads. With one P there is one busy thread and no such
// stall, so this pair and BenchmarkSocketEchoFloorOneP show the latency of the code itself.
func BenchmarkSocketCheckoutReleaseOneP(b *testing.B) { socketPairs(b, 8, 1) }

func socketPairs(b *testing.B, clients, procs int) {
	l := benchLMC(b)
	path, _ := startServer(b, l)
	conns := make([]*Conn, clients)
	apps := make([]string, clients)
	for i := range conns {
		conns[i] = dial(b, path)
		apps[i] = fmt.Sprintf("app%d", i)
	}
	b.ReportAllocs()
	ctx := context.Background()
	measurePairs(b, clients, procs, func(i int) error {
		ls, err := conns[i].Checkout(ctx, apps[i], "USER", 1)
		if err != nil {
			return err
		}
		return ls.Release(ctx)
	})
}

// BenchmarkSocketEchoFloor is the floor under the socket benchmark: 8 clients, each on its own unix
// socket connection, sending a 40-byte frame and reading a 40-byte answer from a bare echo server, two
// round trips per op like a checkout+release.
func BenchmarkSocketEchoFloor(b *testing.B) { echoPairs(b, 8, 0) }

// BenchmarkSocketEchoFloorLone is the floor of BenchmarkSocketCheckoutReleaseLone: one client.
func BenchmarkSocketEchoFloorLone(b *testing.B) { echoPairs(b, 1, 0) }

// BenchmarkSocketEchoFloorOneP is the floor of BenchmarkSocketCheckoutReleaseOneP: GOMAXPROCS 1.
func BenchmarkSocketEchoFloorOneP(b *testing.B) { echoPairs(b, 8, 1) }

func echoPairs(b *testing.B, clients, procs int) {
	path := filepath.Join(b.TempDir(), "echo.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br, bw := bufio.NewReader(c), bufio.NewWriter(c)
				buf := make([]byte, 40)
				for {
					if _, err := io.ReadFull(br, buf); err != nil {
						return
					}
					bw.Write(buf)
					if bw.Flush() != nil {
						return
					}
				}
			}()
		}
	}()
	conns := make([]net.Conn, clients)
	bufs := make([][]byte, clients)
	for i := range conns {
		if conns[i], err = net.Dial("unix", path); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
		bufs[i] = make([]byte, 40)
	}
	measurePairs(b, clients, procs, func(i int) error {
		for range 2 {
			conns[i].Write(bufs[i])
			if _, err := io.ReadFull(conns[i], bufs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// measurePairs runs b.N pairs spread over clients goroutines, each calling pair with its index in a
// loop, and reports the figures the socket benchmarks share: the LMC's and the echo's pairs run in the
// same harness, so that they differ only in what pair does. procs > 0 sets GOMAXPROCS while it runs.
func measurePairs(b *testing.B, clients, procs int, pair func(i int) error) {
	lat := make([][]time.Duration, clients)
	for i := range lat {
		lat[i] = make([]time.Duration, 0, b.N/clients+1)
	}
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	runtime.GC()
	b.ResetTimer()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for i := range clients {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				start := time.Now()
				if err := pair(i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Since(start))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/pair")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "rt/s")
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
		slow := len(all) - sort.Search(len(all), func(i int) bool { return all[i] > time.Millisecond })
		b.ReportMetric(100*float64(slow)/float64(len(all)), "slow-%")
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rereadLMC is an LMC with 1,000 leases out of a 1,000-seat BASE file, and an EXTRA file of 200
// seats to copy in and out of the directory.
func rereadLMC(b *testing.B) (l *LMC, extraPath string, extra []byte, files [][]byte) {
	b.Helper()
	key := testKey(b, 1)
	dir := b.TempDir()
	var err error
	l, err = Open(context.Background(), Config{Dir: dir, Source: StaticSource(sv8500A), Keyring: keyringOf(b, key)})
	if err != nil {
		b.Fatal(err)
	}
	lm := lmcOf(b, sv8500A)
	base := issue(b, key, fileSpec{serial: "BASE", code: lm, issued: time.Now().Add(-time.Hour), lines: []license.Line{count("USER", 1000), version("390908", 10)}})
	extra = issue(b, key, fileSpec{serial: "EXTRA", code: lm, issued: time.Now().Add(-time.Hour), lines: []license.Line{count("USER", 200)}})
	mustInstall(b, l, base)
	for i := range 1000 {
		if _, err := l.Checkout(context.Background(), fmt.Sprintf("app%d", i%20), "USER", 1); err != nil {
			b.Fatal(err)
		}
	}
	return l, filepath.Join(dir, licenseDir, "EXTRA.lic"), extra, [][]byte{base, extra}
}

// BenchmarkReread is the administrator's reread (SIGHUP) with 1,000 leases out: "unchanged" reads
// and verifies the directory and rebuilds the grant; "file-toggled" also finds a 200-seat file
// added or removed each time, so the count moves between 1,000 and 1,200 and every lease stays.
// Its floor, BenchmarkRereadFloor, is reading and verifying the same files (license.Open), the
// part no reread can skip.
func BenchmarkReread(b *testing.B) {
	for _, toggle := range []bool{false, true} {
		name := map[bool]string{false: "unchanged", true: "file-toggled"}[toggle]
		b.Run(name, func(b *testing.B) {
			l, extraPath, extra, _ := rereadLMC(b)
			in := false
			b.ReportAllocs()
			for b.Loop() {
				if toggle {
					if in {
						b.StopTimer()
						os.Remove(extraPath)
						b.StartTimer()
					} else {
						b.StopTimer()
						os.WriteFile(extraPath, extra, 0o600)
						b.StartTimer()
					}
					in = !in
				}
				rr, err := l.Reread(context.Background())
				if err != nil || rr.Revoked != 0 {
					b.Fatal(rr, err)
				}
			}
			if u := l.seats.usage("USER"); u.InUse != 1000 {
				b.Fatalf("%d seats out after the rereads, want 1000", u.InUse)
			}
		})
	}
}

// BenchmarkRereadFloor reads the two files of BenchmarkReread from disk and verifies them.
func BenchmarkRereadFloor(b *testing.B) {
	_, extraPath, extra, files := rereadLMC(b)
	os.WriteFile(extraPath, extra, 0o600)
	dir := filepath.Dir(extraPath)
	kr := keyringOf(b, testKey(b, 1))
	b.ReportAllocs()
	for b.Loop() {
		for _, name := range []string{"BASE.lic", "EXTRA.lic"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := license.Open(data, kr); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = files
}

// BenchmarkKeepAlive is the cost of keeping leases alive over a unix socket: each of 8 leases runs
// KeepAlive with a timer that fires at once, so the loop renews as fast as the LMC answers. It
// reports the CPU per renewal (process CPU, clients and server) and what that comes to per lease
// per minute at the default TTL (a renewal every TTL/3 on average: 1.5 a minute). Its floor,
// BenchmarkKeepAliveFloor, is the bare Lease.Renew in a loop on the same socket.
func BenchmarkKeepAlive(b *testing.B) {
	benchRenewals(b, true)
}

// BenchmarkKeepAliveFloor is BenchmarkKeepAlive's floor: 8 goroutines calling Renew in a loop.
func BenchmarkKeepAliveFloor(b *testing.B) {
	benchRenewals(b, false)
}

func benchRenewals(b *testing.B, keepAlive bool) {
	const leases = 8
	l := benchLMC(b)
	path, _ := startServer(b, l)
	conn := dial(b, path)
	var renewed atomic.Int64
	ls := make([]*Lease, leases)
	for i := range ls {
		var err error
		if ls[i], err = conn.Checkout(context.Background(), "MA4000", "USER", 1); err != nil {
			b.Fatal(err)
		}
	}
	fired := make(chan time.Time)
	close(fired) // every wait ends at once
	b.ResetTimer()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for i, lease := range ls {
		n := int64(b.N / leases)
		if i < b.N%leases {
			n++
		}
		wg.Add(1)
		if keepAlive {
			ctx, cancel := context.WithCancel(context.Background())
			var done atomic.Int64
			lease.after = func(time.Duration) <-chan time.Time {
				if done.Add(1) > n {
					cancel()
				}
				renewed.Add(1)
				return fired
			}
			go func() {
				defer wg.Done()
				if err := <-lease.KeepAlive(ctx); err != nil {
					b.Error(err)
				}
			}()
			continue
		}
		go func() {
			defer wg.Done()
			for range n {
				if err := lease.Renew(context.Background()); err != nil {
					b.Error(err)
					return
				}
				renewed.Add(1)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	cpu := processCPU() - cpu0
	per := float64(cpu.Nanoseconds()) / float64(b.N) / 1e3
	b.ReportMetric(per, "cpu-µs/renewal")
	b.ReportMetric(per*1.5, "cpu-µs/lease/min")
}
