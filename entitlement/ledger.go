package entitlement

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// Clock tells the time; tests inject a fixed one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a [Ledger]. The zero value of every field has a safe meaning.
type Config struct {
	// Clock gives the time recorded in lines, files and audit records; nil means time.Now.
	Clock Clock
	// Catalog lists parts and systems; nil means [DefaultCatalog].
	Catalog *Catalog
	// Issuer builds and signs license files; nil means activation, regeneration and demo files are
	// refused with ErrState (the books can still be kept).
	Issuer Issuer
	// HostID validates a location's hardware key code for its system and returns the canonical
	// form; nil means [KeycodeHostID] of the catalog.
	HostID func(system, code string) (string, error)
	// Rules holds the per-system rules consulted on create-location, attach and activate, keyed
	// by system name; systems without an entry follow only the general rules.
	Rules map[string]Rules
	// Deriver derives the virtual hardware key codes the server creates (SV9500 Standard Server
	// and SE, iS3000 dongle-less, 3C); nil means operations that need one are refused with
	// ErrState.
	Deriver *keycode.Deriver
	// Events, when set, receives the ledger's event stream ([Event]): license shipments, an
	// external product's file becoming available ([Ledger.AttachExternalFile]: the service sends
	// the "your License file … is available" e-mail), and the events of packages built on the
	// ledger (SWA unit shipments, SWA activation, expiry warnings). Events are delivered after the
	// operation's transaction commits, in order, on the caller's goroutine; a refused operation
	// delivers none. Nil means events are dropped.
	Events func(Event)
	// Rand is the randomness for UUIDs and software key codes (keycode.NewSoftwareKeyCode); nil
	// means crypto/rand.
	Rand io.Reader
	// Demos is the number of demo licenses a new location starts with; 0 means 2 (the guide's)
	// and a negative value means none (demo files are then refused with ErrNoDemo).
	Demos int
	// DemoTerm is how long a demo file runs; 0 means 30 days.
	DemoTerm time.Duration
	// MaxTimeTokenSetBack bounds how far a time token may pull a device's time back
	// ([Ledger.IssueTimeToken]); 0 means [DefaultMaxTimeTokenSetBack].
	MaxTimeTokenSetBack time.Duration
	// AuditKey, when set, keys the audit chain with HMAC-SHA-256 so that only a holder of the key
	// can extend or rewrite it undetected; nil means a plain SHA-256 chain.
	AuditKey []byte
}

// Ledger is the license server's books on a [Store]. All methods are safe for concurrent use; each
// change is one Store transaction with its audit record.
type Ledger struct {
	store Store
	cfg   Config
	cat   *Catalog
	clock Clock
	rand  io.Reader
	ext   extHooks
	// actors keeps actors' resolutions while no operation changes them (actors.go).
	actors actorCache
}

// New returns a ledger on store.
func New(store Store, cfg Config) *Ledger {
	l := &Ledger{store: store, cfg: cfg, cat: cfg.Catalog, clock: cfg.Clock, rand: cfg.Rand}
	if l.cat == nil {
		l.cat = DefaultCatalog()
	}
	if l.clock == nil {
		l.clock = systemClock{}
	}
	if l.rand == nil {
		l.rand = rand.Reader
	} else {
		l.rand = &lockedReader{r: l.rand} // a caller's reader need not be safe for concurrent use
	}
	switch {
	case l.cfg.Demos == 0:
		l.cfg.Demos = 2
	case l.cfg.Demos < 0:
		l.cfg.Demos = 0
	}
	if l.cfg.DemoTerm == 0 {
		l.cfg.DemoTerm = 30 * 24 * time.Hour
	}
	if l.cfg.HostID == nil {
		l.cfg.HostID = KeycodeHostID(l.cat)
	}
	return l
}

// now is the operation time: UTC, whole seconds (what the store and license files keep).
func (l *Ledger) now() time.Time { return l.clock.Now().UTC().Truncate(time.Second) }

// Catalog returns the ledger's catalog.
func (l *Ledger) Catalog() *Catalog { return l.cat }

