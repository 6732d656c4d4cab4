package monitor

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/runner/history/pgtest"

	"log/slog"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var replicaBenchFor = flag.Duration("replicas.duration", 2*time.Minute,
	"how long BenchmarkReplicas runs its replicas (the README figure: 2m, with -benchtime 1x)")

// BenchmarkReplicas runs 3 monitors on one PostgreSQL store with 20 jobs
// each ticking every second, every job alternating broken and passing runs,
// so each job fires and resolves an alert every other run. It reports the
// runs recorded, the pages the webhook received and the duplicates among
// them (an event id received twice, or one alert notified twice in the same
// state in a row): replicas must deliver every page exactly once. Run with
// -benchtime 1x.
func BenchmarkReplicas(b *testing.B) {
	const replicas, jobs = 3, 20
	url := pgtest.URL(b)
	var (
		mu      sync.Mutex
		ids     = map[string]int{}
		last    = map[string]alert.Status{}
		pages   int
		repeats int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev alert.Event
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		pages++
		ids[ev.ID]++
		if last[ev.Fingerprint] == ev.Status {
			repeats++
		}
		last[ev.Fingerprint] = ev.Status
		mu.Unlock()
	}))
	defer hook.Close()

	// One flip-flop per job, shared by the replicas: whoever runs a job's
	// next tick gets the other outcome.
	var flipMu sync.Mutex
	flips := map[string]int{}
	runner := &fakeRunner{results: func(req RunRequest) RunResult {
		flipMu.Lock()
		n := flips[req.Job]
		flips[req.Job]++
		flipMu.Unlock()
		if n%2 == 0 {
			return brokenResults(testOp)(req)
		}
		return passResults(req)
	}}
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), *replicaBenchFor)
		var wg sync.WaitGroup
		for r := range replicas {
			cfg := baseConfig(b, hook.URL)
			cfg.Store = url
			cfg.Alerting.FlapWindow = new(Duration) // page every transition
			cfg.Jobs = nil
			for j := range jobs {
				cfg.Jobs = append(cfg.Jobs, Job{Name: fmt.Sprintf("job-%02d", j), Target: "sim", Schedule: "@every 1s",
					LabelFilter: "readonly", Timeout: Duration(30 * time.Second)})
			}
			cfg.SetDefaults()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			m, err := New(context.Background(), Options{Config: cfg, Runner: runner, Listener: ln, Grace: 5 * time.Second,
				Replica: fmt.Sprintf("bench-%d", r), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.Run(ctx); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		cancel()
	}
	s, err := history.Open(context.Background(), url, history.ReadOnly())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs(context.Background(), history.Filter{})
	if err != nil {
		b.Fatal(err)
	}
	stats, err := s.OutboxStats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	dups := repeats
	for _, n := range ids {
		dups += n - 1
	}
	b.ReportMetric(float64(len(runs)), "runs")
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(dups), "duplicates")
	b.ReportMetric(float64(stats["hook"].Pending), "pending-at-end")
	if dups != 0 {
		b.Errorf("%d duplicate pages across %d replicas", dups, replicas)
	}
}
