package lmc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// The wire protocol between an application ([Conn]) and the LMC ([Server]).
//
// A connection carries frames: a 4-byte big-endian length, then that many bytes of CBOR (RFC 8949,
// core deterministic encoding, a map with small integer keys). The first frame from the client is a
// hello (op 1) carrying the protocol version in key 5 and, when the server wants one, the token in key
// 7; the server answers it with an empty response (version 1) or with what it supports (version 2,
// key 10), or an error, and closes. After that the client sends requests and the server answers each
// with a response carrying the request's id; a client may have many requests in flight on one
// connection. Requests are at most maxRequestFrame bytes (an administrator's install at most
// maxAdminFrame), responses at most maxResponseFrame. A frame that does not decode, or that carries a
// field its operation does not use, ends the connection after an error response with id 0.
//
// Version 2 adds the operations from leases on (the administrator's and the file list), the request
// keys 8 and 9 and the response keys 10 to 13. A server speaks both versions and never sends a
// version 1 connection a key or an operation that version 1 does not have, so the clients of
// version 1 keep working unchanged; a version 2 client that meets a version 1 server (which refuses
// its hello) dials again with version 1 and knows that only the version 1 operations are there.
const (
	protocolVersion    = 2
	minProtocolVersion = 1
	frameHeader        = 4
	maxRequestFrame    = 1 << 10                    // a request holds two names, a lease id, a count and maybe a token
	maxAdminFrame      = license.MaxZipSize + 1<<10 // an administrator's install carries a file or a zip
	maxResponseFrame   = 4 << 20                    // a usage answer lists one holder per application
	maxHolders         = 1 << 16
)

// Operations.
const (
	opHello uint8 = iota + 1
	opHas
	opCount
	opVersion
	opCheckout
	opRenew
	opRelease
	opUsage
	opStatus
	// Version 2.
	opFiles   // the installed files
	opLeases  // every lease, with its handle (lmstat)
	opRevoke  // revoke a lease by handle, or an application's leases (lmremove)
	opReread  // read the license directory again (lmreread)
	opInstall // install a file in any form a user holds it
	opMax     = opInstall
	opMaxV1   = opStatus
	opFirstV2 = opFiles
)

var opNames = [...]string{"", "hello", "has", "count", "version", "checkout", "renew", "release", "usage", "status",
	"files", "leases", "revoke", "reread", "install"}

// adminOp reports whether op is for the administrator only.
func adminOp(op uint8) bool { return op >= opLeases && op <= opInstall }

type request struct {
	ID    uint64 `cbor:"1,keyasint,omitempty"`
	Op    uint8  `cbor:"2,keyasint"`
	App   string `cbor:"3,keyasint,omitempty"`
	Part  string `cbor:"4,keyasint,omitempty"`
	N     int    `cbor:"5,keyasint,omitempty"`
	Lease string `cbor:"6,keyasint,omitempty"`
	Token []byte `cbor:"7,keyasint,omitempty"`
	// Version 2.
	Data   []byte `cbor:"8,keyasint,omitempty"` // install: the file or zip
	Handle string `cbor:"9,keyasint,omitempty"` // revoke: the lease's handle
}

type response struct {
	ID      uint64      `cbor:"1,keyasint,omitempty"`
	Err     uint8       `cbor:"2,keyasint,omitempty"`
	Msg     string      `cbor:"3,keyasint,omitempty"`
	Bool    bool        `cbor:"4,keyasint,omitempty"`
	Int     int         `cbor:"5,keyasint,omitempty"`
	Lease   string      `cbor:"6,keyasint,omitempty"`
	Expires int64       `cbor:"7,keyasint,omitempty"`
	Usage   *wireUsage  `cbor:"8,keyasint,omitempty"`
	Status  *wireStatus `cbor:"9,keyasint,omitempty"`
	// Version 2.
	Info   *wireInfo   `cbor:"10,keyasint,omitempty"` // the answer to a version 2 hello
	Leases []wireLease `cbor:"11,keyasint,omitempty"`
	Files  []wireFile  `cbor:"12,keyasint,omitempty"`
	Reread *wireReread `cbor:"13,keyasint,omitempty"`
}

