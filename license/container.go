package license

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// Download containers (the guide's "Activate Licenses and Download License file" and "Attach and
// Activate BX / OVOC licenses"):
//
//   - PBX systems: <HWKC>-svi.zip holding <HWKC>-svi.lic, the signed permanent file. A location
//     whose fixed-term lines are issued in files of their own (one per entitlement type and end
//     date) gets every current file in the one zip: <HWKC>-svi.lic for the permanent file, if
//     any, then <HWKC>-svi-<type>-<yyyyMMddHHmmss>.lic for each fixed-term file, <type> its
//     entitlement type code (or its term's name, "demo" or "service", when it carries none) and
//     the time its NotAfter (UTC), in name order ([SVIZipFiles], [ReadSVIZipFiles]).
//   - BX/OVOC: AA_<productkey>_out.zip holding AA_<productkey>_out.lic per machine (two for a
//     redundant pair, each named after that machine's product key) and one AA_<productkey>_out.log
//     listing what the files hold, named after the primary machine like the zip.
//
// Writers are deterministic: entries are stored (not compressed) in a fixed order with a fixed
// time stamp (1980-01-01 00:00:00 UTC) and mode 0644, so the same files give the same zip bytes.
// Readers cap the input, the number of entries, each entry's size and their total, and refuse
// entry names that could escape a directory or collide (see [ReadSVIZip]). The .lic entries are
// returned as signed bytes for [Open]; nothing in a container is trusted before Open verifies it.

// Caps on containers a reader accepts.
const (
	MaxZipSize    = 4 << 20           // compressed input
	MaxZipEntries = MaxInstalledFiles // every file a device can hold, in one download
	maxZipTotal   = 3 << 20           // sum of uncompressed entry sizes
	maxEntryName  = 128
)

var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

type zipEntry struct {
	name string
	data []byte
}

func writeZip(entries []zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Store, Modified: zipTime}
		fh.SetMode(0o644)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zipErr(what, reason string) error {
	return &FormatError{What: what, Offset: -1, Reason: reason}
}

// readZip reads every entry of a container after checking caps and names.
func readZip(what string, data []byte) ([]zipEntry, error) {
	if len(data) > MaxZipSize {
		return nil, zipErr(what, strconv.Itoa(len(data))+" bytes, over the cap of "+strconv.Itoa(MaxZipSize))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &FormatError{What: what, Offset: -1, Reason: "not a zip archive: " + err.Error(), cause: err}
	}
	if zr == nil {
		return nil, zipErr(what, "not a zip archive")
	}
	if len(zr.File) == 0 {
		return nil, zipErr(what, "no entries")
	}
	if len(zr.File) > MaxZipEntries {
		return nil, zipErr(what, strconv.Itoa(len(zr.File))+" entries; at most "+strconv.Itoa(MaxZipEntries))
	}
	seen := make(map[string]bool, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		if r := unsafeName(f.Name); r != "" {
			return nil, zipErr(what, "entry "+strconv.Quote(truncate(f.Name))+": "+r)
		}
		low := strings.ToLower(f.Name)
		if seen[low] {
			return nil, zipErr(what, "entry "+strconv.Quote(f.Name)+" appears twice")
		}
		seen[low] = true
		if !f.Mode().IsRegular() {
			return nil, zipErr(what, "entry "+strconv.Quote(f.Name)+" is not a regular file ("+f.Mode().String()+")")
		}
		if f.Flags&0x1 != 0 {
			return nil, zipErr(what, "entry "+strconv.Quote(f.Name)+" is encrypted")
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, zipErr(what, "entry "+strconv.Quote(f.Name)+" uses compression method "+strconv.Itoa(int(f.Method)))
		}
		if f.UncompressedSize64 > MaxFileSize {
			return nil, zipErr(what, "entry "+strconv.Quote(f.Name)+" declares "+strconv.FormatUint(f.UncompressedSize64, 10)+" bytes, over the cap of "+strconv.Itoa(MaxFileSize))
		}
		total += f.UncompressedSize64
		if total > maxZipTotal {
			return nil, zipErr(what, "entries total over "+strconv.Itoa(maxZipTotal)+" bytes")
		}
	}
	out := make([]zipEntry, 0, len(zr.File))
	for _, f := range zr.File {
		b, err := readEntry(f)
		if err != nil {
			return nil, &FormatError{What: what, Offset: -1, Reason: "entry " + strconv.Quote(f.Name) + ": " + err.Error(), cause: err}
		}
		out = append(out, zipEntry{name: f.Name, data: b})
	}
	return out, nil
}

