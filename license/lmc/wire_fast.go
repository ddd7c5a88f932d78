package lmc

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// A hand-written codec for the frames on the hot path: requests, and answers without a usage list or
// a status. It writes exactly the bytes the reflecting encoder of cborx writes (core deterministic
// encoding; the tests compare the two on every field), and it reads only frames in that canonical
// form: definite lengths, shortest heads, keys ascending, each of the type its field has, valid UTF-8.
// Anything else (a usage or status answer, or a frame from another encoder) goes to the reflecting
// decoder, which accepts or refuses it as before; the fuzz tests check that whatever the fast decoder
// accepts, the reflecting one accepts too, with the same value.

// CBOR major types.
const (
	cborUint  = 0 << 5
	cborNeg   = 1 << 5
	cborBytes = 2 << 5
	cborText  = 3 << 5
	cborMap   = 5 << 5
	cborFalse = 0xf4
	cborTrue  = 0xf5
)

// appendHead appends the shortest head of the major type with argument v.
func appendHead(b []byte, major byte, v uint64) []byte {
	switch {
	case v < 24:
		return append(b, major|byte(v))
	case v <= math.MaxUint8:
		return append(b, major|24, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, major|27), v)
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendHead(b, cborNeg, uint64(-1-v))
	}
	return appendHead(b, cborUint, uint64(v))
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, cborText, uint64(len(s))), s...)
}

// fastFrame appends the frame of a request, or of an answer without usage or status, to buf; it
// reports false (appending nothing) for other values.
func fastFrame(buf *bytes.Buffer, v any) bool {
	switch v := v.(type) {
	case *request:
		return fastRequestFrame(buf, v)
	case *response:
		return fastResponseFrame(buf, v)
	}
	return false
}

// fastRequestFrame is fastFrame for a request. Typed (no interface), so that the request it is
// given need not escape to the heap.
func fastRequestFrame(buf *bytes.Buffer, q *request) bool {
	if q.Data != nil || q.Handle != "" {
		return false
	}
	out := append(buf.AvailableBuffer(), 0, 0, 0, 0) // in place when buf has room
	out = appendRequest(out, q)
	binary.BigEndian.PutUint32(out, uint32(len(out)-frameHeader))
	buf.Write(out)
	return true
}

// fastResponseFrame is fastFrame for a response.
func fastResponseFrame(buf *bytes.Buffer, r *response) bool {
	if r.Usage != nil || r.Status != nil || r.Info != nil || r.Leases != nil || r.Files != nil || r.Reread != nil {
		return false
	}
	out := append(buf.AvailableBuffer(), 0, 0, 0, 0)
	out = appendResponse(out, r)
	binary.BigEndian.PutUint32(out, uint32(len(out)-frameHeader))
	buf.Write(out)
	return true
}

func appendRequest(b []byte, q *request) []byte {
	n := 1 // Op is always written
	for _, present := range []bool{q.ID != 0, q.App != "", q.Part != "", q.N != 0, q.Lease != "", len(q.Token) > 0} {
		if present {
			n++
		}
	}
	b = appendHead(b, cborMap, uint64(n))
	if q.ID != 0 {
		b = appendHead(append(b, 1), cborUint, q.ID)
	}
	b = appendHead(append(b, 2), cborUint, uint64(q.Op))
	if q.App != "" {
		b = appendText(append(b, 3), q.App)
	}
	if q.Part != "" {
		b = appendText(append(b, 4), q.Part)
	}
	if q.N != 0 {
		b = appendInt(append(b, 5), int64(q.N))
	}
	if q.Lease != "" {
		b = appendText(append(b, 6), q.Lease)
	}
	if len(q.Token) > 0 {
		b = append(appendHead(append(b, 7), cborBytes, uint64(len(q.Token))), q.Token...)
	}
	return b
}

func appendResponse(b []byte, r *response) []byte {
	n := 0
	for _, present := range []bool{r.ID != 0, r.Err != 0, r.Msg != "", r.Bool, r.Int != 0, r.Lease != "", r.Expires != 0} {
		if present {
			n++
		}
	}
	b = appendHead(b, cborMap, uint64(n))
	if r.ID != 0 {
		b = appendHead(append(b, 1), cborUint, r.ID)
	}
	if r.Err != 0 {
		b = appendHead(append(b, 2), cborUint, uint64(r.Err))
	}
	if r.Msg != "" {
		b = appendText(append(b, 3), r.Msg)
	}
	if r.Bool {
		b = append(b, 4, cborTrue)
	}
	if r.Int != 0 {
		b = appendInt(append(b, 5), int64(r.Int))
	}
	if r.Lease != "" {
		b = appendText(append(b, 6), r.Lease)
	}
	if r.Expires != 0 {
		b = appendInt(append(b, 7), r.Expires)
	}
	return b
}

// canonReader reads canonical CBOR items from a body; any departure sets bad.
type canonReader struct {
	b     []byte
	bad   bool
	names *nameCache // nil: every text is a new string
}

// nameCache holds the last few names a connection sent, so that an application naming itself and
// its part at every checkout does not cost two new strings each time.
type nameCache struct {
	s    [4]string
	next int

	// lease is the lease id the connection was given last: a release or renewal that follows a
	// checkout names it, and finds it here instead of costing a new string.
	lease string
}

func (c *nameCache) get(b []byte) string {
	for _, s := range c.s {
		if s == string(b) { // compared without allocating
			return s
		}
	}
	s := string(b)
	c.s[c.next] = s
	c.next = (c.next + 1) % len(c.s)
	return s
}

