package alert_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
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
		if evs, err := e.Observe(ctx, out); err != nil || len(pages(evs)) != 0 {
			b.Fatalf("%v %d events", err, len(evs))
		}
	}
}

// BenchmarkOutboxThroughput measures delivery from the outbox to a webhook
// receiver on loopback: one HTTP POST and one synced "sent" mark per
// notification, in order.
func BenchmarkOutboxThroughput(b *testing.B) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	store := openHistoryB(b, filepath.Join(b.TempDir(), "history.db"))
	defer store.Close()
	hook, err := webhook.New("hook", webhook.Config{URL: srv.URL, Secret: "k"})
	if err != nil {
		b.Fatal(err)
	}
	d, err := alert.NewDispatcher(alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"hook": hook},
		Routes: []alert.Route{{Receiver: "hook"}}, Store: store, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Stop(context.Background())
	b.ResetTimer()
	start := time.Now()
	for queued := 0; queued < b.N; {
		n := min(100, b.N-queued)
		evs := make([]alert.Event, n)
		for i := range evs {
			evs[i] = sampleEvent(alert.Critical)
		}
		queue(b, store, d, evs...)
		queued += n
	}
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifications/s")
}

var outage = flag.Duration("outbox.outage", 3*time.Second, "BenchmarkOutboxRecovery: how long the receiver is down")

// BenchmarkOutboxRecovery measures what on-call waits for after a receiver
// outage: 200 notifications pile up while the receiver answers 500 for
// -outbox.outage, retried with the default backoff (1 s doubling, capped at
// 30 s); the metric is the time from the receiver's recovery to the
// delivery of the last of them. Run it with -benchtime 1x.
func BenchmarkOutboxRecovery(b *testing.B) {
	const pending = 200
	for i := 0; i < b.N; i++ {
		var down atomic.Bool
		var got atomic.Int64
		down.Store(true)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "outage", http.StatusInternalServerError)
				return
			}
			got.Add(1)
		}))
		store := openHistoryB(b, filepath.Join(b.TempDir(), "history.db"))
		hook, err := webhook.New("hook", webhook.Config{URL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		d, err := alert.NewDispatcher(alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"hook": hook},
			Routes: []alert.Route{{Receiver: "hook"}}, Store: store, Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		evs := make([]alert.Event, pending)
		for j := range evs {
			evs[j] = sampleEvent(alert.Critical)
		}
		queue(b, store, d, evs...)
		time.Sleep(*outage)
		down.Store(false)
		recovered := time.Now()
		for got.Load() < pending {
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(time.Since(recovered).Seconds(), "s_to_all_delivered")
		_ = d.Stop(context.Background())
		_ = store.Close()
		srv.Close()
	}
}
