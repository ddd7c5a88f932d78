package signing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The tests' payload format: 8 bytes of big-endian Unix seconds (the signing time), then content. A
// license payload carries its issue time the same way, inside the signed bytes.
func timedPayload(at time.Time, content string) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(at.Unix()))
	return append(b, content...)
}

func payloadTime(p []byte) (time.Time, error) {
	if len(p) < 8 {
		return time.Time{}, errors.New("payload too short for a signing time")
	}
	return time.Unix(int64(binary.BigEndian.Uint64(p)), 0).UTC(), nil
}

var (
	t2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the rotation instant
	t2027 = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TestKeyring_Rotation: the old key is trusted for files signed before the switch, the new one after;
// each is refused outside its window, and Verify reports which key and window verified.
func TestKeyring_Rotation(t *testing.T) {
	oldKey, newKey := testKey(t, "old"), testKey(t, "new")
	kr := NewKeyring()
	if err := kr.Add(oldKey.Public().KeyID().Bytes(), oldKey.Public(), Window{NotAfter: t2026}); err != nil {
		t.Fatal(err)
	}
	if err := kr.Add(newKey.Public().KeyID().Bytes(), newKey.Public(), Window{NotBefore: t2026}); err != nil {
		t.Fatal(err)
	}
	opts := &VerifyOptions{SigningTime: payloadTime}
	for _, tc := range []struct {
		name, why string
		key       *PrivateKey
		at        time.Time
		want      error
	}{
		{"old key before", "a file the old key signed while current", oldKey, t2025, nil},
		{"old key just before", "the last second of the old window", oldKey, t2026.Add(-time.Second), nil},
		{"old key at switch", "NotAfter is exclusive", oldKey, t2026, ErrOutsideWindow},
		{"old key after", "the retired key cannot sign new files", oldKey, t2027, ErrOutsideWindow},
		{"new key at switch", "NotBefore is inclusive", newKey, t2026, nil},
		{"new key after", "the current key", newKey, t2027, nil},
		{"new key before", "the new key cannot have signed before it existed", newKey, t2025, ErrOutsideWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := Sign1(tc.key, timedPayload(tc.at, "license"), nil)
			if err != nil {
				t.Fatal(err)
			}
			v, err := kr.Verify(msg, opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("%s: err = %v, want %v", tc.why, err, tc.want)
			}
			if err != nil {
				if v != nil {
					t.Errorf("%s: result returned with an error", tc.why)
				}
				// Verify1 has no signing time and does not consult windows.
				if _, _, err := kr.Verify1(msg, nil); err != nil {
					t.Errorf("Verify1: %v", err)
				}
				return
			}
			if v.Key != tc.key.Public() || !v.SigningTime.Equal(tc.at) {
				t.Errorf("%s: verified by %v at %v, want %v at %v", tc.why, v.Key, v.SigningTime, tc.key.Public(), tc.at)
			}
			if !v.Window.Contains(tc.at) {
				t.Errorf("reported window %v does not contain %v", v.Window, tc.at)
			}
		})
	}
}

