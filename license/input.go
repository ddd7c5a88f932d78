package license

import (
	"archive/zip"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// InputForm names a form in which a user holds a license file.
type InputForm uint8

// The forms [ReadInput] recognises.
const (
	// InputSigned is the signed file itself: the COSE_Sign1 bytes (an .lic file).
	InputSigned InputForm = iota + 1
	// InputArmor is the human form: -----BEGIN LMSKIT LICENSE----- … (see [Armor]).
	InputArmor
	// InputSVIZip is the <HWKC>-svi.zip download of a PBX file (see [SVIZip]).
	InputSVIZip
	// InputBXZip is the AA_<productkey>_out.zip download of a BX/OVOC machine or pair (see [BXZip]).
	InputBXZip
)

var inputFormNames = [...]string{"", "signed file", "armored file", "svi zip", "bx zip"}

// String returns the form in words: "signed file", "armored file", "svi zip", "bx zip".
func (f InputForm) String() string {
	if f >= InputSigned && f <= InputBXZip {
		return inputFormNames[f]
	}
	return "unknown form"
}

// InputError reports input that is none of the forms [ReadInput] reads. Saw names what the input
// looks like instead ("empty input", "a PDF", "a gzip file", "text that is not an lmskit armor
// block", …), so that a user who picked the wrong file learns which file they picked. It matches
// [ErrMalformed].
type InputError struct {
	// Saw names the form the input was recognised as, in words.
	Saw string
	// Reason adds what would have been accepted, or why a near miss was refused.
	Reason string
}

// Error returns the message.
func (e *InputError) Error() string {
	s := "license: input is " + e.Saw
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes an *InputError match [ErrMalformed].
func (e *InputError) Is(target error) bool { return target == ErrMalformed }

// ReadInput returns the signed license files held in data, whatever form the user holds them in:
// the signed file itself (COSE_Sign1, tagged or not), its armored text, a <HWKC>-svi.zip, or a
// BX/OVOC AA_<productkey>_out.zip (one .lic, or two for a redundant pair). The form is recognised
// from the content, never from a file name, and reported.
//
// It uses the readers of this package ([Dearmor], [ReadSVIZip], [ReadBXZip]) with their caps, so a
// damaged container or armor block is refused with their [*FormatError]; input in none of the forms
// is refused with an [*InputError] naming what it looks like. Both match [ErrMalformed]. Nothing is
// returned with an error.
//
// ReadInput does not verify anything: pass each returned file to [Open]. Call it first on
// whatever a user hands over, then open each file it returns; the installs call it themselves
// ([Device.Install], the LMC's Install, the lmskit command line), so a device passes them what the
// user handed over as it is. Each returned slice is the caller's own.
func ReadInput(data []byte) ([][]byte, InputForm, error) {
	files, form, err := readInput(data)
	if err != nil {
		return nil, 0, err
	}
	return files, form, nil
}

// Magic numbers of the forms people most often hand over by mistake.
var inputMagics = []struct {
	prefix string
	saw    string
}{
	{"%PDF-", "a PDF"},
	{"\x1f\x8b", "a gzip file"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF8", "a GIF image"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"Rar!\x1a\x07", "a RAR archive"},
	{"BZh", "a bzip2 file"},
	{"\xfd7zXZ\x00", "an xz file"},
	{"\x28\xb5\x2f\xfd", "a zstd file"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"},
	{"\x7fELF", "an ELF executable"},
	{"MZ", "a Windows executable"},
	{"{\\rtf", "an RTF document"},
	{"\xef\xbb\xbf", ""}, // a UTF-8 byte order mark: looked at as text below
	{"\xff\xfe", "UTF-16 text (save it as UTF-8 or ASCII)"},
	{"\xfe\xff", "UTF-16 text (save it as UTF-8 or ASCII)"},
}

func readInput(data []byte) ([][]byte, InputForm, error) {
	if len(data) > MaxZipSize {
		return nil, 0, &InputError{Saw: strconv.Itoa(len(data)) + " bytes", Reason: "over the cap of " + strconv.Itoa(MaxZipSize) + " bytes for any license form"}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		if len(data) == 0 {
			return nil, 0, &InputError{Saw: "empty input"}
		}
		return nil, 0, &InputError{Saw: "white space only"}
	}
	switch {
	case looksCOSE(data):
		if _, err := peekFile(data); err != nil {
			return nil, 0, err
		}
		return [][]byte{bytes.Clone(data)}, InputSigned, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return readZipInput(data)
	}
	for _, m := range inputMagics {
		if bytes.HasPrefix(data, []byte(m.prefix)) && m.saw != "" {
			return nil, 0, &InputError{Saw: m.saw, Reason: "want a license file (.lic), its armored text, an <HWKC>-svi.zip or an AA_<productkey>_out.zip"}
		}
	}
	if len(data) > 262 && string(data[257:262]) == "ustar" {
		return nil, 0, &InputError{Saw: "a tar archive", Reason: "unpack it and give the license file inside"}
	}
	text := bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(text) {
		return nil, 0, &InputError{Saw: "binary data that is not a license file", Reason: "not a COSE_Sign1 message, a zip archive or text"}
	}
	return readTextInput(text)
}

// looksCOSE reports whether data starts as a COSE_Sign1 message does: tag 18 and an array of four,
// or the array alone.
func looksCOSE(data []byte) bool {
	return len(data) >= 2 && data[0] == 0xd2 && data[1] == 0x84 || len(data) >= 1 && data[0] == 0x84
}

func readTextInput(text []byte) ([][]byte, InputForm, error) {
	const begin = "-----BEGIN "
	i := bytes.Index(text, []byte(begin))
	if i < 0 {
		return nil, 0, &InputError{Saw: textKind(text), Reason: "want a license file, its armored text (-----BEGIN " + ArmorType + "-----) or a download zip"}
	}
	typ := text[i+len(begin):]
	if j := bytes.IndexByte(typ, '\n'); j >= 0 {
		typ = typ[:j]
	}
	typ, ok := bytes.CutSuffix(bytes.TrimRight(typ, "\r \t"), []byte("-----"))
	if !ok || len(typ) > 64 || !utf8.Valid(typ) {
		return nil, 0, &InputError{Saw: "text that is not an lmskit armor block", Reason: "a damaged -----BEGIN line"}
	}
	if string(typ) != ArmorType {
		// A key, a certificate or another PEM block: name its type, never its content.
		return nil, 0, &InputError{Saw: "a PEM block of type " + strconv.Quote(string(typ)), Reason: "not an lmskit license; want -----BEGIN " + ArmorType + "-----"}
	}
	raw, err := Dearmor(text)
	if err != nil {
		return nil, 0, err
	}
	if _, err := peekFile(raw); err != nil {
		return nil, 0, err
	}
	return [][]byte{raw}, InputArmor, nil
}

// textKind names text that holds no armor block.
func textKind(text []byte) string {
	t := bytes.TrimSpace(text)
	switch {
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		return "JSON or other text that is not an lmskit armor block"
	case len(t) > 0 && t[0] == '<':
		return "XML or HTML text that is not an lmskit armor block"
	case isBase64(t):
		return "base64 text without the armor lines"
	}
	return "text that is not an lmskit armor block"
}

func isBase64(t []byte) bool {
	if len(t) < 16 {
		return false
	}
	for _, c := range t {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=', c == '\n', c == '\r':
		default:
			return false
		}
	}
	return true
}

// readZipInput tells the two download containers apart by the names of the entries inside (the
// name of the zip itself is not looked at) and reads each with its own reader.
func readZipInput(data []byte) ([][]byte, InputForm, error) {
	if len(data) > MaxZipSize {
		return nil, 0, zipErr("zip", strconv.Itoa(len(data))+" bytes, over the cap of "+strconv.Itoa(MaxZipSize))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, 0, &FormatError{What: "zip", Offset: -1, Reason: "not a readable zip archive: " + err.Error(), cause: err}
	}
	if zr == nil || len(zr.File) == 0 {
		return nil, 0, &InputError{Saw: "an empty zip archive"}
	}
	svi, bx := 0, 0
	var names []string
	for i, f := range zr.File {
		if i < 4 {
			names = append(names, strconv.Quote(truncate(f.Name)))
		}
		switch {
		case strings.HasSuffix(f.Name, "-svi.lic"):
			svi++
		case strings.HasPrefix(f.Name, "AA_") && (strings.HasSuffix(f.Name, "_out.lic") || strings.HasSuffix(f.Name, "_out.log")):
			bx++
		}
	}
	switch {
	case svi > 0 && bx == 0:
		files, err := ReadSVIZipFiles(data)
		if err != nil {
			return nil, 0, err
		}
		return files, InputSVIZip, nil
	case bx > 0 && svi == 0:
		b, err := ReadBXZip(data)
		if err != nil {
			return nil, 0, err
		}
		out := make([][]byte, len(b.Licenses))
		for i, l := range b.Licenses {
			out[i] = l.Signed
		}
		return out, InputBXZip, nil
	}
	list := strings.Join(names, ", ")
	if len(zr.File) > len(names) {
		list += ", …"
	}
	return nil, 0, &InputError{Saw: "a zip archive that is neither an <HWKC>-svi.zip nor an AA_<productkey>_out.zip", Reason: "its entries are " + list}
}

// PeekFile decodes the license file in signed WITHOUT verifying its signature, for tools that show
// what a file claims to hold (the lmskit command line's inspect, which marks the result
// UNVERIFIED). The envelope and the payload are read as strictly as [Open] reads them, but
// nothing in the result may be trusted: a device or the LMC must call [Open].
func PeekFile(signed []byte) (*File, error) { return peekFile(signed) }
