// Package alertmanager posts alerts to a Prometheus Alertmanager through its
// API v2 (POST /api/v2/alerts), so teams that already route, silence and
// inhibit there get mmcontract's alerts like any other.
//
// Alertmanager identifies an alert by its label set, so firing and resolved
// events of one alert carry identical labels. A firing alert is sent with a
// short endsAt, the event's ExpiresAt (about two schedule intervals of its
// job), and refreshed after every run (the Notifier asks for refreshes):
// Alertmanager resolves alerts it stops hearing about, so a monitor that
// died leaves no page standing for long (the watchdog says it died). Events
// without ExpiresAt (spec-watch alerts, not refreshed) get now + TTL. A
// resolved alert is sent with endsAt = the resolve time, which removes it
// from the active alerts.
package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
)

// Notifier posts to one Alertmanager.
type Notifier struct {
	endpoint string
	ttl      time.Duration
	client   *http.Client
	now      func() time.Time
}

var (
	_ alert.Notifier  = (*Notifier)(nil)
	_ alert.Refresher = (*Notifier)(nil)
)

// WantsRefresh is true: Alertmanager expires alerts at endsAt, so every run
// re-sends the ones still firing.
func (n *Notifier) WantsRefresh() bool { return true }

// Type is the receiver type's name in alerting.receivers.
const Type = "alertmanager"

// Config is an Alertmanager receiver's keys in alerting.receivers.
type Config struct {
	URL string `yaml:"url"` // the Alertmanager base URL; required
	// TTL bounds how long Alertmanager keeps a firing alert without hearing
	// from us again (its endsAt) when the event has no ExpiresAt; default
	// alert.DefaultTTL.
	TTL              time.Duration `yaml:"ttl"`
	alert.HTTPConfig `yaml:",inline"`
}

// New returns the Alertmanager Notifier of the receiver named name; url is
// the Alertmanager base URL (e.g. http://127.0.0.1:9093), ttl defaults to
// alert.DefaultTTL. An error is an *alert.FieldError.
func New(name string, cfg Config) (*Notifier, error) {
	if err := alert.CheckURL(cfg.URL); err != nil {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "url", Err: err}
	}
	if cfg.TTL < 0 {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "ttl", Err: alert.ErrNegative}
	}
	if err := cfg.Check(Type, name); err != nil {
		return nil, err
	}
	ttl := cfg.TTL
	if ttl <= 0 {
		ttl = alert.DefaultTTL
	}
	return &Notifier{endpoint: strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts", ttl: ttl,
		client: cfg.HTTPClient(), now: time.Now}, nil
}

// Alert is an API v2 postableAlert.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// AlertName is the alertname label of ev: stable across firing and resolve.
func AlertName(ev alert.Event) string {
	switch ev.Kind {
	case alert.KindUnavailable:
		return "MmcontractVendorUnavailable"
	case alert.KindSpec:
		return "MmcontractSpecChanged"
	case alert.KindFeed:
		return "MmcontractFeedSLOBroken"
	case alert.KindConfig:
		return "MmcontractSetupRejected"
	case alert.KindHarness:
		return "MmcontractHarnessFailing"
	case alert.KindMonitor:
		return "MmcontractMonitorCannotRecord"
	case alert.KindWatchdog:
		return "MmcontractWatchdog"
	}
	if ev.Severity == alert.Critical {
		return "MmcontractContractBroken"
	}
	return "MmcontractResponseDrift"
}

// Render builds the alert for ev; now is used for endsAt.
func Render(ev alert.Event, now time.Time, ttl time.Duration) Alert {
	labels := map[string]string{
		"alertname":   AlertName(ev),
		"job":         ev.Job,
		"target":      ev.Target,
		"operation":   ev.Operation,
		"fingerprint": ev.Fingerprint,
		"severity":    string(ev.Severity),
	}
	for k, v := range labels {
		if v == "" { // an empty label is no label; drop it explicitly
			delete(labels, k)
		}
	}
	a := Alert{
		Labels:       labels,
		Annotations:  map[string]string{"summary": ev.Summary},
		StartsAt:     ev.StartedAt.UTC(),
		EndsAt:       now.UTC().Add(ttl),
		GeneratorURL: ev.ReportURL,
	}
	if !ev.ExpiresAt.IsZero() {
		a.EndsAt = ev.ExpiresAt.UTC()
	}
	if ev.ReportURL != "" {
		a.Annotations["report_url"] = ev.ReportURL
	}
	if ev.Status == alert.Resolved {
		a.EndsAt = ev.EndsAt.UTC()
		if ev.EndsAt.IsZero() {
			a.EndsAt = now.UTC()
		}
		a.Annotations["summary"] = strings.TrimPrefix(ev.Summary, "resolved: ")
	}
	if a.StartsAt.IsZero() || a.StartsAt.After(a.EndsAt) {
		a.StartsAt = a.EndsAt
	}
	return a
}

// Send posts ev.
func (n *Notifier) Send(ctx context.Context, ev alert.Event) error {
	body, err := json.Marshal([]Alert{Render(ev, n.now(), n.ttl)})
	if err != nil {
		return alert.Permanent(fmt.Errorf("alertmanager: encode alert: %w", err))
	}
	if err := alert.PostJSON(ctx, n.client, n.endpoint, body, nil); err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	return nil
}
