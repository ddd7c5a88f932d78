package entitlement

import (
	"crypto/sha256"
	"math"
	"time"
	"unicode/utf8"

	"github.com/lmskit/lmskit/license"
)

// The records every operation reads and writes (the audit head and record, shipped and location
// lines, locations, users and partners) have an encoder and a decoder written out by hand here:
// the general CBOR codec works by reflection, and it was a sixth of an attach's CPU and most of
// the allocations of an activation. They write exactly the bytes the general codec writes (core
// deterministic encoding of the same struct tags: TestRecordCodec_SameBytes and the fuzz target
// FuzzRecordCodec hold them to it), so records written before and after read the same and the
// audit chain's hashes do not change.
//
// A decoder accepts only the form the encoders write: shortest heads, definite lengths, known
// keys once each, valid UTF-8, times as integers or null, nothing after the record. Anything else
// (a record written by hand, a damaged one) is left to the general decoder, which accepts or
// refuses it as it always did: dec gives the same result either way, and a record costs one
// allocation for its strings on the fast path.

// wbuf is an encoder's output.
type wbuf struct{ b []byte }

// head writes a data item head: major type and argument, in the shortest form.
func (w *wbuf) head(major byte, n uint64) {
	m := major << 5
	switch {
	case n < 24:
		w.b = append(w.b, m|byte(n))
	case n <= math.MaxUint8:
		w.b = append(w.b, m|24, byte(n))
	case n <= math.MaxUint16:
		w.b = append(w.b, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		w.b = append(w.b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		w.b = append(w.b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// mapStart begins a map of fewer than 24 pairs; mapEnd sets its size.
func (w *wbuf) mapStart() int { w.b = append(w.b, 0xa0); return len(w.b) - 1 }

func (w *wbuf) mapEnd(at, pairs int) { w.b[at] = 0xa0 | byte(pairs) }

// The field writers write a key (< 24) and its value and return 1, the pairs they added.

func (w *wbuf) uintField(k byte, n uint64) int {
	w.b = append(w.b, k)
	w.head(0, n)
	return 1
}

func (w *wbuf) intField(k byte, n int64) int {
	w.b = append(w.b, k)
	w.int(n)
	return 1
}

func (w *wbuf) int(n int64) {
	if n >= 0 {
		w.head(0, uint64(n))
	} else {
		w.head(1, uint64(-1-n))
	}
}

func (w *wbuf) strField(k byte, s string) int {
	w.b = append(w.b, k)
	w.str(s)
	return 1
}

func (w *wbuf) str(s string) {
	w.head(3, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wbuf) bytesField(k byte, b []byte) int {
	w.b = append(w.b, k)
	w.head(2, uint64(len(b)))
	w.b = append(w.b, b...)
	return 1
}

func (w *wbuf) boolField(k byte, v bool) int {
	if v {
		w.b = append(w.b, k, 0xf5)
	} else {
		w.b = append(w.b, k, 0xf4)
	}
	return 1
}

// timeField writes a time as whole seconds since the epoch, the zero time as null (the general
// codec's TimeUnix form).
func (w *wbuf) timeField(k byte, t time.Time) int {
	w.b = append(w.b, k)
	if t.IsZero() {
		w.b = append(w.b, 0xf6)
	} else {
		w.int(t.Unix())
	}
	return 1
}

func (w *wbuf) strsField(k byte, ss []string) int {
	w.b = append(w.b, k)
	w.head(4, uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
	return 1
}

// rbuf is a decoder's input; s is the record as a string, the one allocation text fields share.
// bad is set by the first thing the fast path does not take.
type rbuf struct {
	b   []byte
	s   string
	i   int
	bad bool
}

// head reads a data item head in the shortest form (nothing indefinite or reserved).
func (r *rbuf) head() (major byte, n uint64) {
	if r.bad || r.i >= len(r.b) {
		r.bad = true
		return 0, 0
	}
	c := r.b[r.i]
	r.i++
	major, ai := c>>5, c&0x1f
	var size int
	switch {
	case ai < 24:
		return major, uint64(ai)
	case ai == 24:
		size = 1
	case ai == 25:
		size = 2
	case ai == 26:
		size = 4
	case ai == 27:
		size = 8
	default:
		r.bad = true
		return 0, 0
	}
	if len(r.b)-r.i < size {
		r.bad = true
		return 0, 0
	}
	for _, c := range r.b[r.i : r.i+size] {
		n = n<<8 | uint64(c)
	}
	r.i += size
	// Shortest form only: a longer head than needed is the general decoder's business.
	if n < 24 || size > 1 && n>>(8*size/2) == 0 {
		r.bad = true
	}
	return major, n
}

// peek reports whether the next byte is c, and takes it if so.
func (r *rbuf) take(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *rbuf) uint() uint64 {
	m, n := r.head()
	if m != 0 {
		r.bad = true
	}
	return n
}

func (r *rbuf) int() int64 {
	m, n := r.head()
	if n > math.MaxInt64 || m > 1 {
		r.bad = true
		return 0
	}
	if m == 1 {
		return -1 - int64(n)
	}
	return int64(n)
}

func (r *rbuf) small() uint8 {
	n := r.uint()
	if n > math.MaxUint8 {
		r.bad = true
	}
	return uint8(n)
}

func (r *rbuf) str() string {
	m, n := r.head()
	if m != 3 || n > uint64(len(r.b)-r.i) {
		r.bad = true
		return ""
	}
	s := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	if !utf8.ValidString(s) {
		r.bad = true
	}
	return s
}

func (r *rbuf) bytes() []byte {
	m, n := r.head()
	if m != 2 || n > uint64(len(r.b)-r.i) {
		r.bad = true
		return nil
	}
	b := append([]byte{}, r.b[r.i:r.i+int(n)]...)
	r.i += int(n)
	return b
}

func (r *rbuf) bool() bool {
	switch {
	case r.take(0xf5):
		return true
	case r.take(0xf4):
		return false
	}
	r.bad = true
	return false
}

func (r *rbuf) time() time.Time {
	if r.take(0xf6) {
		return time.Time{}
	}
	return time.Unix(r.int(), 0).UTC()
}

// count reads an array or map head and checks that its items can be there.
func (r *rbuf) count(major byte) int {
	m, n := r.head()
	if m != major || n > uint64(len(r.b)-r.i) {
		r.bad = true
		return 0
	}
	return int(n)
}

func (r *rbuf) strs() []string {
	n := r.count(4)
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

// fields reads a map's head and calls f for each key (each below 32, at most once) until f or the
// input goes wrong.
func (r *rbuf) fields(f func(k uint64)) {
	n := r.count(5)
	var seen uint32
	for range n {
		k := r.uint()
		if r.bad || k >= 32 || seen&(1<<k) != 0 {
			r.bad = true
			return
		}
		seen |= 1 << k
		f(k)
		if r.bad {
			return
		}
	}
}

// fast decodes b into *v with f, leaving *v as it was unless the whole of b is in the fast form.
func fast[T any](b []byte, v *T, f func(*rbuf, *T)) bool {
	t := *v
	r := rbuf{b: b, s: string(b)}
	f(&r, &t)
	if r.bad || r.i != len(b) {
		return false
	}
	*v = t
	return true
}

// encFast returns the encoding of the records written out here; ok is false for any other type.
func encFast(v any) (b []byte, ok bool) {
	w := wbuf{b: make([]byte, 0, 128)}
	if !encInto(&w, v) {
		return nil, false
	}
	return w.b, true
}

// encInto appends the encoding of a record written out here to w; false for any other type.
func encInto(w *wbuf, v any) bool {
	switch x := v.(type) {
	case Line:
		encLine(w, &x)
	case *Line:
		encLine(w, x)
	case ShippedLine:
		encShipped(w, &x)
	case *ShippedLine:
		encShipped(w, x)
	case Location:
		encLocation(w, &x)
	case *Location:
		encLocation(w, x)
	case User:
		encUser(w, &x)
	case *User:
		encUser(w, x)
	case Partner:
		encPartner(w, &x)
	case *Partner:
		encPartner(w, x)
	case auditHead:
		encHead(w, &x)
	case *auditHead:
		encHead(w, x)
	case AuditRecord:
		encAudit(w, &x, true)
	case *AuditRecord:
		encAudit(w, x, true)
	default:
		return false
	}
	return true
}

// decFast decodes the records written out here; ok is false when b is not in their fast form or v
// is another type (the general decoder then decides).
func decFast(b []byte, v any) bool {
	switch x := v.(type) {
	case *Line:
		return fast(b, x, decLine)
	case *ShippedLine:
		return fast(b, x, decShipped)
	case *Location:
		return fast(b, x, decLocation)
	case *User:
		return fast(b, x, decUser)
	case *Partner:
		return fast(b, x, decPartner)
	case *auditHead:
		return fast(b, x, decHead)
	case *AuditRecord:
		return fast(b, x, decAudit)
	}
	return false
}

func encLine(w *wbuf, ln *Line) {
	at, n := w.mapStart(), 0
	n += w.strField(1, ln.SKC)
	n += w.strField(2, ln.Location)
	n += w.uintField(3, ln.Source)
	n += w.strField(4, ln.Part)
	n += w.intField(5, ln.Qty)
	n += w.uintField(6, uint64(ln.State))
	n += w.strField(7, ln.PO)
	n += w.strField(8, ln.SO)
	n += w.strField(9, ln.Partner)
	n += w.timeField(10, ln.AttachedAt)
	n += w.timeField(11, ln.ActivatedAt) // omitempty keeps a time
	n += w.uintField(12, ln.Recent)
	if ln.MigratedFrom != "" {
		n += w.strField(13, ln.MigratedFrom)
	}
	if ln.Type != "" {
		n += w.strField(14, string(ln.Type))
	}
	if !ln.NotAfter.IsZero() {
		n += w.timeField(15, ln.NotAfter)
	}
	if !ln.EndedAt.IsZero() {
		n += w.timeField(16, ln.EndedAt)
	}
	w.mapEnd(at, n)
}

func decLine(r *rbuf, ln *Line) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			ln.SKC = r.str()
		case 2:
			ln.Location = r.str()
		case 3:
			ln.Source = r.uint()
		case 4:
			ln.Part = r.str()
		case 5:
			ln.Qty = r.int()
		case 6:
			ln.State = LineState(r.small())
		case 7:
			ln.PO = r.str()
		case 8:
			ln.SO = r.str()
		case 9:
			ln.Partner = r.str()
		case 10:
			ln.AttachedAt = r.time()
		case 11:
			ln.ActivatedAt = r.time()
		case 12:
			ln.Recent = r.uint()
		case 13:
			ln.MigratedFrom = r.str()
		case 14:
			ln.Type = license.EntitlementType(r.str())
		case 15:
			ln.NotAfter = r.time()
		case 16:
			ln.EndedAt = r.time()
		default:
			r.bad = true
		}
	})
}

func encShipped(w *wbuf, s *ShippedLine) {
	at, n := w.mapStart(), 0
	n += w.uintField(1, s.ID)
	n += w.strField(2, s.Partner)
	n += w.strField(3, s.PO)
	n += w.strField(4, s.SO)
	n += w.strField(5, s.Part)
	n += w.intField(6, s.Shipped)
	n += w.intField(7, s.InBin)
	n += w.intField(8, s.Attached)
	n += w.intField(9, s.Activated)
	n += w.intField(10, s.ReshippedOut)
	n += w.intField(11, s.Returned)
	if s.Parent != 0 {
		n += w.uintField(12, s.Parent)
	}
	n += w.timeField(13, s.ShippedAt)
	if s.Type != "" {
		n += w.strField(14, string(s.Type))
	}
	if !s.NotAfter.IsZero() {
		n += w.timeField(15, s.NotAfter)
	}
	if s.Revoked != 0 {
		n += w.intField(16, s.Revoked)
	}
	if s.Cancelled != 0 {
		n += w.intField(17, s.Cancelled)
	}
	w.mapEnd(at, n)
}

func decShipped(r *rbuf, s *ShippedLine) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			s.ID = r.uint()
		case 2:
			s.Partner = r.str()
		case 3:
			s.PO = r.str()
		case 4:
			s.SO = r.str()
		case 5:
			s.Part = r.str()
		case 6:
			s.Shipped = r.int()
		case 7:
			s.InBin = r.int()
		case 8:
			s.Attached = r.int()
		case 9:
			s.Activated = r.int()
		case 10:
			s.ReshippedOut = r.int()
		case 11:
			s.Returned = r.int()
		case 12:
			s.Parent = r.uint()
		case 13:
			s.ShippedAt = r.time()
		case 14:
			s.Type = license.EntitlementType(r.str())
		case 15:
			s.NotAfter = r.time()
		case 16:
			s.Revoked = r.int()
		case 17:
			s.Cancelled = r.int()
		default:
			r.bad = true
		}
	})
}

