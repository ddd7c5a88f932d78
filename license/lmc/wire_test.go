package lmc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var goodRequests = []request{
	{Op: opHello, N: protocolVersion},
	{Op: opHello, N: protocolVersion, Token: []byte("secret-token")},
	{ID: 1, Op: opHas, Part: "BE114234"},
	{ID: 2, Op: opCount, Part: "390908"},
	{ID: 3, Op: opVersion, Part: "MA4000-V10"},
	{ID: 4, Op: opCheckout, App: "MA4000", Part: "391950", N: 3},
	{ID: 5, Op: opRenew, Lease: "0123456789abcdef0123456789abcdef"},
	{ID: 6, Op: opRelease, Lease: "0123456789abcdef0123456789abcdef"},
	{ID: 7, Op: opUsage, Part: "391950"},
	{ID: 1<<64 - 1, Op: opStatus},
	// Version 2.
	{Op: opHello, N: 1},
	{ID: 8, Op: opFiles},
	{ID: 9, Op: opLeases},
	{ID: 10, Op: opRevoke, Handle: "17"},
	{ID: 11, Op: opRevoke, App: "BCT", Part: "USER"},
	{ID: 12, Op: opRevoke, App: "BCT"},
	{ID: 13, Op: opReread},
	{ID: 14, Op: opInstall, Data: []byte("-----BEGIN LMSKIT LICENSE-----")},
}

func TestRequestRoundTrip(t *testing.T) {
	for _, q := range goodRequests {
		b := mustFrame(t, &q)
		body, err := readFrame(bufio.NewReader(bytes.NewReader(b)), nil, maxRequestFrame)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRequest(body)
		if err != nil {
			t.Fatalf("%s: %v", opNames[q.Op], err)
		}
		if err := got.checkArgs(); err != nil {
			t.Fatalf("%s: %v", opNames[q.Op], err)
		}
		if diff := cmp.Diff(q, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", opNames[q.Op], diff)
		}
	}
}

func TestRequestRejected(t *testing.T) {
	tests := []struct {
		name string
		why  string
		q    request
		args bool // the shape is fine; checkArgs refuses it
	}{
		{"op zero", "operations start at 1", request{ID: 1}, false},
		{"op unknown", "no operation past the last", request{ID: 1, Op: opMax + 1}, false},
		{"hello with id", "the hello has id 0", request{ID: 1, Op: opHello, N: protocolVersion}, false},
		{"hello old version", "version must match", request{Op: opHello, N: 0}, false},
		{"hello long token", "tokens are bounded", request{Op: opHello, N: 1, Token: make([]byte, maxTokenLen+1)}, false},
		{"has without id", "requests carry an id", request{Op: opHas, Part: "P"}, false},
		{"has with app", "has takes no application", request{ID: 1, Op: opHas, Part: "P", App: "A"}, false},
		{"status with lease", "status takes no lease", request{ID: 1, Op: opStatus, Lease: "x"}, false},
		{"renew with count", "renew takes no count", request{ID: 1, Op: opRenew, Lease: "0123456789abcdef0123456789abcdef", N: 2}, false},
		{"usage with token", "only the hello carries a token", request{ID: 1, Op: opUsage, Part: "P", Token: []byte{1}}, false},
		{"checkout no seats", "at least one seat", request{ID: 1, Op: opCheckout, App: "A", Part: "P"}, true},
		{"checkout too many", "seat counts are bounded", request{ID: 1, Op: opCheckout, App: "A", Part: "P", N: maxSeats + 1}, true},
		{"checkout no app", "the application is named", request{ID: 1, Op: opCheckout, Part: "P", N: 1}, true},
		{"renew upper-case id", "lease ids are lower-case hex", request{ID: 1, Op: opRenew, Lease: "0123456789ABCDEF0123456789abcdef"}, true},
		{"has space part", "no leading spaces", request{ID: 1, Op: opHas, Part: " P"}, true},
		{"has invalid utf8", "text strings are UTF-8 (the decoder refuses them)", request{ID: 1, Op: opHas, Part: "P\xff"}, false},
		{"hello future version", "a version this LMC does not speak", request{Op: opHello, N: protocolVersion + 1}, false},
		{"leases with data", "only install carries data", request{ID: 1, Op: opLeases, Data: []byte{1}}, false},
		{"reread with handle", "only revoke carries a handle", request{ID: 1, Op: opReread, Handle: "1"}, false},
		{"revoke nothing", "revoke names a handle or an application", request{ID: 1, Op: opRevoke}, true},
		{"revoke both", "a handle or an application, not both", request{ID: 1, Op: opRevoke, Handle: "1", App: "A"}, true},
		{"revoke bad handle", "handles are digits", request{ID: 1, Op: opRevoke, Handle: "1a"}, true},
		{"revoke part alone", "a part needs its application", request{ID: 1, Op: opRevoke, Part: "P"}, true},
		{"install empty", "install carries data", request{ID: 1, Op: opInstall}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := mustFrame(t, &tc.q)[frameHeader:]
			q, err := decodeRequest(body)
			if !tc.args {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("%s: decode: %v, want ErrBadRequest", tc.why, err)
				}
				if diff := cmp.Diff(request{}, q); diff != "" {
					t.Fatalf("refused request not zero (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: decode: %v", tc.why, err)
			}
			if err := q.checkArgs(); !errors.Is(err, ErrBadRequest) {
				t.Fatalf("%s: checkArgs: %v, want ErrBadRequest", tc.why, err)
			}
		})
	}
}