// wireInfo is what a server tells a version 2 client in answer to its hello.
type wireInfo struct {
	Version  int      `cbor:"1,keyasint"`
	Ops      []string `cbor:"2,keyasint,omitempty"` // the operations this connection may use
	Admin    bool     `cbor:"3,keyasint,omitempty"` // this connection may use the administrator's operations
	LeaseTTL int64    `cbor:"4,keyasint,omitempty"` // nanoseconds; 0 when the server does not say
}

type wireLease struct {
	Handle  string `cbor:"1,keyasint"`
	App     string `cbor:"2,keyasint"`
	Part    string `cbor:"3,keyasint"`
	Seats   int    `cbor:"4,keyasint"`
	Taken   int64  `cbor:"5,keyasint,omitempty"`
	Expires int64  `cbor:"6,keyasint,omitempty"`
	PID     int    `cbor:"7,keyasint,omitempty"`
	UID     int    `cbor:"8,keyasint,omitempty"` // uid + 1, so that 0 means unknown
	Count   int    `cbor:"9,keyasint,omitempty"` // the part's licensed seats
}

type wireFile struct {
	Serial   string `cbor:"1,keyasint"`
	Status   uint8  `cbor:"2,keyasint"`
	Term     string `cbor:"3,keyasint,omitempty"`
	Issued   int64  `cbor:"4,keyasint,omitempty"`
	NotAfter int64  `cbor:"5,keyasint,omitempty"`
	Lines    int    `cbor:"6,keyasint,omitempty"`
	Code     string `cbor:"7,keyasint,omitempty"`
	Err      string `cbor:"8,keyasint,omitempty"`
}

type wireReread struct {
	Added    []string `cbor:"1,keyasint,omitempty"`
	Replaced []string `cbor:"2,keyasint,omitempty"`
	Removed  []string `cbor:"3,keyasint,omitempty"`
	Invalid  []string `cbor:"4,keyasint,omitempty"`
	Revoked  int      `cbor:"5,keyasint,omitempty"`
}

type wireUsage struct {
	Part    string       `cbor:"1,keyasint"`
	Count   int          `cbor:"2,keyasint,omitempty"`
	InUse   int          `cbor:"3,keyasint,omitempty"`
	Holders []wireHolder `cbor:"4,keyasint,omitempty"`
}

type wireHolder struct {
	App    string `cbor:"1,keyasint"`
	Seats  int    `cbor:"2,keyasint"`
	Leases int    `cbor:"3,keyasint"`
}

type wireStatus struct {
	Code        string `cbor:"1,keyasint,omitempty"`
	HostCode    string `cbor:"2,keyasint,omitempty"`
	Bound       string `cbor:"3,keyasint,omitempty"`
	Reachable   bool   `cbor:"4,keyasint,omitempty"`
	LastContact int64  `cbor:"5,keyasint,omitempty"`
	SourceError string `cbor:"6,keyasint,omitempty"`
	HostChanged bool   `cbor:"7,keyasint,omitempty"`
	Files       int    `cbor:"8,keyasint,omitempty"`
	Active      int    `cbor:"9,keyasint,omitempty"`
	Until       int64  `cbor:"10,keyasint,omitempty"`
}

// Error codes on the wire; each maps to one sentinel so errors keep their identity across the socket.
var wireErrors = [...]error{
	nil,
	ErrNotLicensed,
	ErrNotCounted,
	ErrNoSeats,
	ErrLeaseLost,
	ErrLeaseRevoked,
	ErrHostChanged,
	ErrNoHostCode,
	ErrBadRequest,
	ErrUnauthorized,
	ErrUnavailable,
	ErrClosed,
	// Version 2 (a version 1 client sees the message with no sentinel).
	ErrNotInstalled,
	ErrNotSupported,
	ErrBadSource,
	// Why an install was refused.
	license.ErrMalformed,
	license.ErrInvalid,
	license.ErrHostMismatch,
	license.ErrExpired,
	license.ErrNotYetValid,
	signing.ErrSignature,
	signing.ErrUnknownKey,
	signing.ErrRevoked,
	signing.ErrOutsideWindow,
	signing.ErrMalformed,
	signing.ErrAlgorithm,
}

