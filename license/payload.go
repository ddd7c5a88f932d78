package license

import (
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/lmskit/lmskit/keycode"
)

// This file is the payload codec: a hand-written encoder that writes RFC 8949 core deterministic
// CBOR, and a bounded decoder that accepts exactly what the encoder writes and nothing else, so
// that decoding then encoding gives the input bytes back. The format is in FORMAT.md.

// CBOR major types.
const (
	majUint  = 0
	majBytes = 2
	majText  = 3
	majArray = 4
	majMap   = 5
)

// Payload map keys. See FORMAT.md.
const (
	keyVersion     = 1
	keySerial      = 2
	keyIssued      = 3
	keyTerm        = 4
	keyNotAfter    = 5
	keyEntitlement = 6
	keyHost        = 7
	keyLines       = 8
	keySupersedes  = 9 // version 2

	hostSystem       = 1
	hostCode         = 2
	hostSecondary    = 3
	hostIP           = 4
	hostMAC          = 5
	hostComputerName = 6
	hostDomain       = 7
	hostProductKey   = 8

	lineSKC       = 1
	linePart      = 2
	lineName      = 3
	lineKind      = 4
	lineQty       = 5
	linePO        = 6
	lineSO        = 7
	lineActivated = 8
)

// MaxFileSize caps the signed bytes [Open] accepts (and so the payload), checked before parsing,
// and the signed bytes [File.Sign] writes: 1 MiB.
const MaxFileSize = 1 << 20

func appendHead(b []byte, major byte, n uint64) []byte {
	if n < 24 {
		return append(b, major<<5|byte(n))
	}
	return appendHeadLong(b, major, n)
}

