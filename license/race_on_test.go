//go:build race

package license

// raceEnabled: the race detector slows the simulations about tenfold, so they run scaled down.
const raceEnabled = true
