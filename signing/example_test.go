package signing_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lmskit/lmskit/signing"
)

// exampleKey returns a fixed key for examples. Real keys never live in source: a vendor's key is
// generated once with signing.GenerateKey (or openssl genpkey) and loaded with ParsePrivateKeyPEM.
func exampleKey(label string) *signing.PrivateKey {
	seed := sha256.Sum256([]byte("lmskit example key " + label))
	k, err := signing.NewKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// The license server signs a payload with the vendor's key; a device that trusts the vendor's
// public key verifies it. The package documentation's snippet is the body of signAndVerify.
func Example() {
	vendor := exampleKey("vendor")
	if err := signAndVerify(vendor.MarshalPEM(), vendor.Public().MarshalPEM()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// licensed features, signed by 8251d2a74a7e636f293d78c3983f4e70
	// one byte changed: true true
}

// signAndVerify signs with the private key in privatePEM (the license server's key file) and
// verifies with the public key in publicPEM (what a device trusts).
func signAndVerify(privatePEM, publicPEM []byte) error {
	payload := []byte("licensed features")

	vendor, err := signing.ParsePrivateKeyPEM(privatePEM) // the license server's key file
	if err != nil {
		return err
	}
	msg, err := signing.Sign1(vendor, payload, &signing.Sign1Options{ContentType: "application/cbor"})
	if err != nil {
		return err
	}

	pub, err := signing.ParsePublicKeyPEM(publicPEM) // on the device: the vendor's public key
	if err != nil {
		return err
	}
	kr := signing.NewKeyring()
	if err := kr.Add(pub.KeyID().Bytes(), pub, signing.Window{}); err != nil {
		return err
	}
	got, kid, err := kr.Verify1(msg, nil) // the payload only if the signature holds
	if err != nil {
		return err
	}
	fmt.Printf("%s, signed by %x\n", got, kid)

	// One changed byte and nothing comes back.
	msg[len(msg)-1] ^= 1
	got, _, err = kr.Verify1(msg, nil)
	fmt.Println("one byte changed:", got == nil, errors.Is(err, signing.ErrSignature))
	return nil
}

// Rotating the vendor key: the old key stays trusted for files signed before the switch, the new one
// for files signed after it. The signing time is read from the verified payload (here its first 8
// bytes, Unix seconds; a license carries its issue time in its own fields).
func Example_rotation() {
	if err := rotation(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// issued 2025-07-01: verified by 29b7a7f7b94f9aee3309baa2237e92de, window [-, 2026-01-01T00:00:00Z)
	// issued 2026-07-01: outside its window: true
	// issued 2026-07-01: verified by a7fd1892e41771d80d39aa8c3d0ef181, window [2026-01-01T00:00:00Z, -)
	// after revocation: true
}

func rotation() error {
	oldKey, newKey := exampleKey("2025"), exampleKey("2026")
	switchOver := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	kr := signing.NewKeyring()
	if err := kr.Add(oldKey.Public().KeyID().Bytes(), oldKey.Public(), signing.Window{NotAfter: switchOver}); err != nil {
		return err
	}
	if err := kr.Add(newKey.Public().KeyID().Bytes(), newKey.Public(), signing.Window{NotBefore: switchOver}); err != nil {
		return err
	}

	issued := func(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.Unix())) }
	opts := &signing.VerifyOptions{
		SigningTime: func(payload []byte) (time.Time, error) {
			if len(payload) < 8 {
				return time.Time{}, errors.New("no issue time")
			}
			return time.Unix(int64(binary.BigEndian.Uint64(payload)), 0).UTC(), nil
		},
	}

	for _, c := range []struct {
		key *signing.PrivateKey
		at  time.Time
	}{
		{oldKey, switchOver.AddDate(0, -6, 0)},
		{oldKey, switchOver.AddDate(0, 6, 0)},
		{newKey, switchOver.AddDate(0, 6, 0)},
	} {
		msg, err := signing.Sign1(c.key, issued(c.at), nil)
		if err != nil {
			return err
		}
		v, err := kr.Verify(msg, opts)
		if err != nil {
			fmt.Printf("issued %s: outside its window: %v\n", c.at.Format(time.DateOnly), errors.Is(err, signing.ErrOutsideWindow))
			continue
		}
		fmt.Printf("issued %s: verified by %s, window %v\n", c.at.Format(time.DateOnly), v.Key.KeyID(), v.Window)
	}

	// A compromised key is revoked outright, whatever time its files claim.
	kr.Revoke(oldKey.Public().KeyID().Bytes())
	msg, err := signing.Sign1(oldKey, issued(switchOver.AddDate(0, -6, 0)), nil)
	if err != nil {
		return err
	}
	_, err = kr.Verify(msg, opts)
	fmt.Println("after revocation:", errors.Is(err, signing.ErrRevoked))
	return nil
}

// A signed message in PEM-style armor with headers for people; only the signed bytes count.
func ExampleArmor() {
	msg, err := signing.Sign1(exampleKey("vendor"), []byte("licensed features"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	armored := signing.Armor("LMSKIT LICENSE", map[string]string{"System": "OpenScape 4000", "Serial": "L-000123"}, msg)
	fmt.Println(strings.Join(strings.Split(string(armored), "\n")[:4], "\n"))

	blockType, headers, data, err := signing.Dearmor(armored)
	fmt.Println(blockType, headers["Serial"], bytes.Equal(data, msg), err)
	// Output:
	// -----BEGIN LMSKIT LICENSE-----
	// Serial: L-000123
	// System: OpenScape 4000
	//
	// LMSKIT LICENSE L-000123 true <nil>
}

// Key ids print and parse as 32 hexadecimal digits.
func ExampleParseKeyID() {
	id, err := signing.ParseKeyID("866EEFBD6718C8846CD7DDFE43FC74AB")
	fmt.Println(id, err)

	_, err = signing.ParseKeyID("866eefbd")
	fmt.Println(errors.Is(err, signing.ErrMalformed))
	// Output:
	// 866eefbd6718c8846cd7ddfe43fc74ab <nil>
	// true
}

// Keys are stored as PKCS#8 and PKIX PEM files that OpenSSL reads and writes.
func ExamplePublicKey_MarshalPEM() {
	pub := exampleKey("vendor").Public()
	pemBytes := pub.MarshalPEM()
	back, err := signing.ParsePublicKeyPEM(pemBytes)
	fmt.Println(strings.SplitN(string(pemBytes), "\n", 2)[0], back == pub, err)
	// Output:
	// -----BEGIN PUBLIC KEY----- true <nil>
}
