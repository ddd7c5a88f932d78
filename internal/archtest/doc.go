// Package archtest holds no code: its test checks the direction of imports of the design
// (keycode and signing are leaves, license imports both, license/lmc imports license, entitlement
// imports keycode, signing and license; the packages under entitlement and swa build on the core
// and the core imports none of them), and that a PBX image linking only keycode, signing and
// license pulls in neither the ledger, its store drivers, nor net/http.
package archtest
