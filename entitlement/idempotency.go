package entitlement

import (
	"bytes"
	"context"
	"time"
)

// Idempotency keys make a retried request safe: a client that sent a shipment, attach,
// activation or assignment and lost the response sends it again with the same key, and gets the
// first response back instead of a second shipment. The key's record is written in the same Store
// transaction as the operation it guards, so the two commit together or not at all: there is no
// moment in which the operation is done but the key is not recorded, whatever crashes.

// Buckets of the idempotency records.
const (
	bIdem    = "idem"  // k(user, as, key) → idemRecord
	bIdemExp = "idemx" // k(n16(expiry unix), user, as, key) → nil: the records in expiry order
)

func init() { allBuckets = append(allBuckets, bIdem, bIdemExp) }

// DefaultIdempotencyTTL is how long a key's record is kept when IdempotencyKey.TTL is 0.
const DefaultIdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKey is the longest idempotency key accepted, in bytes.
const MaxIdempotencyKey = 255

// maxStoredResponse caps the response kept with a key.
const maxStoredResponse = 4 << 20

// idemPurge is how many expired records one operation removes (the cost of cleaning is spread
// over the operations that use keys, a few deletes each).
const idemPurge = 16

// IdempotencyKey identifies one request of one client for [Ledger.Idempotent].
type IdempotencyKey struct {
	// Key is the client's key: 1 to [MaxIdempotencyKey] printable ASCII characters. Keys are
	// scoped to the acting identity: two users' equal keys never meet.
	Key string
	// Fingerprint identifies the request (a service hashes its method, path and body): the same
	// key with another fingerprint is refused with [ErrKeyReused].
	Fingerprint []byte
	// TTL is how long the record is kept; 0 means [DefaultIdempotencyTTL]. After it, the key is
	// free again and a request with it runs anew.
	TTL time.Duration
}

// Response is what a service answered to a request, kept with its idempotency key and given back
// unchanged to a retry. The ledger does not interpret it.
type Response struct {
	Status int               `cbor:"1,keyasint" json:"status"`
	Header map[string]string `cbor:"2,keyasint,omitempty" json:"header,omitempty"`
	Body   []byte            `cbor:"3,keyasint,omitempty" json:"body,omitempty"`
}

type idemRecord struct {
	Fingerprint []byte    `cbor:"1,keyasint"`
	Created     time.Time `cbor:"2,keyasint"`
	Expires     time.Time `cbor:"3,keyasint"`
	Response    Response  `cbor:"4,keyasint"`
}

// CheckIdempotencyKey reports whether key is acceptable as an idempotency key.
func CheckIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKey {
		return wrapf(ErrInvalid, "idempotency key must be 1 to %d characters", MaxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return wrapf(ErrInvalid, "idempotency key has a character outside printable ASCII at byte %d", i)
		}
	}
	return nil
}

