package lmc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/license"
)

// seatClient is a Client over a bare seat book with fixed counts: enough to drive the server and the
// wire without license files.
type seatClient struct {
	seats *seats
	mu    sync.Mutex
	set   map[string]int
}

func newSeatClient(now func() time.Time, counts map[string]int) *seatClient {
	c := &seatClient{seats: newSeats(now, time.Minute), set: counts}
	c.seats.setLimits(counts, "start")
	return c
}

func (c *seatClient) setCounts(counts map[string]int) {
	c.mu.Lock()
	c.set = counts
	c.mu.Unlock()
	c.seats.setLimits(counts, "test change")
}

func (c *seatClient) Has(ctx context.Context, part string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[part]
	return ok, nil
}

func (c *seatClient) Count(ctx context.Context, part string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set[part], nil
}

func (c *seatClient) Version(ctx context.Context, part string) (int, error) { return 0, nil }

func (c *seatClient) Checkout(ctx context.Context, app, part string, n int) (*Lease, error) {
	li, err := c.seats.checkout(app, part, n, peerFrom(ctx))
	if err != nil {
		return nil, err
	}
	return newLease(c, li.id, app, part, n, li.expires), nil
}

func (c *seatClient) RenewLease(ctx context.Context, id string) (time.Time, error) {
	return c.seats.renew(id)
}

func (c *seatClient) ReleaseLease(ctx context.Context, id string) error { return c.seats.release(id) }

func (c *seatClient) Usage(ctx context.Context, part string) (Usage, error) {
	return c.seats.usage(part), nil
}

func (c *seatClient) Status(ctx context.Context) (Status, error) {
	return Status{Code: "LM16717688D912171C3E3E603E1836", Reachable: true, LastContact: t0}, nil
}

// startServer serves c on a unix socket in a temporary directory and returns its path; the server is
// shut down gracefully (and Serve must return an error matching ErrClosed) when the test ends.
func startServer(t testing.TB, c Client, opts ...ServerOption) (string, *Server) {
	t.Helper()
	dir, err := os.MkdirTemp("", "lmc")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lmc.sock")
	l, err := Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(c, opts...)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve returned %v, want ErrClosed", err)
		}
		os.RemoveAll(dir)
	})
	return path, srv
}

func dial(t testing.TB, path string, opts ...DialOption) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), "unix", path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConnRoundTrip(t *testing.T) {
	clk := newFakeClock(t0)
	sc := newSeatClient(clk.Now, map[string]int{"BE114234": 4})
	path, _ := startServer(t, sc)
	c := dial(t, path)
	ctx := context.Background()

	if ok, err := c.Has(ctx, "BE114234"); err != nil || !ok {
		t.Fatalf("Has = %v, %v; want true", ok, err)
	}
	if ok, err := c.Has(ctx, "NOPE"); err != nil || ok {
		t.Fatalf("Has(NOPE) = %v, %v; want false", ok, err)
	}
	if n, err := c.Count(ctx, "BE114234"); err != nil || n != 4 {
		t.Fatalf("Count = %v, %v; want 4", n, err)
	}
	l, err := c.Checkout(ctx, "MA4000", "BE114234", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Expires().Equal(t0.Add(time.Minute)) {
		t.Errorf("lease expires %v, want %v", l.Expires(), t0.Add(time.Minute))
	}
	if _, err := c.Checkout(ctx, "BCT", "BE114234", 2); !errors.Is(err, ErrNoSeats) {
		t.Fatalf("second checkout: %v, want ErrNoSeats", err)
	}
	u, err := c.Usage(ctx, "BE114234")
	if err != nil {
		t.Fatal(err)
	}
	want := Usage{Part: "BE114234", Count: 4, InUse: 3, Holders: []Holder{{App: "MA4000", Seats: 3, Leases: 1}}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("Usage (-want +got):\n%s", diff)
	}
	clk.Advance(30 * time.Second)
	if err := l.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if !l.Expires().Equal(t0.Add(90 * time.Second)) {
		t.Errorf("renewed lease expires %v, want %v", l.Expires(), t0.Add(90*time.Second))
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Status{Code: "LM16717688D912171C3E3E603E1836", Reachable: true, LastContact: t0}, st,
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	sc.setCounts(map[string]int{"BE114234": 2})
	if err := l.Renew(ctx); !errors.Is(err, ErrLeaseRevoked) {
		t.Fatalf("renew after the count dropped: %v, want ErrLeaseRevoked", err)
	}
	if err := l.Release(ctx); !errors.Is(err, ErrLeaseRevoked) {
		t.Fatalf("release of a revoked lease: %v, want ErrLeaseRevoked", err)
	}
	if err := l.Release(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("second release: %v, want ErrLeaseLost", err)
	}
}

// TestConnBadArguments: arguments out of range are refused with ErrBadRequest and the connection
// stays usable.
func TestConnBadArguments(t *testing.T) {
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 4})
	path, _ := startServer(t, sc)
	c := dial(t, path)
	ctx := context.Background()
	long := string(make([]byte, 100))
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"empty part", func() error { _, err := c.Has(ctx, ""); return err }},
		{"part too long", func() error { _, err := c.Count(ctx, long); return err }},
		{"control character", func() error { _, err := c.Version(ctx, "P\n"); return err }},
		{"zero seats", func() error { _, err := c.Checkout(ctx, "A", "P", 0); return err }},
		{"negative seats", func() error { _, err := c.Checkout(ctx, "A", "P", -1); return err }},
		{"empty app", func() error { _, err := c.Checkout(ctx, "", "P", 1); return err }},
		{"bad lease id", func() error { _, err := c.RenewLease(ctx, "xyz"); return err }},
		{"release bad lease id", func() error { return c.ReleaseLease(ctx, "") }},
	} {
		if err := tc.call(); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", tc.name, err)
		}
	}
	if n, err := c.Count(ctx, "P"); err != nil || n != 4 {
		t.Fatalf("after bad calls: Count = %d, %v", n, err)
	}
}

