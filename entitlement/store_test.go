package entitlement_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
		s := entitlement.NewMemStore()
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// TestFileStoreConformance runs the suite on the default durable store with sync on (durability
// is part of what Reopen checks, and the suite is small enough).
func TestFileStoreConformance(t *testing.T) {
	var lastPath string // subtests run one after another
	storetest.Run(t, storetest.Opener{
		Open: func(t *testing.T) entitlement.Store {
			path := filepath.Join(t.TempDir(), "ledger.db")
			lastPath = path
			s, err := entitlement.OpenFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		Reopen: func(t *testing.T, s entitlement.Store) entitlement.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := entitlement.OpenFile(lastPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s2.Close() })
			return s2
		},
	})
}

// TestBoltFormatStoreConformance runs the suite on a ledger file of the earlier bbolt format,
// which OpenFile still opens on bbolt: with a transaction per Update and with its group commit
// (concurrent Updates share a transaction and a function may run more than once).
func TestBoltFormatStoreConformance(t *testing.T) {
	for _, group := range []time.Duration{0, time.Millisecond} {
		t.Run(fmt.Sprint("group=", group), func(t *testing.T) {
			storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
				path := filepath.Join(t.TempDir(), "ledger.db")
				db, err := bolt.Open(path, 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
				s, err := entitlement.OpenFile(path, &entitlement.FileOptions{GroupCommit: group})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}})
		})
	}
}
