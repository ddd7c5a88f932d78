package lmc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DialOption configures [Dial].
type DialOption func(*dialOptions)

type dialOptions struct {
	token   []byte
	timeout time.Duration
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
// have calls in flight at once over its one connection.
//
// When the connection breaks (the LMC restarted, say), the calls in flight fail with an error
// matching [ErrUnavailable] and the next call dials again; leases taken before a restart then renew
// with [ErrLeaseLost], and the application checks out again.
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
	c := &Conn{network: network, address: address}
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

// session is one live connection.
type session struct {
	nc      net.Conn
	timeout time.Duration
	nextID  atomic.Uint64

	wmu sync.Mutex
	out []byte

	pmu     sync.Mutex
	pending map[uint64]pendingCall
	watch   time.Time // the read deadline: the latest deadline of the calls sent
	err     error     // why the session ended; set once
	done    chan struct{}
}

// session returns the live session, dialling a new one if there is none or the last one broke.
func (c *Conn) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%w: connection closed by the application", ErrClosed)
	}
	if c.sess != nil && !c.sess.broken() {
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
	var d net.Dialer
	nc, err := d.DialContext(dctx, c.network, c.address)
	if err != nil {
		return nil, fmt.Errorf("%w: dialling the LMC: %v", ErrUnavailable, err)
	}
	deadline, _ := dctx.Deadline()
	nc.SetDeadline(deadline)
	br := bufio.NewReaderSize(nc, 4096)
	hello, err := appendFrame(nil, &request{Op: opHello, N: protocolVersion, Token: c.opts.token})
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
	nc.SetDeadline(time.Time{})
	s := &session{nc: nc, timeout: c.opts.timeout, pending: map[uint64]pendingCall{}, done: make(chan struct{})}
	go s.read(br)
	return s, nil
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
	s.pmu.Lock()
	if s.err != nil {
		s.pmu.Unlock()
		return
	}
	s.err = err
	s.pending = nil
	close(s.done)
	s.pmu.Unlock()
	s.nc.Close()
}

func (s *session) read(br *bufio.Reader) {
	var buf []byte
	for {
		if _, err := br.Peek(1); errors.Is(err, os.ErrDeadlineExceeded) {
			// The watchdog fired between frames. It is a failure only if calls are waiting and the
			// latest deadline of any call has passed: the LMC answered none of them in time.
			s.pmu.Lock()
			switch {
			case len(s.pending) == 0:
				s.watch = time.Time{}
				s.nc.SetReadDeadline(time.Time{})
			case time.Now().Before(s.watch):
				s.nc.SetReadDeadline(s.watch)
			default:
				s.pmu.Unlock()
				s.fail(fmt.Errorf("%w: the LMC did not answer in time", ErrUnavailable))
				return
			}
			s.pmu.Unlock()
			continue
		}
		body, err := readFrame(br, buf, maxResponseFrame)
		if err != nil {
			s.fail(fmt.Errorf("%w: connection to the LMC lost: %v", ErrUnavailable, err))
			return
		}
		buf = body[:0]
		r, err := decodeResponse(body)
		if err != nil {
			s.fail(err)
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
		s.pmu.Lock()
		pc := s.pending[r.ID]
		delete(s.pending, r.ID)
		s.pmu.Unlock()
		switch {
		case pc.ch != nil:
			pc.ch <- r
		case pc.orphan && r.Err == 0 && checkLeaseID(r.Lease) == nil:
			// A checkout whose caller gave up before the answer came: give the seats back at once
			// rather than leave them out until the lease expires.
			go s.releaseOrphan(r.Lease)
		}
	}
}

// call sends q and waits for its answer. It sends on a fresh connection once if the current one
// broke before the request could be written; a request written and then lost is not retried (a
// checkout may have happened) and fails with ErrUnavailable.
func (c *Conn) call(ctx context.Context, q *request) (response, error) {
	if err := ctx.Err(); err != nil {
		return response{}, err
	}
	if err := q.checkArgs(); err != nil {
		return response{}, err
	}
	for attempt := 0; ; attempt++ {
		s, err := c.session(ctx)
		if err != nil {
			return response{}, err
		}
		r, sent, err := s.call(ctx, q)
		if err != nil && !sent && attempt == 0 && s.broken() && ctx.Err() == nil {
			continue
		}
		return r, err
	}
}

func (s *session) call(ctx context.Context, q *request) (r response, sent bool, err error) {
	ch := make(chan response, 1)
	id := s.nextID.Add(1)
	q.ID = id
	s.pmu.Lock()
	if s.err != nil {
		err := s.err
		s.pmu.Unlock()
		return response{}, false, err
	}
	s.pending[id] = pendingCall{ch: ch}
	// Without a deadline from the caller, the connection's own timeout bounds the call. The reader's
	// watchdog is the latest deadline of any call sent.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(s.timeout)
	}
	if deadline.After(s.watch) {
		s.watch = deadline
		s.nc.SetReadDeadline(deadline)
	}
	s.pmu.Unlock()

	s.wmu.Lock()
	s.out, err = appendFrame(s.out[:0], q)
	if err == nil {
		s.nc.SetWriteDeadline(deadline)
		_, err = s.nc.Write(s.out)
	}
	s.wmu.Unlock()
	if err != nil {
		s.fail(fmt.Errorf("%w: writing to the LMC: %v", ErrUnavailable, err))
		return response{}, false, fmt.Errorf("%w: writing to the LMC: %v", ErrUnavailable, err)
	}
	select {
	case r := <-ch:
		return r, true, r.err()
	case <-s.done:
		// The reader may have handed over this call's answer just before the connection ended.
		select {
		case r := <-ch:
			return r, true, r.err()
		default:
		}
		s.pmu.Lock()
		err := s.err
		s.pmu.Unlock()
		return response{}, true, err
	case <-ctx.Done():
		s.pmu.Lock()
		_, waiting := s.pending[id]
		if waiting && q.Op == opCheckout {
			s.pending[id] = pendingCall{orphan: true}
		} else if waiting {
			delete(s.pending, id)
		}
		ended := s.err != nil
		s.pmu.Unlock()
		if !waiting {
			// The reader may have taken the answer off the connection already: take it, so that a
			// lease made for this call is not dropped on the floor. If the session has not ended,
			// the reader is handing it over; if it has, the answer is there or never came.
			if !ended {
				r := <-ch
				return r, true, r.err()
			}
			select {
			case r := <-ch:
				return r, true, r.err()
			default:
			}
		}
		return response{}, true, ctx.Err()
	}
}

// pendingCall is a call waiting for its answer: the channel its caller waits on, or, for a checkout
// whose caller gave up, a note to release the lease the answer brings.
type pendingCall struct {
	ch     chan<- response
	orphan bool
}

// releaseOrphan releases a lease nobody received. Its answer is not awaited (the reader drops an
// answer no call waits for); if the release cannot be sent, the lease expires with its TTL.
func (s *session) releaseOrphan(lease string) {
	frame, err := appendFrame(nil, &request{ID: s.nextID.Add(1), Op: opRelease, Lease: lease})
	if err != nil {
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.nc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.nc.Write(frame); err != nil {
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
	r, err := c.call(ctx, &request{Op: opCheckout, App: app, Part: part, N: n})
	if err != nil {
		return nil, err
	}
	if checkLeaseID(r.Lease) != nil {
		return nil, fmt.Errorf("%w: the LMC answered a checkout without a valid lease id", ErrUnavailable)
	}
	return newLease(c, r.Lease, app, part, n, decodeTime(r.Expires)), nil
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
