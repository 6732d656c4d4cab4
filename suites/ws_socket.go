package suites

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/suites/check"
)

// What the trade-message and Manager push specs share: one connection per
// socket, read for a while, whose frames the specs of that socket judge
// (as the HTTP specs of an operation share one call). The vendor pushes on
// these sockets only when something happens on an account, so a real
// target that pushes nothing in the window skips the push checks (a quiet
// account is no breach); the simulator always pushes, so there silence is
// a broken check.

// socketFrame is one frame a socket sent after the subscription.
type socketFrame struct {
	kind string    // its schema kind: a msgCode, f or g, an eventType
	raw  []byte    // as received
	at   time.Time // when it arrived
}

// socketRun is one connection's worth of frames.
type socketRun struct {
	family    string
	url       string // query values masked
	sent      []byte // the request the frames answer, recorded with them
	ack       *socketFrame
	ackAfter  time.Duration // the acknowledgement's latency
	frames    []socketFrame
	firstPush time.Duration // from the acknowledgement (or the handshake) to the first push
	// problem is why reading stopped early: a frame that is not the
	// protocol, one over the cap, the server closing, no push at all.
	problem *quoteProblem
	// shown, when set, is what a spec's exchange records of a frame: a
	// text frame's parsed object, the document its violations point into.
	shown func(f socketFrame) []byte
}

// first is the first frame of kind, nil when none came.
func (r *socketRun) first(kind string) *socketFrame {
	for i := range r.frames {
		if r.frames[i].kind == kind {
			return &r.frames[i]
		}
	}
	return nil
}

// tokenProblem classifies a failure to get the token a handshake needs as
// a call's failure is classified: the run's set-up problem, or the vendor
// refusing this login or Manager auth (rejected credentials, a clock outside
// its window), is the config verdict; an unreachable vendor is unavailable;
// anything else (nil here) is the caller's to report.
func (e *Env) tokenProblem(err error) *quoteProblem {
	if ce := e.setupProblem(); ce != nil {
		return &quoteProblem{config: ce, reason: "not connected: " + ce.Message}
	}
	var ue *mmapi.UnavailableError
	if errors.As(err, &ue) {
		return &quoteProblem{unavailable: true, reason: oneline.First(e.Redactor.Text(ue.Error()), oneline.MaxMessage)}
	}
	// The token comes from the client's own login or Manager auth: no
	// exchange of a spec's call, so it is judged as a login.
	if ce := e.rejectedSession(nil, err, mmapi.CallOptions{}); ce != nil {
		return &quoteProblem{config: ce, reason: "not connected: " + ce.Message}
	}
	return nil
}

// dialSocket opens the websocket at path under the target's root with the
// run's policy and the given handshake header.
func (e *Env) dialSocket(ctx context.Context, path string, header http.Header) (*wsclient.Conn, *quoteProblem) {
	if ce := e.setupProblem(); ce != nil {
		return nil, &quoteProblem{config: ce, reason: "not connected: " + ce.Message}
	}
	cfg := e.Websocket.Config
	cfg.ReadTimeout = e.ackBound()
	cfg.Header = header
	conn, err := wsclient.Dial(ctx, e.Websocket.Root+path, cfg)
	if err != nil {
		var ue *mmapi.UnavailableError
		if errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
			return nil, &quoteProblem{unavailable: true, reason: oneline.First(e.Redactor.Text(err.Error()), oneline.MaxMessage)}
		}
		return nil, &quoteProblem{config: &verdict.ConfigError{Kind: verdict.WrongBaseURL, Message: err.Error()}, reason: oneline.First(err.Error(), oneline.MaxMessage)}
	}
	return conn, nil
}

// socketProblem classifies why reading a socket stopped, waiting for what.
func (e *Env) socketProblem(err error, waiting string) *quoteProblem {
	if te := (*wsclient.TimeoutError)(nil); errors.As(err, &te) {
		return &quoteProblem{violation: contract.Violation{Pointer: "/frame", Keyword: "push_timeout", Expected: fmt.Sprintf("%s within %s", waiting, te.After),
			Seen: "nothing", Message: "the socket sent nothing it should have"}, reason: fmt.Sprintf("no %s within %s", waiting, te.After)}
	}
	return connProblem(e.Redactor, err)
}

// notProtocol is the problem of a frame that is neither of the socket's
// forms (JSON, or its text frames).
func (e *Env) notProtocol(raw []byte, want string, err error) *quoteProblem {
	seen := oneline.First(e.Redactor.Text(string(raw)), 80)
	return &quoteProblem{violation: contract.Violation{Pointer: "", Keyword: "json", Expected: want, Seen: seen, Message: "a frame that is not the protocol"},
		reason: "a frame that is not " + want + ": " + oneline.First(e.Redactor.Text(err.Error()), oneline.MaxMessage)}
}

// observe starts a feed socket spec's observation of operation (a frame
// kind) and records the frame f with the request the run sent.
func (e *Env) observeFrame(r *socketRun, operation string, f *socketFrame) contract.Observation {
	obs := contract.Observation{Operation: operation, Family: r.family, HTTPStatus: 101}
	if f != nil {
		body := f.raw
		if r.shown != nil {
			body = r.shown(*f)
		}
		rec := e.recordSocketFrames(r.family, operation, r.url, r.sent, body)
		obs.ExchangeID, obs.Exchange = rec.ID, rec
	}
	return obs
}

