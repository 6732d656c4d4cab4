package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

func event() alert.Event {
	return alert.Event{Status: alert.Firing, Severity: alert.Critical, Kind: alert.KindContract, Fingerprint: "0123abcd",
		Job: "customer", Target: "staging", Operation: "customer.app.CustomerWebApiService.findCustomerInfo",
		Summary: "contract broken", Changes: []alert.Change{{Pointer: "/data/email", Change: "type_changed", Severity: "breaking"}},
		RunID: "r1", ReportURL: "http://127.0.0.1:9464/runs/r1/report.html", StartedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

// Ensure the body is the JSON event and, with a secret, the legacy signature
// header (kept for one release) is the HMAC-SHA256 of exactly the bytes
// received.
func TestSendSigned(t *testing.T) {
	const secret = "hook-secret-value"
	type got struct {
		body []byte
		sig  string
		ct   string
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{b, r.Header.Get(webhook.LegacySignatureHeader), r.Header.Get("Content-Type")}
	}))
	defer srv.Close()
	for _, withSecret := range []bool{true, false} {
		cfg := webhook.Config{URL: srv.URL}
		if withSecret {
			cfg.Secret = secret
		}
		n, err := webhook.New("oncall", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Send(context.Background(), event()); err != nil {
			t.Fatal(err)
		}
		g := <-ch
		if g.ct != "application/json" {
			t.Fatalf("content type %q", g.ct)
		}
		if !withSecret {
			if g.sig != "" {
				t.Fatalf("unsigned webhook sent a signature %q", g.sig)
			}
			continue
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(g.body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(g.sig), []byte(want)) {
			t.Fatalf("signature %q, want %q", g.sig, want)
		}
		if strings.Contains(string(g.body), secret) {
			t.Fatal("the secret is in the body")
		}
		var back alert.Event
		if err := json.Unmarshal(g.body, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, event()) {
			t.Fatalf("body decodes to %+v", back)
		}
	}
}

// Ensure configuration errors name the key and never echo the URL.
func TestNewErrors(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", "url: required"},
		{"ftp://hooks.example/x", "url: must be an absolute http or https URL"},
		{"/relative/secret-path", "url: must be an absolute http or https URL"},
	} {
		_, err := webhook.New("oncall", webhook.Config{URL: tc.url})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("url %q: err = %v, want %q", tc.url, err, tc.want)
		}
		if tc.url != "" && strings.Contains(err.Error(), tc.url) {
			t.Fatalf("error echoes the URL: %v", err)
		}
	}
}

// Ensure a transport error does not leak the URL, whose path may be a secret.
func TestTransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/T000/B000/secret-token-path"
	srv.Close() // nothing listens any more
	n, err := webhook.New("oncall", webhook.Config{URL: url, HTTPConfig: alert.HTTPConfig{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), event())
	if err == nil {
		t.Fatal("send to a closed server succeeded")
	}
	if strings.Contains(err.Error(), "secret-token-path") {
		t.Fatalf("error leaks the URL: %v", err)
	}
	if alert.IsPermanent(err) {
		t.Fatalf("a connection failure must be retryable: %v", err)
	}
}

// Ensure Sign follows the Standard Webhooks scheme: the test vector of the
// spec's reference libraries (whsec_ secret, msg id, timestamp, payload).
func TestStandardWebhooksVector(t *testing.T) {
	key, err := webhook.SigningKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if _, err := webhook.SigningKey("whsec_not base64!"); err == nil {
		t.Fatal("a malformed whsec_ secret was accepted")
	}
}

// Ensure a signed delivery carries webhook-id (the event id), a current
// webhook-timestamp and a webhook-signature that Verify accepts, and that
// Verify refuses a replay outside the tolerance, a tampered body and a
// wrong key.
func TestSendStandardWebhooks(t *testing.T) {
	const secret = "hook-secret-value"
	type got struct {
		body []byte
		h    http.Header
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{b, r.Header.Clone()}
	}))
	defer srv.Close()
	n, err := webhook.New("oncall", webhook.Config{URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ev := event()
	ev.ID = "evt_0123"
	if err := n.Send(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	g := <-ch
	if g.h.Get(webhook.IDHeader) != "evt_0123" {
		t.Fatalf("webhook-id %q, want the event id", g.h.Get(webhook.IDHeader))
	}
	now := time.Now()
	if err := webhook.Verify([]byte(secret), g.h, g.body, now, 5*time.Minute); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for name, tc := range map[string]struct {
		key  string
		body []byte
		now  time.Time
	}{
		"replayed an hour later": {secret, g.body, now.Add(time.Hour)},
		"tampered body":          {secret, append([]byte(nil), append(g.body, ' ')...), now},
		"wrong key":              {"other", g.body, now},
	} {
		if err := webhook.Verify([]byte(tc.key), g.h, tc.body, tc.now, 5*time.Minute); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
}
