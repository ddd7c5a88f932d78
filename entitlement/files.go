package entitlement

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// A location's files. A license file has one term, so a location's activated lines are issued in
// one file per term: the permanent file (every line of type T) and, beside it, one file per
// entitlement type and end date of its fixed-term lines, each carrying the type and its end
// (NotAfter) so that a device ends it on time. Every issue re-issues them all, each with the next
// serial of the location; the download holds every current one. A file whose lines were revoked is
// issued again without them, superseding its earlier files ([IssueRequest].Supersede), and a file
// that lost every line is issued empty, so that it still ends what they granted.

const (
	// bTermFiles holds the current fixed-term files: location sep type sep n16(end) → Issued.
	bTermFiles = "tfiles"
	// bTermEnd indexes activated fixed-term lines by end: n16(end) sep skc → location (lines.go).
	bTermEnd = "termend"
)

func init() { allBuckets = append(allBuckets, bTermFiles, bTermEnd) }

// storedFile is an issued file as the ledger keeps it (in bFiles, bTermFiles and bDemos). A file
// whose download is the <HWKC>-svi.zip of its one signed file, as license.SVIZip builds it (what
// [LicenseIssuer] issues for an SVI container), keeps the signed file only, with SVI set: the
// zip, stored, would hold the signed file a second time, and license.SVIZip builds the same bytes
// again when the file is read for its download (readFile). Records written before SVI was kept,
// and every other file, keep Data.
type storedFile struct {
	Issued
	SVI bool `cbor:"13,keyasint,omitempty"`
}

// putFile writes an issued file; svi says its Data is license.SVIZip of its File.
func (o *op) putFile(bucket, key string, f Issued, svi bool) error {
	rec := storedFile{Issued: f, SVI: svi}
	if svi {
		rec.Data = nil
	}
	return o.putRec(bucket, key, rec)
}

// sviFromIssuer reports whether a file the issuer issued for the container is license.SVIZip of
// its signed file: what LicenseIssuer.Issue returns for an SVI container.
func sviFromIssuer(iss Issuer, c Container) bool {
	switch iss.(type) {
	case LicenseIssuer, *LicenseIssuer:
		return c == ContainerSVI
	}
	return false
}

// isSVIZip reports whether f's download is license.SVIZip of its signed file (for files whose
// issuer is not known, as in an import).
func isSVIZip(f Issued) bool {
	if f.External || len(f.File) == 0 {
		return false
	}
	name, data, err := license.SVIZip(f.File)
	return err == nil && name == f.Name && bytes.Equal(data, f.Data)
}

// readFile decodes a stored file: without its download when it is kept without it (svi true:
// what describes the file and its signed bytes are there; withSVIZip builds the download).
func readFile(v []byte) (f Issued, svi bool, err error) {
	var r storedFile
	if err := dec(v, &r); err != nil {
		return Issued{}, false, err
	}
	return r.Issued, r.SVI, nil
}

// withSVIZip sets the download of a file kept without it: the svi zip of its signed file.
func withSVIZip(f Issued) (Issued, error) {
	name, data, err := license.SVIZip(f.File)
	if err != nil || name != f.Name {
		return Issued{}, wrapf(ErrCorrupt, "file %s of location %s: its svi zip: %v", f.Name, f.Location, err)
	}
	f.Data = data
	return f, nil
}

// readFullFile decodes a stored file with its download.
func readFullFile(v []byte) (Issued, error) {
	f, svi, err := readFile(v)
	if err != nil || !svi {
		return f, err
	}
	return withSVIZip(f)
}

// getFile reads a stored file (see readFile); ok is false when there is none.
func (o *op) getFile(bucket, key string) (f Issued, svi, ok bool, err error) {
	v, ok, err := o.tx.Get(bucket, key)
	if err != nil || !ok {
		return Issued{}, false, false, err
	}
	f, svi, err = readFile(v)
	return f, svi, true, err
}

// termFile is a fixed-term file as termFiles reads it: svi says it is kept without its download.
type termFile struct {
	Issued
	svi bool
}

func unixKey(t time.Time) string { return n16(uint64(max(t.Unix(), 0))) }

func termFileKey(loc string, t license.EntitlementType, end time.Time) string {
	return k(loc, string(t), unixKey(end))
}

// indexTerm puts an activated fixed-term line in the index by end.
func (o *op) indexTerm(ln Line) error {
	if !ln.FixedTerm() {
		return nil
	}
	return o.tx.Put(bTermEnd, k(unixKey(ln.NotAfter), ln.SKC), []byte(ln.Location))
}

