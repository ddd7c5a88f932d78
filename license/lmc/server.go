package lmc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A ServerOption configures [NewServer].
type ServerOption func(*serverOptions)

type serverOptions struct {
	token          []byte
	adminToken     []byte
	maxConns       int
	idleTimeout    time.Duration
	requestTimeout time.Duration
}

// WithServerToken makes the server require token from every connection (the application passes it
// with [WithToken]): 16 to 256 bytes from a random source (32 random bytes is plenty). Serving a TCP
// listener without a token is refused; unix sockets rely on the socket file's permissions and need
// none, but may have one too.
func WithServerToken(token []byte) ServerOption {
	return func(o *serverOptions) { o.token = bytes.Clone(token) }
}

// WithAdminToken lets a TCP connection that presents token (with [WithToken]) use the
// administrator's operations ([Admin]). It must differ from the client token ([WithServerToken]),
// with the same length bounds. Over a unix socket the administrator is recognised by the peer's
// credentials instead (SO_PEERCRED, on Linux): a process of the server's own user or root; a token
// does not make a unix connection an administrator's.
func WithAdminToken(token []byte) ServerOption {
	return func(o *serverOptions) { o.adminToken = bytes.Clone(token) }
}

// WithMaxConns bounds the connections served at once. When all are taken, a new connection takes
// the place of one that has not said its hello yet, or else is closed as soon as it is accepted.
// Zero or less means 256.
func WithMaxConns(n int) ServerOption {
	return func(o *serverOptions) { o.maxConns = n }
}

// WithIdleTimeout closes a connection that sends no request for d. Zero or less means 10 minutes
// (applications renew well within a lease TTL, so a live application is never idle that long).
func WithIdleTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.idleTimeout = d }
}

// WithRequestTimeout bounds each request: the hello after connecting, the rest of a request once its
// first byte arrived, the work of answering it (its context is cancelled, with a cause matching
// context.DeadlineExceeded, once the work has run this long, at most a 16th of it later) and the
// write of the answer.
// A client slower than this loses its connection and no one else waits for it. Zero or less means 5
// seconds.
func WithRequestTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) { o.requestTimeout = d }
}

// A Server answers applications' requests on behalf of a [Client], normally the machine's [*LMC].
// Each connection is served by its own goroutine, and no lock is held while a connection reads or
// writes, so a slow or hostile client costs only its own connection. A Server is safe for concurrent
// use; it may serve several listeners at once.
type Server struct {
	client Client
	lmc    *LMC  // client, when it is the LMC itself
	admin  Admin // client's administrator's interface; nil if it has none
	ttl    time.Duration
	opts   serverOptions
	token  [sha256.Size]byte
	atoken [sha256.Size]byte
	euid   int

	// base is the context of the work; cancelled by Close or when Shutdown's wait ends early.
	base       context.Context
	cancelBase context.CancelFunc

	closing   atomic.Bool
	mu        sync.Mutex
	watched   map[*serverConn]struct{} // the connections the watchdog looks at; nil until the first
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]bool // true once the connection said a good hello
	wg        sync.WaitGroup    // one per connection goroutine
}