func appendHeadLong(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return append(b, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

func appendText(b []byte, s string) []byte {
	b = appendHead(b, majText, uint64(len(s)))
	return append(b, s...)
}

func appendUintKV(b []byte, key byte, v uint64) []byte {
	return appendHead(append(b, key), majUint, v)
}

func appendTextKV(b []byte, key byte, s string) []byte {
	return appendText(append(b, key), s)
}

// appendPayload encodes a validated file. Keys are small integers written in ascending order,
// optional fields are left out when empty, lengths are definite and shortest.
func appendPayload(b []byte, f *File) []byte {
	n := uint64(6) // version, serial, issued, term, host, lines
	if !f.NotAfter.IsZero() {
		n++
	}
	if f.Entitlement != "" {
		n++
	}
	if f.Supersedes != "" {
		n++
	}
	b = appendHead(b, majMap, n)
	b = appendUintKV(b, keyVersion, uint64(f.version()))
	b = appendTextKV(b, keySerial, f.Serial)
	b = appendUintKV(b, keyIssued, uint64(f.Issued.Unix()))
	b = appendUintKV(b, keyTerm, uint64(f.Term))
	if !f.NotAfter.IsZero() {
		b = appendUintKV(b, keyNotAfter, uint64(f.NotAfter.Unix()))
	}
	if f.Entitlement != "" {
		b = appendTextKV(b, keyEntitlement, f.Entitlement)
	}
	b = append(b, keyHost)
	b = appendHost(b, &f.Host)
	b = append(b, keyLines)
	b = appendHead(b, majArray, uint64(len(f.Lines)))
	for i := range f.Lines {
		b = appendLine(b, &f.Lines[i])
	}
	if f.Supersedes != "" {
		b = appendTextKV(b, keySupersedes, f.Supersedes)
	}
	return b
}

func appendHost(b []byte, h *Host) []byte {
	n := uint64(2)
	sec := !h.Secondary.IsZero()
	for _, set := range [...]bool{sec, h.IP.IsValid(), !h.MAC.IsZero(), h.ComputerName != "", h.Domain != "", !h.ProductKey.IsZero()} {
		if set {
			n++
		}
	}
	b = appendHead(b, majMap, n)
	b = appendTextKV(b, hostSystem, string(h.System))
	b = appendTextKV(b, hostCode, h.Code.String())
	if sec {
		b = appendTextKV(b, hostSecondary, h.Secondary.String())
	}
	if h.IP.IsValid() {
		ip := h.IP.AsSlice()
		b = appendHead(append(b, hostIP), majBytes, uint64(len(ip)))
		b = append(b, ip...)
	}
	if !h.MAC.IsZero() {
		b = appendHead(append(b, hostMAC), majBytes, 6)
		b = append(b, h.MAC[:]...)
	}
	if h.ComputerName != "" {
		b = appendTextKV(b, hostComputerName, h.ComputerName)
	}
	if h.Domain != "" {
		b = appendTextKV(b, hostDomain, h.Domain)
	}
	if !h.ProductKey.IsZero() {
		b = appendTextKV(b, hostProductKey, h.ProductKey.String())
	}
	return b
}

func appendLine(b []byte, l *Line) []byte {
	n := uint64(3) // part, kind, qty
	for _, s := range [...]string{l.SKC, l.Name, l.PO, l.SO} {
		if s != "" {
			n++
		}
	}
	if !l.Activated.IsZero() {
		n++
	}
	b = appendHead(b, majMap, n)
	if l.SKC != "" {
		b = appendTextKV(b, lineSKC, l.SKC)
	}
	b = appendTextKV(b, linePart, l.Part)
	if l.Name != "" {
		b = appendTextKV(b, lineName, l.Name)
	}
	b = appendUintKV(b, lineKind, uint64(l.Kind))
	b = appendUintKV(b, lineQty, uint64(l.Qty))
	if l.PO != "" {
		b = appendTextKV(b, linePO, l.PO)
	}
	if l.SO != "" {
		b = appendTextKV(b, lineSO, l.SO)
	}
	if !l.Activated.IsZero() {
		b = appendUintKV(b, lineActivated, uint64(l.Activated.Unix()))
	}
	return b
}

// payloadSizeHint estimates the encoded size of f, to allocate once.
func payloadSizeHint(f *File) int {
	n := 64 + len(f.Serial) + len(f.Supersedes) + 2*64 + len(f.Host.ComputerName) + len(f.Host.Domain)
	for i := range f.Lines {
		l := &f.Lines[i]
		n += 32 + len(l.SKC) + len(l.Part) + len(l.Name) + len(l.PO) + len(l.SO)
	}
	return n
}

// MarshalPayload validates f and returns its payload: the CBOR bytes that [File.Sign] signs.
func (f *File) MarshalPayload() ([]byte, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	return appendPayload(make([]byte, 0, payloadSizeHint(f)), f), nil
}

// decoder reads the payload. s holds the same bytes as b, converted once, so that every text
// field is a substring of it and costs no allocation.
type decoder struct {
	b   []byte
	s   string
	off int
}

// A fieldID names what is being read, for errors: the index of a line plus one (0 outside the
// lines) above the low 8 bits, and a field name index below. The name is built only when an
// error is made, and a small integer keeps the hot decoding functions cheap to call.
type fieldID uint32

func fieldAt(line int, name uint8) fieldID { return fieldID(uint32(line+1)<<8 | uint32(name)) }

func (f fieldID) line() int    { return int(f>>8) - 1 }
func (f fieldID) name() string { return fieldNames[uint8(f)] }

// Field name indexes.
const (
	fnNone uint8 = iota
	fnVersion
	fnSerial
	fnIssued
	fnTerm
	fnNotAfter
	fnEntitlement
	fnHost
	fnHostSystem
	fnHostCode
	fnHostSecondary
	fnHostIp
	fnHostMac
	fnHostComputerName
	fnHostDomain
	fnHostProductKey
	fnLines
	fnSkc
	fnPart
	fnName
	fnKind
	fnQty
	fnPo
	fnSo
	fnActivated
	fnCose
	fnSupersedes
)

var fieldNames = [...]string{fnNone: "", fnVersion: "version", fnSerial: "serial", fnIssued: "issued", fnTerm: "term", fnNotAfter: "not_after", fnEntitlement: "entitlement", fnHost: "host", fnHostSystem: "host.system", fnHostCode: "host.code", fnHostSecondary: "host.secondary", fnHostIp: "host.ip", fnHostMac: "host.mac", fnHostComputerName: "host.computer_name", fnHostDomain: "host.domain", fnHostProductKey: "host.product_key", fnLines: "lines", fnSkc: "skc", fnPart: "part", fnName: "name", fnKind: "kind", fnQty: "qty", fnPo: "po", fnSo: "so", fnActivated: "activated", fnCose: "cose", fnSupersedes: "supersedes"}

func (d *decoder) fail(at int, field fieldID, reason string) error {
	name := field.name()
	if field.line() >= 0 {
		prefix := "lines[" + strconv.Itoa(field.line()) + "]"
		if name != "" {
			prefix += "."
		}
		name = prefix + name
	}
	return &FormatError{What: "payload", Offset: at, Field: name, Reason: reason}
}

// head reads one data item head and returns its major type and argument. It rejects
// indefinite lengths, reserved additional information, and arguments not in their shortest form.
func (d *decoder) head(field fieldID) (major byte, arg uint64, err error) {
	at := d.off
	if at >= len(d.b) {
		return 0, 0, d.fail(at, field, "unexpected end of data")
	}
	c := d.b[at]
	major, ai := c>>5, c&31
	var need int
	switch {
	case ai < 24:
		d.off++
		return major, uint64(ai), nil
	case ai == 24:
		need = 1
	case ai == 25:
		need = 2
	case ai == 26:
		need = 4
	case ai == 27:
		need = 8
	case ai == 31:
		return 0, 0, d.fail(at, field, "indefinite length")
	default:
		return 0, 0, d.fail(at, field, "reserved additional information "+strconv.Itoa(int(ai)))
	}
	if len(d.b)-at-1 < need {
		return 0, 0, d.fail(at, field, "unexpected end of data")
	}
	for _, x := range d.b[at+1 : at+1+need] {
		arg = arg<<8 | uint64(x)
	}
	var min uint64
	switch need {
	case 1:
		min = 24
	case 2:
		min = 1 << 8
	case 4:
		min = 1 << 16
	case 8:
		min = 1 << 32
	}
	if arg < min {
		return 0, 0, d.fail(at, field, "integer or length not in shortest form")
	}
	if major == 7 {
		return 0, 0, d.fail(at, field, "simple value or float where none is allowed")
	}
	d.off = at + 1 + need
	return major, arg, nil
}

var majorNames = [8]string{"an unsigned integer", "a negative integer", "a byte string", "a text string", "an array", "a map", "a tag", "a simple value or float"}

func (d *decoder) expect(field fieldID, want byte) (uint64, error) {
	at := d.off
	major, arg, err := d.head(field)
	if err != nil {
		return 0, err
	}
	if major != want {
		return 0, d.fail(at, field, majorNames[major]+" where "+majorNames[want]+" belongs")
	}
	return arg, nil
}

// uint reads an unsigned integer no larger than max.
func (d *decoder) uint(field fieldID, max uint64) (uint64, error) {
	if at := d.off; at < len(d.b) {
		if c := d.b[at]; c < 24 && uint64(c) <= max {
			d.off++
			return uint64(c), nil
		}
	}
	at := d.off
	v, err := d.expect(field, majUint)
	if err != nil {
		return 0, err
	}
	if v > max {
		return 0, d.fail(at, field, strconv.FormatUint(v, 10)+" is over the maximum "+strconv.FormatUint(max, 10))
	}
	return v, nil
}

// bytesOrText reads a string of major type maj, at most max bytes, and returns its position.
func (d *decoder) span(field fieldID, maj byte, max int) (int, int, error) {
	at := d.off
	n, err := d.expect(field, maj)
	if err != nil {
		return 0, 0, err
	}
	if n > uint64(max) {
		return 0, 0, d.fail(at, field, "string of "+strconv.FormatUint(n, 10)+" bytes, over the cap of "+strconv.Itoa(max))
	}
	if n > uint64(len(d.b)-d.off) {
		return 0, 0, d.fail(at, field, "unexpected end of data")
	}
	start := d.off
	d.off += int(n)
	return start, d.off, nil
}

// text reads a non-empty text string of at most max bytes: valid UTF-8 without control characters.
// Every cap is below 256, so the common case (a one- or two-byte head, printable ASCII) is read
// here directly; anything else takes the general path, which also makes the errors.
func (d *decoder) text(field fieldID, max int) (string, error) {
	at, b := d.off, d.b
	if at < len(b) && b[at]>>5 == majText {
		n, p := int(b[at]&31), at+1
		if n == 24 && p < len(b) && b[p] >= 24 {
			n, p = int(b[p]), p+1
		}
		if n > 0 && n < 24 || p == at+2 {
			if n <= max && n <= len(b)-p {
				s := d.s[p : p+n]
				if printableASCII(s) {
					d.off = p + n
					return s, nil
				}
			}
		}
	}
	return d.textSlow(field, max)
}

func (d *decoder) textSlow(field fieldID, max int) (string, error) {
	at := d.off
	i, j, err := d.span(field, majText, max)
	if err != nil {
		return "", err
	}
	s := d.s[i:j]
	if s == "" {
		return "", d.fail(at, field, "empty string; an empty field is left out")
	}
	if r := textProblem(s, max); r != "" {
		return "", d.fail(at, field, r)
	}
	return s, nil
}

// mapHead reads a map head with at most max pairs.
func (d *decoder) mapHead(field fieldID, max int) (int, error) {
	at := d.off
	n, err := d.expect(field, majMap)
	if err != nil {
		return 0, err
	}
	if n > uint64(max) {
		return 0, d.fail(at, field, "map of "+strconv.FormatUint(n, 10)+" pairs; at most "+strconv.Itoa(max))
	}
	return int(n), nil
}

// key reads the next map key, which must be a small unsigned integer greater than prev (this
// rejects duplicate keys and keys out of the deterministic order) and no larger than last.
func (d *decoder) key(field fieldID, prev, last byte) (byte, error) {
	if at := d.off; at < len(d.b) {
		if c := d.b[at]; c > prev && c <= last {
			d.off++
			return c, nil
		}
	}
	return d.keySlow(field, prev, last)
}

func (d *decoder) keySlow(field fieldID, prev, last byte) (byte, error) {
	at := d.off
	if at >= len(d.b) {
		return 0, d.fail(at, field, "unexpected end of data")
	}
	c := d.b[at]
	if c == 0 {
		return 0, d.fail(at, field, "unknown map key 0")
	}
	if c > 23 {
		// Every key of this format is a one-byte unsigned integer.
		return 0, d.fail(at, field, "unknown map key (keys are unsigned integers 1 to "+strconv.Itoa(int(last))+")")
	}
	switch {
	case c == prev:
		return 0, d.fail(at, field, "duplicate map key "+strconv.Itoa(int(c)))
	case c < prev:
		return 0, d.fail(at, field, "map key "+strconv.Itoa(int(c))+" out of order")
	case c > last || c == 0:
		return 0, d.fail(at, field, "unknown map key "+strconv.Itoa(int(c)))
	}
	d.off++
	return c, nil
}

func missing(d *decoder, at int, field fieldID, what string) error {
	return d.fail(at, field, "missing "+what)
}

// decodePayload decodes a payload. It checks the structure; the caller validates the content.
// The text fields of the File are substrings of one copy of b.
func decodePayload(b []byte) (*File, error) {
	return decodePayloadString(b, string(b))
}

// decodePayloadOwned is decodePayload for a payload that the caller owns and will never change
// again (the copy signing.Keyring.Verify returns): the text fields alias b instead of a copy,
// which saves copying the payload once more on every Open.
func decodePayloadOwned(b []byte) (*File, error) {
	if len(b) == 0 {
		return decodePayload(b)
	}
	return decodePayloadString(b, unsafe.String(unsafe.SliceData(b), len(b)))
}

func decodePayloadString(b []byte, s string) (*File, error) {
	d := &decoder{b: b, s: s}
	f := new(File)
	top := fieldAt(-1, fnNone)
	at := d.off
	n, err := d.mapHead(top, 9)
	if err != nil {
		return nil, err
	}
	var prev byte
	var seen uint16
	for range n {
		k, err := d.key(top, prev, keySupersedes)
		if err != nil {
			return nil, err
		}
		if k != keyVersion && seen&(1<<keyVersion) == 0 {
			// Without a version nothing else can be read: its meaning depends on it.
			return nil, d.fail(at, top, "the version key must come first")
		}
		prev = k
		seen |= 1 << k
		switch k {
		case keyVersion:
			fid := fieldAt(-1, fnVersion)
			at := d.off
			v, err := d.uint(fid, 1<<16)
			if err != nil {
				return nil, err
			}
			if v != FormatVersion && v != FormatVersionSupersedes {
				return nil, d.fail(at, fid, "unsupported format version "+strconv.FormatUint(v, 10))
			}
			f.Version = int(v)
		case keySerial:
			if f.Serial, err = d.text(fieldAt(-1, fnSerial), MaxSerialLen); err != nil {
				return nil, err
			}
		case keyIssued:
			v, err := d.uint(fieldAt(-1, fnIssued), maxUnix)
			if err != nil {
				return nil, err
			}
			f.Issued = fileTime(v)
		case keyTerm:
			v, err := d.uint(fieldAt(-1, fnTerm), 255)
			if err != nil {
				return nil, err
			}
			f.Term = Term(v)
		case keyNotAfter:
			v, err := d.uint(fieldAt(-1, fnNotAfter), maxUnix)
			if err != nil {
				return nil, err
			}
			f.NotAfter = fileTime(v)
		case keyEntitlement:
			if f.Entitlement, err = d.text(fieldAt(-1, fnEntitlement), 1); err != nil {
				return nil, err
			}
		case keyHost:
			if err := d.host(&f.Host); err != nil {
				return nil, err
			}
		case keyLines:
			if f.Lines, err = d.lines(); err != nil {
				return nil, err
			}
		case keySupersedes:
			fid := fieldAt(-1, fnSupersedes)
			at := d.off
			if f.Version != FormatVersionSupersedes {
				// Version 1 has no key 9: a version 1 reader refuses it, and so does this one.
				return nil, d.fail(at-1, top, "unknown map key 9 in a version "+strconv.Itoa(f.Version)+" payload")
			}
			if f.Supersedes, err = d.text(fid, MaxSerialLen); err != nil {
				return nil, err
			}
		}
	}
	if f.Version == FormatVersionSupersedes && seen&(1<<keySupersedes) == 0 {
		return nil, missing(d, at, top, "supersedes (key 9), which version 2 is for")
	}
	for _, req := range [...]struct {
		key  byte
		name string
	}{{keyVersion, "version"}, {keySerial, "serial"}, {keyIssued, "issued"}, {keyTerm, "term"}, {keyHost, "host"}, {keyLines, "lines"}} {
		if seen&(1<<req.key) == 0 {
			return nil, missing(d, at, top, req.name+" (key "+strconv.Itoa(int(req.key))+")")
		}
	}
	if d.off != len(d.b) {
		return nil, d.fail(d.off, top, plural(len(d.b)-d.off, "byte")+" after the payload")
	}
	return f, nil
}

func (d *decoder) host(h *Host) error {
	fid := fieldAt(-1, fnHost)
	at := d.off
	n, err := d.mapHead(fid, 8)
	if err != nil {
		return err
	}
	var prev byte
	var sysText, codeText, secText string
	var codeAt, secAt int
	for range n {
		k, err := d.key(fid, prev, hostProductKey)
		if err != nil {
			return err
		}
		prev = k
		switch k {
		case hostSystem:
			if sysText, err = d.text(fieldAt(-1, fnHostSystem), 64); err != nil {
				return err
			}
		case hostCode:
			codeAt = d.off
			if codeText, err = d.text(fieldAt(-1, fnHostCode), 64); err != nil {
				return err
			}
		case hostSecondary:
			secAt = d.off
			if secText, err = d.text(fieldAt(-1, fnHostSecondary), 64); err != nil {
				return err
			}
		case hostIP:
			f := fieldAt(-1, fnHostIp)
			at := d.off
			i, j, err := d.span(f, majBytes, 16)
			if err != nil {
				return err
			}
			ip, ok := netip.AddrFromSlice(d.b[i:j])
			if !ok || (j-i != 4 && j-i != 16) {
				return d.fail(at, f, "address of "+strconv.Itoa(j-i)+" bytes; want 4 or 16")
			}
			if ip.Is4In6() {
				return d.fail(at, f, "IPv4-mapped address; the IPv4 form is written")
			}
			h.IP = ip
		case hostMAC:
			f := fieldAt(-1, fnHostMac)
			at := d.off
			i, j, err := d.span(f, majBytes, 6)
			if err != nil {
				return err
			}
			if j-i != 6 {
				return d.fail(at, f, "MAC of "+strconv.Itoa(j-i)+" bytes; want 6")
			}
			copy(h.MAC[:], d.b[i:j])
			if h.MAC.IsZero() {
				return d.fail(at, f, "all-zero MAC; an empty field is left out")
			}
		case hostComputerName:
			if h.ComputerName, err = d.text(fieldAt(-1, fnHostComputerName), MaxHostNameLen); err != nil {
				return err
			}
		case hostDomain:
			if h.Domain, err = d.text(fieldAt(-1, fnHostDomain), MaxHostNameLen); err != nil {
				return err
			}
		case hostProductKey:
			f := fieldAt(-1, fnHostProductKey)
			at := d.off
			s, err := d.text(f, MaxProductKey)
			if err != nil {
				return err
			}
			pk, err := keycode.ParseProductKey(s)
			if err != nil {
				return d.fail(at, f, err.Error())
			}
			if pk.String() != s {
				return d.fail(at, f, quote(s)+" is not in canonical form "+quote(pk.String()))
			}
			h.ProductKey = pk
		}
	}
	if sysText == "" {
		return missing(d, at, fid, "system (key 1)")
	}
	if codeText == "" {
		return missing(d, at, fid, "code (key 2)")
	}
	h.System = keycode.System(sysText)
	if h.Code, err = parseCanonical(d, codeAt, fnHostCode, h.System, codeText); err != nil {
		return err
	}
	if secText != "" {
		if h.Secondary, err = parseCanonical(d, secAt, fnHostSecondary, h.System, secText); err != nil {
			return err
		}
	}
	return nil
}

// parseCanonical parses a code under sys and requires the text to be its canonical form.
func parseCanonical(d *decoder, at int, field uint8, sys keycode.System, s string) (keycode.Code, error) {
	c, err := keycode.Parse(sys, s)
	if err != nil {
		return keycode.Code{}, d.fail(at, fieldAt(-1, field), err.Error())
	}
	if c.String() != s {
		return keycode.Code{}, d.fail(at, fieldAt(-1, field), "code "+quote(s)+" is not in canonical form "+quote(c.String()))
	}
	return c, nil
}

func (d *decoder) lines() ([]Line, error) {
	fid := fieldAt(-1, fnLines)
	at := d.off
	n, err := d.expect(fid, majArray)
	if err != nil {
		return nil, err
	}
	// Each line takes at least one byte, so the count is bounded by what is left (and by
	// MaxLines) before anything is allocated.
	if n > MaxLines {
		return nil, d.fail(at, fid, strconv.FormatUint(n, 10)+" lines; at most "+strconv.Itoa(MaxLines))
	}
	if n > uint64(len(d.b)-d.off) {
		return nil, d.fail(at, fid, strconv.FormatUint(n, 10)+" lines cannot fit in the bytes left")
	}
	if n == 0 {
		return []Line{}, nil
	}
	lines := make([]Line, n)
	for i := range lines {
		if err := d.line(i, &lines[i]); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

func (d *decoder) line(i int, l *Line) error {
	fid := fieldAt(i, fnNone)
	at := d.off
	n, err := d.mapHead(fid, 8)
	if err != nil {
		return err
	}
	var prev byte
	var seen uint16
	for range n {
		k, err := d.key(fid, prev, lineActivated)
		if err != nil {
			return err
		}
		prev = k
		seen |= 1 << k
		switch k {
		case lineSKC:
			l.SKC, err = d.text(fieldAt(i, fnSkc), MaxSKCLen)
		case linePart:
			l.Part, err = d.text(fieldAt(i, fnPart), MaxPartLen)
		case lineName:
			l.Name, err = d.text(fieldAt(i, fnName), MaxNameLen)
		case lineKind:
			var v uint64
			v, err = d.uint(fieldAt(i, fnKind), 255)
			l.Kind = Kind(v)
		case lineQty:
			var v uint64
			v, err = d.uint(fieldAt(i, fnQty), MaxQty)
			l.Qty = int(v)
		case linePO:
			l.PO, err = d.text(fieldAt(i, fnPo), MaxOrderLen)
		case lineSO:
			l.SO, err = d.text(fieldAt(i, fnSo), MaxOrderLen)
		case lineActivated:
			var v uint64
			v, err = d.uint(fieldAt(i, fnActivated), maxUnix)
			l.Activated = fileTime(v)
		}
		if err != nil {
			return err
		}
	}
	const required = 1<<linePart | 1<<lineKind | 1<<lineQty
	if seen&required != required {
		switch {
		case seen&(1<<linePart) == 0:
			return missing(d, at, fid, "part (key 2)")
		case seen&(1<<lineKind) == 0:
			return missing(d, at, fid, "kind (key 4)")
		default:
			return missing(d, at, fid, "qty (key 5)")
		}
	}
	return nil
}

// plural returns "1 byte", "2 bytes".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
