package signing

import (
	"bytes"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/lmskit/lmskit/internal/cborx"
)

// decMode is the strict decoding mode every message passes before it is read: it rejects indefinite
// lengths, trailing bytes and invalid heads, and caps nesting, array length and map size, so that the
// hand-written reader below only ever walks well-formed, bounded input.
var decMode = cborx.MustDecMode(cborx.Limits{MaxNested: 16, MaxArray: 256, MaxMap: 64})

// sign1 is a parsed COSE_Sign1 message. Its byte slices alias the input.
type sign1 struct {
	protected []byte // the protected header's serialized map, exactly as received
	payload   []byte
	signature []byte
	tagged    bool
	unprotLen int // length of the unprotected header map's encoding
	hdr       headers
}

// canonical reports whether msg's unsigned envelope is exactly what Sign1 writes: tag 18, shortest
// heads, an empty unprotected map. With those fixed, the length decides: any longer head, any
// unprotected label or a missing tag changes it.
func (m *sign1) canonical(msg []byte) bool {
	want := 1 + 1 + headLen(uint64(len(m.protected))) + len(m.protected) + 1 +
		headLen(uint64(len(m.payload))) + len(m.payload) + headLen(uint64(len(m.signature))) + len(m.signature)
	return m.tagged && m.unprotLen == 1 && len(msg) == want
}

// headers is what verification needs from the two header buckets.
type headers struct {
	alg         int64
	algSet      bool // alg present in the protected bucket as an integer
	algText     bool // alg present in the protected bucket as a text string
	algUnprot   bool // alg present only in the unprotected bucket
	kid         []byte
	kidSet      bool
	ctText      []byte
	ctNum       int
	ctSet       bool
	ctIsText    bool
	nLabels     int
	labels      [2 * maxHeaderLabels]label
	nProtLabels int
	critical    []byte // raw crit array, when present
	critBase    int    // its offset in the message
	critIsSet   bool
}

// maxHeaderLabels is the most labels one header bucket may hold (the decode mode's map cap).
const maxHeaderLabels = 64

// label is a header label: an integer (major type 0 or 1 with its argument) or a text string.
type label struct {
	major byte
	arg   uint64
	text  []byte
}

func (l label) equal(m label) bool {
	return l.major == m.major && l.arg == m.arg && bytes.Equal(l.text, m.text)
}

func (l label) isInt(v int64) bool {
	if v >= 0 {
		return l.major == majorUint && l.arg == uint64(v)
	}
	return l.major == majorNeg && l.arg == uint64(-(v+1))
}

