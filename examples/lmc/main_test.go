package main

import "testing"

// TestRun runs the example end to end, so CI notices when it breaks.
func TestRun(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