// unindexTerm takes a line out of the index by end.
func (o *op) unindexTerm(ln Line) error {
	if !ln.FixedTerm() {
		return nil
	}
	return o.tx.Delete(bTermEnd, k(unixKey(ln.NotAfter), ln.SKC))
}

// ended reports whether a fixed-term line has reached its end at the operation's time.
func (o *op) ended(ln Line) bool { return ln.FixedTerm() && !ln.NotAfter.After(o.now) }

// fixedTermFits says why a location cannot hold fixed-term lines, or nil: their files need a
// download that holds several files of one code. An external product's one file comes from
// outside, and a BX/OVOC container holds one file per machine.
func (o *op) fixedTermFits(loc Location) error {
	if o.l.external(loc.System) {
		return fmt.Errorf("location %s is an external product (%s): its file comes from outside, so it takes no fixed-term line", loc.ID, loc.System)
	}
	if c := o.l.container(loc.System); c != ContainerSVI {
		return fmt.Errorf("location %s (%s) downloads a %s container, which holds one file per machine: it takes no fixed-term line", loc.ID, loc.System, c)
	}
	return nil
}

// fileGroup is the lines of one file of a location: the permanent file (typ "") or the
// fixed-term file of one type and end.
type fileGroup struct {
	typ     license.EntitlementType
	end     time.Time
	lines   []IssueLine
	revoked bool // a line of the group was revoked: the file supersedes the earlier ones
	had     bool // a file of the group was issued before
}

// issue builds, signs and stores every file of the location from its activated lines (see the
// comment at the top of this file) and returns its download. all is every line of the location
// as the operation holds it, nil to read them. The system's [IssueRules], if any, choose the
// container and prepare each request.
func (o *op) issue(loc Location, all []Line) (Issued, error) {
	if o.l.external(loc.System) {
		return Issued{}, wrapf(ErrState, "the license file of external product location %s comes from outside (pending until supplied)", loc.ID)
	}
	if o.l.cfg.Issuer == nil {
		return Issued{}, wrapf(ErrState, "no issuer configured: cannot issue the license file")
	}
	if all == nil {
		var err error
		if all, err = o.locLines(loc.ID); err != nil {
			return Issued{}, err
		}
	}
	type groupKey struct {
		typ license.EntitlementType
		end int64
	}
	groups := map[groupKey]*fileGroup{}
	group := func(t license.EntitlementType, end time.Time) *fileGroup {
		key := groupKey{t, max(end.Unix(), 0)} // as the file's key keeps the end (unixKey)
		g := groups[key]
		if g == nil {
			g = &fileGroup{typ: t, end: end}
			groups[key] = g
		}
		return g
	}
	for _, ln := range all {
		if o.ended(ln) {
			continue // its file ended with it
		}
		switch ln.State {
		case StateActivated:
			part, _ := o.l.cat.Part(ln.Part)
			g := group(ln.Type, ln.NotAfter)
			g.lines = append(g.lines, IssueLine{SKC: ln.SKC, Part: ln.Part, Name: part.Name, Kind: part.Kind, Qty: ln.Qty,
				PO: ln.PO, SO: ln.SO, Activated: ln.ActivatedAt})
		case StateRevoked:
			group(ln.Type, ln.NotAfter).revoked = true
		}
	}
	if _, ok, err := probe(o.tx, bFiles, loc.ID); err != nil {
		return Issued{}, err
	} else if ok {
		group("", time.Time{}).had = true
	}
	err := o.tx.Scan(bTermFiles, loc.ID+sep, func(kk string, _ []byte) (bool, error) {
		t, end, ok := parseTermFileKey(kk[len(loc.ID)+1:])
		if !ok {
			return false, wrapf(ErrCorrupt, "fixed-term file key %q", kk)
		}
		if end.After(o.now) {
			group(t, end).had = true
		}
		return true, nil
	})
	if err != nil {
		return Issued{}, err
	}
	ordered := make([]*fileGroup, 0, len(groups))
	for _, g := range groups {
		// A group without lines is issued only to supersede (empty) what its files granted.
		if len(g.lines) > 0 || g.had && g.revoked {
			ordered = append(ordered, g)
		}
	}
	if len(ordered) == 0 {
		return Issued{}, wrapf(ErrState, "location %s has no activated lines", loc.ID)
	}
	if len(ordered) > MaxLocationFiles {
		return Issued{}, wrapf(ErrState, "location %s would have %d current files: a download holds at most %d", loc.ID, len(ordered), MaxLocationFiles)
	}
	slices.SortFunc(ordered, func(a, b *fileGroup) int {
		return cmp.Or(strings.Compare(string(a.typ), string(b.typ)), a.end.Compare(b.end))
	})
	sys, _ := o.l.cat.System(loc.System)
	fresh := make(map[string]Issued, len(ordered)) // by key: what download would read back
	for _, g := range ordered {
		req := IssueRequest{System: sys, Issued: o.now, Container: o.l.container(loc.System), Lines: g.lines,
			Type: g.typ, NotAfter: g.end, Supersede: g.revoked}
		if ir, ok := o.l.cfg.Rules[loc.System].(IssueRules); ok {
			if loc, req.Pair, err = o.prepareIssue(ir, loc, req); err != nil {
				return Issued{}, err
			}
		}
		loc.FileSerial++
		req.Location, req.Serial = loc, loc.FileSerial
		f, err := o.l.cfg.Issuer.Issue(req)
		if err != nil {
			return Issued{}, wrapf(ErrState, "issuing the license file of %s: %v", loc.ID, err)
		}
		f.Location, f.Serial, f.Issued, f.Demo, f.NotAfter, f.Type = loc.ID, loc.FileSerial, o.now, false, g.end, g.typ
		f.Contents, f.Warnings = nil, nil
		o.ref("file", f.Name)
		svi := sviFromIssuer(o.l.cfg.Issuer, req.Container)
		if g.typ == "" {
			fresh[loc.ID] = f
			err = o.putFile(bFiles, loc.ID, f, svi)
		} else {
			key := termFileKey(loc.ID, g.typ, g.end)
			fresh[key] = f
			err = o.putFile(bTermFiles, key, f, svi)
		}
		if err != nil {
			return Issued{}, err
		}
	}
	if err := o.putRec(bLocs, loc.ID, loc); err != nil {
		return Issued{}, err
	}
	return o.download(loc, fresh)
}

