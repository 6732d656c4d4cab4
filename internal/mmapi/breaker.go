package mmapi

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Defaults of the run-wide fault budget.
const (
	// DefaultFaultLimit is how many consecutive faulted requests to one API
	// family open its breaker: enough that one transient fault (or one call
	// and its retries) never does, few enough that a total outage costs
	// seconds, not a timeout-and-backoff per operation.
	DefaultFaultLimit = 5
	// DefaultTimeoutLimit is how many consecutive timed-out requests open the
	// breaker for every family: a timeout costs a whole request timeout, and a
	// host that stops answering stops answering every family.
	DefaultTimeoutLimit = 2
	// DefaultWaitBudget is how long a run may spend, in total, on retry
	// backoff and on waits the vendor asked for (429, spent rate-limit
	// windows): a small fraction of a typical CI job or monitor timeout.
	DefaultWaitBudget = 20 * time.Second
)

// Breaker is one run's fault budget, shared by every Client of the run. It
// is the one mechanism that bounds a run against a failing vendor:
//
//   - consecutive faults (transport failures, 5xx, WAF and ban pages, 429)
//     to one API family open that family's breaker, and consecutive timeouts
//     open it for all; an open breaker fails every later call at once with
//     an *UnavailableError naming the cause ("not called: …");
//   - retry backoff and the waits the vendor asks for draw on one wait
//     budget; once it is spent, failures are returned instead of retried.
//
// Any answer that is not a fault (a success, a vendor error envelope, a
// contract break) closes the streak again, so an isolated fault still gets
// its retries. A nil *Breaker never opens and has an unlimited budget.
type Breaker struct {
	faultLimit, timeoutLimit int
	budget                   time.Duration // the configured total, for messages

	mu       sync.Mutex
	left     time.Duration
	families map[Family]*streak
	timeouts streak // across families
}

// streak is a run of consecutive faults and what caused them.
type streak struct {
	n     int
	cause string // the last fault's cause, e.g. "HTTP 503"
	mixed bool   // the streak's faults had different causes
	open  string // the "not called" reason once open; "" while closed
}

// NewBreaker returns a breaker; zero or negative arguments take the defaults.
func NewBreaker(faultLimit, timeoutLimit int, waitBudget time.Duration) *Breaker {
	if faultLimit <= 0 {
		faultLimit = DefaultFaultLimit
	}
	if timeoutLimit <= 0 {
		timeoutLimit = DefaultTimeoutLimit
	}
	if waitBudget <= 0 {
		waitBudget = DefaultWaitBudget
	}
	return &Breaker{faultLimit: faultLimit, timeoutLimit: timeoutLimit, budget: waitBudget, left: waitBudget,
		families: map[Family]*streak{}}
}

// allow returns the *UnavailableError of an open breaker for f, or nil.
func (b *Breaker) allow(f Family) *UnavailableError {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timeouts.open != "" {
		return &UnavailableError{Reason: b.timeouts.open}
	}
	if s := b.families[f]; s != nil && s.open != "" {
		return &UnavailableError{Reason: s.open}
	}
	return nil
}

// record counts the result of one request to family f: err is what the
// attempt returned.
func (b *Breaker) record(f Family, err error) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.families[f]
	if s == nil {
		s = &streak{}
		b.families[f] = s
	}
	ue, cause := faultCause(err)
	if ue == nil {
		*s, b.timeouts = streak{open: s.open}, streak{open: b.timeouts.open}
		return
	}
	if ue.Timeout {
		b.timeouts.add("timeout")
		if b.timeouts.n >= b.timeoutLimit && b.timeouts.open == "" {
			b.timeouts.open = fmt.Sprintf("not called: the vendor timed out on the last %d requests", b.timeouts.n)
		}
		return
	}
	b.timeouts = streak{open: b.timeouts.open}
	s.add(cause)
	if s.n < b.faultLimit || s.open != "" {
		return
	}
	api := string(f) + " API"
	switch {
	case s.mixed:
		s.open = fmt.Sprintf("not called: the last %d %s requests failed (the last: %s)", s.n, api, s.cause)
	case ue.HTTPStatus == http.StatusTooManyRequests && ue.Err == nil:
		s.open = fmt.Sprintf("not called: rate limited: the vendor answered HTTP 429 to the last %d %s requests", s.n, api)
	case ue.Err == nil:
		s.open = fmt.Sprintf("not called: the vendor answered %s to the last %d %s requests", s.cause, s.n, api)
	default:
		s.open = fmt.Sprintf("not called: the last %d %s requests failed: %s", s.n, api, s.cause)
	}
}

func (s *streak) add(cause string) {
	if s.n > 0 && cause != s.cause {
		s.mixed = true
	}
	s.n++
	s.cause = cause
}

// faultCause returns err's *UnavailableError and its cause in a few words
// when err is a fault the breaker counts; a redirect off the target host is
// an answer, not a fault.
func faultCause(err error) (*UnavailableError, string) {
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		return nil, ""
	}
	st := ue.HTTPStatus
	switch {
	case ue.Timeout:
		return ue, "timeout"
	case ue.Err != nil:
		return ue, ue.Reason
	case st >= 500 || st == http.StatusForbidden || st == http.StatusTeapot || st == http.StatusTooManyRequests:
		return ue, fmt.Sprintf("HTTP %d", st)
	}
	return nil, ""
}

// spend takes d from the wait budget, or reports false (taking nothing)
// when the budget cannot cover it.
func (b *Breaker) spend(d time.Duration) bool {
	if b == nil || d <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d > b.left {
		return false
	}
	b.left -= d
	return true
}

// refused says why a wait of d was refused, for the end of an error reason.
func (b *Breaker) refused(d time.Duration) string {
	b.mu.Lock()
	left := b.left
	b.mu.Unlock()
	return fmt.Sprintf("waiting %s more would exceed the run's fault budget for retries and rate-limit waits (%s of %s left; --fault-budget)",
		d.Round(time.Millisecond), left.Round(time.Millisecond), b.budget)
}
