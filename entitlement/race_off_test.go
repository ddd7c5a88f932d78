//go:build !race

package entitlement_test

const raceEnabled = false
