package entitlement

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// This file is the ledger's one extension point: packages built on the ledger (Software Assurance
// in lmskit/swa, the per-system operations, the second vendor's workflows) run their operations
// through [Ledger.Update] and [Ledger.View], inside the ledger's own Store transaction, with the
// same actor resolution, the same audit chain and the same notion of time as the core's. They
// never copy the core's internals: what they may read and write is the method set of [Op].

// bExt holds every record of every extension, keyed <extension bucket> sep <key>, so that the
// core's snapshot, export and integrity tools see them without a registry.
const bExt = "ext"

func init() { allBuckets = append(allBuckets, bExt) }

// Op is one operation of a package above the core, in progress inside one Store transaction. It is
// handed to the function given to [Ledger.Update] or [Ledger.View] and must not be kept after that
// function returns, nor used from another goroutine.
//
// The actor has been resolved (impersonation checked again) before the function runs; role and
// scope checks are the operation's own (Need, LMSUser, Visible). Everything the function writes,
// through Op or the core operations it calls (Ship, Attach, Activate, Regenerate, Rekey,
// Reissue, …), is one transaction:
// if the function returns an error nothing is kept, no audit record is appended and no event is
// delivered. The store may run the function more than once (see [Store]): build results afresh
// on every run and keep no effect outside the transaction.
type Op struct{ o *op }

// Update runs fn as one audited read-write operation named name (the audit record's Op, and the
// prefix of a refusal: "<name>: <reason>"). The audit record is appended to the ledger's chain
// when fn returns nil; it carries the references (Op.Ref), notes (Op.Note) and the quantity
// changes of every shipped line the operation touched. Events fn emitted (Op.Emit) are delivered
// to Config.Events after the transaction commits, in order, on the caller's goroutine.
func (l *Ledger) Update(ctx context.Context, a Actor, name string, fn func(*Op) error) error {
	if err := checkOpName(name); err != nil {
		return err
	}
	return l.update(ctx, a, name, func(o *op) error { return fn(&Op{o}) })
}

// View runs fn as a read-only operation with the actor resolved: writes through Op fail with
// [ErrReadOnly], and nothing is audited.
func (l *Ledger) View(ctx context.Context, a Actor, name string, fn func(*Op) error) error {
	if err := checkOpName(name); err != nil {
		return err
	}
	return l.view(ctx, a, name, func(o *op) error { return fn(&Op{o}) })
}