// rawConn speaks the wire protocol by hand, to send what a Conn never would.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func rawDial(t testing.TB, path string) *rawConn {
	t.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) send(v any) {
	r.t.Helper()
	b, err := appendFrame(nil, v)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) sendRaw(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) recv() (response, error) {
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	body, err := readFrame(r.br, nil, maxResponseFrame)
	if err != nil {
		return response{}, err
	}
	return decodeResponse(body)
}

// expectClosed reads until the server closes the connection; it fails if the server answers instead.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(r.br); errors.Is(err, os.ErrDeadlineExceeded) {
		r.t.Fatalf("waiting for the server to close: %v", err)
	}
}

func frameOf(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// TestServerMalformed: every malformed frame is answered with an error (id 0) matching
// ErrBadRequest and the connection is closed; the server keeps serving others.
func TestServerMalformed(t *testing.T) {
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 4})
	path, _ := startServer(t, sc)
	hello := &request{Op: opHello, N: protocolVersion}
	tests := []struct {
		name  string
		why   string
		hello bool   // send a good hello first
		raw   []byte // the frame, header included
	}{
		{"empty frame", "a zero length is never a request", true, []byte{0, 0, 0, 0}},
		{"huge frame", "the length is checked before anything is read or allocated", true, []byte{0x7f, 0xff, 0xff, 0xff}},
		{"not cbor", "the body must decode", true, frameOf([]byte{0xff, 0x00})},
		{"array not map", "a request is a map", true, frameOf([]byte{0x82, 0x01, 0x02})},
		{"unknown key", "unknown keys are an error", true, frameOf([]byte{0xa2, 0x02, 0x02, 0x18, 0x63, 0x01})},
		{"duplicate key", "duplicate keys are an error", true, frameOf([]byte{0xa3, 0x01, 0x01, 0x02, 0x02, 0x02, 0x03})},
		{"unknown op", "operation 99 does not exist", true, frameOf([]byte{0xa2, 0x01, 0x01, 0x02, 0x18, 0x63})},
		{"missing id", "every request after the hello carries an id", true, frameOf([]byte{0xa1, 0x02, 0x09})},
		{"extra field", "status takes no part", true, mustFrame(t, &request{ID: 1, Op: opStatus, Part: "P"})},
		{"indefinite map", "indefinite lengths are forbidden", true, frameOf([]byte{0xbf, 0x01, 0x01, 0x02, 0x09, 0xff})},
		{"request before hello", "the first frame must be a hello", false, mustFrame(t, &request{ID: 1, Op: opStatus})},
		{"wrong version", "a hello for another protocol version is refused", false, mustFrame(t, &request{Op: opHello, N: 9})},
		{"second hello", "a hello after the hello is a protocol error", true, mustFrame(t, &request{Op: opHello, N: protocolVersion})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDial(t, path)
			if tc.hello {
				r.send(hello)
				if resp, err := r.recv(); err != nil || resp.err() != nil {
					t.Fatalf("hello: %v %v", err, resp.err())
				}
			}
			r.sendRaw(tc.raw)
			resp, err := r.recv()
			if err != nil {
				t.Fatalf("%s: no error answer: %v", tc.why, err)
			}
			if resp.ID != 0 || !errors.Is(resp.err(), ErrBadRequest) {
				t.Fatalf("%s: answer id %d err %v; want id 0 and ErrBadRequest", tc.why, resp.ID, resp.err())
			}
			r.expectClosed()
		})
	}
	// The server still serves a well-behaved client.
	c := dial(t, path)
	if n, err := c.Count(context.Background(), "P"); err != nil || n != 4 {
		t.Fatalf("after malformed clients: Count = %d, %v", n, err)
	}
}

