package swa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Config configures a [Book]. The zero value of every field has a safe meaning.
type Config struct {
	// Clock tells the time of SWA decisions (grace, cooling-off, expiry); nil means the ledger's
	// clock (the time of the operation's audit record).
	Clock entitlement.Clock
	// Terms is the product terms table; nil means [DefaultTerms].
	Terms *Terms
	// CoolingOff is how long an assignment stays pending before it settles by itself; 0 means
	// the guide's 24 hours.
	CoolingOff time.Duration
	// RenewalWindow is how long before its expiry an agreement shows as renewable and raises
	// [EventExpiring]; 0 means 90 days.
	RenewalWindow time.Duration
}

// Book is the Software Assurance book of a ledger: SWA unit bins, grace, quotes, assignments with
// their cooling-off, agreements, renewals and free-of-charge upgrades. Every operation is one
// transaction of the ledger's store with one audit record in the ledger's chain, through the
// ledger's extension point ([entitlement.Ledger.Update]). Its methods are safe for concurrent
// use; the Book keeps nothing in memory between operations.
type Book struct {
	l     *entitlement.Ledger
	cfg   Config
	terms *Terms
}

// New returns the Software Assurance book of l and installs it as the handler of the SWA unit
// lines of shipped orders ([entitlement.Ledger.HandleUnits]), so shipped units reach the partner's
// units bin. Call it once per ledger, before the ledger is used concurrently. It refuses a terms
// table that names a system or part the ledger's catalog does not know ([ErrTerms]).
func New(l *entitlement.Ledger, cfg Config) (*Book, error) {
	if l == nil {
		return nil, errors.New("swa: nil ledger")
	}
	if cfg.Terms == nil {
		cfg.Terms = DefaultTerms()
	}
	if err := cfg.Terms.check(l.Catalog()); err != nil {
		return nil, err
	}
	if cfg.CoolingOff < 0 || cfg.RenewalWindow < 0 {
		return nil, errors.New("swa: negative cooling-off or renewal window")
	}
	if cfg.CoolingOff == 0 {
		cfg.CoolingOff = 24 * time.Hour
	}
	if cfg.RenewalWindow == 0 {
		cfg.RenewalWindow = 90 * 24 * time.Hour
	}
	b := &Book{l: l, cfg: cfg, terms: cfg.Terms}
	l.HandleUnits(b.shipUnits)
	return b, nil
}

// Ledger returns the book's ledger.
func (b *Book) Ledger() *entitlement.Ledger { return b.l }

// Terms returns the book's product terms table.
func (b *Book) Terms() *Terms { return b.terms }

// Buckets of the book's records in the ledger (see entitlement.Op.Put), and their keys. Key parts
// are joined with \x01, which ids never contain.
const (
	bShip   = "swa.ship"   // hex(id) → Shipment
	bBin    = "swa.bin"    // partner ⁝ hex(expires) ⁝ hex(id): shipments with available units
	bBinExp = "swa.binexp" // hex(expires) ⁝ hex(id): the same, by expiry across partners
	bLoc    = "swa.loc"    // location id → locRec
	bAsg    = "swa.asg"    // hex(id) → Assignment
	bDue    = "swa.due"    // partner ⁝ hex(due) ⁝ hex(id): pending assignments
	bNum    = "swa.num"    // agreement number base → numRec
	bOrder  = "swa.order"  // partner ⁝ PO ⁝ SO: unit orders received (vendor shipments, reshipments)
	bResold = "swa.resold" // distributor ⁝ hex(newest first): Reshipment
	bExp    = "swa.exp"    // hex(when) ⁝ location ⁝ product: expEntry
	bOrdNum = "swa.ordnum" // partner ⁝ PO or SO number ⁝ hex(id): every shipment, by its order numbers
	ksep    = "\x01"
)

func key(parts ...string) string {
	s := parts[0]
	for _, p := range parts[1:] {
		s += ksep + p
	}
	return s
}

func hexID(n uint64) string { return fmt.Sprintf("%016x", n) }

// hexTime is a key part that sorts like the instant it encodes.
func hexTime(t time.Time) string { return fmt.Sprintf("%016x", uint64(t.Unix())^(1<<63)) }

// errNeedWrite makes a read run again as an audited update: something is due (a cooling-off that
// ended, a location whose grace agreement the book has not recorded yet).
var errNeedWrite = errors.New("swa: settle first")

// run is one run of a book operation inside the ledger's transaction.
type run struct {
	b     *Book
	x     *entitlement.Op
	now   time.Time // whole seconds, UTC
	today time.Time // the day of now
	write bool
}

func (b *Book) newRun(x *entitlement.Op, write bool) *run {
	now := x.Now()
	if b.cfg.Clock != nil {
		now = b.cfg.Clock.Now().UTC().Truncate(time.Second)
	}
	return &run{b: b, x: x, now: now, today: day(now), write: write}
}

