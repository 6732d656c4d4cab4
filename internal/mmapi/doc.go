// Package mmapi is the MultiMarkets vendor client shared by the contract
// suites, the simulator's tests and the runner.
//
// It speaks the vendor's HTTP families: the Client API (token mode,
// {base}/api), the Open API ({base}/openapi-c, signed by a RoundTripper the
// caller wraps around the *http.Client), the Manager API ({base}/openapi-b,
// token from the company auth call) and the Auth2 API
// ({base}/cats-gateway-auth2, header company instead of companyId; see
// auth2.go). Every attempt carries a timestamp taken from the clock as it is
// built, retries included, so no request falls outside the vendor's replay
// window. Every call is a JSON POST that answers
// with the vendor's envelope {bizCode, code, msg, tm, trace, msgParams, data,
// ok, fail}.
//
// The client exists to tell three outcomes apart, because the runner's
// verdicts, exit codes and alert routing all hang on that distinction:
//
//   - *VendorError: the vendor answered with a well-formed envelope whose ok is
//     false (wrong password, expired token, unknown bizType ...).
//   - *ContractError: the vendor answered, but not with an envelope (HTML on a
//     200, a wrong-typed field, duplicate keys, an integer beyond int64,
//     invalid UTF-8, absurd nesting, a body over the cap). This is "broken".
//   - *UnavailableError: the vendor did not answer usefully (connection
//     failures, timeouts, 5xx, WAF 403 and 418 ban pages, 429 after waiting,
//     a redirect to another host). This is "unavailable", never "broken".
//
// Only transient transport failures (refused, reset, EOF before headers,
// 502/503/504) are retried, with bounded exponential backoff and jitter; a
// stalled server ends at the per-request timeout and is not retried, so a
// slow vendor costs one timeout, not several. HTTP 429 is honoured through
// Retry-After and the vendor's x-ratelimit-* headers (including its
// misspelled x-ratelimit-remairing), and a per-operation token bucket keeps
// the client under the vendor's documented 300 requests per minute.
//
// A per-request policy can be right while the run it sits in is unbounded, so
// every Client of a run shares one *Breaker (Config.Breaker): consecutive
// faults to a family stop that family's calls at once, naming the cause, and
// all backoff and vendor-requested waits draw on one run-wide budget.
//
// Credentials never leave the target host: redirects to another host are not
// followed, and the redirect policy strips credential headers on any host
// change as a second line of defence. Every secret the client handles (the
// password, its MD5, tokens, the app secret) is taught to the Redactor so no
// sink can print it.
package mmapi
