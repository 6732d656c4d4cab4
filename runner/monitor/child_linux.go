package monitor

import "syscall"

// dieWithParent makes the kernel SIGKILL the child when the monitor dies,
// however it dies (kill -9 included). Pdeathsig fires when the thread that
// started the child exits; Go only ends threads whose goroutine locked them,
// and the monitor never starts children from such a goroutine.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
