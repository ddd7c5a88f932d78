package lmc

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// reflectFrame is the frame the reflecting encoder of cborx writes: the reference for the fast one.
func reflectFrame(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bufferEncMode.MarshalToBuffer(v, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkFast compares the fast codec with the reflecting one on one request and one response.
func checkFast(t *testing.T, q request, r response) {
	t.Helper()
	var fq, fr bytes.Buffer
	if !fastFrame(&fq, &q) || !fastFrame(&fr, &r) {
		t.Fatal("fastFrame refused a request or a plain response")
	}
	if diff := cmp.Diff(reflectFrame(t, &q), fq.Bytes()[frameHeader:]); diff != "" {
		t.Fatalf("request %+v: fast encoding differs (-reflect +fast):\n%s", q, diff)
	}
	if diff := cmp.Diff(reflectFrame(t, &r), fr.Bytes()[frameHeader:]); diff != "" {
		t.Fatalf("response %+v: fast encoding differs (-reflect +fast):\n%s", r, diff)
	}
	valid := utf8.ValidString(q.App) && utf8.ValidString(q.Part) && utf8.ValidString(q.Lease)
	if got, ok := decodeRequestFast(fq.Bytes()[frameHeader:], nil); ok != valid || ok && !cmp.Equal(normToken(q), got) {
		t.Fatalf("request %+v: fast decode ok=%v gave %+v", q, ok, got)
	}
	valid = utf8.ValidString(r.Msg) && utf8.ValidString(r.Lease)
	if got, ok := decodeResponseFast(fr.Bytes()[frameHeader:]); ok != valid || ok && !cmp.Equal(r, got) {
		t.Fatalf("response %+v: fast decode ok=%v gave %+v", r, ok, got)
	}
}

// normToken is q as a decoder returns it: an empty token is absent.
func normToken(q request) request {
	if len(q.Token) == 0 {
		q.Token = nil
	}
	return q
}

// TestFastCodec: the fast encoder writes exactly what the reflecting one writes, at every size
// boundary of the CBOR heads, and the fast decoder reads it back.
func TestFastCodec(t *testing.T) {
	ints := []int64{0, 1, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -24, -25, -256, -257, -65537, math.MinInt64}
	for _, n := range ints {
		u := uint64(n)
		checkFast(t, request{ID: u, Op: uint8(u), N: int(n), App: "MA4000", Part: "BE114234", Lease: strings.Repeat("a", 32)},
			response{ID: u, Err: uint8(u), Int: int(n), Expires: n, Bool: n%2 == 0, Msg: "lmc: x", Lease: "ab"})
	}
	for _, q := range goodRequests {
		if q.Data != nil || q.Handle != "" {
			// The administrator's install and revoke go to the reflecting codec.
			if fastFrame(new(bytes.Buffer), &q) {
				t.Fatalf("fastFrame took %+v, whose keys it does not write", q)
			}
			continue
		}
		checkFast(t, q, response{ID: q.ID})
	}
	long := strings.Repeat("é", 200)
	checkFast(t, request{Op: opHello, N: 1, Token: bytes.Repeat([]byte{7}, 300)}, response{Msg: long})
	checkFast(t, request{ID: math.MaxUint64, Op: opUsage, Part: "\xff"}, response{ID: math.MaxUint64, Msg: "\xff"})
	checkFast(t, request{}, response{})
	var buf bytes.Buffer
	if fastFrame(&buf, &response{Usage: &wireUsage{Part: "P"}}) || fastFrame(&buf, &response{Status: &wireStatus{}}) ||
		fastFrame(&buf, &response{Info: &wireInfo{}}) || fastFrame(&buf, &response{Leases: []wireLease{}}) ||
		fastFrame(&buf, &response{Files: []wireFile{}}) || fastFrame(&buf, &response{Reread: &wireReread{}}) || buf.Len() != 0 {
		t.Fatal("fastFrame took a response with usage or status")
	}
}

// FuzzFastCodec: the fast and reflecting encoders agree on any field values.
func FuzzFastCodec(f *testing.F) {
	f.Add(uint64(1), uint8(5), "MA4000", "USER", int64(3), strings.Repeat("f", 32), []byte("token"), int64(-5), "lmc: no", true)
	f.Add(uint64(0), uint8(0), "", "", int64(0), "", []byte(nil), int64(0), "", false)
	f.Fuzz(func(t *testing.T, id uint64, op uint8, app, part string, n int64, lease string, token []byte, expires int64, msg string, b bool) {
		if int64(int(n)) != n {
			return
		}
		checkFast(t, request{ID: id, Op: op, App: app, Part: part, N: int(n), Lease: lease, Token: token},
			response{ID: id, Err: op, Msg: msg, Bool: b, Int: int(n), Lease: lease, Expires: expires})
	})
}

// FuzzFastDecode: whatever the fast decoders accept, the reflecting decoders accept too, with the same
// value; what they leave, the reflecting ones judge as before.
func FuzzFastDecode(f *testing.F) {
	for _, q := range goodRequests {
		f.Add(mustFrame(f, &q)[frameHeader:])
	}
	f.Add(mustFrame(f, &response{ID: 9, Err: 3, Msg: "lmc: no free seats", Expires: -1, Bool: true})[frameHeader:])
	f.Add([]byte{0xa2, 0x02, 0x18, 0x05, 0x01, 0x01}) // keys out of order
	f.Add([]byte{0xa1, 0x02, 0x18, 0x05})             // a head longer than it need be
	f.Add([]byte{0xa1, 0x07, 0x40})                   // an empty token
	// One name cache across the inputs, as a connection keeps one across its requests, holding the
	// lease id of the seeds as the last one the connection was given.
	names := nameCache{lease: "0123456789abcdef0123456789abcdef"}
	f.Fuzz(func(t *testing.T, body []byte) {
		cq, cok := decodeRequestFast(body, &names)
		if q, ok := decodeRequestFast(body, nil); ok != cok || !cmp.Equal(q, cq) {
			t.Fatalf("with the name cache: %v %+v; without: %v %+v", cok, cq, ok, q)
		}
		if q, ok := decodeRequestFast(body, nil); ok {
			var want request
			if err := reqDecMode.Unmarshal(body, &want); err != nil {
				t.Fatalf("fast decoder took a request the reflecting one refuses (%v): %+v", err, q)
			}
			if diff := cmp.Diff(want, q); diff != "" {
				t.Fatalf("request (-reflect +fast):\n%s", diff)
			}
		}
		if r, ok := decodeResponseFast(body); ok {
			var want response
			if err := respDecMode.Unmarshal(body, &want); err != nil {
				t.Fatalf("fast decoder took a response the reflecting one refuses (%v): %+v", err, r)
			}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Fatalf("response (-reflect +fast):\n%s", diff)
			}
		}
	})
}

// TestLeaseIDCache: a release naming the lease id its connection was just given decodes without a
// new string; any other id decodes as before.
func TestLeaseIDCache(t *testing.T) {
	given := "0123456789abcdef0123456789abcdef"
	names := nameCache{lease: given}
	same := mustFrame(t, &request{ID: 7, Op: opRelease, Lease: given})[frameHeader:]
	other := mustFrame(t, &request{ID: 8, Op: opRelease, Lease: strings.Repeat("f", 32)})[frameHeader:]
	var q request
	if n := testing.AllocsPerRun(100, func() { q, _ = decodeRequestNames(same, &names) }); n != 0 || q.Lease != given {
		t.Errorf("release of the id just given: %v allocations, lease %q; want 0, %q", n, q.Lease, given)
	}
	if n := testing.AllocsPerRun(100, func() { q, _ = decodeRequestNames(other, &names) }); n != 1 || q.Lease != strings.Repeat("f", 32) {
		t.Errorf("release of another id: %v allocations, lease %q; want 1 (its string)", n, q.Lease)
	}
}
