package entitlement_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// stepClock is a clock the test moves forward.
type stepClock struct{ t atomic.Int64 }

func (c *stepClock) Now() time.Time      { return time.Unix(c.t.Load(), 0).UTC() }
func (c *stepClock) add(d time.Duration) { c.t.Add(int64(d / time.Second)) }

// clockFixture is the storetest fixture on a ledger whose clock the test moves.
func clockFixture(t *testing.T) (*storetest.Fixture, *stepClock) {
	t.Helper()
	s := entitlement.NewMemStore()
	t.Cleanup(func() { s.Close() })
	f := storetest.NewFixture(t, s, 9)
	c := &stepClock{}
	c.t.Store(time.Date(2013, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	f.L = entitlement.New(s, entitlement.Config{Clock: c, Issuer: storetest.Issuer{}})
	return f, c
}

func TestTokenIssueAuthenticateRevoke(t *testing.T) {
	f, clock := clockFixture(t)
	l := f.L
	secret, tok, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, Name: "ci", TTL: time.Hour})
	ok(t, err)
	if !strings.HasPrefix(secret, "lmsk_"+tok.ID+"_") || len(tok.Hash) != 32 {
		t.Fatalf("secret %q, token %+v", secret, tok)
	}
	a, got, err := l.Authenticate(ctx, secret)
	ok(t, err)
	if a != f.Dist || got.ID != tok.ID || got.Hash != nil {
		t.Fatalf("authenticated %v %+v", a, got)
	}
	// The store holds the hash, never the secret.
	snap, err := l.Snapshot(ctx)
	ok(t, err)
	for b, m := range snap {
		for k, v := range m {
			if strings.Contains(k, secret[17:]) || strings.Contains(v, secret[17:]) {
				t.Fatalf("bucket %s keeps the token secret", b)
			}
		}
	}
	// Listing: the administrator sees it, the holder sees it, another user does not.
	for _, tc := range []struct {
		who  entitlement.Actor
		want int
	}{{f.Admin, 1}, {f.Dist, 1}, {f.Other, 0}} {
		list, err := l.Tokens(ctx, tc.who, entitlement.TokenQuery{})
		ok(t, err)
		if len(list) != tc.want || len(list) == 1 && list[0].Hash != nil {
			t.Errorf("%v lists %+v, want %d", tc.who, list, tc.want)
		}
	}
	if err := l.RevokeToken(ctx, f.Other, tok.ID); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("another user revoked the token: %v", err)
	}
	ok(t, l.RevokeToken(ctx, f.Dist, tok.ID))
	if _, _, err := l.Authenticate(ctx, secret); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := l.RevokeToken(ctx, f.Admin, tok.ID); !errors.Is(err, entitlement.ErrState) {
		t.Fatalf("second revoke: %v", err)
	}

	// Expiry follows the ledger's clock.
	secret2, _, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, TTL: time.Hour})
	ok(t, err)
	clock.add(59 * time.Minute)
	if _, _, err := l.Authenticate(ctx, secret2); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if _, _, err := l.Authenticate(ctx, secret2); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatalf("expired token: %v", err)
	}
}

// TestTokenAttacks plays what an attacker holding a token, or a guess, tries.
func TestTokenAttacks(t *testing.T) {
	f, _ := clockFixture(t)
	l := f.L
	secret, _, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User})
	ok(t, err)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, guess := range map[string]string{
		"last secret character changed":  flip(secret, len(secret)-1),
		"first secret character changed": flip(secret, 22),
		"id changed":                     "lmsk_" + strings.Repeat("0", 16) + secret[21:],
		"empty":                          "",
		"prefix only":                    "lmsk_",
		"truncated":                      secret[:len(secret)-1],
		"extended":                       secret + "A",
		"upper-case id":                  "lmsk_" + strings.ToUpper(secret[5:21]) + secret[21:],
		"padding":                        secret[:len(secret)-2] + "==",
		"control byte":                   secret[:30] + "\x00" + secret[31:],
	} {
		a, _, err := l.Authenticate(ctx, guess)
		if !errors.Is(err, entitlement.ErrAuth) || a != (entitlement.Actor{}) {
			t.Errorf("%s: authenticated as %v (%v)", name, a, err)
		}
		if err != nil && strings.Contains(err.Error(), secret[21:]) {
			t.Errorf("%s: the error quotes the secret", name)
		}
	}
	// Only an administrator issues tokens, so a user cannot mint one for someone else (or itself).
	if _, _, err := l.IssueToken(ctx, f.Dist, entitlement.TokenRequest{User: f.Admin.User}); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a partner's user issued an administrator token: %v", err)
	}
	if _, _, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: "nobody@x"}); !errors.Is(err, entitlement.ErrNotFound) {
		t.Fatalf("token for an unknown user: %v", err)
	}
	if _, _, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, TTL: -time.Second}); !errors.Is(err, entitlement.ErrInvalid) {
		t.Fatalf("negative lifetime: %v", err)
	}
	// A long lifetime is cut to the maximum.
	_, long, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, TTL: 10 * entitlement.MaxTokenTTL})
	ok(t, err)
	if got := long.Expires.Sub(long.Created); got != entitlement.MaxTokenTTL {
		t.Fatalf("lifetime %v", got)
	}
}

