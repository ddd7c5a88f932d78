package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/lmskit/lmskit/entitlement"
)

// decode reads the request body into v: one JSON value, no unknown fields, nothing after it. A
// syntax or type error is a malformed request naming the field and the byte position.
func (c *call) decode(v any) error {
	if len(c.body) == 0 {
		if c.rt.optionalIn {
			return nil
		}
		return &apiError{status: 400, kind: "malformed", detail: "the request body is empty: send a JSON object"}
	}
	return decodeJSON(c.body, v)
}

// decodeJSON is the strict decoder of every request body: one JSON value, no unknown field, no
// key twice in an object (encoding/json would keep the last, where another reader of the same
// body may take the first), nothing after it.
func decodeJSON(body []byte, v any) error {
	if err := uniqueKeys(body); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return jsonError(err)
	}
	for pos := int(d.InputOffset()); pos < len(body); pos++ {
		if c := body[pos]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return &apiError{status: 400, kind: "malformed", detail: "data after the JSON value", position: &pos}
		}
	}
	return nil
}

// maxDepth is how deep a request body's values may nest.
const maxDepth = 32

// uniqueKeys refuses a body whose objects name a field twice, or that nests deeper than
// maxDepth. Two keys name one field when encoding/json would fill the same field from both: the
// same text once unescaped, compared without case as encoding/json matches names (ASCII letters
// and Unicode's simple case folding). It reads the bytes once, allocating nothing for the small
// objects requests are made of; a syntax error is left to the decoder, which reports it with its
// position.
func uniqueKeys(body []byte) error {
	type frame struct {
		object bool
		first  int             // the object's keys are keys[first:]
		big    map[string]bool // the folded keys of an object past smallObject keys
	}
	const smallObject = 16
	var stackArr [maxDepth]frame
	var keysArr [64][2]int
	stack, keys := stackArr[:0], keysArr[:0]
	expectKey := false
	for i := 0; i < len(body); {
		switch body[i] {
		case '{', '[':
			if len(stack) == maxDepth {
				pos := i
				return &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("JSON nested deeper than %d", maxDepth), position: &pos}
			}
			stack = append(stack, frame{object: body[i] == '{', first: len(keys)})
			expectKey = body[i] == '{'
			i++
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			keys = keys[:stack[len(stack)-1].first]
			stack = stack[:len(stack)-1]
			expectKey = false
			i++
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
			i++
		case '"':
			end := stringEnd(body, i)
			if end < 0 {
				return nil
			}
			if expectKey {
				top := &stack[len(stack)-1]
				key := body[i:end]
				dup := false
				if n := len(keys) - top.first; n < smallObject {
					for _, k := range keys[top.first:] {
						if sameName(body[k[0]:k[1]], key) {
							dup = true
							break
						}
					}
				} else {
					if top.big == nil {
						top.big = make(map[string]bool, 2*smallObject)
						for _, k := range keys[top.first:] {
							top.big[foldedName(body[k[0]:k[1]])] = true
						}
					}
					f := foldedName(key)
					dup = top.big[f]
					top.big[f] = true
				}
				if dup {
					pos := i
					name := foldedName(key)
					_ = json.Unmarshal(key, &name)
					return &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("key %q names a field already given in this object", name), field: name, position: &pos}
				}
				keys = append(keys, [2]int{i, end})
				expectKey = false
			}
			i = end
		default:
			i++
		}
	}
	return nil
}

