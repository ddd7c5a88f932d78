package entitlement

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Import reads an export ([Export], [Ledger.Backup]) into the empty store s and returns the number
// of records it holds. It is one transaction: the records, the indexes rebuilt from them, and,
// before anything commits, the checks of the ledger itself: conservation ([CheckConservation]),
// the audit chain ([VerifyAudit], keyed with auditKey when the ledger's Config.AuditKey is set),
// and every shipped line's quantities against the audit log's last change of it. A
// store holding anything is refused with [ErrState]; a file that is not a complete version-1
// export (a bad line, a record that does not validate or names what is not there, a record
// twice, a missing or wrong end line) with [ErrInvalid], naming the line; a ledger that fails its
// checks with [ErrCorrupt]. A refused import writes nothing. The whole export is read and checked
// before the store is touched, so it must fit in memory.
func Import(ctx context.Context, s Store, r io.Reader, auditKey []byte) (int, error) {
	im, err := readExport(r)
	if err != nil {
		return 0, err
	}
	err = s.Update(ctx, func(tx Tx) error {
		for _, b := range allBuckets {
			empty := true
			if err := tx.Scan(b, "", func(string, []byte) (bool, error) { empty = false; return false, nil }); err != nil {
				return err
			}
			if !empty {
				return wrapf(ErrState, "import: the store is not empty (bucket %s): import into an empty store", b)
			}
		}
		for _, p := range im.puts {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := tx.Put(p.bucket, p.key, p.val); err != nil {
				return err
			}
		}
		if err := tx.Put(bUsersByP, usersIndexed, nil); err != nil { // the rebuilt index has every user
			return err
		}
		if err := checkConservation(tx); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if _, err := verifyAudit(tx, auditKey); err != nil {
			return fmt.Errorf("import: audit chain: %w", err)
		}
		if err := linesMatchAudit(tx); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return im.records, nil
}

// linesMatchAudit checks that every shipped line holds the quantities the audit log's last change
// of it says: the audit record of every operation lists the quantities after it of each shipped
// line it touched, so a quantity edited outside the ledger (or in an export) disagrees with the
// chain.
func linesMatchAudit(tx Tx) error {
	last := map[uint64]Qty{}
	err := tx.Scan(bAudit, "", func(_ string, v []byte) (bool, error) {
		var r AuditRecord
		if err := dec(v, &r); err != nil {
			return false, err
		}
		lastChanges(last, &r)
		return true, nil
	})
	if err != nil {
		return err
	}
	return linesMatch(tx, last)
}

// lastChanges notes the quantities after r of the shipped lines it changed.
func lastChanges(last map[uint64]Qty, r *AuditRecord) {
	for _, c := range r.Changes {
		last[c.Line] = c.After
	}
}

// linesMatch checks every shipped line against the audit log's last change of it (last).
func linesMatch(tx Tx, last map[uint64]Qty) error {
	return tx.Scan(bLines, "", func(_ string, v []byte) (bool, error) {
		var s ShippedLine
		if err := dec(v, &s); err != nil {
			return false, err
		}
		if q, ok := last[s.ID]; !ok || q != qtyOf(s) {
			return false, wrapf(ErrCorrupt, "shipped line %d holds %+v, the audit log's last change of it says %+v", s.ID, qtyOf(s), q)
		}
		return true, nil
	})
}

// imported is an export read and checked, as the puts that write it.
type imported struct {
	puts []put
	// head is the audit head, written once every counter it keeps is read; headLine is the line
	// that held it (0: none yet).
	head     auditHead
	headLine int

	seen    map[[2]string]int // bucket, key → line that wrote it
	records int
	// What the references are checked against: ids and the lines that defined them.
	partners, customers, locations, users map[string]bool
	refs                                  []ref
}

type put struct {
	bucket, key string
	val         []byte
}

// ref is a reference a record makes, checked once every record is read.
type ref struct {
	line      int
	what, id  string
	partner   bool // the id is a partner's
	customer  bool
	location  bool
	user      bool
	ownerOf   string // for a location: its customer, whose partner must be owner
	ownerPart string
}

func importErr(line int, format string, a ...any) error {
	return fmt.Errorf("%w: import: line %d: %s", ErrInvalid, line, fmt.Sprintf(format, a...))
}

// readExport reads and checks an export, building its puts.
func readExport(r io.Reader) (*imported, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h := sha256.New()
	im := &imported{seen: map[[2]string]int{}, partners: map[string]bool{}, customers: map[string]bool{}, locations: map[string]bool{},
		users: map[string]bool{}}
	custPartner := map[string]string{}
	n := 0
	for {
		n++
		raw, err := readLine(br)
		if errors.Is(err, io.EOF) {
			if n == 1 {
				return nil, importErr(n, "empty input: not an export")
			}
			return nil, importErr(n, "the export ends without its end line (truncated)")
		}
		if err != nil {
			return nil, importErr(n, "%v", err)
		}
		var l exportLine
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&l); err != nil {
			return nil, importErr(n, "not an export line: %v", err)
		}
		if d.More() {
			return nil, importErr(n, "more than one JSON value")
		}
		switch {
		case n == 1:
			if l.Type != "header" || l.Format != ExportFormat {
				return nil, importErr(n, "not an lmskit ledger export (want the header %q)", ExportFormat)
			}
			if l.Version != ExportVersion {
				return nil, importErr(n, "export version %d; this version reads %d", l.Version, ExportVersion)
			}
		case l.Type == "header":
			return nil, importErr(n, "a second header")
		case l.Type == "end":
			if l.Records != im.records {
				return nil, importErr(n, "the end line counts %d records, the export holds %d", l.Records, im.records)
			}
			if l.SHA256 != hex.EncodeToString(h.Sum(nil)) {
				return nil, importErr(n, "the SHA-256 of the export does not match its end line (the file was changed or damaged)")
			}
			if _, err := readLine(br); !errors.Is(err, io.EOF) {
				return nil, importErr(n+1, "data after the end line")
			}
			if err := im.checkRefs(custPartner); err != nil {
				return nil, err
			}
			if im.headLine != 0 || im.head.Actors != 0 || im.head.Line != 0 || im.head.Recent != 0 {
				b, err := enc(im.head)
				if err != nil {
					return nil, importErr(im.headLine, "%v", err)
				}
				if err := im.add(im.headLine, bMeta, keyAuditHead, b); err != nil {
					return nil, err
				}
			}
			return im, nil
		default:
			if l.Format != "" || l.Version != 0 || l.Records != 0 || l.SHA256 != "" || len(l.Record) == 0 {
				return nil, importErr(n, "a %q line holds a record and nothing else", l.Type)
			}
			if err := im.record(n, l.Type, l.Record, custPartner); err != nil {
				return nil, err
			}
			im.records++
		}
		h.Write(raw)
		h.Write([]byte{'\n'})
	}
}

// readLine reads one line (without its newline) of at most maxExportLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxExportLine+1 {
			return nil, fmt.Errorf("line longer than %d bytes", maxExportLine)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, errors.New("the last line has no newline (truncated)")
		default:
			return nil, err
		}
	}
}