// update runs fn as one audited operation of the ledger.
func (b *Book) update(ctx context.Context, a entitlement.Actor, name string, fn func(r *run) error) error {
	return b.l.Update(ctx, a, name, func(x *entitlement.Op) error { return fn(b.newRun(x, true)) })
}

// read runs fn read-only; when fn finds something due that must be recorded first (see
// errNeedWrite), it runs fn again as an audited update of the same name, which records it. So
// reads always answer as of now, with no background goroutine.
func (b *Book) read(ctx context.Context, a entitlement.Actor, name string, fn func(r *run) error) error {
	err := b.l.View(ctx, a, name, func(x *entitlement.Op) error { return fn(b.newRun(x, false)) })
	if errors.Is(err, errNeedWrite) {
		return b.update(ctx, a, name, fn)
	}
	return err
}

// mustWrite reports errNeedWrite in a read.
func (r *run) mustWrite() error {
	if !r.write {
		return errNeedWrite
	}
	return nil
}

// needSWA refuses an actor without an SWA role.
func (r *run) needSWA(what string) error {
	return r.x.NeedAny(entitlement.RoleSWADistributor|entitlement.RoleSWADealer, what)
}

// ownLocRec checks the actor's SWA role and loads a location of its own partner with the book's
// record of it, for an operation that spends or claims for the location (what says which).
func (r *run) ownLocRec(id, what string) (entitlement.Location, locRec, error) {
	if err := r.needSWA(what); err != nil {
		return entitlement.Location{}, locRec{}, err
	}
	loc, err := r.ownLocation(id, what)
	if err != nil {
		return loc, locRec{}, err
	}
	lr, err := r.loadLoc(loc)
	return loc, lr, err
}

// ownLocation loads a location of the actor's own partner: another partner's is not found (an
// administrator sees it but may not spend a partner's units on it).
func (r *run) ownLocation(id string, what string) (entitlement.Location, error) {
	loc, err := r.x.Location(id)
	if err != nil {
		return loc, err
	}
	if loc.Partner != r.x.Partner().ID {
		return loc, fmt.Errorf("%w: %s may not %s for location %s of partner %s: only the partner's own users do",
			entitlement.ErrNotAllowed, r.x.Actor(), what, loc.ID, loc.Partner)
	}
	return loc, nil
}

// shipment loads a shipment.
func (r *run) shipment(id uint64) (Shipment, error) {
	var s Shipment
	if ok, err := r.x.Get(bShip, hexID(id), &s); err != nil {
		return s, err
	} else if !ok {
		return s, wrapf(entitlement.ErrNotFound, "SWA units shipment %d", id)
	}
	return s, nil
}

// putShipment stores a shipment, keeping the bin indexes; it refuses one whose quantities do not
// add up (a broken invariant is never written).
func (r *run) putShipment(s Shipment) error {
	if s.Shipped <= 0 || s.Available < 0 || s.Pending < 0 || s.Consumed < 0 || s.ReshippedOut < 0 || s.Expired < 0 ||
		s.Shipped != s.Available+s.Pending+s.Consumed+s.ReshippedOut+s.Expired {
		return wrapf(entitlement.ErrCorrupt, "SWA units shipment %d would break conservation: %+v", s.ID, s)
	}
	bk, ek := key(s.Partner, hexTime(s.Expires), hexID(s.ID)), key(hexTime(s.Expires), hexID(s.ID))
	if s.Available > 0 {
		if err := r.x.Put(bBin, bk, empty{}); err != nil {
			return err
		}
		if err := r.x.Put(bBinExp, ek, empty{}); err != nil {
			return err
		}
	} else {
		if err := r.x.Delete(bBin, bk); err != nil {
			return err
		}
		if err := r.x.Delete(bBinExp, ek); err != nil {
			return err
		}
	}
	return r.x.Put(bShip, hexID(s.ID), s)
}

// expired reports whether a shipment's units have expired.
func (r *run) expired(s Shipment) bool { return !r.now.Before(s.Expires) }

// expire moves an expired shipment's available units to Expired.
func (r *run) expire(s *Shipment) error {
	if !r.expired(*s) || s.Available == 0 {
		return nil
	}
	if err := r.mustWrite(); err != nil {
		return err
	}
	r.x.Note("shipment %d (SO %s, PO %s): %d units expired on %s", s.ID, s.SO, s.PO, s.Available, s.Expires.Format(time.RFC3339))
	s.Expired += s.Available
	s.Available = 0
	return r.putShipment(*s)
}