func mustFrame(t testing.TB, v any) []byte {
	b, err := appendFrame(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServerSlowClients: a client that stalls mid-request, one that never says hello and one that
// stops reading do not hold up anyone else, and each loses its connection after the request timeout.
func TestServerSlowClients(t *testing.T) {
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 1000})
	const timeout = 100 * time.Millisecond
	path, _ := startServer(t, sc, WithRequestTimeout(timeout))

	silent := rawDial(t, path) // never says hello

	stalled := rawDial(t, path) // says hello, then sends half a request
	stalled.send(&request{Op: opHello, N: protocolVersion})
	if _, err := stalled.recv(); err != nil {
		t.Fatal(err)
	}
	half := mustFrame(t, &request{ID: 1, Op: opCount, Part: "P"})
	stalled.sendRaw(half[:5])

	deaf := rawDial(t, path) // pipelines requests and never reads the answers
	deaf.send(&request{Op: opHello, N: protocolVersion})
	if _, err := deaf.recv(); err != nil {
		t.Fatal(err)
	}
	deafCut := make(chan struct{})
	q := mustFrame(t, &request{ID: 1, Op: opUsage, Part: "P"})
	go func() {
		defer close(deafCut)
		for {
			if _, err := deaf.nc.Write(q); err != nil {
				return
			}
		}
	}()

	// Meanwhile a good client is served at once, many times.
	start := time.Now()
	c := dial(t, path)
	for i := range 200 {
		l, err := c.Checkout(context.Background(), "A", "P", 1)
		if err != nil {
			t.Fatalf("checkout %d: %v", i, err)
		}
		if err := l.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el >= timeout {
		t.Logf("note: the good client took %v (machine busy); the check below is what matters", el)
	}
	// The slow ones are cut off by the server.
	silent.expectClosed()
	stalled.expectClosed()
	// The deaf client never reads: the server's answers fill the socket, its write times out, it closes
	// the connection, and the deaf client's own writes then fail.
	select {
	case <-deafCut:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never cut off a client that does not read")
	}
}

// TestServerToken: loopback TCP needs a token; a wrong token is refused; a non-loopback listener is
// refused outright.
func TestServerToken(t *testing.T) {
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 1})
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := NewServer(sc).Serve(l); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("TCP without a token: %v, want ErrUnauthorized", err)
	}
	l, err = Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := NewServer(sc, WithServerToken([]byte("short"))).Serve(l); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a 5-byte token: %v, want ErrUnauthorized", err)
	}
	if _, err := Listen("tcp", "0.0.0.0:0"); err == nil {
		t.Fatal("Listen on a wildcard address: no error")
	}

	tok := []byte("0123456789abcdef0123456789abcdef")
	l, err = Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(sc, WithServerToken(tok)).ServeContext(ctx, l) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	addr := l.Addr().String()
	for _, tc := range []struct {
		name string
		opts []DialOption
		want error
	}{
		{"no token", nil, ErrUnauthorized},
		{"wrong token", []DialOption{WithToken([]byte("0123456789abcdef0123456789abcdeF"))}, ErrUnauthorized},
		{"short token", []DialOption{WithToken(tok[:8])}, ErrUnauthorized},
		{"right token", []DialOption{WithToken(tok)}, nil},
	} {
		c, err := Dial(context.Background(), "tcp", addr, tc.opts...)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: Dial: %v, want %v", tc.name, err, tc.want)
		}
		if c != nil {
			if n, err := c.Count(context.Background(), "P"); err != nil || n != 1 {
				t.Errorf("%s: Count = %d, %v", tc.name, n, err)
			}
			c.Close()
		}
	}
}

