package suites

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
)

// The quote specs' bounds. The vendor documents none for an answer; these
// are what an H5 client would tolerate before the user sees a frozen price.
const (
	// quoteAckBound is the longest an acknowledgement may take (capped by
	// --timeout when that is shorter).
	quoteAckBound = 5 * time.Second
	// quotePushBound is the longest the first push may take after an ack.
	quotePushBound = 5 * time.Second
	// quotePushWindow is how long pushes are collected after the first.
	quotePushWindow = time.Second
	// quotePushSample is how many pushes end the window early.
	quotePushSample = 8
	// quoteGrace is how long pushes already on their way may still arrive
	// after a subscription was replaced or cancelled.
	quoteGrace = 150 * time.Millisecond
	// A stopped stream must stay quiet after the grace for three of its
	// push intervals (as measured before it was stopped), within these
	// bounds: long enough to see a stream that did not stop, short enough
	// that the default suite stays quick against the simulator's 50 ms.
	minQuoteQuiet = 200 * time.Millisecond
	maxQuoteQuiet = 3 * time.Second
)

// QuoteFamily is the schema family and observation family of the quote
// socket's frames.
const QuoteFamily = "quote"

// quoteProblem is why a quote exchange did not give the spec what it waits
// for: the vendor unreachable (the socket never opened), or a frame (or its
// absence) that breaks the contract, as one violation.
type quoteProblem struct {
	unavailable bool
	config      *verdict.ConfigError
	violation   contract.Violation
	reason      string // one redacted line
}

// quoteConn is one open quote socket as the specs use it.
type quoteConn struct {
	env  *Env
	conn *wsclient.Conn
	sess *quote.Session
	url  string // query values masked
}

// frameConn adapts the websocket client to the quote session.
type frameConn struct{ *wsclient.Conn }

func (c frameConn) ReadFrame(ctx context.Context) (quote.Frame, error) {
	f, err := c.Conn.ReadFrame(ctx)
	return quote.Frame(f), err
}

// ackBound is the acknowledgement bound of this run.
func (e *Env) ackBound() time.Duration {
	if e.RequestTimeout > 0 && e.RequestTimeout < quoteAckBound {
		return e.RequestTimeout
	}
	return quoteAckBound
}

// quoteTimeout is a quote spec's SpecTimeout: the handshake, a few acks and
// push windows, with room.
func (e *Env) quoteTimeout() time.Duration {
	hs := e.RequestTimeout
	if hs <= 0 {
		hs = 15 * time.Second
	}
	return hs + 4*e.ackBound() + quotePushBound + 4*time.Second + 10*time.Second
}

// dialQuote opens the quote socket at path (quote_guest unless a spec says
// otherwise).
func (e *Env) dialQuote(ctx context.Context, path string) (*quoteConn, *quoteProblem) {
	if ce := e.setupProblem(); ce != nil {
		return nil, &quoteProblem{config: ce, reason: "not connected: " + ce.Message}
	}
	cfg := e.Websocket.Config
	cfg.ReadTimeout = e.ackBound()
	conn, err := wsclient.Dial(ctx, e.Websocket.Root+path, cfg)
	if err != nil {
		var ue *mmapi.UnavailableError
		if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
			return nil, &quoteProblem{unavailable: true, reason: oneline.First(err.Error(), oneline.MaxMessage)}
		}
		return nil, &quoteProblem{config: &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: err.Error()}, reason: oneline.First(err.Error(), oneline.MaxMessage)}
	}
	return &quoteConn{env: e, conn: conn, sess: quote.NewSession(frameConn{conn}, nil), url: conn.URL()}, nil
}

func (q *quoteConn) close() { _ = q.conn.Close() }

// quoteExchange is one request and its answer.
type quoteExchange struct {
	req      quote.Request
	sent     []byte
	resp     quote.Response
	frame    []byte // the answer as received (inflated when binary)
	binary   bool
	latency  time.Duration
	received time.Time
	pushes   []receivedPush // pushes that came before the answer
}

// receivedPush is one parsed push with when it came.
type receivedPush struct {
	push quote.Push
	at   time.Time
}

