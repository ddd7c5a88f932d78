package entitlement_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
		s := entitlement.NewMemStore()
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// TestFileStoreConformance runs the suite on the bbolt store with fsync on (durability is part of
// what Reopen checks, and the suite is small enough).
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

// TestFileStoreGroupCommitConformance runs the suite on the bbolt store with group commit, where
// concurrent Updates share a transaction and a function may run more than once.
func TestFileStoreGroupCommitConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
		s, err := entitlement.OpenFile(filepath.Join(t.TempDir(), "ledger.db"), &entitlement.FileOptions{GroupCommit: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}})
}