// Store returns the ledger's store.
func (l *Ledger) Store() Store { return l.store }

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// op is one operation in progress inside a Store transaction.
type op struct {
	l       *Ledger
	tx      Tx
	now     time.Time
	actor   Actor
	real    User    // the authenticated user
	user    User    // the effective user (the impersonated dealer user, or real)
	partner Partner // the effective user's partner
	rec     AuditRecord
	// head is the audit head as read at the start of the operation; the counters it keeps move
	// on in it (next) and it is written with the audit record.
	head auditHead
	// actorsChanged is set by a write to a user, partner or allowance (opTx).
	actorsChanged bool
	// scratch is a buffer for encoding what the operation writes (the store copies a value).
	scratch []byte
	// oldLines are the lines read in the earlier layout (lines.go), by code.
	oldLines map[string]bool
	// legacy names the head's counters this operation moved out of their meta records.
	legacy []string
	events []Event // delivered after commit
	// warnings are what rules said without refusing, returned with an activation's file.
	warnings []string
}

func (o *op) admin() bool { return o.user.Roles.Has(RoleAdmin) }

// resolve loads the actor's users and checks impersonation. It is run at the start of every
// operation, so a revoked allowance or role takes effect at once.
func (l *Ledger) resolve(tx Tx, a Actor) (real, eff User, p Partner, err error) {
	if checkID("user", a.User) != nil || a.As != "" && checkID("user", a.As) != nil {
		return real, eff, p, notAllowed("no such user %q", a)
	}
	if ok, err := getRec(tx, bUsers, a.User, &real); err != nil {
		return real, eff, p, err
	} else if !ok || a.User == "" {
		return real, eff, p, notAllowed("unknown user %q", a.User)
	}
	eff = real
	if a.As != "" {
		if ok, err := getRec(tx, bUsers, a.As, &eff); err != nil {
			return real, eff, p, err
		} else if !ok {
			return real, eff, p, notAllowed("%s: unknown user %q to impersonate", a, a.As)
		}
		if err := l.checkImpersonation(tx, real, eff); err != nil {
			return real, eff, p, err
		}
	}
	if ok, err := getRec(tx, bPartners, eff.Partner, &p); err != nil {
		return real, eff, p, err
	} else if !ok {
		return real, eff, p, wrapf(ErrCorrupt, "user %q: partner %q missing", eff.ID, eff.Partner)
	}
	return real, eff, p, nil
}

func (l *Ledger) checkImpersonation(tx Tx, dist, dealer User) error {
	var dp, rp Partner
	if _, err := getRec(tx, bPartners, dist.Partner, &dp); err != nil {
		return err
	}
	if _, err := getRec(tx, bPartners, dealer.Partner, &rp); err != nil {
		return err
	}
	if dp.Kind != KindDistributor || !dist.Roles.Has(RoleLMSUser) {
		return notAllowed("impersonation by %q: only a distributor's LMS user may impersonate", dist.ID)
	}
	if rp.Kind != KindDealer {
		return notAllowed("impersonation of %q: not a dealer/reseller user", dealer.ID)
	}
	_, ok, err := tx.Get(bAllow, k(dp.ID, rp.ID))
	if err != nil {
		return err
	}
	if !ok {
		return notAllowed("impersonation of %q by %q: no shipping allowance %s→%s", dealer.ID, dist.ID, dp.ID, rp.ID)
	}
	return nil
}

// update runs fn as one audited read-write operation.
// Events fn emits are delivered after the commit; the store may run fn more than once, so only the
// last run's events count. Inside [Ledger.Idempotent] the operation joins that transaction.
func (l *Ledger) update(ctx context.Context, a Actor, name string, fn func(o *op) error) error {
	if j := l.joined(ctx); j != nil {
		return j.run(func(tx Tx) error { return l.runUpdate(ctx, tx, a, name, fn, &j.events, true) })
	}
	var events []Event
	err := l.store.Update(ctx, func(tx Tx) error {
		events = nil
		return l.runUpdate(ctx, tx, a, name, fn, &events, false)
	})
	if err != nil {
		return err
	}
	l.deliver(events)
	return nil
}

// runUpdate is one run of an audited operation in tx; its events are appended to events.
func (l *Ledger) runUpdate(ctx context.Context, tx Tx, a Actor, name string, fn func(o *op) error, events *[]Event, joined bool) error {
	o, err := l.begin(ctx, tx, a, name, joined)
	if err != nil {
		return err
	}
	o.tx = opTx{Tx: tx, o: o}
	o.rec = AuditRecord{Time: o.now, User: o.real.ID, As: o.actor.As, Partner: o.partner.ID, Op: name}
	if err := fn(o); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return o.commit(events)
}

