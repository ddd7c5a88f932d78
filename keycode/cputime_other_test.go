//go:build !linux

package keycode

import "time"

// threadCPU is unavailable here; benchmarks then report wall time only.
func threadCPU() (time.Duration, bool) { return 0, false }
