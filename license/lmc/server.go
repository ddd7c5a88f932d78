package lmc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
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
// first byte arrived, the work of answering it (its context's deadline) and the write of the answer.
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
	opts   serverOptions
	token  [sha256.Size]byte

	// base is the context of the work; cancelled by Close or when Shutdown's wait ends early.
	base       context.Context
	cancelBase context.CancelFunc

	closing   atomic.Bool
	mu        sync.Mutex
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
	s := &Server{client: c, opts: o, listeners: map[net.Listener]struct{}{}, conns: map[net.Conn]bool{}}
	if len(o.token) > 0 {
		s.token = sha256.Sum256(o.token)
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

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer s.untrack(c)
	defer c.Close()
	// A request already read is answered even when a graceful shutdown begins meanwhile.
	br := bufio.NewReaderSize(c, 512)
	bw := bufio.NewWriterSize(c, 512)
	var buf, out []byte

	// The hello must arrive whole within one request timeout.
	c.SetDeadline(time.Now().Add(s.opts.requestTimeout))
	if s.closing.Load() {
		return
	}
	body, err := readFrame(br, buf, maxRequestFrame)
	if err != nil {
		s.fail(c, bw, out, err)
		return
	}
	q, err := decodeRequest(body)
	if err == nil && q.Op != opHello {
		err = fmt.Errorf("%w: the first frame must be a hello, got %s", ErrBadRequest, opNames[q.Op])
	}
	if err == nil && !s.tokenOK(q.Token) {
		err = fmt.Errorf("%w: wrong or missing token", ErrUnauthorized)
	}
	if err != nil {
		s.fail(c, bw, out, err)
		return
	}
	if !s.greeted(c) {
		return
	}
	if out, err = s.write(bw, out[:0], &response{}); err != nil {
		return
	}

	for {
		// Wait for the first byte of the next request, at most the idle timeout, then give the whole
		// request one request timeout.
		c.SetReadDeadline(time.Now().Add(s.opts.idleTimeout))
		if s.closing.Load() {
			return
		}
		if _, err := br.Peek(1); err != nil {
			return
		}
		deadline := time.Now().Add(s.opts.requestTimeout)
		c.SetDeadline(deadline)
		body, err := readFrame(br, buf, maxRequestFrame)
		if err != nil {
			s.fail(c, bw, out, err)
			return
		}
		buf = body[:0]
		q, err := decodeRequest(body)
		if err == nil && q.Op == opHello {
			err = fmt.Errorf("%w: hello sent twice", ErrBadRequest)
		}
		if err != nil {
			s.fail(c, bw, out, err)
			return
		}
		ctx, cancel := context.WithDeadline(s.base, deadline)
		r := s.answer(ctx, &q)
		cancel()
		c.SetWriteDeadline(time.Now().Add(s.opts.requestTimeout))
		if out, err = s.write(bw, out[:0], r); err != nil {
			if r.Lease != "" {
				// The lease was made but its holder will never learn its id: give the seats back.
				s.client.ReleaseLease(context.WithoutCancel(s.base), r.Lease)
			}
			return
		}
	}
}

// fail answers a broken frame with an error (id 0) if the connection still takes writes.
func (s *Server) fail(c net.Conn, bw *bufio.Writer, out []byte, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return
	}
	c.SetWriteDeadline(time.Now().Add(s.opts.requestTimeout))
	s.write(bw, out[:0], errResponse(0, err))
}

func (s *Server) write(bw *bufio.Writer, out []byte, r *response) ([]byte, error) {
	out, err := appendFrame(out, r)
	if err != nil {
		return out, err
	}
	if len(out)-frameHeader > maxResponseFrame {
		out, _ = appendFrame(out[:0], errResponse(r.ID, fmt.Errorf("lmc: answer of %d bytes is over the limit", len(out))))
	}
	if _, err := bw.Write(out); err != nil {
		return out, err
	}
	return out, bw.Flush()
}

func (s *Server) tokenOK(tok []byte) bool {
	if len(s.opts.token) == 0 {
		return true
	}
	got := sha256.Sum256(tok)
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// answer runs one request against the client.
func (s *Server) answer(ctx context.Context, q *request) *response {
	r := &response{ID: q.ID}
	err := q.checkArgs()
	if err != nil {
		return errResponse(q.ID, err)
	}
	switch q.Op {
	case opHas:
		r.Bool, err = s.client.Has(ctx, q.Part)
	case opCount:
		r.Int, err = s.client.Count(ctx, q.Part)
	case opVersion:
		r.Int, err = s.client.Version(ctx, q.Part)
	case opCheckout:
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
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
			err = fmt.Errorf("%w: the LMC gave up on a %s request after %v: %w", ErrUnavailable, opNames[q.Op], s.opts.requestTimeout, err)
		}
		return errResponse(q.ID, err)
	}
	return r
}
