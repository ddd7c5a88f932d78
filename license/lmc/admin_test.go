package lmc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/license"
)

// TestNilLease: the lease of a failed checkout is nil; its methods answer instead of panicking.
func TestNilLease(t *testing.T) {
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), newFakeClock(t0))
	ls, err := l.Checkout(bg, "MA4000", "USER", 1) // nothing installed
	if err == nil || ls != nil {
		t.Fatalf("checkout of an unlicensed part: %v, %v", ls, err)
	}
	if ls.ID() != "" || ls.App() != "" || ls.Part() != "" || ls.Seats() != 0 || !ls.Expires().IsZero() {
		t.Error("a nil lease's accessors are not zero")
	}
	if err := ls.Release(bg); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Release: %v, want ErrBadRequest", err)
	}
	if err := ls.Renew(bg); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Renew: %v, want ErrBadRequest", err)
	}
	ch := ls.KeepAlive(bg)
	if err := <-ch; !errors.Is(err, ErrBadRequest) {
		t.Errorf("KeepAlive: %v, want ErrBadRequest", err)
	}
	if _, open := <-ch; open {
		t.Error("KeepAlive's channel stays open")
	}
}

// fakeTimer stands in for KeepAlive's timer: each wait is reported on asked, and ends when the
// test sends on fire.
type fakeTimer struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newFakeTimer() *fakeTimer {
	return &fakeTimer{asked: make(chan time.Duration), fire: make(chan time.Time)}
}

func (f *fakeTimer) after(d time.Duration) <-chan time.Time {
	f.asked <- d
	return f.fire
}

// flakyClient fails renewals with ErrUnavailable while down is set.
type flakyClient struct {
	Client
	mu   sync.Mutex
	down bool
}

func (c *flakyClient) RenewLease(ctx context.Context, id string) (time.Time, error) {
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down {
		return time.Time{}, fmt.Errorf("%w: the LMC is restarting", ErrUnavailable)
	}
	return c.Client.RenewLease(ctx, id)
}