// NewServer returns a server that answers for c. Start it with [Server.Serve] or
// [Server.ServeContext]; stop it with [Server.Shutdown] or [Server.Close].
func NewServer(c Client, opts ...ServerOption) *Server {
	var o serverOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxConns <= 0 {
		o.maxConns = 256
	}
	if o.idleTimeout <= 0 {
		o.idleTimeout = 10 * time.Minute
	}
	if o.requestTimeout <= 0 {
		o.requestTimeout = 5 * time.Second
	}
	s := &Server{client: c, opts: o, listeners: map[net.Listener]struct{}{}, conns: map[net.Conn]bool{}, euid: os.Geteuid()}
	s.admin, _ = c.(Admin)
	s.lmc, _ = c.(*LMC)
	if t, ok := c.(interface{ LeaseTTL() time.Duration }); ok {
		s.ttl = t.LeaseTTL()
	}
	if len(o.token) > 0 {
		s.token = sha256.Sum256(o.token)
	}
	if len(o.adminToken) > 0 {
		s.atoken = sha256.Sum256(o.adminToken)
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	return s
}

// errServerClosed is what Serve returns once the server is shut down or closed.
var errServerClosed = fmt.Errorf("%w: server shut down", ErrClosed)

// Serve accepts connections on l and answers them until [Server.Shutdown] or [Server.Close] is
// called; it then returns an error matching [ErrClosed] (the connections may still be finishing:
// Shutdown waits for them). Serve closes l. It returns at once with an error matching
// [ErrUnauthorized] if l is a TCP listener that is not on a loopback address, or the server has no
// token and l is TCP, or the token's length is out of range; otherwise it returns the error that
// made Accept fail for good.
func (s *Server) Serve(l net.Listener) error {
	if err := s.checkListener(l); err != nil {
		l.Close()
		return err
	}
	if !s.trackListener(l) {
		l.Close()
		return errServerClosed
	}
	defer s.untrackListener(l)
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return errServerClosed
			}
			if isTemporary(err) {
				// Out of file descriptors or an aborted handshake: wait a little and go on rather
				// than stop serving everyone.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-s.base.Done():
					t.Stop()
				}
				continue
			}
			l.Close()
			return fmt.Errorf("lmc: accepting connections: %w", err)
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			continue
		}
		go s.serveConn(c)
	}
}

func isTemporary(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.As(err, &ne) && ne.Timeout()
}

// ServeContext is [Server.Serve] until ctx is cancelled, and then [Server.Shutdown]: it stops
// accepting, lets every request already read be answered, closes the connections and returns nil
// once all are gone. The wait is bounded by the request timeout ([WithRequestTimeout]); connections
// still busy then are closed and the error says so. An error that ends Serve first is returned as it
// is.
func (s *Server) ServeContext(ctx context.Context, l net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.requestTimeout)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, ErrClosed) {
		return serr
	}
	return err
}

// Shutdown stops the server gracefully: it closes the listeners, lets every connection finish the
// requests it has read (their answers are written), closes the connections, and returns nil once all
// are gone. If ctx ends first, it closes the remaining connections at once, cancels the work in
// progress, and returns ctx's error. Serve calls return an error matching [ErrClosed] as soon as
// Shutdown begins; later Serve calls return it at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose(false)
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.beginClose(true)
		return fmt.Errorf("lmc: shutdown: %w", ctx.Err())
	}
}

// Close stops the server at once: it closes the listeners and every connection and cancels the
// work in progress. Requests being answered get no answer; their clients see [ErrUnavailable]. Close
// does not wait for the connection goroutines to end.
func (s *Server) Close() error {
	s.beginClose(true)
	return nil
}

// beginClose marks the server closing and closes its listeners. Then it wakes every connection
// waiting for a request (graceful: connections answering a request finish it first, their goroutines
// see closing before they read again) or closes every connection (hard).
func (s *Server) beginClose(hard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for l := range s.listeners {
		l.Close()
		delete(s.listeners, l)
	}
	if hard {
		s.cancelBase()
		for c := range s.conns {
			c.Close()
		}
		return
	}
	past := time.Unix(1, 0)
	for c := range s.conns {
		c.SetReadDeadline(past)
	}
}

func (s *Server) trackListener(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrackListener(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
}

func (s *Server) checkListener(l net.Listener) error {
	if n := len(s.opts.token); n > 0 && (n < minTokenLen || n > maxTokenLen) {
		return fmt.Errorf("%w: a token must be %d to %d bytes, this one is %d", ErrUnauthorized, minTokenLen, maxTokenLen, n)
	}
	if n := len(s.opts.adminToken); n > 0 && (n < minTokenLen || n > maxTokenLen) {
		return fmt.Errorf("%w: an admin token must be %d to %d bytes, this one is %d", ErrUnauthorized, minTokenLen, maxTokenLen, n)
	}
	if len(s.opts.adminToken) > 0 && bytes.Equal(s.opts.adminToken, s.opts.token) {
		return fmt.Errorf("%w: the admin token must differ from the client token", ErrUnauthorized)
	}
	switch a := l.Addr().(type) {
	case *net.TCPAddr:
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%w: refusing to serve on %s: the LMC serves loopback addresses only", ErrUnauthorized, a)
		}
		if len(s.opts.token) == 0 {
			return fmt.Errorf("%w: refusing to serve TCP %s without a token", ErrUnauthorized, a)
		}
	case *net.UnixAddr:
	default:
		return fmt.Errorf("%w: the LMC serves unix sockets and loopback TCP, not %s", ErrUnauthorized, l.Addr().Network())
	}
	return nil
}

