//go:build !unix

package fidlenet

import "time"

func processCPU() time.Duration { return 0 }
