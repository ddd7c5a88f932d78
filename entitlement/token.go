package entitlement

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"time"
)

// API tokens are how a service authenticates the users of the ledger: the administrator issues a
// token for a user ([Ledger.IssueToken]), the secret is shown once, and the service passes what a
// request presents to [Ledger.Authenticate], which returns the [Actor] to act as. The ledger keeps
// only a hash of each secret; tokens are listed ([Ledger.Tokens]), revoked ([Ledger.RevokeToken])
// and expire. A distributor's user obtains an impersonation token for a dealer's user
// ([Ledger.IssueImpersonationToken]) through the impersonation rule, which every operation checks
// again.

// Buckets of the tokens.
const (
	bTokens   = "tokens" // token id → Token
	bTokensBy = "tokenu" // k(user, id) → nil
)

func init() { allBuckets = append(allBuckets, bTokens, bTokensBy) }

// Token lifetimes: a zero TTL means the default, a longer one is cut to the maximum.
const (
	DefaultTokenTTL              = 90 * 24 * time.Hour
	MaxTokenTTL                  = 366 * 24 * time.Hour
	DefaultImpersonationTokenTTL = time.Hour
	MaxImpersonationTokenTTL     = 12 * time.Hour
)

// tokenPrefix starts every token secret, so that a secret pasted into the wrong place is easy to
// find and to scan for.
const tokenPrefix = "lmsk_"

// Token is an API token as the ledger keeps it: never the secret, only its hash.
type Token struct {
	ID      string    `cbor:"1,keyasint" json:"id"`                       // public identifier, part of the secret
	User    string    `cbor:"2,keyasint" json:"user"`                     // the user the token authenticates
	As      string    `cbor:"3,keyasint,omitempty" json:"as,omitempty"`   // the impersonated dealer user of an impersonation token
	Name    string    `cbor:"4,keyasint,omitempty" json:"name,omitempty"` // what the token is for
	Created time.Time `cbor:"5,keyasint" json:"created"`
	Expires time.Time `cbor:"6,keyasint" json:"expires"`
	Revoked time.Time `cbor:"7,keyasint,omitempty" json:"revoked,omitzero"` // zero while the token is in force
	By      string    `cbor:"8,keyasint" json:"by"`                         // the identity that issued it
	Hash    []byte    `cbor:"9,keyasint" json:"hash"`                       // SHA-256 of the secret
}

// Actor is the identity the token acts as.
func (t Token) Actor() Actor { return Actor{User: t.User, As: t.As} }

// Active reports whether the token is neither revoked nor expired at now.
func (t Token) Active(now time.Time) bool { return t.Revoked.IsZero() && now.Before(t.Expires) }

// TokenRequest asks for a new API token.
type TokenRequest struct {
	User string        // the user the token authenticates
	Name string        // what it is for (free text, optional)
	TTL  time.Duration // 0 means DefaultTokenTTL; at most MaxTokenTTL
}

func tokenHash(secret string) []byte {
	h := sha256.Sum256([]byte("lmskit api token v1\n" + secret))
	return h[:]
}

// newToken makes a token id and secret: lmsk_<16 hex id>_<43 base64url characters of 32 random
// bytes>.
func newToken(tx Tx, r io.Reader) (id, secret string, err error) {
	for range 8 {
		var b [8 + 32]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", "", wrapf(ErrCorrupt, "token randomness: %v", err)
		}
		id = hex.EncodeToString(b[:8])
		if _, ok, err := tx.Get(bTokens, id); err != nil {
			return "", "", err
		} else if ok {
			continue
		}
		return id, tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[8:]), nil
	}
	return "", "", wrapf(ErrCorrupt, "token id generator keeps repeating ids")
}

// ParseTokenID returns the public id of a token secret; ok is false for anything not shaped like
// a token. It reads no store and says nothing of the token's validity (a rate limiter can key on
// the id before the token is authenticated).
func ParseTokenID(secret string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok || len(rest) != 16+1+43 || rest[16] != '_' {
		return "", false
	}
	id = rest[:16]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest[17:]); err != nil {
		return "", false
	}
	return id, true
}

func clampTTL(ttl, def, max time.Duration) (time.Duration, error) {
	if ttl < 0 {
		return 0, wrapf(ErrInvalid, "token lifetime %v is negative", ttl)
	}
	if ttl == 0 {
		return def, nil
	}
	return min(ttl, max), nil
}