// track registers a new connection and counts its goroutine; it reports false when the server is
// closing or full of connections that said hello. When it is full and some connection has not said
// hello yet, that one is closed to make room: a local process that opens connections and says
// nothing cannot lock the applications out.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if len(s.conns) >= s.opts.maxConns {
		evicted := false
		for old, greeted := range s.conns {
			if !greeted {
				old.Close()
				delete(s.conns, old) // its goroutine's untrack finds it gone
				evicted = true
				break
			}
		}
		if !evicted {
			return false
		}
	}
	s.conns[c] = false
	s.wg.Add(1)
	return true
}

// greeted marks c as having said a good hello; it reports false if c was evicted meanwhile.
func (s *Server) greeted(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return false
	}
	s.conns[c] = true
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// serverConn is the state of one connection, used by its goroutine only.
type serverConn struct {
	s  *Server
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer

	resp     response  // the answer being made
	now      time.Time // when the request being answered arrived
	names    nameCache // the names the connection sent last
	version  int       // the protocol version of the hello
	admin    bool      // may use the administrator's operations
	peer     peer      // the process at the other end of a unix socket, when known
	maxFrame int       // the largest request it may send

	enc     bytes.Buffer
	buf     []byte
	unsent  []string        // lease ids in the answers not yet flushed
	idleSet time.Time       // when the idle read deadline was set; zero when another is in force
	wdl     time.Time       // the write deadline in force
	ctx     context.Context // the context requests are worked on in
	cancel  context.CancelCauseFunc

	// For the watchdog: when the request being worked on arrived (Unix nanoseconds); 0 between
	// requests, -1 once the watchdog found it overrunning and cancelled the context in cancelWork.
	work       atomic.Int64
	cancelWork atomic.Pointer[context.CancelCauseFunc]
}

// Buffer sizes of a served connection: the read buffer holds any request whole.
const (
	serverReadBuffer  = 2 << 10
	serverWriteBuffer = 4 << 10
)

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer s.untrack(nc)
	defer nc.Close()
	c := &serverConn{s: s, nc: nc, peer: peerOf(nc), maxFrame: maxRequestFrame,
		br: bufio.NewReaderSize(nc, serverReadBuffer), bw: bufio.NewWriterSize(nc, serverWriteBuffer)}
	c.newWorkContext()
	s.watch(c)
	defer func() {
		s.unwatch(c)
		c.cancel(nil)
	}()
	if c.hello() {
		c.serve()
	}
}

// newWorkContext makes the context the connection's requests are worked on in. One serves every
// request until the watchdog cancels it for a request that overran.
func (c *serverConn) newWorkContext() {
	ctx, cancel := context.WithCancelCause(withPeer(c.s.base, c.peer))
	c.ctx, c.cancel = ctx, cancel
	c.cancelWork.Store(&cancel)
}

// The watchdog bounds the work of a request without a timer per request (setting and stopping a
// timer at every request cost more than the rest of the server's bookkeeping): each connection
// notes when its request arrived, and one goroutine per server looks every 16th of the request
// timeout for a request older than the timeout and cancels its context. So an overrunning request
// is cancelled between one and 1 1/16 request timeouts after it arrived.

// watch registers c with the watchdog, starting it with the first connection.
func (s *Server) watch(c *serverConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watched == nil {
		s.watched = map[*serverConn]struct{}{}
		go s.watchdog()
	}
	s.watched[c] = struct{}{}
}

