package signing

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veraison/go-cose"
)

// fuzzKeyring trusts test key "a" under its KeyID and the RFC 8032 TEST 1 key under "11" (the COSE WG
// examples' kid), so fuzzed messages can reach signature checking.
func fuzzKeyring(f *testing.F) (*Keyring, *PrivateKey) {
	k := testKey(f, "a")
	kr := trust(f, k)
	wg, err := NewKeyFromSeed(mustHex(f, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	if err != nil {
		f.Fatal(err)
	}
	if err := kr.Add([]byte("11"), wg.Public(), Window{}); err != nil {
		f.Fatal(err)
	}
	return kr, k
}

// addVerifySeeds seeds f with valid messages of every shape and with the rejected vectors.
func addVerifySeeds(f *testing.F, k *PrivateKey) {
	for _, o := range []*Sign1Options{nil, {ContentType: "application/cbor"}, {Algorithm: AlgEd25519}, {KeyID: []byte("11")}} {
		msg, err := Sign1(k, []byte("seed payload"), o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
		f.Add(msg[1:]) // untagged
	}
	kid := k.Public().KeyID().Bytes()
	f.Add(handMessage(f, k, true, enc(f, map[any]any{1: -8, 2: []any{4}, 4: kid, "x": []any{1, 2}}), enc(f, map[int]any{3: 60}), []byte("p"), nil))
	for _, dir := range []string{"eddsa-examples", "sign1-tests"} {
		files, err := filepath.Glob(filepath.Join("testdata", "cose", dir, "*.json"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed vectors in testdata/cose/%s: %v", dir, err)
		}
		for _, file := range files {
			_, msg := loadCOSEVector(f, filepath.Join(dir, filepath.Base(file)))
			f.Add(msg)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xd2, 0x9f, 0xff})
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40})
}

// FuzzVerify1: no input panics; an error comes with no payload or kid and wraps exactly one sentinel;
// an accepted message is parsed the same way again and its payload is the one in the message.
func FuzzVerify1(f *testing.F) {
	kr, k := fuzzKeyring(f)
	addVerifySeeds(f, k)
	f.Fuzz(func(t *testing.T, msg []byte) {
		payload, kid, err := kr.Verify1(msg, nil)
		if err != nil {
			if payload != nil || kid != nil {
				t.Fatalf("payload or kid returned with error %v", err)
			}
			if sentinelOf(err) == nil {
				t.Fatalf("error wraps no single sentinel: %v", err)
			}
			return
		}
		var m sign1
		if perr := parseSign1(msg, &m); perr != nil {
			t.Fatalf("accepted by Verify1, refused by parseSign1: %v", perr)
		}
		if !bytes.Equal(payload, m.payload) || !bytes.Equal(kid, m.hdr.kid) {
			t.Fatal("returned payload or kid differ from the message's")
		}
		// With RequireCanonical, an accepted message is exactly the re-encoding of its parts.
		if _, err := kr.Verify(msg, &VerifyOptions{RequireCanonical: true}); err == nil {
			var re []byte
			re = appendHead(re, majorTag, tagSign1)
			re = appendHead(re, majorArray, 4)
			re = appendHead(re, majorBytes, uint64(len(m.protected)))
			re = append(re, m.protected...)
			re = appendHead(re, majorMap, 0)
			re = appendHead(re, majorBytes, uint64(len(m.payload)))
			re = append(re, m.payload...)
			re = appendHead(re, majorBytes, uint64(len(m.signature)))
			re = append(re, m.signature...)
			if !bytes.Equal(re, msg) {
				t.Fatalf("canonical message differs from its re-encoding:\n%x\n%x", msg, re)
			}
		}
		if len(payload) > 0 {
			payload[0] ^= 0xff // the caller owns the copy; the message is unchanged
		}
		if _, _, err := kr.Verify1(msg, nil); err != nil {
			t.Fatalf("second Verify1 after changing the returned payload: %v", err)
		}
	})
}

// FuzzSign1RoundTrip: whatever the payload, AAD and content type, Sign1's message verifies here and in
// go-cose, and carries the payload unchanged.
func FuzzSign1RoundTrip(f *testing.F) {
	k := testKey(f, "a")
	kr := trust(f, k)
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, ed25519.PublicKey(k.Public().Bytes()))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("payload"), []byte(nil), "")
	f.Add([]byte{}, []byte("aad"), "application/cbor")
	f.Add(bytes.Repeat([]byte{0xff}, 300), bytes.Repeat([]byte{1}, 24), "application/"+strings.Repeat("t", 24))
	f.Add([]byte("x"), []byte(nil), "text/plain; charset=utf-8")
	f.Fuzz(func(t *testing.T, payload, aad []byte, ct string) {
		msg, err := Sign1(k, payload, &Sign1Options{ExternalAAD: aad, ContentType: ct})
		if err != nil {
			if ct != "" && checkContentType(ct) != nil {
				return // a content type that is not a media type: refused, as documented
			}
			t.Fatalf("Sign1: %v", err)
		}
		got, _, err := kr.Verify1(msg, aad)
		if err != nil {
			t.Fatalf("Verify1: %v", err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatal("payload changed in the round trip")
		}
		var m cose.Sign1Message
		if err := m.UnmarshalCBOR(msg); err != nil {
			t.Fatalf("go-cose decode: %v", err)
		}
		if err := m.Verify(aad, verifier); err != nil {
			t.Fatalf("go-cose verify: %v", err)
		}
	})
}

// FuzzDearmor: no input panics; an accepted block re-armors to a block that reads back the same.
func FuzzDearmor(f *testing.F) {
	k := testKey(f, "a")
	msg, _ := Sign1(k, []byte("x"), nil)
	f.Add(Armor("LMSKIT LICENSE", map[string]string{"System": "OS4K", "Serial": "1"}, msg))
	f.Add(Armor("X", nil, nil))
	f.Add([]byte("-----BEGIN X-----\nA: b\n\nAAAA\n-----END X-----\n"))
	f.Add([]byte("-----BEGIN X-----\n!!!\n-----END X-----\n-----BEGIN Y-----\n-----END Y-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		typ, headers, data, err := Dearmor(in)
		if err != nil {
			if typ != "" || headers != nil || data != nil {
				t.Fatal("partial result with an error")
			}
			return
		}
		again := Armor(typ, headers, data)
		typ2, headers2, data2, err := Dearmor(again)
		if err != nil {
			t.Fatalf("re-armored block does not read back: %v\n%q", err, again)
		}
		if typ2 != typ || !bytes.Equal(data2, data) || len(headers2) != len(headers) {
			t.Fatal("re-armored block reads back differently")
		}
		for key, v := range headers {
			if headers2[key] != v {
				t.Fatalf("header %q: %q became %q", key, v, headers2[key])
			}
		}
	})
}

// FuzzArmorRoundTrip: whatever the header value and data, Armor's output reads back with Dearmor to
// the same type, data and header (the value with line breaks turned into spaces and trimmed, as Armor
// documents).
func FuzzArmorRoundTrip(f *testing.F) {
	f.Add("HWKC", "aa0014SA2792883418AA", []byte("x"))
	f.Add("A", "-----BEGIN LMSKIT LICENSE-----", []byte{})
	f.Add("B", "x\n-----END LMSKIT LICENSE-----\r\n", []byte{0xd2, 0x84})
	f.Add("Proc-Type", "4,ENCRYPTED", []byte("y"))
	f.Fuzz(func(t *testing.T, key, value string, data []byte) {
		armored := Armor("LMSKIT LICENSE", map[string]string{key: value}, data)
		if !validHeaderKey(key) {
			if armored != nil {
				t.Fatalf("Armor wrote header key %q: %q", key, armored)
			}
			return
		}
		typ, headers, got, err := Dearmor(armored)
		if len(armored) > MaxArmorSize {
			if err == nil {
				t.Fatal("Dearmor read a block over MaxArmorSize")
			}
			return
		}
		if err != nil {
			t.Fatalf("Armor's output does not read back: %v\n%q", err, armored)
		}
		if typ != "LMSKIT LICENSE" || !bytes.Equal(got, data) || len(headers) != 1 {
			t.Fatalf("read back %q %q %x", typ, headers, got)
		}
		// Line breaks become spaces and the value is trimmed; dashes are shortened only where five
		// in a row would read as an armor line.
		oneLine := strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(value))
		v, ok := headers[key]
		switch {
		case !ok || strings.Contains(v, "-----") || strings.ContainsAny(v, "\r\n"):
			t.Fatalf("header %q read back as %q", key, v)
		case !strings.Contains(oneLine, "-----") && v != oneLine:
			t.Fatalf("header %q: %q read back as %q, want %q", key, value, v, oneLine)
		}
	})
}

