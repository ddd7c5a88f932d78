//go:build race

package entitlement_test

// raceEnabled shortens the random sequences under the race detector, which slows them tenfold.
const raceEnabled = true