// stringEnd returns the index after the JSON string starting at body[i] (a quote), or -1 when it
// does not end.
func stringEnd(body []byte, i int) int {
	for j := i + 1; j < len(body); j++ {
		switch body[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// sameName reports whether two quoted JSON keys name the same field for encoding/json.
func sameName(a, b []byte) bool {
	if plainASCII(a) && plainASCII(b) {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if upperASCII(a[i]) != upperASCII(b[i]) {
				return false
			}
		}
		return true
	}
	return foldedName(a) == foldedName(b)
}

func plainASCII(q []byte) bool {
	for _, c := range q {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// foldedName is a quoted JSON key unescaped and folded as encoding/json matches field names:
// ASCII letters upper case, any other letter the smallest rune of its simple case folding orbit.
func foldedName(q []byte) string {
	var s string
	if json.Unmarshal(q, &s) != nil {
		s = string(q)
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			out = append(out, upperASCII(byte(r)))
			continue
		}
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out = utf8.AppendRune(out, least)
	}
	return string(out)
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		pos := max(0, int(se.Offset)-1) // the offending byte: the decoder read Offset bytes
		return &apiError{status: 400, kind: "malformed", detail: "JSON syntax: " + se.Error(), position: &pos}
	case errors.As(err, &te):
		pos := int(te.Offset)
		return &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("field %s: want %s, got JSON %s", te.Field, te.Type, te.Value),
			field: te.Field, position: &pos}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{status: 400, kind: "malformed", detail: "the JSON body ends early"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		return &apiError{status: 400, kind: "malformed", detail: "unknown field " + strconv.Quote(f), field: f}
	}
	return &apiError{status: 400, kind: "malformed", detail: "JSON: " + msg}
}

// jsonReply encodes v as the response.
func jsonReply(status int, v any) (reply, error) {
	b, err := marshal(v)
	if err != nil {
		return reply{}, err
	}
	return reply{status: status, ctype: "application/json", body: b}, nil
}

// marshal is JSON with a final newline and without HTML escaping (the API serves no HTML).
func marshal(v any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// encoder is a JSON encoder with its buffer, kept between responses.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// created is a 201 reply with the new resource's location.
func created(path string, v any) (reply, error) {
	rep, err := jsonReply(201, v)
	rep.header = map[string]string{"Location": path}
	return rep, err
}

func noContent() (reply, error) { return reply{status: 204}, nil }

// Paging. A cursor is the opaque (base64url) key of the last item of the previous page; lists
// are in the order of that key, so a page never repeats or skips an item that was there before.

const (
	defaultPage = 100
	maxPage     = 1000
)

type pageReq struct {
	after string // the decoded cursor: items with a key after it
	limit int
}

// page reads the cursor and limit query parameters.
func (c *call) page() (pageReq, error) {
	q := c.r.URL.Query()
	p := pageReq{limit: defaultPage}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return p, &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("limit %q: want 1 to %d", s, maxPage), field: "limit"}
		}
		p.limit = n
	}
	if s := q.Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 || len(b) > 2048 {
			return p, &apiError{status: 400, kind: "malformed", detail: "cursor is not one this API returned", field: "cursor"}
		}
		p.after = string(b)
	}
	return p, nil
}

func cursorOf(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// pageOf pages a complete list: it sorts items by key, skips those up to the cursor and returns at
// most the limit, with the next cursor while more follow.
func pageOf[T, W any](items []T, key func(T) string, p pageReq, conv func(T) W) list[W] {
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	i := 0
	if p.after != "" {
		i, _ = slices.BinarySearchFunc(items, p.after, func(t T, k string) int { return strings.Compare(key(t), k) })
		for i < len(items) && key(items[i]) <= p.after {
			i++
		}
	}
	end := min(len(items), i+p.limit)
	out := list[W]{Items: mapSlice(items[i:end], conv)}
	if end < len(items) && end > i {
		out.NextCursor = cursorOf(key(items[end-1]))
	}
	return out
}

// query asks a ledger list for the page and one item more (to know whether more follow), within
// the ledger's page cap.
func (p pageReq) query() entitlement.PageQuery {
	return entitlement.PageQuery{After: p.after, Limit: min(p.limit+1, maxPage)}
}

// pageFrom builds a page from a ledger list asked with p.query(): the cursor is the ledger's own
// position of the page's last item (key). A full page at the ledger's cap gets a cursor too (the
// next page may then be empty).
func pageFrom[T, W any](items []T, key func(T) string, p pageReq, conv func(T) W) list[W] {
	out := list[W]{}
	if len(items) > p.limit {
		items = items[:p.limit]
		out.NextCursor = cursorOf(key(items[len(items)-1]))
	} else if len(items) == maxPage {
		out.NextCursor = cursorOf(key(items[len(items)-1]))
	}
	out.Items = mapSlice(items, conv)
	return out
}

// num is a numbered item's position in a ledger list.
func num(n uint64) string { return strconv.FormatUint(n, 10) }
