package simulator

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The vendor's rate-limit headers. "remairing" is the vendor's own spelling;
// clients written against the real service read exactly this name.
const (
	headerLimit     = "x-ratelimit-limit"
	headerRemaining = "x-ratelimit-remairing"
	headerReset     = "x-ratelimit-reset"
)

// limiter counts requests per endpoint in fixed one-minute windows, the
// vendor's documented "N per endpoint per minute". A window opens at an
// endpoint's first request and x-ratelimit-reset counts the seconds left in it.
type limiter struct {
	mu      sync.Mutex
	limit   int
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(limit int) *limiter {
	return &limiter{limit: limit, windows: map[string]*window{}}
}

// take counts one request to endpoint at now, sets the rate-limit headers on h
// and reports whether the request is within the limit. endpoint must come from
// a bounded set (known operations plus one bucket for everything else), so the
// map cannot be grown by a client sending random paths.
func (l *limiter) take(endpoint string, now time.Time, h http.Header) bool {
	l.mu.Lock()
	w := l.windows[endpoint]
	if w == nil || now.Sub(w.start) >= time.Minute || now.Before(w.start) {
		w = &window{start: now}
		l.windows[endpoint] = w
	}
	w.count++
	count := w.count
	left := w.start.Add(time.Minute).Sub(now)
	l.mu.Unlock()

	remaining := l.limit - count
	if remaining < 0 {
		remaining = 0
	}
	reset := int64((left + time.Second - 1) / time.Second)
	h.Set(headerLimit, strconv.Itoa(l.limit))
	h.Set(headerRemaining, strconv.Itoa(remaining))
	h.Set(headerReset, strconv.FormatInt(reset, 10))
	return count <= l.limit
}