// Idempotent runs fn at most once per key: fn calls the ledger's operations with the context it
// is given, and they all run in one Store transaction together with the key's record, which keeps
// fn's response. The first call with a key runs fn; if fn succeeds the operations, the record and
// the response commit together. A later call with the same key and fingerprint (while the record
// is kept) does not run fn: it returns the stored response with replayed true. The same key with
// another fingerprint is refused with [ErrKeyReused] and changes nothing. If fn returns an error,
// or any operation inside it was refused, nothing is kept (no operation, no record), so a retry
// runs anew. Concurrent calls with one key are serialised by the store: one runs, the other
// replays.
//
// fn must call only the ledger's operations that take an [Actor] (and [Ledger.Update] and
// [Ledger.View]) with the context it receives; it may be run more than once by the store, as any
// update function (see [Store]). Events are delivered after the commit. Expired records are
// removed a few at a time by later calls.
func (l *Ledger) Idempotent(ctx context.Context, a Actor, key IdempotencyKey, fn func(ctx context.Context) (Response, error)) (resp Response, replayed bool, err error) {
	if err := CheckIdempotencyKey(key.Key); err != nil {
		return Response{}, false, err
	}
	if len(key.Fingerprint) == 0 || len(key.Fingerprint) > 64 {
		return Response{}, false, wrapf(ErrInvalid, "idempotency fingerprint must be 1 to 64 bytes")
	}
	ttl := key.TTL
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	var events []Event
	err = l.store.Update(ctx, func(tx Tx) error {
		events, resp, replayed = nil, Response{}, false
		a, err := l.actorOf(ctx, tx, a) // with a token in ctx, the key belongs to its actor
		if err != nil {
			return err
		}
		if checkID("user", a.User) != nil || a.As != "" && checkID("user", a.As) != nil {
			return notAllowed("no such user %q", a)
		}
		rk := k(a.User, a.As, key.Key)
		now := l.now()
		var rec idemRecord
		found, err := getRec(tx, bIdem, rk, &rec)
		if err != nil {
			return err
		}
		if found && now.Before(rec.Expires) {
			if !bytes.Equal(rec.Fingerprint, key.Fingerprint) {
				return wrapf(ErrKeyReused, "idempotency key %q was used for another request", key.Key)
			}
			resp, replayed = rec.Response, true
			return nil
		}
		if found { // expired: the key is free again
			if err := tx.Delete(bIdemExp, k(n16(uint64(rec.Expires.Unix())), rk)); err != nil {
				return err
			}
		}
		if err := purgeIdem(tx, now); err != nil {
			return err
		}
		j := &joined{l: l, tx: tx}
		r, err := fn(context.WithValue(ctx, joinKey{}, j))
		if err == nil {
			err = j.err
		}
		if err != nil {
			return err
		}
		if len(r.Body) > maxStoredResponse {
			return wrapf(ErrInvalid, "response of %d bytes is too large to keep with an idempotency key", len(r.Body))
		}
		rec = idemRecord{Fingerprint: bytes.Clone(key.Fingerprint), Created: now, Expires: now.Add(ttl), Response: r}
		if err := putRec(tx, bIdem, rk, rec); err != nil {
			return err
		}
		if err := tx.Put(bIdemExp, k(n16(uint64(rec.Expires.Unix())), rk), nil); err != nil {
			return err
		}
		resp, events = r, j.events
		return nil
	})
	if err != nil {
		return Response{}, false, err
	}
	l.deliver(events)
	return resp, replayed, nil
}

// purgeIdem removes up to idemPurge records that expired by now.
func purgeIdem(tx Tx, now time.Time) error {
	var old []string
	err := tx.Scan(bIdemExp, "", func(kk string, _ []byte) (bool, error) {
		exp, ok := parseN16(kk[:min(8, len(kk))])
		if !ok || len(kk) < 9 {
			return false, wrapf(ErrCorrupt, "idempotency expiry index key")
		}
		if int64(exp) > now.Unix() {
			return false, nil
		}
		old = append(old, kk)
		return len(old) < idemPurge, nil
	})
	if err != nil {
		return err
	}
	for _, kk := range old {
		rk := kk[9:]
		var rec idemRecord
		if ok, err := getRec(tx, bIdem, rk, &rec); err != nil {
			return err
		} else if ok && !now.Before(rec.Expires) {
			if err := tx.Delete(bIdem, rk); err != nil {
				return err
			}
		}
		if err := tx.Delete(bIdemExp, kk); err != nil {
			return err
		}
	}
	return nil
}

// joined is the transaction of an [Ledger.Idempotent] call that the ledger's operations join.
type joined struct {
	l      *Ledger
	tx     Tx
	events []Event
	err    error // the first refusal: the whole transaction is then abandoned
}

type joinKey struct{}

// joined returns the transaction ctx carries for this ledger, if any.
func (l *Ledger) joined(ctx context.Context) *joined {
	j, _ := ctx.Value(joinKey{}).(*joined)
	if j == nil || j.l != l {
		return nil
	}
	return j
}

// run runs an update in the joined transaction; a refusal poisons it, since the refused
// operation may have written before it failed and only abandoning the transaction undoes that.
func (j *joined) run(fn func(Tx) error) error {
	if j.err != nil {
		return j.err
	}
	if err := fn(j.tx); err != nil {
		j.err = err
		return err
	}
	return nil
}