// TestKeyring_SharedKID: several keys under one kid (a kid named elsewhere, reused across a rotation)
// are each tried; the window picks among keys whose signatures hold.
func TestKeyring_SharedKID(t *testing.T) {
	a, b := testKey(t, "a"), testKey(t, "b")
	kid := []byte("vendor")
	kr := NewKeyring()
	if err := kr.Add(kid, a.Public(), Window{NotAfter: t2026}); err != nil {
		t.Fatal(err)
	}
	if err := kr.Add(kid, b.Public(), Window{NotBefore: t2026}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*PrivateKey{a, b} {
		for _, at := range []time.Time{t2025, t2027} {
			msg, _ := Sign1(k, timedPayload(at, "x"), &Sign1Options{KeyID: kid})
			v, err := kr.Verify(msg, &VerifyOptions{SigningTime: payloadTime})
			inWindow := (k == a && at == t2025) || (k == b && at == t2027)
			if inWindow != (err == nil) {
				t.Errorf("key %v at %v: err = %v, in window %v", k, at.Year(), err, inWindow)
			}
			if err == nil && v.Key != k.Public() {
				t.Errorf("verified by %v, want %v", v.Key, k.Public())
			}
			if _, gotKID, err := kr.Verify1(msg, nil); err != nil || !bytes.Equal(gotKID, kid) {
				t.Errorf("Verify1: kid %q, %v", gotKID, err)
			}
		}
	}
	// A third key signing under the shared kid is not trusted.
	msg, _ := Sign1(testKey(t, "c"), []byte("x"), &Sign1Options{KeyID: kid})
	if _, _, err := kr.Verify1(msg, nil); !errors.Is(err, ErrSignature) {
		t.Errorf("untrusted key under shared kid: err = %v, want ErrSignature", err)
	}
}

// TestKeyring_Revocation: a revoked kid is refused whatever its window, other keys keep working, and
// neither the kid nor its key can be trusted again.
func TestKeyring_Revocation(t *testing.T) {
	oldKey, newKey := testKey(t, "old"), testKey(t, "new")
	oldKID, newKID := oldKey.Public().KeyID().Bytes(), newKey.Public().KeyID().Bytes()
	kr := NewKeyring()
	if err := kr.Add(oldKID, oldKey.Public(), Window{NotAfter: t2026}); err != nil {
		t.Fatal(err)
	}
	if err := kr.Add(newKID, newKey.Public(), Window{NotBefore: t2026}); err != nil {
		t.Fatal(err)
	}
	// The old key is also trusted under a second kid, as a keyring built from two sources might.
	if err := kr.Add([]byte("alias"), oldKey.Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	oldMsg, _ := Sign1(oldKey, timedPayload(t2025, "x"), nil)
	aliasMsg, _ := Sign1(oldKey, timedPayload(t2025, "x"), &Sign1Options{KeyID: []byte("alias")})
	newMsg, _ := Sign1(newKey, timedPayload(t2027, "x"), nil)
	for _, m := range [][]byte{oldMsg, aliasMsg, newMsg} {
		if _, _, err := kr.Verify1(m, nil); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}

	kr.Revoke(oldKID)

	for _, tc := range []struct {
		name, why string
		msg       []byte
		opts      *VerifyOptions
		want      error
	}{
		{"revoked kid", "inside its window, still refused", oldMsg, &VerifyOptions{SigningTime: payloadTime}, ErrRevoked},
		{"revoked kid, Verify1", "Verify1 refuses it too", oldMsg, nil, ErrRevoked},
		{"revoked key under alias", "revoking a kid revokes its key under every kid", aliasMsg, nil, ErrRevoked},
		{"other key", "the new key is untouched", newMsg, &VerifyOptions{SigningTime: payloadTime}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kr.Verify(tc.msg, tc.opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("%s: err = %v, want %v", tc.why, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		kid  []byte
		pub  PublicKey
	}{
		{"revoked kid again", oldKID, oldKey.Public()},
		{"revoked kid, another key", oldKID, newKey.Public()},
		{"revoked key, another kid", []byte("fresh"), oldKey.Public()},
	} {
		if err := kr.Add(tc.kid, tc.pub, Window{}); !errors.Is(err, ErrRevoked) {
			t.Errorf("%s: Add err = %v, want ErrRevoked", tc.name, err)
		}
	}
	// Under a kid shared with a good key, a message from the revoked key says "revoked", and one from
	// an unknown key says "signature".
	kr2 := NewKeyring()
	for _, k := range []*PrivateKey{oldKey, newKey} {
		if err := kr2.Add([]byte("shared"), k.Public(), Window{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := kr2.Add(oldKID, oldKey.Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	kr2.Revoke(oldKID)
	sharedOld, _ := Sign1(oldKey, []byte("x"), &Sign1Options{KeyID: []byte("shared")})
	sharedNew, _ := Sign1(newKey, []byte("x"), &Sign1Options{KeyID: []byte("shared")})
	sharedOther, _ := Sign1(testKey(t, "other"), []byte("x"), &Sign1Options{KeyID: []byte("shared")})
	for _, c := range []struct {
		name string
		msg  []byte
		want error
	}{{"revoked key", sharedOld, ErrRevoked}, {"good key", sharedNew, nil}, {"unknown key", sharedOther, ErrSignature}} {
		if _, _, err := kr2.Verify1(c.msg, nil); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("shared kid, %s: err = %v, want %v", c.name, err, c.want)
		}
	}

	// A kid revoked before it was ever added can never be added.
	kr.Revoke([]byte("never"))
	if err := kr.Add([]byte("never"), testKey(t, "c").Public(), Window{}); !errors.Is(err, ErrRevoked) {
		t.Errorf("pre-revoked kid: Add err = %v, want ErrRevoked", err)
	}
}

// TestKeyring_ReAddReplacesWindow: re-adding a key under its kid retires it by giving it a NotAfter.
func TestKeyring_ReAddReplacesWindow(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	msg, _ := Sign1(k, timedPayload(t2027, "x"), nil)
	opts := &VerifyOptions{SigningTime: payloadTime}
	if _, err := kr.Verify(msg, opts); err != nil {
		t.Fatal(err)
	}
	if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), Window{NotAfter: t2026}); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Verify(msg, opts); !errors.Is(err, ErrOutsideWindow) {
		t.Errorf("after retiring: err = %v, want ErrOutsideWindow", err)
	}
	if n := len(kr.load().byKID[string(k.Public().KeyID().Bytes())]); n != 1 {
		t.Errorf("re-adding filed the key %d times", n)
	}
}

func TestKeyring_AddBad(t *testing.T) {
	k := testKey(t, "a")
	for _, tc := range []struct {
		name, why string
		kid       []byte
		pub       PublicKey
		window    Window
	}{
		{"empty kid", "a kid is at least one byte", []byte{}, k.Public(), Window{}},
		{"long kid", "kids are capped", make([]byte, MaxKeyIDLen+1), k.Public(), Window{}},
		{"zero key", "the zero PublicKey verifies nothing", []byte("k"), PublicKey{}, Window{}},
		{"empty window", "NotAfter before NotBefore", []byte("k"), k.Public(), Window{NotBefore: t2027, NotAfter: t2025}},
		{"point window", "NotAfter equal to NotBefore admits no time", []byte("k"), k.Public(), Window{NotBefore: t2026, NotAfter: t2026}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr := NewKeyring()
			if err := kr.Add(tc.kid, tc.pub, tc.window); err == nil {
				t.Fatalf("%s: Add accepted it", tc.why)
			}
			if len(kr.load().byKID) != 0 {
				t.Errorf("%s: a refused Add changed the keyring", tc.why)
			}
		})
	}
}

// TestKeyring_SigningTimeError: an error from the callback is returned wrapped, with no payload; the
// callback sees only authenticated payloads and is not called for a bad signature.
func TestKeyring_SigningTimeError(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	calls := 0
	boom := errors.New("no issue time in payload")
	opts := &VerifyOptions{SigningTime: func([]byte) (time.Time, error) { calls++; return time.Time{}, boom }}
	msg, _ := Sign1(k, []byte("x"), nil)
	v, err := kr.Verify(msg, opts)
	if !errors.Is(err, boom) || v != nil {
		t.Errorf("Verify = %v, %v; want the callback's error", v, err)
	}
	bad := append([]byte(nil), msg...)
	bad[len(bad)-1] ^= 1
	calls = 0
	if _, err := kr.Verify(bad, opts); !errors.Is(err, ErrSignature) || calls != 0 {
		t.Errorf("bad signature: err = %v, callback called %d times; want ErrSignature and 0", err, calls)
	}
}

func TestKeyring_ZeroValueAndUnknown(t *testing.T) {
	var kr Keyring
	msg, _ := Sign1(testKey(t, "a"), []byte("x"), nil)
	if _, _, err := kr.Verify1(msg, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("zero Keyring: err = %v, want ErrUnknownKey", err)
	}
	if err := kr.Add([]byte("k"), testKey(t, "a").Public(), Window{}); err != nil {
		t.Errorf("zero Keyring Add: %v", err)
	}
	var nilRing *Keyring
	if _, _, err := nilRing.Verify1(msg, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("nil Keyring: err = %v, want ErrUnknownKey", err)
	}
	// A nil *Keyring refuses keys with an error rather than a nil dereference, and Revoke on it
	// changes nothing.
	if err := nilRing.Add([]byte("k"), testKey(t, "a").Public(), Window{}); err == nil {
		t.Error("nil Keyring Add: no error")
	}
	nilRing.Revoke([]byte("k"))
	if _, err := nilRing.Verify(msg, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("nil Keyring after Revoke: err = %v, want ErrUnknownKey", err)
	}
}

func TestWindow(t *testing.T) {
	w := Window{NotBefore: t2025, NotAfter: t2027}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t2025.Add(-time.Nanosecond), false}, {t2025, true}, {t2026, true},
		{t2027.Add(-time.Nanosecond), true}, {t2027, false},
	} {
		if got := w.Contains(tc.at); got != tc.want {
			t.Errorf("%v.Contains(%v) = %v, want %v", w, tc.at, got, tc.want)
		}
	}
	if !(Window{}).Contains(time.Time{}) || !(Window{}).IsZero() || w.IsZero() {
		t.Error("zero Window must contain every time")
	}
	if got, want := w.String(), "[2025-01-01T00:00:00Z, 2027-01-01T00:00:00Z)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := (Window{}).String(), "[-, -)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestKeyring_Concurrent: verifications run while keys are added and revoked (run with -race). A key
// that is never revoked verifies throughout.
func TestKeyring_Concurrent(t *testing.T) {
	stable := testKey(t, "stable")
	kr := trust(t, stable)
	msg, _ := Sign1(stable, []byte("x"), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, _, err := kr.Verify1(msg, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		k := testKey(t, fmt.Sprint("churn", i))
		if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), Window{}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			kr.Revoke(k.Public().KeyID().Bytes())
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Verify1: %v", err)
	}
}

// TestVerify_RequireCanonical: with RequireCanonical, only Sign1's exact envelope is accepted; every
// change the signature does not cover is refused, while Verify1 still accepts them as RFC 9052 allows.
func TestVerify_RequireCanonical(t *testing.T) {
	k := testKey(t, "a")
	kr := trust(t, k)
	msg, err := Sign1(k, []byte("payload"), &Sign1Options{ContentType: "application/cbor"})
	if err != nil {
		t.Fatal(err)
	}
	var m sign1
	if err := parseSign1(msg, &m); err != nil {
		t.Fatal(err)
	}
	strict := &VerifyOptions{RequireCanonical: true}
	if _, err := kr.Verify(msg, strict); err != nil {
		t.Fatalf("Sign1's own message: %v", err)
	}
	unprot := []byte{0xa1, 0x18, 0x63, 0x01} // {99: 1}
	for _, tc := range []struct {
		name, why string
		msg       []byte
	}{
		{"untagged", "the tag is not signed", msg[1:]},
		{"unprotected label", "the unprotected header is not signed",
			concat([]byte{0xd2, 0x84}, enc(t, m.protected), unprot, enc(t, m.payload), enc(t, m.signature))},
		{"long payload head", "the payload's head is not signed: 0x47 -> 0x58 0x07",
			concat([]byte{0xd2, 0x84}, enc(t, m.protected), []byte{0xa0, 0x58, byte(len(m.payload))}, m.payload, enc(t, m.signature))},
		{"long signature head", "the signature's head is not signed: 0x58 0x40 -> 0x59 0x00 0x40",
			concat([]byte{0xd2, 0x84}, enc(t, m.protected), []byte{0xa0}, enc(t, m.payload), []byte{0x59, 0x00, 0x40}, m.signature)},
		{"long tag head", "the tag's head: 0xd2 -> 0xd8 0x12", append([]byte{0xd8, 0x12}, msg[1:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := kr.Verify1(tc.msg, nil); err != nil {
				t.Fatalf("%s: Verify1 should accept it: %v", tc.why, err)
			}
			if _, err := kr.Verify(tc.msg, strict); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: RequireCanonical: err = %v, want ErrMalformed", tc.why, err)
			}
		})
	}
}