func (l label) String() string {
	switch l.major {
	case majorUint:
		return fmt.Sprintf("%d", l.arg)
	case majorNeg:
		if l.arg < math.MaxInt64 {
			return fmt.Sprintf("%d", -1-int64(l.arg))
		}
		return fmt.Sprintf("-1-%d", l.arg)
	}
	return fmt.Sprintf("%q", truncate(string(l.text)))
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// parseSign1 reads a COSE_Sign1 message, tagged (18) or not, into m. It checks structure only: types,
// lengths, header label rules (no duplicates within or across buckets, crit only protected and
// understood); it does not look up keys or check the algorithm against one.
func parseSign1(msg []byte, m *sign1) error {
	if len(msg) == 0 {
		return malformed("empty message")
	}
	if len(msg) > MaxMessageSize {
		return malformed("message is %d bytes, over the %d-byte limit", len(msg), MaxMessageSize)
	}
	if err := decMode.Wellformed(msg); err != nil {
		return malformed("not well-formed CBOR: %v", err)
	}
	r := reader{b: msg}
	major, arg, err := r.head()
	if err != nil {
		return err
	}
	if major == majorTag {
		if arg != tagSign1 {
			return malformed("tag %d at offset 0, want %d (COSE_Sign1) or none", arg, tagSign1)
		}
		m.tagged = true
		if major, arg, err = r.head(); err != nil {
			return err
		}
	}
	if major != majorArray {
		return malformed("COSE_Sign1 is %s, want an array of 4", majorName(major))
	}
	if arg != 4 {
		return malformed("COSE_Sign1 array has %d elements, want 4", arg)
	}

	at := r.off
	if m.protected, err = r.bytes("protected header"); err != nil {
		return err
	}
	protBase := r.off - len(m.protected)
	// The protected bucket is a serialized map; a zero-length string stands for the empty map.
	if len(m.protected) > 0 {
		if err := decMode.Wellformed(m.protected); err != nil {
			return malformed("protected header at offset %d is not well-formed CBOR: %v", at, err)
		}
		pr := reader{b: m.protected, base: protBase}
		if err := m.hdr.readBucket(&pr, true); err != nil {
			return err
		}
	}
	at = r.off
	if err := m.hdr.readBucket(&r, false); err != nil {
		return err
	}
	m.unprotLen = r.off - at

	at = r.off
	major, arg, err = r.head()
	if err != nil {
		return err
	}
	switch major {
	case majorBytes:
		if m.payload, err = r.take(arg); err != nil {
			return err
		}
	case majorSimple:
		if arg == 22 {
			return malformed("detached payload (nil) is not supported")
		}
		fallthrough
	default:
		return malformed("payload at offset %d is %s, want a byte string", at, majorName(major))
	}
	if m.signature, err = r.bytes("signature"); err != nil {
		return err
	}
	if r.off != len(r.b) {
		return malformed("%d bytes after the message", len(r.b)-r.off)
	}
	return m.hdr.checkCritical()
}

// readBucket reads one header map from r. protected says which bucket it is.
func (h *headers) readBucket(r *reader, protected bool) error {
	which := "unprotected"
	if protected {
		which = "protected"
	}
	at := r.pos()
	major, n, err := r.head()
	if err != nil {
		return err
	}
	if major != majorMap {
		return malformed("%s header at offset %d is %s, want a map", which, at, majorName(major))
	}
	if n > maxHeaderLabels {
		return malformed("%s header has %d labels, over the limit of %d", which, n, maxHeaderLabels)
	}
	first := h.nLabels
	for i := uint64(0); i < n; i++ {
		at := r.pos()
		lmajor, larg, err := r.head()
		if err != nil {
			return err
		}
		l := label{major: lmajor, arg: larg}
		switch lmajor {
		case majorUint, majorNeg:
		case majorText:
			if l.text, err = r.take(larg); err != nil {
				return err
			}
			if !utf8.Valid(l.text) {
				return malformed("%s header label at offset %d is not valid UTF-8", which, at)
			}
			l.arg = 0
		default:
			return malformed("%s header label at offset %d is %s, want an integer or text string", which, at, majorName(lmajor))
		}
		for j := 0; j < h.nLabels; j++ {
			if h.labels[j].equal(l) {
				if j >= first {
					return malformed("%s header repeats label %v", which, l)
				}
				return malformed("header label %v is in both the protected and unprotected header", l)
			}
		}
		h.labels[h.nLabels] = l
		h.nLabels++

		vat := r.pos()
		if lmajor != majorUint || larg > labelKID {
			if err := r.skip(0); err != nil {
				return err
			}
			continue
		}
		switch larg {
		case labelAlg:
			vmajor, varg, err := r.head()
			if err != nil {
				return err
			}
			var alg int64
			isText := false
			switch {
			case vmajor == majorUint && varg <= math.MaxInt64:
				alg = int64(varg)
			case vmajor == majorNeg && varg <= math.MaxInt64:
				alg = -1 - int64(varg)
			case vmajor == majorUint || vmajor == majorNeg:
				alg = math.MinInt64 // beyond int64: no registered algorithm
			case vmajor == majorText:
				if _, err := r.take(varg); err != nil {
					return err
				}
				isText = true
			default:
				return malformed("alg at offset %d is %s, want an integer or text string", vat, majorName(vmajor))
			}
			switch {
			case !protected:
				h.algUnprot = true
			case isText:
				h.algText = true
			default:
				h.alg, h.algSet = alg, true
			}
		case labelCrit:
			if !protected {
				return malformed("crit (label 2) is in the unprotected header; it must be protected")
			}
			start := r.off
			if err := r.skip(0); err != nil {
				return err
			}
			h.critical = r.b[start:r.off]
			h.critBase = r.base + start
			h.critIsSet = true
		case labelContentType:
			vmajor, varg, err := r.head()
			if err != nil {
				return err
			}
			switch vmajor {
			case majorUint:
				if varg > math.MaxUint16 {
					return malformed("content type %d at offset %d is over 65535", varg, vat)
				}
				h.ctNum = int(varg)
			case majorText:
				if h.ctText, err = r.take(varg); err != nil {
					return err
				}
				if !utf8.Valid(h.ctText) {
					return malformed("content type at offset %d is not valid UTF-8", vat)
				}
				h.ctIsText = true
			default:
				return malformed("content type at offset %d is %s, want an unsigned integer or text string", vat, majorName(vmajor))
			}
			h.ctSet = true
		case labelKID:
			vmajor, varg, err := r.head()
			if err != nil {
				return err
			}
			if vmajor != majorBytes {
				return malformed("kid at offset %d is %s, want a byte string", vat, majorName(vmajor))
			}
			if h.kid, err = r.take(varg); err != nil {
				return err
			}
			h.kidSet = true
		default: // label 0: reserved, value skipped
			if err := r.skip(0); err != nil {
				return err
			}
		}
	}
	if protected {
		if r.off != len(r.b) {
			return malformed("%d bytes after the protected header map", len(r.b)-r.off)
		}
		h.nProtLabels = h.nLabels
	}
	return nil
}

// understood are the header labels this package processes; only these may be listed in crit.
var understood = [...]int64{labelAlg, labelCrit, labelContentType, labelKID}

// checkCritical enforces crit (RFC 9052 section 3.1): a non-empty array of labels, each present in the
// protected header and understood here.
func (h *headers) checkCritical() error {
	if !h.critIsSet {
		return nil
	}
	r := reader{b: h.critical, base: h.critBase}
	major, n, err := r.head()
	if err != nil {
		return err
	}
	if major != majorArray || n == 0 {
		return malformed("crit is %s of %d, want a non-empty array of labels", majorName(major), n)
	}
	for i := uint64(0); i < n; i++ {
		lmajor, larg, err := r.head()
		if err != nil {
			return err
		}
		l := label{major: lmajor, arg: larg}
		switch lmajor {
		case majorUint, majorNeg:
		case majorText:
			if l.text, err = r.take(larg); err != nil {
				return err
			}
			l.arg = 0
		default:
			return malformed("crit lists %s, want integer or text labels", majorName(lmajor))
		}
		found := false
		for j := 0; j < h.nProtLabels; j++ {
			if h.labels[j].equal(l) {
				found = true
				break
			}
		}
		if !found {
			return malformed("crit lists label %v, which is not in the protected header", l)
		}
		ok := false
		for _, u := range understood {
			if l.isInt(u) {
				ok = true
				break
			}
		}
		if !ok {
			return malformed("critical header label %v is not understood", l)
		}
	}
	return nil
}

// reader walks CBOR that decMode has already found well-formed; it still checks every bound itself.
// Offsets in its errors are base+off: positions in the whole message.
type reader struct {
	b    []byte
	off  int
	base int // offset of b[0] in the message
}

func (r *reader) pos() int { return r.base + r.off }

// head reads one initial byte and its argument. Indefinite lengths and reserved values are errors.
func (r *reader) head() (major byte, arg uint64, err error) {
	if r.off >= len(r.b) {
		return 0, 0, malformed("truncated at offset %d", r.pos())
	}
	ib := r.b[r.off]
	major, ai := ib&0xe0, ib&0x1f
	r.off++
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	default:
		return 0, 0, malformed("indefinite length or reserved value at offset %d", r.pos()-1)
	}
	if len(r.b)-r.off < n {
		return 0, 0, malformed("truncated at offset %d", r.pos())
	}
	for _, c := range r.b[r.off : r.off+n] {
		arg = arg<<8 | uint64(c)
	}
	r.off += n
	return major, arg, nil
}

