package monitor

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
)

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

type footprint struct {
	goroutines, fds int
	heap            uint64
}

func measure() footprint {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{goroutines: runtime.NumGoroutine(), fds: openFDs(), heap: ms.HeapAlloc}
}

// Ensure many ticks of a cheap job (the whole path but the child process:
// store, alert engine, dispatcher, metrics, retention) leak no goroutine and
// no file descriptor. Each tick alternates broken and passing results, so
// alerts fire, resolve and reach the webhook every other tick.
func TestTicksDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const warmup, ticks = 20, 300
	m, done := leakMonitor(t)
	defer done()
	tick := flipFlop(m)
	for range warmup {
		tick()
	}
	before := measure()
	for range ticks {
		tick()
	}
	after := measure()
	t.Logf("after %d ticks: goroutines %d -> %d, fds %d -> %d, heap %d KiB -> %d KiB", ticks, before.goroutines,
		after.goroutines, before.fds, after.fds, before.heap>>10, after.heap>>10)
	if after.goroutines > before.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d over %d ticks", before.goroutines, after.goroutines, ticks)
	}
	if before.fds > 0 && after.fds > before.fds+2 {
		t.Errorf("open file descriptors grew from %d to %d over %d ticks", before.fds, after.fds, ticks)
	}
}

// BenchmarkTick measures one tick of a cheap job through the monitor's full
// path but the child process, and reports goroutine, FD and heap growth over
// the whole benchmark (run with -benchtime=10000x for the README figure).
func BenchmarkTick(b *testing.B) {
	m, done := leakMonitor(b)
	defer done()
	tick := flipFlop(m)
	for range 20 {
		tick()
	}
	before := measure()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tick()
	}
	b.StopTimer()
	after := measure()
	b.ReportMetric(float64(after.goroutines-before.goroutines), "goroutines-delta")
	b.ReportMetric(float64(after.fds-before.fds), "fds-delta")
	b.ReportMetric(float64(int64(after.heap)-int64(before.heap))/1024, "heap-KiB-delta")
}

// leakMonitor is a monitor whose webhook receiver keeps nothing, so any
// growth measured is the monitor's own.
func leakMonitor(tb testing.TB) (*Monitor, func()) {
	tb.Helper()
	var received atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	cfg := baseConfig(tb, hs.URL)
	cfg.Retention.MaxRuns = 100
	m := newTestMonitor(tb, cfg, &fakeRunner{results: passResults})
	return m, func() { _ = m.Close(); hs.Close() }
}

// flipFlop returns a tick alternating broken and passing results.
func flipFlop(m *Monitor) func() {
	f := m.runner.(*fakeRunner)
	n := 0
	return func() {
		if n%2 == 0 {
			f.set(brokenResults(testOp))
		} else {
			f.set(passResults)
		}
		n++
		m.Tick("customer")
	}
}