const errOther uint8 = 255 // an error matching none of the sentinels

func errCode(err error) uint8 {
	for i, s := range wireErrors {
		if s != nil && errors.Is(err, s) {
			return uint8(i)
		}
	}
	return errOther
}

// remoteError is an error that came over the socket: the server's message, matching the sentinel the
// server's error matched.
type remoteError struct {
	msg      string
	sentinel error
}

// Error returns the server's message.
func (e *remoteError) Error() string { return e.msg }

// Unwrap returns the sentinel the server's error matched (nil if none).
func (e *remoteError) Unwrap() error { return e.sentinel }

func (r *response) err() error {
	if r.Err == 0 {
		return nil
	}
	msg := r.Msg
	if msg == "" {
		msg = "lmc: remote error"
	}
	var s error
	if int(r.Err) < len(wireErrors) {
		s = wireErrors[r.Err]
	}
	return &remoteError{msg: msg, sentinel: s}
}

func errResponse(id uint64, err error) *response {
	return &response{ID: id, Err: errCode(err), Msg: err.Error()}
}

var (
	reqDecMode  = cborx.MustDecMode(cborx.Limits{MaxNested: 4, MaxArray: 16, MaxMap: 16})
	respDecMode = cborx.MustDecMode(cborx.Limits{MaxNested: 5, MaxArray: maxHolders, MaxMap: 16})
)

// encodeTime and decodeTime carry a time as Unix nanoseconds, the zero time as 0.
func encodeTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decodeTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// bufferEncMode is the encoder of cborx, able to encode into a caller's buffer.
var bufferEncMode = cborx.EncMode().(cbor.UserBufferEncMode)

// appendRequestFrame writes the frame of q to buf, which it may grow; no allocation once buf is
// big enough.
func appendRequestFrame(buf *bytes.Buffer, q *request) error {
	if fastRequestFrame(buf, q) {
		return nil
	}
	c := *q // the copy, not q, goes to the heap through the reflecting encoder
	return appendFrameTo(buf, &c)
}

// appendResponseFrame writes the frame of r to buf, which it may grow.
func appendResponseFrame(buf *bytes.Buffer, r *response) error {
	if fastResponseFrame(buf, r) {
		return nil
	}
	c := *r
	return appendFrameTo(buf, &c)
}

// appendFrameTo writes the frame holding v to buf, which it may grow; no allocation once buf is big
// enough.
func appendFrameTo(buf *bytes.Buffer, v any) error {
	if fastFrame(buf, v) {
		return nil
	}
	start := buf.Len()
	buf.Write([]byte{0, 0, 0, 0})
	if err := bufferEncMode.MarshalToBuffer(v, buf); err != nil {
		buf.Truncate(start)
		return fmt.Errorf("lmc: encoding a frame: %w", err)
	}
	binary.BigEndian.PutUint32(buf.Bytes()[start:], uint32(buf.Len()-start-frameHeader))
	return nil
}

// appendFrame appends the frame holding v to b.
func appendFrame(b []byte, v any) ([]byte, error) {
	body, err := cborx.EncMode().Marshal(v)
	if err != nil {
		return b, fmt.Errorf("lmc: encoding a frame: %w", err)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...), nil
}