// TestKeepAlive: the lease renews itself at a third of its TTL with jitter, reports a revocation on
// the channel, gives up when the LMC stays unreachable until the lease expires, and stops with its
// context. The clock and the timer are fakes: nothing waits on the wall clock.
func TestKeepAlive(t *testing.T) {
	const ttl = time.Minute
	clk := newFakeClock(t0)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))
	inRange := func(d, base time.Duration) bool {
		return d >= base-base/10 && d <= base+base/10
	}

	t.Run("renews then learns of a revocation", func(t *testing.T) {
		ls, err := l.Checkout(bg, "MA4000", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		ft := newFakeTimer()
		ls.after = ft.after
		ch := ls.KeepAlive(bg)
		for range 3 {
			d := <-ft.asked
			if !inRange(d, ttl/3) {
				t.Fatalf("waits %v, want a third of the TTL ±10%%", d)
			}
			clk.Advance(d)
			ft.fire <- clk.Now()
		}
		d := <-ft.asked // the third renewal is done
		if want := clk.Now().Add(ttl); !ls.Expires().Equal(want) {
			t.Fatalf("after the renewals the lease expires %v, want %v", ls.Expires(), want)
		}
		leases, _ := l.Leases(bg)
		if len(leases) != 1 {
			t.Fatalf("leases %+v", leases)
		}
		if err := l.Revoke(bg, leases[0].Handle); err != nil {
			t.Fatal(err)
		}
		clk.Advance(d)
		ft.fire <- clk.Now()
		if err := <-ch; !errors.Is(err, ErrLeaseRevoked) {
			t.Fatalf("KeepAlive reported %v, want ErrLeaseRevoked", err)
		}
		if _, open := <-ch; open {
			t.Fatal("the channel stays open after the loss")
		}
	})

	t.Run("retries while the LMC is away, gives up when the lease expires", func(t *testing.T) {
		fc := &flakyClient{Client: l}
		ls0, err := l.Checkout(bg, "BCT", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		ls := newLease(fc, ls0.ID(), "BCT", "USER", 1, ls0.Expires())
		ls.ttl, ls.now = ttl, clk.Now
		ft := newFakeTimer()
		ls.after = ft.after
		ch := ls.KeepAlive(bg)
		fc.mu.Lock()
		fc.down = true
		fc.mu.Unlock()
		start := clk.Now()
		retries := 0
		for clk.Now().Sub(start) < ttl {
			d := <-ft.asked
			if retries > 0 && d > ttl/12+ttl/120 {
				t.Fatalf("retry %d waits %v, want at most a twelfth of the TTL", retries, d)
			}
			clk.Advance(d)
			ft.fire <- clk.Now()
			retries++
		}
		err = <-ch
		if !errors.Is(err, ErrLeaseLost) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("KeepAlive reported %v, want ErrLeaseLost and ErrUnavailable", err)
		}
		if retries < 8 {
			t.Errorf("only %d renewals tried before giving up", retries)
		}
	})

	t.Run("a renewal that comes back in time keeps the lease", func(t *testing.T) {
		fc := &flakyClient{Client: l}
		ls0, err := l.Checkout(bg, "CTI", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		ls := newLease(fc, ls0.ID(), "CTI", "USER", 1, ls0.Expires())
		ls.ttl, ls.now = ttl, clk.Now
		ft := newFakeTimer()
		ls.after = ft.after
		ctx, cancel := context.WithCancel(bg)
		ch := ls.KeepAlive(ctx)
		fc.mu.Lock()
		fc.down = true
		fc.mu.Unlock()
		for range 3 { // the first renewal and two retries fail
			d := <-ft.asked
			clk.Advance(d)
			ft.fire <- clk.Now()
		}
		fc.mu.Lock()
		fc.down = false
		fc.mu.Unlock()
		d := <-ft.asked
		clk.Advance(d)
		ft.fire <- clk.Now()
		d = <-ft.asked
		if !inRange(d, ttl/3) {
			t.Fatalf("after a good renewal the wait is %v, want a third of the TTL", d)
		}
		if want := clk.Now().Add(ttl); !ls.Expires().Equal(want) {
			t.Fatalf("lease expires %v, want %v", ls.Expires(), want)
		}
		cancel()
		if err, open := <-ch; err != nil || open {
			t.Fatalf("after the context ended: %v, %v; want a closed channel", err, open)
		}
	})
}

// TestKeepAliveJitter: the waits of many leases spread over the whole ±10 % band.
func TestKeepAliveJitter(t *testing.T) {
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), newFakeClock(t0))
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 100)}}))
	var waits []time.Duration
	for range 50 {
		ls, err := l.Checkout(bg, "MA4000", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		ft := newFakeTimer()
		ls.after = ft.after
		ctx, cancel := context.WithCancel(bg)
		ch := ls.KeepAlive(ctx)
		waits = append(waits, <-ft.asked)
		cancel()
		<-ch
	}
	slices.Sort(waits)
	base := time.Minute / 3
	if lo, hi := waits[0], waits[len(waits)-1]; lo < base-base/10 || hi > base+base/10 || hi-lo < base/10 {
		t.Fatalf("waits from %v to %v; want them spread over %v ±10%%", lo, hi, base)
	}
}

// adminServer serves an LMC with a 5-seat USER part on a unix socket.
func adminServer(t *testing.T, opts ...ServerOption) (*LMC, string, *Server, *fakeClock) {
	t.Helper()
	clk := newFakeClock(t0)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))
	path, srv := startServer(t, l, opts...)
	return l, path, srv, clk
}