func TestResponseRoundTrip(t *testing.T) {
	exp := time.Unix(1772355600, 123456789)
	rs := []response{
		{},
		{ID: 9, Bool: true},
		{ID: 9, Int: 120},
		{ID: 9, Lease: "0123456789abcdef0123456789abcdef", Expires: encodeTime(exp)},
		{ID: 9, Err: errCode(ErrNoSeats), Msg: "lmc: no free seats: part \"P\""},
		{ID: 9, Usage: toWireUsage(Usage{Part: "P", Count: 5, InUse: 3, Holders: []Holder{{"BCT", 1, 1}, {"MA4000", 2, 2}}})},
		{ID: 9, Status: toWireStatus(Status{Code: "LM22CC538207AFD058020640CD57xO", Reachable: true, LastContact: exp, Files: 2, Active: 1})},
	}
	for i, r := range rs {
		got, err := decodeResponse(mustFrame(t, &r)[frameHeader:])
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("%d (-want +got):\n%s", i, diff)
		}
	}
	if got := decodeTime(encodeTime(exp)); !got.Equal(exp) {
		t.Errorf("time round trip: %v, want %v", got, exp)
	}
	for _, s := range []error{ErrNotLicensed, ErrNotCounted, ErrNoSeats, ErrLeaseLost, ErrLeaseRevoked, ErrHostChanged,
		ErrNoHostCode, ErrBadRequest, ErrUnauthorized, ErrUnavailable, ErrClosed} {
		r := errResponse(1, s)
		if err := r.err(); !errors.Is(err, s) || err.Error() != s.Error() {
			t.Errorf("%v crossed the wire as %v", s, err)
		}
	}
	if err := errResponse(1, errors.New("disk on fire")).err(); err == nil || err.Error() != "disk on fire" {
		t.Errorf("an unclassified error crossed as %v", err)
	}
}

