package alert_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// BenchmarkObserveSteadyState measures the common case: a run of 100
// checks, two of them drifting, with their alerts already firing (load,
// compare, persist, no events).
func BenchmarkObserveSteadyState(b *testing.B) {
	ctx := context.Background()
	store := openHistoryB(b, filepath.Join(b.TempDir(), "history.db"))
	defer store.Close()
	e, err := alert.NewEngine(store, alert.Config{})
	if err != nil {
		b.Fatal(err)
	}
	out := alert.RunOutcome{Job: "customer", Target: "staging", RunID: "r"}
	for i := 0; i < 100; i++ {
		out.Checks = append(out.Checks, pass(fmt.Sprintf("op.%d", i)))
	}
	out.Checks[3] = drift("op.3", d("/data/a", "removed", "breaking"))
	out.Checks[7] = drift("op.7", d("/data/b", "added", "info"))
	out.Verdict = verdict.Broken
	if evs, err := e.Observe(ctx, out); err != nil || len(evs) != 2 {
		b.Fatalf("priming run: %v %d events", err, len(evs))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if evs, err := e.Observe(ctx, out); err != nil || len(evs) != 0 {
			b.Fatalf("%v %d events", err, len(evs))
		}
	}
}
