package main

import (
	"math"
	"runtime"
	"runtime/debug"
)

// gcFloor is the heap a run grows to before its first collection.
//
// A run is a short batch process (the monitor starts one per tick) whose
// live heap is small: 4 MB for a smoke run, 17 MB for a default run on the
// simulator. With the runtime's default policy (a collection each time the
// heap doubles, from 4 MB) a smoke run collects 8 times and a default run
// 14 times, and because a run mostly waits on the network, the collector's
// idle workers spend that waiting on marking: a fifth of a smoke run's CPU.
// Letting the heap reach gcFloor first takes that cost away from short runs
// and bounds what it costs in memory: at most gcFloor, far below the
// deployments' limits (256 MiB for the nightly job), after which the
// default policy applies as before.
const gcFloor = 64 << 20

// raiseGCFloor makes the process collect first when its heap nears gcFloor
// and then go back to the default policy (GOGC=100, no memory limit), unless
// the operator chose a policy with GOGC or GOMEMLIMIT, which then stands.
func raiseGCFloor(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	percent := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcFloor)
	// The first collection finds the sentinel unreachable and its cleanup
	// restores the default policy; with no collection before exit, a short
	// run collected nothing at all.
	sentinel := new(gcSentinel)
	runtime.AddCleanup(sentinel, func(percent int) {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(math.MaxInt64)
	}, percent)
}

// gcSentinel holds a pointer so that it is never batched with other tiny
// allocations, whose cleanups may never run.
type gcSentinel struct{ _ *int }
