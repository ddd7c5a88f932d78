package lmc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmskit/lmskit/license"
)

// clientReadBuffer is the size of a Conn's read buffer: every answer but a long usage list fits, so
// it is read in one piece.
const clientReadBuffer = 16 << 10

// DialOption configures [Dial].
type DialOption func(*dialOptions)

type dialOptions struct {
	version    int // the protocol version to say hello with; protocolVersion unless a test sets it
	token      []byte
	timeout    time.Duration
	probeAfter time.Duration // idleProbe unless a test sets it
}

// withIdleProbe sets how long a session may go unread before it is probed; for tests.
func withIdleProbe(d time.Duration) DialOption {
	return func(o *dialOptions) { o.probeAfter = d }
}

// WithToken presents token to the server, as [WithServerToken] requires (always over TCP).
func WithToken(token []byte) DialOption {
	return func(o *dialOptions) { o.token = append([]byte(nil), token...) }
}

// WithTimeout bounds each call whose context has no deadline, and each dial. Zero or less means 10
// seconds.
func WithTimeout(d time.Duration) DialOption {
	return func(o *dialOptions) { o.timeout = d }
}

// A Conn is an application's connection to the machine's LMC. It implements [Client] with the same
// meaning and errors as the in-process [*LMC]. It is safe for concurrent use: many goroutines may
// have calls in flight at once over its one connection, and take turns reading the answers (a lone
// call reads its own, with no goroutine in between).
//
// When the connection breaks (the LMC restarted, say), the calls in flight fail with an error
// matching [ErrUnavailable] and the next call dials again; a call after a second or more of quiet
// first checks that the LMC has not closed the connection meanwhile, and then goes to a fresh one.
// Leases taken before a restart renew with [ErrLeaseLost], and the application checks out again.
type Conn struct {
	network, address string
	opts             dialOptions

	mu     sync.Mutex
	sess   *session
	closed bool
}

