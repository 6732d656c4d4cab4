package main

import (
	"testing"
	"time"
)

// BenchmarkRunReadOnlySuite measures a whole `mmcontract run` of the
// read-only client suite against the embedded simulator, process start to
// exit: wall time per run and per check.
func BenchmarkRunReadOnlySuite(b *testing.B) {
	checks := 0
	var total time.Duration
	for i := 0; i < b.N; i++ {
		out := b.TempDir()
		start := time.Now()
		r := mmcontract(b, nil, "run", "--out", out, "--label-filter", "readonly && client && !catalog")
		total += time.Since(start)
		if r.code != 0 {
			b.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		res := readResults(b, out)
		checks = 0
		for _, c := range res.Checks {
			if c.Verdict != "skipped" {
				checks++
			}
		}
	}
	b.ReportMetric(float64(checks), "checks/run")
	if checks > 0 {
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N)/float64(checks), "ms/check")
	}
}

// BenchmarkRunOutage measures a default-suite run against each total-outage
// scenario: the run's own time (results.json finished_at - started_at) and
// the process's, start to exit. Each must exit 3.
func BenchmarkRunOutage(b *testing.B) {
	for _, sc := range []string{"http-502", "http-503", "http-504", "reset-mid-body", "rate-limit", "rate-limit-no-retry-after"} {
		b.Run(sc, func(b *testing.B) {
			var run, process time.Duration
			for i := 0; i < b.N; i++ {
				out := b.TempDir()
				start := time.Now()
				r := mmcontract(b, nil, "run", "--out", out, "--scenario", sc)
				process += time.Since(start)
				if r.code != 3 {
					b.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
				}
				run += readResults(b, out).Duration()
			}
			b.ReportMetric(run.Seconds()/float64(b.N), "run-s")
			b.ReportMetric(process.Seconds()/float64(b.N), "process-s")
		})
	}
}

// BenchmarkSmokeVsDefaultCPU measures the CPU (user + system, from the
// child's rusage) of a `smoke` run and of a default-suite run of the real
// binary on the simulator, interleaved in one benchmark so both see the same
// machine. smoke/default is the ratio the monitor pays per tick for a smoke
// job (the target: ≤ 0.15); a smoke run is mostly fixed per-process
// cost (start-up, schemas, report writing).
func BenchmarkSmokeVsDefaultCPU(b *testing.B) {
	var smoke, all time.Duration
	for i := 0; i < b.N; i++ {
		for _, run := range []struct {
			cpu  *time.Duration
			args []string
		}{{&smoke, []string{"--label-filter", "smoke"}}, {&all, nil}} {
			cmd := mmcontractCmd(b, nil, append([]string{"run", "--out", b.TempDir()}, run.args...)...)
			if err := cmd.Run(); err != nil {
				b.Fatalf("mmcontract run %v: %v", run.args, err)
			}
			*run.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}
	b.ReportMetric(smoke.Seconds()/float64(b.N), "smoke-cpu-s")
	b.ReportMetric(all.Seconds()/float64(b.N), "default-cpu-s")
	b.ReportMetric(float64(smoke)/float64(all), "smoke/default")
}