// TestServerRestart: when the LMC restarts, the client's next call dials again, renewing an old lease
// says it is lost, and checking out again works.
func TestServerRestart(t *testing.T) {
	clk := newFakeClock(t0)
	dir := t.TempDir()
	path := filepath.Join(dir, "lmc.sock")
	serve := func(c Client) (context.CancelFunc, chan error) {
		l, err := Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- NewServer(c).ServeContext(ctx, l) }()
		return cancel, done
	}
	// The real LMC, restarted on the same directory: its files survive, its leases do not.
	lmcDir := t.TempDir()
	first := testLMC(t, lmcDir, StaticSource(sv8500A), clk)
	mustInstall(t, first, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("P", 2)}}))
	cancel, done := serve(first)
	c := dial(t, path)
	ctx := context.Background()
	l, err := c.Checkout(ctx, "BCT", "P", 2)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := l.Renew(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("renew while the LMC is down: %v, want ErrUnavailable", err)
	}

	cancel, done = serve(testLMC(t, lmcDir, StaticSource(sv8500A), clk))
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if err := l.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("renew after restart: %v, want ErrLeaseLost", err)
	}
	if _, err := c.Checkout(ctx, "BCT", "P", 2); err != nil {
		t.Fatalf("checkout after restart: %v", err)
	}
}

// blockingClient is a seatClient whose Checkout waits until the test lets it go (or its context
// ends), so a request can be held in flight while the server shuts down.
type blockingClient struct {
	*seatClient
	entered chan struct{} // receives once per Checkout that started
	release chan struct{} // closed to let every Checkout go on
	ctxErr  chan error    // receives the context's error when a Checkout gave up
}

func newBlockingClient() *blockingClient {
	return &blockingClient{
		seatClient: newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 10}),
		entered:    make(chan struct{}, 8),
		release:    make(chan struct{}),
		ctxErr:     make(chan error, 8),
	}
}

func (c *blockingClient) Checkout(ctx context.Context, app, part string, n int) (*Lease, error) {
	c.entered <- struct{}{}
	select {
	case <-c.release:
		return c.seatClient.Checkout(ctx, app, part, n)
	case <-ctx.Done():
		c.ctxErr <- context.Cause(ctx)
		return nil, ctx.Err()
	}
}

// serveBlocking serves a blockingClient with ServeContext and returns the socket path, the server and
// what ServeContext returns.
func serveBlocking(t *testing.T, ctx context.Context, bc *blockingClient, opts ...ServerOption) (string, *Server, chan error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lmc.sock")
	l, err := Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(bc, opts...)
	done := make(chan error, 1)
	go func() { done <- srv.ServeContext(ctx, l) }()
	return path, srv, done
}

// waitClosing spins until the server has begun closing.
func waitClosing(s *Server) {
	for !s.closing.Load() {
		runtime.Gosched()
	}
}

