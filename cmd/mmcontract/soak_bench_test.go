package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

var soakFor = flag.Duration("monitor.soak", 30*time.Second,
	"how long BenchmarkMonitorSoak runs the monitor (the README's figures use 10m)")

// BenchmarkMonitorSoak runs the real monitor against the simulator with the
// whole default suite scheduled @every 1s for -monitor.soak, and reports the
// throughput and the CPU and memory of the monitor and its child runs, read
// from /proc: checks per minute, CPU seconds, peak RSS, and the monitor's RSS
// in the first and the last minute (flat means no leak). Run it once:
//
//	go test ./cmd/mmcontract -run '^$' -bench MonitorSoak -benchtime 1x -monitor.soak 10m
func BenchmarkMonitorSoak(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc")
	}
	dir := b.TempDir()
	_, simURL := simServer(b, "nominal")
	store := filepath.Join(dir, "store", "history.db")
	cfg := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
store: %s
targets:
  sim:
    base_url: %s
    company_id: "%s"
    login_name: ${MM_LOGIN_NAME}
    login_password: ${MM_LOGIN_PASSWORD}
jobs:
  - name: customer
    target: sim
    schedule: "@every 1s"
    timeout: 1m
    request_timeout: 5s
`, store, simURL, simulator.DefaultCompanyID)), 0o600); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		p := startMonitor(b, cfg)
		pid := p.cmd.Process.Pid
		var (
			start                   = time.Now()
			peakMon, peakChild      int64
			firstMinute, lastMinute int64
		)
		for time.Since(start) < *soakFor {
			time.Sleep(500 * time.Millisecond)
			rss := rssKB(pid)
			peakMon = max(peakMon, rss)
			if time.Since(start) < time.Minute || firstMinute == 0 {
				firstMinute = max(firstMinute, rss)
			}
			if *soakFor-time.Since(start) < time.Minute {
				lastMinute = max(lastMinute, rss)
			}
			for _, c := range childrenOf(pid) {
				peakChild = max(peakChild, rssKB(c))
			}
		}
		monCPU, childCPU := cpuSeconds(pid)
		elapsed := time.Since(start)
		if code := p.stop(b); code != 0 {
			b.Fatalf("monitor exit %d", code)
		}
		checks, runs, skipped := 0, 0, 0
		for _, r := range storeRuns(b, store, "customer") {
			switch {
			case r.Verdict == verdict.Skipped:
				skipped++
			case !r.FinishedAt.IsZero():
				runs++
				for v, n := range r.Counts {
					if v != verdict.Skipped {
						checks += n
					}
				}
			}
		}
		if runs == 0 {
			b.Fatal("no finished runs")
		}
		b.ReportMetric(float64(checks)/elapsed.Minutes(), "checks/min")
		b.ReportMetric(float64(runs), "runs")
		b.ReportMetric(float64(skipped), "skipped-ticks")
		b.ReportMetric(monCPU, "monitor-cpu-s")
		b.ReportMetric(childCPU, "children-cpu-s")
		b.ReportMetric(float64(peakMon)/1024, "monitor-peak-MB")
		b.ReportMetric(float64(firstMinute)/1024, "monitor-first-min-MB")
		b.ReportMetric(float64(lastMinute)/1024, "monitor-last-min-MB")
		b.ReportMetric(float64(peakChild)/1024, "child-peak-MB")
	}
}

// rssKB reads VmRSS of pid in KiB, or 0 when it has exited.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// cpuSeconds reads a process's own CPU time and that of its children that
// have been waited for (utime+stime, cutime+cstime), in seconds.
func cpuSeconds(pid int) (self, children float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(string(b[i+1:]))
	// After ")": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
	if len(f) < 15 {
		return 0, 0
	}
	tick := func(s string) float64 { n, _ := strconv.ParseFloat(s, 64); return n / 100 } // USER_HZ is 100 on Linux
	return tick(f[11]) + tick(f[12]), tick(f[13]) + tick(f[14])
}
