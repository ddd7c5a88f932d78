// Package archtest holds no code: its test reads the module's dependency graph with `go list
// -deps` and checks the design's layout, so run it as a test:
//
//	go test ./internal/archtest
//
// It checks the direction of imports (keycode and signing are leaves, license imports both,
// license/lmc imports license, entitlement imports keycode, signing and license; the packages
// under entitlement and swa build on the core and the core imports none of them), and that a PBX
// image linking only keycode, signing and license pulls in neither the ledger, its store drivers,
// nor net/http. Having no exported names, it has no Example.
package archtest
