package entitlement

import (
	"slices"
	"testing"
)

// TestExport_EveryBucketCovered: every bucket of the ledger is exported as records or rebuilt by
// Import as an index, so a bucket added to the ledger cannot be left out of backups unnoticed.
func TestExport_EveryBucketCovered(t *testing.T) {
	for _, b := range allBuckets {
		rec := slices.ContainsFunc(exported, func(e struct{ bucket, typ string }) bool { return e.bucket == b })
		idx := slices.Contains(indexBuckets, b)
		if rec == idx {
			t.Errorf("bucket %s: exported %v, rebuilt as an index %v; want exactly one", b, rec, idx)
		}
	}
	for _, e := range exported {
		if !slices.Contains(allBuckets, e.bucket) {
			t.Errorf("exported bucket %s is not a ledger bucket", e.bucket)
		}
	}
}