// Inspect runs fn as a read-only operation of the ledger itself rather than of a user: no actor is
// resolved, Op.Admin is true and every partner's records are visible. It is for the operator's
// integrity, export and audit tools (swa.CheckConservation), never for serving a user's request:
// a service derives an actor and uses View.
func (l *Ledger) Inspect(ctx context.Context, name string, fn func(*Op) error) error {
	if err := checkOpName(name); err != nil {
		return err
	}
	self := User{ID: "(ledger)", Name: "the ledger itself", Roles: RoleAdmin | RoleLMSUser}
	return l.store.View(ctx, func(tx Tx) error {
		o := &op{l: l, tx: tx, now: l.now(), actor: Actor{User: self.ID}, real: self, user: self}
		if err := fn(&Op{o}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
}

func checkOpName(name string) error {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, "\x00\n") {
		return wrapf(ErrInvalid, "operation name %q (1 to 64 bytes, one line)", name)
	}
	return nil
}

// Ledger returns the ledger the operation runs on (its catalog, its configuration).
func (x *Op) Ledger() *Ledger { return x.o.l }

// Now is the operation's time: the ledger's clock, UTC, whole seconds, the same for every read of
// one run.
func (x *Op) Now() time.Time { return x.o.now }

// Actor is the actor as given (the authenticated user and the impersonated one, if any).
func (x *Op) Actor() Actor { return x.o.actor }

// User is the effective user: the impersonated dealer user, or the authenticated user.
func (x *Op) User() User { return x.o.user }

// RealUser is the authenticated user (the distributor user while impersonating).
func (x *Op) RealUser() User { return x.o.real }

// Partner is the effective user's partner.
func (x *Op) Partner() Partner { return x.o.partner }

// Admin reports whether the effective user holds the administrator role.
func (x *Op) Admin() bool { return x.o.admin() }

// Need refuses with [ErrNotAllowed], naming what was refused, unless the effective user holds every
// role in r.
func (x *Op) Need(r Role, what string) error { return x.o.need(r, what) }

// NeedAny refuses with [ErrNotAllowed] unless the effective user holds at least one role of r.
func (x *Op) NeedAny(r Role, what string) error {
	if x.o.user.Roles&r != 0 {
		return nil
	}
	return notAllowed("%s may not %s (role missing)", x.o.actor, what)
}

// LMSUser refuses with [ErrNotAllowed] unless the effective user is an LMS user or administrator.
func (x *Op) LMSUser(what string) error { return x.o.lmsUser(what) }

// Visible reports whether an object owned by partner is the actor's to see: its own partner's, or
// any partner's for an administrator. Callers answer an invisible object with exactly the
// [ErrNotFound] of an unknown one.
func (x *Op) Visible(partner string) bool { return x.o.visible(partner) }

// Ref adds a reference ("kind:id", for example "agreement:50180-EVCY45796-N") to the audit record.
func (x *Op) Ref(kind, id string) { x.o.ref(kind, id) }

// Note adds a line of detail to the audit record (for example the units drawn from each SWA
// shipment). Notes are covered by the record's hash like every other field.
func (x *Op) Note(format string, a ...any) { x.o.note(fmt.Sprintf(format, a...)) }

// Emit queues an event for Config.Events; it is delivered only if the operation commits.
func (x *Op) Emit(e Event) { x.o.emit(e) }

// Rand is the ledger's randomness (Config.Rand), safe for use inside the operation.
func (x *Op) Rand() io.Reader { return x.o.l.rand }

// Next increments and returns the extension's counter name (1, 2, …), as part of the transaction.
func (x *Op) Next(name string) (uint64, error) {
	if err := checkID("counter", name); err != nil {
		return 0, err
	}
	return nextSeq(x.o.tx, "ext/"+name)
}

// extKey is the key of an extension record in bExt.
func extKey(bucket, key string) (string, error) {
	if err := checkID("extension bucket", bucket); err != nil {
		return "", err
	}
	if key == "" || strings.Contains(key, sep) {
		return "", wrapf(ErrInvalid, "extension key %q (non-empty, no NUL)", key)
	}
	kk := bucket + sep + key
	if err := CheckKey(bExt, kk); err != nil {
		return "", wrapf(ErrInvalid, "extension key %q: %v", key, err)
	}
	return kk, nil
}

// Get decodes the extension record under key in bucket into v; ok is false when there is none.
// Extension buckets are the extension's own (named after its package, "swa.units"); they never
// overlap the core's records. Records are CBOR with the ledger's strict decoding options: give v
// `cbor:"n,keyasint"` field tags, as the core's types have.
func (x *Op) Get(bucket, key string, v any) (ok bool, err error) {
	kk, err := extKey(bucket, key)
	if err != nil {
		return false, err
	}
	return getRec(x.o.tx, bExt, kk, v)
}

// Put stores v under key in bucket. A value the ledger's strict decoder would refuse (a string of
// invalid UTF-8, nesting deeper than it allows) is refused with [ErrInvalid]: stored, it would make
// every later read of the record, the export and the integrity check fail.
func (x *Op) Put(bucket, key string, v any) error {
	kk, err := extKey(bucket, key)
	if err != nil {
		return err
	}
	b, err := enc(v)
	if err != nil {
		return err
	}
	var readBack any
	if err := decMode.Unmarshal(b, &readBack); err != nil {
		return wrapf(ErrInvalid, "extension record %s %q: %v", bucket, key, err)
	}
	return x.o.tx.Put(bExt, kk, b)
}

// Delete removes key from bucket; a missing key is not an error.
func (x *Op) Delete(bucket, key string) error {
	kk, err := extKey(bucket, key)
	if err != nil {
		return err
	}
	return x.o.tx.Delete(bExt, kk)
}

// Scan calls fn for every record of bucket whose key starts with prefix, in ascending key order,
// until fn returns false or an error. decode decodes the record's value; it is valid only during
// the call. Writing to the ledger from inside fn is not allowed.
func (x *Op) Scan(bucket, prefix string, fn func(key string, decode func(v any) error) (more bool, err error)) error {
	return x.ScanFrom(bucket, prefix, "", fn)
}

// ScanFrom is Scan starting at the first key that is at least start (a seek), for paging.
func (x *Op) ScanFrom(bucket, prefix, start string, fn func(key string, decode func(v any) error) (more bool, err error)) error {
	if err := checkID("extension bucket", bucket); err != nil {
		return err
	}
	if strings.Contains(prefix, sep) || strings.Contains(start, sep) {
		return wrapf(ErrInvalid, "extension scan prefix or start contains NUL")
	}
	base := bucket + sep
	return x.o.tx.ScanFrom(bExt, base+prefix, base+start, func(kk string, v []byte) (bool, error) {
		return fn(kk[len(base):], func(dst any) error { return dec(v, dst) })
	})
}

// Location returns a location the actor may see; another partner's, like an unknown one, is
// [ErrNotFound].
func (x *Op) Location(id string) (Location, error) { return x.o.location(id) }

// LocationView returns a visible location with its lines and children, as [Ledger.Location].
func (x *Op) LocationView(id string) (LocationView, error) { return x.o.locationView(id) }

// Lines returns every line (attached, activated, migrated history) of a visible location, in
// software key code order.
func (x *Op) Lines(location string) ([]Line, error) {
	if _, err := x.o.location(location); err != nil {
		return nil, err
	}
	return x.o.locLines(location)
}

// Customer returns a customer the actor may see; another partner's is [ErrNotFound].
func (x *Op) Customer(id string) (Customer, error) { return x.o.customer(id) }

// Locations returns the locations of a visible customer.
func (x *Op) Locations(customer string) ([]Location, error) {
	if _, err := x.o.customer(customer); err != nil {
		return nil, err
	}
	return x.o.customerLocations(customer)
}

// PartnerLocations calls fn for every location of a partner the actor may see (its own, or any
// for an administrator), in no particular order, until fn returns false or an error.
func (x *Op) PartnerLocations(partner string, fn func(Location) (bool, error)) error {
	if !x.o.visible(partner) {
		return wrapf(ErrNotFound, "partner %q", partner)
	}
	return x.o.tx.Scan(bLocByP, partner+sep, func(kk string, _ []byte) (bool, error) {
		var loc Location
		if _, err := getRec(x.o.tx, bLocs, kk[len(partner)+1:], &loc); err != nil {
			return false, err
		}
		return fn(loc)
	})
}

// PartnerOf returns a partner by id (any partner: extensions check scope themselves).
func (x *Op) PartnerOf(id string) (Partner, bool, error) {
	var p Partner
	ok, err := getRec(x.o.tx, bPartners, id, &p)
	return p, ok, err
}

// UserOf returns a user by login (any user: extensions check scope themselves).
func (x *Op) UserOf(id string) (User, bool, error) {
	var u User
	if checkID("user", id) != nil {
		return u, false, nil
	}
	ok, err := getRec(x.o.tx, bUsers, id, &u)
	return u, ok, err
}

// Allowance reports whether the shipping allowance distributor→dealer exists.
func (x *Op) Allowance(distributor, dealer string) (bool, error) {
	if checkID("partner", distributor) != nil || checkID("partner", dealer) != nil {
		return false, nil
	}
	_, ok, err := x.o.tx.Get(bAllow, k(distributor, dealer))
	return ok, err
}

// Shipped returns a shipped line of the actor's partner (any partner's for an administrator);
// another partner's is [ErrNotFound].
func (x *Op) Shipped(id uint64) (ShippedLine, error) {
	s, err := x.o.shipped(id)
	if err != nil {
		return s, err
	}
	if !x.o.visible(s.Partner) {
		return ShippedLine{}, wrapf(ErrNotFound, "shipped line %d", id)
	}
	return s, nil
}

// Ship ships an order into ord.Partner's license bin as part of the operation, with no role
// check of its own: the extension decides who may cause a shipment (Software Assurance ships
// free-of-charge upgrade licenses under generated order numbers). The order is checked as
// [Ledger.Ship] checks it, and SWA units are refused: they never enter the license bin.
func (x *Op) Ship(ord Order) ([]ShippedLine, error) {
	var p Partner
	if ok, err := getRec(x.o.tx, bPartners, ord.Partner, &p); err != nil {
		return nil, err
	} else if !ok || p.Kind == KindVendor {
		return nil, wrapf(ErrInvalid, "ship to %q: not a distributor or dealer", ord.Partner)
	}
	for i, ln := range ord.Lines {
		if part, ok := x.o.l.cat.Part(ln.Part); ok && part.SWAUnits {
			return nil, wrapf(ErrInvalid, "order line %d: %s is SWA units, not a license", i+1, ln.Part)
		}
	}
	return x.o.ship(ord, nil)
}

// Attach attaches bin quantities to a location exactly as [Ledger.Attach] does (same checks,
// rules and audit), inside the operation.
func (x *Op) Attach(location string, picks []Pick) ([]Line, error) {
	return x.o.attach(location, picks)
}

// Activate activates attached lines and issues the location's file exactly as [Ledger.Activate]
// does, inside the operation.
func (x *Op) Activate(location string, act Activation) (Issued, error) {
	return x.o.activate(location, act)
}

// Regenerate re-issues a visible location's license file from all its activated lines, as
// [Ledger.Regenerate], inside the operation.
func (x *Op) Regenerate(location string) (Issued, error) { return x.o.regenerate(location) }

// UnitsHandler receives, inside the shipping operation's transaction, the lines of an order whose
// parts are SWA units ([Part].SWAUnits). It keeps them in its own books (the Software Assurance
// units bin) and returns an error to refuse the whole order.
type UnitsHandler func(x *Op, ord Order, units []OrderLine) error

// HandleUnits installs the handler of SWA unit lines in shipped orders (swa.New calls it). Without
// one, an order with SWA units is refused with [ErrInvalid]: a ledger without a Software Assurance
// book has nowhere to keep them. Call it before the ledger is used concurrently; a later call
// replaces the handler.
func (l *Ledger) HandleUnits(h UnitsHandler) {
	l.ext.Lock()
	defer l.ext.Unlock()
	l.ext.units = h
}

func (l *Ledger) unitsHandler() UnitsHandler {
	l.ext.Lock()
	defer l.ext.Unlock()
	return l.ext.units
}

// extHooks are what packages above the core registered on the ledger.
type extHooks struct {
	sync.Mutex
	units UnitsHandler
}
