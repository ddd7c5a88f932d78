package seal

import (
	"bytes"
	"errors"
	"testing"
)

var (
	testSecret = []byte("lmskit test secret, never a real one")
	hostA      = []byte("SV8100/190400324412")
	hostB      = []byte("SV8100/191000343919")
)

func mustKey(t testing.TB, secret, id []byte, purpose string) *Key {
	t.Helper()
	k, err := NewKey(secret, id, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := mustKey(t, testSecret, hostA, "device state")
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("state"), 1000)} {
		s := k.Seal("state", pt)
		if len(s) != len(pt)+Overhead {
			t.Errorf("sealed length %d, want %d", len(s), len(pt)+Overhead)
		}
		got, err := mustKey(t, testSecret, hostA, "device state").Open("state", s)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open = %q, want %q", got, pt)
		}
	}
}

func TestNoncesDiffer(t *testing.T) {
	k := mustKey(t, testSecret, hostA, "device state")
	if bytes.Equal(k.Seal("state", []byte("same")), k.Seal("state", []byte("same"))) {
		t.Error("two seals of the same plaintext are equal; the nonce is not random")
	}
}

// TestRejected covers everything Open must refuse, each with the sentinel it must wrap.
func TestRejected(t *testing.T) {
	k := mustKey(t, testSecret, hostA, "device state")
	good := k.Seal("state", []byte("trial started 2026-01-01"))
	tests := []struct {
		name   string
		why    string
		key    *Key
		kind   string
		sealed []byte
		want   error
	}{
		{"other host", "a state copied from another device must not open", mustKey(t, testSecret, hostB, "device state"), "state", good, ErrAuth},
		{"other secret", "another product's firmware secret", mustKey(t, []byte("another secret, also 16+ bytes"), hostA, "device state"), "state", good, ErrAuth},
		{"other purpose", "keys for different uses are separate", mustKey(t, testSecret, hostA, "marker"), "state", good, ErrAuth},
		{"other kind", "a marker record must not be replayed as a state record", k, "marker", good, ErrAuth},
		{"truncated tag", "a record cut short", k, "state", good[:len(good)-1], ErrAuth},
		{"appended byte", "a record with trailing garbage", k, "state", append(append([]byte(nil), good...), 0), ErrAuth},
		{"too short", "shorter than the fixed overhead", k, "state", good[:Overhead-1], ErrFormat},
		{"empty", "nothing at all", k, "state", nil, ErrFormat},
		{"bad magic", "not our format", k, "state", append([]byte("XMSK"), good[4:]...), ErrFormat},
		{"future version", "a version this code does not read", k, "state", append(append([]byte(magic), 2), good[5:]...), ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.Open(tt.kind, tt.sealed)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Open = %q, %v; want nil, %v (%s)", got, err, tt.want, tt.why)
			}
		})
	}
}

// TestEveryByteFlip changes each byte of a sealed record in turn; every change must be refused.
func TestEveryByteFlip(t *testing.T) {
	k := mustKey(t, testSecret, hostA, "device state")
	good := k.Seal("state", []byte("high water 2026-03-01T00:00:00Z"))
	for i := range good {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := append([]byte(nil), good...)
			bad[i] ^= x
			if got, err := k.Open("state", bad); err == nil || got != nil {
				t.Fatalf("flip 0x%02x at byte %d accepted", x, i)
			}
		}
	}
}

func TestNewKeyRefuses(t *testing.T) {
	if _, err := NewKey(testSecret[:MinSecret-1], hostA, "p"); err == nil {
		t.Error("NewKey accepted a short secret")
	}
	if _, err := NewKey(nil, hostA, "p"); err == nil {
		t.Error("NewKey accepted a nil secret")
	}
	if _, err := NewKey(testSecret, hostA, ""); err == nil {
		t.Error("NewKey accepted an empty purpose")
	}
}

// TestIdentityIsNotAmbiguous: identity and purpose are length-prefixed, so moving bytes between them
// gives another key.
func TestIdentityIsNotAmbiguous(t *testing.T) {
	a := mustKey(t, testSecret, []byte("bc"), "a")
	b := mustKey(t, testSecret, []byte("c"), "ab")
	if _, err := b.Open("k", a.Seal("k", []byte("x"))); !errors.Is(err, ErrAuth) {
		t.Errorf("keys for (a, bc) and (ab, c) agree: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	k := mustKey(f, testSecret, hostA, "device state")
	f.Add(k.Seal("state", []byte("seed")))
	f.Add([]byte("LMSK\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := k.Open("state", b)
		if err != nil && pt != nil {
			t.Fatal("plaintext returned with an error")
		}
		if err == nil {
			// Only a genuine seal opens; re-sealing what opened must open to the same bytes.
			again, err := k.Open("state", k.Seal("state", pt))
			if err != nil || !bytes.Equal(again, pt) {
				t.Fatalf("reseal round trip: %v", err)
			}
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	k := mustKey(b, testSecret, hostA, "device state")
	pt := bytes.Repeat([]byte{1}, 256)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open("state", k.Seal("state", pt)); err != nil {
			b.Fatal(err)
		}
	}
}