func (s *Server) unwatch(c *serverConn) {
	s.mu.Lock()
	delete(s.watched, c)
	s.mu.Unlock()
}

// watchdog cancels the work of requests that overran, until the server is closed.
func (s *Server) watchdog() {
	timeout := s.opts.requestTimeout
	tick := time.NewTicker(max(timeout/16, time.Millisecond))
	defer tick.Stop()
	cause := fmt.Errorf("%w: the request took longer than the request timeout (%v)", context.DeadlineExceeded, timeout)
	var conns []*serverConn
	for {
		select {
		case <-s.base.Done():
			return
		case now := <-tick.C:
			conns = conns[:0]
			s.mu.Lock()
			for c := range s.watched {
				conns = append(conns, c)
			}
			s.mu.Unlock()
			for _, c := range conns {
				start := c.work.Load()
				if start <= 0 || now.UnixNano()-start < int64(timeout) {
					continue
				}
				cancel := c.cancelWork.Load() // the context of request start: only overrun replaces it
				if c.work.CompareAndSwap(start, -1) {
					(*cancel)(cause)
				}
			}
		}
	}
}

// hello reads the hello, which must arrive whole within one request timeout, and answers it.
func (c *serverConn) hello() bool {
	s := c.s
	c.nc.SetDeadline(time.Now().Add(s.opts.requestTimeout))
	if s.closing.Load() {
		return false
	}
	body, err := readFrame(c.br, c.buf, maxRequestFrame)
	if err != nil {
		c.fail(err)
		return false
	}
	q, err := decodeRequest(body)
	if err == nil && q.Op != opHello {
		err = fmt.Errorf("%w: the first frame must be a hello, got %s", ErrBadRequest, opNames[q.Op])
	}
	var adminToken bool
	if err == nil {
		var ok bool
		if ok, adminToken = s.tokenOK(q.Token); !ok {
			err = fmt.Errorf("%w: wrong or missing token", ErrUnauthorized)
		}
	}
	if err != nil {
		c.fail(err)
		return false
	}
	if !s.greeted(c.nc) {
		return false
	}
	c.version = q.N
	if _, unix := c.nc.LocalAddr().(*net.UnixAddr); unix {
		c.admin = c.peer.known && (c.peer.uid == s.euid || c.peer.uid == 0)
	} else {
		c.admin = adminToken
	}
	if c.admin && s.admin != nil {
		c.maxFrame = maxAdminFrame
	}
	hello := &response{}
	if c.version >= 2 {
		hello.Info = s.info(c)
	}
	return c.send(hello, time.Now()) == nil && c.flush() == nil
}

// info is what a version 2 client learns in answer to its hello.
func (s *Server) info(c *serverConn) *wireInfo {
	in := &wireInfo{Version: protocolVersion, Admin: c.admin && s.admin != nil, LeaseTTL: int64(s.ttl)}
	for op := opHas; op <= opMax; op++ {
		switch {
		case op >= opFirstV2 && s.admin == nil:
		case adminOp(op) && !in.Admin:
		default:
			in.Ops = append(in.Ops, opNames[op])
		}
	}
	return in
}