// TestImpersonationToken: a distributor's user gets a token acting as a dealer's user only with
// the allowance, and revoking the allowance stops every operation done with it at once.
func TestImpersonationToken(t *testing.T) {
	f, clock := clockFixture(t)
	l := f.L
	if _, _, err := l.IssueImpersonationToken(ctx, f.Other, f.Dealer.User, 0); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a distributor without the allowance impersonated: %v", err)
	}
	if _, _, err := l.IssueImpersonationToken(ctx, f.Dealer, f.Dist.User, 0); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("a dealer impersonated its distributor: %v", err)
	}
	if _, _, err := l.IssueImpersonationToken(ctx, f.Dist, "ghost@y", 0); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("impersonation of an unknown user: %v", err)
	}
	secret, tok, err := l.IssueImpersonationToken(ctx, f.Dist, f.Dealer.User, 0)
	ok(t, err)
	if tok.Expires.Sub(tok.Created) != entitlement.DefaultImpersonationTokenTTL {
		t.Fatalf("lifetime %v", tok.Expires.Sub(tok.Created))
	}
	a, _, err := l.Authenticate(ctx, secret)
	ok(t, err)
	if a.String() != "IMP:ed@distx/dealer@y" {
		t.Fatalf("actor %v", a)
	}
	if _, _, err := l.IssueImpersonationToken(ctx, a, f.Dealer.User, 0); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("impersonation while impersonating: %v", err)
	}
	if _, err := l.Bin(ctx, a); err != nil {
		t.Fatal(err)
	}
	ok(t, l.SetAllowance(ctx, f.Admin, f.DistP, f.DealerP, false))
	if _, err := l.Bin(ctx, a); !errors.Is(err, entitlement.ErrNotAllowed) {
		t.Fatalf("after the allowance was revoked: %v", err)
	}
	// The holder sees and revokes its own impersonation token.
	list, err := l.Tokens(ctx, f.Dist, entitlement.TokenQuery{})
	ok(t, err)
	if len(list) != 1 || list[0].As != f.Dealer.User {
		t.Fatalf("tokens %+v", list)
	}
	ok(t, l.RevokeToken(ctx, f.Dist, tok.ID))
	clock.add(time.Second)
	if _, _, err := l.Authenticate(ctx, secret); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatal(err)
	}
}

func TestTokensPage(t *testing.T) {
	f, _ := clockFixture(t)
	l := f.L
	var ids []string
	for range 7 {
		_, tok, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User})
		ok(t, err)
		ids = append(ids, tok.ID)
	}
	var got []string
	after := ""
	for {
		page, err := l.Tokens(ctx, f.Admin, entitlement.TokenQuery{User: f.Dist.User, After: after, Limit: 3})
		ok(t, err)
		if len(page) == 0 {
			break
		}
		for _, tk := range page {
			got = append(got, tk.ID)
		}
		after = page[len(page)-1].ID
	}
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Fatalf("paged %v, want %v", got, ids)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Fatalf("not in id order: %v", got)
		}
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	f, _ := clockFixture(t)
	secret, _, err := f.L.IssueToken(context.Background(), f.Admin, entitlement.TokenRequest{User: f.Dist.User})
	ok(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, _, err := f.L.Authenticate(ctx, secret); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestWithToken: operations authenticate a context's token in their own transaction, act as its
// actor, refuse a revoked or expired token at once, and refuse an Actor given beside a token.
func TestWithToken(t *testing.T) {
	f, clock := clockFixture(t)
	l := f.L
	secret, tok, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User, TTL: time.Hour})
	ok(t, err)
	tctx := entitlement.WithToken(ctx, secret)
	if _, ok := entitlement.TokenActor(tctx); ok {
		t.Fatal("TokenActor before any operation")
	}
	c, err := l.CreateCustomer(tctx, entitlement.Actor{}, entitlement.Customer{Name: "C"})
	ok(t, err)
	if c.Partner != f.DistP {
		t.Fatalf("customer of %s", c.Partner)
	}
	if a, ok := entitlement.TokenActor(tctx); !ok || a != f.Dist {
		t.Fatalf("TokenActor %v %v", a, ok)
	}
	u, _, err := l.Whoami(tctx, entitlement.Actor{})
	ok(t, err)
	if u.ID != f.Dist.User {
		t.Fatalf("whoami %v", u)
	}
	// An Actor beside the token is refused: the token alone says who acts.
	if _, err := l.CreateCustomer(tctx, f.Admin, entitlement.Customer{Name: "C"}); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatalf("actor beside a token: %v", err)
	}
	// Idempotency keys belong to the token's actor.
	_, _, err = l.Idempotent(tctx, entitlement.Actor{}, entitlement.IdempotencyKey{Key: "k", Fingerprint: []byte("x")},
		func(ctx context.Context) (entitlement.Response, error) {
			_, err := l.Customers(ctx, entitlement.Actor{}, "")
			return entitlement.Response{Status: 200}, err
		})
	ok(t, err)
	if _, replayed, err := l.Idempotent(ctx, f.Dist, entitlement.IdempotencyKey{Key: "k", Fingerprint: []byte("x")},
		func(context.Context) (entitlement.Response, error) { return entitlement.Response{}, nil }); err != nil || !replayed {
		t.Fatalf("the key was not the token actor's: replayed %v, %v", replayed, err)
	}
	clock.add(time.Hour)
	if _, err := l.Customers(tctx, entitlement.Actor{}, ""); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatalf("expired token in context: %v", err)
	}
	if _, ok := entitlement.TokenActor(tctx); ok {
		t.Fatal("TokenActor after a refusal")
	}
	secret2, tok2, err := l.IssueToken(ctx, f.Admin, entitlement.TokenRequest{User: f.Dist.User})
	ok(t, err)
	ok(t, l.RevokeToken(ctx, f.Admin, tok2.ID))
	if _, err := l.Bin(entitlement.WithToken(ctx, secret2), entitlement.Actor{}); !errors.Is(err, entitlement.ErrAuth) {
		t.Fatalf("revoked token in context: %v", err)
	}
	if id, ok := entitlement.ParseTokenID(secret); !ok || id != tok.ID {
		t.Fatalf("ParseTokenID %q %v", id, ok)
	}
}