// commit ends a successful run of an operation: the counters it moved out of their meta records
// removed there, its audit record appended (the head moving Actors on when the operation changed
// what resolving an actor reads, or when the head did not know it yet), its events queued.
func (o *op) commit(events *[]Event) error {
	for _, name := range o.legacy {
		if err := o.tx.Delete(bMeta, "seq/"+name); err != nil {
			return err
		}
	}
	if o.actorsChanged || o.head.Actors == 0 {
		o.head.Actors = o.head.Seq + 1
	}
	if err := o.l.appendAudit(o.tx, &o.head, &o.rec); err != nil {
		return err
	}
	*events = append(*events, o.events...)
	return nil
}

// begin starts an operation in tx: the audit head read, the actor (the context's token's, if any)
// resolved and checked, from the resolutions the ledger keeps when the actors have not changed
// since (actors.go). joined says the transaction is an [Ledger.Idempotent] one, which may hold
// writes that are not committed: a resolution read there is not kept.
func (l *Ledger) begin(ctx context.Context, tx Tx, a Actor, name string, joined bool) (*op, error) {
	a, err := l.actorOf(ctx, tx, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	o := &op{l: l, tx: tx, now: l.now(), actor: a}
	if _, err := getRec(tx, bMeta, keyAuditHead, &o.head); err != nil {
		return nil, err
	}
	r, ok := l.actors.get(a, o.head.Actors)
	if !ok {
		r.gen = o.head.Actors
		if r.real, r.eff, r.partner, err = l.resolve(tx, a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if !joined {
			l.actors.put(a, r)
		}
	}
	o.real, o.user, o.partner = r.real, r.eff, r.partner
	return o, nil
}

// next increments and returns the named counter as part of the operation: the audit head's own
// counters (auditHead) in the head, the others as meta records (nextSeq).
func (o *op) next(name string) (uint64, error) {
	p := o.head.counter(name)
	if p == nil {
		return nextSeq(o.tx, name)
	}
	if *p == 0 {
		// A ledger written before the head kept the counter keeps it as a meta record: move it.
		b, ok, err := o.tx.Get(bMeta, "seq/"+name)
		if err != nil {
			return 0, err
		}
		if ok {
			n, okN := parseN16(string(b))
			if !okN {
				return 0, wrapf(ErrCorrupt, "counter %s", name)
			}
			*p = n
			o.legacy = append(o.legacy, name)
		}
	}
	*p++
	return *p, nil
}

// view runs fn as a read-only operation with the actor resolved.
func (l *Ledger) view(ctx context.Context, a Actor, name string, fn func(o *op) error) error {
	j := l.joined(ctx)
	run := func(tx Tx) error {
		o, err := l.begin(ctx, tx, a, name, j != nil)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if j != nil {
		if j.err != nil {
			return j.err
		}
		return run(j.tx) // a refused read wrote nothing: the joined transaction stays usable
	}
	return l.store.View(ctx, run)
}

// need refuses unless the effective user holds the role.
func (o *op) need(r Role, what string) error {
	if !o.user.Roles.Has(r) {
		return notAllowed("%s may not %s (role missing)", o.actor, what)
	}
	return nil
}

// lmsUser refuses unless the effective user is an LMS user (or administrator).
func (o *op) lmsUser(what string) error {
	if o.user.Roles.Has(RoleLMSUser) || o.admin() {
		return nil
	}
	return notAllowed("%s may not %s (no LMS user role)", o.actor, what)
}

// visible reports whether a partner-owned object is the actor's: its partner's, or any partner's
// for an administrator. To everyone else another partner's object does not exist: the callers
// answer exactly the not-found error of an unknown one, so neither its existence nor its ids leak.
func (o *op) visible(partner string) bool { return partner == o.partner.ID || o.admin() }

// partnerOnly refuses an administrator acting on another partner's location where the operation
// spends or returns that partner's licenses (detach, activate, demo): those are the partner's
// own decisions (activation needs the partner's acceptance of the license agreement). Partners'
// users never reach it with another partner's object (they get not-found first).
func (o *op) partnerOnly(loc Location, what string) error {
	if loc.Partner == o.partner.ID {
		return nil
	}
	return notAllowed("%s may not %s location %s of partner %s: only the partner's own users do", o.actor, what, loc.ID, loc.Partner)
}

// ref adds a reference to the audit record; invalid UTF-8 is replaced, so that no reference can
// make the record undecodable.
func (o *op) ref(kind, id string) {
	o.rec.Refs = append(o.rec.Refs, strings.ToValidUTF8(kind+":"+id, "\uFFFD"))
}

// note adds a line of detail to the audit record, invalid UTF-8 replaced.
func (o *op) note(s string) { o.rec.Notes = append(o.rec.Notes, strings.ToValidUTF8(s, "\uFFFD")) }

// Bootstrap creates the vendor partner and its first administrator on an empty ledger. It is
// refused once any user exists.
func (l *Ledger) Bootstrap(ctx context.Context, vendor Partner, admin User) error {
	return l.store.Update(ctx, func(tx Tx) error {
		vendor, admin := vendor, admin // the store may run this more than once: change copies
		any := false
		if err := tx.Scan(bUsers, "", func(string, []byte) (bool, error) { any = true; return false, nil }); err != nil {
			return err
		}
		if any {
			return wrapf(ErrExists, "bootstrap: the ledger has users already")
		}
		vendor.Kind = KindVendor
		admin.Partner = vendor.ID
		admin.Roles |= RoleAdmin | RoleLMSUser
		if err := checkPartner(vendor); err != nil {
			return err
		}
		if err := checkUser(admin); err != nil {
			return err
		}
		if err := putRec(tx, bPartners, vendor.ID, vendor); err != nil {
			return err
		}
		if err := putUser(tx, admin); err != nil {
			return err
		}
		rec := AuditRecord{Time: l.now(), User: admin.ID, Partner: vendor.ID, Op: "bootstrap",
			Refs: []string{"partner:" + vendor.ID, "user:" + admin.ID}}
		var head auditHead
		if _, err := getRec(tx, bMeta, keyAuditHead, &head); err != nil {
			return err
		}
		head.Actors = head.Seq + 1 // this record adds the first partner and user
		return l.appendAudit(tx, &head, &rec)
	})
}

func checkPartner(p Partner) error {
	if err := checkID("partner id", p.ID); err != nil {
		return err
	}
	if err := checkText("partner name", p.Name, true); err != nil {
		return err
	}
	if p.Kind < KindVendor || p.Kind > KindDealer {
		return wrapf(ErrInvalid, "partner %q: kind %d", p.ID, p.Kind)
	}
	return nil
}

func checkUser(u User) error {
	if err := checkID("user login", u.ID); err != nil {
		return err
	}
	if err := checkText("user name", u.Name, true); err != nil {
		return err
	}
	if u.Roles&^roleAll != 0 {
		return wrapf(ErrInvalid, "user %q: unknown role bits %#x", u.ID, u.Roles&^roleAll)
	}
	return nil
}

// AddPartner creates a partner (administrator only).
func (l *Ledger) AddPartner(ctx context.Context, a Actor, p Partner) error {
	return l.update(ctx, a, "add partner", func(o *op) error {
		if err := o.need(RoleAdmin, "add partners"); err != nil {
			return err
		}
		if err := checkPartner(p); err != nil {
			return err
		}
		if _, ok, err := o.tx.Get(bPartners, p.ID); err != nil {
			return err
		} else if ok {
			return wrapf(ErrExists, "partner %q", p.ID)
		}
		o.ref("partner", p.ID)
		return o.putRec(bPartners, p.ID, p)
	})
}

// AddUser creates a user of a partner with roles (administrator only). The administrator role is
// only for users of the vendor; SWA Distributor Admin only for distributors' users.
func (l *Ledger) AddUser(ctx context.Context, a Actor, u User) error {
	return l.update(ctx, a, "add user", func(o *op) error {
		if err := o.need(RoleAdmin, "add users"); err != nil {
			return err
		}
		if err := checkUser(u); err != nil {
			return err
		}
		var p Partner
		if ok, err := getRec(o.tx, bPartners, u.Partner, &p); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrNotFound, "partner %q of user %q", u.Partner, u.ID)
		}
		if err := checkRoles(u, p); err != nil {
			return err
		}
		if _, ok, err := o.tx.Get(bUsers, u.ID); err != nil {
			return err
		} else if ok {
			return wrapf(ErrExists, "user %q", u.ID)
		}
		o.ref("user", u.ID)
		return putUser(o.tx, u)
	})
}

// checkRoles checks a user's roles against its partner's kind (AddUser and SetRoles): the
// administrator role is for vendor users only, SWA Distributor Admin for distributors' users only.
func checkRoles(u User, p Partner) error {
	if u.Roles&^roleAll != 0 {
		return wrapf(ErrInvalid, "user %q: unknown role bits %#x", u.ID, u.Roles&^roleAll)
	}
	if u.Roles.Has(RoleAdmin) && p.Kind != KindVendor {
		return wrapf(ErrInvalid, "user %q: the administrator role is for vendor users only", u.ID)
	}
	if u.Roles.Has(RoleSWADistributor) && p.Kind != KindDistributor {
		return wrapf(ErrInvalid, "user %q: SWA Distributor Admin is for distributor users only", u.ID)
	}
	return nil
}

// SetRoles replaces a user's roles (administrator only) under the same checks as [Ledger.AddUser].
// Taking the administrator role from the last administrator is refused with ErrState: the ledger
// would have nobody left to manage it. (That check reads the users, an administrator's operation
// proportional to the number of accounts, never to the books.)
func (l *Ledger) SetRoles(ctx context.Context, a Actor, user string, roles Role) error {
	return l.update(ctx, a, "set roles", func(o *op) error {
		if err := o.need(RoleAdmin, "set roles"); err != nil {
			return err
		}
		var u User
		if ok, err := getRec(o.tx, bUsers, user, &u); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrNotFound, "user %q", user)
		}
		var p Partner
		if ok, err := getRec(o.tx, bPartners, u.Partner, &p); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrCorrupt, "user %q: partner %q missing", u.ID, u.Partner)
		}
		wasAdmin := u.Roles.Has(RoleAdmin)
		u.Roles = roles
		if err := checkUser(u); err != nil {
			return err
		}
		if err := checkRoles(u, p); err != nil {
			return err
		}
		if wasAdmin && !roles.Has(RoleAdmin) {
			others := false
			err := o.tx.Scan(bUsers, "", func(id string, v []byte) (bool, error) {
				if id == u.ID {
					return true, nil
				}
				var x User
				if err := dec(v, &x); err != nil {
					return false, err
				}
				others = x.Roles.Has(RoleAdmin)
				return !others, nil
			})
			if err != nil {
				return err
			}
			if !others {
				return wrapf(ErrState, "user %q is the last administrator: add another before taking the role away", u.ID)
			}
		}
		o.ref("user", u.ID)
		return putUser(o.tx, u)
	})
}

