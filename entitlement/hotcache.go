package entitlement

// hotCache holds records the embedded store's writers read lately, as they stand in the applied
// state (what the next writer's batch reads through): a writer's Get of a key the cache holds
// skips the engine's lookup (a batch, a memtable seek, then one table per level of the tree),
// which is most of what an operation that reads a few records costs (the audit head, the
// location, the bin line of every attach). Only writers use it, one at a time under the store's
// writer lock; Views read their snapshot and never see it.
//
// It is kept exact, not approximately fresh: a value enters only when a writer's batch is
// applied (what that writer read of keys it did not write, then everything its batch wrote, in
// order, so the batch wins), an applied write replaces or removes the key's value, and a failed
// apply empties the cache. Within a transaction, a key the writer has written is read from its
// batch, never from the cache (marked dirty with the writer's number; a rolled-back writer's
// mark matches no later writer).
//
// It is bounded: two generations of at most hotEntries keys and hotBytes value bytes each; a
// key found in the old generation moves (with a copy of its value) to the young one, and when
// the young one is full the old one is dropped. Values longer than hotMaxValue are not kept.
type hotCache struct {
	young, old map[string]hotEntry
	slab       []byte // where the young generation's values are copied
	bytes      int    // value bytes copied into the young generation
	writer     uint64 // the number of the running (or last) writer
}

// hotEntry is one cached key: its value in the applied state, and the writer that has written
// the key in its batch (not yet applied), whose reads must go to the batch.
type hotEntry struct {
	key   string // the map's key, so that moving the entry allocates no new one
	val   []byte
	dirty uint64
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
		c.young = map[string]hotEntry{}
	}
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
// written k. The value must not be modified.
func (c *hotCache) get(k []byte) ([]byte, bool) {
	e, ok := c.find(k)
	if !ok || e.dirty == c.writer {
		return nil, false
	}
	c.rotate()
	return e.val, true
}

// wrote marks k as written by the running writer: its reads of k go to its batch from now on.
func (c *hotCache) wrote(k []byte) {
	if e, ok := c.find(k); ok {
		e.dirty = c.writer
		c.young[e.key] = e
	}
}

// hotRead is a value a writer read of a key it had not written when it read it (valid until
// its batch is applied).
type hotRead struct {
	key, val []byte
}

// apply brings the cache up to date with an applied batch. reads are what its writer read
// through the engine; each calls fn with every record of the batch in order (del for a
// delete), and reports false if the batch held a kind of record it does not know (the cache is
// then emptied).
func (c *hotCache) apply(reads []hotRead, each func(fn func(k, v []byte, del bool)) bool) {
	for _, r := range reads {
		if len(r.val) > hotMaxValue {
			continue
		}
		if _, ok := c.find(r.key); ok {
			continue
		}
		k := string(r.key)
		c.young[k] = hotEntry{key: k, val: c.copy(r.val)}
	}
	known := each(func(k, v []byte, del bool) {
		e, ok := c.find(k)
		switch {
		case !ok:
			// Not cached: nothing to bring up to date.
		case del || len(v) > hotMaxValue:
			delete(c.young, e.key)
		default:
			e.val, e.dirty = c.copy(v), 0
			c.young[e.key] = e
		}
	})
	if !known {
		c.reset()
		return
	}
	c.rotate()
}

// reset empties the cache.
func (c *hotCache) reset() {
	c.young, c.old, c.slab, c.bytes = map[string]hotEntry{}, nil, nil, 0
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
