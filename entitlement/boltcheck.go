package entitlement

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"runtime/debug"
)

// The bbolt file format, as far as checkBoltFile reads it: pages of pageSize bytes, each with a
// 16-byte header (its own page id, flags, element count, overflow page count); two meta pages at
// the start; a tree of branch and leaf pages per bucket, the root bucket's leaves naming the
// buckets.
const (
	boltPageHeader  = 16
	boltElement     = 16 // a branch element (key position, key size, child page) or a leaf element (flags, position, sizes)
	boltBucketHead  = 16 // a bucket's value: its root page (0: inline) and its sequence
	boltBranchPage  = 0x01
	boltLeafPage    = 0x02
	boltBucketEntry = 0x01 // a leaf element that is a bucket
	boltMaxDepth    = 64   // far above the height of any bbolt tree (each level multiplies its keys)
	boltMetaSize    = 64   // magic, version, page size, flags, root bucket, freelist, page count, txid, checksum
)

// checkBoltFile walks the pages of the bbolt ledger file r (size bytes, pages of pageSize) that
// transaction txid sees, and fails with ErrCorrupt at the first thing bbolt's own reader would
// follow out of the file or round in a circle: a page beyond the file's last page, a page that
// does not carry its own number or has an unknown kind, a page reached twice (a cycle), an
// element or key outside its page, a tree deeper than any bbolt writes, and what is not a ledger
// (a key outside every bucket, a bucket inside a bucket). bbolt checks none of this on a read:
// it follows page numbers into its memory map, so a damaged page number crashes the process
// (a fault outside the map) or loops for ever (a cycle) instead of returning an error.
func checkBoltFile(r io.ReaderAt, size int64, pageSize int, txid uint64) error {
	if pageSize < 1024 || pageSize > 1<<20 {
		return fmt.Errorf("%w: the old file's page size %d", ErrCorrupt, pageSize)
	}
	c := &boltChecker{r: r, size: size, pageSize: uint64(pageSize), seen: map[uint64]bool{}}
	root, err := c.meta(txid)
	if err != nil {
		return err
	}
	return c.tree(root, 0, 0)
}

type boltChecker struct {
	r        io.ReaderAt
	size     int64
	pageSize uint64
	pages    uint64 // the meta's page count: every page in use is below it
	seen     map[uint64]bool
}

func (c *boltChecker) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: the old file is damaged: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// meta finds the meta page of transaction txid (bbolt has chosen it already: a valid checksum and
// the higher transaction id) and returns the root bucket's page.
func (c *boltChecker) meta(txid uint64) (uint64, error) {
	for id := range uint64(2) {
		b := make([]byte, boltPageHeader+boltMetaSize)
		if _, err := c.r.ReadAt(b, int64(id*c.pageSize)); err != nil {
			continue
		}
		m := b[boltPageHeader:]
		h := fnv.New64a()
		h.Write(m[:56])
		if binary.LittleEndian.Uint32(m) != 0xed0cdaed || uint64(binary.LittleEndian.Uint32(m[8:])) != c.pageSize ||
			binary.LittleEndian.Uint64(m[48:]) != txid || binary.LittleEndian.Uint64(m[56:]) != h.Sum64() {
			continue
		}
		c.pages = binary.LittleEndian.Uint64(m[40:])
		if c.pages < 3 || c.pages > uint64(c.size)/c.pageSize {
			return 0, c.corrupt("it counts %d pages in %d bytes", c.pages, c.size)
		}
		return binary.LittleEndian.Uint64(m[16:]), nil
	}
	return 0, c.corrupt("no meta page of transaction %d", txid)
}

