package license

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// Set is what a group of license lines grants once stacked: per part, the summed quantity
// ([Count]), the highest version ([Version]) or presence ([Flag]).
//
// A Set is immutable once built and safe for any number of concurrent readers. The zero Set is
// an empty set that grants nothing. Build one with [Stack] (over the lines of one or many files) or
// [Merge]; publish it to readers by value or behind an atomic.Pointer.
type Set struct {
	t *setTable // nil for the empty set; never written after it is built
}

// setTable is an open-addressing table (linear probing, a power of two at least twice the number
// of parts). Parts are hashed with a random per-table seed by hashPart; the index is the top
// bits of the hash (Fibonacci hashing).
type setTable struct {
	slots []slot
	mask  uint64
	shift uint8
	seed  uint64
	parts []string // sorted part numbers
}

// hashPart is a small multiplicative hash: eight bytes at a time, xor then multiply by the
// golden-ratio constant, starting from the table's random seed. Part numbers are short (eight
// bytes is typical), so this is one or two multiplications. Sets are built from signed files
// and looked up by the firmware's own part numbers, so no one chooses keys to collide; if some
// did, lookups would only get slower, never wrong.
func hashPart(s string, seed uint64) uint64 {
	const k = 0x9E3779B97F4A7C15
	h := seed ^ uint64(len(s))*k
	for len(s) >= 8 {
		c := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ c) * k
		h ^= h >> 29
		s = s[8:]
	}
	var c uint64
	for i := 0; i < len(s); i++ {
		c |= uint64(s[i]) << (8 * i)
	}
	return (h ^ c) * k
}

type slot struct {
	part string
	grant
}

type grant struct {
	kind Kind // 0 marks an empty slot
	qty  int
}

// lookup returns the grant of part, or the zero grant.
func (s Set) lookup(part string) grant {
	t := s.t
	if t == nil {
		return grant{}
	}
	for i := hashPart(part, t.seed) >> t.shift; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.kind == 0 {
			return grant{}
		}
		if sl.part == part {
			return sl.grant
		}
	}
}

// Stack stacks lines into a Set: quantities of a [Count] part add up (5 lines of 20 and one of 20
// give 120), the highest [Version] of a part wins (V3, V4 and V6 give 6), a [Flag] part is present.
// Lines may come from many files. It returns a [*LineError] (matching [ErrInvalid]) when a line is
// invalid on its own, when one part appears under two kinds, or when a sum would exceed [MaxQty];
// then the Set is the zero Set.
func Stack(lines ...Line) (Set, error) {
	m := make(map[string]grant, len(lines))
	for i := range lines {
		l := &lines[i]
		if err := l.validate(i); err != nil {
			return Set{}, err
		}
		if err := add(m, l.Part, l.Kind, l.Qty, i); err != nil {
			return Set{}, err
		}
	}
	return finish(m), nil
}

// Merge stacks sets together with the rules of [Stack]: a part under two kinds, or a sum over
// [MaxQty], is an error (a [*LineError] with Index -1).
func Merge(sets ...Set) (Set, error) {
	n := 0
	for _, s := range sets {
		n += s.Len()
	}
	m := make(map[string]grant, n)
	for _, s := range sets {
		for _, p := range s.partList() {
			g := s.lookup(p)
			if err := add(m, p, g.kind, g.qty, -1); err != nil {
				return Set{}, err
			}
		}
	}
	return finish(m), nil
}

func add(m map[string]grant, part string, kind Kind, qty, idx int) error {
	g, ok := m[part]
	if !ok {
		if kind == Flag {
			qty = 1 // a flag is on or off; how many flag licenses does not matter
		}
		m[part] = grant{kind: kind, qty: qty}
		return nil
	}
	if g.kind != kind {
		return &LineError{Index: idx, Part: part, Field: "kind",
			Reason: "part stacked as " + g.kind.String() + " and as " + kind.String()}
	}
	switch kind {
	case Count:
		if qty > MaxQty-g.qty {
			return &LineError{Index: idx, Part: part, Field: "qty",
				Reason: "sum " + strconv.Itoa(g.qty) + " + " + strconv.Itoa(qty) + " is over the maximum " + strconv.Itoa(MaxQty)}
		}
		g.qty += qty
	case Version:
		g.qty = max(g.qty, qty)
	case Flag:
		// Present already; a flag does not grow.
	}
	m[part] = g
	return nil
}

func finish(m map[string]grant) Set {
	if len(m) == 0 {
		return Set{}
	}
	parts := make([]string, 0, len(m))
	for p := range m {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	size, bits := 4, 2
	for size < 2*len(parts) {
		size, bits = size*2, bits+1
	}
	t := &setTable{slots: make([]slot, size), mask: uint64(size - 1), shift: uint8(64 - bits), seed: rand.Uint64(), parts: parts}
	for _, p := range parts {
		i := hashPart(p, t.seed) >> t.shift
		for t.slots[i].kind != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = slot{part: p, grant: m[p]}
	}
	return Set{t: t}
}

// partList returns the sorted parts without copying; callers must not change it.
func (s Set) partList() []string {
	if s.t == nil {
		return nil
	}
	return s.t.parts
}

// Count returns the stacked quantity of a [Count] part, and 0 for a part that is absent or of
// another kind.
func (s Set) Count(part string) int {
	if g := s.lookup(part); g.kind == Count {
		return g.qty
	}
	return 0
}

// Version returns the highest version of a [Version] part, and 0 for a part that is absent or of
// another kind.
func (s Set) Version(part string) int {
	if g := s.lookup(part); g.kind == Version {
		return g.qty
	}
	return 0
}

// Has reports whether the set holds part under any kind.
func (s Set) Has(part string) bool {
	return s.lookup(part).kind != 0
}

// Kind returns the kind part is stacked under, or 0 when the set does not hold it.
func (s Set) Kind(part string) Kind {
	return s.lookup(part).kind
}

// Len returns the number of distinct parts in the set.
func (s Set) Len() int { return len(s.partList()) }

// Parts returns the part numbers in the set, sorted, in a new slice.
func (s Set) Parts() []string { return slices.Clone(s.partList()) }

// Equal reports whether s and t grant exactly the same.
func (s Set) Equal(t Set) bool {
	if s.Len() != t.Len() {
		return false
	}
	for _, p := range s.partList() {
		if s.lookup(p) != t.lookup(p) {
			return false
		}
	}
	return true
}

// String lists the set as "part=count part=vN part=on", sorted by part, for logs and tests.
func (s Set) String() string {
	parts := s.partList()
	b := make([]byte, 0, 16*len(parts))
	for i, p := range parts {
		if i > 0 {
			b = append(b, ' ')
		}
		g := s.lookup(p)
		b = append(b, p...)
		b = append(b, '=')
		switch g.kind {
		case Count:
			b = strconv.AppendInt(b, int64(g.qty), 10)
		case Version:
			b = append(b, 'v')
			b = strconv.AppendInt(b, int64(g.qty), 10)
		case Flag:
			b = append(b, "on"...)
		}
	}
	return string(b)
}
