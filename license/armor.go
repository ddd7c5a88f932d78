package license

import (
	"strconv"

	"github.com/lmskit/lmskit/signing"
)

// ArmorType is the block type of an armored license file:
//
//	-----BEGIN LMSKIT LICENSE-----
const ArmorType = "LMSKIT LICENSE"

// Armor returns a signed license file in its human form: PEM-style armor (see signing.Armor)
// with informative headers read from the file's payload: System, HWKC, Secondary (for a pair),
// Serial, Term, Not-After (fixed-term files), Entitlement (when set) and Activation-Code. The
// headers are not signed and [Dearmor] ignores them; the signed bytes are the file.
//
// Armor does not verify the signature (it has no keyring), but refuses bytes that are not a
// COSE_Sign1 message carrying a well-formed, valid payload, so that it never labels garbage.
func Armor(signed []byte) ([]byte, error) {
	f, err := peekFile(signed)
	if err != nil {
		return nil, err
	}
	h := map[string]string{
		"System":          string(f.Host.System),
		"HWKC":            f.Host.Code.String(),
		"Serial":          f.Serial,
		"Term":            f.Term.String(),
		"Activation-Code": ActivationCode(signed),
	}
	if !f.Host.Secondary.IsZero() {
		h["Secondary"] = f.Host.Secondary.String()
	}
	if !f.NotAfter.IsZero() {
		h["Not-After"] = f.NotAfter.Format("2006-01-02T15:04:05Z")
	}
	if f.Entitlement != "" {
		h["Entitlement"] = f.Entitlement
	}
	return signing.Armor(ArmorType, h, signed), nil
}

// Dearmor returns the signed bytes of an armored license file, to pass to [Open]. White space may
// surround the block; other text around it, a second block, another block type, damaged base64 or
// input over signing.MaxArmorSize is an error matching [ErrMalformed]. Headers are ignored.
func Dearmor(armored []byte) ([]byte, error) {
	typ, _, data, err := signing.Dearmor(armored)
	if err != nil {
		return nil, &FormatError{What: "armor", Offset: -1, Reason: err.Error(), cause: err}
	}
	if typ != ArmorType {
		return nil, &FormatError{What: "armor", Offset: -1, Reason: "block type " + strconv.Quote(typ) + ", want " + strconv.Quote(ArmorType)}
	}
	if len(data) > MaxFileSize {
		return nil, &FormatError{What: "armor", Offset: -1, Reason: "file over the size cap"}
	}
	return data, nil
}

// peekFile reads the payload of a signed file WITHOUT verifying the signature, for labels (armor
// headers, container names and logs). Nothing it returns may be trusted.
func peekFile(signed []byte) (*File, error) {
	p, err := peekPayload(signed)
	if err != nil {
		return nil, err
	}
	return decodeValid(p, false)
}

// peekPayload returns the payload of a COSE_Sign1 message (tagged 18 or not) without verifying
// it. The structure is checked as strictly as the payload: definite lengths, shortest forms, four
// elements, nothing after.
func peekPayload(msg []byte) ([]byte, error) {
	if len(msg) > MaxFileSize {
		return nil, &FormatError{What: "file", Offset: -1, Reason: "over the size cap"}
	}
	d := &decoder{b: msg}
	f := fieldAt(-1, fnCose)
	fail := func(at int, reason string) ([]byte, error) {
		return nil, &FormatError{What: "file", Offset: at, Field: "cose", Reason: reason}
	}
	if len(msg) > 0 && msg[0] == 0xd2 { // tag 18
		d.off++
	}
	at := d.off
	n, err := d.expect(f, majArray)
	if err != nil {
		return nil, err
	}
	if n != 4 {
		return fail(at, "COSE_Sign1 array of "+strconv.FormatUint(n, 10)+" elements; want 4")
	}
	if _, _, err := d.span(f, majBytes, MaxFileSize); err != nil { // protected
		return nil, err
	}
	if err := d.skip(f, 0); err != nil { // unprotected
		return nil, err
	}
	i, j, err := d.span(f, majBytes, MaxFileSize)
	if err != nil {
		return nil, err
	}
	if _, _, err := d.span(f, majBytes, 64); err != nil { // signature
		return nil, err
	}
	if d.off != len(msg) {
		return fail(d.off, "bytes after the COSE_Sign1 message")
	}
	return msg[i:j], nil
}

// skip steps over one data item, nested no deeper than 8, without allocating.
func (d *decoder) skip(f fieldID, depth int) error {
	if depth > 8 {
		return d.fail(d.off, f, "nested too deep")
	}
	at := d.off
	major, arg, err := d.head(f)
	if err != nil {
		return err
	}
	switch major {
	case majUint, 1:
		return nil
	case majBytes, majText:
		if arg > uint64(len(d.b)-d.off) {
			return d.fail(at, f, "unexpected end of data")
		}
		d.off += int(arg)
		return nil
	case majArray, majMap:
		if arg > uint64(len(d.b)-d.off) {
			return d.fail(at, f, "unexpected end of data")
		}
		items := arg
		if major == majMap {
			items *= 2
		}
		for range items {
			if err := d.skip(f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 6: // tag
		return d.skip(f, depth+1)
	}
	return d.fail(at, f, "unexpected simple value")
}