// parseTermFileKey reads the type and end of a fixed-term file from its key after the location.
func parseTermFileKey(s string) (license.EntitlementType, time.Time, bool) {
	t, end, ok := strings.Cut(s, sep)
	n, okN := parseN16(end)
	if !ok || !okN {
		return "", time.Time{}, false
	}
	return license.EntitlementType(t), time.Unix(int64(n), 0).UTC(), true
}

// MaxLocationFiles is the most current files a location holds (its permanent file and its
// fixed-term files): what one download, and a device, hold.
const MaxLocationFiles = license.MaxInstalledFiles

// termFiles returns a location's current fixed-term files (those whose end has not come), in type
// then end order, as readFile reads them. fresh holds files the operation wrote, by key: they are
// not decoded again.
func (o *op) termFiles(loc string, fresh map[string]Issued) ([]termFile, error) {
	var out []termFile
	err := o.tx.Scan(bTermFiles, loc+sep, func(kk string, v []byte) (bool, error) {
		f, ok := fresh[kk]
		var svi bool
		if !ok {
			var err error
			if f, svi, err = readFile(v); err != nil {
				return false, err
			}
		}
		if f.NotAfter.After(o.now) {
			out = append(out, termFile{f, svi})
		}
		return true, nil
	})
	return out, err
}

// download returns a location's download: its current files, packed when there are several.
// fresh holds files the operation wrote, by key: they are not read back.
func (o *op) download(loc Location, fresh map[string]Issued) (Issued, error) {
	var files []termFile
	if f, ok := fresh[loc.ID]; ok {
		files = append(files, termFile{f, false})
	} else if f, svi, ok, err := o.getFile(bFiles, loc.ID); err != nil {
		return Issued{}, err
	} else if ok {
		files = append(files, termFile{f, svi})
	}
	terms, err := o.termFiles(loc.ID, fresh)
	if err != nil {
		return Issued{}, err
	}
	files = append(files, terms...)
	if len(files) == 0 {
		if o.l.external(loc.System) {
			return Issued{}, wrapf(ErrState, "the license file of location %s is pending: it is supplied from outside", loc.ID)
		}
		return Issued{}, wrapf(ErrState, "location %s has no license file yet", loc.ID)
	}
	out := files[0].Issued
	for _, f := range files {
		out.Contents = append(out.Contents, f.info())
	}
	if len(files) == 1 {
		if files[0].svi {
			return withSVIZip(out)
		}
		return out, nil
	}
	p, ok := o.l.cfg.Issuer.(Packer)
	if !ok {
		return Issued{}, wrapf(ErrState, "location %s has %d current files and the issuer cannot pack several into one download (Packer)", loc.ID, len(files))
	}
	sys, _ := o.l.cat.System(loc.System)
	req := PackRequest{Location: loc, System: sys, Container: o.l.container(loc.System)}
	for _, f := range files {
		req.Files = append(req.Files, f.File)
	}
	if out.Name, out.Data, err = p.Pack(req); err != nil {
		return Issued{}, wrapf(ErrState, "packing the files of %s: %v", loc.ID, err)
	}
	return out, nil
}

