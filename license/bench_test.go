package license

import (
	"crypto/ed25519"
	"strconv"
	"testing"
	"time"
)

// Benchmarks stand beside their floors in the same run, so each figure reads as a ratio:
//
//	go test -run '^$' -bench . -benchtime 1s ./license/

// BenchmarkOpenCheck50: Open and Check of a 50-line file, beside a bare ed25519.Verify of its
// payload (the floor a signed file cannot beat).
func BenchmarkOpenCheck50(b *testing.B) {
	f := bigFile(b, 50)
	signed := mustSign(b, f)
	payload, _ := f.MarshalPayload()
	kr := testKeyring(b)
	pub := ed25519.PublicKey(testKey.Public().Bytes())
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(testKey.Seed()), payload)
	host := f.Host
	b.Run("floor=ed25519.Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if !ed25519.Verify(pub, payload, sig) {
				b.Fatal("verify")
			}
		}
	})
	openCheck := func() {
		f, err := Open(signed, kr)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Check(host, testIssued); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Open+Check", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			openCheck()
		}
	})
	// On a shared machine the two runs above see different loads. This one alternates the floor
	// and Open+Check in the same loop and reports the ratio of their summed times.
	b.Run("interleaved", func(b *testing.B) {
		var floor, open time.Duration
		for b.Loop() {
			t0 := time.Now()
			if !ed25519.Verify(pub, payload, sig) {
				b.Fatal("verify")
			}
			t1 := time.Now()
			openCheck()
			t2 := time.Now()
			floor += t1.Sub(t0)
			open += t2.Sub(t1)
		}
		b.ReportMetric(float64(open)/float64(floor), "ratio")
		b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
		b.ReportMetric(float64(open.Nanoseconds())/float64(b.N), "open-ns/op")
	})
}

// BenchmarkSign50: Sign of a 50-line file, beside a bare ed25519.Sign of its payload. The
// "bytes" metric is the size of the signed file.
func BenchmarkSign50(b *testing.B) {
	f := bigFile(b, 50)
	payload, _ := f.MarshalPayload()
	priv := ed25519.NewKeyFromSeed(testKey.Seed())
	b.Run("floor=ed25519.Sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ed25519.Sign(priv, payload)
		}
	})
	b.Run("Sign", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			s, err := f.Sign(testKey)
			if err != nil {
				b.Fatal(err)
			}
			n = len(s)
		}
		b.ReportMetric(float64(n), "file-bytes")
		b.ReportMetric(float64(len(payload)), "payload-bytes")
	})
	b.Run("interleaved", func(b *testing.B) {
		var floor, sign time.Duration
		for b.Loop() {
			t0 := time.Now()
			_ = ed25519.Sign(priv, payload)
			t1 := time.Now()
			if _, err := f.Sign(testKey); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			floor += t1.Sub(t0)
			sign += t2.Sub(t1)
		}
		b.ReportMetric(float64(sign)/float64(floor), "ratio")
	})
}

// BenchmarkSetCount: Set.Count on a 200-part set, beside a bare map lookup of the same keys.
func BenchmarkSetCount(b *testing.B) {
	lines := make([]Line, 200)
	floor := make(map[string]int, 200)
	for i := range lines {
		p := "BE" + strconv.Itoa(107000+i)
		lines[i] = Line{Part: p, Kind: Count, Qty: i + 1}
		floor[p] = i + 1
	}
	s, err := Stack(lines...)
	if err != nil {
		b.Fatal(err)
	}
	const part = "BE107123"
	var sink int
	b.Run("floor=map[string]int", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += floor[part]
		}
	})
	b.Run("Set.Count", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += s.Count(part)
		}
	})
	// Alternating blocks of 1000 lookups each, so both see the same load on a shared machine.
	b.Run("interleaved", func(b *testing.B) {
		var floorT, setT time.Duration
		for b.Loop() {
			t0 := time.Now()
			for range 1000 {
				sink += floor[part]
			}
			t1 := time.Now()
			for range 1000 {
				sink += s.Count(part)
			}
			t2 := time.Now()
			floorT += t1.Sub(t0)
			setT += t2.Sub(t1)
		}
		b.ReportMetric(float64(floorT.Nanoseconds())/float64(b.N*1000), "floor-ns/lookup")
		b.ReportMetric(float64(setT.Nanoseconds())/float64(b.N*1000), "count-ns/lookup")
	})
	if sink == 0 {
		b.Fatal("no work")
	}
}

// BenchmarkStack50 stacks the lines of a 50-line file (what a device does on install).
func BenchmarkStack50(b *testing.B) {
	lines := bigFile(b, 50).Lines
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Stack(lines...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalPayload50 decodes and validates the payload of a 50-line file: the part of
// Open that is this package's own.
func BenchmarkUnmarshalPayload50(b *testing.B) {
	p, _ := bigFile(b, 50).MarshalPayload()
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := UnmarshalPayload(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalPayload50 validates and encodes a 50-line file: the part of Sign that is this
// package's own.
func BenchmarkMarshalPayload50(b *testing.B) {
	f := bigFile(b, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.MarshalPayload(); err != nil {
			b.Fatal(err)
		}
	}
}
