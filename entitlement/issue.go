package entitlement

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Issuer builds and signs a location's license file. The ledger calls it inside the activation
// (or regeneration, or demo) transaction: if it fails, nothing changes. It must be deterministic
// for equal requests and must not keep the request.
type Issuer interface {
	Issue(req IssueRequest) (Issued, error)
}

// IssueRequest is everything an [Issuer] needs for one file.
type IssueRequest struct {
	Location Location
	System   System
	Lines    []IssueLine // in SKC order
	Serial   uint64      // the location's file serial, 1 for the first file
	Issued   time.Time
	NotAfter time.Time // zero for a permanent file; the end of a demo file
	Demo     bool
}

// IssueLine is one line of a file to issue.
type IssueLine struct {
	SKC       string
	Part      string
	Name      string
	Kind      PartKind
	Qty       int64
	PO, SO    string
	Activated time.Time
}

// SKCAlphabet is the 30 symbols of a software key code's random characters: 0-9 and A-Z without
// I, O, Q, S, Y and Z (DOMAIN.md §3: exactly the symbols the guide's 49 codes use).
const SKCAlphabet = "0123456789ABCDEFGHJKLMNPRTUVWX"

// NewSKC returns a software key code for a line on a location of the system: 2 random symbols,
// the system's 2-character code, 16 random symbols, drawn from r without modulo bias.
func NewSKC(r io.Reader, system System) (string, error) {
	if len(system.SKC) != 2 {
		return "", fmt.Errorf("entitlement: system %q has no software key code prefix", system.Name)
	}
	var b strings.Builder
	b.Grow(20)
	buf := make([]byte, 32)
	n := 0
	for n < 18 {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("entitlement: software key code: %w", err)
		}
		for _, c := range buf {
			if c >= 240 { // 240 = 8×30: reject to avoid modulo bias
				continue
			}
			if n == 2 {
				b.WriteString(system.SKC)
			}
			b.WriteByte(SKCAlphabet[int(c)%30])
			n++
			if n == 18 {
				break
			}
		}
	}
	return b.String(), nil
}

// BasicHostID is the system-independent host id check: the code trimmed, 4 to 64 printable ASCII
// characters without spaces. It accepts any system. Prefer a keycode-based validator that knows
// each system's grammar.
func BasicHostID(system, code string) (string, error) {
	c := strings.TrimSpace(code)
	if len(c) < 4 || len(c) > 64 {
		return "", wrapf(ErrInvalid, "hardware key code %q for %s: length %d, want 4 to 64", code, system, len(c))
	}
	for i := 0; i < len(c); i++ {
		if c[i] <= ' ' || c[i] > '~' {
			return "", wrapf(ErrInvalid, "hardware key code %q for %s: invalid character at position %d", code, system, i+1)
		}
	}
	return c, nil
}

// newUUID returns a random (version 4) UUID in its canonical lower-case form.
func newUUID(r io.Reader) (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return "", fmt.Errorf("entitlement: uuid: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hx = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hx[c>>4], hx[c&15]
		j += 2
	}
	return string(b[:]), nil
}