// request sends a request and waits for its answer (the first response
// frame), within the ack bound.
func (q *quoteConn) request(ctx context.Context, cmd uint32, data any) (*quoteExchange, *quoteProblem) {
	ext := fmt.Sprintf("mmcontract-%d", cmd)
	req, at, err := q.sess.Send(ctx, cmd, ext, data)
	if err != nil {
		return nil, q.problem(err, cmd)
	}
	ex := &quoteExchange{req: req}
	ex.sent, _ = encodeRequest(req)
	deadline := at.Add(q.env.ackBound())
	for {
		m, err := q.nextWithin(ctx, time.Until(deadline))
		if err != nil {
			return ex, q.problem(err, cmd)
		}
		if m.Err != nil {
			return ex, frameProblem(q.env, m)
		}
		if m.Response == nil {
			for _, p := range m.Pushes {
				ex.pushes = append(ex.pushes, receivedPush{p, m.Frame.Received})
			}
			continue
		}
		ex.resp, ex.frame, ex.binary, ex.received = *m.Response, m.Frame.Data, m.Frame.Binary, m.Frame.Received
		ex.latency = m.Frame.Received.Sub(at)
		return ex, nil
	}
}

// nextWithin reads the next frame within d.
func (q *quoteConn) nextWithin(ctx context.Context, d time.Duration) (quote.Message, error) {
	if d <= 0 {
		return quote.Message{}, &wsclient.TimeoutError{After: 0}
	}
	f, err := q.conn.ReadFrameWithin(ctx, d)
	if err != nil {
		return quote.Message{}, err
	}
	return quote.Classify(quote.Frame(f)), nil
}

// pushes collects pushes until n have come or the window after the first
// one ends; the first must come within quotePushBound of from. It returns
// what came, the first push's latency from from, and why it stopped early.
func (q *quoteConn) pushes(ctx context.Context, from time.Time, n int, window time.Duration) ([]receivedPush, time.Duration, *quoteProblem) {
	var out []receivedPush
	var first time.Duration
	deadline := time.Now().Add(quotePushBound)
	for len(out) < n {
		m, err := q.nextWithin(ctx, time.Until(deadline))
		var te *wsclient.TimeoutError
		if errors.As(err, &te) && len(out) > 0 {
			break // the window ended
		}
		if err != nil {
			p := q.problem(err, 0)
			if errors.As(err, &te) {
				p.violation = contract.Violation{Pointer: "/frame", Keyword: "push_timeout", Expected: fmt.Sprintf("a push within %s", quotePushBound),
					Seen: "no push", Message: "the socket acknowledged the subscription but pushed nothing"}
				p.reason = fmt.Sprintf("no push within %s of the acknowledgement", quotePushBound)
			}
			return out, first, p
		}
		if m.Err != nil {
			return out, first, frameProblem(q.env, m)
		}
		for _, p := range m.Pushes {
			if len(out) == 0 {
				first = m.Frame.Received.Sub(from)
				deadline = time.Now().Add(window)
			}
			out = append(out, receivedPush{p, m.Frame.Received})
		}
	}
	return out, first, nil
}

// quietFor is how long a stream whose pushes came interval apart must stay
// quiet to have stopped.
func quietFor(interval time.Duration) time.Duration {
	return min(max(3*interval, minQuoteQuiet), maxQuoteQuiet)
}

// streamInterval is the time between the first two pushes, 0 when there
// are fewer.
func streamInterval(pushes []receivedPush) time.Duration {
	if len(pushes) < 2 {
		return 0
	}
	return pushes[1].at.Sub(pushes[0].at)
}

// quiet reads for the grace plus the quiet period of a stream of interval
// and returns the pushes that arrived after the grace: those of a stream
// that should have stopped.
func (q *quoteConn) quiet(ctx context.Context, since time.Time, interval time.Duration) ([]receivedPush, *quoteProblem) {
	var late []receivedPush
	end := since.Add(quoteGrace + quietFor(interval))
	for {
		m, err := q.nextWithin(ctx, time.Until(end))
		var te *wsclient.TimeoutError
		if errors.As(err, &te) {
			return late, nil
		}
		if err != nil {
			return late, q.problem(err, 0)
		}
		if m.Err != nil {
			return late, frameProblem(q.env, m)
		}
		for _, p := range m.Pushes {
			if m.Frame.Received.Sub(since) > quoteGrace {
				late = append(late, receivedPush{p, m.Frame.Received})
			}
		}
	}
}