// readFrame reads one frame of at most max bytes from r into buf (grown as needed) and returns its body.
func readFrame(r *bufio.Reader, buf []byte, max int) ([]byte, error) {
	// Peeked rather than read into an array, which would escape through io.ReadFull.
	hdr, err := r.Peek(frameHeader)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr)
	r.Discard(frameHeader)
	if n == 0 || n > uint32(max) {
		return nil, fmt.Errorf("%w: frame of %d bytes, must be 1..%d", ErrBadRequest, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// decodeRequest decodes one request body and checks its shape: a known operation, an id where one
// belongs, and no field the operation does not use. The error matches ErrBadRequest; the server
// answers it and closes the connection. The values of the fields are checked by checkArgs.
func decodeRequest(body []byte) (request, error) {
	return decodeRequestNames(body, nil)
}

// decodeRequestNames is decodeRequest taking the names it can from a connection's cache.
func decodeRequestNames(body []byte, names *nameCache) (request, error) {
	q, ok := decodeRequestFast(body, names)
	if !ok {
		var slow request // apart from q, which then stays off the heap
		if err := reqDecMode.Unmarshal(body, &slow); err != nil {
			return request{}, fmt.Errorf("%w: frame does not decode: %v", ErrBadRequest, err)
		}
		q = slow
	}
	if err := q.check(); err != nil {
		return request{}, err
	}
	return q, nil
}

func (q *request) check() error {
	if q.Op == 0 || q.Op > opMax {
		return fmt.Errorf("%w: unknown operation %d", ErrBadRequest, q.Op)
	}
	name := opNames[q.Op]
	var app, part, n, lease, token, data, handle bool // which fields the operation uses
	switch q.Op {
	case opHello:
		n, token = true, true
	case opHas, opCount, opVersion, opUsage:
		part = true
	case opCheckout:
		app, part, n = true, true, true
	case opRenew, opRelease:
		lease = true
	case opRevoke:
		handle, app, part = true, true, true
	case opInstall:
		data = true
	case opStatus, opFiles, opLeases, opReread:
	}
	if q.Op == opHello && q.ID != 0 {
		return fmt.Errorf("%w: hello: id must be 0", ErrBadRequest)
	}
	if q.Op != opHello && q.ID == 0 {
		return fmt.Errorf("%w: %s: id must not be 0", ErrBadRequest, name)
	}
	extra := func(field string) error {
		return fmt.Errorf("%w: %s carries a %s it does not use", ErrBadRequest, name, field)
	}
	switch {
	case !app && q.App != "":
		return extra("application")
	case !part && q.Part != "":
		return extra("part")
	case !n && q.N != 0:
		return extra("count")
	case !lease && q.Lease != "":
		return extra("lease id")
	case !token && q.Token != nil:
		return extra("token")
	case !data && q.Data != nil:
		return extra("data")
	case !handle && q.Handle != "":
		return extra("handle")
	}
	if q.Op == opHello {
		if q.N < minProtocolVersion || q.N > protocolVersion {
			return fmt.Errorf("%w: hello: protocol version %d, this LMC speaks %d to %d", ErrBadRequest, q.N, minProtocolVersion, protocolVersion)
		}
		if len(q.Token) > maxTokenLen {
			return fmt.Errorf("%w: hello: token of %d bytes, at most %d", ErrBadRequest, len(q.Token), maxTokenLen)
		}
	}
	return nil
}

// checkArgs checks the values of a well-formed request's fields. A request that fails it is answered
// with the error; the connection stays up.
func (q *request) checkArgs() error {
	name := opNames[q.Op]
	app := q.Op == opCheckout
	part := q.Op == opHas || q.Op == opCount || q.Op == opVersion || q.Op == opUsage || q.Op == opCheckout
	lease := q.Op == opRenew || q.Op == opRelease
	if app {
		if err := checkName("application", q.App); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if part {
		if err := checkName("part", q.Part); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if lease {
		if err := checkLeaseID(q.Lease); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	switch q.Op {
	case opCheckout:
		if err := checkSeats(q.N); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	case opRevoke:
		if err := checkRevoke(q.Handle, q.App, q.Part); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	case opInstall:
		if len(q.Data) == 0 {
			return fmt.Errorf("%s: %w: no data", name, ErrBadRequest)
		}
	}
	return nil
}

// checkRevoke checks what a revoke names: a handle alone, or an application and maybe a part.
func checkRevoke(handle, app, part string) error {
	switch {
	case handle != "" && (app != "" || part != ""):
		return fmt.Errorf("%w: name a lease handle or an application, not both", ErrBadRequest)
	case handle != "":
		return checkHandle(handle)
	case app == "":
		return fmt.Errorf("%w: name a lease handle or an application", ErrBadRequest)
	}
	if err := checkName("application", app); err != nil {
		return err
	}
	if part != "" {
		return checkName("part", part)
	}
	return nil
}

// decodeResponse decodes one response body. It is the client's decoder of what the server sends.
func decodeResponse(body []byte) (response, error) {
	if r, ok := decodeResponseFast(body); ok {
		return r, nil
	}
	return decodeResponseSlow(body)
}

// decodeResponseSlow is the reflecting decoder, apart so that its value alone goes to the heap.
func decodeResponseSlow(body []byte) (response, error) {
	var r response
	if err := respDecMode.Unmarshal(body, &r); err != nil {
		return response{}, fmt.Errorf("%w: response does not decode: %v", ErrUnavailable, err)
	}
	return r, nil
}

func toWireUsage(u Usage) *wireUsage {
	w := &wireUsage{Part: u.Part, Count: u.Count, InUse: u.InUse}
	hs := u.Holders
	if len(hs) > maxHolders {
		hs = hs[:maxHolders]
	}
	for _, h := range hs {
		w.Holders = append(w.Holders, wireHolder(h))
	}
	return w
}

func (w *wireUsage) usage() Usage {
	if w == nil {
		return Usage{}
	}
	u := Usage{Part: w.Part, Count: w.Count, InUse: w.InUse}
	for _, h := range w.Holders {
		u.Holders = append(u.Holders, Holder(h))
	}
	return u
}

func toWireStatus(s Status) *wireStatus {
	return &wireStatus{
		Code: s.Code, HostCode: s.HostCode, Bound: s.Bound, Reachable: s.Reachable,
		LastContact: encodeTime(s.LastContact), SourceError: s.SourceError, HostChanged: s.HostChanged,
		Files: s.Files, Active: s.Active, Until: encodeTime(s.Until),
	}
}

func (w *wireStatus) status() Status {
	if w == nil {
		return Status{}
	}
	return Status{
		Code: w.Code, HostCode: w.HostCode, Bound: w.Bound, Reachable: w.Reachable,
		LastContact: decodeTime(w.LastContact), SourceError: w.SourceError, HostChanged: w.HostChanged,
		Files: w.Files, Active: w.Active, Until: decodeTime(w.Until),
	}
}

func toWireLeases(ls []LeaseInfo) []wireLease {
	if len(ls) > maxHolders {
		ls = ls[:maxHolders]
	}
	out := make([]wireLease, len(ls))
	for i, l := range ls {
		out[i] = wireLease{Handle: l.Handle, App: l.App, Part: l.Part, Seats: l.Seats, Count: l.Count,
			Taken: encodeTime(l.Taken), Expires: encodeTime(l.Expires), PID: l.PID, UID: l.UID + 1}
	}
	return out
}

func fromWireLeases(ws []wireLease) []LeaseInfo {
	out := make([]LeaseInfo, len(ws))
	for i, w := range ws {
		out[i] = LeaseInfo{Handle: w.Handle, App: w.App, Part: w.Part, Seats: w.Seats, Count: w.Count,
			Taken: decodeTime(w.Taken), Expires: decodeTime(w.Expires), PID: w.PID, UID: w.UID - 1}
	}
	return out
}

func toWireFiles(fs []FileSummary) []wireFile {
	out := make([]wireFile, len(fs))
	for i, f := range fs {
		out[i] = wireFile{Serial: f.Serial, Status: uint8(f.Status), Term: f.Term, Issued: encodeTime(f.Issued),
			NotAfter: encodeTime(f.NotAfter), Lines: f.Lines, Code: f.Code, Err: f.Err}
	}
	return out
}

func fromWireFiles(ws []wireFile) []FileSummary {
	out := make([]FileSummary, len(ws))
	for i, w := range ws {
		out[i] = FileSummary{Serial: w.Serial, Status: FileStatus(w.Status), Term: w.Term, Issued: decodeTime(w.Issued),
			NotAfter: decodeTime(w.NotAfter), Lines: w.Lines, Code: w.Code, Err: w.Err}
	}
	return out
}
