package entitlement

import (
	"context"
	"slices"
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
// reship to and impersonate). The cost is proportional to the ledger's user accounts up to the
// page's end (users are few beside the books).
func (l *Ledger) Users(ctx context.Context, a Actor, q UserQuery) ([]User, error) {
	limit := pageLimit(q.Limit)
	var out []User
	err := l.view(ctx, a, "users", func(o *op) error {
		out = nil
		all, ids, err := o.knownPartners()
		if err != nil {
			return err
		}
		return o.tx.ScanFrom(bUsers, "", after(q.After), func(_ string, v []byte) (bool, error) {
			var u User
			if err := dec(v, &u); err != nil {
				return false, err
			}
			if (all || slices.Contains(ids, u.Partner)) && (q.Partner == "" || q.Partner == u.Partner) {
				out = append(out, u)
			}
			return len(out) < limit, nil
		})
	})
	return out, err
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