// serve answers requests until the connection ends. Answers are flushed when no further request is
// buffered whole, so a client that pipelines gets them in one write.
//
// Deadlines are moved only when they must be, not at every request: the idle deadline when a
// 64th of the idle timeout has passed since it was set (so a connection is closed after at least
// the idle timeout without a request and at most a 64th more), the request deadline only when a
// request has not arrived whole with its first bytes, and the write deadline when less than 63/64
// of the request timeout is left (so an answer's write may block for at most the request timeout).
func (c *serverConn) serve() {
	s := c.s
	now := time.Now()
	for {
		if !c.frameBuffered() {
			if c.flush() != nil {
				return
			}
			// now is when the last request arrived: the idle timeout runs from then.
			if c.idleSet.IsZero() || now.Sub(c.idleSet) > s.opts.idleTimeout/64 {
				c.nc.SetReadDeadline(now.Add(s.opts.idleTimeout + s.opts.idleTimeout/64))
				c.idleSet = now
			}
			// Checked after the deadline is set: a shutdown that began since has set its own
			// deadline in the past, or is seen here.
			if s.closing.Load() {
				return
			}
			if _, err := c.br.Peek(1); err != nil {
				return
			}
			if !c.frameBuffered() {
				c.nc.SetReadDeadline(time.Now().Add(s.opts.requestTimeout))
				c.idleSet = time.Time{}
			}
		}
		body, err := readFrame(c.br, c.buf, c.maxFrame)
		if err != nil {
			c.fail(err)
			return
		}
		if cap(body) <= serverReadBuffer {
			c.buf = body[:0] // an administrator's large install is not kept
		}
		q, err := decodeRequestNames(body, &c.names)
		switch {
		case err != nil:
		case q.Op == opHello:
			err = fmt.Errorf("%w: hello sent twice", ErrBadRequest)
		case q.Op > opMaxV1 && c.version < 2:
			err = fmt.Errorf("%w: unknown operation %d", ErrBadRequest, q.Op) // what a version 1 server says
		}
		if err != nil {
			c.fail(err)
			return
		}
		// The one clock reading of the request: its start for the watchdog, the write deadline of
		// its answer, and the start of the idle time after it.
		now = time.Now()
		c.now = now
		c.work.Store(now.UnixNano())
		r := s.answer(c.ctx, c, &q)
		overran := c.work.Swap(0) == -1
		if s.lmc == nil || q.Op >= opFirstV2 || overran {
			// Work that may have taken a while (another Client, file I/O): the answer's write
			// deadline is reckoned from the clock now, not from the request's arrival.
			now = time.Now()
		}
		if c.send(r, now) != nil {
			return
		}
		if overran {
			c.newWorkContext() // the old one is cancelled for good
		}
	}
}

// frameBuffered reports whether a whole request is in the read buffer.
func (c *serverConn) frameBuffered() bool {
	n := c.br.Buffered()
	if n < frameHeader {
		return false
	}
	hdr, _ := c.br.Peek(frameHeader)
	return uint64(n) >= frameHeader+uint64(binary.BigEndian.Uint32(hdr))
}

// send puts an answer in the write buffer, with the write deadline in force ahead enough of now.
func (c *serverConn) send(r *response, now time.Time) error {
	s := c.s
	if c.wdl.Sub(now) < s.opts.requestTimeout-s.opts.requestTimeout/64 {
		c.wdl = now.Add(s.opts.requestTimeout)
		c.nc.SetWriteDeadline(c.wdl)
	}
	c.enc.Reset()
	err := appendResponseFrame(&c.enc, r)
	if err == nil && c.enc.Len()-frameHeader > maxResponseFrame {
		c.enc.Reset()
		err = appendResponseFrame(&c.enc, errResponse(r.ID, fmt.Errorf("lmc: answer of %d bytes is over the limit", c.enc.Len())))
	}
	if r.Lease != "" {
		c.unsent = append(c.unsent, r.Lease)
		c.names.lease = r.Lease
	}
	if err == nil {
		_, err = c.bw.Write(c.enc.Bytes())
	}
	if err != nil {
		c.lost()
	}
	return err
}

// flush writes the buffered answers.
func (c *serverConn) flush() error {
	if c.bw.Buffered() == 0 {
		c.unsent = c.unsent[:0]
		return nil
	}
	if err := c.bw.Flush(); err != nil {
		c.lost()
		return err
	}
	c.unsent = c.unsent[:0]
	return nil
}

// lost releases the leases made for answers that will never be delivered whole: their holders
// would never learn their ids.
func (c *serverConn) lost() {
	for _, id := range c.unsent {
		c.s.client.ReleaseLease(context.WithoutCancel(c.s.base), id)
	}
	c.unsent = c.unsent[:0]
}

// fail answers a broken frame with an error (id 0) if the connection still takes writes.
func (c *serverConn) fail(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		c.flush()
		return
	}
	if c.send(errResponse(0, err), time.Now()) == nil {
		c.flush()
	}
}