// TestAdminOverUnixSocket: the server's own user (this test runs as it) administers the LMC over
// the socket: it lists the leases by handle (never by bearer id), revokes one (its holder learns
// it at its next renewal) and an application's, rereads and installs.
func TestAdminOverUnixSocket(t *testing.T) {
	l, path, _, _ := adminServer(t)
	app := dial(t, path)
	adm := dial(t, path)
	info, err := adm.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 2 || !info.Admin || !info.Supports("leases") || !info.Supports("install") || info.LeaseTTL != time.Minute {
		t.Fatalf("Info = %+v", info)
	}
	a, _ := app.Checkout(bg, "MA4000", "USER", 2)
	b, _ := app.Checkout(bg, "BCT", "USER", 1)
	c, _ := app.Checkout(bg, "BCT", "USER", 1)
	leases, err := adm.Leases(bg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, li := range leases {
		got = append(got, fmt.Sprintf("%s %s %d/%d pid=%v uid=%d", li.Part, li.App, li.Seats, li.Count, li.PID == os.Getpid(), li.UID))
		for _, ls := range []*Lease{a, b, c} {
			if li.Handle == ls.ID() || strings.Contains(fmt.Sprint(li), ls.ID()) {
				t.Fatal("the administrator sees a bearer lease id")
			}
		}
	}
	want := []string{"USER BCT 1/5 pid=true uid=0", "USER BCT 1/5 pid=true uid=0", "USER MA4000 2/5 pid=true uid=0"}
	if os.Getuid() != 0 {
		want = nil
		for _, w := range []string{"USER BCT 1/5", "USER BCT 1/5", "USER MA4000 2/5"} {
			want = append(want, fmt.Sprintf("%s pid=true uid=%d", w, os.Getuid()))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("leases (-want +got):\n%s", diff)
	}
	maHandle := leases[2].Handle
	if err := adm.Revoke(bg, maHandle); err != nil {
		t.Fatal(err)
	}
	if err := a.Renew(bg); !errors.Is(err, ErrLeaseRevoked) {
		t.Fatalf("the revoked holder's renewal: %v, want ErrLeaseRevoked", err)
	}
	if err := adm.Revoke(bg, maHandle); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("revoke of a gone handle: %v, want ErrLeaseLost", err)
	}
	if n, err := adm.RevokeApp(bg, "BCT", ""); err != nil || n != 2 {
		t.Fatalf("RevokeApp = %d, %v; want 2", n, err)
	}
	for _, ls := range []*Lease{b, c} {
		if err := ls.Renew(bg); !errors.Is(err, ErrLeaseRevoked) {
			t.Fatalf("renewal after RevokeApp: %v", err)
		}
	}
	if u, _ := app.Usage(bg, "USER"); u.InUse != 0 {
		t.Fatalf("seats out after the revocations: %d", u.InUse)
	}

	// Install a zip, then reread after a file was deleted by hand.
	f2 := issue(t, testKey(t, 1), fileSpec{serial: "F2", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 3)}})
	_, zip, err := license.SVIZip(f2)
	if err != nil {
		t.Fatal(err)
	}
	serials, err := adm.InstallData(bg, zip)
	if err != nil || !slices.Equal(serials, []string{"F2"}) {
		t.Fatalf("InstallData = %v, %v", serials, err)
	}
	if n, _ := app.Count(bg, "USER"); n != 8 {
		t.Fatalf("Count after the install: %d, want 8", n)
	}
	if _, err := adm.InstallData(bg, []byte("%PDF-1.7")); !errors.Is(err, license.ErrMalformed) {
		t.Fatalf("install of a PDF: %v, want license.ErrMalformed", err)
	}
	files, err := adm.InstalledFiles(bg)
	if err != nil || len(files) != 2 || files[0].Status != FileActive || files[0].Code != lmcOf(t, sv8500A).String() {
		t.Fatalf("InstalledFiles = %+v, %v", files, err)
	}
	if err := os.Remove(filepath.Join(l.cfg.Dir, licenseDir, "F1.lic")); err != nil {
		t.Fatal(err)
	}
	rr, err := adm.Reread(bg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RereadResult{Removed: []string{"F1"}}, rr); diff != "" {
		t.Fatalf("reread (-want +got):\n%s", diff)
	}
	if n, _ := app.Count(bg, "USER"); n != 3 {
		t.Fatalf("Count after the reread: %d, want 3", n)
	}
}

// TestAdminPeerDecision: over a unix socket, a process of another user than the server's may use
// the LMC but not administer it, unless it is root. The server is made to believe it runs as
// another user; TestLmskitNonOwner (examples/lmskit) runs the real thing as another uid.
func TestAdminPeerDecision(t *testing.T) {
	_, path, srv, _ := adminServer(t)
	srv.euid = 4242 // the server now believes it runs as uid 4242
	c := dial(t, path)
	if os.Getuid() == 0 {
		if info, _ := c.Info(bg); !info.Admin {
			t.Fatal("root is refused")
		}
	} else {
		checkNotAdmin(t, c)
	}
}

func checkNotAdmin(t *testing.T, c *Conn) {
	t.Helper()
	info, err := c.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.Admin || info.Supports("leases") || !info.Supports("files") || !info.Supports("checkout") {
		t.Fatalf("a non-administrator's Info = %+v", info)
	}
	if _, err := c.Leases(bg); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Leases: %v, want ErrUnauthorized", err)
	}
	// Asked anyway (a client that does not look at Info), the server refuses too.
	if _, err := c.call(bg, &request{Op: opReread}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("reread sent anyway: %v, want ErrUnauthorized", err)
	}
	if _, err := c.Count(bg, "USER"); err != nil {
		t.Fatalf("the connection broke: %v", err)
	}
}