// take returns the next n bytes.
func (r *reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.off) {
		return nil, malformed("string of %d bytes at offset %d runs past the end", n, r.pos())
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

// bytes reads a byte string.
func (r *reader) bytes(what string) ([]byte, error) {
	at := r.pos()
	major, n, err := r.head()
	if err != nil {
		return nil, err
	}
	if major != majorBytes {
		return nil, malformed("%s at offset %d is %s, want a byte string", what, at, majorName(major))
	}
	return r.take(n)
}

// maxSkipDepth bounds recursion in skip, matching the decode mode's nesting limit.
const maxSkipDepth = 16

// skip steps over one data item, checking text strings for valid UTF-8.
func (r *reader) skip(depth int) error {
	if depth > maxSkipDepth {
		return malformed("nested deeper than %d at offset %d", maxSkipDepth, r.pos())
	}
	at := r.pos()
	major, arg, err := r.head()
	if err != nil {
		return err
	}
	switch major {
	case majorUint, majorNeg, majorSimple:
		return nil
	case majorBytes:
		_, err := r.take(arg)
		return err
	case majorText:
		s, err := r.take(arg)
		if err != nil {
			return err
		}
		if !utf8.Valid(s) {
			return malformed("text string at offset %d is not valid UTF-8", at)
		}
		return nil
	case majorArray, majorMap:
		items := arg
		if major == majorMap {
			if arg > math.MaxUint64/2 {
				return malformed("map at offset %d is too large", at)
			}
			items = 2 * arg
		}
		if items > uint64(len(r.b)-r.off) { // every item takes at least one byte
			return malformed("%s at offset %d runs past the end", majorName(major), at)
		}
		for i := uint64(0); i < items; i++ {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	// majorTag
	return r.skip(depth + 1)
}

func majorName(major byte) string {
	switch major {
	case majorUint:
		return "an unsigned integer"
	case majorNeg:
		return "a negative integer"
	case majorBytes:
		return "a byte string"
	case majorText:
		return "a text string"
	case majorArray:
		return "an array"
	case majorMap:
		return "a map"
	case majorTag:
		return "a tag"
	}
	return "a simple value or float"
}
