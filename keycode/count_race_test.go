//go:build race

package keycode

// collisionCount is smaller under the race detector, which slows the derivations tenfold; the plain
// test run covers the full 1,000,000.
const collisionCount = 50_000