// tree checks the tree of pages under page id: at level 0 the root bucket (every leaf element a
// bucket), at level 1 a ledger bucket (every leaf element a key and value).
func (c *boltChecker) tree(id uint64, depth, level int) error {
	if depth > boltMaxDepth {
		return c.corrupt("a tree deeper than %d pages at page %d", boltMaxDepth, id)
	}
	if id < 2 {
		return c.corrupt("meta page %d where a tree page belongs", id)
	}
	if id >= c.pages {
		return c.corrupt("page %d is outside the file's %d pages", id, c.pages)
	}
	head := make([]byte, boltPageHeader)
	if _, err := c.r.ReadAt(head, int64(id*c.pageSize)); err != nil {
		return c.corrupt("page %d: %v", id, err)
	}
	overflow := uint64(binary.LittleEndian.Uint32(head[12:]))
	if got := binary.LittleEndian.Uint64(head); got != id {
		return c.corrupt("page %d calls itself page %d", id, got)
	}
	if overflow >= c.pages-id {
		return c.corrupt("page %d runs %d pages past the file's end", id, overflow)
	}
	for p := id; p <= id+overflow; p++ {
		if c.seen[p] {
			return c.corrupt("page %d is reached twice", p)
		}
		c.seen[p] = true
	}
	page := make([]byte, (overflow+1)*c.pageSize)
	if _, err := c.r.ReadAt(page, int64(id*c.pageSize)); err != nil {
		return c.corrupt("page %d: %v", id, err)
	}
	return c.page(page, id, depth, level)
}

// page checks the elements of one page (a page of the file, or a bucket's inline page) and the
// trees they lead to.
func (c *boltChecker) page(page []byte, id uint64, depth, level int) error {
	flags := binary.LittleEndian.Uint16(page[8:])
	count := uint64(binary.LittleEndian.Uint16(page[10:]))
	if boltPageHeader+count*boltElement > uint64(len(page)) {
		return c.corrupt("page %d: %d elements do not fit", id, count)
	}
	// within reports whether n bytes at pos past element i lie inside the page.
	within := func(i, pos, n uint64) bool {
		end := boltPageHeader + i*boltElement + pos + n
		return end <= uint64(len(page))
	}
	switch flags {
	case boltBranchPage:
		if count == 0 {
			return c.corrupt("page %d: a branch without children", id)
		}
		for i := range count {
			e := page[boltPageHeader+i*boltElement:]
			pos, ksize := uint64(binary.LittleEndian.Uint32(e)), uint64(binary.LittleEndian.Uint32(e[4:]))
			if !within(i, pos, ksize) {
				return c.corrupt("page %d: key %d lies outside the page", id, i)
			}
			if err := c.tree(binary.LittleEndian.Uint64(e[8:]), depth+1, level); err != nil {
				return err
			}
		}
	case boltLeafPage:
		for i := range count {
			e := page[boltPageHeader+i*boltElement:]
			eflags := binary.LittleEndian.Uint32(e)
			pos := uint64(binary.LittleEndian.Uint32(e[4:]))
			ksize, vsize := uint64(binary.LittleEndian.Uint32(e[8:])), uint64(binary.LittleEndian.Uint32(e[12:]))
			if !within(i, pos, ksize+vsize) {
				return c.corrupt("page %d: element %d lies outside the page", id, i)
			}
			bucket := eflags&boltBucketEntry != 0
			switch {
			case level == 0 && !bucket:
				return c.corrupt("page %d: a key outside every bucket", id)
			case level == 1 && bucket:
				return c.corrupt("page %d: a bucket inside a bucket", id)
			case level == 1:
				continue
			}
			start := boltPageHeader + i*boltElement + pos + ksize
			v := page[start : start+vsize]
			if vsize < boltBucketHead {
				return c.corrupt("page %d: bucket %d has a %d-byte header", id, i, vsize)
			}
			root := binary.LittleEndian.Uint64(v)
			if root != 0 {
				if err := c.tree(root, 0, 1); err != nil {
					return err
				}
				continue
			}
			inline := v[boltBucketHead:]
			if len(inline) < boltPageHeader || binary.LittleEndian.Uint16(inline[8:]) != boltLeafPage {
				return c.corrupt("page %d: bucket %d's inline page is not a leaf", id, i)
			}
			if err := c.page(inline, id, 0, 1); err != nil {
				return err
			}
		}
	default:
		return c.corrupt("page %d has flags %#x where a branch or leaf page belongs", id, flags)
	}
	return nil
}

// guarded runs fn, which reads a bbolt file's memory map, and turns a panic (bbolt's checks
// panic) or a memory fault (a read past the map) into an error matching ErrCorrupt.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: the old file is damaged: %v", ErrCorrupt, p)
		}
	}()
	return fn()
}