// TestServerShutdownGraceful: cancelling ServeContext's context stops accepting and closes idle
// connections, but a request already being answered is answered before ServeContext
// returns nil; a closed Conn then says ErrClosed.
func TestServerShutdownGraceful(t *testing.T) {
	bc := newBlockingClient()
	ctx, cancel := context.WithCancel(context.Background())
	path, srv, done := serveBlocking(t, ctx, bc)
	busy, idle := dial(t, path), dial(t, path)
	got := make(chan error, 1)
	go func() {
		l, err := busy.Checkout(context.Background(), "A", "P", 1)
		if err == nil && l.Seats() != 1 {
			err = fmt.Errorf("lease of %d seats", l.Seats())
		}
		got <- err
	}()
	<-bc.entered // the checkout is in flight on the server
	cancel()
	waitClosing(srv)
	if _, err := Dial(context.Background(), "unix", path); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("dial during shutdown: %v, want ErrUnavailable", err)
	}
	// The idle connection is closed (a request racing with the shutdown may still be answered);
	// only the busy one is left.
	eventually(t, "the idle connection is closed", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns) == 1
	})
	if _, err := idle.Count(context.Background(), "P"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("the idle connection after shutdown began: %v, want ErrUnavailable", err)
	}
	select {
	case err := <-done:
		t.Fatalf("ServeContext returned %v while a request was in flight", err)
	default:
	}
	close(bc.release)
	if err := <-got; err != nil {
		t.Fatalf("the in-flight checkout: %v, want its answer", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("ServeContext: %v", err)
	}
	if err := srv.Serve(mustListen(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve after shutdown: %v, want ErrClosed", err)
	}
	busy.Close()
	if _, err := busy.Count(context.Background(), "P"); !errors.Is(err, ErrClosed) {
		t.Fatalf("call on a closed Conn: %v, want ErrClosed", err)
	}
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	l, err := Listen("unix", filepath.Join(t.TempDir(), "other.sock"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestServerShutdownDeadline: when Shutdown's context ends before a request finishes, the connection
// is closed, the request's context is cancelled, and Shutdown says why.
func TestServerShutdownDeadline(t *testing.T) {
	bc := newBlockingClient()
	path, srv, done := serveBlocking(t, context.Background(), bc)
	c := dial(t, path)
	got := make(chan error, 1)
	go func() {
		_, err := c.Checkout(context.Background(), "A", "P", 1)
		got <- err
	}()
	<-bc.entered
	sctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Shutdown(sctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an ended context: %v, want context.Canceled", err)
	}
	if err := <-bc.ctxErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the request's context: %v, want cancelled", err)
	}
	if err := <-got; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("the cut-off checkout: %v, want ErrUnavailable", err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("ServeContext after Shutdown: %v, want ErrClosed", err)
	}
}

// TestServerClose: Close cuts every connection at once; the client sees ErrUnavailable.
func TestServerClose(t *testing.T) {
	bc := newBlockingClient()
	path, srv, done := serveBlocking(t, context.Background(), bc)
	c := dial(t, path)
	got := make(chan error, 1)
	go func() {
		_, err := c.Checkout(context.Background(), "A", "P", 1)
		got <- err
	}()
	<-bc.entered
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("checkout cut by Close: %v, want ErrUnavailable", err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("ServeContext after Close: %v, want ErrClosed", err)
	}
	<-bc.ctxErr
}

// TestServerRequestTimeoutBoundsWork: a request whose work outlasts the request timeout has its
// context cancelled (the cause says why) and is answered with ErrUnavailable; the client goes on.
func TestServerRequestTimeoutBoundsWork(t *testing.T) {
	bc := newBlockingClient()
	path, _, _ := serveBlocking(t, context.Background(), bc, WithRequestTimeout(50*time.Millisecond))
	c := dial(t, path)
	if _, err := c.Checkout(context.Background(), "A", "P", 1); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("checkout whose work outlasts the request timeout: %v", err)
	}
	if err := <-bc.ctxErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the work's context: %v, want DeadlineExceeded", err)
	}
	if n, err := c.Count(context.Background(), "P"); err != nil || n != 10 {
		t.Fatalf("Count after: %d, %v", n, err)
	}
	// The overrun spent only its own context: the next request's work runs in a fresh one.
	close(bc.release)
	if _, err := c.Checkout(context.Background(), "A", "P", 1); err != nil {
		t.Fatalf("checkout after an overrun: %v", err)
	}
}

// TestConnConcurrentGroups: two groups of goroutines, each sharing its own connection, check out,
// renew and release at random while the count changes and the clock moves; the invariant holds after
// every step, seen from the server's book.
func TestConnConcurrentGroups(t *testing.T) {
	clk := newFakeClock(t0)
	sc := newSeatClient(clk.Now, map[string]int{"P": 6})
	path, _ := startServer(t, sc)
	conns := []*Conn{dial(t, path), dial(t, path)}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g, c := range conns {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), uint64(w)))
				ctx := context.Background()
				var mine []*Lease
				for i := range 150 {
					switch k := rng.IntN(100); {
					case k < 45:
						l, err := c.Checkout(ctx, fmt.Sprintf("app%d", g), "P", 1+rng.IntN(2))
						if err == nil {
							mine = append(mine, l)
						} else if !errors.Is(err, ErrNoSeats) && !errors.Is(err, ErrNotLicensed) {
							errs <- fmt.Errorf("group %d worker %d step %d: %v", g, w, i, err)
							return
						}
					case k < 65 && len(mine) > 0:
						err := mine[rng.IntN(len(mine))].Renew(ctx)
						if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
							errs <- fmt.Errorf("renew: %v", err)
							return
						}
					case k < 90 && len(mine) > 0:
						j := rng.IntN(len(mine))
						err := mine[j].Release(ctx)
						if err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseRevoked) {
							errs <- fmt.Errorf("release: %v", err)
							return
						}
						mine = append(mine[:j], mine[j+1:]...)
					case k < 95:
						clk.Advance(time.Duration(rng.IntN(20)) * time.Second)
					default:
						sc.setCounts(map[string]int{"P": 2 + rng.IntN(6)})
					}
					if err := sc.seats.checkInvariant(); err != nil {
						errs <- err
						return
					}
					u, err := c.Usage(ctx, "P")
					if err != nil {
						errs <- err
						return
					}
					if u.InUse > u.Count {
						errs <- fmt.Errorf("usage reports %d of %d seats out", u.InUse, u.Count)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConnTimeouts: a server that takes the hello and then never answers is given up on after the
// connection's timeout, or when the caller's context ends, whichever comes first.
func TestConnTimeouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mute.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				if _, err := readFrame(br, nil, maxRequestFrame); err != nil {
					return
				}
				nc.Write(mustFrame(t, &response{}))
				io.Copy(io.Discard, br) // read requests, answer none
			}()
		}
	}()
	c := dial(t, path, WithTimeout(50*time.Millisecond))
	if _, err := c.Count(context.Background(), "P"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("call to a mute server: %v, want ErrUnavailable", err)
	}
	c2 := dial(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if _, err := c2.Count(ctx, "P"); !errors.Is(err, context.Canceled) {
		t.Fatalf("call with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestServerMaxConns: connections beyond the limit are closed at once; the ones in are unaffected;
// a connection that never says hello gives its place to a new one.
func TestServerMaxConns(t *testing.T) {
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 1})
	path, _ := startServer(t, sc, WithMaxConns(1))
	// A connection that says nothing holds its place only until someone else needs it.
	silent := rawDial(t, path)
	c := dial(t, path)
	silent.expectClosed()
	if _, err := Dial(context.Background(), "unix", path); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second connection: %v, want ErrUnavailable", err)
	}
	if n, err := c.Count(context.Background(), "P"); err != nil || n != 1 {
		t.Fatalf("first connection: %d, %v", n, err)
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lmc.sock")
	// A socket left behind by a crashed LMC is replaced.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	l, err := Listen("unix", path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	defer l.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v, %v; want 0600", fi.Mode(), err)
	}
	// A live one is not touched.
	if _, err := Listen("unix", path); err == nil {
		t.Fatal("Listen over a live socket: no error")
	}
	// Nor is a file that is not a socket.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o600)
	if _, err := Listen("unix", plain); err == nil {
		t.Fatal("Listen over a regular file: no error")
	}
	if _, err := Listen("udp", "127.0.0.1:0"); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("udp: %v, want ErrBadRequest", err)
	}
	if _, err := Listen("tcp", "192.0.2.1:0"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("a non-loopback address: %v, want ErrUnauthorized", err)
	}
}

