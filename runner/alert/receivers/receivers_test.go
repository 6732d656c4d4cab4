package receivers_test

import (
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
)

// Ensure every registered type builds from a minimal config, rejects an
// empty one naming the missing key with a nil Notifier, and unknown types
// list the known ones.
func TestRegistry(t *testing.T) {
	minimal := map[string]alert.ReceiverConfig{
		"webhook":      {URL: "https://hooks.example/x", Secret: "s"},
		"slack":        {URL: "https://hooks.slack.example/services/T/B/X"},
		"pagerduty":    {RoutingKey: "key"},
		"alertmanager": {URL: "http://127.0.0.1:9093"},
	}
	missing := map[string]string{"webhook": "url: required", "slack": "url: required",
		"pagerduty": "routing_key: required", "alertmanager": "url: required"}
	if got, want := strings.Join(receivers.Types(), ","), "alertmanager,pagerduty,slack,webhook"; got != want {
		t.Fatalf("Types() = %s, want %s", got, want)
	}
	for _, typ := range receivers.Types() {
		cfg, ok := minimal[typ]
		if !ok {
			t.Fatalf("registered type %q has no test config: add one here", typ)
		}
		cfg.Name, cfg.Type = "r-"+typ, typ
		n, err := receivers.New(cfg)
		if err != nil || n == nil {
			t.Fatalf("%s: New(minimal) = %v, %v", typ, n, err)
		}
		n, err = receivers.New(alert.ReceiverConfig{Name: "bad", Type: typ})
		if err == nil || !strings.Contains(err.Error(), missing[typ]) || !strings.Contains(err.Error(), `"bad"`) {
			t.Fatalf("%s: empty config: err = %v, want %q naming the receiver", typ, err, missing[typ])
		}
		if n != nil {
			t.Fatalf("%s: a failed constructor returned a non-nil Notifier %#v", typ, n)
		}
	}
	_, err := receivers.New(alert.ReceiverConfig{Name: "x", Type: "email"})
	if err == nil || !strings.Contains(err.Error(), "type: unknown type \"email\" (want one of alertmanager, pagerduty, slack, webhook)") {
		t.Fatalf("unknown type: %v", err)
	}
}