// Dial connects to the LMC at address ("/run/lmc/lmc.sock" for network "unix", "127.0.0.1:7707"
// for "tcp") and says hello, presenting the token if one is given. The context bounds the dial.
func Dial(ctx context.Context, network, address string, opts ...DialOption) (*Conn, error) {
	c := &Conn{network: network, address: address, opts: dialOptions{probeAfter: idleProbe, version: protocolVersion}}
	for _, o := range opts {
		o(&c.opts)
	}
	if c.opts.timeout <= 0 {
		c.opts.timeout = 10 * time.Second
	}
	if _, err := c.session(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes the connection. Calls in flight fail with an error matching [ErrClosed]; leases stay
// with the LMC until they are released or expire.
func (c *Conn) Close() error {
	c.mu.Lock()
	s := c.sess
	c.closed, c.sess = true, nil
	c.mu.Unlock()
	if s != nil {
		s.fail(fmt.Errorf("%w: connection closed by the application", ErrClosed))
	}
	return nil
}

// session is one live connection. It has no reader goroutine of its own: the callers waiting for
// answers take turns reading the connection for everyone (the first to find no one reading reads
// until its own answer arrives, handing the answers of others over as they come, then passes the
// job to a caller still waiting), so a lone caller reads its own answer with no goroutine hand-off.
type session struct {
	nc         net.Conn
	br         *bufio.Reader
	timeout    time.Duration
	nextID     atomic.Uint64
	probeAfter time.Duration
	info       ServerInfo

	wmu sync.Mutex
	enc bytes.Buffer // the frame being written
	wdl time.Time    // the write deadline in force

	mu       sync.Mutex
	pending  map[uint64]*call
	reader   *call     // the call reading for everyone; nil when no one is
	orphans  int       // orphan checkouts in pending
	watcher  bool      // a goroutine reads for the orphans
	rdl      time.Time // the read deadline in force
	lastRead time.Time // when an answer was last read
	err      error     // why the session ended; set once
	done     chan struct{}
}

// A call is one request waiting for its answer. Calls are pooled; a call is signalled (wake) only
// while it is in pending, and only under the session's mutex.
type call struct {
	r        response
	got      bool          // r holds the answer
	orphan   bool          // a checkout whose caller gave up: release what the answer brings
	watch    bool          // the orphan watcher's call: its reading ends when no orphan is left
	deadline time.Time     // when the caller gives up
	wake     chan struct{} // answer stored, or the reading passed to this call
}

var callPool = sync.Pool{New: func() any { return &call{wake: make(chan struct{}, 1)} }}

func getCall(deadline time.Time) *call {
	c := callPool.Get().(*call)
	c.deadline = deadline
	return c
}

func putCall(c *call) {
	select {
	case <-c.wake:
	default:
	}
	*c = call{wake: c.wake}
	callPool.Put(c)
}

func signal(c *call) {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// session returns the live session, dialling a new one if there is none or the last one broke.
func (c *Conn) session(ctx context.Context) (*session, error) {
	return c.sessionAt(ctx, time.Now())
}

// sessionAt is session with the clock read by the caller.
func (c *Conn) sessionAt(ctx context.Context, now time.Time) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%w: connection closed by the application", ErrClosed)
	}
	if c.sess != nil && c.sess.alive(now) {
		return c.sess, nil
	}
	s, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.sess = s
	return s, nil
}

func (c *Conn) dial(ctx context.Context) (*session, error) {
	dctx, cancel := context.WithTimeout(ctx, c.opts.timeout)
	defer cancel()
	s, err := c.dialVersion(dctx, c.opts.version)
	if err != nil && c.opts.version > minProtocolVersion && errors.Is(err, ErrBadRequest) {
		// An LMC of protocol version 1 refuses a later hello; speak its version.
		s, err = c.dialVersion(dctx, minProtocolVersion)
	}
	return s, err
}

func (c *Conn) dialVersion(dctx context.Context, version int) (*session, error) {
	var d net.Dialer
	nc, err := d.DialContext(dctx, c.network, c.address)
	if err != nil {
		return nil, fmt.Errorf("%w: dialling the LMC: %v", ErrUnavailable, err)
	}
	deadline, _ := dctx.Deadline()
	nc.SetDeadline(deadline)
	br := bufio.NewReaderSize(nc, clientReadBuffer)
	hello, err := appendFrame(nil, &request{Op: opHello, N: version, Token: c.opts.token})
	if err == nil {
		_, err = nc.Write(hello)
	}
	var body []byte
	if err == nil {
		body, err = readFrame(br, nil, maxResponseFrame)
	}
	var r response
	if err == nil {
		r, err = decodeResponse(body)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: greeting the LMC: %v", ErrUnavailable, err)
	}
	if err := r.err(); err != nil {
		nc.Close()
		return nil, err
	}
	info := ServerInfo{Version: 1, Ops: slices.Clone(opNames[opHas : opMaxV1+1])}
	if version >= 2 && r.Info != nil && r.Info.Version >= 2 {
		// (An answer without the info is a server that speaks version 1 only.)
		info = ServerInfo{Version: r.Info.Version, Ops: r.Info.Ops, Admin: r.Info.Admin, LeaseTTL: time.Duration(r.Info.LeaseTTL)}
	}
	nc.SetDeadline(time.Time{})
	return &session{nc: nc, br: br, timeout: c.opts.timeout, pending: map[uint64]*call{}, done: make(chan struct{}),
		lastRead: time.Now(), probeAfter: c.opts.probeAfter, info: info}, nil
}

// ServerInfo is what the LMC at the other end of a [Conn] supports, as it said in answer to the
// connection's hello.
type ServerInfo struct {
	// Version is the protocol version spoken on the connection: 2 with this package's LMC, 1 with an
	// LMC of an earlier release (which has none of the operations of [Admin] nor a file list).
	Version int
	// Ops lists the operations the connection may use: "has", "count", "version", "checkout",
	// "renew", "release", "usage", "status", and from version 2 "files", and for an administrator
	// "leases", "revoke", "reread" and "install".
	Ops []string
	// Admin reports whether the connection may use the administrator's operations.
	Admin bool
	// LeaseTTL is the LMC's lease TTL; zero when it did not say (version 1).
	LeaseTTL time.Duration
}

// Supports reports whether the connection may use the operation named op (see Ops).
func (si ServerInfo) Supports(op string) bool { return slices.Contains(si.Ops, op) }

// Info returns what the LMC supports on this connection, dialling it if the connection broke.
func (c *Conn) Info(ctx context.Context) (ServerInfo, error) {
	s, err := c.session(ctx)
	if err != nil {
		return ServerInfo{}, err
	}
	return s.info, nil
}

// idleProbe is how long a session may go unread before a call first checks that the LMC has not
// closed it meanwhile (it restarted, say), so that the call goes to a fresh connection rather than
// fail on the dead one.
const idleProbe = time.Second

// alive reports whether the session is still usable. A session unread for idleProbe, with no call
// in flight, is probed: a read that must not wait tells a live connection (nothing to read) from
// one the LMC closed (end of file), which is then failed.
func (s *session) alive(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	if s.reader != nil || len(s.pending) > 0 || now.Sub(s.lastRead) < s.probeAfter {
		return true
	}
	// A deadline already past would fail the read before it is tried; this one lets it be tried.
	s.setReadDeadlineLocked(time.Now().Add(100 * time.Microsecond))
	_, err := s.br.Peek(1)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		s.failLocked(fmt.Errorf("%w: connection to the LMC lost: %v", ErrUnavailable, err))
		return false
	}
	s.lastRead = time.Now()
	return true
}