// TestAdminOverTCP: over loopback TCP the administrator presents the admin token, which must differ
// from the client token; the client token does not administer, and no token does not connect.
func TestAdminOverTCP(t *testing.T) {
	clientTok, adminTok := []byte("client-token-0123456789"), []byte("admin-token-0123456789ab")
	clk := newFakeClock(t0)
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "F1", code: lmcOf(t, sv8500A), lines: []license.Line{count("USER", 5)}}))

	tcpListen := func() net.Listener {
		ln, err := Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	same := NewServer(l, WithServerToken(clientTok), WithAdminToken(clientTok))
	if err := same.Serve(tcpListen()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Serve with the admin token equal to the client token: %v, want ErrUnauthorized", err)
	}

	srv := NewServer(l, WithServerToken(clientTok), WithAdminToken(adminTok))
	ln := tcpListen()
	addr := ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	if _, err := Dial(bg, "tcp", addr); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("dial without a token: %v, want ErrUnauthorized", err)
	}
	if _, err := Dial(bg, "tcp", addr, WithToken([]byte("wrong-token-0123456789"))); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("dial with a wrong token: %v, want ErrUnauthorized", err)
	}
	app, err := Dial(bg, "tcp", addr, WithToken(clientTok))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	checkNotAdmin(t, app)
	if _, err := app.Checkout(bg, "MA4000", "USER", 1); err != nil {
		t.Fatal(err)
	}
	adm, err := Dial(bg, "tcp", addr, WithToken(adminTok))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	leases, err := adm.Leases(bg)
	if err != nil || len(leases) != 1 || leases[0].PID != 0 || leases[0].UID != -1 {
		t.Fatalf("Leases over TCP = %+v, %v (a TCP peer is unknown)", leases, err)
	}
	if _, err := adm.Reread(bg); err != nil {
		t.Fatal(err)
	}
}

// v1Response is the answer as a client of protocol version 1 decodes it: strictly, with the keys
// version 1 has and no other.
type v1Response struct {
	ID      uint64      `cbor:"1,keyasint,omitempty"`
	Err     uint8       `cbor:"2,keyasint,omitempty"`
	Msg     string      `cbor:"3,keyasint,omitempty"`
	Bool    bool        `cbor:"4,keyasint,omitempty"`
	Int     int         `cbor:"5,keyasint,omitempty"`
	Lease   string      `cbor:"6,keyasint,omitempty"`
	Expires int64       `cbor:"7,keyasint,omitempty"`
	Usage   *wireUsage  `cbor:"8,keyasint,omitempty"`
	Status  *wireStatus `cbor:"9,keyasint,omitempty"`
}

// TestProtocolV1ClientServed: a client of today's protocol (version 1) is served as before: every
// answer decodes under version 1's strict rules, and a version 2 operation is refused as an
// unknown one, as a version 1 server refuses it.
func TestProtocolV1ClientServed(t *testing.T) {
	_, path, _, _ := adminServer(t)
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	roundTrip := func(q request) v1Response {
		t.Helper()
		nc.Write(mustFrame(t, &q))
		body, err := readFrame(br, nil, maxResponseFrame)
		if err != nil {
			t.Fatalf("%s: %v", opNames[q.Op], err)
		}
		var r v1Response
		if err := respDecMode.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s: the answer does not decode as version 1: %v", opNames[q.Op], err)
		}
		return r
	}
	if r := roundTrip(request{Op: opHello, N: 1}); r != (v1Response{}) {
		t.Fatalf("hello answered %+v, want the empty answer of version 1", r)
	}
	co := roundTrip(request{ID: 1, Op: opCheckout, App: "MA4000", Part: "USER", N: 2})
	if co.Err != 0 || checkLeaseID(co.Lease) != nil {
		t.Fatalf("checkout: %+v", co)
	}
	for i, q := range []request{
		{ID: 2, Op: opRenew, Lease: co.Lease},
		{ID: 3, Op: opUsage, Part: "USER"},
		{ID: 4, Op: opStatus},
		{ID: 5, Op: opRelease, Lease: co.Lease},
	} {
		if r := roundTrip(q); r.Err != 0 || r.ID != uint64(i+2) {
			t.Fatalf("%s: %+v", opNames[q.Op], r)
		}
	}
	if r := roundTrip(request{ID: 6, Op: opLeases}); r.ID != 0 || r.Err != errCode(ErrBadRequest) || !strings.Contains(r.Msg, "unknown operation") {
		t.Fatalf("a version 2 operation on a version 1 connection: %+v", r)
	}
	if _, err := readFrame(br, nil, maxResponseFrame); err == nil {
		t.Fatal("the connection stays open after an unknown operation")
	}
}

