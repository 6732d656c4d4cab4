// Package webhook is the generic alert receiver: it POSTs the alert.Event as
// JSON with the Standard Webhooks headers (webhook-id, webhook-timestamp
// and, given a secret, webhook-signature), so the receiver can tell our
// calls from anyone else's, refuse replays, and de-duplicate retries.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
)

// The Standard Webhooks headers (https://www.standardwebhooks.com/).
const (
	IDHeader        = "webhook-id"        // the event id: the same on every retry
	TimestampHeader = "webhook-timestamp" // Unix seconds of this attempt
	// SignatureHeader carries "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
	SignatureHeader = "webhook-signature"
	// LegacySignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// body alone. Deprecated: it cannot refuse a replayed delivery; it is
	// still sent for one release so receivers can move to SignatureHeader.
	LegacySignatureHeader = "X-Mmcontract-Signature"
)

// Notifier posts events to one URL.
type Notifier struct {
	url    string
	secret []byte
	key    []byte
	client *http.Client
	now    func() time.Time
}

var _ alert.Notifier = (*Notifier)(nil)

// Type is the receiver type's name in alerting.receivers.
const Type = "webhook"

// Config is a webhook receiver's keys in alerting.receivers.
type Config struct {
	URL              string `yaml:"url"`    // required
	Secret           string `yaml:"secret"` // HMAC-SHA256 key; optional
	alert.HTTPConfig `yaml:",inline"`
}

// Secrets lists the values no output may show: the signing secret.
func (c Config) Secrets() []string { return []string{c.Secret} }

// New returns the webhook Notifier of the receiver named name; url is
// required, secret optional. An error is an *alert.FieldError.
func New(name string, cfg Config) (*Notifier, error) {
	if err := alert.CheckURL(cfg.URL); err != nil {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "url", Err: err}
	}
	key, err := SigningKey(cfg.Secret)
	if err != nil {
		return nil, &alert.FieldError{Type: Type, Receiver: name, Field: "secret", Err: err}
	}
	if err := cfg.Check(Type, name); err != nil {
		return nil, err
	}
	return &Notifier{url: cfg.URL, secret: []byte(cfg.Secret), key: key, client: cfg.HTTPClient(), now: time.Now}, nil
}

// SigningKey is the HMAC key of a secret: a Standard Webhooks secret
// "whsec_<base64>" is its decoded bytes, as the spec's libraries expect; any
// other secret is used as written.
func SigningKey(secret string) ([]byte, error) {
	if b64, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("a whsec_ secret must be base64 after the prefix")
		}
		return key, nil
	}
	return []byte(secret), nil
}

// Sign returns the SignatureHeader value for one delivery: the Standard
// Webhooks "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery the way a receiver should: the signature of
// id.timestamp.body under key must match one of the space-separated v1
// entries, in constant time, and the timestamp must be within tolerance of
// now (refusing replays of captured deliveries).
func Verify(key []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := h.Get(IDHeader), h.Get(TimestampHeader), h.Get(SignatureHeader)
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing %s, %s or %s", IDHeader, TimestampHeader, SignatureHeader)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q is not Unix seconds", TimestampHeader, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s is %s away from now: a replay or a skewed clock", TimestampHeader, d.Round(time.Second))
	}
	want := Sign(key, id, sec, body)
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no matching signature")
}

// LegacySign returns the LegacySignatureHeader value for body under secret.
func LegacySign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send posts ev.
func (n *Notifier) Send(ctx context.Context, ev alert.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return alert.Permanent(fmt.Errorf("webhook: encode event: %w", err))
	}
	h := http.Header{}
	ts := n.now().Unix()
	h.Set(IDHeader, ev.ID)
	h.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	if len(n.secret) > 0 {
		h.Set(SignatureHeader, Sign(n.key, ev.ID, ts, body))
		h.Set(LegacySignatureHeader, LegacySign(n.secret, body))
	}
	if err := alert.PostJSON(ctx, n.client, n.url, body, h); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
