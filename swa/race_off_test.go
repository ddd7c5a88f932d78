//go:build !race

package swa_test

const raceEnabled = false