func (s *session) broken() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// fail ends the session: every call in flight gets err.
func (s *session) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(err)
}

func (s *session) failLocked(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	close(s.done)
	for _, c := range s.pending {
		signal(c)
	}
	s.nc.Close()
}

// call sends q and waits for its answer. It sends on a fresh connection once if the current one
// broke before the request could be written; a request written and then lost is not retried (a
// checkout may have happened) and fails with ErrUnavailable.
func (c *Conn) call(ctx context.Context, q *request) (response, error) {
	r, _, err := c.callOn(ctx, q)
	return r, err
}

// callOn is call, also returning the session that answered.
func (c *Conn) callOn(ctx context.Context, q *request) (response, *session, error) {
	if err := ctx.Err(); err != nil {
		return response{}, nil, err
	}
	if err := q.checkArgs(); err != nil {
		return response{}, nil, err
	}
	// The clock is read once for the whole call when all goes well (on this machine kind a read
	// costs about as much as encoding the request): the session's idle check, the deadline, the
	// write and read deadlines and the time of the answer all take this reading.
	now := time.Now()
	for attempt := 0; ; attempt++ {
		s, err := c.sessionAt(ctx, now)
		if err != nil {
			return response{}, nil, err
		}
		r, sent, err := s.call(ctx, q, now)
		if err != nil && !sent && attempt == 0 && s.broken() && ctx.Err() == nil {
			continue
		}
		return r, s, err
	}
}

func (s *session) call(ctx context.Context, q *request, now time.Time) (r response, sent bool, err error) {
	deadline, ctxDeadline := ctx.Deadline()
	if !ctxDeadline {
		deadline = now.Add(s.timeout)
	}
	c := getCall(deadline)
	defer putCall(c)
	id := s.nextID.Add(1)
	q.ID = id
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return response{}, false, err
	}
	s.pending[id] = c
	s.mu.Unlock()

	if err := s.write(q, deadline, now); err != nil {
		err = fmt.Errorf("%w: writing to the LMC: %v", ErrUnavailable, err)
		s.mu.Lock()
		delete(s.pending, id)
		s.failLocked(err)
		s.mu.Unlock()
		return response{}, false, err
	}

	// A cancellable context interrupts the read when this call is the one reading.
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			s.mu.Lock()
			if s.reader == c {
				s.setReadDeadlineLocked(time.Unix(1, 0))
			}
			s.mu.Unlock()
		})
		defer stop()
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		if c.got {
			s.mu.Unlock()
			return c.r, true, c.r.err()
		}
		if s.err != nil {
			err := s.err
			delete(s.pending, id)
			s.mu.Unlock()
			return response{}, true, err
		}
		if err := ctx.Err(); err != nil {
			s.abandonLocked(id, c, q.Op)
			s.passReadingLocked()
			s.mu.Unlock()
			return response{}, true, err
		}
		if !now.Before(deadline) {
			s.abandonLocked(id, c, q.Op)
			s.passReadingLocked()
			s.mu.Unlock()
			if ctxDeadline {
				return response{}, true, context.DeadlineExceeded // ctx's own error, a moment early
			}
			return response{}, true, fmt.Errorf("%w: the LMC did not answer in time", ErrUnavailable)
		}
		if s.reader == nil {
			s.reader = c
			s.mu.Unlock()
			s.readFor(ctx, c, now)
			s.mu.Lock()
			s.reader = nil
			s.passReadingLocked()
			if c.got { // the common case, settled under this one lock
				s.mu.Unlock()
				return c.r, true, c.r.err()
			}
			s.mu.Unlock()
			now = time.Now() // for the next round
			continue
		}
		s.mu.Unlock()
		// Someone else reads; wait for the answer, the reading, or the end of this call.
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		select {
		case <-c.wake:
		case <-ctx.Done():
		case <-s.done:
		case <-timer.C:
		}
		now = time.Now()
	}
}

