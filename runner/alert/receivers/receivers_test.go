package receivers_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

// entry decodes one alerting.receivers entry as the monitor does.
func entry(t *testing.T, src string) receivers.Config {
	t.Helper()
	var c receivers.Config
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatalf("decoding %q: %v", src, err)
	}
	return c
}

// Ensure every registered type builds from a minimal config, rejects an
// empty one naming the missing key with a nil Notifier, and unknown types
// list the known ones.
func TestRegistry(t *testing.T) {
	minimal := map[string]string{
		"webhook":      "url: https://hooks.example/x\nsecret: s",
		"slack":        "url: https://hooks.slack.example/services/T/B/X",
		"pagerduty":    "routing_key: key",
		"alertmanager": "url: http://127.0.0.1:9093",
	}
	missing := map[string]string{"webhook": "url: required", "slack": "url: required",
		"pagerduty": "routing_key: required", "alertmanager": "url: required"}
	missingField := map[string]string{"webhook": "url", "slack": "url", "pagerduty": "routing_key", "alertmanager": "url"}
	if got, want := strings.Join(receivers.Types(), ","), "alertmanager,pagerduty,slack,webhook"; got != want {
		t.Fatalf("Types() = %s, want %s", got, want)
	}
	for _, typ := range receivers.Types() {
		keys, ok := minimal[typ]
		if !ok {
			t.Fatalf("registered type %q has no test config: add one here", typ)
		}
		n, err := receivers.New(entry(t, "name: r-"+typ+"\ntype: "+typ+"\n"+keys))
		if err != nil || n == nil {
			t.Fatalf("%s: New(minimal) = %v, %v", typ, n, err)
		}
		n, err = receivers.New(entry(t, "name: bad\ntype: "+typ))
		if err == nil || !strings.Contains(err.Error(), missing[typ]) || !strings.Contains(err.Error(), `"bad"`) {
			t.Fatalf("%s: empty config: err = %v, want %q naming the receiver", typ, err, missing[typ])
		}
		var fe *alert.FieldError
		if !errors.As(err, &fe) || fe.Field != missingField[typ] || !errors.Is(err, alert.ErrRequired) {
			t.Fatalf("%s: empty config: %#v is not a FieldError on %s wrapping ErrRequired", typ, err, missingField[typ])
		}
		if n != nil {
			t.Fatalf("%s: a failed constructor returned a non-nil Notifier %#v", typ, n)
		}
	}
	_, err := receivers.New(entry(t, "name: x\ntype: email"))
	if err == nil || !strings.Contains(err.Error(), "type: unknown type \"email\" (want one of alertmanager, pagerduty, slack, webhook)") {
		t.Fatalf("unknown type: %v", err)
	}
}

// Ensure each type's config is strict: a key another type has, or a typo,
// is an unknown key at its line with the type's own keys; a value of the
// wrong kind is reported at its key.
func TestStrictKeys(t *testing.T) {
	c := entry(t, "name: hook\ntype: webhook\nurl: https://h.example/x\nrouting_key: k\nttl: 1h")
	unknown := c.UnknownKeys()
	if len(unknown) != 2 {
		t.Fatalf("UnknownKeys = %v, want routing_key and ttl", unknown)
	}
	var uk *alert.UnknownKeyError
	if fe := unknown[0]; fe.Field != "routing_key" || fe.Line != 4 || !errors.As(fe, &uk) ||
		strings.Join(uk.Known, ",") != "name,type,url,secret,timeout" {
		t.Errorf("first unknown key = %+v (%v)", fe, uk)
	}
	if _, err := receivers.New(c); err == nil || !strings.Contains(err.Error(), `routing_key: unknown key "routing_key"`) {
		t.Errorf("New with an unknown key: %v", err)
	}
	_, err := receivers.New(entry(t, "name: hook\ntype: webhook\nurl: https://h.example/x\ntimeout: soon"))
	var fe *alert.FieldError
	if !errors.As(err, &fe) || fe.Field != "timeout" || fe.Line != 4 ||
		err.Error() != `webhook receiver "hook": timeout: line 4: want a duration like 10s or 2m` {
		t.Errorf("a timeout that is no duration: %v", err)
	}
	_, err = receivers.New(entry(t, "name: hook\ntype: webhook\nurl: https://h.example/x\ntimeout: -1s"))
	if !errors.As(err, &fe) || fe.Field != "timeout" || !errors.Is(err, alert.ErrNegative) {
		t.Errorf("a negative timeout: %v", err)
	}
}

// Ensure an entry built in Go and one decoded from YAML give the same
// settings and timeout.
func TestOf(t *testing.T) {
	want := webhook.Config{URL: "https://h.example/x", Secret: "s", HTTPConfig: alert.HTTPConfig{Timeout: 3 * time.Second}}
	for _, c := range []receivers.Config{
		receivers.Of("hook", want),
		entry(t, "name: hook\ntype: webhook\nurl: https://h.example/x\nsecret: s\ntimeout: 3s"),
	} {
		got, err := c.Settings()
		if err != nil || got != want || c.Type != webhook.Type || c.Name != "hook" || c.Timeout() != 3*time.Second {
			t.Errorf("entry %+v: settings %+v, %v; timeout %s", c, got, err, c.Timeout())
		}
	}
	if got := receivers.Of("hook", webhook.Config{URL: "https://h.example/x"}).Timeout(); got != alert.DefaultTimeout {
		t.Errorf("default timeout = %s", got)
	}
}