// SetAllowance grants (allow true) or revokes the shipping allowance distributor→dealer
// (administrator only). The allowance lets the distributor reship to the dealer and impersonate
// its users.
func (l *Ledger) SetAllowance(ctx context.Context, a Actor, distributor, dealer string, allow bool) error {
	return l.update(ctx, a, "set allowance", func(o *op) error {
		if err := o.need(RoleAdmin, "set shipping allowances"); err != nil {
			return err
		}
		var d, r Partner
		if ok, err := getRec(o.tx, bPartners, distributor, &d); err != nil {
			return err
		} else if !ok || d.Kind != KindDistributor {
			return wrapf(ErrInvalid, "allowance: %q is not a distributor", distributor)
		}
		if ok, err := getRec(o.tx, bPartners, dealer, &r); err != nil {
			return err
		} else if !ok || r.Kind != KindDealer {
			return wrapf(ErrInvalid, "allowance: %q is not a dealer/reseller", dealer)
		}
		o.ref("allowance", distributor+"→"+dealer)
		if allow {
			return o.tx.Put(bAllow, k(distributor, dealer), nil)
		}
		return o.tx.Delete(bAllow, k(distributor, dealer))
	})
}

// Impersonate returns the actor a distributor user uses to act as a dealer user: allowed only where
// the shipping allowance distributor→dealer exists. The check is repeated on every operation.
func (l *Ledger) Impersonate(ctx context.Context, distributorUser, dealerUser string) (Actor, error) {
	a := Actor{User: distributorUser, As: dealerUser}
	err := l.store.View(ctx, func(tx Tx) error {
		_, _, _, err := l.resolve(tx, a)
		return err
	})
	if err != nil {
		return Actor{}, fmt.Errorf("impersonate: %w", err)
	}
	return a, nil
}

// Whoami returns the effective user and partner of an actor (after the impersonation check).
func (l *Ledger) Whoami(ctx context.Context, a Actor) (User, Partner, error) {
	var u User
	var p Partner
	err := l.view(ctx, a, "whoami", func(o *op) error {
		u, p = o.user, o.partner
		return nil
	})
	return u, p, err
}
