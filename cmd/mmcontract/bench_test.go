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