// recordSocketFrames records a request frame and an answer or push as a
// spec's exchange, redacted like an HTTP exchange.
func (e *Env) recordSocketFrames(family, operation, url string, sent, received []byte) *contract.Exchange {
	reqBody, reqCut := capBody(e.Redactor.BodyPrefix(sent, maxRecordedBody+1))
	respBody, respCut := capBody(e.Redactor.BodyPrefix(received, maxRecordedBody+1))
	key := OperationKey(family, operation)
	return &contract.Exchange{
		ID: fmt.Sprintf("%s #%d", key, e.calls.next(key)), Method: "GET", URL: e.Redactor.Text(url),
		RequestBody: string(reqBody), ResponseStatus: 101, ResponseBody: string(respBody), Truncated: reqCut || respCut,
	}
}

// failUnlessPushed ends a push spec whose kind never came: skipped on a
// real target (nothing happened on the account), broken on the simulator,
// or failed with the run's problem when reading stopped early.
func (e *Env) failUnlessPushed(r *socketRun, obs *contract.Observation, kind string, f *socketFrame) {
	if f != nil {
		obs.LatencyMS = f.at.Sub(r.ackTime()).Milliseconds()
		return
	}
	if r.problem != nil {
		r.problem.fail(obs, "the "+kind+" frames")
	}
	if !e.Simulator {
		Skip(fmt.Sprintf("no %s frame within the window: nothing happened on the account (the vendor pushes on changes only)", kind))
	}
	(&quoteProblem{violation: contract.Violation{Pointer: "/frame", Keyword: "push_timeout", Expected: "a " + kind + " frame", Seen: "none",
		Message: "the simulator pushes every kind of frame; this one never came"}, reason: "no " + kind + " frame"}).fail(obs, "the "+kind+" frames")
}

// ackTime is when the pushes' latency counts from.
func (r *socketRun) ackTime() time.Time {
	if r.ack != nil {
		return r.ack.at
	}
	if len(r.frames) > 0 {
		return r.frames[0].at.Add(-r.firstPush)
	}
	return time.Time{}
}

// checkFrameShape records the shape of doc (a frame, or a text frame's
// parsed object) and its drift against the baseline or the kind's schema,
// through the run's one drift checker, as for a response.
func (e *Env) checkFrameShape(obs *contract.Observation, family, kind string, doc []byte) {
	if e.Drift == nil {
		Skip("drift detection is off")
	}
	shape, ds, err := e.Drift.Check(family, kind, doc)
	if err != nil {
		Fail(fmt.Sprintf("%s %s: inferring the frame's shape: %v", family, kind, err))
	}
	obs.Shape, obs.Drift = shape, ds
	breaking, drifted := check.Shape(ds)
	if len(breaking) > 0 {
		Fail(fmt.Sprintf("%s %s drifted in a breaking way:\n  %s", family, kind, strings.Join(breaking, "\n  ")))
	}
	if drifted {
		obs.Outcome = verdict.Drifted
	}
}

// failOnViolations fails the spec with vs, recorded on obs.
func failOnViolations(obs *contract.Observation, what string, vs []contract.Violation) {
	obs.Violations = append(obs.Violations, vs...)
	if len(obs.Violations) > 0 {
		Fail(fmt.Sprintf("%s broke %d check(s):\n%s", what, len(obs.Violations), describeViolations(obs.Violations)))
	}
}

// socketTimeout is a feed socket spec's SpecTimeout.
func (e *Env) socketTimeout() time.Duration { return e.quoteTimeout() + e.CallTimeout() }

// pushKind is one kind of push of a feed socket, whose two specs judge
// its frames and keep its shape.
type pushKind struct {
	kind, text, shapeText string
	labels                Labels
	run                   func(SpecContext) *socketRun
	// check is every check of one frame of the kind.
	check func(f socketFrame) []contract.Violation
	// doc is the object a frame's shape is inferred from, with the
	// violations found making it.
	doc func(f socketFrame) ([]byte, []contract.Violation)
}

// registerPushKind adds the specs of one push kind.
func (e *Env) registerPushKind(p pushKind) {
	spec := func(judge func(r *socketRun, f *socketFrame, obs *contract.Observation)) func(SpecContext) {
		return func(ctx SpecContext) {
			r := p.run(ctx)
			f := r.first(p.kind)
			obs := e.observeFrame(r, p.kind, f)
			defer recordObservation(&obs)
			e.failUnlessPushed(r, &obs, p.kind, f)
			judge(r, f, &obs)
		}
	}
	e.it(p.text, p.labels, spec(func(r *socketRun, _ *socketFrame, obs *contract.Observation) { judgeFrames(r, obs, p.kind, p.check) }),
		SpecTimeout(e.socketTimeout()))
	e.it(p.shapeText, p.labels, spec(func(r *socketRun, f *socketFrame, obs *contract.Observation) {
		doc, vs := p.doc(*f)
		if len(vs) > 0 {
			failOnViolations(obs, "the "+p.kind+" frame", vs)
		}
		e.checkFrameShape(obs, r.family, p.kind, doc)
	}), SpecTimeout(e.socketTimeout()))
}

// judgeFrames checks every frame of kind the run saw, failing with the
// first that breaks a check (the others are counted).
func judgeFrames(r *socketRun, obs *contract.Observation, kind string, check func(socketFrame) []contract.Violation) {
	bad, n := 0, 0
	var first []contract.Violation
	for _, f := range r.frames {
		if f.kind != kind {
			continue
		}
		n++
		if vs := check(f); len(vs) > 0 {
			bad++
			if first == nil {
				first = vs
			}
		}
	}
	if bad > 0 {
		failOnViolations(obs, fmt.Sprintf("%d of %d %s frame(s); the first", bad, n, kind), first)
	}
}
