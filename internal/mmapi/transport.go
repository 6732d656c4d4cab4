package mmapi

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mmcontract/mmcontract/internal/oneline"
)

// NewHTTPClient returns the HTTP client the harness uses by default: TLS
// verification on (insecure turns it off, and the caller must say so loudly),
// proxies from the environment, no overall timeout (the Client bounds each
// request itself), and a redirect policy that never leaves the first host.
func NewHTTPClient(insecure bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // explicit --insecure only
	t.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: t, CheckRedirect: CheckRedirect}
}

// credentialHeaders never travel to a host other than the one the request
// was built for.
var credentialHeaders = []string{"token", "apiKey", "signature", "Authorization", "Cookie", "X-Mmcontract-Signature"}

// CheckRedirect is the harness's redirect policy: same-host redirects are
// followed (at most 10); on a host change the credential headers are stripped
// and the redirect is not followed, so the caller sees the 3xx response and
// reports it. Stripping is defence in depth should a caller follow anyway.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if stripOnHostChange(req, via) {
		return http.ErrUseLastResponse
	}
	return nil
}

// stripOnHostChange removes credential headers from req when its host
// differs from the original request's, and reports whether it did.
func stripOnHostChange(req *http.Request, via []*http.Request) bool {
	if len(via) == 0 || strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return false
	}
	for _, h := range credentialHeaders {
		req.Header.Del(h)
	}
	return true
}

// Confine returns a copy of hc whose redirect policy runs CheckRedirect
// first and the caller's own policy after it: the HTTP client and the
// websocket handshake (internal/wsclient) never follow a redirect off host.
func Confine(hc *http.Client) *http.Client {
	cp := *hc
	own := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := CheckRedirect(req, via); err != nil {
			return err
		}
		if own != nil {
			return own(req, via)
		}
		return nil
	}
	return &cp
}

// NewTrace returns a fresh trace id in the vendor H5 client's format,
// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx-<epochMs>, from crypto/rand.
func NewTrace(now time.Time) string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32] + "-" + strconv.FormatInt(now.UnixMilli(), 10)
}

// outcome of one attempt, deciding what the retry loop does next.
type outcome int

const (
	final     outcome = iota // return the result as is
	transient                // retry with backoff, if the budget allows
	throttled                // 429: wait as told, if the budget allows
)

// send performs op with retries, filling one Exchange with the last attempt.
// Every attempt is counted by the run's Breaker, and every wait between
// attempts is paid from its budget; a nil Exchange means the breaker let no
// request go out.
func (c *Client) send(ctx context.Context, op Operation, body []byte, token string, o CallOptions) (*Exchange, error) {
	ex := &Exchange{Method: http.MethodPost, URL: c.URL(op), RequestBody: body}
	if op.Quote {
		ex.Method = http.MethodGet
	}
	key := string(op.Family) + " " + op.BizType
	br := c.cfg.Breaker
	var last error
	for attempt := 1; ; attempt++ {
		if open := br.allow(op.Family); open != nil {
			if last != nil {
				// This call's own faults opened it: report them.
				return ex, withReason(last, attemptsNote(attempt-1))
			}
			return nil, open
		}
		if err := c.limiter.wait(ctx, key, br.spend); err != nil {
			var be *budgetError
			if errors.As(err, &be) {
				if last != nil {
					return ex, withReason(last, attemptsNote(attempt-1)+"; not retried: "+br.refused(be.wait))
				}
				return nil, &UnavailableError{Reason: "not called: rate limited: " + br.refused(be.wait)}
			}
			return ex, fmt.Errorf("%s: waiting for the rate limiter: %w", op.BizType, err)
		}
		ex.Attempts = attempt
		kind, wait, err := c.attempt(ctx, op, body, token, o, ex)
		if ctx.Err() == nil {
			br.record(op.Family, err)
		}
		last = err
		if kind == final || ctx.Err() != nil {
			if err != nil && ctx.Err() != nil {
				return ex, fmt.Errorf("%s: %w", op.BizType, ctx.Err())
			}
			return ex, err
		}
		var ue *UnavailableError
		if !errors.As(err, &ue) {
			return ex, err
		}
		if attempt > c.cfg.MaxRetries || (kind == transient && o.NoRetry) {
			ue.Reason += attemptsNote(attempt)
			return ex, err
		}
		if kind == throttled {
			if wait > c.cfg.MaxRetryAfter {
				ue.Reason += fmt.Sprintf("; asked to wait %s, more than the %s cap", wait.Round(time.Second), c.cfg.MaxRetryAfter)
				return ex, err
			}
			if wait <= 0 {
				wait = c.backoff(attempt)
			}
			// Blocking the operation's bucket makes concurrent callers wait
			// too; this caller's next limiter.wait does the sleeping, and
			// pays for it from the fault budget.
			c.limiter.block(key, time.Now().Add(wait))
			continue
		}
		d := c.backoff(attempt)
		if !br.spend(d) {
			ue.Reason += attemptsNote(attempt) + "; not retried: " + br.refused(d)
			return ex, err
		}
		if err := sleep(ctx, d); err != nil {
			return ex, fmt.Errorf("%s: %w", op.BizType, err)
		}
	}
}

