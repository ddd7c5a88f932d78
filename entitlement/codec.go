package entitlement

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lmskit/lmskit/internal/cborx"
)

// Bucket names. The ledger owns these; stores treat them as opaque.
const (
	bMeta      = "meta"
	bPartners  = "partners"
	bUsers     = "users"
	bAllow     = "allow"
	bLines     = "lines"
	bBin       = "bin"
	bPO        = "po"
	bSO        = "so"
	bOrders    = "orders"
	bCustomers = "cust"
	bCustByP   = "custp"
	bLocs      = "loc"
	bHWKC      = "hwkc"
	bLocByP    = "locp"
	bLocByC    = "locc"
	bKids      = "kids"
	bSKC       = "skc"
	bLocLines  = "locl"
	bRecent    = "recent"
	bFiles     = "files"
	bDemos     = "demos"
	bReship    = "reship"
	bReshipF   = "reshipf"
	bReshipT   = "reshipt"
	bReturn    = "return"
	bReturnF   = "returnf"
	bReturnT   = "returnt"
	bAudit     = "audit"
	bRetired   = "retired" // hardware key code → location id: codes replaced or migrated away
)

// allBuckets lists every bucket, for snapshots.
var allBuckets = []string{bMeta, bPartners, bUsers, bAllow, bLines, bBin, bPO, bSO, bOrders, bCustomers,
	bCustByP, bLocs, bHWKC, bLocByP, bLocByC, bKids, bSKC, bLocLines, bRecent, bFiles, bDemos, bReship,
	bReshipF, bReshipT, bReturn, bReturnF, bReturnT, bAudit, bRetired}

// sep joins key parts; ids never contain it (checkID).
const sep = "\x00"

func k(parts ...string) string { return strings.Join(parts, sep) }

// n16 is a fixed-width big-endian key for a number, so keys sort numerically.
func n16(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}

func parseN16(s string) (uint64, bool) {
	if len(s) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64([]byte(s)), true
}

var (
	encMode = cborx.EncMode()
	decMode = cborx.MustDecMode(cborx.Limits{MaxArray: 1 << 20, MaxNested: 8, MaxMap: 64})
)

func enc(v any) ([]byte, error) {
	if b, ok := encFast(v); ok {
		return b, nil
	}
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("entitlement: encode %T: %w", v, err)
	}
	return b, nil
}

func dec(b []byte, v any) error {
	if decFast(b, v) {
		return nil
	}
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: decode %T: %v", ErrCorrupt, v, err)
	}
	toUTC(v)
	return nil
}

// probe is tx.Get for a key that is most likely absent (a fresh software key code, a new hardware
// key code, a location's first file): a store that finds a missing key faster another way (the
// embedded store's Get reads the last level of its tree for a key that is not there, where a
// probe consults that level's bloom filter) does so.
func probe(tx Tx, bucket, key string) ([]byte, bool, error) {
	if t, ok := tx.(opTx); ok {
		tx = t.Tx
	}
	if p, ok := tx.(interface {
		probe(bucket, key string) ([]byte, bool, error)
	}); ok {
		return p.probe(bucket, key)
	}
	return tx.Get(bucket, key)
}

// getRec reads and decodes a record; ok is false when absent. A key no store can hold (empty,
// over CheckKey's limit) names no record: callers then refuse with their own not-found or
// invalid error instead of passing up the store's complaint about the key.
func getRec(tx Tx, bucket, key string, v any) (bool, error) {
	if CheckKey(bucket, key) != nil {
		return false, nil
	}
	b, ok, err := tx.Get(bucket, key)
	if err != nil || !ok {
		return false, err
	}
	return true, dec(b, v)
}

func putRec(tx Tx, bucket, key string, v any) error {
	b, err := enc(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, key, b)
}

// putRec is putRec for an operation: the records with a hand-written encoder are encoded into
// the operation's scratch buffer (the store keeps its own copy of a value).
func (o *op) putRec(bucket, key string, v any) error {
	w := wbuf{b: o.scratch[:0]}
	if !encInto(&w, v) {
		return putRec(o.tx, bucket, key, v)
	}
	o.scratch = w.b
	return o.tx.Put(bucket, key, w.b)
}

// nextSeq increments and returns the named counter in the meta bucket.
func nextSeq(tx Tx, name string) (uint64, error) {
	key := "seq/" + name
	b, ok, err := tx.Get(bMeta, key)
	if err != nil {
		return 0, err
	}
	var n uint64
	if ok {
		var okN bool
		if n, okN = parseN16(string(b)); !okN {
			return 0, wrapf(ErrCorrupt, "counter %s", name)
		}
	}
	n++
	return n, tx.Put(bMeta, key, []byte(n16(n)))
}

// checkID validates a caller-chosen identifier (partner id, user login, PO, SO).
func checkID(what, s string) error {
	if s == "" {
		return wrapf(ErrInvalid, "%s is empty", what)
	}
	if len(s) > 200 {
		return wrapf(ErrInvalid, "%s is longer than 200 bytes", what)
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f {
			return wrapf(ErrInvalid, "%s has a control character at byte %d", what, i)
		}
		if r == utf8.RuneError {
			// Invalid UTF-8 would be stored, and then refused by every strict decode of the
			// record (the audit chain included).
			return wrapf(ErrInvalid, "%s is not valid UTF-8 at byte %d", what, i)
		}
	}
	if strings.TrimSpace(s) != s {
		return wrapf(ErrInvalid, "%s %q has leading or trailing space", what, s)
	}
	return nil
}

// checkText validates free text (names, addresses, notes): bounded, no control characters except
// none at all.
func checkText(what, s string, required bool) error {
	if s == "" {
		if required {
			return wrapf(ErrInvalid, "%s is empty", what)
		}
		return nil
	}
	if len(s) > 1000 {
		return wrapf(ErrInvalid, "%s is longer than 1000 bytes", what)
	}
	for i, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == 0xfffd {
			return wrapf(ErrInvalid, "%s has an invalid character at byte %d", what, i)
		}
	}
	return nil
}
