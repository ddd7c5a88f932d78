// Package archtest holds no code: its test checks the direction of imports that DESIGN.md sets out
// (keycode and signing are leaves, license imports both, license/lmc imports license, entitlement
// imports keycode, signing and license), and that a PBX image linking only keycode, signing and
// license pulls in neither the ledger, its store drivers, nor net/http.
package archtest
