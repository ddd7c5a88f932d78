package entitlement

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// The lists a service needs beside the books: partners, users, allowances, single customers and
// partners by id, and the integrity check for the license desk. Pages are in id order; a page
// starts after the id given and holds at most the limit (0 means 100, at most 1000).

// Allowance is a shipping allowance distributor→dealer ([Ledger.SetAllowance]).
type Allowance struct {
	Distributor string
	Dealer      string
}

// PageQuery selects one page of a list in id order.
type PageQuery struct {
	After string // the page starts after this id ("" from the start)
	Limit int    // at most this many; 0 means 100, at most 1000
}

// knownPartners reports the partners the actor may see besides its own: every partner for an
// administrator (nil, all true); for a distributor, the dealers it holds an allowance for.
func (o *op) knownPartners() (all bool, ids []string, err error) {
	if o.admin() {
		return true, nil, nil
	}
	ids = []string{o.partner.ID}
	if o.partner.Kind == KindDistributor {
		p := o.partner.ID + sep
		err = o.tx.Scan(bAllow, p, func(kk string, _ []byte) (bool, error) {
			ids = append(ids, kk[len(p):])
			return true, nil
		})
	}
	slices.Sort(ids)
	return false, slices.Compact(ids), err
}

// Partners lists the partners the actor may see: every partner for an administrator; for anyone
// else its own partner and, for a distributor's user, the dealers it holds a shipping allowance
// for (those it may reship to and impersonate).
func (l *Ledger) Partners(ctx context.Context, a Actor, q PageQuery) ([]Partner, error) {
	limit := pageLimit(q.Limit)
	var out []Partner
	err := l.view(ctx, a, "partners", func(o *op) error {
		out = nil
		all, ids, err := o.knownPartners()
		if err != nil {
			return err
		}
		if all {
			return o.tx.ScanFrom(bPartners, "", after(q.After), func(_ string, v []byte) (bool, error) {
				var p Partner
				if err := dec(v, &p); err != nil {
					return false, err
				}
				out = append(out, p)
				return len(out) < limit, nil
			})
		}
		for _, id := range ids {
			if id <= q.After && q.After != "" {
				continue
			}
			var p Partner
			if ok, err := getRec(o.tx, bPartners, id, &p); err != nil {
				return err
			} else if ok {
				out = append(out, p)
			}
			if len(out) == limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// Partner returns a partner the actor may see (as [Ledger.Partners]); any other is ErrNotFound.
func (l *Ledger) Partner(ctx context.Context, a Actor, id string) (Partner, error) {
	var p Partner
	err := l.view(ctx, a, "partner", func(o *op) error {
		all, ids, err := o.knownPartners()
		if err != nil {
			return err
		}
		if !all && !slices.Contains(ids, id) || checkID("partner", id) != nil {
			return wrapf(ErrNotFound, "partner %q", id)
		}
		if ok, err := getRec(o.tx, bPartners, id, &p); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrNotFound, "partner %q", id)
		}
		return nil
	})
	return p, err
}

// UserQuery selects a page of users.
type UserQuery struct {
	Partner string // only this partner's users; "" means every user the actor may see
	After   string // the page starts after this login
	Limit   int    // at most this many; 0 means 100, at most 1000
}

// Users lists users in login order: every user for an administrator; for anyone else the users
// of the partners [Ledger.Partners] shows it (a distributor's user sees the dealer users it may
// reship to and impersonate). A page costs its users times the partners it draws from: the
// users are indexed by partner. (A ledger written before that index lists by reading every user
// account up to the page's end, until its first user is added or given roles, which completes
// the index.)
func (l *Ledger) Users(ctx context.Context, a Actor, q UserQuery) ([]User, error) {
	limit := pageLimit(q.Limit)
	var out []User
	err := l.view(ctx, a, "users", func(o *op) error {
		out = nil
		all, ids, err := o.knownPartners()
		if err != nil {
			return err
		}
		if q.Partner != "" {
			if !all && !slices.Contains(ids, q.Partner) || checkID("partner", q.Partner) != nil {
				return nil
			}
			all, ids = false, []string{q.Partner}
		}
		_, indexed, err := o.tx.Get(bUsersByP, usersIndexed)
		if err != nil {
			return err
		}
		if all || !indexed {
			return o.tx.ScanFrom(bUsers, "", after(q.After), func(_ string, v []byte) (bool, error) {
				var u User
				if err := dec(v, &u); err != nil {
					return false, err
				}
				if all || slices.Contains(ids, u.Partner) {
					out = append(out, u)
				}
				return len(out) < limit, nil
			})
		}
		// The first limit logins after the cursor of each partner, merged.
		var logins []string
		for _, id := range ids {
			p, n := id+sep, 0
			err := o.tx.ScanFrom(bUsersByP, p, p+after(q.After), func(kk string, _ []byte) (bool, error) {
				logins = append(logins, kk[len(p):])
				n++
				return n < limit, nil
			})
			if err != nil {
				return err
			}
		}
		slices.Sort(logins)
		for _, login := range logins[:min(limit, len(logins))] {
			var u User
			if ok, err := getRec(o.tx, bUsers, login, &u); err != nil {
				return err
			} else if !ok {
				return wrapf(ErrCorrupt, "user index names missing user %q", login)
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}

// bUsersByP indexes the users by partner, k(partner, login) → nil; its key usersIndexed says that
// every user is in it (partner ids never start with a control character, so no partner's key
// meets it).
const (
	bUsersByP    = "userp"
	usersIndexed = "\x01all"
)

func init() { allBuckets = append(allBuckets, bUsersByP) }

// putUser writes a user and its entry in the partner index (Bootstrap, AddUser, SetRoles). On a
// ledger written before the index, the first such write indexes every user and marks the index
// complete.
func putUser(tx Tx, u User) error {
	if err := putRec(tx, bUsers, u.ID, u); err != nil {
		return err
	}
	if err := tx.Put(bUsersByP, k(u.Partner, u.ID), nil); err != nil {
		return err
	}
	if _, ok, err := tx.Get(bUsersByP, usersIndexed); err != nil || ok {
		return err
	}
	var keys []string
	err := tx.Scan(bUsers, "", func(_ string, v []byte) (bool, error) {
		var x User
		if err := dec(v, &x); err != nil {
			return false, err
		}
		keys = append(keys, k(x.Partner, x.ID))
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, kk := range append(keys, usersIndexed) {
		if err := tx.Put(bUsersByP, kk, nil); err != nil {
			return err
		}
	}
	return nil
}

// User returns a user the actor may see (as [Ledger.Users]); any other is ErrNotFound.
func (l *Ledger) User(ctx context.Context, a Actor, login string) (User, error) {
	var u User
	err := l.view(ctx, a, "user", func(o *op) error {
		if checkID("user", login) != nil {
			return wrapf(ErrNotFound, "user %q", login)
		}
		ok, err := getRec(o.tx, bUsers, login, &u)
		if err != nil {
			return err
		}
		all, ids, err := o.knownPartners()
		if err != nil {
			return err
		}
		if !ok || !all && !slices.Contains(ids, u.Partner) {
			return wrapf(ErrNotFound, "user %q", login)
		}
		return nil
	})
	return u, err
}

// Allowances lists shipping allowances in distributor, dealer order: every allowance for an
// administrator, a distributor's own for its users, none for anyone else. The page starts after
// the allowance named by q.After, "<distributor>/<dealer>".
func (l *Ledger) Allowances(ctx context.Context, a Actor, q PageQuery) ([]Allowance, error) {
	limit := pageLimit(q.Limit)
	var out []Allowance
	err := l.view(ctx, a, "allowances", func(o *op) error {
		out = nil
		prefix := ""
		if !o.admin() {
			if o.partner.Kind != KindDistributor {
				return nil
			}
			prefix = o.partner.ID + sep
		}
		start := ""
		if d, r, ok := strings.Cut(q.After, "/"); ok {
			start = k(d, r) + sep
		}
		if start < prefix {
			start = prefix
		}
		return o.tx.ScanFrom(bAllow, prefix, start, func(kk string, _ []byte) (bool, error) {
			d, r, _ := strings.Cut(kk, sep)
			out = append(out, Allowance{Distributor: d, Dealer: r})
			return len(out) < limit, nil
		})
	})
	return out, err
}

// Customer returns a customer the actor may see; another partner's is ErrNotFound, exactly as
// an unknown one.
func (l *Ledger) Customer(ctx context.Context, a Actor, id string) (Customer, error) {
	var c Customer
	err := l.view(ctx, a, "customer", func(o *op) error {
		if err := o.lmsUser("see customers"); err != nil {
			return err
		}
		var err error
		c, err = o.customer(id)
		return err
	})
	return c, err
}

// IntegrityReport is what [Ledger.CheckIntegrity] found.
type IntegrityReport struct {
	AuditRecords int    // records in the verified audit chain
	AuditHead    uint64 // the newest record's sequence number
	HeadHash     []byte // and its hash, for anchoring outside the ledger
}

// CheckIntegrity verifies the audit chain ([Ledger.VerifyAudit]) and the conservation of every
// shipped line ([CheckConservation]) for an administrator (the license desk's audit check). It
// reads the whole ledger: an audit tool, not an operation for every request.
func (l *Ledger) CheckIntegrity(ctx context.Context, a Actor) (IntegrityReport, error) {
	var r IntegrityReport
	if err := l.view(ctx, a, "check integrity", func(o *op) error { return o.need(RoleAdmin, "check the ledger's integrity") }); err != nil {
		return r, err
	}
	n, err := l.VerifyAudit(ctx)
	if err != nil {
		return r, err
	}
	if err := CheckConservation(ctx, l.store); err != nil {
		return r, err
	}
	seq, h, err := l.AuditHead(ctx)
	r = IntegrityReport{AuditRecords: n, AuditHead: seq, HeadHash: h}
	return r, err
}

// Paged forms of the partner's lists. Each seeks on the index the list is kept in, so a page
// costs its own items (plus, for a filtered list, the entries the filter passes over), never the
// partner's whole list. q.After names the previous page's last item as the list gives it: an id
// (decimal for numbered records), and for the recent lines the line's position ([Line].Recent).
// A cursor that names no item of the list is ErrInvalid.

// limitOr is a list's limit: n, or def for 0 or less (the unpaged lists have no cap).
func limitOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// cursorNum reads a numbered cursor.
func cursorNum(after string) (uint64, error) {
	n, err := strconv.ParseUint(after, 10, 64)
	if err != nil || n == 0 {
		return 0, wrapf(ErrInvalid, "page cursor %q is not an item of this list", after)
	}
	return n, nil
}

// seekRecs decodes the records an index under prefix names (its values are their keys in bucket),
// starting at start, at most limit.
func seekRecs[T any](tx Tx, index, bucket, prefix, start string, limit int) ([]T, error) {
	var out []T
	err := tx.ScanFrom(index, prefix, start, func(_ string, id []byte) (bool, error) {
		var r T
		if ok, err := getRec(tx, bucket, string(id), &r); err != nil {
			return false, err
		} else if !ok {
			return false, wrapf(ErrCorrupt, "%s index names a missing record", index)
		}
		out = append(out, r)
		return len(out) < limit, nil
	})
	return out, err
}

// newestIndex is a newest-first list of a partner's records: an index owner\x00newestFirst(id) →
// id over bucket (the resold orders, the returns sent and received).
type newestIndex struct {
	name, what    string // the operation's name, and what its users may not do without the role
	index, bucket string
	received      bool // owned by the receiver: the vendor's under "\x01vendor"
}

var (
	resoldList          = newestIndex{"resold orders", "see resold orders", bReshipF, bReship, false}
	returnsSentList     = newestIndex{"returns sent", "see returns", bReturnF, bReturn, false}
	returnsReceivedList = newestIndex{"returns received", "see returns", bReturnT, bReturn, true}
)

// newestOf lists the actor's partner's records of ix after the record numbered after ("" from the
// newest), at most limit.
func newestOf[T any](ctx context.Context, l *Ledger, a Actor, ix newestIndex, after string, limit int) ([]T, error) {
	var out []T
	err := l.view(ctx, a, ix.name, func(o *op) error {
		if err := o.lmsUser(ix.what); err != nil {
			return err
		}
		owner := o.partner.ID
		if ix.received && o.partner.Kind == KindVendor {
			owner = "\x01vendor"
		}
		start := owner + sep
		if after != "" {
			id, err := cursorNum(after)
			if err != nil {
				return err
			}
			start = k(owner, newestFirst(id)) + sep
		}
		var err error
		out, err = seekRecs[T](o.tx, ix.index, ix.bucket, owner+sep, start, limit)
		return err
	})
	return out, err
}

// BinPage is [Ledger.Bin] a page at a time, in its order (purchase order, then line); q.After is
// the id of the previous page's last line.
func (l *Ledger) BinPage(ctx context.Context, a Actor, q PageQuery) ([]ShippedLine, error) {
	var out []ShippedLine
	err := l.view(ctx, a, "bin", func(o *op) error {
		out = nil
		if err := o.lmsUser("see the license bin"); err != nil {
			return err
		}
		p := o.partner.ID + sep
		start := p
		if q.After != "" {
			id, err := cursorNum(q.After)
			if err != nil {
				return err
			}
			s, err := o.shipped(id)
			if err != nil || s.Partner != o.partner.ID {
				return wrapf(ErrInvalid, "page cursor %q is not a line of the bin", q.After)
			}
			start = after(binKey(s))
		}
		var err error
		out, err = o.bin(o.partner.ID, start, pageLimit(q.Limit))
		return err
	})
	return out, err
}

// CustomersPage is [Ledger.Customers] a page at a time, in id order; q.After is the previous
// page's last customer id.
func (l *Ledger) CustomersPage(ctx context.Context, a Actor, name string, q PageQuery) ([]Customer, error) {
	var out []Customer
	lq := strings.ToLower(name)
	err := l.view(ctx, a, "customers", func(o *op) error {
		out = nil
		if err := o.lmsUser("list customers"); err != nil {
			return err
		}
		p := o.partner.ID + sep
		limit := pageLimit(q.Limit)
		return o.tx.ScanFrom(bCustByP, p, p+after(q.After), func(kk string, _ []byte) (bool, error) {
			var c Customer
			if ok, err := getRec(o.tx, bCustomers, kk[len(p):], &c); err != nil {
				return false, err
			} else if !ok {
				return false, wrapf(ErrCorrupt, "customer index names missing customer %s", kk[len(p):])
			}
			if strings.Contains(strings.ToLower(c.Name), lq) {
				out = append(out, c)
			}
			return len(out) < limit, nil
		})
	})
	return out, err
}

// LocationsPage is [Ledger.Locations] a page at a time, in id order; q.After is the previous page's
// last location id.
func (l *Ledger) LocationsPage(ctx context.Context, a Actor, customer string, q PageQuery) ([]Location, error) {
	var out []Location
	err := l.view(ctx, a, "locations", func(o *op) error {
		out = nil
		if err := o.lmsUser("list locations"); err != nil {
			return err
		}
		if _, err := o.customer(customer); err != nil {
			return err
		}
		p := customer + sep
		var err error
		out, err = o.locationsFrom(bLocByC, p, p+after(q.After), pageLimit(q.Limit), func(Location) bool { return true })
		return err
	})
	return out, err
}

// locationsFrom lists the locations an index (prefix then location id) names from start, those
// keep accepts, at most limit.
func (o *op) locationsFrom(index, prefix, start string, limit int, keep func(Location) bool) ([]Location, error) {
	var out []Location
	err := o.tx.ScanFrom(index, prefix, start, func(kk string, _ []byte) (bool, error) {
		var loc Location
		if ok, err := getRec(o.tx, bLocs, kk[len(prefix):], &loc); err != nil {
			return false, err
		} else if !ok {
			return false, wrapf(ErrCorrupt, "%s index names missing location %s", index, kk[len(prefix):])
		}
		if keep(loc) {
			out = append(out, loc)
		}
		return len(out) < limit, nil
	})
	return out, err
}

// SearchLocationsPage is [Ledger.SearchLocations] a page at a time; q.After is the previous page's
// last location id. A partner's user pages its locations in id order. An administrator's page
// goes on in the search's order: the locations whose hardware key code (or secondary code) starts
// with the query, by code, then those whose name does, by name; a location found both ways is
// listed once, with the codes. A location edited between two pages (a new name, a replaced code)
// may move in that order.
func (l *Ledger) SearchLocationsPage(ctx context.Context, a Actor, query string, q PageQuery) ([]Location, error) {
	var out []Location
	err := l.view(ctx, a, "search locations", func(o *op) error {
		out = nil
		if err := o.lmsUser("search locations"); err != nil {
			return err
		}
		limit := pageLimit(q.Limit)
		if !o.admin() {
			lq := strings.ToLower(strings.TrimSpace(query))
			p := o.partner.ID + sep
			var err error
			out, err = o.locationsFrom(bLocByP, p, p+after(q.After), limit, func(loc Location) bool { return locationMatches(loc, lq) })
			return err
		}
		tq := strings.TrimSpace(query)
		if tq == "" {
			return wrapf(ErrInvalid, "empty search")
		}
		byCode := func(loc Location) bool {
			return strings.HasPrefix(loc.HWKC, tq) || loc.SecondaryHWKC != "" && strings.HasPrefix(loc.SecondaryHWKC, tq)
		}
		codeStart, nameStart, codesDone := tq, nameKey(tq), false
		if q.After != "" {
			var last Location
			if ok, err := getRec(o.tx, bLocs, q.After, &last); err != nil {
				return err
			} else if !ok {
				return wrapf(ErrInvalid, "page cursor %q is not a location", q.After)
			}
			switch {
			case strings.HasPrefix(last.HWKC, tq):
				codeStart = after(last.HWKC)
			case byCode(last):
				codeStart = after(last.SecondaryHWKC)
			default:
				codesDone = true
				nameStart = after(k(nameKey(last.Name), last.ID))
			}
		}
		add := func(id string, skip func(Location) bool) (bool, error) {
			var loc Location
			if ok, err := getRec(o.tx, bLocs, id, &loc); err != nil {
				return false, err
			} else if !ok {
				return false, wrapf(ErrCorrupt, "search index names missing location %s", id)
			}
			if !skip(loc) {
				out = append(out, loc)
			}
			return len(out) < limit, nil
		}
		if !codesDone {
			err := o.tx.ScanFrom(bHWKC, tq, codeStart, func(code string, id []byte) (bool, error) {
				// A location whose two codes both match is listed at its primary code.
				return add(string(id), func(loc Location) bool { return code != loc.HWKC && strings.HasPrefix(loc.HWKC, tq) })
			})
			if err != nil || len(out) >= limit {
				return err
			}
		}
		return o.tx.ScanFrom(bLocName, nameKey(tq), nameStart, func(kk string, _ []byte) (bool, error) {
			return add(kk[strings.LastIndex(kk, sep)+1:], byCode)
		})
	})
	return out, err
}

// locationMatches is a partner's location search: lq (lower case) anywhere in the name or a code.
func locationMatches(loc Location, lq string) bool {
	return strings.Contains(strings.ToLower(loc.Name), lq) || strings.Contains(strings.ToLower(loc.HWKC), lq) ||
		loc.SecondaryHWKC != "" && strings.Contains(strings.ToLower(loc.SecondaryHWKC), lq)
}

// ResoldPage is [Ledger.Resold] a page at a time, newest first; q.After is the previous page's
// last reshipment id.
func (l *Ledger) ResoldPage(ctx context.Context, a Actor, q PageQuery) ([]Reshipment, error) {
	return newestOf[Reshipment](ctx, l, a, resoldList, q.After, pageLimit(q.Limit))
}

// ReturnsSentPage is [Ledger.ReturnsSent] a page at a time, newest first; q.After is the previous
// page's last return id.
func (l *Ledger) ReturnsSentPage(ctx context.Context, a Actor, q PageQuery) ([]Return, error) {
	return newestOf[Return](ctx, l, a, returnsSentList, q.After, pageLimit(q.Limit))
}

// ReturnsReceivedPage is [Ledger.ReturnsReceived] a page at a time, newest first; q.After is the
// previous page's last return id.
func (l *Ledger) ReturnsReceivedPage(ctx context.Context, a Actor, q PageQuery) ([]Return, error) {
	return newestOf[Return](ctx, l, a, returnsReceivedList, q.After, pageLimit(q.Limit))
}

// RecentlyAttachedPage is [Ledger.RecentlyAttached] a page at a time, newest first; q.After is the
// previous page's last line's Recent position (decimal).
func (l *Ledger) RecentlyAttachedPage(ctx context.Context, a Actor, q PageQuery) ([]Line, error) {
	return l.recent(ctx, a, recentAttached, q.After, pageLimit(q.Limit))
}

// RecentlyActivatedPage is [Ledger.RecentlyActivated] a page at a time, newest first; q.After is
// the previous page's last line's Recent position (decimal).
func (l *Ledger) RecentlyActivatedPage(ctx context.Context, a Actor, q PageQuery) ([]Line, error) {
	return l.recent(ctx, a, recentActivated, q.After, pageLimit(q.Limit))
}

// recent lists the actor's partner's lines of a recent list after the position after ("" from
// the newest), at most limit.
func (l *Ledger) recent(ctx context.Context, a Actor, list, after string, limit int) ([]Line, error) {
	var out []Line
	err := l.view(ctx, a, "recent lines", func(o *op) error {
		out = nil
		if err := o.lmsUser("see recent lines"); err != nil {
			return err
		}
		p := k(o.partner.ID, list) + sep
		start := p
		if after != "" {
			pos, err := cursorNum(after)
			if err != nil {
				return err
			}
			start = recentKey(o.partner.ID, list, pos) + sep
		}
		return o.tx.ScanFrom(bRecent, p, start, func(_ string, v []byte) (bool, error) {
			ln, ok, err := o.recentLine(v)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, wrapf(ErrCorrupt, "recent list names missing line %q", v)
			}
			out = append(out, ln)
			return len(out) < limit, nil
		})
	})
	return out, err
}

// DemoFilesPage is [Ledger.DemoFiles] a page at a time, oldest first; q.After is the previous
// page's last serial (decimal). A page of one after serial-1 is that demo file.
func (l *Ledger) DemoFilesPage(ctx context.Context, a Actor, location string, q PageQuery) ([]Issued, error) {
	var out []Issued
	err := l.view(ctx, a, "demo files", func(o *op) error {
		out = nil
		if err := o.lmsUser("download demo files"); err != nil {
			return err
		}
		if _, err := o.location(location); err != nil {
			return err
		}
		p := location + sep
		start := p
		if q.After != "" {
			n, err := strconv.ParseUint(q.After, 10, 64)
			if err != nil {
				return wrapf(ErrInvalid, "page cursor %q is not a demo file serial", q.After)
			}
			start = after(k(location, n16(n)))
		}
		limit := pageLimit(q.Limit)
		return o.tx.ScanFrom(bDemos, p, start, func(_ string, v []byte) (bool, error) {
			f, err := readFullFile(v)
			if err != nil {
				return false, err
			}
			out = append(out, f)
			return len(out) < limit, nil
		})
	})
	return out, err
}
