package license

// This file holds what "supersedes" means (format version 2, [File.Supersedes]): which files a
// newer file of a series replaces.

// seriesSeq returns n when serial is series + "." + n, n a decimal number from 1 to 2^63-1 without a
// leading zero.
func seriesSeq(serial, series string) (uint64, bool) {
	if series == "" || len(serial) < len(series)+2 || serial[:len(series)] != series || serial[len(series)] != '.' {
		return 0, false
	}
	digits := serial[len(series)+1:]
	if len(digits) > 18 || digits[0] == '0' {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// SupersedesFile reports whether f supersedes g: f names a series, both serials are of it, g's
// sequence number is lower, and both have the same term. A file never supersedes itself.
func (f *File) SupersedesFile(g *File) bool {
	if f.Supersedes == "" || f.Term != g.Term {
		return false
	}
	n, ok := seriesSeq(f.Serial, f.Supersedes)
	if !ok {
		return false
	}
	m, ok := seriesSeq(g.Serial, f.Supersedes)
	return ok && m < n
}