func encLocation(w *wbuf, l *Location) {
	at, n := w.mapStart(), 0
	n += w.strField(1, l.ID)
	n += w.strField(2, l.Customer)
	n += w.strField(3, l.Partner)
	if l.Parent != "" {
		n += w.strField(4, l.Parent)
	}
	n += w.strField(5, l.Name)
	if l.Address != "" {
		n += w.strField(6, l.Address)
	}
	n += w.strField(7, l.System)
	n += w.strField(8, l.HWKC)
	if l.SecondaryHWKC != "" {
		n += w.strField(9, l.SecondaryHWKC)
	}
	if l.Reference != "" {
		n += w.strField(10, l.Reference)
	}
	if l.CustomerEmail != "" {
		n += w.strField(11, l.CustomerEmail)
	}
	if l.DealerEmail != "" {
		n += w.strField(12, l.DealerEmail)
	}
	if len(l.Verticals) > 0 {
		n += w.strsField(13, l.Verticals)
	}
	n += w.intField(14, int64(l.DemosLeft))
	if l.FileSerial != 0 {
		n += w.uintField(15, l.FileSerial)
	}
	n += w.timeField(16, l.Created)
	if len(l.Attrs) > 0 {
		w.b = append(w.b, 17)
		w.head(4, uint64(len(l.Attrs)))
		for _, a := range l.Attrs {
			w.b = append(w.b, 0xa2)
			w.strField(1, a.Name)
			w.strField(2, a.Value)
		}
		n++
	}
	if len(l.FormerHWKC) > 0 {
		n += w.strsField(18, l.FormerHWKC)
	}
	if l.Imported {
		n += w.boolField(19, true)
	}
	w.mapEnd(at, n)
}

