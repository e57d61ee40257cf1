//go:build !linux

package kern

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
