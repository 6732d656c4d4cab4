package history_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/runner/history/pgtest"
)

// BenchmarkBeginFinishRun measures storing one run of 50 checks: two
// transactions, each fsynced (synchronous=FULL).
// Sub-benchmarks: sqlite, postgres (a local server with fsync off, so the
// figure is the protocol and SQL cost, not the disk).
func BenchmarkBeginFinishRun(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchBeginFinish(b, filepath.Join(b.TempDir(), "history.db")) })
	b.Run("postgres", func(b *testing.B) { benchBeginFinish(b, pgtest.URL(b)) })
}

func benchBeginFinish(b *testing.B, store string) {
	ctx := context.Background()
	s, err := history.Open(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	res := sampleResults(50, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, err := s.BeginRun(ctx, "bench", "staging", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.FinishRun(ctx, id, res, "", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrend measures the trend strip query: 50 runs of 50 checks.
func BenchmarkTrend(b *testing.B) {
	ctx := context.Background()
	s, err := history.Open(ctx, filepath.Join(b.TempDir(), "history.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	res := sampleResults(50, 0)
	for i := 0; i < 50; i++ {
		id, err := s.BeginRun(ctx, "bench", "staging", time.Now().Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.FinishRun(ctx, id, res, "", 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Trend(ctx, "bench", 50); err != nil {
			b.Fatal(err)
		}
	}
}
