package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// feedMonitorConfig writes a monitor config with one feed job on the quote
// socket of the simulator at simURL, paging the webhook at hook.
func feedMonitorConfig(t *testing.T, simURL, hook string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
store: %s
shutdown_grace: 5s
targets:
  sim:
    base_url: %s
    company_id: "%s"
    token: unused-by-quote-guest
jobs:
  - name: quotes
    kind: feed
    target: sim
    feed:
      socket: quote_guest
      symbols:
        - {symbol_id: 1001, trade_type: 5, trade_mode: 1}
      heartbeat_interval: 100ms
      heartbeat_slo: 100ms
      push_gap_slo: 2s
      min_backoff: 100ms
      max_backoff: 500ms
alerting:
  receivers:
    - name: oncall
      type: webhook
      url: %s
      secret: ${HOOK_SECRET}
  routes:
    - receiver: oncall
`, filepath.Join(dir, "history.db"), simURL, simulator.DefaultCompanyID, hook)
	path := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Ensure the real monitor keeps a feed job's quote connection open, pages
// exactly once (signed webhook, kind feed) when the simulator's pushes stop
// for longer than push_gap_slo, resolves once they are back, shows it all
// in /metrics, and stops cleanly on SIGTERM (promtool checks the feed's
// metrics in runner/monitor's TestFeedMetricsAndPushGapAlert).
func TestMonitorFeedPushGapPagesAndResolves(t *testing.T) {
	// ws-server-closes ends every quote connection 300 ms after the
	// handshake, so the feed reconnects into each scenario the test switches
	// to (and heartbeats every 100 ms to be timed on such short connections).
	sim, simURL := simServer(t, "ws-server-closes")
	hook, hookURL := newHookSink(t)
	p := startMonitor(t, feedMonitorConfig(t, simURL, hookURL))
	eventually(t, "a connected feed with pushes and heartbeats", 20*time.Second, func() bool {
		m := scrape(t, p.addr)
		return strings.Contains(m, `mmcontract_ws_connected{job="quotes"} 1`) &&
			!strings.Contains(m, `mmcontract_ws_push_gap_seconds_count{job="quotes"} 0`) &&
			strings.Contains(m, `mmcontract_ws_heartbeat_seconds_count{job="quotes"}`)
	})

	if err := sim.SetScenario("ws-pushes-stop"); err != nil {
		t.Fatal(err)
	}
	// Only the push-gap alert is this test's: on a loaded machine a 100 ms
	// heartbeat SLO may page too (TestFeedHeartbeatAlert covers that one).
	pushGap := func(st alert.Status) []delivery {
		var out []delivery
		for _, d := range hook.of(alert.KindFeed, st) {
			if strings.Contains(d.Summary, "push gap") {
				out = append(out, d)
			}
		}
		return out
	}
	eventually(t, "the push-gap page", 20*time.Second, func() bool { return len(pushGap(alert.Firing)) > 0 })
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolve", 20*time.Second, func() bool { return len(pushGap(alert.Resolved)) > 0 })
	firing, resolved := pushGap(alert.Firing), pushGap(alert.Resolved)
	if len(firing) != 1 || len(resolved) != 1 || firing[0].Fingerprint != resolved[0].Fingerprint {
		t.Fatalf("pages %+v, resolves %+v: want one of each, same fingerprint", firing, resolved)
	}
	if !strings.Contains(firing[0].Summary, "push gap SLO broken: no quote push for") || firing[0].Severity != alert.Critical {
		t.Errorf("page %+v", firing[0].Event)
	}
	m := scrape(t, p.addr)
	if !strings.Contains(m, `mmcontract_ws_reconnects_total{job="quotes"}`) || strings.Contains(m, `mmcontract_ws_reconnects_total{job="quotes"} 0`) {
		t.Errorf("no reconnect counted:\n%s", grep(m, "mmcontract_ws_"))
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
}