// passReadingLocked wakes one waiting call to read for everyone, if no one is reading. With no call
// waiting but orphan checkouts left, a goroutine reads until their answers are in, so that their
// leases are released even if the application makes no further call.
func (s *session) passReadingLocked() {
	if s.reader != nil || s.err != nil {
		return
	}
	for _, o := range s.pending {
		if !o.got && !o.orphan {
			signal(o)
			return
		}
	}
	if s.orphans > 0 && !s.watcher {
		s.watcher = true
		go s.watchOrphans()
	}
}

// watchOrphans reads for the orphan checkouts for at most the connection's timeout.
func (s *session) watchOrphans() {
	w := &call{watch: true, deadline: time.Now().Add(s.timeout), wake: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.reader != nil || s.err != nil {
		s.watcher = false
		s.mu.Unlock()
		return
	}
	s.reader = w
	s.mu.Unlock()
	s.readFor(context.Background(), w, time.Now())
	s.mu.Lock()
	s.reader, s.watcher = nil, false
	if !time.Now().Before(w.deadline) {
		// Answers that did not come in time are given up on; those leases expire with their TTL.
		for id, o := range s.pending {
			if o.orphan {
				delete(s.pending, id)
			}
		}
		s.orphans = 0
	}
	s.passReadingLocked()
	s.mu.Unlock()
}

// abandonLocked takes a call its caller gave up on out of pending. A checkout stays, marked orphan,
// so that the lease its answer brings is released rather than held until its TTL; it has a fresh
// call of its own, since the caller's goes back to the pool.
func (s *session) abandonLocked(id uint64, c *call, op uint8) {
	delete(s.pending, id)
	if op == opCheckout {
		s.pending[id] = &call{orphan: true, wake: make(chan struct{}, 1)}
		s.orphans++
	}
}

// write sends q with the write deadline at most deadline: it is moved only when it is later than
// deadline or less than half the connection's timeout ahead of now, so most writes set no deadline.
func (s *session) write(q *request, deadline, now time.Time) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.enc.Reset()
	if err := appendRequestFrame(&s.enc, q); err != nil {
		return err
	}
	if s.wdl.After(deadline) || s.wdl.Before(now.Add(s.timeout/2)) {
		s.wdl = deadline
		s.nc.SetWriteDeadline(deadline)
	}
	_, err := s.nc.Write(s.enc.Bytes())
	return err
}

// setReadDeadlineLocked sets the read deadline; s.mu is held.
func (s *session) setReadDeadlineLocked(t time.Time) {
	s.rdl = t
	s.nc.SetReadDeadline(t)
}