// TestConnLearnsOldServer: a Conn that meets an LMC of protocol version 1 (which refuses a later
// hello) speaks version 1 with it, says so in Info, and refuses the administrator's operations
// without sending them.
func TestConnLearnsOldServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var ops []uint8
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				body, err := readFrame(br, nil, maxRequestFrame)
				if err != nil {
					return
				}
				q, _ := decodeRequest(body)
				if q.N != 1 { // what a version 1 LMC answers
					nc.Write(mustFrame(t, errResponse(0, fmt.Errorf("%w: hello: protocol version %d, this LMC speaks 1", ErrBadRequest, q.N))))
					return
				}
				nc.Write(mustFrame(t, &response{}))
				for {
					body, err := readFrame(br, nil, maxRequestFrame)
					if err != nil {
						return
					}
					q, _ := decodeRequest(body)
					mu.Lock()
					ops = append(ops, q.Op)
					mu.Unlock()
					nc.Write(mustFrame(t, &response{ID: q.ID, Int: 7}))
				}
			}()
		}
	}()
	c := dial(t, path)
	info, err := c.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 1 || info.Admin || info.Supports("leases") || !info.Supports("checkout") {
		t.Fatalf("Info = %+v", info)
	}
	if n, err := c.Count(bg, "USER"); err != nil || n != 7 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if _, err := c.Leases(bg); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Leases from an old LMC: %v, want ErrNotSupported", err)
	}
	if _, err := c.InstalledFiles(bg); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("InstalledFiles from an old LMC: %v, want ErrNotSupported", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ops, []uint8{opCount}) {
		t.Fatalf("the old LMC was sent %v", ops)
	}
}

