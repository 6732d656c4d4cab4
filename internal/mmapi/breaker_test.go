package mmapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Ensure the breaker opens after the configured streak of faults, names the
// cause, keeps families apart, and lets any real answer end a streak.
func TestBreakerStreaks(t *testing.T) {
	http503 := &UnavailableError{Reason: "HTTP 503", HTTPStatus: 503}
	http429 := &UnavailableError{Reason: "rate limited (429)", HTTPStatus: 429}
	reset := &UnavailableError{Reason: "connection reset by peer", Err: errors.New("read: connection reset by peer")}
	timeout := &UnavailableError{Reason: "timeout after 1s", Err: errors.New("deadline"), Timeout: true}
	redirect := &UnavailableError{Reason: "redirected to another host: x", HTTPStatus: 307}
	vendor := &VendorError{Code: "CUSTOMER_API_1"}
	cases := []struct {
		name     string
		steps    []error
		family   Family // asked after the steps, all of which go to FamilyClient
		wantOpen string // "" = closed; else a substring of the reason
	}{
		{"four 503s stay closed", []error{http503, http503, http503, http503}, FamilyClient, ""},
		{"five 503s open", []error{http503, http503, http503, http503, http503}, FamilyClient, "answered HTTP 503 to the last 5 client API requests"},
		{"another family stays closed", []error{http503, http503, http503, http503, http503}, FamilyOpenAPI, ""},
		{"an answer ends the streak", []error{http503, http503, http503, nil, http503, http503}, FamilyClient, ""},
		{"a vendor error is an answer", []error{http503, http503, http503, vendor, http503, http503}, FamilyClient, ""},
		{"429s say rate limited", []error{http429, http429, http429, http429, http429}, FamilyClient, "rate limited: the vendor answered HTTP 429 to the last 5"},
		{"transport failures name the failure", []error{reset, reset, reset, reset, reset}, FamilyClient, "failed: connection reset by peer"},
		{"mixed faults name the last", []error{http503, reset, http503, http503, http429}, FamilyClient, "the last 5 client API requests failed (the last: HTTP 429)"},
		{"a redirect is not a fault", []error{http503, http503, redirect, http503, http503, http503}, FamilyClient, ""},
		{"two timeouts open every family", []error{timeout, timeout}, FamilyManager, "timed out on the last 2 requests"},
		{"a timeout streak ends with an answer", []error{timeout, nil, timeout}, FamilyManager, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBreaker(0, 0, 0)
			for _, err := range tc.steps {
				b.record(FamilyClient, err)
			}
			ue := b.allow(tc.family)
			switch {
			case tc.wantOpen == "" && ue != nil:
				t.Errorf("open: %q", ue.Reason)
			case tc.wantOpen != "" && ue == nil:
				t.Errorf("closed, want open with %q", tc.wantOpen)
			case ue != nil && (!strings.Contains(ue.Reason, tc.wantOpen) || !strings.HasPrefix(ue.Reason, "not called: ")):
				t.Errorf("reason %q, want %q after \"not called: \"", ue.Reason, tc.wantOpen)
			}
		})
	}
}

// Ensure the wait budget is shared and never overdrawn, and that a nil
// breaker allows everything.
func TestBreakerBudget(t *testing.T) {
	b := NewBreaker(0, 0, time.Second)
	if !b.spend(600*time.Millisecond) || b.spend(500*time.Millisecond) || !b.spend(400*time.Millisecond) || b.spend(time.Millisecond) {
		t.Error("spend did not draw exactly one second")
	}
	if msg := b.refused(time.Second); !strings.Contains(msg, "--fault-budget") || !strings.Contains(msg, "0s of 1s left") {
		t.Errorf("refusal %q does not say what is left and which flag sets it", msg)
	}
	var none *Breaker
	if none.allow(FamilyClient) != nil || !none.spend(time.Hour) {
		t.Error("a nil breaker refuses")
	}
	none.record(FamilyClient, &UnavailableError{HTTPStatus: 503})
}

// Ensure a vendor that answers 503 to everything costs the run a bounded
// number of requests: once the breaker is open, calls fail at once, without
// a request, naming the cause.
func TestBreakerStopsCallingADownVendor(t *testing.T) {
	checkLeaks(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "<html><title>503</title></html>", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	br := NewBreaker(0, 0, time.Minute)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "tok"; cfg.Breaker = br })
	var last error
	for i := 0; i < 20; i++ {
		_, last = c.Call(t.Context(), opFind, nil)
	}
	if n := hits.Load(); n != DefaultFaultLimit {
		t.Errorf("%d requests for 20 calls, want %d (the breaker's limit)", n, DefaultFaultLimit)
	}
	ue := wantErr[*UnavailableError](t, last)
	if !strings.Contains(ue.Reason, "not called: the vendor answered HTTP 503 to the last 5 client API requests") {
		t.Errorf("reason %q does not name the cause", ue.Reason)
	}
}

// Ensure one transient fault in a healthy run is still retried and passes,
// and that the retry's backoff is paid from the budget: with none left, the
// fault is returned at once instead.
func TestBreakerRetriesATransientFault(t *testing.T) {
	checkLeaks(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 1 {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		_, _ = w.Write(envelope("0", map[string]any{"id": 1}))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "tok"; cfg.Breaker = NewBreaker(0, 0, time.Minute) })
	for i := 0; i < 10; i++ {
		ex, err := c.Call(t.Context(), opFind, nil)
		if err != nil || ex.Attempts != 2 {
			t.Fatalf("call %d: attempts %d, err %v; want a retry that passes", i, ex.Attempts, err)
		}
	}

	broke := NewBreaker(0, 0, time.Nanosecond)
	c = newClient(t, srv.URL, func(cfg *Config) {
		cfg.Token = "tok"
		cfg.Breaker = broke
		cfg.RetryBackoff = 50 * time.Millisecond
	})
	hits.Store(0)
	_, err := c.Call(t.Context(), opFind, nil)
	ue := wantErr[*UnavailableError](t, err)
	if !strings.Contains(ue.Reason, "not retried: waiting") || hits.Load() != 1 {
		t.Errorf("with the budget spent: %d requests, reason %q; want 1 and \"not retried\"", hits.Load(), ue.Reason)
	}
}

// Ensure 429 waits are paid from the budget: a vendor that asks for more
// than is left gets no wait, and the call says so.
func TestBreakerBudgetsRateLimitWaits(t *testing.T) {
	checkLeaks(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(envelope("GATEWAY_CODE_007", nil))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "tok"; cfg.Breaker = NewBreaker(0, 0, 1500*time.Millisecond) })
	start := time.Now()
	_, err := c.Call(t.Context(), opFind, nil)
	took := time.Since(start)
	ue := wantErr[*UnavailableError](t, err)
	if !strings.Contains(ue.Reason, "rate limited") || !strings.Contains(ue.Reason, "fault budget") {
		t.Errorf("reason %q names neither the 429 nor the budget", ue.Reason)
	}
	if hits.Load() != 2 || took > 5*time.Second {
		t.Errorf("%d requests in %s; want 2 (one 1 s wait fits the 1.5 s budget, the second does not)", hits.Load(), took)
	}
}
