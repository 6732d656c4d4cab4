// Package pagerduty sends alerts to PagerDuty's Events API v2: a firing
// alert triggers, a resolved one resolves, both with dedup_key set to the
// alert fingerprint so PagerDuty folds repeats and reminders into one
// incident.
package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mmcontract/mmcontract/runner/alert"
)

// DefaultEndpoint is the Events API v2 enqueue URL.
const DefaultEndpoint = "https://events.pagerduty.com/v2/enqueue"

// Notifier enqueues events for one routing (integration) key.
type Notifier struct {
	endpoint   string
	routingKey string
	client     *http.Client
}

var _ alert.Notifier = (*Notifier)(nil)

// Type is the receiver type's name in alerting.receivers.
const Type = "pagerduty"

// Config is a PagerDuty receiver's keys in alerting.receivers.
type Config struct {
	RoutingKey       string `yaml:"routing_key"` // the integration key; required
	URL              string `yaml:"url"`         // overrides DefaultEndpoint (EU accounts, tests)
	alert.HTTPConfig `yaml:",inline"`
}

// Secrets lists the values no output may show: the integration key.
func (c Config) Secrets() []string { return []string{c.RoutingKey} }

// New returns the PagerDuty Notifier of the receiver named name;
// routing_key is required, url overrides the endpoint (EU accounts, tests).
// An error is an *alert.FieldError.
func New(name string, cfg Config) (*Notifier, error) {
	if cfg.RoutingKey == "" {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "routing_key", Err: alert.ErrRequired}
	}
	endpoint := cfg.URL
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	if err := alert.CheckURL(endpoint); err != nil {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "url", Err: err}
	}
	if err := cfg.Check(Type, name); err != nil {
		return nil, err
	}
	return &Notifier{endpoint: endpoint, routingKey: cfg.RoutingKey, client: cfg.HTTPClient()}, nil
}

// Event is an Events API v2 request body.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger or resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"` // trigger only
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered alert.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning or info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// maxSummary is the Events API's summary limit.
const maxSummary = 1024

// Render builds the request for ev. routingKey is the integration key.
func Render(routingKey string, ev alert.Event) Event {
	out := Event{RoutingKey: routingKey, DedupKey: ev.Fingerprint, EventAction: "trigger"}
	if ev.Status == alert.Resolved {
		out.EventAction = "resolve"
		return out
	}
	summary := ev.Summary
	if r := []rune(summary); len(r) > maxSummary {
		summary = string(r[:maxSummary-1]) + "…"
	}
	details := map[string]any{"job": ev.Job, "target": ev.Target, "run_id": ev.RunID, "changes": ev.Changes,
		"reminder": ev.Reminder}
	out.Payload = &Payload{
		Summary:       summary,
		Source:        "mmcontract/" + ev.Target,
		Severity:      string(ev.Severity),
		Timestamp:     ev.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00"),
		Component:     ev.Operation,
		Group:         ev.Job,
		Class:         string(ev.Kind),
		CustomDetails: details,
	}
	out.Client = "mmcontract"
	if ev.ReportURL != "" {
		out.ClientURL = ev.ReportURL
		out.Links = []Link{{Href: ev.ReportURL, Text: "mmcontract report of run " + ev.RunID}}
	}
	return out
}

// Send enqueues ev.
func (n *Notifier) Send(ctx context.Context, ev alert.Event) error {
	body, err := json.Marshal(Render(n.routingKey, ev))
	if err != nil {
		return alert.Permanent(fmt.Errorf("pagerduty: encode event: %w", err))
	}
	if err := alert.PostJSON(ctx, n.client, n.endpoint, body, nil); err != nil {
		return fmt.Errorf("pagerduty: %w", err)
	}
	return nil
}
