package entitlement

import "hash/maphash"

// hotCache holds records the embedded store's writers read lately, as they stand in the applied
// state (what the next writer's batch reads through): a writer's Get of a key the cache holds
// skips the engine's lookup (a batch, a memtable seek, then one table per level of the tree),
// which is most of what an operation that reads a few records costs (the audit head, the
// location, the bin line of every attach). Only writers use it, one at a time under the store's
// writer lock; Views read their snapshot and never see it.
//
// It is kept exact, not approximately fresh. A value read through the engine enters at once,
// unless the running writer may have written the key (then the value read may be its own,
// not applied): a read of a key the writer has not written is the applied state whether or
// not the writer's batch is applied later. A key the cache holds is marked dirty with the
// writer's number when the writer writes it, so that the writer's own reads of it go to its
// batch (a rolled-back writer's mark matches no later writer), and the write is recorded:
// once the batch is applied, the recorded writes replace or remove the keys' values in order.
// A failed apply empties the cache.
//
// It is bounded: two generations of at most hotEntries keys and hotBytes value bytes each; a
// key found in the old generation moves (with a copy of its value) to the young one, and when
// the young one is full the old one is dropped. Values longer than hotMaxValue are not kept.
type hotCache struct {
	young, old map[string]hotEntry
	slab       []byte // where the young generation's values are copied
	bytes      int    // value bytes copied into the young generation
	writer     uint64 // the number of the running (or last) writer
	seed       maphash.Seed

	// The running writer's: the keys it wrote, as bits of their hashes (a key whose bit is
	// set may have been written: a value read of it is not cached), and its writes of keys
	// the cache held, in order.
	written [16]uint64
	writes  []hotWrite
}

// hotEntry is one cached key: its value in the applied state, and the writer that has written
// the key in its batch (not yet applied), whose reads must go to the batch.
type hotEntry struct {
	key   string // the map's key, so that moving the entry allocates no new one
	val   []byte
	dirty uint64
}

// hotWrite is a write of a cached key by the running writer; val is valid until its transaction
// ends.
type hotWrite struct {
	key string
	val []byte
	del bool
}

// The cache's bounds (variables so that a test can make them small).
var (
	hotEntries = 4096    // keys per generation
	hotBytes   = 1 << 20 // value bytes copied into a generation
)

const (
	hotMaxValue = 512      // the longest value kept
	hotSlab     = 32 << 10 // values are copied into slabs of this size
)

// begin starts a writer's transaction.
func (c *hotCache) begin() {
	c.writer++
	if c.young == nil {
		c.young, c.seed = map[string]hotEntry{}, maphash.MakeSeed()
	}
	c.written = [16]uint64{}
	clear(c.writes)
	c.writes = c.writes[:0]
}

// find returns the entry under k, moving it to the young generation if it is in the old one.
func (c *hotCache) find(k []byte) (hotEntry, bool) {
	if e, ok := c.young[string(k)]; ok {
		return e, true
	}
	e, ok := c.old[string(k)]
	if !ok {
		return hotEntry{}, false
	}
	delete(c.old, e.key)
	e.val = c.copy(e.val)
	c.young[e.key] = e
	return e, true
}

// get returns the applied value of k, if the cache holds it and the running writer has not
// written k. The value is the cache's own: a caller hands out a copy.
func (c *hotCache) get(k []byte) ([]byte, bool) {
	e, ok := c.find(k)
	if !ok || e.dirty == c.writer {
		return nil, false
	}
	c.rotate()
	return e.val, true
}

// bit is the bit of written that stands for k.
func (c *hotCache) bit(k []byte) (int, uint64) {
	h := maphash.Bytes(c.seed, k) % (64 * uint64(len(c.written)))
	return int(h / 64), 1 << (h % 64)
}

// read offers v, which the running writer read of k through the engine.
func (c *hotCache) read(k, v []byte) {
	if len(v) > hotMaxValue {
		return
	}
	if i, b := c.bit(k); c.written[i]&b != 0 {
		return // perhaps the writer's own value
	}
	if _, ok := c.find(k); ok {
		return
	}
	key := string(k)
	c.young[key] = hotEntry{key: key, val: c.copy(v)}
	c.rotate()
}

// wrote notes that the running writer wrote k; if the cache holds k it returns the key's string
// for record, which the writer must call with what it wrote.
func (c *hotCache) wrote(k []byte) (string, bool) {
	i, b := c.bit(k)
	c.written[i] |= b
	e, ok := c.find(k)
	if !ok {
		return "", false
	}
	e.dirty = c.writer
	c.young[e.key] = e
	return e.key, true
}

// record records the running writer's write of v under a cached key (or its delete), v valid
// until the writer's transaction ends.
func (c *hotCache) record(key string, v []byte, del bool) {
	c.writes = append(c.writes, hotWrite{key: key, val: v, del: del})
}

// applied brings the cache up to date with the running writer's batch, now applied.
func (c *hotCache) applied() {
	for _, w := range c.writes {
		e, ok := c.find([]byte(w.key))
		switch {
		case !ok:
			// Dropped by a rotation since: nothing to bring up to date.
		case w.del || len(w.val) > hotMaxValue:
			delete(c.young, e.key)
		default:
			e.val, e.dirty = c.copy(w.val), 0
			c.young[e.key] = e
		}
	}
	clear(c.writes)
	c.writes = c.writes[:0]
	c.rotate()
}

// reset empties the cache.
func (c *hotCache) reset() {
	c.young, c.old, c.slab, c.bytes = map[string]hotEntry{}, nil, nil, 0
	clear(c.writes)
	c.writes = c.writes[:0]
}

// copy copies v into the young generation's slab.
func (c *hotCache) copy(v []byte) []byte {
	if len(v) > cap(c.slab)-len(c.slab) {
		c.slab = make([]byte, 0, max(hotSlab, len(v)))
	}
	off := len(c.slab)
	c.slab = append(c.slab, v...)
	c.bytes += len(v)
	return c.slab[off:len(c.slab):len(c.slab)]
}

// rotate drops the old generation once the young one is full.
func (c *hotCache) rotate() {
	if len(c.young) < hotEntries && c.bytes < hotBytes {
		return
	}
	c.old, c.young = c.young, make(map[string]hotEntry, len(c.young))
	c.slab, c.bytes = nil, 0
}