// eventually spins until cond holds, for at most five seconds of wall time (a bound for a broken
// build, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}

// TestNoOrphanLeases: a checkout whose answer never reaches anyone does not keep its seats until the
// TTL: a Conn whose caller gave up releases the lease when the answer comes, and the server releases
// a lease whose answer it cannot write.
func TestNoOrphanLeases(t *testing.T) {
	inUse := func(bc *blockingClient) func() bool {
		return func() bool { return bc.seats.usage("P").InUse == 0 }
	}
	t.Run("caller gave up", func(t *testing.T) {
		bc := newBlockingClient()
		path, _, _ := serveBlocking(t, context.Background(), bc)
		c := dial(t, path)
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := c.Checkout(ctx, "A", "P", 3)
			got <- err
		}()
		<-bc.entered
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned checkout: %v, want context.Canceled", err)
		}
		close(bc.release) // the server now makes the lease and answers
		eventually(t, "the abandoned lease is released", func() bool {
			bc.seats.mu.Lock()
			made := bc.seats.seq
			bc.seats.mu.Unlock()
			return made == 1 && inUse(bc)()
		})
		if n, err := c.Count(context.Background(), "P"); err != nil || n != 10 {
			t.Fatalf("the connection after: %d, %v", n, err)
		}
	})
	t.Run("answer cannot be written", func(t *testing.T) {
		bc := newBlockingClient()
		path, _, _ := serveBlocking(t, context.Background(), bc)
		r := rawDial(t, path)
		r.send(&request{Op: opHello, N: protocolVersion})
		if _, err := r.recv(); err != nil {
			t.Fatal(err)
		}
		r.send(&request{ID: 1, Op: opCheckout, App: "A", Part: "P", N: 3})
		<-bc.entered
		r.nc.Close()
		close(bc.release)
		eventually(t, "the server releases the lease it could not hand out", func() bool {
			bc.seats.mu.Lock()
			made := bc.seats.seq
			bc.seats.mu.Unlock()
			return made == 1 && inUse(bc)()
		})
	})
}

