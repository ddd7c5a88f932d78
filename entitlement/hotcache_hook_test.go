package entitlement

// SetHotCacheBounds sets the bounds of the embedded store's cache of recent records for a test
// and returns a function that restores them.
func SetHotCacheBounds(entries, bytes int) (restore func()) {
	e, b := hotEntries, hotBytes
	hotEntries, hotBytes = entries, bytes
	return func() { hotEntries, hotBytes = e, b }
}
