//go:build !linux

package monitor

import "syscall"

// dieWithParent does nothing here: only Linux has Pdeathsig. After a kill -9
// of the monitor its child runs to its own end (it is bounded by its
// --timeout per request and the run-wide budget); the store refuses to
// finish a run the next monitor marked interrupted, so the orphan cannot
// rewrite history (see the README).
func dieWithParent(*syscall.SysProcAttr) {}
