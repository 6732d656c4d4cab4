package pagerduty_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/pagerduty"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Ensure trigger and resolve requests match their recorded Events API v2
// shapes, share the dedup key, and reach the configured endpoint.
func TestPayloadGolden(t *testing.T) {
	type req struct {
		path string
		body []byte
	}
	reqs := make(chan req, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs <- req{r.URL.Path, b}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
	}))
	defer srv.Close()
	n, err := pagerduty.New("pd", pagerduty.Config{RoutingKey: "R0UT1NGKEY0000000000000000000000", URL: srv.URL + "/v2/enqueue"})
	if err != nil {
		t.Fatal(err)
	}
	firing := alert.Event{Status: alert.Firing, Severity: alert.Warning, Kind: alert.KindContract, Fingerprint: "0123abcd",
		Job: "customer", Target: "staging", Operation: "customer.app.CustomerWebApiService.findCustomerInfo",
		Summary: "customer.app.CustomerWebApiService.findCustomerInfo: response drift on staging: /data/kind enum_added",
		Changes: []alert.Change{{Pointer: "/data/kind", Change: "enum_added", Severity: "warning"}},
		RunID:   "r1", ReportURL: "http://127.0.0.1:9464/runs/r1/report.html", StartedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	resolved := firing
	resolved.Status, resolved.EndsAt = alert.Resolved, firing.StartedAt.Add(time.Hour)
	for name, ev := range map[string]alert.Event{"trigger": firing, "resolve": resolved} {
		if err := n.Send(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := <-reqs
		if r.path != "/v2/enqueue" {
			t.Fatalf("%s posted to %s", name, r.path)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, r.body, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		golden := filepath.Join("testdata", name+".golden.json")
		if *update {
			if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to record)", err)
		}
		if !bytes.Equal(pretty.Bytes(), want) {
			t.Fatalf("%s payload differs from %s:\n%s", name, golden, pretty.Bytes())
		}
		var m map[string]any
		_ = json.Unmarshal(want, &m)
		if m["dedup_key"] != "0123abcd" || m["event_action"] != name {
			t.Fatalf("%s: golden has dedup_key %v, event_action %v", name, m["dedup_key"], m["event_action"])
		}
	}
}

// Ensure a 400 (malformed event) is permanent, a 429 retryable, and the
// routing key is required with its key named.
func TestErrors(t *testing.T) {
	if _, err := pagerduty.New("pd", pagerduty.Config{}); err == nil || !strings.Contains(err.Error(), "routing_key: required") {
		t.Fatalf("missing routing key: %v", err)
	}
	status := http.StatusBadRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"invalid event"}`, status)
	}))
	defer srv.Close()
	n, err := pagerduty.New("pd", pagerduty.Config{RoutingKey: "k", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ev := alert.Event{Status: alert.Firing, Severity: alert.Critical, Fingerprint: "f"}
	if err := n.Send(context.Background(), ev); !alert.IsPermanent(err) {
		t.Fatalf("400: err = %v, want permanent", err)
	}
	status = http.StatusTooManyRequests
	if err := n.Send(context.Background(), ev); err == nil || alert.IsPermanent(err) {
		t.Fatalf("429: err = %v, want retryable", err)
	}
}