// IssueToken issues an API token for req.User (administrator only) and returns its secret, which
// the ledger does not keep: show it once. The token expires after req.TTL.
func (l *Ledger) IssueToken(ctx context.Context, a Actor, req TokenRequest) (secret string, t Token, err error) {
	ttl, err := clampTTL(req.TTL, DefaultTokenTTL, MaxTokenTTL)
	if err != nil {
		return "", Token{}, err
	}
	err = l.update(ctx, a, "issue token", func(o *op) error {
		if err := o.need(RoleAdmin, "issue API tokens"); err != nil {
			return err
		}
		if err := checkText("token name", req.Name, false); err != nil {
			return err
		}
		var u User
		if checkID("user", req.User) != nil {
			return wrapf(ErrNotFound, "user %q", req.User)
		}
		if ok, err := getRec(o.tx, bUsers, req.User, &u); err != nil {
			return err
		} else if !ok {
			return wrapf(ErrNotFound, "user %q", req.User)
		}
		secret, t, err = o.putToken(u.ID, "", req.Name, ttl)
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// IssueImpersonationToken issues a token with which the acting distributor user acts as a
// dealer's user, under the impersonation rule of [Ledger.Impersonate] (a distributor's LMS user
// and the shipping allowance distributor→dealer); every operation done with it checks the rule
// again, so revoking the allowance ends the token's use at once. It lives for ttl (0 means
// DefaultImpersonationTokenTTL, at most MaxImpersonationTokenTTL) and can be revoked by its
// holder or an administrator. An impersonating actor cannot impersonate further.
func (l *Ledger) IssueImpersonationToken(ctx context.Context, a Actor, dealerUser string, ttl time.Duration) (secret string, t Token, err error) {
	ttl, err = clampTTL(ttl, DefaultImpersonationTokenTTL, MaxImpersonationTokenTTL)
	if err != nil {
		return "", Token{}, err
	}
	err = l.update(ctx, a, "issue impersonation token", func(o *op) error {
		if o.actor.As != "" {
			return notAllowed("%s may not impersonate while impersonating", o.actor)
		}
		if checkID("user", dealerUser) != nil {
			return notAllowed("impersonation of %q: unknown user", dealerUser)
		}
		var dealer User
		if ok, err := getRec(o.tx, bUsers, dealerUser, &dealer); err != nil {
			return err
		} else if !ok {
			return notAllowed("impersonation of %q: unknown user", dealerUser)
		}
		if err := o.l.checkImpersonation(o.tx, o.real, dealer); err != nil {
			return err
		}
		secret, t, err = o.putToken(o.real.ID, dealer.ID, "impersonation", ttl)
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

func (o *op) putToken(user, as, name string, ttl time.Duration) (string, Token, error) {
	id, secret, err := newToken(o.tx, o.l.rand)
	if err != nil {
		return "", Token{}, err
	}
	t := Token{ID: id, User: user, As: as, Name: name, Created: o.now, Expires: o.now.Add(ttl), By: o.actor.String(),
		Hash: tokenHash(secret)}
	o.ref("token", id)
	o.ref("user", user)
	if err := o.putRec(bTokens, id, t); err != nil {
		return "", Token{}, err
	}
	return secret, t, o.tx.Put(bTokensBy, k(user, id), nil)
}

// Authenticate returns the actor a presented token secret authenticates, and the token. Anything
// but a known, unrevoked, unexpired token whose user still exists is refused with [ErrAuth],
// with one message whatever the reason, which never quotes the secret. The secret's hash is
// compared in constant time. The actor's permissions (and an impersonation token's rule) are
// checked by each operation, not here. A service can instead let each operation authenticate
// the token in its own transaction ([WithToken]).
func (l *Ledger) Authenticate(ctx context.Context, secret string) (Actor, Token, error) {
	var t Token
	err := l.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = l.authTx(tx, secret)
		return err
	})
	if err != nil {
		return Actor{}, Token{}, err
	}
	return t.Actor(), t, nil
}

// authTx authenticates a token secret in tx; the token comes back without its hash.
func (l *Ledger) authTx(tx Tx, secret string) (Token, error) {
	refused := wrapf(ErrAuth, "invalid, revoked or expired token")
	id, ok := ParseTokenID(secret)
	if !ok {
		return Token{}, refused
	}
	var t Token
	found, err := getRec(tx, bTokens, id, &t)
	if err != nil {
		return Token{}, err
	}
	if !found || subtle.ConstantTimeCompare(t.Hash, tokenHash(secret)) != 1 || !t.Active(l.now()) {
		return Token{}, refused
	}
	for _, u := range []string{t.User, t.As} {
		if u == "" {
			continue
		}
		if _, ok, err := tx.Get(bUsers, u); err != nil {
			return Token{}, err
		} else if !ok {
			return Token{}, refused
		}
	}
	t.Hash = nil
	return t, nil
}

// credential is a token secret carried in a context (WithToken) and the actor it authenticated.
type credential struct {
	secret string
	mu     sync.Mutex
	actor  Actor
	ok     bool
}

type credKey struct{}

// WithToken returns a context in which every operation of the ledger authenticates the API token
// secret inside its own transaction, as [Ledger.Authenticate] does, and acts as the token's
// actor: the Actor argument must then be zero (anything else is refused with [ErrAuth]). The
// token is checked atomically with the operation, so an operation never runs on a token revoked
// before it, and a service spends no transaction of its own on authentication. [TokenActor]
// tells whom the last operation authenticated.
func WithToken(ctx context.Context, secret string) context.Context {
	return context.WithValue(ctx, credKey{}, &credential{secret: secret})
}

// TokenActor returns the actor the token of a [WithToken] context authenticated in the last
// operation that used it; ok is false before one did, or when it was refused.
func TokenActor(ctx context.Context) (a Actor, ok bool) {
	c, _ := ctx.Value(credKey{}).(*credential)
	if c == nil {
		return Actor{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.actor, c.ok
}

// actorOf is the actor an operation runs as: a, or the actor of the context's token.
func (l *Ledger) actorOf(ctx context.Context, tx Tx, a Actor) (Actor, error) {
	c, _ := ctx.Value(credKey{}).(*credential)
	if c == nil {
		return a, nil
	}
	if a != (Actor{}) {
		return Actor{}, wrapf(ErrAuth, "an operation with a token in its context takes the zero Actor")
	}
	t, err := l.authTx(tx, c.secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.actor, c.ok = t.Actor(), err == nil
	if err != nil {
		c.actor = Actor{}
		return Actor{}, err
	}
	return c.actor, nil
}

// TokenQuery selects a page of tokens.
type TokenQuery struct {
	User  string // only this user's tokens; "" means every token the actor may see
	After string // the page starts after this token id
	Limit int    // at most this many; 0 means 100, at most 1000
}

// Tokens lists tokens in id order, without their hashes: an administrator sees every token, any
// other user its own (including the impersonation tokens it holds). Revoked and expired tokens
// are listed too, until they are purged.
func (l *Ledger) Tokens(ctx context.Context, a Actor, q TokenQuery) ([]Token, error) {
	limit := pageLimit(q.Limit)
	var out []Token
	err := l.view(ctx, a, "tokens", func(o *op) error {
		out = nil
		user := q.User
		if !o.admin() {
			if user != "" && user != o.real.ID {
				return nil // another user's tokens: none visible
			}
			user = o.real.ID
		}
		add := func(id string) (bool, error) {
			var t Token
			if ok, err := getRec(o.tx, bTokens, id, &t); err != nil {
				return false, err
			} else if !ok {
				return false, wrapf(ErrCorrupt, "token index names missing token %s", id)
			}
			t.Hash = nil
			out = append(out, t)
			return len(out) < limit, nil
		}
		if user == "" {
			return o.tx.ScanFrom(bTokens, "", after(q.After), func(id string, _ []byte) (bool, error) { return add(id) })
		}
		if checkID("user", user) != nil {
			return nil
		}
		p := user + sep
		return o.tx.ScanFrom(bTokensBy, p, p+after(q.After), func(kk string, _ []byte) (bool, error) { return add(kk[len(p):]) })
	})
	return out, err
}

// RevokeToken revokes a token at once (its holder or an administrator). Revoking a revoked token
// is refused with ErrState; another user's token is ErrNotFound to a non-administrator.
func (l *Ledger) RevokeToken(ctx context.Context, a Actor, id string) error {
	return l.update(ctx, a, "revoke token", func(o *op) error {
		var t Token
		if checkID("token", id) != nil {
			return wrapf(ErrNotFound, "token %q", id)
		}
		if ok, err := getRec(o.tx, bTokens, id, &t); err != nil {
			return err
		} else if !ok || !o.admin() && t.User != o.real.ID {
			return wrapf(ErrNotFound, "token %q", id)
		}
		if !t.Revoked.IsZero() {
			return wrapf(ErrState, "token %s is revoked already", id)
		}
		t.Revoked = o.now
		o.ref("token", id)
		return o.putRec(bTokens, id, t)
	})
}

// pageLimit is a list operation's page size: 0 or less means 100, at most 1000.
func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}

// after is the ScanFrom start of the first key greater than key ("" means from the start): ids
// never contain sep, so key+sep is the least key after key.
func after(key string) string {
	if key == "" {
		return ""
	}
	return key + sep
}
