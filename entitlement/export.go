package entitlement

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The export format, version 1 (ExportFormat, ExportVersion): JSON lines, UTF-8, one JSON object
// per line, each with a "type".
//
//	{"type":"header","format":"lmskit-ledger-export","version":1}
//	{"type":"<record type>","record":{…}}     one line per record, in the order below
//	{"type":"end","records":<n>,"sha256":"<hex>"}
//
// The header comes first and the end line last; records counts the record lines and sha256 is
// the SHA-256 of every byte before the end line (header and record lines, newlines included), so
// a truncated or damaged file is refused. Record types, in the order they are written, and the
// fields of their "record" (field names as the JSON names of the Go types; times RFC 3339; byte
// strings base64):
//
//	counter       {"name","value"}: a ledger counter (the numbers of lines, reshipments, rule
//	              counters of derived codes, extension counters, and "actors": the audit
//	              record that last changed a user, partner or allowance)
//	audit_head    {"seq","hash"}: the newest audit record, as the chain's head
//	partner       Partner: {"id","name","kind"} with kind 1 vendor, 2 distributor, 3 dealer
//	user          User: {"id","name","partner","roles"} with roles the bits of Role (1 LMS user,
//	              2 SWA Distributor Admin, 4 SWA Dealer Admin, 8 administrator)
//	allowance     {"distributor","dealer"}: a shipping allowance
//	order         {"partner","po","so"}: an order number that shipped (it ships once)
//	shipped_line  ShippedLine
//	customer      Customer
//	location      Location (attrs, former codes)
//	line          Line, with state 1 attached, 2 activated, 3 migrated history, 4 revoked, 5
//	              cancelled
//	file          Issued: a location's current permanent file (data and file base64)
//	term_file     Issued: a location's file of the fixed-term lines of one type and end
//	demo_file     Issued: a demo file
//	reshipment    Reshipment
//	return        Return
//	audit         AuditRecord: the audit chain, oldest first
//	token         Token: an API token as the ledger keeps it (its hash, never the secret)
//	idempotency   {"user","as","key","fingerprint","created","expires","response"}: an
//	              idempotency key's record with the response it keeps ([Ledger.Idempotent]),
//	              so that a request retried across a restore is still answered once
//	ext           {"bucket","key","cbor","diag"}: a record of a package built on the ledger
//	              ([Op.Put]), its CBOR bytes as stored and, for reading only, their CBOR
//	              diagnostic notation (ignored by Import)
//
// The indexes (codes, bins, order numbers, location names, children, recent lines) are not
// exported: Import rebuilds them from the records. The export holds what the store holds, and the
// store holds no secret: neither the issuer key, nor the audit key, nor the deriver secret is in
// it (a keyed audit chain is verified on import with the key given there). It does hold the
// partners' books, customers' names and addresses and the issued license files: keep it where
// the ledger file is kept. A later version of the format gets a new version number; Import reads
// version 1.
const (
	ExportFormat  = "lmskit-ledger-export"
	ExportVersion = 1
)

// maxExportLine caps one line of an export: a record with an external file of 4 MiB, twice in
// base64, fits.
const maxExportLine = 16 << 20

// exportLine is one line of an export.
type exportLine struct {
	Type    string          `json:"type"`
	Format  string          `json:"format,omitempty"`
	Version int             `json:"version,omitempty"`
	Record  json.RawMessage `json:"record,omitempty"`
	Records int             `json:"records,omitempty"`
	SHA256  string          `json:"sha256,omitempty"`
}

type counterRec struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

type allowanceRec struct {
	Distributor string `json:"distributor"`
	Dealer      string `json:"dealer"`
}

type orderRec struct {
	Partner string `json:"partner"`
	PO      string `json:"po"`
	SO      string `json:"so"`
}