// binShipments returns the partner's shipments with available units, expiring first first, up to
// the first n whose available units reach need (need < 0: all). In an update expired shipments met
// on the way are moved to Expired; in a read they are skipped.
func (r *run) binShipments(partner string, need int64) ([]Shipment, int64, error) {
	var ids []uint64
	err := r.x.Scan(bBin, partner+ksep, func(k string, _ func(any) error) (bool, error) {
		var id uint64
		if _, err := fmt.Sscanf(k[len(k)-16:], "%016x", &id); err != nil {
			return false, wrapf(entitlement.ErrCorrupt, "SWA bin index key")
		}
		ids = append(ids, id)
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	var out []Shipment
	var avail int64
	for _, id := range ids {
		s, err := r.shipment(id)
		if err != nil {
			return nil, 0, err
		}
		if r.expired(s) {
			if r.write {
				if err := r.expire(&s); err != nil {
					return nil, 0, err
				}
			}
			continue
		}
		out = append(out, s)
		avail += s.Available
		if need >= 0 && avail >= need {
			break
		}
	}
	return out, avail, nil
}

// available is the partner's units that can be drawn now.
func (r *run) available(partner string) (int64, error) {
	_, n, err := r.binShipments(partner, -1)
	return n, err
}

// draw takes units from the partner's shipments that expire first into Pending (pending true) or
// Consumed, and returns what it took from each. Too few units is entitlement.ErrQuantity.
func (r *run) draw(partner string, units int64, pending bool) ([]Draw, error) {
	if units <= 0 {
		return nil, wrapf(entitlement.ErrInvalid, "no units to draw")
	}
	ships, avail, err := r.binShipments(partner, units)
	if err != nil {
		return nil, err
	}
	if avail < units {
		return nil, wrapf(entitlement.ErrQuantity, "%d SWA units required, %d available", units, avail)
	}
	var out []Draw
	left := units
	for _, s := range ships {
		q := min(left, s.Available)
		s.Available -= q
		if pending {
			s.Pending += q
		} else {
			s.Consumed += q
		}
		if err := r.putShipment(s); err != nil {
			return nil, err
		}
		out = append(out, Draw{Shipment: s.ID, Qty: q})
		r.x.Note("drew %d units from shipment %d (SO %s, PO %s, expires %s)", q, s.ID, s.SO, s.PO, s.Expires.Format("2006-01-02"))
		if left -= q; left == 0 {
			break
		}
	}
	return out, nil
}

// loadLoc returns the book's record of a location (a fresh one when it has none).
func (r *run) loadLoc(loc entitlement.Location) (locRec, error) {
	var lr locRec
	ok, err := r.x.Get(bLoc, loc.ID, &lr)
	if err != nil {
		return lr, err
	}
	if !ok {
		lr = locRec{Location: loc.ID}
	}
	lr.Partner, lr.Customer = loc.Partner, loc.Customer
	return lr, nil
}

func (r *run) saveLoc(lr locRec) error { return r.x.Put(bLoc, lr.Location, lr) }

// assignment loads an assignment.
func (r *run) assignment(id uint64) (Assignment, error) {
	var a Assignment
	if ok, err := r.x.Get(bAsg, hexID(id), &a); err != nil {
		return a, err
	} else if !ok {
		return a, wrapf(entitlement.ErrCorrupt, "SWA assignment %d missing", id)
	}
	return a, nil
}

// putAssignment stores an assignment and keeps the pending index.
func (r *run) putAssignment(a Assignment) error {
	dk := key(a.Partner, hexTime(a.Due), hexID(a.ID))
	if a.State == AssignmentPending {
		if err := r.x.Put(bDue, dk, empty{}); err != nil {
			return err
		}
	} else if !a.Due.IsZero() {
		if err := r.x.Delete(bDue, dk); err != nil {
			return err
		}
	}
	return r.x.Put(bAsg, hexID(a.ID), a)
}

// pendingOf lists the pending assignments of partner ("" for every partner), oldest due first
// within a partner; dueOnly keeps those whose cooling-off ended.
func (r *run) pendingOf(partner string, dueOnly bool) ([]Assignment, error) {
	prefix := ""
	if partner != "" {
		prefix = partner + ksep
	}
	var ids []uint64
	now := hexTime(r.now)
	err := r.x.Scan(bDue, prefix, func(k string, _ func(any) error) (bool, error) {
		parts := strings.Split(k, ksep)
		if len(parts) != 3 {
			return false, wrapf(entitlement.ErrCorrupt, "SWA pending index key")
		}
		if dueOnly && parts[1] > now {
			return partner == "", nil // one partner's keys are in due order: stop at the first not due
		}
		var id uint64
		if _, err := fmt.Sscanf(parts[2], "%016x", &id); err != nil {
			return false, wrapf(entitlement.ErrCorrupt, "SWA pending index key")
		}
		ids = append(ids, id)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Assignment, 0, len(ids))
	for _, id := range ids {
		a, err := r.assignment(id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// randomIndex returns a uniform random number below n from the ledger's randomness.
func randomIndex(rd io.Reader, n byte) (byte, error) {
	limit := 256 - 256%int(n)
	var b [1]byte
	for range 64 {
		if _, err := io.ReadFull(rd, b[:]); err != nil {
			return 0, err
		}
		if int(b[0]) < limit {
			return b[0] % n, nil
		}
	}
	return 0, errors.New("swa: randomness keeps failing")
}