// problem classifies an error of the socket: a refused request is the
// harness's limit (it never sends it), a timeout is a missing answer, a
// frame error is the server's, a failed write is the vendor unreachable.
func (q *quoteConn) problem(err error, cmd uint32) *quoteProblem {
	var (
		te *wsclient.TimeoutError
		le *quote.LimitError
	)
	switch {
	case errors.As(err, &le):
		return &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: "client_limit", Message: le.Reason}, reason: le.Error()}
	case errors.As(err, &te):
		return &quoteProblem{
			violation: contract.Violation{Pointer: "/cmd_id", Keyword: "ack_timeout", Expected: fmt.Sprintf("%d within %s", cmd+1, q.env.ackBound()),
				Seen: "no answer", Message: fmt.Sprintf("the socket did not answer %d", cmd)},
			reason: fmt.Sprintf("no answer to %d (%s) within %s", cmd, quote.CommandName(cmd), q.env.ackBound())}
	}
	return connProblem(q.env.Redactor, err)
}

// connProblem classifies what every socket's errors share: a frame error is
// the server's, a failed connection is the vendor unreachable, a deadline is
// the spec's, anything else a websocket failure.
func connProblem(red *redact.Redactor, err error) *quoteProblem {
	var (
		fe *wsclient.FrameError
		ue *mmapi.UnavailableError
	)
	switch {
	case errors.As(err, &fe):
		return &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: string(fe.Kind), Seen: red.Text(fe.Reason), Message: "the socket broke the frame contract"},
			reason: red.Text(fe.Error())}
	case errors.As(err, &ue):
		return &quoteProblem{unavailable: true, reason: oneline.First(red.Text(ue.Error()), oneline.MaxMessage)}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &quoteProblem{unavailable: true, reason: "no usable answer before the spec's deadline"}
	}
	return &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: "websocket", Seen: red.Text(err.Error())}, reason: red.Text(err.Error())}
}

// frameProblem is a frame that is neither a JSON response nor the push
// syntax.
func frameProblem(e *Env, m quote.Message) *quoteProblem {
	seen := oneline.First(e.Redactor.Text(string(m.Frame.Data)), 80)
	kw, what := "json", "a frame that is neither JSON nor a push"
	var pe *quote.ParseError
	if errors.As(m.Err, &pe) {
		kw, what = "push_syntax", "a push frame that is not the documented syntax"
	}
	return &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: kw, Expected: "a JSON response frame or a p/pt/pd/pr push", Seen: seen, Message: what},
		reason: what + ": " + oneline.First(e.Redactor.Text(m.Err.Error()), oneline.MaxMessage)}
}

// quoteObservation starts a quote spec's observation of operation (a
// command name or a push kind).
func quoteObservation(operation string) contract.Observation {
	return contract.Observation{Operation: operation, Family: QuoteFamily, HTTPStatus: 101}
}

// fail ends the spec for p, recording it on obs: unavailable and config as
// for HTTP, anything else broken with its violation.
func (p *quoteProblem) fail(obs *contract.Observation, what string) {
	switch {
	case p.config != nil:
		obs.Outcome, obs.Reason, obs.ConfigKind = verdict.Config, oneline.First(p.config.Message, oneline.MaxMessage), p.config.Kind
		Fail("set-up problem: " + p.config.Message)
	case p.unavailable:
		obs.Outcome, obs.Reason = verdict.Unavailable, p.reason
		Fail("vendor unavailable: " + p.reason)
	}
	obs.Violations = append(obs.Violations, p.violation)
	Fail(what + ": " + p.reason)
}

// symbolsText names symbols for a message.
func symbolsText(syms []quote.Symbol) string {
	s := make([]string, len(syms))
	for i, sym := range syms {
		s[i] = sym.String()
	}
	return strings.Join(s, ", ")
}
