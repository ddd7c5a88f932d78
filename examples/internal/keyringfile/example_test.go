package keyringfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/examples/internal/keyringfile"
	"github.com/lmskit/lmskit/signing"
)

// exampleKey is a fixed test key; real keys never live in source (the vendor's private key stays
// on the license server, and a keyring file holds only public keys).
func exampleKey(b byte) (*signing.PrivateKey, error) {
	return signing.NewKeyFromSeed(bytes.Repeat([]byte{b}, signing.SeedSize))
}

// A keyring file with the vendor's key rotated at the start of 2026: written with Format, loaded
// as the lmskit command line and the LMC daemon load it, and used to verify a message the new key
// signed. The package documentation's snippet is the body of verifyWith.
func Example() {
	if err := rotatedKeyring(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # lmskit keyring: the vendor keys license files may be signed with
	// -----BEGIN PUBLIC KEY-----
	// Comment: retired at the rotation
	// Key-ID: dd2fb4e18b5e1ce30c4633aaa5f681da
	// Not-After: 2026-01-01T00:00:00Z
	//
	// MCowBQYDK2VwAyEAiojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
	// -----END PUBLIC KEY-----
	// -----BEGIN PUBLIC KEY-----
	// Key-ID: 01565176601c895cad856c02c18a1c14
	// Not-Before: 2026-01-01T00:00:00Z
	//
	// MCowBQYDK2VwAyEAgTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=
	// -----END PUBLIC KEY-----
	// verified "licensed features", signed by the key of line 9
	// line 1: unknown header "Expires" (Key-ID, Not-Before, Not-After, Revoked, Comment)
}

func rotatedKeyring() error {
	dir, err := os.MkdirTemp("", "keyring-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	oldKey, err := exampleKey(1)
	if err != nil {
		return err
	}
	newKey, err := exampleKey(2)
	if err != nil {
		return err
	}
	switchOver := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	file := keyringfile.Format([]keyringfile.Entry{
		{Key: oldKey.Public(), Window: signing.Window{NotAfter: switchOver}, Comment: "retired at the rotation"},
		{Key: newKey.Public(), Window: signing.Window{NotBefore: switchOver}},
	})
	fmt.Print(string(file))
	path := filepath.Join(dir, "keyring.pem")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		return err
	}

	msg, err := signing.Sign1(newKey, []byte("licensed features"), nil)
	if err != nil {
		return err
	}
	if err := verifyWith(path, msg); err != nil {
		return err
	}

	// A mistake in the file is an error naming its line.
	_, err = keyringfile.Parse([]byte("-----BEGIN PUBLIC KEY-----\nExpires: 2027-01-01\n\nMCowBQYDK2VwAyEAgTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=\n-----END PUBLIC KEY-----\n"))
	var pe *keyringfile.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("want a *keyringfile.ParseError, got %v", err)
	}
	fmt.Printf("line %d: %s\n", pe.Line, pe.Reason)
	return nil
}

// verifyWith loads the keyring file at path and verifies msg with its keys.
func verifyWith(path string, msg []byte) error {
	kr, err := keyringfile.Load(path) // the file named by -keyring
	if err != nil {
		return err // a *keyringfile.ParseError names the line
	}
	payload, kid, err := kr.Keyring.Verify1(msg, nil) // or license.Open(signed, kr.Keyring)
	if err != nil {
		return err
	}
	for _, e := range kr.Entries {
		if bytes.Equal(e.Key.KeyID().Bytes(), kid) {
			fmt.Printf("verified %q, signed by the key of line %d\n", payload, e.Line)
		}
	}
	return nil
}