// readFor reads answers and hands them to their calls until c's answer is in, c's deadline or
// context ends (the read is interrupted), or the session fails. Only the reading call runs it. now
// is the clock as the caller read it; the clock is read again only for a second answer.
func (s *session) readFor(ctx context.Context, c *call, now time.Time) {
	for first := true; ; first = false {
		s.mu.Lock()
		// ctx is checked under the mutex that its interrupt takes, so an interrupt is never
		// overwritten by the deadline below.
		if c.got || s.err != nil || ctx.Err() != nil || c.watch && s.orphans == 0 {
			s.mu.Unlock()
			return
		}
		// The read deadline in force must not be later than c's, and need not be moved when it
		// is earlier but well ahead: when it fires, the caller comes round and sets its own.
		if !first {
			now = time.Now()
		}
		if !now.Before(c.deadline) {
			s.mu.Unlock()
			return
		}
		if s.rdl.After(c.deadline) || s.rdl.Before(now.Add(s.timeout/2)) {
			s.setReadDeadlineLocked(c.deadline)
		}
		s.mu.Unlock()

		r, err := s.readResponse()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// Between answers, or partway into one with nothing consumed: the caller's loop
				// decides whether this call is over.
				return
			}
			s.fail(fmt.Errorf("%w: connection to the LMC lost: %v", ErrUnavailable, err))
			return
		}
		if r.ID == 0 {
			// The server refused a frame and is closing the connection.
			err := r.err()
			if err == nil {
				err = errors.New("lmc: unsolicited response")
			}
			s.fail(fmt.Errorf("%w: the LMC closed the connection: %w", ErrUnavailable, err))
			return
		}
		s.mu.Lock()
		s.lastRead = now // to the start of the wait for it, which is close enough for the idle probe
		o := s.pending[r.ID]
		delete(s.pending, r.ID)
		switch {
		case o == nil:
			// An answer to an abandoned call, or to a release sent for an orphan.
		case o.orphan:
			s.orphans--
			if r.Err == 0 && checkLeaseID(r.Lease) == nil {
				// A checkout whose caller gave up before the answer came: give the seats back
				// at once rather than leave them out until the lease expires.
				go s.releaseOrphan(r.Lease)
			}
		default:
			o.r, o.got = r, true
			if o == c {
				s.mu.Unlock()
				return // c's own answer: no need to look again
			}
			signal(o)
		}
		s.mu.Unlock()
	}
}

// readResponse reads and decodes one answer. A frame that fits the buffer is peeked whole before
// anything is consumed, so a read interrupted by a deadline leaves the stream intact for the next
// reader; a larger one (a long usage list) is read through and an interruption ends the session.
func (s *session) readResponse() (response, error) {
	hdr, err := s.br.Peek(frameHeader)
	if err != nil {
		return response{}, err
	}
	n := int(binary.BigEndian.Uint32(hdr))
	if n == 0 || n > maxResponseFrame {
		return response{}, fmt.Errorf("%w: frame of %d bytes, must be 1..%d", ErrBadRequest, n, maxResponseFrame)
	}
	if frameHeader+n <= s.br.Size() {
		frame, err := s.br.Peek(frameHeader + n)
		if err != nil {
			return response{}, err
		}
		r, derr := decodeResponse(frame[frameHeader:])
		s.br.Discard(frameHeader + n)
		return r, derr
	}
	body, err := readFrame(s.br, nil, maxResponseFrame)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("a long answer was cut short: %w", io.ErrUnexpectedEOF)
		}
		return response{}, err
	}
	return decodeResponse(body)
}

// releaseOrphan releases a lease nobody received. Its answer is not awaited (an answer no call
// waits for is dropped); if the release cannot be sent, the lease expires with its TTL.
func (s *session) releaseOrphan(lease string) {
	q := &request{ID: s.nextID.Add(1), Op: opRelease, Lease: lease}
	now := time.Now()
	if err := s.write(q, now.Add(s.timeout), now); err != nil {
		s.fail(fmt.Errorf("%w: writing to the LMC: %v", ErrUnavailable, err))
	}
}

// Has implements [Client].
func (c *Conn) Has(ctx context.Context, part string) (bool, error) {
	r, err := c.call(ctx, &request{Op: opHas, Part: part})
	return r.Bool, err
}

// Count implements [Client].
func (c *Conn) Count(ctx context.Context, part string) (int, error) {
	r, err := c.call(ctx, &request{Op: opCount, Part: part})
	return r.Int, err
}

// Version implements [Client].
func (c *Conn) Version(ctx context.Context, part string) (int, error) {
	r, err := c.call(ctx, &request{Op: opVersion, Part: part})
	return r.Int, err
}

