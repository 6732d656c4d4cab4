package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator/sample"
	"github.com/mmcontract/mmcontract/runner/drift"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// BenchmarkSpecVsLive measures what comparing a new spec version with the
// live shapes adds to a spec tick: specVsLive on the vendor's oldest and
// newest CN Client API specs (../shared/vendor/history; skipped without
// it) with the live shapes of findCustomerInfo and a 10,000-symbol
// getSymbolBaseList, beside specdiff.Diff of the same two versions
// (x-diff is the ratio of the two times).
func BenchmarkSpecVsLive(b *testing.B) {
	dir := filepath.Join("..", "..", "..", "shared", "vendor", "history")
	load := func(name string) *specdiff.Spec {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Skipf("vendor history not present: %v", err)
		}
		s, err := specdiff.Load(raw)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	oldSpec, newSpec := load("ClientAPI.cn.2024-07-26.301ee13.yaml"), load("ClientAPI.cn.2024-09-05.06f6cec.yaml")
	live := map[string]liveShape{}
	for biz, body := range map[string]func() ([]byte, error){
		sample.FindCustomerInfo:  sample.FindCustomerInfoBody,
		sample.GetSymbolBaseList: func() ([]byte, error) { return sample.SymbolBaseListBody(10000) },
	} {
		raw, err := body()
		if err != nil {
			b.Fatal(err)
		}
		s, err := drift.Infer(raw)
		if err != nil {
			b.Fatal(err)
		}
		live[biz] = liveShape{shape: s, where: "job j, run r"}
	}
	start := time.Now()
	const diffs = 20
	var report specdiff.Report
	for range diffs {
		report = specdiff.Diff(oldSpec, newSpec)
	}
	perDiff := time.Since(start) / diffs
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(specVsLive(report, newSpec, live))
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(perDiff), "x-diff")
	b.ReportMetric(float64(n), "disagreements")
}
