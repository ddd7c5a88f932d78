package seal_test

import (
	"errors"
	"fmt"

	"github.com/lmskit/lmskit/internal/seal"
)

// A device's state record sealed under a key derived from a fixed test secret (real firmware
// secrets never live in source) and the host's identity: it opens on the same host, and fails on
// another host, as another kind, or with one byte changed.
func Example() {
	if err := sealState(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// sealed 28 bytes into 73
	// opened: {"trial_start":"2026-03-01"}
	// another host: true
	// another kind: true
	// one byte changed: true
}

func sealState() error {
	secret := []byte("example firmware secret, not a real one")
	identity := []byte("SV9100 CP10\x003450A2B1C0D9") // the host's system and key code
	key, err := seal.NewKey(secret, identity, "lmskit device state")
	if err != nil {
		return err
	}
	sealed := key.Seal("state", []byte(`{"trial_start":"2026-03-01"}`)) // written to the device's disk
	fmt.Printf("sealed %d bytes into %d\n", len(sealed)-seal.Overhead, len(sealed))

	state, err := key.Open("state", sealed) // read back at start-up
	if err != nil {
		return err // errors.Is(err, seal.ErrAuth): edited, or not this host's
	}
	fmt.Printf("opened: %s\n", state)

	other, err := seal.NewKey(secret, []byte("SV9100 CP10\x003450A2B1C0DA"), "lmskit device state")
	if err != nil {
		return err
	}
	_, err = other.Open("state", sealed)
	fmt.Println("another host:", errors.Is(err, seal.ErrAuth))
	_, err = key.Open("trial marker", sealed)
	fmt.Println("another kind:", errors.Is(err, seal.ErrAuth))
	sealed[len(sealed)/2] ^= 1
	_, err = key.Open("state", sealed)
	fmt.Println("one byte changed:", errors.Is(err, seal.ErrAuth))
	return nil
}