// Checkout implements [Client]. The lease's expiry is on the LMC's clock. If ctx ends after the
// request was sent and the LMC then answers with a lease, the Conn releases that lease at once, so
// a checkout given up on never holds seats until its TTL.
func (c *Conn) Checkout(ctx context.Context, app, part string, n int) (*Lease, error) {
	r, s, err := c.callOn(ctx, &request{Op: opCheckout, App: app, Part: part, N: n})
	if err != nil {
		return nil, err
	}
	if checkLeaseID(r.Lease) != nil {
		return nil, fmt.Errorf("%w: the LMC answered a checkout without a valid lease id", ErrUnavailable)
	}
	ls := newLease(c, r.Lease, app, part, n, decodeTime(r.Expires))
	ls.ttl = s.info.LeaseTTL // set at dial, never changed
	return ls, nil
}

// RenewLease implements [Client].
func (c *Conn) RenewLease(ctx context.Context, id string) (time.Time, error) {
	r, err := c.call(ctx, &request{Op: opRenew, Lease: id})
	if err != nil {
		return time.Time{}, err
	}
	return decodeTime(r.Expires), nil
}

// ReleaseLease implements [Client].
func (c *Conn) ReleaseLease(ctx context.Context, id string) error {
	_, err := c.call(ctx, &request{Op: opRelease, Lease: id})
	return err
}

// Usage implements [Client].
func (c *Conn) Usage(ctx context.Context, part string) (Usage, error) {
	r, err := c.call(ctx, &request{Op: opUsage, Part: part})
	if err != nil {
		return Usage{}, err
	}
	return r.Usage.usage(), nil
}

// Status implements [Client].
func (c *Conn) Status(ctx context.Context) (Status, error) {
	r, err := c.call(ctx, &request{Op: opStatus})
	if err != nil {
		return Status{}, err
	}
	return r.Status.status(), nil
}

// admin sends an administrator's request, after checking that the LMC has the operation and lets
// this connection use it.
func (c *Conn) admin(ctx context.Context, q *request) (response, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return response{}, err
	}
	name := opNames[q.Op]
	if !info.Supports(name) {
		if info.Version < 2 || !adminOp(q.Op) {
			return response{}, fmt.Errorf("%w: the LMC speaks protocol version %d, which has no %s operation", ErrNotSupported, info.Version, name)
		}
		return response{}, fmt.Errorf("%w: %s is for the LMC's administrator (its own user or root on the socket, the admin token over TCP)", ErrUnauthorized, name)
	}
	return c.call(ctx, q)
}

// InstalledFiles implements [Admin].
func (c *Conn) InstalledFiles(ctx context.Context) ([]FileSummary, error) {
	r, err := c.admin(ctx, &request{Op: opFiles})
	if err != nil {
		return nil, err
	}
	return fromWireFiles(r.Files), nil
}

// Leases implements [Admin].
func (c *Conn) Leases(ctx context.Context) ([]LeaseInfo, error) {
	r, err := c.admin(ctx, &request{Op: opLeases})
	if err != nil {
		return nil, err
	}
	return fromWireLeases(r.Leases), nil
}

// Revoke implements [Admin].
func (c *Conn) Revoke(ctx context.Context, handle string) error {
	if err := checkHandle(handle); err != nil {
		return err
	}
	_, err := c.admin(ctx, &request{Op: opRevoke, Handle: handle})
	return err
}

// RevokeApp implements [Admin].
func (c *Conn) RevokeApp(ctx context.Context, app, part string) (int, error) {
	r, err := c.admin(ctx, &request{Op: opRevoke, App: app, Part: part})
	return r.Int, err
}

// Reread implements [Admin].
func (c *Conn) Reread(ctx context.Context) (RereadResult, error) {
	r, err := c.admin(ctx, &request{Op: opReread})
	if err != nil || r.Reread == nil {
		return RereadResult{}, err
	}
	w := r.Reread
	return RereadResult{Added: w.Added, Replaced: w.Replaced, Removed: w.Removed, Invalid: w.Invalid, Revoked: w.Revoked}, nil
}

// InstallData implements [Admin]. data is at most license.MaxZipSize bytes.
func (c *Conn) InstallData(ctx context.Context, data []byte) ([]string, error) {
	if len(data) == 0 || len(data) > license.MaxZipSize {
		return nil, fmt.Errorf("%w: install: %d bytes; want 1 to %d", ErrBadRequest, len(data), license.MaxZipSize)
	}
	r, err := c.admin(ctx, &request{Op: opInstall, Data: data})
	if err != nil || r.Reread == nil {
		return nil, err
	}
	return r.Reread.Added, nil
}
