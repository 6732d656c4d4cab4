// Package webhook is the generic alert receiver: it POSTs the alert.Event as
// JSON and, given a secret, signs the body so the receiver can tell our calls
// from anyone else's.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mmcontract/mmcontract/runner/alert"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Mmcontract-Signature"

// Notifier posts events to one URL.
type Notifier struct {
	url    string
	secret []byte
	client *http.Client
}

var _ alert.Notifier = (*Notifier)(nil)

// New returns a webhook Notifier; url is required, secret optional.
func New(cfg alert.ReceiverConfig) (*Notifier, error) {
	if err := alert.ValidateURL("url", cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook receiver %q: %w", cfg.Name, err)
	}
	return &Notifier{url: cfg.URL, secret: []byte(cfg.Secret), client: cfg.HTTPClient()}, nil
}

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
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
	if len(n.secret) > 0 {
		h.Set(SignatureHeader, Sign(n.secret, body))
	}
	if err := alert.PostJSON(ctx, n.client, n.url, body, h); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