// Packer is implemented by an [Issuer] that packs several files of one location into one
// download: a location with fixed-term lines has its permanent file and one file per entitlement
// type and end date. The ledger calls Pack whenever it hands out such a download
// ([Ledger.Download], and what Activate and Regenerate return); Pack must be deterministic. Without
// it a location with more than one current file cannot be downloaded ([ErrState]).
type Packer interface {
	Pack(req PackRequest) (name string, data []byte, err error)
}

// PackRequest is what a [Packer] packs: the signed files (Issued.File) of one location's download,
// its permanent file first, then its fixed-term files in type and end order.
type PackRequest struct {
	Location  Location
	System    System
	Container Container
	Files     [][]byte
}

// IssueFile issues a license file through the ledger's [Issuer] for a host that is not one of the
// ledger's locations (a device known by its serial number, such as the ESN a temporary pre-sales
// license is bound to), as part of the operation, and returns it without keeping it: the operation
// keeps it in its own records. req.Location describes the host: its ID names the file (for
// [LicenseIssuer], the serial is ID + "." + Serial) and its HWKC must be a canonical code of
// req.System.Keycode; req.Lines need a part, a kind and a quantity each (1 to 10000 lines); Serial
// is 1 or more; a fixed-term Type needs a NotAfter after the operation's time, and T none. Issued
// is set to the operation's time and Demo and Pair are not allowed. It checks no role. A refused
// request is [ErrInvalid]; an issuer that fails, [ErrState].
func (x *Op) IssueFile(req IssueRequest) (Issued, error) {
	o := x.o
	if o.l.cfg.Issuer == nil {
		return Issued{}, wrapf(ErrState, "no issuer configured: cannot issue the license file")
	}
	if err := checkID("file host id", req.Location.ID); err != nil {
		return Issued{}, err
	}
	if !req.System.Keycode.IsValid() {
		return Issued{}, wrapf(ErrInvalid, "file host system %q names no keycode system", req.System.Name)
	}
	c, err := keycode.Parse(req.System.Keycode, req.Location.HWKC)
	if err != nil || c.String() != req.Location.HWKC {
		return Issued{}, wrapf(ErrInvalid, "file host code %q is not a canonical %s code", req.Location.HWKC, req.System.Keycode)
	}
	if req.Serial == 0 || req.Demo || req.Pair != nil {
		return Issued{}, wrapf(ErrInvalid, "file request: serial %d, demo %v, pair %v", req.Serial, req.Demo, req.Pair != nil)
	}
	if len(req.Lines) == 0 || len(req.Lines) > 10000 {
		return Issued{}, wrapf(ErrInvalid, "file request with %d lines (1 to 10000)", len(req.Lines))
	}
	for i, ln := range req.Lines {
		if err := checkID("part", ln.Part); err != nil {
			return Issued{}, wrapf(ErrInvalid, "file line %d: %v", i+1, err)
		}
		if ln.Qty <= 0 || ln.Qty > license.MaxQty || ln.Kind < PartCount || ln.Kind > PartFlag {
			return Issued{}, wrapf(ErrInvalid, "file line %d (%s): kind %d, quantity %d", i+1, ln.Part, ln.Kind, ln.Qty)
		}
	}
	t := typeOrT(req.Type)
	switch {
	case !t.IsValid():
		return Issued{}, wrapf(ErrInvalid, "file request: entitlement type %q", req.Type)
	case t.FixedTerm() != !req.NotAfter.IsZero():
		return Issued{}, wrapf(ErrInvalid, "file request: type %s with end %v: a fixed-term type has an end and T none", t, req.NotAfter)
	case t.FixedTerm() && !req.NotAfter.After(o.now):
		return Issued{}, wrapf(ErrInvalid, "file request: ends %s, not after now", req.NotAfter.Format(time.RFC3339))
	}
	if t == license.TypeCommerce {
		req.Type = ""
	}
	req.Issued = o.now
	req.NotAfter = req.NotAfter.UTC().Truncate(time.Second)
	f, err := o.l.cfg.Issuer.Issue(req)
	if err != nil {
		return Issued{}, wrapf(ErrState, "issuing the license file of %s: %v", req.Location.ID, err)
	}
	f.Location, f.Serial, f.Issued, f.NotAfter, f.Type = req.Location.ID, req.Serial, o.now, req.NotAfter, req.Type
	o.ref("file", f.Name)
	return f, nil
}