// TestRereadKeepsCoveredLeases: a reread that adds a file keeps every lease; one that removes a
// file keeps the leases the remaining count covers and revokes the newest beyond it; a file that
// no longer opens is reported and kept out; a directory that cannot be read changes nothing.
func TestRereadKeepsCoveredLeases(t *testing.T) {
	clk := newFakeClock(t0)
	dir := t.TempDir()
	key := testKey(t, 1)
	l := testLMC(t, dir, StaticSource(sv8500A), clk)
	lm := lmcOf(t, sv8500A)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "F1", code: lm, lines: []license.Line{count("USER", 3)}}))
	var leases []*Lease
	for range 3 {
		ls, err := l.Checkout(bg, "MA4000", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, ls)
	}
	lic := filepath.Join(dir, licenseDir)
	f2 := issue(t, key, fileSpec{serial: "F2", code: lm, lines: []license.Line{count("USER", 2)}})
	if err := os.WriteFile(filepath.Join(lic, "F2.lic"), f2, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lic, "BAD.lic"), []byte("not a license"), 0o600); err != nil {
		t.Fatal(err)
	}
	rr, err := l.Reread(bg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RereadResult{Added: []string{"BAD", "F2"}, Invalid: []string{"BAD"}}, rr); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if n, _ := l.Count(bg, "USER"); n != 5 {
		t.Fatalf("Count %d, want 5", n)
	}
	for i := range 2 {
		ls, err := l.Checkout(bg, "BCT", "USER", 1)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, ls)
		_ = i
	}
	// F1 (3 seats) goes: 2 remain for 5 leases; the 3 newest are revoked.
	if err := os.Remove(filepath.Join(lic, "F1.lic")); err != nil {
		t.Fatal(err)
	}
	rr, err = l.Reread(bg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(RereadResult{Removed: []string{"F1"}, Invalid: []string{"BAD"}, Revoked: 3}, rr); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for i, ls := range leases {
		err := ls.Renew(bg)
		if i < 2 && err != nil || i >= 2 && !errors.Is(err, ErrLeaseRevoked) {
			t.Fatalf("lease %d: renew %v", i, err)
		}
	}
	if err := l.seats.checkInvariant(); err != nil {
		t.Fatal(err)
	}
	// A directory that cannot be read changes nothing.
	before := statuses(l)
	if err := os.Rename(lic, lic+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lic, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reread(bg); err == nil {
		t.Fatal("reread of an unreadable directory succeeded")
	}
	if diff := cmp.Diff(before, statuses(l)); diff != "" {
		t.Fatalf("a failed reread changed the files (-before +after):\n%s", diff)
	}
	if n, _ := l.Count(bg, "USER"); n != 2 {
		t.Fatalf("Count after a failed reread: %d", n)
	}
}

// TestRereadUnderLoad: applications check out, renew and release over the socket while the
// administrator copies files in and out and rereads; after every reread the seat book's invariant
// holds and the count is the one the files on disk give.
func TestRereadUnderLoad(t *testing.T) {
	clk := newFakeClock(t0)
	dir := t.TempDir()
	key := testKey(t, 1)
	lm := lmcOf(t, sv8500A)
	l := testLMC(t, dir, StaticSource(sv8500A), clk)
	mustInstall(t, l, issue(t, key, fileSpec{serial: "BASE", code: lm, lines: []license.Line{count("USER", 4)}}))
	extra := map[string][]byte{}
	for i, n := range []int{1, 2, 3} {
		s := fmt.Sprintf("X%d", i)
		extra[s] = issue(t, key, fileSpec{serial: s, code: lm, lines: []license.Line{count("USER", n)}})
	}
	path, _ := startServer(t, l)
	ctx, cancel := context.WithCancel(bg)
	var wg sync.WaitGroup
	for w := range 6 {
		c := dial(t, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []*Lease
			for i := 0; ctx.Err() == nil; i++ {
				switch {
				case i%3 != 2:
					if ls, err := c.Checkout(ctx, fmt.Sprintf("app%d", w), "USER", 1+i%2); err == nil {
						held = append(held, ls)
					} else if !errors.Is(err, ErrNoSeats) && ctx.Err() == nil {
						t.Errorf("checkout: %v", err)
						return
					}
				case len(held) > 0:
					ls := held[0]
					held = held[1:]
					err := ls.Renew(ctx)
					if err == nil {
						err = ls.Release(ctx)
					}
					if err != nil && !errors.Is(err, ErrLeaseRevoked) && ctx.Err() == nil {
						t.Errorf("renew/release: %v", err)
						return
					}
				}
			}
		}()
	}
	in := map[string]bool{}
	lic := filepath.Join(dir, licenseDir)
	for step := range 60 {
		s := fmt.Sprintf("X%d", step%3)
		if in[s] {
			os.Remove(filepath.Join(lic, s+".lic"))
		} else if err := os.WriteFile(filepath.Join(lic, s+".lic"), extra[s], 0o600); err != nil {
			t.Fatal(err)
		}
		in[s] = !in[s]
		if _, err := l.Reread(bg); err != nil {
			t.Fatal(err)
		}
		want := 4
		for i, n := range []int{1, 2, 3} {
			if in[fmt.Sprintf("X%d", i)] {
				want += n
			}
		}
		if n, _ := l.Count(bg, "USER"); n != want {
			t.Fatalf("step %d: Count %d, want %d", step, n, want)
		}
		if err := l.seats.checkInvariant(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	cancel()
	wg.Wait()
	if err := l.seats.checkInvariant(); err != nil {
		t.Fatal(err)
	}
}

// TestLargeFramesForTheAdministratorOnly: only the administrator's connection may send the large
// frame of an install; anyone else sending one loses the connection before the server reads it.
func TestLargeFramesForTheAdministratorOnly(t *testing.T) {
	clientTok, adminTok := []byte("client-token-0123456789"), []byte("admin-token-0123456789ab")
	l := testLMC(t, t.TempDir(), StaticSource(sv8500A), newFakeClock(t0))
	srv := NewServer(l, WithServerToken(clientTok), WithAdminToken(adminTok))
	ln, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	big := mustFrame(t, &request{ID: 1, Op: opInstall, Data: bytes.Repeat([]byte{'x'}, 8<<10)})
	for _, tc := range []struct {
		token []byte
		admin bool
	}{{clientTok, false}, {adminTok, true}} {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(nc)
		nc.Write(mustFrame(t, &request{Op: opHello, N: protocolVersion, Token: tc.token}))
		if _, err := readFrame(br, nil, maxResponseFrame); err != nil {
			t.Fatal(err)
		}
		nc.Write(big)
		body, err := readFrame(br, nil, maxResponseFrame)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := decodeResponse(body)
		switch {
		case tc.admin && (r.ID != 1 || !errors.Is(r.err(), license.ErrMalformed)):
			t.Fatalf("the administrator's large install: %+v (want it read, and refused as no license)", r)
		case !tc.admin && (r.ID != 0 || !strings.Contains(r.Msg, "frame of")):
			t.Fatalf("a client's large frame: %+v (want the connection refused)", r)
		}
		nc.Close()
	}
}
