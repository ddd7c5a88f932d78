//go:build !race

package keycode

// collisionCount is how many inputs TestDerive_NoCollisions derives per derivation.
const collisionCount = 1_000_000
