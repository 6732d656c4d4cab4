package mmapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Ensure the client never sends a request the vendor's replay window
// refuses: every attempt, retries after a 503 and after a 429 included,
// carries a timestamp header taken from the clock when that attempt is
// built, never the first attempt's; only CallOptions.Timestamp and
// NoTimestamp, for the negative specs, change that.
func TestFreshTimestampOnEveryAttempt(t *testing.T) {
	var (
		mu    sync.Mutex
		stamp []int64 // timestamp header of each attempt
		recv  []int64 // server time when it arrived
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, err := strconv.ParseInt(r.Header.Get("timestamp"), 10, 64)
		if err != nil {
			t.Errorf("attempt without a usable timestamp header: %q", r.Header.Get("timestamp"))
		}
		mu.Lock()
		stamp, recv = append(stamp, ts), append(recv, time.Now().UnixMilli())
		n := len(stamp)
		mu.Unlock()
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = w.Write(envelope("0", map[string]any{}))
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *Config) {
		cfg.Token = "tok-app"
		cfg.RetryBackoff = 30 * time.Millisecond
		cfg.MaxRetries = 3
	})
	ex, err := c.Call(context.Background(), Operation{BizType: "customer.app.CustomerWebApiService.findCustomerInfo"}, nil)
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if ex.Attempts != 3 || len(stamp) != 3 {
		t.Fatalf("%d attempts (%d seen), want 3: 503, 429, 200", ex.Attempts, len(stamp))
	}
	for i := range stamp {
		// Built just before it was sent: within a few ms of its arrival,
		// far inside the vendor's 5000 ms window.
		if lag := recv[i] - stamp[i]; lag < 0 || lag > 1000 {
			t.Errorf("attempt %d: timestamp %d ms before arrival, want a fresh one", i+1, lag)
		}
		if i > 0 && stamp[i] <= stamp[i-1] {
			t.Errorf("attempt %d reuses an earlier timestamp (%d after %d)", i+1, stamp[i], stamp[i-1])
		}
	}
	// The wait for Retry-After: 1 lies between attempts 2 and 3.
	if stamp[2]-stamp[1] < 900 {
		t.Errorf("attempt 3 is timestamped %d ms after attempt 2, which waited a second: not taken afresh", stamp[2]-stamp[1])
	}
	if want := ex.RequestHeader.Get("timestamp"); want != strconv.FormatInt(stamp[2], 10) {
		t.Errorf("Exchange records timestamp %s, the last attempt sent %d", want, stamp[2])
	}
}

// Ensure NoTimestamp sends none and Timestamp sends the given one, for the
// negative specs of the replay window.
func TestTimestampOptions(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("timestamp")+"|"+strconv.Itoa(len(r.Header.Values("timestamp"))))
		_, _ = w.Write(envelope("0", map[string]any{}))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.Token = "tok-app" })
	op := Operation{BizType: "customer.app.CustomerWebApiService.findCustomerInfo"}
	stale := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, o := range []CallOptions{{NoTimestamp: true}, {Timestamp: stale}} {
		if _, err := c.CallWith(context.Background(), op, nil, o); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"|0", strconv.FormatInt(stale.UnixMilli(), 10) + "|1"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("timestamp headers %q, want %q", got, want)
	}
}
