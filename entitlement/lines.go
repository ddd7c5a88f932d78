package entitlement

import "bytes"

// How location lines are stored. A location's lines are kept together under the location: the
// record of each is in bLocLines under location sep software key code, so the lines of a location
// (what attach rules, activation, issuing and the location page read) are one range of keys, read
// in one scan. bSKC maps each software key code to its location id, for the lookups by code and
// for the uniqueness of a new code. The indexes of lines carry the location in their values (the
// recent lists: location sep code; the lines taken from a shipped line and the index by end: the
// location), so that what they name is one read away.
//
// A ledger written before this layout (up to commit 105df30) kept each line's record under its
// code in bSKC, with empty entries in bLocLines and in the indexes. Both forms are read: a bSKC
// value that is a CBOR map (its first byte 0xa0 to 0xbf, which starts no UTF-8 text, so no
// location id) is such a record, and an empty bLocLines value points to it. A line read in that
// form is written in this one the next time an operation changes it (putLine); untouched lines
// stay as they are, for as long as they are not changed (TestLayout1_Reads reads a ledger of
// that layout).

// oldLineRecord reports whether a bSKC value is a line's record in the earlier layout rather than
// a location id.
func oldLineRecord(v []byte) bool { return len(v) > 0 && v[0]&0xe0 == 0xa0 }

// lineKey is a line's key in bLocLines.
func lineKey(loc, skc string) string { return loc + sep + skc }

// line reads the line with a software key code; ok is false when there is none.
func (o *op) line(skc string) (Line, bool, error) {
	var ln Line
	if CheckKey(bSKC, skc) != nil {
		return ln, false, nil
	}
	v, ok, err := o.tx.Get(bSKC, skc)
	if err != nil || !ok {
		return ln, false, err
	}
	if oldLineRecord(v) {
		o.noteOldLine(skc)
		return ln, true, dec(v, &ln)
	}
	return o.lineAt(string(v), skc)
}

// lineAt reads the line with a software key code on a location; ok is false when the location has
// none with that code.
func (o *op) lineAt(loc, skc string) (Line, bool, error) {
	var ln Line
	key := lineKey(loc, skc)
	if CheckKey(bLocLines, key) != nil {
		return ln, false, nil
	}
	v, ok, err := o.tx.Get(bLocLines, key)
	if err != nil || !ok {
		return ln, false, err
	}
	if len(v) == 0 {
		return o.oldLine(loc, skc)
	}
	return ln, true, dec(v, &ln)
}

// oldLine reads a line of the earlier layout (see the top of this file), which its location's
// entry names.
func (o *op) oldLine(loc, skc string) (Line, bool, error) {
	var ln Line
	v, ok, err := o.tx.Get(bSKC, skc)
	if err != nil {
		return ln, false, err
	}
	if !ok || !oldLineRecord(v) {
		return ln, false, wrapf(ErrCorrupt, "location %s: line %s missing", loc, skc)
	}
	o.noteOldLine(skc)
	return ln, true, dec(v, &ln)
}

// noteOldLine remembers that a line was read in the earlier layout, so that putLine writes its
// code's entry anew.
func (o *op) noteOldLine(skc string) {
	if o.oldLines == nil {
		o.oldLines = map[string]bool{}
	}
	o.oldLines[skc] = true
}

// locLines reads the lines of a location, in software key code order.
func (o *op) locLines(loc string) ([]Line, error) {
	var out []Line
	prefix := loc + sep
	err := o.tx.Scan(bLocLines, prefix, func(kk string, v []byte) (bool, error) {
		var ln Line
		if len(v) == 0 {
			old, _, err := o.oldLine(loc, kk[len(prefix):])
			if err != nil {
				return false, err
			}
			out = append(out, old)
			return true, nil
		}
		if err := dec(v, &ln); err != nil {
			return false, err
		}
		out = append(out, ln)
		return true, nil
	})
	return out, err
}

// putLine writes a line that exists (its code's entry in bSKC written already, unless it was read
// in the earlier layout).
func (o *op) putLine(ln Line) error {
	if o.oldLines[ln.SKC] {
		if err := o.tx.Put(bSKC, ln.SKC, []byte(ln.Location)); err != nil {
			return err
		}
		delete(o.oldLines, ln.SKC)
	}
	return o.putRec(bLocLines, lineKey(ln.Location, ln.SKC), ln)
}

// putNewLine writes a new line and its code's entry.
func (o *op) putNewLine(ln Line) error {
	if err := o.tx.Put(bSKC, ln.SKC, []byte(ln.Location)); err != nil {
		return err
	}
	return o.putRec(bLocLines, lineKey(ln.Location, ln.SKC), ln)
}

// recentValue is a line's entry in a recent list: location sep code (the earlier layout: the code).
func recentValue(ln Line) []byte { return appendRecentValue(nil, ln) }

func appendRecentValue(b []byte, ln Line) []byte {
	return append(append(append(b, ln.Location...), sep...), ln.SKC...)
}

// putRecent puts a line in a recent list.
func (o *op) putRecent(list string, ln Line) error {
	o.scratch = appendRecentValue(o.scratch[:0], ln)
	return o.tx.Put(bRecent, recentKey(ln.Partner, list, ln.Recent), o.scratch)
}

// indexedLine reads the line an index entry names: its code, and its location when the entry's
// value gives it (loc ""). ok is false when there is no such line.
func (o *op) indexedLine(loc, skc string) (Line, bool, error) {
	if loc == "" {
		return o.line(skc)
	}
	return o.lineAt(loc, skc)
}

// recentLine reads the line a recent list's entry names.
func (o *op) recentLine(v []byte) (Line, bool, error) {
	if i := bytes.IndexByte(v, 0); i >= 0 {
		return o.lineAt(string(v[:i]), string(v[i+1:]))
	}
	return o.line(string(v))
}
