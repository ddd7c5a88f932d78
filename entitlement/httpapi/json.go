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
	if _, err := d.Token(); err != io.EOF {
		pos := int(d.InputOffset())
		return &apiError{status: 400, kind: "malformed", detail: "data after the JSON value", position: &pos}
	}
	return nil
}

// maxDepth is how deep a request body's values may nest.
const maxDepth = 32

// errLeftToDecoder stops uniqueKeys at a syntax error, which the decoder reports with its
// position.
var errLeftToDecoder = errors.New("httpapi: syntax error")

// uniqueKeys refuses a body whose objects repeat a key (naming the key and where it is repeated),
// or that nests deeper than maxDepth.
func uniqueKeys(body []byte) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var walk func(depth int) error
	walk = func(depth int) error {
		tok, err := d.Token()
		if err != nil {
			return errLeftToDecoder
		}
		delim, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		if depth >= maxDepth {
			pos := int(d.InputOffset()) - 1
			return &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("JSON nested deeper than %d", maxDepth), position: &pos}
		}
		switch delim {
		case '{':
			seen := map[string]bool{}
			for d.More() {
				start := int(d.InputOffset())
				kt, err := d.Token()
				if err != nil {
					return errLeftToDecoder
				}
				key, _ := kt.(string)
				if seen[key] {
					for start < len(body) && body[start] != '"' {
						start++ // past the white space and the comma before the key
					}
					return &apiError{status: 400, kind: "malformed", detail: fmt.Sprintf("key %q given twice in one object", key), field: key, position: &start}
				}
				seen[key] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
		case '[':
			for d.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
		}
		if _, err := d.Token(); err != nil { // the closing delimiter
			return errLeftToDecoder
		}
		return nil
	}
	if err := walk(0); err != nil && err != errLeftToDecoder {
		return err
	}
	return nil
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
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

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
