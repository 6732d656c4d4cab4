package mmapi

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter is a token bucket per operation. The vendor limits each endpoint
// per minute; the burst is a tenth of the rate so that burst plus one
// minute's refill (264 at the default 240/min) stays under the vendor's 300
// in any window. Blocks set from 429s and exhausted-window headers hold an
// operation for every caller at once. It uses the monotonic clock, not
// Config.Now, so a frozen test clock cannot stall it.
type limiter struct {
	rate  float64 // tokens per second; 0 = no token accounting
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens  float64
	last    time.Time
	blocked time.Time
}

func newLimiter(perMinute int) *limiter {
	l := &limiter{buckets: map[string]*bucket{}}
	if perMinute > 0 {
		l.rate = float64(perMinute) / 60
		l.burst = max(1, float64(perMinute)/10)
	}
	return l
}

func (l *limiter) get(key string, now time.Time) *bucket {
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	return b
}

// reserve takes a token for key at now and returns how long the caller must
// wait before using it.
func (l *limiter) reserve(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	var wait time.Duration
	if l.rate > 0 {
		if el := now.Sub(b.last); el > 0 {
			b.tokens = min(l.burst, b.tokens+el.Seconds()*l.rate)
			b.last = now
		}
		b.tokens--
		if b.tokens < 0 {
			wait = time.Duration(-b.tokens / l.rate * float64(time.Second))
		}
	}
	if d := b.blocked.Sub(now); d > wait {
		wait = d
	}
	return wait
}

// unreserve returns a token whose wait was abandoned.
func (l *limiter) unreserve(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil && l.rate > 0 {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// wait blocks until key may send, or ctx ends. The part of the wait that a
// block imposes (a 429, a spent window) is the vendor's, not our pacing: it
// is paid from charge, and when charge refuses it wait returns a
// *budgetError without waiting.
func (l *limiter) wait(ctx context.Context, key string, charge func(time.Duration) bool) error {
	now := time.Now()
	blocked := l.blockedFor(key, now)
	d := l.reserve(key, now)
	if d <= 0 {
		return nil
	}
	if blocked = min(blocked, d); !charge(blocked) {
		l.unreserve(key)
		return &budgetError{wait: blocked}
	}
	if err := sleep(ctx, d); err != nil {
		l.unreserve(key)
		return err
	}
	return nil
}

// budgetError is wait's refusal to wait out a block beyond the fault budget.
type budgetError struct{ wait time.Duration }

func (e *budgetError) Error() string {
	return fmt.Sprintf("waiting %s exceeds the fault budget", e.wait)
}

// blockedFor is how much longer key is blocked at now.
func (l *limiter) blockedFor(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		return max(b.blocked.Sub(now), 0)
	}
	return 0
}

// block holds key until until.
func (l *limiter) block(key string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, time.Now())
	if until.After(b.blocked) {
		b.blocked = until
	}
}

// drain empties key's bucket: the vendor says the window is spent but not
// when it resets, so the next call waits one refill interval.
func (l *limiter) drain(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, time.Now())
	b.tokens = min(b.tokens, 0)
}