// readEntry reads one entry, never more than its declared size (already capped), so that a
// lying header cannot make it read more.
func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != f.UncompressedSize64 {
		return nil, errors.New("size does not match the header")
	}
	return b, nil
}

// unsafeName returns why name is not acceptable as an entry name, or "". Names are plain file
// names: no directories, no parent references, no absolute or drive paths, no control characters,
// nothing hidden, at most 128 bytes.
func unsafeName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > maxEntryName:
		return "name longer than " + strconv.Itoa(maxEntryName) + " bytes"
	case strings.ContainsAny(name, `/\`):
		return "name holds a path separator"
	case strings.Contains(name, ".."):
		return "name holds \"..\""
	case name[0] == '.':
		return "hidden name"
	case strings.ContainsRune(name, ':'):
		return "name holds ':' (drive or stream)"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= 0x7f {
			return "name holds a control or non-ASCII byte at " + strconv.Itoa(i)
		}
	}
	return ""
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// SVIName returns the download name of a PBX license file for code: "<code>-svi.zip".
func SVIName(code string) string { return code + "-svi.zip" }

// safeCode reports whether a code can be put in a file name as it is.
func safeCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SVIZip returns the download name and the bytes of the <HWKC>-svi.zip container of a signed PBX
// license file. The HWKC is read (unverified) from the file's payload; bytes that do not hold a
// valid license payload are refused. It is [SVIZipFiles] of one file.
func SVIZip(signed []byte) (name string, data []byte, err error) { return SVIZipFiles(signed) }

// sviEntryName is the entry name of a file in an SVI container: <code>-svi.lic for a permanent
// file, <code>-svi-<type>-<yyyyMMddHHmmss>.lic for a fixed-term one.
func sviEntryName(f *File) (string, error) {
	code := f.Host.Code.String()
	if !safeCode(code) {
		return "", zipErr("svi zip", "code "+strconv.Quote(code)+" cannot be a file name")
	}
	if !f.Term.FixedTerm() {
		return code + "-svi.lic", nil
	}
	kind := f.Entitlement
	if kind == "" {
		kind = f.Term.String()
	}
	return code + "-svi-" + kind + "-" + f.NotAfter.UTC().Format("20060102150405") + ".lic", nil
}

// SVIZipFiles returns the download name and the bytes of the <HWKC>-svi.zip container holding one
// or more signed license files of one location (the package documentation gives the entry
// names): every file must be bound to the same primary code (read, unverified, from its payload),
// and no two may take the same entry name (two permanent files, or two fixed-term files of one
// type and end). Entries are written in name order, so the permanent file comes first and the
// same files give the same bytes in any order. At most [MaxZipEntries] files.
func SVIZipFiles(signed ...[]byte) (name string, data []byte, err error) {
	if len(signed) == 0 || len(signed) > MaxZipEntries {
		return "", nil, zipErr("svi zip", strconv.Itoa(len(signed))+" files; 1 to "+strconv.Itoa(MaxZipEntries))
	}
	var (
		code    string
		entries []zipEntry
	)
	for i, s := range signed {
		f, err := peekFile(s)
		if err != nil {
			return "", nil, err
		}
		c := f.Host.Code.String()
		if i == 0 {
			code = c
		} else if c != code {
			return "", nil, zipErr("svi zip", "file "+strconv.Itoa(i+1)+" is bound to "+strconv.Quote(c)+", file 1 to "+strconv.Quote(code))
		}
		n, err := sviEntryName(f)
		if err != nil {
			return "", nil, err
		}
		for _, e := range entries {
			if e.name == n {
				return "", nil, zipErr("svi zip", "two files would be "+strconv.Quote(n))
			}
		}
		entries = append(entries, zipEntry{n, s})
	}
	sort.Slice(entries, func(i, j int) bool { return sviLess(entries[i].name, entries[j].name) })
	data, err = writeZip(entries)
	if err != nil {
		return "", nil, err
	}
	return SVIName(code), data, nil
}

// sviLess orders entry names: the permanent file (<code>-svi.lic) first, then by name.
func sviLess(a, b string) bool {
	pa, pb := strings.HasSuffix(a, "-svi.lic"), strings.HasSuffix(b, "-svi.lic")
	if pa != pb {
		return pa
	}
	return a < b
}

// ReadSVIZip returns the signed license file inside a <HWKC>-svi.zip container that holds exactly
// one ([ReadSVIZipFiles] reads one with several). The entry must be named as the package
// documentation says after the license payload it holds. Input over [MaxZipSize], more than
// [MaxZipEntries] entries, an entry over [MaxFileSize] or a total over 3 MiB (declared or actual),
// an entry name with a path separator, "..", a leading dot, a drive colon or a control character,
// a duplicate name, a directory, a link or an encrypted entry: each is an error matching
// [ErrMalformed]. The bytes are not verified: pass them to [Open].
func ReadSVIZip(data []byte) ([]byte, error) {
	files, err := ReadSVIZipFiles(data)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, zipErr("svi zip", strconv.Itoa(len(files))+" entries; want one <HWKC>-svi.lic (ReadSVIZipFiles reads several)")
	}
	return files[0], nil
}

// ReadSVIZipFiles returns every signed license file inside a <HWKC>-svi.zip container, in entry
// order: the current files of one location (its permanent file and its fixed-term files). Each
// entry must be named after the license payload it holds (the package documentation gives the
// names) and every file must be bound to the code the first entry names; the caps and name rules
// of [ReadSVIZip] apply. The bytes are not verified: pass each to [Open] (a device installs
// them all).
func ReadSVIZipFiles(data []byte) ([][]byte, error) {
	entries, err := readZip("svi zip", data)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(entries))
	var code string
	for i, e := range entries {
		if !strings.HasSuffix(e.name, ".lic") || !strings.Contains(e.name, "-svi") {
			return nil, zipErr("svi zip", "entry "+strconv.Quote(e.name)+" is not named <HWKC>-svi.lic or <HWKC>-svi-<type>-<end>.lic")
		}
		// As in a BX container, a name that disagrees with the file means a mixed-up container.
		f, err := peekFile(e.data)
		if err != nil {
			return nil, &FormatError{What: "svi zip", Offset: -1, Reason: "entry " + strconv.Quote(e.name) + ": " + err.Error(), cause: err}
		}
		want, err := sviEntryName(f)
		if err != nil {
			return nil, err
		}
		if e.name != want {
			return nil, zipErr("svi zip", "entry "+strconv.Quote(e.name)+" holds the file "+strconv.Quote(want))
		}
		c := f.Host.Code.String()
		if i == 0 {
			code = c
		} else if c != code {
			return nil, zipErr("svi zip", "entry "+strconv.Quote(e.name)+" is bound to "+strconv.Quote(c)+", the first entry to "+strconv.Quote(code))
		}
		out = append(out, e.data)
	}
	return out, nil
}

// BXName returns the download name of a BX/OVOC container for a product key:
// "AA_<productkey>_out.zip".
func BXName(productKey keycode.ProductKey) string { return "AA_" + productKey.String() + "_out.zip" }

// BXLicense is one machine's license file in a BX/OVOC container.
type BXLicense struct {
	// ProductKey is the machine's product key, from the entry name AA_<ProductKey>_out.lic.
	ProductKey keycode.ProductKey
	// Signed is the license file, to pass to [Open].
	Signed []byte
}

// String summarises the entry: its name and the size of the signed file, never the bytes.
func (l BXLicense) String() string {
	return "license.BXLicense{AA_" + l.ProductKey.String() + "_out.lic, " + strconv.Itoa(len(l.Signed)) + " bytes signed}"
}

// GoString is String: %#v never prints the signed bytes.
func (l BXLicense) GoString() string { return l.String() }

// BXBundle is what a BX/OVOC container holds.
type BXBundle struct {
	// ProductKey is the primary machine's product key, which names the .log entry (and the zip).
	ProductKey keycode.ProductKey
	// Licenses are the .lic entries: one per machine, two for a redundant pair, sorted by name.
	Licenses []BXLicense
	// Log is the text of the .log entry, for people.
	Log string
}

// String summarises the bundle: the product key and its licenses, never their bytes.
func (b BXBundle) String() string {
	s := "license.BXBundle{" + b.ProductKey.String() + ":"
	for _, l := range b.Licenses {
		s += " " + l.String()
	}
	return s + ", log of " + strconv.Itoa(len(b.Log)) + " bytes}"
}

// GoString is String: %#v never prints the signed bytes.
func (b BXBundle) GoString() string { return b.String() }

// BXZip returns the download name and bytes of the BX/OVOC container for one machine's license
// file, or for a redundant pair's two (primary first). Each file must carry a product key in its
// host binding (read, unverified, from its payload), and the two of a pair must differ. The zip,
// the .log and the primary's .lic are named after the primary's product key.
func BXZip(primary []byte, secondary []byte) (name string, data []byte, err error) {
	files := [][]byte{primary}
	if secondary != nil {
		files = append(files, secondary)
	}
	var (
		entries []zipEntry
		keys    []keycode.ProductKey
		parsed  []*File
	)
	for i, s := range files {
		f, err := peekFile(s)
		if err != nil {
			return "", nil, err
		}
		pk := f.Host.ProductKey
		if pk.IsZero() {
			return "", nil, zipErr("bx zip", "file "+strconv.Itoa(i+1)+" ("+f.Serial+") has no product key")
		}
		if i == 1 && pk == keys[0] {
			return "", nil, zipErr("bx zip", "both files are for product key "+pk.String())
		}
		keys = append(keys, pk)
		parsed = append(parsed, f)
		entries = append(entries, zipEntry{"AA_" + pk.String() + "_out.lic", s})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	log := bxLog(keys, parsed, files)
	entries = append(entries, zipEntry{"AA_" + keys[0].String() + "_out.log", []byte(log)})
	data, err = writeZip(entries)
	if err != nil {
		return "", nil, err
	}
	return BXName(keys[0]), data, nil
}

// bxLog lists what the license files of a container hold, one block per file, deterministic.
func bxLog(keys []keycode.ProductKey, files []*File, signed [][]byte) string {
	var b strings.Builder
	b.WriteString("lmskit license container " + BXName(keys[0]) + "\n")
	for i, f := range files {
		b.WriteString("\nfile AA_" + keys[i].String() + "_out.lic\n")
		writeFileSummary(&b, f, ActivationCode(signed[i]))
	}
	return b.String()
}

// writeFileSummary writes a readable summary of a file: the lines a .log holds.
func writeFileSummary(b *strings.Builder, f *File, activation string) {
	const layout = "2006-01-02 15:04:05 UTC"
	kv := func(k, v string) { b.WriteString("  " + k + ": " + v + "\n") }
	kv("serial", f.Serial)
	kv("system", string(f.Host.System))
	kv("hwkc", f.Host.Code.String())
	if !f.Host.Secondary.IsZero() {
		kv("secondary", f.Host.Secondary.String())
	}
	if !f.Host.ProductKey.IsZero() {
		kv("product key", f.Host.ProductKey.String())
	}
	kv("term", f.Term.String())
	if f.Entitlement != "" {
		kv("entitlement", f.Entitlement)
	}
	kv("issued", f.Issued.UTC().Format(layout))
	if !f.NotAfter.IsZero() {
		kv("not after", f.NotAfter.UTC().Format(layout))
	}
	kv("activation code", activation)
	kv("lines", strconv.Itoa(len(f.Lines)))
	for _, l := range f.Lines {
		b.WriteString("    " + l.Part + " " + l.Kind.String() + " " + strconv.Itoa(l.Qty))
		if l.SKC != "" {
			b.WriteString(" skc " + l.SKC)
		}
		if l.Name != "" {
			b.WriteString(" \"" + l.Name + "\"")
		}
		b.WriteString("\n")
	}
}

// ReadBXZip reads a BX/OVOC container: one or two entries AA_<productkey>_out.lic and one
// AA_<productkey>_out.log named after one of them (the primary), nothing else. The caps and name
// rules of [ReadSVIZip] apply, and each .lic must hold a license payload bound to the product key
// its name says. The .lic bytes are not verified: pass each to [Open] and check it against the
// machine it is for.
func ReadBXZip(data []byte) (*BXBundle, error) {
	entries, err := readZip("bx zip", data)
	if err != nil {
		return nil, err
	}
	var (
		bundle BXBundle
		logs   int
	)
	for _, e := range entries {
		pk, kind, ok := bxEntryName(e.name)
		if !ok {
			return nil, zipErr("bx zip", "entry "+strconv.Quote(e.name)+" is not AA_<productkey>_out.lic or .log")
		}
		if kind == "log" {
			logs++
			bundle.ProductKey = pk
			bundle.Log = string(e.data)
			continue
		}
		// The name is a label, but one that disagrees with the file it labels means a mixed-up
		// container: refuse it here rather than install one machine's file on the other.
		f, err := peekFile(e.data)
		if err != nil {
			return nil, &FormatError{What: "bx zip", Offset: -1, Reason: "entry " + strconv.Quote(e.name) + ": " + err.Error(), cause: err}
		}
		if f.Host.ProductKey != pk {
			return nil, zipErr("bx zip", "entry "+strconv.Quote(e.name)+" holds the file of product key "+strconv.Quote(f.Host.ProductKey.String()))
		}
		bundle.Licenses = append(bundle.Licenses, BXLicense{ProductKey: pk, Signed: e.data})
	}
	switch {
	case logs != 1:
		return nil, zipErr("bx zip", strconv.Itoa(logs)+" .log entries; want one")
	case len(bundle.Licenses) == 0 || len(bundle.Licenses) > 2:
		return nil, zipErr("bx zip", strconv.Itoa(len(bundle.Licenses))+" .lic entries; want one, or two for a redundant pair")
	}
	primary := false
	for _, l := range bundle.Licenses {
		primary = primary || l.ProductKey == bundle.ProductKey
	}
	if !primary {
		return nil, zipErr("bx zip", "the .log is named for "+bundle.ProductKey.String()+", which has no .lic")
	}
	sort.Slice(bundle.Licenses, func(i, j int) bool {
		return bundle.Licenses[i].ProductKey.String() < bundle.Licenses[j].ProductKey.String()
	})
	return &bundle, nil
}

// bxEntryName splits AA_<pk>_out.lic or AA_<pk>_out.log.
func bxEntryName(name string) (pk keycode.ProductKey, kind string, ok bool) {
	rest, ok := strings.CutPrefix(name, "AA_")
	if !ok {
		return keycode.ProductKey{}, "", false
	}
	for _, k := range [...]string{"lic", "log"} {
		if p, found := strings.CutSuffix(rest, "_out."+k); found {
			if pk, err := keycode.ParseProductKey(p); err == nil && pk.String() == p {
				return pk, k, true
			}
		}
	}
	return keycode.ProductKey{}, "", false
}
