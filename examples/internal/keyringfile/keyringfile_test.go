package keyringfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// Fixed test keys; real keys never live in source.
func key(t testing.TB, b byte) *signing.PrivateKey {
	t.Helper()
	k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{b}, signing.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	jan26 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jan27 = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TestRoundTripAndRules: a keyring written by Format reads back, and the keyring it gives enforces
// the windows and the revocation it states.
func TestRoundTripAndRules(t *testing.T) {
	old, cur, bad := key(t, 1), key(t, 2), key(t, 3)
	entries := []Entry{
		{Key: old.Public(), Window: signing.Window{NotAfter: jan26}, Comment: "retired at the rotation"},
		{Key: cur.Public(), Window: signing.Window{NotBefore: jan26, NotAfter: jan27}},
		{Key: bad.Public(), Revoked: true},
	}
	kr, err := Parse(Format(entries))
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Entries) != 3 || kr.Entries[0].Comment != "retired at the rotation" || !kr.Entries[2].Revoked || kr.Entries[1].Line == 0 {
		t.Fatalf("entries %+v", kr.Entries)
	}
	sign := func(k *signing.PrivateKey) []byte {
		msg, err := signing.Sign1(k, []byte("payload"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	at := func(when time.Time) *signing.VerifyOptions {
		return &signing.VerifyOptions{SigningTime: func([]byte) (time.Time, error) { return when, nil }}
	}
	tests := []struct {
		name string
		key  *signing.PrivateKey
		when time.Time
		want error
	}{
		{"old key before its end", old, jan26.Add(-time.Hour), nil},
		{"old key after its end", old, jan26, signing.ErrOutsideWindow},
		{"current key in its window", cur, jan26.Add(time.Hour), nil},
		{"current key before its start", cur, jan26.Add(-time.Hour), signing.ErrOutsideWindow},
		{"revoked key", bad, jan26, signing.ErrRevoked},
	}
	for _, tc := range tests {
		_, err := kr.Keyring.Verify(sign(tc.key), at(tc.when))
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestRevokedWins: a key revoked anywhere in the file is not trusted, even if listed again.
func TestRevokedWins(t *testing.T) {
	k := key(t, 4)
	kr, err := Parse(Format([]Entry{{Key: k.Public()}, {Key: k.Public(), Revoked: true}}))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := signing.Sign1(k, []byte("x"), nil)
	if _, _, err := kr.Keyring.Verify1(msg, nil); !errors.Is(err, signing.ErrRevoked) {
		t.Fatalf("a key revoked later in the file verifies: %v", err)
	}
}

// TestParseRefuses: every mistake is an error naming its line.
func TestParseRefuses(t *testing.T) {
	k := key(t, 5)
	good := string(k.Public().MarshalPEM())
	withHeaders := func(h string) string {
		return strings.Replace(good, "-----\n", "-----\n"+h+"\n\n", 1)
	}
	priv := string(k.MarshalPEM())
	tests := []struct {
		name, in string
		line     int
		why      string
	}{
		{"empty", "", 1, "a keyring that trusts nothing is a mistake"},
		{"comments only", "# nothing\n\n", 3, "same"},
		{"stray text", "hello\n" + good, 1, "text outside blocks must be a comment"},
		{"private key", priv, 1, "a private key in the keyring: the wrong file, refused without echoing it"},
		{"unknown header", withHeaders("Trusted: yes"), 1, "a typo must not be ignored"},
		{"bad time", withHeaders("Not-After: tomorrow"), 1, "times are RFC 3339"},
		{"window backwards", withHeaders("Not-Before: 2027-01-01T00:00:00Z\nNot-After: 2026-01-01T00:00:00Z"), 1, "an empty window"},
		{"wrong key id", withHeaders("Key-ID: 00000000000000000000000000000000"), 1, "the label must match the key"},
		{"repeated header", withHeaders("Not-After: 2027-01-01T00:00:00Z\nNot-After: 2030-01-01T00:00:00Z"), 1, "which one a reviewer reads is ambiguous"},
		{"bad revoked", withHeaders("Revoked: maybe"), 1, "yes or a time"},
		{"damaged", "# ok\n-----BEGIN PUBLIC KEY-----\nAAAA\n", 2, "no END line"},
		{"trailing text", good + "garbage\n", 4, "text after the last block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tc.line {
				t.Fatalf("%s: err %v, want a *ParseError at line %d", tc.why, err, tc.line)
			}
			if strings.Contains(err.Error(), "MC4CAQ") {
				t.Error("the error echoes a private key")
			}
		})
	}
}

// FuzzParse: no input panics; what parses formats and parses again to the same keys.
func FuzzParse(f *testing.F) {
	k1, k2 := key(f, 1), key(f, 2)
	f.Add(Format([]Entry{{Key: k1.Public(), Window: signing.Window{NotAfter: jan26}}, {Key: k2.Public(), Revoked: true, Comment: "lost"}}))
	f.Add(k1.Public().MarshalPEM())
	f.Add([]byte("# x\n-----BEGIN PUBLIC KEY-----\nNot-After: x\n\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := Parse(data)
		if err != nil {
			if kr != nil {
				t.Fatal("a keyring came back with an error")
			}
			return
		}
		again, err := Parse(Format(kr.Entries))
		if err != nil {
			t.Fatalf("the formatted keyring does not parse: %v", err)
		}
		if len(again.Entries) != len(kr.Entries) {
			t.Fatalf("%d entries, then %d", len(kr.Entries), len(again.Entries))
		}
		for i, e := range kr.Entries {
			a := again.Entries[i]
			if !a.Key.Equal(e.Key) || a.Revoked != e.Revoked || !a.Window.NotBefore.Equal(e.Window.NotBefore) || !a.Window.NotAfter.Equal(e.Window.NotAfter) {
				t.Fatalf("entry %d changed: %+v then %+v", i, e, a)
			}
		}
	})
}
