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

// Ensure the body is the JSON event and, with a secret, the signature header
// is the HMAC-SHA256 of exactly the bytes received.
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
		ch <- got{b, r.Header.Get("X-Mmcontract-Signature"), r.Header.Get("Content-Type")}
	}))
	defer srv.Close()
	for _, withSecret := range []bool{true, false} {
		cfg := alert.ReceiverConfig{Name: "oncall", URL: srv.URL}
		if withSecret {
			cfg.Secret = secret
		}
		n, err := webhook.New(cfg)
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
		_, err := webhook.New(alert.ReceiverConfig{Name: "oncall", URL: tc.url})
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
	n, err := webhook.New(alert.ReceiverConfig{Name: "oncall", URL: url, Timeout: 2 * time.Second})
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