// add records a put, refusing a key written twice.
func (im *imported) add(line int, bucket, key string, val []byte) error {
	if err := CheckKey(bucket, key); err != nil {
		return importErr(line, "%s key %q: %v", bucket, key, err)
	}
	kk := [2]string{bucket, key}
	if first, dup := im.seen[kk]; dup {
		return importErr(line, "%s %q was written by line %d already (a record twice, or two records with one key)", bucket, key, first)
	}
	im.seen[kk] = line
	im.puts = append(im.puts, put{bucket, key, val})
	return nil
}

// record checks one record and adds its puts: the record and its indexes.
func (im *imported) record(line int, typ string, raw json.RawMessage, custPartner map[string]string) error {
	rec, err := recordOf(typ)
	if err != nil {
		return importErr(line, "%v", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(rec); err != nil {
		return importErr(line, "%s: %v", typ, err)
	}
	ids := func(pairs ...string) error {
		for i := 0; i < len(pairs); i += 2 {
			if err := checkID(pairs[i], pairs[i+1]); err != nil {
				return importErr(line, "%s: %v", typ, err)
			}
		}
		return nil
	}
	refer := func(r ref) { r.line = line; im.refs = append(im.refs, r) }
	store := func(bucket string, v any) error {
		b, err := enc(v)
		if err != nil {
			return importErr(line, "%s: %v", typ, err)
		}
		return im.add(line, bucket, primaryKey(typ, rec), b)
	}
	switch r := rec.(type) {
	case *counterRec:
		if r.Name == "" || r.Value == 0 {
			return importErr(line, "counter %q at %d", r.Name, r.Value)
		}
		if c := im.head.counter(r.Name); c != nil {
			// A counter the audit head keeps goes into the head (written at the end).
			if *c != 0 {
				return importErr(line, "counter %q twice", r.Name)
			}
			*c = r.Value
			return nil
		}
		return im.add(line, bMeta, "seq/"+r.Name, []byte(n16(r.Value)))
	case *auditHead:
		if im.headLine != 0 {
			return importErr(line, "a second audit head (line %d has one)", im.headLine)
		}
		im.head.Seq, im.head.Hash, im.headLine = r.Seq, r.Hash, line
		return nil
	case *Partner:
		if err := checkPartner(*r); err != nil {
			return importErr(line, "%v", err)
		}
		im.partners[r.ID] = true
		return store(bPartners, r)
	case *User:
		if err := checkUser(*r); err != nil {
			return importErr(line, "%v", err)
		}
		im.users[r.ID] = true
		refer(ref{what: "user " + r.ID, id: r.Partner, partner: true})
		if err := store(bUsers, r); err != nil {
			return err
		}
		return im.index(line, [][2]string{{bUsersByP, k(r.Partner, r.ID)}})
	case *allowanceRec:
		if err := ids("distributor", r.Distributor, "dealer", r.Dealer); err != nil {
			return err
		}
		refer(ref{what: "allowance", id: r.Distributor, partner: true})
		refer(ref{what: "allowance", id: r.Dealer, partner: true})
		return im.add(line, bAllow, k(r.Distributor, r.Dealer), nil)
	case *orderRec:
		if err := ids("partner", r.Partner, "purchase order", r.PO, "sales order", r.SO); err != nil {
			return err
		}
		refer(ref{what: "order " + r.PO, id: r.Partner, partner: true})
		return im.add(line, bOrders, k(r.Partner, r.PO, r.SO), nil)
	case *ShippedLine:
		if err := ids("partner", r.Partner, "purchase order", r.PO, "sales order", r.SO, "part", r.Part); err != nil {
			return err
		}
		if r.ID == 0 {
			return importErr(line, "shipped line 0")
		}
		refer(ref{what: fmt.Sprintf("shipped line %d", r.ID), id: r.Partner, partner: true})
		if err := store(bLines, r); err != nil {
			return err
		}
		idx := [][2]string{{bPartnerLines, k(r.Partner, n16(r.ID))}, {bPO, k(r.PO, r.Partner, n16(r.ID))}, {bSO, k(r.SO, r.Partner, n16(r.ID))}}
		if r.InBin > 0 {
			idx = append(idx, [2]string{bBin, binKey(*r)})
		}
		return im.index(line, idx)
	case *Customer:
		if err := ids("customer id", r.ID, "partner", r.Partner); err != nil {
			return err
		}
		if err := checkCustomer(*r); err != nil {
			return importErr(line, "%v", err)
		}
		im.customers[r.ID] = true
		custPartner[r.ID] = r.Partner
		refer(ref{what: "customer " + r.ID, id: r.Partner, partner: true})
		if err := store(bCustomers, r); err != nil {
			return err
		}
		return im.index(line, [][2]string{{bCustByP, k(r.Partner, r.ID)}})
	case *Location:
		if err := ids("location id", r.ID, "customer", r.Customer, "partner", r.Partner, "system", r.System, "hardware key code", r.HWKC); err != nil {
			return err
		}
		if err := checkLocationText(*r); err != nil {
			return importErr(line, "%v", err)
		}
		if err := checkAttrs(r.Attrs); err != nil {
			return importErr(line, "%v", err)
		}
		im.locations[r.ID] = true
		refer(ref{what: "location " + r.ID, id: r.Customer, customer: true, ownerOf: r.Customer, ownerPart: r.Partner})
		idx := [][2]string{{bLocByP, k(r.Partner, r.ID)}, {bLocByC, k(r.Customer, r.ID)}, {bLocName, k(nameKey(r.Name), r.ID)}}
		if r.Parent != "" {
			if err := ids("parent", r.Parent); err != nil {
				return err
			}
			refer(ref{what: "location " + r.ID, id: r.Parent, location: true})
			idx = append(idx, [2]string{bKids, k(r.Parent, r.ID)})
		}
		if err := store(bLocs, r); err != nil {
			return err
		}
		if err := im.index(line, idx); err != nil {
			return err
		}
		for _, code := range append([]string{r.HWKC, r.SecondaryHWKC}, r.FormerHWKC...) {
			if code == "" {
				continue
			}
			if err := ids("hardware key code", code); err != nil {
				return err
			}
			bucket := bHWKC
			if slices.Contains(r.FormerHWKC, code) {
				bucket = bRetired
			}
			if err := im.add(line, bucket, code, []byte(r.ID)); err != nil {
				return err
			}
		}
		return nil
	case *Line:
		if err := ids("software key code", r.SKC, "location", r.Location, "partner", r.Partner, "part", r.Part); err != nil {
			return err
		}
		if r.State < StateAttached || r.State > StateCancelled || r.Source == 0 {
			return importErr(line, "line %s: state %d, source %d", r.SKC, r.State, r.Source)
		}
		if r.Type != "" && (!r.Type.FixedTerm() || r.NotAfter.IsZero()) || r.Type == "" && !r.NotAfter.IsZero() {
			return importErr(line, "line %s: type %q with end %v", r.SKC, r.Type, r.NotAfter)
		}
		refer(ref{what: "line " + r.SKC, id: r.Location, location: true})
		// The line under its location, its code's entry and its indexes naming the location
		// (lines.go).
		b, err := enc(r)
		if err != nil {
			return importErr(line, "%s: %v", typ, err)
		}
		if err := im.add(line, bLocLines, lineKey(r.Location, r.SKC), b); err != nil {
			return err
		}
		loc := []byte(r.Location)
		puts := []put{{bSKC, r.SKC, loc}, {bSource, k(n16(r.Source), r.SKC), loc}}
		switch r.State {
		case StateAttached:
			puts = append(puts, put{bRecent, recentKey(r.Partner, recentAttached, r.Recent), recentValue(*r)})
		case StateActivated:
			if r.FixedTerm() {
				puts = append(puts, put{bTermEnd, k(unixKey(r.NotAfter), r.SKC), loc})
			}
			puts = append(puts, put{bRecent, recentKey(r.Partner, recentActivated, r.Recent), recentValue(*r)})
		}
		for _, p := range puts {
			if err := im.add(line, p.bucket, p.key, p.val); err != nil {
				return err
			}
		}
		return nil
	case *Issued:
		if err := ids("location", r.Location); err != nil {
			return err
		}
		if typ == "demo_file" && (!r.Demo || r.Serial == 0) {
			return importErr(line, "demo file of %s: demo %v, serial %d", r.Location, r.Demo, r.Serial)
		}
		if (typ == "term_file") != (r.Type != "") || r.Type != "" && (!r.Type.FixedTerm() || r.NotAfter.IsZero()) {
			return importErr(line, "%s of %s: type %q, end %v", typ, r.Location, r.Type, r.NotAfter)
		}
		refer(ref{what: typ + " of " + r.Location, id: r.Location, location: true})
		bucket := bFiles
		switch typ {
		case "demo_file":
			bucket = bDemos
		case "term_file":
			bucket = bTermFiles
		}
		// Kept as the ledger keeps it: without its download when that is the svi zip of its
		// signed file (storedFile).
		rec := storedFile{Issued: *r, SVI: isSVIZip(*r)}
		if rec.SVI {
			rec.Data = nil
		}
		return store(bucket, rec)
	case *Reshipment:
		if err := ids("from", r.From, "to", r.To); err != nil {
			return err
		}
		if r.ID == 0 {
			return importErr(line, "reshipment 0")
		}
		refer(ref{what: "reshipment", id: r.From, partner: true})
		refer(ref{what: "reshipment", id: r.To, partner: true})
		if err := store(bReship, r); err != nil {
			return err
		}
		v := []byte(n16(r.ID))
		if err := im.add(line, bReshipF, k(r.From, newestFirst(r.ID)), v); err != nil {
			return err
		}
		return im.add(line, bReshipT, k(r.To, newestFirst(r.ID)), v)
	case *Return:
		if err := ids("from", r.From); err != nil {
			return err
		}
		if r.ID == 0 {
			return importErr(line, "return 0")
		}
		refer(ref{what: "return", id: r.From, partner: true})
		to := "\x01vendor"
		if r.To != "" {
			if err := ids("to", r.To); err != nil {
				return err
			}
			refer(ref{what: "return", id: r.To, partner: true})
			to = r.To
		}
		if err := store(bReturn, r); err != nil {
			return err
		}
		v := []byte(n16(r.ID))
		if err := im.add(line, bReturnF, k(r.From, newestFirst(r.ID)), v); err != nil {
			return err
		}
		return im.add(line, bReturnT, k(to, newestFirst(r.ID)), v)
	case *AuditRecord:
		if r.Seq == 0 {
			return importErr(line, "audit record 0")
		}
		return store(bAudit, r)
	case *Token:
		if err := ids("token id", r.ID, "user", r.User); err != nil {
			return err
		}
		if r.As != "" {
			if err := ids("impersonated user", r.As); err != nil {
				return err
			}
		}
		if len(r.Hash) != sha256.Size || r.Expires.IsZero() {
			return importErr(line, "token %s: hash of %d bytes, expires %v", r.ID, len(r.Hash), r.Expires)
		}
		refer(ref{what: "token " + r.ID, id: r.User, user: true})
		if err := store(bTokens, r); err != nil {
			return err
		}
		return im.index(line, [][2]string{{bTokensBy, k(r.User, r.ID)}})
	case *idemExport:
		if err := ids("user", r.User); err != nil {
			return err
		}
		if r.As != "" {
			if err := ids("impersonated user", r.As); err != nil {
				return err
			}
		}
		if err := CheckIdempotencyKey(r.Key); err != nil || strings.Contains(r.Key, sep) {
			return importErr(line, "idempotency key %q: %v", r.Key, err)
		}
		if r.Expires.IsZero() || len(r.Response.Body) > maxStoredResponse {
			return importErr(line, "idempotency key %q: expires %v, response of %d bytes", r.Key, r.Expires, len(r.Response.Body))
		}
		refer(ref{what: "idempotency key " + r.Key, id: r.User, user: true})
		rk := k(r.User, r.As, r.Key)
		b, err := enc(idemRecord{Fingerprint: r.Fingerprint, Created: r.Created, Expires: r.Expires, Response: r.Response})
		if err != nil {
			return importErr(line, "%v", err)
		}
		if err := im.add(line, bIdem, rk, b); err != nil {
			return err
		}
		return im.index(line, [][2]string{{bIdemExp, k(n16(uint64(r.Expires.Unix())), rk)}})
	case *extRec:
		kk, err := extKey(r.Bucket, r.Key)
		if err != nil {
			return importErr(line, "%v", err)
		}
		return im.add(line, bExt, kk, r.CBOR)
	}
	return importErr(line, "record type %q unknown", typ)
}

// index adds empty index entries.
func (im *imported) index(line int, keys [][2]string) error {
	for _, kk := range keys {
		if err := im.add(line, kk[0], kk[1], nil); err != nil {
			return err
		}
	}
	return nil
}

// checkRefs refuses a record naming a partner, customer or location the export does not hold, and
// a location whose partner is not its customer's.
func (im *imported) checkRefs(custPartner map[string]string) error {
	for _, r := range im.refs {
		switch {
		case r.partner && !im.partners[r.id]:
			return importErr(r.line, "%s names partner %q, which the export does not hold", r.what, r.id)
		case r.customer && !im.customers[r.id]:
			return importErr(r.line, "%s names customer %q, which the export does not hold", r.what, r.id)
		case r.location && !im.locations[r.id]:
			return importErr(r.line, "%s names location %q, which the export does not hold", r.what, r.id)
		case r.user && !im.users[r.id]:
			return importErr(r.line, "%s names user %q, which the export does not hold", r.what, r.id)
		case r.ownerOf != "" && custPartner[r.ownerOf] != r.ownerPart:
			return importErr(r.line, "%s belongs to partner %q, its customer to %q", r.what, r.ownerPart, custPartner[r.ownerOf])
		}
	}
	return nil
}