// TestConnReadingPassesOn: calls on one connection take turns reading it. When the call reading
// gives up (its deadline passes while the LMC is busy), another call waiting on the same connection
// still gets its answer, and the answer of the call given up on (a lease) is released.
func TestConnReadingPassesOn(t *testing.T) {
	bc := newBlockingClient()
	path, _, _ := serveBlocking(t, context.Background(), bc)
	c := dial(t, path)
	short := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Checkout(ctx, "A", "P", 2)
		short <- err
	}()
	<-bc.entered // the server is working on the checkout; the count below queues behind it
	long := make(chan error, 1)
	go func() {
		n, err := c.Count(context.Background(), "P")
		if err == nil && n != 10 {
			err = fmt.Errorf("count %d, want 10", n)
		}
		long <- err
	}()
	if err := <-short; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the short call: %v, want DeadlineExceeded", err)
	}
	close(bc.release)
	if err := <-long; err != nil {
		t.Fatalf("the call left waiting: %v", err)
	}
	eventually(t, "the given-up checkout's lease is released", func() bool {
		bc.seats.mu.Lock()
		made := bc.seats.seq
		bc.seats.mu.Unlock()
		return made == 1 && bc.seats.usage("P").InUse == 0
	})
}

// TestConnNoticesRestartTCP: over TCP, where writing to a connection the peer closed still succeeds,
// a Conn idle since the LMC restarted finds the connection closed before it sends, and the call
// goes to the new LMC instead of failing.
func TestConnNoticesRestartTCP(t *testing.T) {
	tok := []byte("0123456789abcdef0123456789abcdef")
	sc := newSeatClient(newFakeClock(t0).Now, map[string]int{"P": 3})
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	first := NewServer(sc, WithServerToken(tok))
	go first.Serve(l)
	c, err := Dial(context.Background(), "tcp", addr, WithToken(tok), withIdleProbe(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.Count(context.Background(), "P"); err != nil || n != 3 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	l2, err := Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	second := NewServer(sc, WithServerToken(tok))
	go second.Serve(l2)
	defer second.Close()
	if n, err := c.Count(context.Background(), "P"); err != nil || n != 3 {
		t.Fatalf("Count after the restart = %d, %v; want 3 from the new server", n, err)
	}
}