// head reads a head of the given major type in its shortest form and returns its argument.
func (r *canonReader) head(major byte) uint64 {
	if r.bad || len(r.b) == 0 || r.b[0]&0xe0 != major {
		r.bad = true
		return 0
	}
	ai := r.b[0] & 0x1f
	var v uint64
	var n int
	switch {
	case ai < 24:
		v, n = uint64(ai), 1
	case ai == 24 && len(r.b) >= 2:
		v, n = uint64(r.b[1]), 2
		r.bad = v < 24
	case ai == 25 && len(r.b) >= 3:
		v, n = uint64(binary.BigEndian.Uint16(r.b[1:])), 3
		r.bad = v <= math.MaxUint8
	case ai == 26 && len(r.b) >= 5:
		v, n = uint64(binary.BigEndian.Uint32(r.b[1:])), 5
		r.bad = v <= math.MaxUint16
	case ai == 27 && len(r.b) >= 9:
		v, n = binary.BigEndian.Uint64(r.b[1:]), 9
		r.bad = v <= math.MaxUint32
	default:
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *canonReader) text() string {
	n := r.head(cborText)
	if r.bad || n > uint64(len(r.b)) || !utf8.Valid(r.b[:n]) {
		r.bad = true
		return ""
	}
	var s string
	if r.names != nil && n <= maxNameLen {
		s = r.names.get(r.b[:n])
	} else {
		s = string(r.b[:n])
	}
	r.b = r.b[n:]
	return s
}

// leaseID reads a text like text, but looks only at the lease id the connection was given last
// (other lease ids are seldom sent twice).
func (r *canonReader) leaseID() string {
	n := r.head(cborText)
	if r.bad || n > uint64(len(r.b)) || !utf8.Valid(r.b[:n]) {
		r.bad = true
		return ""
	}
	b := r.b[:n]
	r.b = r.b[n:]
	if r.names != nil && r.names.lease == string(b) { // compared without allocating
		return r.names.lease
	}
	return string(b)
}

func (r *canonReader) bytes() []byte {
	n := r.head(cborBytes)
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	s := bytes.Clone(r.b[:n])
	if s == nil {
		s = []byte{}
	}
	r.b = r.b[n:]
	return s
}

// int64 reads an integer of either sign that fits an int64.
func (r *canonReader) int64() int64 {
	if r.bad || len(r.b) == 0 {
		r.bad = true
		return 0
	}
	if r.b[0]&0xe0 == cborNeg {
		v := r.head(cborNeg)
		if v > math.MaxInt64 {
			r.bad = true
			return 0
		}
		return -1 - int64(v)
	}
	v := r.head(cborUint)
	if v > math.MaxInt64 {
		r.bad = true
		return 0
	}
	return int64(v)
}

// int reads an integer that fits an int.
func (r *canonReader) int() int {
	v := r.int64()
	if int64(int(v)) != v {
		r.bad = true
		return 0
	}
	return int(v)
}

// mapHead reads the head of a map of at most maxKey entries.
func (r *canonReader) mapHead(maxKey uint64) uint64 {
	n := r.head(cborMap)
	if r.bad || n > maxKey {
		r.bad = true
		return 0
	}
	return n
}

// key reads the next key of a map of small keys, which must ascend after last and be at most
// maxKey.
func (r *canonReader) key(last, maxKey uint64) uint64 {
	k := r.head(cborUint)
	if r.bad || k <= last || k > maxKey {
		r.bad = true
		return 0
	}
	return k
}

// decodeRequestFast decodes a request in canonical form; ok is false for anything else. It is a
// loop without closures, so that nothing it decodes escapes but the strings.
func decodeRequestFast(body []byte, names *nameCache) (q request, ok bool) {
	r := canonReader{b: body, names: names}
	n := r.mapHead(7)
	last := uint64(0)
	for i := uint64(0); i < n && !r.bad; i++ {
		k := r.key(last, 7)
		last = k
		switch k {
		case 1:
			q.ID = r.head(cborUint)
		case 2:
			v := r.head(cborUint)
			r.bad = r.bad || v > math.MaxUint8
			q.Op = uint8(v)
		case 3:
			q.App = r.text()
		case 4:
			q.Part = r.text()
		case 5:
			q.N = r.int()
		case 6:
			q.Lease = r.leaseID()
		case 7:
			q.Token = r.bytes()
		}
	}
	if r.bad || len(r.b) != 0 {
		return request{}, false
	}
	return q, true
}

// decodeResponseFast decodes an answer without usage or status in canonical form; ok is false for
// anything else.
func decodeResponseFast(body []byte) (resp response, ok bool) {
	r := canonReader{b: body}
	n := r.mapHead(7)
	last := uint64(0)
	for i := uint64(0); i < n && !r.bad; i++ {
		k := r.key(last, 7)
		last = k
		switch k {
		case 1:
			resp.ID = r.head(cborUint)
		case 2:
			v := r.head(cborUint)
			r.bad = r.bad || v > math.MaxUint8
			resp.Err = uint8(v)
		case 3:
			resp.Msg = r.text()
		case 4:
			switch {
			case len(r.b) > 0 && r.b[0] == cborTrue:
				resp.Bool = true
			case len(r.b) > 0 && r.b[0] == cborFalse:
			default:
				r.bad = true
				continue
			}
			r.b = r.b[1:]
		case 5:
			resp.Int = r.int()
		case 6:
			resp.Lease = r.text()
		case 7:
			resp.Expires = r.int64()
		}
	}
	if r.bad || len(r.b) != 0 {
		return response{}, false
	}
	return resp, true
}
