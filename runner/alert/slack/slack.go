// Package slack sends alerts to a Slack incoming webhook as Block Kit
// messages: a plain "text" fallback (notifications, screen readers) and
// blocks for the channel.
package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/runner/alert"
)

// Notifier posts to one incoming-webhook URL. The URL is the secret: it is
// never logged or put in an error.
type Notifier struct {
	url    string
	client *http.Client
}

var _ alert.Notifier = (*Notifier)(nil)

// Type is the receiver type's name in alerting.receivers.
const Type = "slack"

// Config is a Slack receiver's keys in alerting.receivers.
type Config struct {
	URL              string `yaml:"url"` // the incoming-webhook URL; required
	alert.HTTPConfig `yaml:",inline"`
}

// New returns the Slack Notifier of the receiver named name; url (the
// incoming-webhook URL) is required. An error is an *alert.FieldError.
func New(name string, cfg Config) (*Notifier, error) {
	if err := alert.CheckURL(cfg.URL); err != nil {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "url", Err: err}
	}
	if err := cfg.Check(Type, name); err != nil {
		return nil, err
	}
	return &Notifier{url: cfg.URL, client: cfg.HTTPClient()}, nil
}

// Message is the incoming-webhook payload.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit layout block (header, section, context).
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// maxChanges bounds the changes listed in one message; the report has all.
const maxChanges = 10

// Limits from Block Kit: header text 150 chars, section text 3000.
const (
	maxHeader  = 150
	maxSection = 3000
)

// Render builds the message for ev.
func Render(ev alert.Event) Message {
	state := strings.ToUpper(string(ev.Status))
	if ev.Reminder {
		state = "STILL FIRING"
	}
	icon := map[alert.Severity]string{alert.Critical: ":red_circle:", alert.Warning: ":large_orange_circle:",
		alert.Info: ":large_blue_circle:"}[ev.Severity]
	if ev.Status == alert.Resolved {
		icon = ":white_check_mark:"
	}
	title := fmt.Sprintf("[%s] %s %s", state, ev.Severity, ev.Job)
	msg := Message{Text: fmt.Sprintf("%s %s: %s", icon, title, ev.Summary)}
	msg.Blocks = append(msg.Blocks, Block{Type: "header", Text: &Text{Type: "plain_text", Text: oneline.Cut(title, maxHeader)}})
	msg.Blocks = append(msg.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: oneline.Cut(icon+" "+escape(ev.Summary), maxSection)}})
	fields := []Text{
		{Type: "mrkdwn", Text: "*Job*\n" + escape(ev.Job)},
		{Type: "mrkdwn", Text: "*Target*\n" + escape(ev.Target)},
	}
	if ev.Operation != "" {
		fields = append(fields, Text{Type: "mrkdwn", Text: "*Operation*\n`" + escape(ev.Operation) + "`"})
	}
	fields = append(fields, Text{Type: "mrkdwn", Text: "*Fingerprint*\n`" + ev.Fingerprint + "`"})
	msg.Blocks = append(msg.Blocks, Block{Type: "section", Fields: fields})
	if len(ev.Changes) > 0 {
		var b strings.Builder
		for i, c := range ev.Changes {
			if i == maxChanges {
				fmt.Fprintf(&b, "…and %d more\n", len(ev.Changes)-maxChanges)
				break
			}
			fmt.Fprintf(&b, "• `%s` %s (%s)\n", escape(c.Pointer), escape(c.Change), escape(string(c.Severity)))
		}
		msg.Blocks = append(msg.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: oneline.Cut(b.String(), maxSection)}})
	}
	ctx := "Started " + ev.StartedAt.UTC().Format("2006-01-02 15:04:05Z")
	if ev.ReportURL != "" {
		ctx += " · <" + ev.ReportURL + "|report of run " + escape(ev.RunID) + ">"
	}
	msg.Blocks = append(msg.Blocks, Block{Type: "context", Elements: []Text{{Type: "mrkdwn", Text: ctx}}})
	return msg
}

// escape neutralises Slack's mrkdwn control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Send posts ev.
func (n *Notifier) Send(ctx context.Context, ev alert.Event) error {
	body, err := json.Marshal(Render(ev))
	if err != nil {
		return alert.Permanent(fmt.Errorf("slack: encode message: %w", err))
	}
	if err := alert.PostJSON(ctx, n.client, n.url, body, nil); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}