// attemptsNote ends a reason with the number of attempts, when retried.
func attemptsNote(attempts int) string {
	if attempts > 1 {
		return fmt.Sprintf(" after %d attempts", attempts)
	}
	return ""
}

// withReason appends to the reason of err's *UnavailableError.
func withReason(err error, more string) error {
	var ue *UnavailableError
	if errors.As(err, &ue) {
		ue.Reason += more
	}
	return err
}

// backoff is exponential with jitter in [d/2, d], capped at 20x the base.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBackoff << min(attempt-1, 10)
	d = min(d, 20*c.cfg.RetryBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt performs one HTTP request and classifies its result.
func (c *Client) attempt(ctx context.Context, op Operation, body []byte, token string, o CallOptions, ex *Exchange) (outcome, time.Duration, error) {
	actx, cancel := context.WithTimeout(context.WithValue(context.WithValue(ctx, familyKey{}, op.Family), plainKey{}, op.Quote), c.cfg.Timeout)
	defer cancel()
	now := c.cfg.Now()
	trace := NewTrace(now)
	if c.cfg.Encrypted && op.Family != FamilyAuth2 && !op.Quote {
		trace = "x-" + trace
	}
	url := c.URL(op) // each attempt's own query: its trace
	if op.Quote {
		var err error
		if url, body, err = quoteRequest(url, body, trace, token, op.QueryBody); err != nil {
			return final, 0, fmt.Errorf("%s: %w", op.BizType, err)
		}
		token = "" // in the URL, not a header
		ex.URL, ex.RequestBody = url, body
	}
	req, err := http.NewRequestWithContext(actx, ex.Method, url, bytes.NewReader(body))
	if err != nil {
		return final, 0, fmt.Errorf("%s: building request: %w", op.BizType, err)
	}
	if !o.Timestamp.IsZero() {
		now = o.Timestamp
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if c.cfg.CompanyID != "" {
		h.Set(companyHeader(op.Family), c.cfg.CompanyID)
	}
	h.Set("trace", trace)
	if !o.NoTimestamp {
		h.Set("timestamp", strconv.FormatInt(now.UnixMilli(), 10))
	}
	h.Set("version", op.Version)
	if op.Group != "" {
		h.Set("group", op.Group)
	}
	h.Set("lang", c.cfg.Lang)
	if token != "" {
		h.Set("token", token)
	}
	ex.RequestHeader = h.Clone()
	ex.Trace = trace
	ex.HTTPStatus, ex.Header, ex.Body, ex.Envelope = 0, nil, nil, nil

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		ex.Latency = time.Since(start)
		return c.transportFailure(ctx, err, "waiting for response headers")
	}
	defer resp.Body.Close()
	ex.HTTPStatus, ex.Header = resp.StatusCode, resp.Header
	data, over, err := readCapped(resp.Body, c.cfg.MaxBodyBytes)
	ex.Body, ex.Latency = data, time.Since(start)
	// Every body, the login response first, teaches the redactor the
	// personal values it carries before any sink sees text quoting them.
	c.red.LearnBody(data)
	if err != nil {
		kind, _, uerr := c.transportFailure(ctx, err, "reading the response body")
		var ue *UnavailableError
		if errors.As(uerr, &ue) {
			ue.HTTPStatus = resp.StatusCode
		}
		return kind, 0, uerr
	}
	c.observeRateHeaders(op, resp.Header)
	if !over {
		ex.Envelope, _ = DecodeEnvelope(data)
	}
	return c.classify(req, resp, ex, over)
}

// readCapped reads at most max+1 bytes, reporting whether the body exceeds
// max; the returned bytes are capped at max.
func readCapped(r io.Reader, max int64) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(data)) > max {
		return data[:max], true, nil
	}
	return data, false, err
}

func (c *Client) transportFailure(ctx context.Context, err error, phase string) (outcome, time.Duration, error) {
	if ctx.Err() != nil {
		return final, 0, ctx.Err()
	}
	reason, retry := TransportReason(err)
	timeout := reason == ""
	if timeout {
		reason = fmt.Sprintf("timeout after %s %s", c.cfg.Timeout, phase)
	}
	kind := final
	if retry {
		kind = transient
	}
	return kind, 0, &UnavailableError{Reason: reason, Err: err, Timeout: timeout}
}

// TransportReason names a transport failure in one line and says whether it
// is worth retrying. An empty reason means a timeout, which is never retried:
// a stalled vendor should cost one timeout, not several. It is exported so
// the websocket client (internal/wsclient) names a failed handshake in the
// same words as a failed HTTP call.
func TransportReason(err error) (string, bool) {
	var (
		ne   net.Error
		dns  *net.DNSError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		host x509.HostnameError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer", true
	case errors.Is(err, syscall.EPIPE):
		return "connection closed while sending (broken pipe)", true
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed mid-response (truncated body)", true
	case errors.Is(err, io.EOF):
		return "connection closed before response headers", true
	case errors.As(err, &dns):
		return oneline.Collapse("DNS lookup failed: "+dns.Error(), 200), dns.IsTemporary
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &host):
		return oneline.Collapse("TLS certificate verification failed: "+innermost(err), 200), false
	}
	return oneline.Collapse("transport error: "+innermost(err), 200), false
}

