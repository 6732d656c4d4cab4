package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// swappableSim serves one simulator at a time; swap starts a new one in
// another scenario and closes the old, which ends its open sockets, so a
// feed reconnects into the new scenario.
type swappableSim struct {
	t   *testing.T
	cur atomic.Pointer[simulator.Simulator]
	srv *httptest.Server
}

func newSwappableSim(t *testing.T, scenario string) *swappableSim {
	t.Helper()
	s := &swappableSim{t: t}
	s.swap(scenario)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.cur.Load().ServeHTTP(w, r) }))
	t.Cleanup(func() { s.cur.Load().Close(); s.srv.Close() })
	return s
}

func (s *swappableSim) swap(scenario string) {
	s.t.Helper()
	sim, err := simulator.New(simulator.Options{Scenario: scenario, QuotePushInterval: 20 * time.Millisecond})
	if err != nil {
		s.t.Fatal(err)
	}
	if old := s.cur.Swap(sim); old != nil {
		old.Close()
	}
}

// feedConfig is a monitor with one feed job on the simulator at url and a
// webhook receiver at hook.
func feedConfig(t *testing.T, url, hook string) *Config {
	t.Helper()
	cfg := baseConfig(t, hook)
	cfg.Targets = map[string]Target{"sim": {BaseURL: url, CompanyID: "439", Token: "unused-by-quote-guest"}}
	cfg.Jobs = []Job{{Name: "quotes", Kind: "feed", Target: "sim", Feed: &Feed{
		Symbols:           []FeedSymbol{{SymbolID: 1001, TradeType: 5, TradeMode: 1}, {SymbolID: 1002, TradeType: 5, TradeMode: 1}},
		HeartbeatInterval: Duration(300 * time.Millisecond), HeartbeatSLO: Duration(250 * time.Millisecond),
		PushGapSLO: Duration(time.Second), MinBackoff: Duration(50 * time.Millisecond), MaxBackoff: Duration(200 * time.Millisecond)}}}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("feed config invalid: %v", err)
	}
	return cfg
}

