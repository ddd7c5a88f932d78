package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lmskit/lmskit/internal/atomicfile"
	"github.com/lmskit/lmskit/signing"
)

// keys are the server's secrets, kept in the data directory, never in the ledger.
type keys struct {
	issuer  *signing.PrivateKey // signs license files (issuer.pem, PKCS #8 PEM)
	deriver []byte              // derives virtual hardware key codes (deriver.key, 32 raw bytes)
	audit   []byte              // keys the audit chain's HMAC (audit.key, 32 raw bytes)
}

// loadKeys reads the keys from dir, creating dir (0700) and any missing key (0600) first. A key
// file readable by others is refused.
func loadKeys(dir string) (keys, error) {
	var k keys
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, err
	}
	issuer, err := secretFile(filepath.Join(dir, "issuer.pem"), func() ([]byte, error) {
		key, err := signing.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return key.MarshalPEM(), nil
	})
	if err != nil {
		return k, err
	}
	if k.issuer, err = signing.ParsePrivateKeyPEM(issuer); err != nil {
		return k, fmt.Errorf("issuer.pem: %w", err)
	}
	random := func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	}
	if k.deriver, err = secretFile(filepath.Join(dir, "deriver.key"), random); err != nil {
		return k, err
	}
	if k.audit, err = secretFile(filepath.Join(dir, "audit.key"), random); err != nil {
		return k, err
	}
	for name, b := range map[string][]byte{"deriver.key": k.deriver, "audit.key": k.audit} {
		if len(b) != 32 {
			return k, fmt.Errorf("%s: %d bytes, want 32", name, len(b))
		}
	}
	return k, nil
}

// secretFile returns the file's bytes, creating it with create's bytes (mode 0600, written
// atomically) when it does not exist.
func secretFile(path string, create func() ([]byte, error)) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err := create()
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	return os.ReadFile(path)
}