// idemExport is an idempotency record with the parts of its key.
type idemExport struct {
	User        string    `json:"user"`
	As          string    `json:"as,omitempty"`
	Key         string    `json:"key"`
	Fingerprint []byte    `json:"fingerprint"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	Response    Response  `json:"response"`
}

type extRec struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	CBOR   []byte `json:"cbor"`
	Diag   string `json:"diag,omitempty"`
}

// exported lists, in export order, the buckets that hold records and their record type. Every
// other bucket of the ledger is an index that Import rebuilds ([indexBuckets]).
var exported = []struct{ bucket, typ string }{
	{bMeta, ""}, // counters and the audit head
	{bPartners, "partner"}, {bUsers, "user"}, {bAllow, "allowance"}, {bOrders, "order"}, {bLines, "shipped_line"},
	{bCustomers, "customer"}, {bLocs, "location"}, {bSKC, "line"}, {bFiles, "file"}, {bTermFiles, "term_file"}, {bDemos, "demo_file"},
	{bReship, "reshipment"}, {bReturn, "return"}, {bAudit, "audit"}, {bTokens, "token"}, {bIdem, "idempotency"},
	{bExt, "ext"},
}

// indexBuckets are the buckets Import rebuilds from the records.
var indexBuckets = []string{bBin, bPO, bSO, bPartnerLines, bCustByP, bHWKC, bRetired, bLocByP, bLocByC, bLocName, bKids,
	bLocLines, bSource, bRecent, bReshipF, bReshipT, bReturnF, bReturnT, bTokensBy, bIdemExp, bTermEnd, bUsersByP}

// Export writes every record of the store in the export format (see [ExportFormat]) to w, from
// one read transaction: a consistent copy of a running ledger, taken without stopping it (writers
// go on; on the embedded store they are not even held up). It returns the number of records
// written. A record that does not decode, or sits under a key its content does not give, is an
// error matching [ErrCorrupt]: the export refuses to alter what it copies.
func Export(ctx context.Context, s Store, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	h := sha256.New()
	enc := json.NewEncoder(io.MultiWriter(bw, h))
	enc.SetEscapeHTML(false)
	n := 0
	err := s.View(ctx, func(tx Tx) error {
		n = 0
		if err := enc.Encode(exportLine{Type: "header", Format: ExportFormat, Version: ExportVersion}); err != nil {
			return err
		}
		for _, e := range exported {
			write := func(typ string, rec any) error {
				raw, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				n++
				return enc.Encode(exportLine{Type: typ, Record: raw})
			}
			err := tx.Scan(e.bucket, "", func(key string, v []byte) (bool, error) {
				if err := ctx.Err(); err != nil {
					return false, err
				}
				if e.bucket == bSKC && !oldLineRecord(v) {
					// The code's entry names the location; the line is stored under it (lines.go).
					line, ok, err := tx.Get(bLocLines, lineKey(string(v), key))
					if err != nil {
						return false, err
					}
					if !ok || len(line) == 0 {
						return false, fmt.Errorf("export: %w", wrapf(ErrCorrupt, "line %s of location %q missing", key, v))
					}
					v = line
				}
				typ, rec, err := exportRecord(e.bucket, e.typ, key, v)
				if err != nil {
					return false, fmt.Errorf("export: %w", err)
				}
				if err := write(typ, rec); err != nil {
					return false, err
				}
				if h, ok := rec.(auditHead); ok {
					// The counters the head keeps are counters in the export, as they were
					// before the head kept them.
					for _, name := range headCounters {
						if c := *h.counter(name); c != 0 {
							if err := write("counter", counterRec{Name: name, Value: c}); err != nil {
								return false, err
							}
						}
					}
				}
				return true, nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	end := json.NewEncoder(bw)
	if err := end.Encode(exportLine{Type: "end", Records: n, SHA256: hex.EncodeToString(h.Sum(nil))}); err != nil {
		return 0, err
	}
	return n, bw.Flush()
}

// Backup writes a consistent copy of the whole ledger to w while the ledger runs: [Export] of the
// ledger's store, in one read transaction. Restore it with [Import] into an empty store. It
// returns the number of records written.
func (l *Ledger) Backup(ctx context.Context, w io.Writer) (int, error) {
	return Export(ctx, l.store, w)
}

// exportRecord decodes one stored record for the export and checks that its key is the one its
// content gives.
func exportRecord(bucket, typ, key string, v []byte) (string, any, error) {
	mismatch := func(want string) error {
		return wrapf(ErrCorrupt, "bucket %s: key %q holds the record of key %q", bucket, key, want)
	}
	decode := func(dst any) error { return dec(v, dst) }
	switch bucket {
	case bMeta:
		if key == keyAuditHead {
			var h auditHead
			return "audit_head", h, decode(&h)
		}
		name, ok := strings.CutPrefix(key, "seq/")
		n, okN := parseN16(string(v))
		if !ok || !okN || name == "" {
			return "", nil, wrapf(ErrCorrupt, "meta key %q is not a counter or the audit head", key)
		}
		return "counter", counterRec{Name: name, Value: n}, nil
	case bAllow:
		d, r, ok := strings.Cut(key, sep)
		if !ok || len(v) != 0 {
			return "", nil, mismatch("distributor\\x00dealer")
		}
		return typ, allowanceRec{Distributor: d, Dealer: r}, nil
	case bOrders:
		p := strings.Split(key, sep)
		if len(p) != 3 || len(v) != 0 {
			return "", nil, mismatch("partner\\x00po\\x00so")
		}
		return typ, orderRec{Partner: p[0], PO: p[1], SO: p[2]}, nil
	case bIdem:
		p := strings.Split(key, sep)
		if len(p) != 3 {
			return "", nil, mismatch("user\\x00as\\x00key")
		}
		var r idemRecord
		if err := decode(&r); err != nil {
			return "", nil, err
		}
		return typ, idemExport{User: p[0], As: p[1], Key: p[2], Fingerprint: r.Fingerprint, Created: r.Created,
			Expires: r.Expires, Response: r.Response}, nil
	case bExt:
		b, k, ok := strings.Cut(key, sep)
		if !ok {
			return "", nil, mismatch("bucket\\x00key")
		}
		r := extRec{Bucket: b, Key: k, CBOR: bytes.Clone(v)}
		if d, err := cbor.Diagnose(v); err == nil {
			r.Diag = d
		}
		return typ, r, nil
	}
	rec, err := recordOf(typ)
	if err != nil {
		return "", nil, err
	}
	if f, ok := rec.(*Issued); ok {
		// A file kept without its download (storedFile) is exported with it, as before.
		if *f, err = readFullFile(v); err != nil {
			return "", nil, err
		}
	} else if err := decode(rec); err != nil {
		return "", nil, err
	}
	if want := primaryKey(typ, rec); want != key {
		return "", nil, mismatch(want)
	}
	return typ, rec, nil
}

// recordOf returns a new value of a record type's Go type.
func recordOf(typ string) (any, error) {
	switch typ {
	case "partner":
		return new(Partner), nil
	case "user":
		return new(User), nil
	case "shipped_line":
		return new(ShippedLine), nil
	case "customer":
		return new(Customer), nil
	case "location":
		return new(Location), nil
	case "line":
		return new(Line), nil
	case "file", "term_file", "demo_file":
		return new(Issued), nil
	case "reshipment":
		return new(Reshipment), nil
	case "return":
		return new(Return), nil
	case "audit":
		return new(AuditRecord), nil
	case "audit_head":
		return new(auditHead), nil
	case "counter":
		return new(counterRec), nil
	case "allowance":
		return new(allowanceRec), nil
	case "order":
		return new(orderRec), nil
	case "ext":
		return new(extRec), nil
	case "token":
		return new(Token), nil
	case "idempotency":
		return new(idemExport), nil
	}
	return nil, wrapf(ErrInvalid, "record type %q unknown", typ)
}

// primaryKey is the key a record is stored under in its bucket.
func primaryKey(typ string, rec any) string {
	switch r := rec.(type) {
	case *Partner:
		return r.ID
	case *User:
		return r.ID
	case *ShippedLine:
		return n16(r.ID)
	case *Customer:
		return r.ID
	case *Location:
		return r.ID
	case *Line:
		return r.SKC
	case *Issued:
		switch typ {
		case "demo_file":
			return k(r.Location, n16(r.Serial))
		case "term_file":
			return termFileKey(r.Location, r.Type, r.NotAfter)
		}
		return r.Location
	case *Reshipment:
		return n16(r.ID)
	case *Return:
		return n16(r.ID)
	case *AuditRecord:
		return n16(r.Seq)
	case *Token:
		return r.ID
	}
	return ""
}
