//go:build race

package license

// raceEnabled: the race detector slows the simulations about tenfold, so they run scaled down
// (see simScale).
const raceEnabled = true