func decLocation(r *rbuf, l *Location) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			l.ID = r.str()
		case 2:
			l.Customer = r.str()
		case 3:
			l.Partner = r.str()
		case 4:
			l.Parent = r.str()
		case 5:
			l.Name = r.str()
		case 6:
			l.Address = r.str()
		case 7:
			l.System = r.str()
		case 8:
			l.HWKC = r.str()
		case 9:
			l.SecondaryHWKC = r.str()
		case 10:
			l.Reference = r.str()
		case 11:
			l.CustomerEmail = r.str()
		case 12:
			l.DealerEmail = r.str()
		case 13:
			l.Verticals = r.strs()
		case 14:
			n := r.int()
			if int64(int(n)) != n {
				r.bad = true
			}
			l.DemosLeft = int(n)
		case 15:
			l.FileSerial = r.uint()
		case 16:
			l.Created = r.time()
		case 17:
			l.Attrs = make([]Attr, r.count(4))
			for i := range l.Attrs {
				a := &l.Attrs[i]
				r.fields(func(k uint64) {
					switch k {
					case 1:
						a.Name = r.str()
					case 2:
						a.Value = r.str()
					default:
						r.bad = true
					}
				})
			}
		case 18:
			l.FormerHWKC = r.strs()
		case 19:
			l.Imported = r.bool()
		default:
			r.bad = true
		}
	})
}

