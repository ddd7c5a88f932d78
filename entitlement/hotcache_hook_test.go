package entitlement

// SetHotCacheBounds sets the bounds of the embedded store's cache of recent records for a test
// and returns a function that restores them.
func SetHotCacheBounds(entries, bytes int) (restore func()) {
	e, b := hotEntries, hotBytes
	hotEntries, hotBytes = entries, bytes
	return func() { hotEntries, hotBytes = e, b }
}

// Probe is the ledger's read of a key that is most likely absent, for tests.
func Probe(tx Tx, bucket, key string) ([]byte, bool, error) { return probe(tx, bucket, key) }
