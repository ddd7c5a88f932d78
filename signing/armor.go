package signing

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"strings"
)

// MaxArmorSize caps the input of [Dearmor]: a license file with its armor is far smaller.
const MaxArmorSize = 1 << 20

// Armor returns data in PEM-style armor (RFC 7468 framing, encoding/pem underneath):
//
//	-----BEGIN <blockType>-----
//	Key: value
//
//	<base64 of data, 64 columns>
//	-----END <blockType>-----
//
// Headers are for people (a system, a host id, a serial); they are not signed, and a verifier must
// take nothing from them. They are written sorted by key, so the output is deterministic. A line break
// in a header value becomes a space, and a run of five or more dashes is shortened to four, because PEM
// readers (encoding/pem among them) take "-----BEGIN " anywhere in the text as the start of a block:
// whatever a value holds, [Dearmor] reads the output back.
//
// The block type and the header keys are fixed by the program. Like [pem.EncodeToMemory], Armor
// returns nil, and never panics, when one of them cannot be written: an empty block type or key, one
// with a line break, surrounding white space or "-----", or a key with a colon.
func Armor(blockType string, headers map[string]string, data []byte) []byte {
	if !validBlockType(blockType) {
		return nil
	}
	var h map[string]string
	if len(headers) > 0 {
		h = make(map[string]string, len(headers))
		for k, v := range headers {
			if !validHeaderKey(k) {
				return nil
			}
			h[k] = armorHeaderValue(v)
		}
	}
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Headers: h, Bytes: data})
}

// Dearmor reads one armored block written by [Armor] (or any PEM encoder) and returns its type, its
// headers (nil when there are none) and its data. White space may surround the block; any other text
// before or after it, a second block, a damaged block, a block type or header key Armor would not
// write, or input over MaxArmorSize is an error wrapping [ErrMalformed]. The headers are informative only: authenticate the data, never them.
func Dearmor(armored []byte) (blockType string, headers map[string]string, data []byte, err error) {
	if len(armored) > MaxArmorSize {
		return "", nil, nil, fmt.Errorf("%w: armored input is %d bytes, over the %d-byte limit", ErrMalformed, len(armored), MaxArmorSize)
	}
	trimmed := bytes.TrimSpace(armored)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		if i := bytes.Index(trimmed, []byte("-----BEGIN ")); i > 0 {
			return "", nil, nil, fmt.Errorf("%w: %d bytes of text before the armored block", ErrMalformed, i)
		}
		return "", nil, nil, fmt.Errorf("%w: no armored block (want a line \"-----BEGIN ...-----\")", ErrMalformed)
	}
	// Count BEGIN lines only: a header value may quote "-----BEGIN " after its key.
	if n := 1 + bytes.Count(trimmed, []byte("\n-----BEGIN ")); n != 1 {
		return "", nil, nil, fmt.Errorf("%w: %d armored blocks, want one", ErrMalformed, n)
	}
	block, rest := pem.Decode(trimmed)
	if block == nil {
		return "", nil, nil, fmt.Errorf("%w: damaged armored block (bad BEGIN/END lines, headers or base64)", ErrMalformed)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return "", nil, nil, fmt.Errorf("%w: %d bytes after the armored block", ErrMalformed, len(bytes.TrimSpace(rest)))
	}
	if !validBlockType(block.Type) {
		return "", nil, nil, fmt.Errorf("%w: armored block type %q", ErrMalformed, truncate(block.Type))
	}
	for k := range block.Headers {
		if !validHeaderKey(k) {
			return "", nil, nil, fmt.Errorf("%w: armor header key %q", ErrMalformed, truncate(k))
		}
	}
	if len(block.Headers) == 0 {
		block.Headers = nil
	}
	return block.Type, block.Headers, block.Bytes, nil
}

// armorHeaderValue makes v safe to write as an armor header value: one line, trimmed, without "-----".
func armorHeaderValue(v string) string {
	v = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
	for strings.Contains(v, "-----") {
		v = strings.ReplaceAll(v, "-----", "----")
	}
	return strings.TrimSpace(v)
}

func validBlockType(s string) bool {
	return s != "" && !strings.ContainsAny(s, "\r\n") && !strings.Contains(s, "-----") && s == strings.TrimSpace(s)
}

func validHeaderKey(s string) bool {
	return s != "" && !strings.ContainsAny(s, ":\r\n") && !strings.Contains(s, "-----") && s == strings.TrimSpace(s)
}