// innermost strips url.Error's `Post "URL":` prefix, which repeats what the
// report already shows.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// classify maps a complete response to an outcome.
func (c *Client) classify(req *http.Request, resp *http.Response, ex *Exchange, over bool) (outcome, time.Duration, error) {
	st := resp.StatusCode
	status := fmt.Sprintf("HTTP %d %s", st, http.StatusText(st))
	unavailable := func(reason string) *UnavailableError {
		return &UnavailableError{Reason: reason, HTTPStatus: st}
	}
	switch {
	case st == http.StatusTooManyRequests:
		wait, _ := retryAfter(resp.Header, c.cfg.Now())
		return throttled, wait, unavailable("rate limited (429)")
	case st == http.StatusBadGateway, st == http.StatusServiceUnavailable, st == http.StatusGatewayTimeout:
		return transient, 0, unavailable(status)
	case st >= 500:
		reason := status
		if e := ex.Envelope; e != nil {
			reason += fmt.Sprintf(" (envelope %s/%s)", e.BizCode, e.Code)
		}
		return final, 0, unavailable(reason)
	case st >= 300 && st < 400:
		loc, err := resp.Location()
		if err == nil && !strings.EqualFold(loc.Host, req.URL.Host) {
			return final, 0, unavailable("redirected to another host: " + loc.Host)
		}
		return final, 0, unavailable(status + " without a followable redirect")
	}
	if over {
		return final, 0, &ContractError{Reason: fmt.Sprintf("%s: body exceeds %s cap", status, formatBytes(c.cfg.MaxBodyBytes))}
	}
	env, derr := DecodeEnvelope(ex.Body)
	if st == http.StatusForbidden || st == 418 {
		if derr == nil && !env.Success() {
			return final, 0, vendorError(env, st)
		}
		what := "blocked (WAF or access-control page)"
		if st == 418 {
			what = "banned (the vendor's IP ban after rate limiting)"
		}
		if t := pageTitle(resp.Header, ex.Body); t != "" {
			what += fmt.Sprintf(": %q", t)
		}
		return final, 0, unavailable(fmt.Sprintf("HTTP %d %s", st, what))
	}
	if derr != nil {
		var ce *ContractError
		if errors.As(derr, &ce) && st != http.StatusOK {
			ce.Reason = status + ": " + ce.Reason
			ce.HTTPStatus = st
		}
		return final, 0, derr
	}
	if !env.Success() {
		return final, 0, vendorError(env, st)
	}
	if st < 200 || st >= 300 {
		return final, 0, &ContractError{Reason: status + " with a success envelope"}
	}
	return final, 0, nil
}

func vendorError(env *Envelope, status int) *VendorError {
	return &VendorError{BizCode: env.BizCode, Code: env.Code, Msg: env.Msg, Trace: env.Trace, HTTPStatus: status}
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// pageTitle names an HTML block page by its <title>, which is what an
// on-call engineer recognises ("Attention Required! | Cloudflare").
func pageTitle(h http.Header, body []byte) string {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "text/html" {
		return ""
	}
	m := titleRE.FindSubmatch(body[:min(len(body), 64<<10)])
	if m == nil {
		return ""
	}
	return oneline.Collapse(string(m[1]), 80)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// retryAfter reads how long the vendor asks us to wait: Retry-After (seconds
// or an HTTP date), else x-ratelimit-reset (seconds until the window resets;
// an epoch value in seconds or ms is accepted too).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return time.Duration(min(secs, 1<<31)) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != f {
			return 0, false
		}
		switch {
		case f > 1e12: // epoch ms
			return max(time.UnixMilli(int64(f)).Sub(now), 0), true
		case f > 1e9: // epoch seconds
			return max(time.Unix(int64(f), 0).Sub(now), 0), true
		}
		return time.Duration(f * float64(time.Second)), true
	}
	return 0, false
}

// observeRateHeaders honours a response that says the window is spent
// (x-ratelimit-remairing: 0, the vendor's spelling, or the correct one) by
// holding the operation until the window resets, capped at MaxRetryAfter.
func (c *Client) observeRateHeaders(op Operation, h http.Header) {
	v := h.Get("X-Ratelimit-Remairing")
	if v == "" {
		v = h.Get("X-Ratelimit-Remaining")
	}
	if strings.TrimSpace(v) != "0" {
		return
	}
	key := string(op.Family) + " " + op.BizType
	// Retry-After, when the vendor sends it with the headers, is the more
	// specific instruction; the window reset is the fallback.
	wait, ok := retryAfter(h, c.cfg.Now())
	if !ok {
		c.limiter.drain(key)
		return
	}
	c.limiter.block(key, time.Now().Add(min(wait, c.cfg.MaxRetryAfter)))
}