// FuzzDecodeRequest: the server's decoder never panics, refuses with ErrBadRequest and a zero request,
// and everything it accepts re-encodes to a request that decodes to the same value.
func FuzzDecodeRequest(f *testing.F) {
	for _, q := range goodRequests {
		f.Add(mustFrame(f, &q)[frameHeader:])
	}
	for _, b := range [][]byte{
		{}, {0xff}, {0xa0}, {0x82, 0x01, 0x02}, {0xa2, 0x02, 0x02, 0x18, 0x63, 0x01},
		{0xa3, 0x01, 0x01, 0x02, 0x02, 0x02, 0x03}, {0xbf, 0x01, 0x01, 0x02, 0x09, 0xff},
		{0xa2, 0x01, 0x3a, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x02}, {0xa2, 0x01, 0x01, 0x02, 0x19, 0x01, 0x00},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := decodeRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not match ErrBadRequest", err)
			}
			if diff := cmp.Diff(request{}, q); diff != "" {
				t.Fatalf("refused but returned (-want +got):\n%s", diff)
			}
			return
		}
		if err := q.checkArgs(); err != nil && !errors.Is(err, ErrBadRequest) {
			t.Fatalf("checkArgs error %v does not match ErrBadRequest", err)
		}
		again, err := decodeRequest(mustFrame(t, &q)[frameHeader:])
		if err != nil {
			t.Fatalf("re-encoded request refused: %v", err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzReadFrame: framing never panics, never returns more than the cap, and never a body with an error.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0xa0})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 4, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := readFrame(bufio.NewReader(bytes.NewReader(b)), nil, maxRequestFrame)
		if err != nil && body != nil {
			t.Fatal("body returned with an error")
		}
		if len(body) > maxRequestFrame {
			t.Fatalf("body of %d bytes over the cap", len(body))
		}
	})
}

// FuzzDecodeResponse: the client's decoder never panics on what a hostile server sends.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte{0xa0})
	f.Add(mustFrame(f, &response{ID: 3, Usage: toWireUsage(Usage{Part: "P", Holders: []Holder{{"A", 1, 1}}})})[frameHeader:])
	f.Add(mustFrame(f, &response{ID: 3, Err: 200, Msg: "x"})[frameHeader:])
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeResponse(body)
		if err != nil {
			return
		}
		_ = r.err()
		_ = r.Usage.usage()
		_ = r.Status.status()
	})
}

// FuzzServerConn feeds a served connection arbitrary bytes after a good hello (or instead of one):
// the server never panics, never stalls (the pipe's end is closed after the input), and the seat
// book's invariant holds after whatever the bytes asked for.
func FuzzServerConn(f *testing.F) {
	hello := mustFrame(f, &request{Op: opHello, N: protocolVersion})
	for _, q := range goodRequests {
		if q.Op != opHello {
			f.Add(append(bytes.Clone(hello), mustFrame(f, &q)...))
		}
	}
	f.Add(append(bytes.Clone(hello), mustFrame(f, &request{ID: 1, Op: opCheckout, App: "A", Part: "P", N: 3})...))
	f.Add(append(bytes.Clone(hello), 0, 0, 0, 9, 0xa1))
	f.Add([]byte{0, 0, 0, 1, 0xa0})
	f.Add(append(bytes.Clone(hello), hello...))
	f.Fuzz(func(t *testing.T, in []byte) {
		sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 3, "BE114234": 4})
		srv := NewServer(sc, WithRequestTimeout(time.Second))
		a, b := net.Pipe()
		if !srv.track(a) {
			t.Fatal("server refused the connection")
		}
		go srv.serveConn(a)
		drained := make(chan struct{})
		go func() {
			io.Copy(io.Discard, b)
			close(drained)
		}()
		b.Write(in)
		b.Close()
		srv.wg.Wait()
		<-drained
		if err := sc.seats.checkInvariant(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCheckLeaseIDEveryByte: a lease id is 32 characters of 0-9 and a-f; every other byte value, at
// the first, a middle and the last position, is refused.
func TestCheckLeaseIDEveryByte(t *testing.T) {
	base := "0123456789abcdef0123456789abcdef"
	for c := 0; c < 256; c++ {
		for _, pos := range []int{0, 7, 31} {
			id := []byte(base)
			id[pos] = byte(c)
			want := c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
			if err := checkLeaseID(string(id)); (err == nil) != want {
				t.Errorf("byte %#x at %d: checkLeaseID = %v, want accepted %v", c, pos, err, want)
			}
		}
	}
}