func encUser(w *wbuf, u *User) {
	w.b = append(w.b, 0xa4)
	w.strField(1, u.ID)
	w.strField(2, u.Name)
	w.strField(3, u.Partner)
	w.uintField(4, uint64(u.Roles))
}

func decUser(r *rbuf, u *User) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			u.ID = r.str()
		case 2:
			u.Name = r.str()
		case 3:
			u.Partner = r.str()
		case 4:
			u.Roles = Role(r.small())
		default:
			r.bad = true
		}
	})
}

func encPartner(w *wbuf, p *Partner) {
	w.b = append(w.b, 0xa3)
	w.strField(1, p.ID)
	w.strField(2, p.Name)
	w.uintField(3, uint64(p.Kind))
}

func decPartner(r *rbuf, p *Partner) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			p.ID = r.str()
		case 2:
			p.Name = r.str()
		case 3:
			p.Kind = PartnerKind(r.small())
		default:
			r.bad = true
		}
	})
}

func encHead(w *wbuf, h *auditHead) {
	at, n := w.mapStart(), 0
	n += w.uintField(1, h.Seq)
	n += w.bytesField(2, h.Hash)
	if h.Actors != 0 {
		n += w.uintField(3, h.Actors)
	}
	if h.Line != 0 {
		n += w.uintField(4, h.Line)
	}
	if h.Recent != 0 {
		n += w.uintField(5, h.Recent)
	}
	w.mapEnd(at, n)
}

func decHead(r *rbuf, h *auditHead) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			h.Seq = r.uint()
		case 2:
			h.Hash = r.bytes()
		case 3:
			h.Actors = r.uint()
		case 4:
			h.Line = r.uint()
		case 5:
			h.Recent = r.uint()
		default:
			r.bad = true
		}
	})
}

