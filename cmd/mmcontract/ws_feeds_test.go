package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/managerpush"
	"github.com/mmcontract/mmcontract/internal/openmsg"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/suites"
)

// Ensure every Open API trade-message and Manager push spec passes against
// the simulator through the real command: the acknowledgement, each push
// kind and each of the 18 event types checked against its schema and
// shape, the frame, cancel, heartbeat and refusal specs, with the
// websocket's 101 and latencies recorded.
func TestFeedSocketSpecs(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", "websocket && (openmsg || managerpush)")
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d, verdict %s\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	passed := map[string]int{}
	for _, c := range res.Checks {
		if c.Family != suites.OpenMsgFamily && c.Family != suites.ManagerPushFamily {
			t.Errorf("check %q of family %q selected by the filter", c.Spec, c.Family)
		}
		if c.Verdict != verdict.Pass {
			t.Errorf("%s: %s %s", c.Spec, c.Verdict, c.Message)
		}
		if c.Operation != "handshake" && c.HTTPStatus != 101 {
			t.Errorf("%s: http_status %d, want the websocket's 101", c.Spec, c.HTTPStatus)
		}
		passed[c.Family+" "+c.Operation]++
	}
	for _, k := range []string{openmsg.Notice, openmsg.Trade, openmsg.FrameF, openmsg.FrameG} {
		if passed["openmsg "+k] != 2 {
			t.Errorf("openmsg %s: %d passing checks, want 2 (frames and shape)", k, passed["openmsg "+k])
		}
	}
	for _, k := range []string{openmsg.SubscribeSuccess, "frame", openmsg.CancelSubscribeAsset, openmsg.Disconnect} {
		if passed["openmsg "+k] != 1 {
			t.Errorf("openmsg %s: %d passing checks, want 1", k, passed["openmsg "+k])
		}
	}
	for _, k := range managerpush.EventTypes {
		if passed["managerpush "+k] != 2 {
			t.Errorf("managerpush %s: %d passing checks, want 2 (events and shape)", k, passed["managerpush "+k])
		}
	}
	for _, k := range []string{"frame", "heartbeat", "handshake"} {
		if passed["managerpush "+k] != 1 {
			t.Errorf("managerpush %s: %d passing checks, want 1", k, passed["managerpush "+k])
		}
	}
}

// Ensure every trade-message and Manager push scenario ends with its
// documented verdict and exit code through the real command, names the
// frame's pointer in results.json, and gives each failing check a one-line
// reason: bad frames (not JSON, an unknown event type, over the cap,
// silence, a deaf server) are verdicts, never hangs.
func TestFeedSocketScenarios(t *testing.T) {
	for _, sc := range simulator.Scenarios() {
		if !strings.HasPrefix(sc.Name, "ws-openmsg-") && !strings.HasPrefix(sc.Name, "ws-managerpush-") {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r, res := runSim(t, t.TempDir(), "--scenario", sc.Name, "--label-filter", sc.Label, "--flake-attempts", "1")
			if took := time.Since(start); took > time.Minute {
				t.Errorf("took %s", took)
			}
			if res.Verdict != sc.ExpectedVerdict {
				t.Fatalf("verdict %s, want %s\n%s", res.Verdict, sc.ExpectedVerdict, r.stdout)
			}
			want := map[verdict.Verdict]int{verdict.Pass: verdict.ExitOK, verdict.Drifted: verdict.ExitOK, verdict.Broken: verdict.ExitBroken,
				verdict.Unavailable: verdict.ExitUnavailable}[sc.ExpectedVerdict]
			if r.code != want {
				t.Errorf("exit %d, want %d", r.code, want)
			}
			found := false
			for _, c := range res.Checks {
				if c.Verdict == verdict.Pass {
					continue
				}
				if c.Message == "" || strings.Contains(c.Message, "\n") {
					t.Errorf("check %q has no one-line reason: %q", c.Spec, c.Message)
				}
				for _, v := range c.Violations {
					found = found || v.Pointer == sc.Pointer
				}
			}
			if !found {
				t.Errorf("no violation names the frame pointer %q", sc.Pointer)
			}
		})
	}
}

// Ensure a monitor suite job with label_filter: websocket just works: its
// scheduled run checks the quote, trade-message and Manager push sockets
// of the embedded simulator and is recorded as passing.
func TestMonitorWebsocketLabelFilter(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "history.db")
	cfg := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
store: %s
targets:
  sim: {}
jobs:
  - name: sockets
    target: sim
    schedule: "@every 2s"
    label_filter: websocket
    timeout: 2m
`, store)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startMonitor(t, cfg)
	eventually(t, "a finished websocket run", 90*time.Second, func() bool { return finished(storeRuns(t, store, "sockets")) > 0 })
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d", code)
	}
	var run *history.Run
	for _, r := range storeRuns(t, store, "sockets") {
		if !r.InFlight() && r.Verdict != verdict.Skipped {
			run = &r
			break
		}
	}
	if run == nil || run.Verdict != verdict.Pass {
		t.Fatalf("run %+v, want a passing run", run)
	}
	res := readResults(t, run.OutDir)
	families := map[string]int{}
	for _, c := range res.Checks {
		families[c.Family]++
	}
	for _, f := range []string{"quote", suites.OpenMsgFamily, suites.ManagerPushFamily} {
		if families[f] == 0 {
			t.Errorf("no %s check in the websocket run: %v", f, families)
		}
	}
	if families["client"]+families["openapi"]+families["manager"] > 0 {
		t.Errorf("HTTP checks in a websocket-only run: %v", families)
	}
}
