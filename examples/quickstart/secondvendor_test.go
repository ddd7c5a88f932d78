package main

import "testing"

// TestRunSecondVendor: the second vendor's part of the quickstart prints exactly the golden
// output, every run.
func TestRunSecondVendor(t *testing.T) { checkGolden(t, "secondvendor.golden", runSecondVendor) }