// encAudit writes an audit record; withHash false leaves out its Hash (what the hash covers).
func encAudit(w *wbuf, a *AuditRecord, withHash bool) {
	at, n := w.mapStart(), 0
	n += encAuditBody(w, a)
	if withHash && len(a.Hash) > 0 {
		n += w.bytesField(10, a.Hash)
	}
	if len(a.Notes) > 0 {
		n += w.strsField(11, a.Notes)
	}
	w.mapEnd(at, n)
}

// encAuditBody writes the fields 1 to 9 of an audit record.
func encAuditBody(w *wbuf, a *AuditRecord) int {
	n := 0
	n += w.uintField(1, a.Seq)
	n += w.timeField(2, a.Time)
	n += w.strField(3, a.User)
	if a.As != "" {
		n += w.strField(4, a.As)
	}
	n += w.strField(5, a.Partner)
	n += w.strField(6, a.Op)
	if len(a.Refs) > 0 {
		n += w.strsField(7, a.Refs)
	}
	if len(a.Changes) > 0 {
		w.b = append(w.b, 8)
		w.head(4, uint64(len(a.Changes)))
		for i := range a.Changes {
			c := &a.Changes[i]
			w.b = append(w.b, 0xa4)
			w.uintField(1, c.Line)
			w.strField(2, c.Part)
			w.b = append(w.b, 3)
			encQty(w, &c.Before)
			w.b = append(w.b, 4)
			encQty(w, &c.After)
		}
		n++
	}
	n += w.bytesField(9, a.Prev)
	return n
}

func encQty(w *wbuf, q *Qty) {
	at, n := w.mapStart(), 0
	n += w.intField(1, q.Shipped)
	n += w.intField(2, q.InBin)
	n += w.intField(3, q.Attached)
	n += w.intField(4, q.Activated)
	n += w.intField(5, q.ReshippedOut)
	n += w.intField(6, q.Returned)
	if q.Revoked != 0 {
		n += w.intField(7, q.Revoked)
	}
	if q.Cancelled != 0 {
		n += w.intField(8, q.Cancelled)
	}
	w.mapEnd(at, n)
}

func decAudit(r *rbuf, a *AuditRecord) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			a.Seq = r.uint()
		case 2:
			a.Time = r.time()
		case 3:
			a.User = r.str()
		case 4:
			a.As = r.str()
		case 5:
			a.Partner = r.str()
		case 6:
			a.Op = r.str()
		case 7:
			a.Refs = r.strs()
		case 8:
			a.Changes = make([]QtyChange, r.count(4))
			for i := range a.Changes {
				c := &a.Changes[i]
				r.fields(func(k uint64) {
					switch k {
					case 1:
						c.Line = r.uint()
					case 2:
						c.Part = r.str()
					case 3:
						decQty(r, &c.Before)
					case 4:
						decQty(r, &c.After)
					default:
						r.bad = true
					}
				})
			}
		case 9:
			a.Prev = r.bytes()
		case 10:
			a.Hash = r.bytes()
		case 11:
			a.Notes = r.strs()
		default:
			r.bad = true
		}
	})
}

func decQty(r *rbuf, q *Qty) {
	r.fields(func(k uint64) {
		switch k {
		case 1:
			q.Shipped = r.int()
		case 2:
			q.InBin = r.int()
		case 3:
			q.Attached = r.int()
		case 4:
			q.Activated = r.int()
		case 5:
			q.ReshippedOut = r.int()
		case 6:
			q.Returned = r.int()
		case 7:
			q.Revoked = r.int()
		case 8:
			q.Cancelled = r.int()
		default:
			r.bad = true
		}
	})
}

// sealAudit sets r.Hash (over the record without it, keyed as recordHash says) and returns the
// record's encoding with it: the record is encoded once for both.
func sealAudit(key []byte, r *AuditRecord) []byte {
	w := wbuf{b: make([]byte, 0, 256)}
	at, n := w.mapStart(), 0
	n += encAuditBody(&w, r)
	body := len(w.b)
	if len(r.Notes) > 0 {
		n += w.strsField(11, r.Notes)
	}
	w.mapEnd(at, n)
	h := auditMAC(key)
	h.Write([]byte(auditDomain))
	h.Write(w.b)
	r.Hash = h.Sum(make([]byte, 0, sha256.Size))
	out := wbuf{b: make([]byte, 0, len(w.b)+3+len(r.Hash))}
	out.b = append(out.b, 0xa0|byte(n+1))
	out.b = append(out.b, w.b[1:body]...)
	out.bytesField(10, r.Hash)
	out.b = append(out.b, w.b[body:]...)
	return out.b
}
