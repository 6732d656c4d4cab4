package mmapi

import (
	"net/http"
	"testing"
	"time"
)

// Ensure the bucket allows a tenth of the per-minute rate as a burst, then
// paces at the rate, and that blocks outlast the bucket.
func TestLimiterReserve(t *testing.T) {
	l := newLimiter(240) // 4/s, burst 24
	t0 := time.Unix(1000, 0)
	for i := range 24 {
		if d := l.reserve("op", t0); d != 0 {
			t.Fatalf("burst token %d waits %s", i, d)
		}
	}
	if d := l.reserve("op", t0); d != 250*time.Millisecond {
		t.Errorf("25th token waits %s, want 250ms", d)
	}
	if d := l.reserve("other", t0); d != 0 {
		t.Errorf("another operation shares the bucket: waits %s", d)
	}
	// One second later four tokens have refilled; one was already owed.
	if d := l.reserve("op", t0.Add(time.Second)); d != 0 {
		t.Errorf("after refill waits %s", d)
	}
	l.block("op", time.Now().Add(time.Hour))
	if d := l.reserve("op", time.Now()); d < 59*time.Minute {
		t.Errorf("blocked operation waits only %s", d)
	}
	if d := newLimiter(-1).reserve("op", t0); d != 0 {
		t.Errorf("disabled limiter waits %s", d)
	}
}

// Ensure Retry-After (seconds, HTTP date) and x-ratelimit-reset (delta or
// epoch) are read, with Retry-After taking precedence.
func TestRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"date", map[string]string{"Retry-After": now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}, 90 * time.Second, true},
		{"past date", map[string]string{"Retry-After": now.Add(-time.Hour).UTC().Format(http.TimeFormat)}, 0, true},
		{"precedence", map[string]string{"Retry-After": "3", "x-ratelimit-reset": "60"}, 3 * time.Second, true},
		{"reset delta", map[string]string{"x-ratelimit-reset": "60"}, time.Minute, true},
		{"reset epoch s", map[string]string{"x-ratelimit-reset": "1700000030"}, 30 * time.Second, true},
		{"reset epoch ms", map[string]string{"x-ratelimit-reset": "1700000030000"}, 30 * time.Second, true},
		{"garbage", map[string]string{"Retry-After": "soon", "x-ratelimit-reset": "NaN"}, 0, false},
		{"none", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			got, ok := retryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter = %s, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
