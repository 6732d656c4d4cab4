package slack_test

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
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func events() map[string]alert.Event {
	firing := alert.Event{Status: alert.Firing, Severity: alert.Critical, Kind: alert.KindContract, Fingerprint: "0123abcd",
		Job: "customer", Target: "staging", Operation: "customer.app.CustomerWebApiService.findCustomerInfo",
		Summary: "customer.app.CustomerWebApiService.findCustomerInfo: contract broken on staging: /data/email type_changed",
		Changes: []alert.Change{{Pointer: "/data/email", Change: "type_changed", Severity: "breaking"},
			{Pointer: "/data/list/*/a<b>", Change: "removed", Severity: "breaking"}},
		RunID: "r1", ReportURL: "http://127.0.0.1:9464/runs/r1/report.html", StartedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	resolved := firing
	resolved.Status, resolved.Summary, resolved.EndsAt = alert.Resolved, "resolved: "+firing.Summary, firing.StartedAt.Add(time.Hour)
	reminder := firing
	reminder.Reminder = true
	unavailable := alert.Event{Status: alert.Firing, Severity: alert.Critical, Kind: alert.KindUnavailable, Fingerprint: "feed",
		Job: "customer", Target: "staging", Summary: "staging unavailable in 3 consecutive runs of job customer",
		RunID: "r9", StartedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	return map[string]alert.Event{"firing": firing, "resolved": resolved, "reminder": reminder, "unavailable": unavailable}
}

// Ensure each kind of message posted to an incoming webhook matches its
// recorded Block Kit shape.
func TestPayloadGolden(t *testing.T) {
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	n, err := slack.New("chat", slack.Config{URL: srv.URL + "/services/T0/B0/XXXX"})
	if err != nil {
		t.Fatal(err)
	}
	for name, ev := range events() {
		if err := n.Send(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, <-bodies, "", "  "); err != nil {
			t.Fatalf("%s: body is not JSON: %v", name, err)
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
		var m slack.Message
		if err := json.Unmarshal(want, &m); err != nil || m.Text == "" || len(m.Blocks) < 3 {
			t.Fatalf("%s: golden is not a message with text and blocks: %v", name, err)
		}
	}
}