// startFeedMonitor runs a monitor with one feed job on a simulator in
// scenario until the test ends, paging a recorder.
func startFeedMonitor(t *testing.T, scenario string) (*swappableSim, *hookRecorder, *Monitor) {
	t.Helper()
	sim := newSwappableSim(t, scenario)
	hook := &hookRecorder{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	m := newTestMonitor(t, feedConfig(t, sim.srv.URL, hs.URL), &fakeRunner{results: passResults})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return sim, hook, m
}

// metricValue is the value of the series named exactly series in metrics,
// -1 when absent.
func metricValue(metrics, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(metrics)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func feedEvents(h *hookRecorder, st alert.Status) []alert.Event {
	var out []alert.Event
	for _, ev := range h.got() {
		if ev.Kind == alert.KindFeed && ev.Status == st {
			out = append(out, ev)
		}
	}
	return out
}

// Ensure a feed job keeps a quote connection to the simulator, exports
// heartbeat round trips, push gaps and sequence gaps as metrics that pass
// promtool, pages once when pushes stop for longer than push_gap_slo (and
// not again while they stay stopped), and resolves once they are back.
func TestFeedMetricsAndPushGapAlert(t *testing.T) {
	sim, hook, m := startFeedMonitor(t, "ws-sequence-gap")

	var metrics string
	waitUntil(t, "heartbeats, pushes and sequence gaps in the metrics", 10*time.Second, func() bool {
		_, metrics = get(t, m, "/metrics")
		return metricValue(metrics, `mmcontract_ws_connected{job="quotes"}`) == 1 &&
			metricValue(metrics, `mmcontract_ws_heartbeat_seconds_count{job="quotes"}`) >= 2 &&
			metricValue(metrics, `mmcontract_ws_push_gap_seconds_count{job="quotes"}`) >= 20 &&
			metricValue(metrics, `mmcontract_ws_sequence_gaps_total{job="quotes"}`) >= 2
	})
	if v := metricValue(metrics, `mmcontract_ws_last_push_timestamp_seconds{job="quotes"}`); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last push timestamp %v, want about now", v)
	}
	promtool(t, metrics)
	if n := len(feedEvents(hook, alert.Firing)); n != 0 {
		t.Fatalf("%d feed pages while the feed was healthy: %+v", n, hook.got())
	}

	sim.swap("ws-pushes-stop")
	waitUntil(t, "the push-gap page", 10*time.Second, func() bool { return len(feedEvents(hook, alert.Firing)) > 0 })
	time.Sleep(1500 * time.Millisecond) // still stopped: no second page
	firing := feedEvents(hook, alert.Firing)
	if len(firing) != 1 || firing[0].Severity != alert.Critical || firing[0].Job != "quotes" ||
		!strings.Contains(firing[0].Summary, "push gap SLO broken: no quote push for") || !strings.Contains(firing[0].Summary, "(SLO 1s)") {
		t.Fatalf("pages %+v, want one critical push-gap page for job quotes", firing)
	}
	_, metrics = get(t, m, "/metrics")
	if v := metricValue(metrics, `mmcontract_ws_reconnects_total{job="quotes"}`); v < 1 {
		t.Errorf("reconnects %v, want at least one (the old simulator closed the socket)", v)
	}
	if v := metricValue(metrics, `mmcontract_alerts_firing{severity="critical"}`); v != 1 {
		t.Errorf("alerts firing %v, want 1", v)
	}

	sim.swap("nominal")
	waitUntil(t, "the resolve", 10*time.Second, func() bool { return len(feedEvents(hook, alert.Resolved)) > 0 })
	resolved := feedEvents(hook, alert.Resolved)
	if len(resolved) != 1 || resolved[0].Fingerprint != firing[0].Fingerprint || !strings.HasPrefix(resolved[0].Summary, "resolved: ") {
		t.Errorf("resolves %+v, want one with the page's fingerprint %s", resolved, firing[0].Fingerprint)
	}
	if n := len(feedEvents(hook, alert.Firing)); n != 1 {
		t.Errorf("%d pages in all, want 1", n)
	}
	// A nominal feed numbers its pushes without a gap.
	_, metrics = get(t, m, "/metrics")
	gaps, pushes := metricValue(metrics, `mmcontract_ws_sequence_gaps_total{job="quotes"}`), metricValue(metrics, `mmcontract_ws_push_gap_seconds_count{job="quotes"}`)
	waitUntil(t, "more nominal pushes", 10*time.Second, func() bool {
		_, metrics = get(t, m, "/metrics")
		return metricValue(metrics, `mmcontract_ws_push_gap_seconds_count{job="quotes"}`) >= pushes+20
	})
	if now := metricValue(metrics, `mmcontract_ws_sequence_gaps_total{job="quotes"}`); now != gaps {
		t.Errorf("sequence gaps went from %v to %v on a nominal feed", gaps, now)
	}
}

// Ensure a quote server that stops answering heartbeats pages the
// heartbeat SLO (not the push gap: pushes keep coming) and resolves it
// when heartbeats are answered again.
func TestFeedHeartbeatAlert(t *testing.T) {
	sim, hook, _ := startFeedMonitor(t, "ws-heartbeat-unanswered")
	waitUntil(t, "the heartbeat page", 10*time.Second, func() bool { return len(feedEvents(hook, alert.Firing)) > 0 })
	firing := feedEvents(hook, alert.Firing)
	if len(firing) != 1 || !strings.Contains(firing[0].Summary, "heartbeat SLO broken: heartbeat seq_id") {
		t.Fatalf("pages %+v, want one heartbeat page", firing)
	}
	sim.swap("nominal")
	waitUntil(t, "the heartbeat resolve", 10*time.Second, func() bool { return len(feedEvents(hook, alert.Resolved)) > 0 })
	if r := feedEvents(hook, alert.Resolved); r[0].Fingerprint != firing[0].Fingerprint {
		t.Errorf("resolve %+v does not match the page", r[0])
	}
}
