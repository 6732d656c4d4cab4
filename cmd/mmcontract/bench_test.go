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
