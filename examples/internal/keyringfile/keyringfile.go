package keyringfile

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// MaxSize caps a keyring file.
const MaxSize = 1 << 20

// Entry is one key of a keyring file.
type Entry struct {
	Key     signing.PublicKey // the vendor's public key
	Window  signing.Window    // its validity window on the signing time (Not-Before, Not-After)
	Revoked bool              // the key is revoked outright (a Revoked header)
	Comment string            // the Comment header, for people
	Line    int               // the line of its BEGIN
}

// Keyring is what a keyring file holds.
type Keyring struct {
	// Keyring is the keys, ready for license.Open.
	Keyring *signing.Keyring
	// Entries are the keys in the order of the file.
	Entries []Entry
}

// Load reads and parses the keyring file at path.
func Load(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyringfile: %w", err)
	}
	defer f.Close()
	b, err := readCapped(f)
	if err != nil {
		return nil, fmt.Errorf("keyringfile: %s: %w", path, err)
	}
	kr, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return kr, nil
}

func readCapped(f *os.File) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("over %d bytes", MaxSize)
	}
	return b, nil
}

// ParseError reports where a keyring file is wrong.
type ParseError struct {
	Line   int    // where the file is wrong, from 1 (a fault inside a block: its BEGIN line)
	Reason string // what is wrong there
}

// Error returns the message.
func (e *ParseError) Error() string {
	return "keyringfile: line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

var beginMarker = []byte("-----BEGIN ")

// Parse parses the content of a keyring file.
func Parse(data []byte) (*Keyring, error) {
	if len(data) > MaxSize {
		return nil, &ParseError{Line: 1, Reason: "file over " + strconv.Itoa(MaxSize) + " bytes"}
	}
	lineAt := func(off int) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	out := &Keyring{Keyring: signing.NewKeyring()}
	var revoked []signing.KeyID
	off := 0
	for off < len(data) {
		rest := data[off:]
		i := bytes.Index(rest, beginMarker)
		if i < 0 {
			i = len(rest)
		}
		// Between blocks: blank lines and comments only.
		for _, ln := range bytes.SplitAfter(rest[:i], []byte("\n")) {
			t := bytes.TrimSpace(ln)
			if len(t) > 0 && t[0] != '#' {
				return nil, &ParseError{Line: lineAt(off), Reason: "text outside a key block is not a comment (start comments with #)"}
			}
			off += len(ln)
		}
		if i == len(rest) {
			break
		}
		line := lineAt(off)
		if off > 0 && data[off-1] != '\n' {
			return nil, &ParseError{Line: line, Reason: "a -----BEGIN line must start a line"}
		}
		block, after := pem.Decode(data[off:])
		if block == nil {
			return nil, &ParseError{Line: line, Reason: "a damaged PEM block"}
		}
		if name := repeatedHeader(data[off : len(data)-len(after)]); name != "" {
			return nil, &ParseError{Line: line, Reason: "header " + strconv.Quote(name) + " appears twice"}
		}
		e, err := parseBlock(block, line)
		if err != nil {
			return nil, err
		}
		if e.Revoked {
			revoked = append(revoked, e.Key.KeyID())
		} else if err := out.Keyring.Add(e.Key.KeyID().Bytes(), e.Key, e.Window); err != nil {
			return nil, &ParseError{Line: line, Reason: err.Error()}
		}
		out.Entries = append(out.Entries, e)
		off = len(data) - len(after)
	}
	if len(out.Entries) == 0 {
		return nil, &ParseError{Line: lineAt(len(data)), Reason: "no PUBLIC KEY block: the keyring trusts no key"}
	}
	for _, id := range revoked {
		out.Keyring.Revoke(id.Bytes())
	}
	return out, nil
}

// repeatedHeader returns the name of a header that appears twice in a PEM block (encoding/pem
// would keep the last silently), or "".
func repeatedHeader(block []byte) string {
	lines := bytes.Split(block, []byte("\n"))
	seen := map[string]bool{}
	for _, ln := range lines[1:] {
		ln = bytes.TrimSpace(ln)
		name, _, ok := bytes.Cut(ln, []byte(":"))
		if len(ln) == 0 || !ok {
			break
		}
		if seen[string(name)] {
			return string(name)
		}
		seen[string(name)] = true
	}
	return ""
}

func parseBlock(b *pem.Block, line int) (Entry, error) {
	bad := func(reason string) (Entry, error) { return Entry{}, &ParseError{Line: line, Reason: reason} }
	if b.Type != "PUBLIC KEY" {
		return bad("a " + strconv.Quote(b.Type) + " block; a keyring holds PUBLIC KEY blocks only")
	}
	key, err := signing.ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes}))
	if err != nil {
		return bad(err.Error())
	}
	e := Entry{Key: key, Line: line}
	parseTime := func(name, v string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, &ParseError{Line: line, Reason: name + ": " + strconv.Quote(v) + " is not an RFC 3339 time"}
		}
		return t, nil
	}
	for name, v := range b.Headers {
		switch name {
		case "Key-ID":
			id, err := signing.ParseKeyID(v)
			if err != nil {
				return bad("Key-ID: " + err.Error())
			}
			if id != key.KeyID() {
				return bad("Key-ID " + id.String() + " is not the id of the key in the block (" + key.KeyID().String() + ")")
			}
		case "Not-Before":
			if e.Window.NotBefore, err = parseTime(name, v); err != nil {
				return Entry{}, err
			}
		case "Not-After":
			if e.Window.NotAfter, err = parseTime(name, v); err != nil {
				return Entry{}, err
			}
		case "Revoked":
			if v != "yes" {
				if _, err := parseTime(name, v); err != nil {
					return Entry{}, &ParseError{Line: line, Reason: `Revoked: want "yes" or an RFC 3339 time`}
				}
			}
			e.Revoked = true
		case "Comment":
			e.Comment = v
		default:
			return bad("unknown header " + strconv.Quote(name) + " (Key-ID, Not-Before, Not-After, Revoked, Comment)")
		}
	}
	if !e.Window.NotBefore.IsZero() && !e.Window.NotAfter.IsZero() && !e.Window.NotBefore.Before(e.Window.NotAfter) {
		return bad("Not-Before is not before Not-After")
	}
	return e, nil
}

// Format writes a keyring file holding the entries, the inverse of Parse.
func Format(entries []Entry) []byte {
	var b bytes.Buffer
	b.WriteString("# lmskit keyring: the vendor keys license files may be signed with\n")
	for _, e := range entries {
		h := map[string]string{"Key-ID": e.Key.KeyID().String()}
		if !e.Window.NotBefore.IsZero() {
			h["Not-Before"] = e.Window.NotBefore.UTC().Format(time.RFC3339Nano)
		}
		if !e.Window.NotAfter.IsZero() {
			h["Not-After"] = e.Window.NotAfter.UTC().Format(time.RFC3339Nano)
		}
		if e.Revoked {
			h["Revoked"] = "yes"
		}
		if e.Comment != "" {
			h["Comment"] = e.Comment
		}
		blk, _ := pem.Decode(e.Key.MarshalPEM())
		blk.Headers = h
		pem.Encode(&b, blk)
	}
	return b.Bytes()
}