// tokenOK reports whether a hello's token lets the connection in, and whether it is the
// administrator's token.
func (s *Server) tokenOK(tok []byte) (ok, admin bool) {
	got := sha256.Sum256(tok)
	admin = len(s.opts.adminToken) > 0 && subtle.ConstantTimeCompare(got[:], s.atoken[:]) == 1
	if len(s.opts.token) == 0 {
		return true, admin
	}
	return admin || subtle.ConstantTimeCompare(got[:], s.token[:]) == 1, admin
}

// answer runs one request against the client.
func (s *Server) answer(ctx context.Context, c *serverConn, q *request) *response {
	r := &c.resp // one per connection: the answer is written before the next request is read
	*r = response{ID: q.ID}
	err := q.checkArgs()
	if err != nil {
		return errResponse(q.ID, err)
	}
	if q.Op >= opFirstV2 {
		switch {
		case s.admin == nil:
			return errResponse(q.ID, fmt.Errorf("%w: this LMC serves no %s operation", ErrNotSupported, opNames[q.Op]))
		case adminOp(q.Op) && !c.admin:
			return errResponse(q.ID, fmt.Errorf("%w: %s is for the LMC's administrator (its own user or root on the socket, the admin token over TCP)",
				ErrUnauthorized, opNames[q.Op]))
		}
	}
	switch q.Op {
	case opHas:
		r.Bool, err = s.client.Has(ctx, q.Part)
	case opCount:
		r.Int, err = s.client.Count(ctx, q.Part)
	case opVersion:
		r.Int, err = s.client.Version(ctx, q.Part)
	case opCheckout:
		if s.lmc != nil {
			// The LMC itself: take the lease's id and expiry without making a Lease.
			var li leaseInfo
			if li, err = s.lmc.checkoutChecked(ctx, q.App, q.Part, q.N, c.now); err == nil { // checkArgs checked them
				r.Lease, r.Expires = li.id, encodeTime(li.expires)
			}
			break
		}
		var l *Lease
		if l, err = s.client.Checkout(ctx, q.App, q.Part, q.N); err == nil {
			r.Lease, r.Expires = l.ID(), encodeTime(l.Expires())
		}
	case opRenew:
		var exp time.Time
		if exp, err = s.client.RenewLease(ctx, q.Lease); err == nil {
			r.Expires = encodeTime(exp)
		}
	case opRelease:
		if s.lmc != nil {
			err = s.lmc.seats.releaseAt(q.Lease, c.now) // the id was checked with the arguments
			break
		}
		err = s.client.ReleaseLease(ctx, q.Lease)
	case opUsage:
		var u Usage
		if u, err = s.client.Usage(ctx, q.Part); err == nil {
			r.Usage = toWireUsage(u)
		}
	case opStatus:
		var st Status
		if st, err = s.client.Status(ctx); err == nil {
			r.Status = toWireStatus(st)
		}
	case opFiles:
		var fs []FileSummary
		if fs, err = s.admin.InstalledFiles(ctx); err == nil {
			r.Files = toWireFiles(fs)
		}
	case opLeases:
		var ls []LeaseInfo
		if ls, err = s.admin.Leases(ctx); err == nil {
			r.Leases = toWireLeases(ls)
		}
	case opRevoke:
		if q.Handle != "" {
			err = s.admin.Revoke(ctx, q.Handle)
			r.Int = 1
		} else {
			r.Int, err = s.admin.RevokeApp(ctx, q.App, q.Part)
		}
	case opReread:
		var rr RereadResult
		if rr, err = s.admin.Reread(ctx); err == nil {
			r.Reread = &wireReread{Added: rr.Added, Replaced: rr.Replaced, Removed: rr.Removed, Invalid: rr.Invalid, Revoked: rr.Revoked}
		}
	case opInstall:
		var serials []string
		if serials, err = s.admin.InstallData(ctx, q.Data); err == nil {
			r.Reread = &wireReread{Added: serials}
		}
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
			err = fmt.Errorf("%w: the LMC gave up on a %s request after %v: %w", ErrUnavailable, opNames[q.Op], s.opts.requestTimeout, err)
		}
		return errResponse(q.ID, err)
	}
	return r
}