// FuzzParseKeyPEM: no input panics; an accepted key writes back to a file that reads as the same key.
func FuzzParseKeyPEM(f *testing.F) {
	k := testKey(f, "a")
	f.Add(k.MarshalPEM())
	f.Add(k.Public().MarshalPEM())
	for _, name := range []string{"rfc8032-test1-private.pem", "rfc8032-test1-public.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if priv, err := ParsePrivateKeyPEM(in); err == nil {
			back, err := ParsePrivateKeyPEM(priv.MarshalPEM())
			if err != nil || back.Public() != priv.Public() {
				t.Fatalf("private key does not round-trip: %v", err)
			}
		} else if priv != nil {
			t.Fatal("key returned with an error")
		}
		if pub, err := ParsePublicKeyPEM(in); err == nil {
			back, err := ParsePublicKeyPEM(pub.MarshalPEM())
			if err != nil || back != pub {
				t.Fatalf("public key does not round-trip: %v", err)
			}
		} else if pub.IsValid() {
			t.Fatal("key returned with an error")
		}
	})
}

// FuzzParseKeyID: an accepted id prints as the lower-case form of its input and parses back.
func FuzzParseKeyID(f *testing.F) {
	f.Add("866eefbd6718c8846cd7ddfe43fc74ab")
	f.Add("866EEFBD6718C8846CD7DDFE43FC74AB")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseKeyID(s)
		if err != nil {
			if id.IsValid() {
				t.Fatal("valid id with an error")
			}
			return
		}
		if id.String() != strings.ToLower(s) {
			t.Fatalf("String = %q for input %q", id.String(), s)
		}
		if back, err := ParseKeyID(id.String()); err != nil || back != id {
			t.Fatalf("does not round-trip: %v", err)
		}
	})
}
