// Package alert turns finished runs into pages: a state machine per
// (job, operation, severity) that fires once when the vendor's contract breaks
// or its responses drift, resolves once when the difference is gone, reminds
// while it stays, damps flapping, and pages our own harness failing as its
// own kind; plus the delivery side, a Dispatcher that delivers the durable
// outbox (rows in the history store, written with the alert state) to each
// receiver with its own sender, retries and per-attempt timeouts.
//
// Receivers live in one subpackage each (webhook, slack, pagerduty,
// alertmanager) and import this package for Event and the parts of their
// config every receiver shares (HTTPConfig, FieldError); the
// registry that maps a config "type" to a constructor is package receivers,
// the only place that imports them all, so no import cycle is possible.
package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Status is an alert's lifecycle state as sent to receivers.
type Status string

// Alert statuses.
const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Severity is the paging level of an alert. It is verdict's Alert, so that
// the routing from verdicts and drift severities to paging levels is decided
// in one place (internal/verdict) and spoken here under its usual name.
type Severity = verdict.Alert

// Severities, most urgent first.
const (
	Critical = verdict.AlertCritical
	Warning  = verdict.AlertWarning
	Info     = verdict.AlertInfo
)

// Severities lists every severity, most urgent first.
func Severities() []Severity { return verdict.Alerts() }

// Kind says what an alert is about; receivers use it where they need a
// stable alert name (Alertmanager's alertname, PagerDuty's class).
type Kind string

// Alert kinds.
const (
	// KindContract: the vendor broke its contract or its responses drifted.
	KindContract Kind = "contract"
	// KindUnavailable: the vendor did not answer for N consecutive runs.
	KindUnavailable Kind = "unavailable"
	// KindSpec: the vendor's published OpenAPI changed (spec-watch job).
	KindSpec Kind = "spec"
	// KindFeed: a feed job's long-lived quote connection broke an SLO (a
	// push gap or a heartbeat round trip).
	KindFeed Kind = "feed"
	// KindConfig: runs cannot check the contract because their set-up is
	// wrong (credentials or token rejected, wrong base URL).
	KindConfig Kind = "config"
	// KindHarness: error_after consecutive runs of a job ended in error (a
	// crashed child, unreadable outputs): our side is broken.
	KindHarness Kind = "harness"
	// KindMonitor: the monitor itself cannot do its job (it cannot record
	// runs). Sent directly, never through the store that is failing.
	KindMonitor Kind = "monitor"
	// KindWatchdog: the always-firing heartbeat; its absence means the
	// monitor is gone (Alertmanager's Watchdog habit).
	KindWatchdog Kind = "watchdog"
)

// Change is one difference behind an alert: a drift item or a violated rule.
type Change struct {
	Pointer  string           `json:"pointer"`
	Change   string           `json:"change"`   // drift change (added, type_changed...) or "violation:<keyword>"
	Severity verdict.Severity `json:"severity"` // drift severity: breaking, warning, info
}

// Event is one notification: the webhook body, and what every receiver
// renders. It carries no secrets or PII: the Dispatcher redacts free text.
//
// ID identifies one notification: it is the same on every delivery attempt
// of it (delivery is at least once) and differs between notifications, so a
// receiver de-duplicates on it.
type Event struct {
	ID          string    `json:"id"`
	Status      Status    `json:"status"`
	Severity    Severity  `json:"severity"`
	Kind        Kind      `json:"kind"`
	Fingerprint string    `json:"fingerprint"`
	Job         string    `json:"job"`
	Target      string    `json:"target"`
	Operation   string    `json:"operation"`
	Summary     string    `json:"summary"`
	Changes     []Change  `json:"changes"`
	RunID       string    `json:"run_id"`
	ReportURL   string    `json:"report_url"`
	StartedAt   time.Time `json:"started_at"`
	EndsAt      time.Time `json:"ends_at,omitzero"` // set on resolved events
	Reminder    bool      `json:"reminder"`
	// ExpiresAt, on firing events, is when the monitor will have refreshed
	// the alert at the latest: an alert not heard of since then means the
	// monitor stopped (Alertmanager's endsAt).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Flaps counts how often the alert resolved and fired again within the
	// flap window: one incident, not a page per flip.
	Flaps int `json:"flaps,omitempty"`
	// Refresh marks a still-firing alert re-sent only to receivers that
	// expire alerts (Alertmanager); nobody is paged by it.
	Refresh bool `json:"refresh,omitempty"`
}

// Refresher is implemented by receivers that expire alerts they stop
// hearing about and so want every run's refresh of a firing alert.
type Refresher interface {
	WantsRefresh() bool
}

// Notifier delivers events to one receiver. Send returns an error wrapped
// with Permanent when retrying cannot help (a 4xx, a bad payload).
type Notifier interface {
	Send(ctx context.Context, ev Event) error
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps err so the Dispatcher does not retry it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// PostJSON posts body to target and classifies the outcome: 2xx is success;
// 408, 429 and 5xx are retryable; any other status is permanent. Transport
// errors are returned without the URL, which may carry a secret.
func PostJSON(ctx context.Context, c *http.Client, target string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Permanent(errors.New("build request: invalid URL"))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "mmcontract")
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("receiver answered HTTP %d: %s", resp.StatusCode, oneline.Collapse(string(snippet), 200))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500 {
		return err
	}
	return Permanent(err)
}
