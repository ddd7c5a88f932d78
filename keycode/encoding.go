package keycode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The encodings of a Code keep its system, so a decoded Code is == the encoded one. Decoders accept
// only the canonical encoding (exact System value, canonical code), so every encoding is unique.

// errEncoding is wrapped by every decoding error that is not a *ParseError of the code itself.
var errEncoding = errors.New("keycode: bad Code encoding")

// MarshalText returns "<system>:<code>", for example "SV8100:190400324412"; the zero Code gives
// empty text. No system name or code contains ':'.
func (c Code) MarshalText() ([]byte, error) {
	if c.IsZero() {
		return []byte{}, nil
	}
	b := make([]byte, 0, len(c.System())+1+len(c.s))
	b = append(b, c.System()...)
	b = append(b, ':')
	b = append(b, c.s...)
	return b, nil
}

// UnmarshalText decodes the form MarshalText writes; empty text gives the zero Code.
func (c *Code) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = Code{}
		return nil
	}
	i := bytes.LastIndexByte(text, ':')
	if i < 0 {
		return fmt.Errorf("%w: text %q: want \"<system>:<code>\"", errEncoding, truncate(string(text)))
	}
	v, err := decodeParts(string(text[:i]), string(text[i+1:]))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// decodeParts rebuilds a Code from its system and canonical code.
func decodeParts(sys, code string) (Code, error) {
	s := System(sys)
	if !s.IsValid() {
		return Code{}, fmt.Errorf("%w: %w: %q", errEncoding, ErrUnknownSystem, truncate(sys))
	}
	v, err := Parse(s, code)
	if err != nil {
		return Code{}, err
	}
	if v.s != code {
		return Code{}, fmt.Errorf("%w: %s code %q is not canonical (want %q)", errEncoding, s, truncate(code), v.s)
	}
	return v, nil
}

// jsonCode is the JSON form of a Code.
type jsonCode struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// MarshalJSON returns {"system":"<system>","code":"<code>"}; the zero Code gives null.
func (c Code) MarshalJSON() ([]byte, error) {
	if c.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(jsonCode{System: string(c.System()), Code: c.s})
}

// UnmarshalJSON decodes the form MarshalJSON writes: an object with exactly the members "system"
// and "code", or null for the zero Code.
func (c *Code) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = Code{}
		return nil
	}
	if len(b) > 4*MaxInput {
		return fmt.Errorf("%w: JSON of %d bytes", errEncoding, len(b))
	}
	sys, code, err := readJSONObject(b)
	if err != nil {
		return fmt.Errorf("%w: JSON: %w", errEncoding, err)
	}
	v, err := decodeParts(sys, code)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// readJSONObject reads an object with exactly the string members "system" and "code", each once.
func readJSONObject(b []byte) (sys, code string, err error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return "", "", err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", "", errors.New(`want an object {"system":…,"code":…} or null`)
	}
	var seenSys, seenCode bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", err
		}
		name, _ := tok.(string)
		val, err := dec.Token()
		if err != nil {
			return "", "", err
		}
		str, ok := val.(string)
		if !ok {
			return "", "", fmt.Errorf("member %q: want a string", name)
		}
		switch {
		case name == "system" && !seenSys:
			sys, seenSys = str, true
		case name == "code" && !seenCode:
			code, seenCode = str, true
		default:
			return "", "", fmt.Errorf("unexpected or repeated member %q", name)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "", "", err
	}
	if !seenSys || !seenCode {
		return "", "", errors.New(`want both members "system" and "code"`)
	}
	if dec.More() {
		return "", "", errors.New("data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", errors.New("data after the object")
	}
	return sys, code, nil
}

// CBOR: a Code is the 2-element array of text strings [system, code] in definite length with the
// shortest length heads (RFC 8949 §4.2.1), and the zero Code is null (0xf6). The decoder accepts
// exactly this and nothing else: no tags, no indefinite lengths, no longer heads, valid UTF-8, no
// trailing bytes.

// MarshalCBOR encodes c as [system, code]; the zero Code is null. fxamacker/cbor calls it through
// the cbor.Marshaler interface.
func (c Code) MarshalCBOR() ([]byte, error) {
	if c.IsZero() {
		return []byte{0xf6}, nil
	}
	sys := string(c.System())
	b := make([]byte, 0, 1+2+len(sys)+2+len(c.s))
	b = append(b, 0x82)
	b = appendCBORText(b, sys)
	b = appendCBORText(b, c.s)
	return b, nil
}

