package keycode

import (
	"fmt"
	"strings"
)

// ProductKey is the product key of a BX/OVOC location, which names its license container
// (AA_<productkey>_out.zip). A hardware product (BX500/800/1000) has its delivery serial number,
// "DT" + 7 digits (DT2729220), entered when the location is created; a software product (BX9000,
// OVOC) gets its key at first activation, 15 or 16 letters and digits as in the guide's
// AA_91FA4F6DBFF01B3_out.zip and AA_V1D50EAF7FF016S3_out.zip. The zero value is invalid (no key yet).
type ProductKey struct {
	s string
}

var (
	productKeyDT = mk(0, lit("DT"), run(cDigit, 7))
	productKeySW = [...]spec{
		mk(0, run(cUpperAlnum, 15)),
		mk(0, run(cUpperAlnum, 16)),
	}
)

// ParseProductKey validates s as a BX/OVOC product key. White space is trimmed and letters are
// folded to upper case. A rejection is a *ParseError.
func ParseProductKey(s string) (ProductKey, error) {
	if len(s) > MaxInput {
		return ProductKey{}, &ParseError{Input: strings.Clone(s[:MaxInput]), System: BXOVOC, Offset: MaxInput,
			Want: fmt.Sprintf("at most %d characters", MaxInput), what: "product key"}
	}
	s = strings.TrimSpace(s)
	specs := []*spec{&productKeyDT, &productKeySW[0], &productKeySW[1]}
	e := &ParseError{Input: s, System: BXOVOC, what: "product key"}
	if s == "" {
		e.Want = `a product key ("DT" + 7 digits, or 15 or 16 letters and digits)`
		return ProductKey{}, e
	}
	best := -1
	var bestM mismatch
	var bestSp *spec
	for _, sp := range specs {
		m, dirty := sp.match(s)
		if m.off < 0 {
			if dirty {
				s = sp.canonical(s)
			}
			return ProductKey{s: s}, nil
		}
		// Inputs shorter than a software key are explained as delivery serials; longer ones by
		// the form they fit furthest.
		if best < 0 || len(s) >= 15 && m.off > best {
			best, bestM, bestSp = m.off, m, sp
		}
	}
	e.Suggest = bestSp.describe(s, &bestM)
	e.Offset, e.Want = bestM.off, bestM.want
	return ProductKey{}, e
}

// IsHardware reports whether k is a hardware product's delivery serial ("DT" + 7 digits).
func (k ProductKey) IsHardware() bool { return len(k.s) == 9 }

// String returns the canonical key, or "" for the zero value.
func (k ProductKey) String() string { return k.s }

// IsZero reports whether k is the zero value.
func (k ProductKey) IsZero() bool { return k.s == "" }

// MarshalText returns the canonical key; the zero value gives empty text.
func (k ProductKey) MarshalText() ([]byte, error) { return []byte(k.s), nil }

// UnmarshalText parses a canonical key; empty text gives the zero value. Text that is not in
// canonical form is refused, so that encoding is not malleable.
func (k *ProductKey) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = ProductKey{}
		return nil
	}
	v, err := ParseProductKey(string(b))
	if err != nil {
		return err
	}
	if v.s != string(b) {
		return &ParseError{Input: truncate(string(b)), System: BXOVOC, what: "product key", Want: fmt.Sprintf("the canonical form %q", v.s)}
	}
	*k = v
	return nil
}
