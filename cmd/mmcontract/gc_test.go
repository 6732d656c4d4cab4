package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gcPolicy reads the process's GOGC percentage and memory limit.
func gcPolicy() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

// Ensure a run collects first near gcFloor and then under the default
// policy again, and that an operator's GOGC or GOMEMLIMIT stands.
func TestRaiseGCFloor(t *testing.T) {
	percent, limit := gcPolicy()
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})

	for _, env := range []map[string]string{{"GOGC": "200"}, {"GOMEMLIMIT": "1GiB"}} {
		raiseGCFloor(func(k string) string { return env[k] })
		if p, l := gcPolicy(); p != percent || l != limit {
			t.Fatalf("with %v the policy became GOGC %d, limit %d", env, p, l)
		}
	}

	raiseGCFloor(func(string) string { return "" })
	if p, l := gcPolicy(); p != -1 || l != gcFloor {
		t.Fatalf("before the first collection: GOGC %d, limit %d; want off and %d", p, l, gcFloor)
	}
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, l := gcPolicy()
		if p == percent && l == math.MaxInt64 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a collection: GOGC %d, limit %d; want %d and none", p, l, percent)
		}
		runtime.GC() // the cleanup runs on its own goroutine after a cycle
		time.Sleep(10 * time.Millisecond)
	}
}
