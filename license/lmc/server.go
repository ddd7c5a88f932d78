package lmc

import (
	"bufio"
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
	"time"
)

// ServerConfig configures a [Server]. The zero value serves unix sockets with the defaults below.
type ServerConfig struct {
	// Token, when set, must be presented by every connection ([WithToken]): 16 to 256 bytes, from a
	// random source (32 random bytes is plenty). Serving a TCP listener without a token is refused.
	// Unix sockets rely on the socket file's permissions and need none.
	Token []byte
	// MaxConns bounds the connections served at once; further connections are closed at once.
	// Zero means 256.
	MaxConns int
	// IdleTimeout closes a connection that sends no request for this long. Zero means 10 minutes
	// (applications renew well within a lease TTL, so a live application is never idle that long).
	IdleTimeout time.Duration
	// RequestTimeout bounds each request: the hello after connecting, the rest of a request once its
	// first byte arrived, the work of answering it and the write of the answer. A client slower than
	// this loses its connection and no one else waits for it. Zero means 5 seconds.
	RequestTimeout time.Duration
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.MaxConns <= 0 {
		c.MaxConns = 256
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	return c
}

// A Server answers applications' requests on behalf of a [Client], normally the machine's [*LMC].
// Each connection is served by its own goroutine, one request at a time, and no lock is held while a
// connection reads or writes, so a slow or hostile client costs only its own connection.
type Server struct {
	client Client
	cfg    ServerConfig
	token  [sha256.Size]byte

	closing atomic.Bool
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewServer returns a server that answers for c.
func NewServer(c Client, cfg ServerConfig) *Server {
	s := &Server{client: c, cfg: cfg.withDefaults(), conns: map[net.Conn]struct{}{}}
	if len(cfg.Token) > 0 {
		s.token = sha256.Sum256(cfg.Token)
	}
	return s
}

// Serve accepts connections on l and answers them until ctx is cancelled, then shuts down gracefully:
// it stops accepting, lets every connection finish the request it is answering, closes the connections
// and returns nil once all are gone. It closes l. It returns an error at once if l is a TCP listener
// that is not on a loopback address or the server has no token, and otherwise the error that made
// Accept fail.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if err := s.checkListener(l); err != nil {
		l.Close()
		return err
	}
	stop := context.AfterFunc(ctx, func() { s.shutdown(l) })
	defer stop()
	var acceptErr error
	for {
		c, err := l.Accept()
		if err != nil {
			if !s.closing.Load() {
				acceptErr = fmt.Errorf("lmc: accepting connections: %w", err)
				s.shutdown(l)
			}
			break
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		s.wg.Add(1)
		go s.serveConn(ctx, c)
	}
	s.wg.Wait()
	return acceptErr
}

func (s *Server) checkListener(l net.Listener) error {
	if n := len(s.cfg.Token); n > 0 && (n < minTokenLen || n > maxTokenLen) {
		return fmt.Errorf("%w: a token must be %d to %d bytes, this one is %d", ErrUnauthorized, minTokenLen, maxTokenLen, n)
	}
	switch a := l.Addr().(type) {
	case *net.TCPAddr:
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%w: refusing to serve on %s: the LMC serves loopback addresses only", ErrUnauthorized, a)
		}
		if len(s.cfg.Token) == 0 {
			return fmt.Errorf("%w: refusing to serve TCP %s without a token", ErrUnauthorized, a)
		}
	case *net.UnixAddr:
	default:
		return fmt.Errorf("%w: the LMC serves unix sockets and loopback TCP, not %s", ErrUnauthorized, l.Addr().Network())
	}
	return nil
}

// track registers a new connection; it reports false when the server is full or closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() || len(s.conns) >= s.cfg.MaxConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// shutdown stops accepting and wakes every connection waiting for a request; connections answering
// a request finish it first (their goroutines see closing before they read again).
func (s *Server) shutdown(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Swap(true) {
		return
	}
	l.Close()
	past := time.Unix(1, 0)
	for c := range s.conns {
		c.SetReadDeadline(past)
	}
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer s.wg.Done()
	defer s.untrack(c)
	defer c.Close()
	// A request already read is answered even when shutdown begins meanwhile. The client's methods do
	// not block (the LMC answers from memory), so the request deadline bounds the connection's reads
	// and writes, not the work.
	rctx := context.WithoutCancel(ctx)
	br := bufio.NewReaderSize(c, 512)
	bw := bufio.NewWriterSize(c, 512)
	var buf, out []byte

	// The hello must arrive whole within one request timeout.
	c.SetDeadline(time.Now().Add(s.cfg.RequestTimeout))
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
	if out, err = s.write(bw, out[:0], &response{}); err != nil {
		return
	}

	for {
		// Wait for the first byte of the next request, at most the idle timeout, then give the whole
		// request one request timeout.
		c.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		if s.closing.Load() {
			return
		}
		if _, err := br.Peek(1); err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(s.cfg.RequestTimeout))
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
		r := s.answer(rctx, &q)
		if out, err = s.write(bw, out[:0], r); err != nil {
			return
		}
	}
}

// fail answers a broken frame with an error (id 0) if the connection still takes writes.
func (s *Server) fail(c net.Conn, bw *bufio.Writer, out []byte, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return
	}
	c.SetWriteDeadline(time.Now().Add(s.cfg.RequestTimeout))
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
	if len(s.cfg.Token) == 0 {
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
		return errResponse(q.ID, err)
	}
	return r
}