func appendCBORText(b []byte, s string) []byte {
	// Systems and codes are shorter than 256 bytes (MaxInput).
	if len(s) < 24 {
		b = append(b, 0x60|byte(len(s)))
	} else {
		b = append(b, 0x78, byte(len(s)))
	}
	return append(b, s...)
}

// UnmarshalCBOR decodes the form MarshalCBOR writes.
func (c *Code) UnmarshalCBOR(data []byte) error {
	if len(data) == 1 && data[0] == 0xf6 {
		*c = Code{}
		return nil
	}
	if len(data) == 0 || data[0] != 0x82 {
		return fmt.Errorf("%w: CBOR: want a 2-element array [system, code] or null", errEncoding)
	}
	rest := data[1:]
	sys, rest, err := readCBORText(rest)
	if err != nil {
		return fmt.Errorf("%w: CBOR system: %w", errEncoding, err)
	}
	code, rest, err := readCBORText(rest)
	if err != nil {
		return fmt.Errorf("%w: CBOR code: %w", errEncoding, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: CBOR: %d bytes after the array", errEncoding, len(rest))
	}
	v, err := decodeParts(sys, code)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// readCBORText reads one definite-length text string with the shortest head.
func readCBORText(b []byte) (string, []byte, error) {
	if len(b) == 0 {
		return "", nil, errors.New("unexpected end")
	}
	h := b[0]
	if h>>5 != 3 {
		return "", nil, fmt.Errorf("want a text string, got major type %d", h>>5)
	}
	var n int
	switch ai := h & 0x1f; {
	case ai < 24:
		n, b = int(ai), b[1:]
	case ai == 24:
		if len(b) < 2 {
			return "", nil, errors.New("unexpected end")
		}
		n, b = int(b[1]), b[2:]
		if n < 24 {
			return "", nil, errors.New("length not in its shortest form")
		}
	default:
		// Longer heads would describe strings over 255 bytes, longer than any system or code,
		// and indefinite lengths (31) are refused.
		return "", nil, errors.New("want a definite length under 256")
	}
	if len(b) < n {
		return "", nil, errors.New("unexpected end")
	}
	s := string(b[:n])
	if !utf8.ValidString(s) {
		return "", nil, errors.New("invalid UTF-8")
	}
	return s, b[n:], nil
}

// MarshalCBOR encodes k as a CBOR text string; the zero value is null.
func (k SoftwareKeyCode) MarshalCBOR() ([]byte, error) { return marshalCBORString(k.s), nil }

// UnmarshalCBOR decodes the form MarshalCBOR writes: a canonical code as a definite-length text
// string with the shortest head, or null for the zero value.
func (k *SoftwareKeyCode) UnmarshalCBOR(data []byte) error {
	s, null, err := unmarshalCBORString(data)
	if err != nil {
		return err
	}
	if null {
		*k = SoftwareKeyCode{}
		return nil
	}
	if s == "" {
		return fmt.Errorf("%w: CBOR: an empty software key code (the zero value is null)", errEncoding)
	}
	return k.UnmarshalText([]byte(s))
}

// MarshalCBOR encodes k as a CBOR text string; the zero value is null.
func (k ProductKey) MarshalCBOR() ([]byte, error) { return marshalCBORString(k.s), nil }

// UnmarshalCBOR decodes the form MarshalCBOR writes: a canonical key as a definite-length text
// string with the shortest head, or null for the zero value.
func (k *ProductKey) UnmarshalCBOR(data []byte) error {
	s, null, err := unmarshalCBORString(data)
	if err != nil {
		return err
	}
	if null {
		*k = ProductKey{}
		return nil
	}
	if s == "" {
		return fmt.Errorf("%w: CBOR: an empty product key (the zero value is null)", errEncoding)
	}
	return k.UnmarshalText([]byte(s))
}

func marshalCBORString(s string) []byte {
	if s == "" {
		return []byte{0xf6}
	}
	return appendCBORText(make([]byte, 0, 2+len(s)), s)
}

// unmarshalCBORString reads exactly one text string with the shortest head, or null.
func unmarshalCBORString(data []byte) (s string, null bool, err error) {
	if len(data) == 1 && data[0] == 0xf6 {
		return "", true, nil
	}
	s, rest, err := readCBORText(data)
	if err != nil {
		return "", false, fmt.Errorf("%w: CBOR: %w", errEncoding, err)
	}
	if len(rest) != 0 {
		return "", false, fmt.Errorf("%w: CBOR: %d bytes after the text string", errEncoding, len(rest))
	}
	return s, false, nil
}
