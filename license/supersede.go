package license

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

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

// supersession is what a device remembers of a file that superseded its series (format version
// 2): files of Term whose serial is Series + "." + m with m < Seq are refused, even after the
// superseding file is removed. It is kept in the device's sealed state.
type supersession struct {
	Series   string `cbor:"1,keyasint"`
	Term     Term   `cbor:"2,keyasint"`
	Seq      uint64 `cbor:"3,keyasint"`
	NotAfter int64  `cbor:"4,keyasint,omitempty"` // the superseding file's end, Unix ns; 0 for a permanent file
}

// maxSupersessions caps the series a device remembers; those whose superseding file has ended are
// forgotten first.
const maxSupersessions = 64

// supersededBy returns the serial-free description of why f may not be installed: a remembered
// supersession of its series and term with a higher sequence number, or "".
func supersededBy(f *File, mem []supersession) string {
	for _, s := range mem {
		if s.Term != f.Term {
			continue
		}
		if m, ok := seriesSeq(f.Serial, s.Series); ok && m < s.Seq {
			return "superseded by file " + s.Series + "." + strconv.FormatUint(s.Seq, 10) + " of its series"
		}
	}
	return ""
}

// supersede applies a newly installed file's Supersedes: it returns the installed files without
// those f supersedes, their serials, and the memory with f's supersession recorded (those of ended
// files forgotten first when the memory is full). f itself is kept. An error means the memory is
// full of series that have not ended.
func supersede(f *File, files []*installed, mem []supersession, now time.Time) ([]*installed, []string, []supersession, error) {
	if f.Supersedes == "" {
		return files, nil, mem, nil
	}
	seq, _ := seriesSeq(f.Serial, f.Supersedes)
	var (
		kept    = make([]*installed, 0, len(files))
		dropped []string
	)
	for _, in := range files {
		if in.file != f && f.SupersedesFile(in.file) {
			dropped = append(dropped, in.file.Serial)
			continue
		}
		kept = append(kept, in)
	}
	out := slices.Clone(mem)
	for i := range out {
		if out[i].Series == f.Supersedes && out[i].Term == f.Term {
			out[i].Seq = max(out[i].Seq, seq)
			return kept, dropped, out, nil
		}
	}
	if len(out) >= maxSupersessions {
		out = slices.DeleteFunc(out, func(s supersession) bool { return s.NotAfter != 0 && s.NotAfter <= now.UnixNano() })
		if len(out) >= maxSupersessions {
			return nil, nil, nil, fmt.Errorf("license: install %q: the device remembers %d superseded series already", f.Serial, len(out))
		}
	}
	return kept, dropped, append(out, supersession{Series: f.Supersedes, Term: f.Term, Seq: seq, NotAfter: nanos(f.NotAfter)}), nil
}
