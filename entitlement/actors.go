package entitlement

import "sync"

// Every operation starts by resolving its actor: the authenticated user, the impersonated one and
// the allowance between their partners, and the effective partner. Those records change rarely,
// so the ledger keeps the resolutions it made and reuses one while the audit head's Actors is what
// it was when the resolution was made. Actors is the sequence number of the audit record of the
// last operation that wrote a user, a partner or an allowance (opTx notices such a write whatever
// the operation), so an equal Actors means that no committed operation has changed them since.
//
// Only resolutions read from committed state are kept: an operation that joins an
// [Ledger.Idempotent] transaction may read what an earlier operation of that transaction wrote and
// a rollback then takes back, so it reuses resolutions but keeps none. A ledger whose head has no
// Actors yet (written before it was kept) resolves every time until its next operation sets it.

// actorCache holds resolutions by actor.
type actorCache struct {
	mu sync.RWMutex
	m  map[Actor]resolution
}

// resolution is an actor resolved at a generation of the actors.
type resolution struct {
	gen       uint64
	real, eff User
	partner   Partner
}

// maxActorCache bounds the resolutions kept; beyond it the cache starts afresh.
const maxActorCache = 4096

func (c *actorCache) get(a Actor, gen uint64) (resolution, bool) {
	if gen == 0 {
		return resolution{}, false
	}
	c.mu.RLock()
	r, ok := c.m[a]
	c.mu.RUnlock()
	return r, ok && r.gen == gen
}

func (c *actorCache) put(a Actor, r resolution) {
	if r.gen == 0 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxActorCache {
		c.m = make(map[Actor]resolution)
	}
	c.m[a] = r
	c.mu.Unlock()
}

// actorBucket reports whether a bucket holds what resolving an actor reads.
func actorBucket(b string) bool { return b == bUsers || b == bPartners || b == bAllow }

// opTx is an operation's transaction: it notes a write to what resolving an actor reads, so that
// the operation moves the audit head's Actors on.
type opTx struct {
	Tx
	o *op
}

func (t opTx) Put(bucket, key string, val []byte) error {
	if actorBucket(bucket) {
		t.o.actorsChanged = true
	}
	return t.Tx.Put(bucket, key, val)
}

func (t opTx) Delete(bucket, key string) error {
	if actorBucket(bucket) {
		t.o.actorsChanged = true
	}
	return t.Tx.Delete(bucket, key)
}
