package suites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// maxRecordedBody caps each body kept in the report: enough to read a
// failing response, small enough that 5,000 checks stay a small report.
const maxRecordedBody = 64 << 10

// outcome is one call to the vendor as the specs see it: the exchange, its
// error, and everything already redacted for recording.
//
// The specs of one operation share one outcome, and each check of it is
// computed once, on first use, whichever spec asks first: the envelope is
// validated once and the data once per response, and its exchange is
// recorded once.
type outcome struct {
	ex       *mmapi.Exchange
	err      error
	recorded *contract.Exchange
	shape    []byte
	drift    []contract.Drift
	driftErr error

	// shown is set once an observation carries the recorded exchange; later
	// ones refer to it by id.
	shown atomic.Bool

	// bare is set when the reply is the bare data object of an operation
	// documented without an envelope (schemas.EnvelopeBare): the whole body
	// is the data, and there is no envelope to hold invariants.
	bare bool
	op   Operation

	envelopeOnce sync.Once
	envelope     []contract.Violation
	envelopeErr  error

	dataOnce sync.Once
	data     []contract.Violation
	dataErr  error

	invariantsOnce sync.Once
	invariants     []contract.Violation
}

// envelopeCheck is the envelope check of the response (it must exist).
func (o *outcome) envelopeCheck(s check.Schemas) ([]contract.Violation, error) {
	o.envelopeOnce.Do(func() { o.envelope, o.envelopeErr = check.Envelope(s, o.op.Family, o.op.BizType, o.ex.Body) })
	return o.envelope, o.envelopeErr
}

// dataCheck is the data check of the response (it must exist): the envelope
// check's violations when the envelope breaks its schema, the undecodable
// envelope when the client could not decode it, else the data schema's.
func (o *outcome) dataCheck(s check.Schemas, op Operation) ([]contract.Violation, error) {
	o.dataOnce.Do(func() {
		ev, err := o.envelopeCheck(s)
		switch {
		case err != nil:
			o.dataErr = err
		case o.bare:
			o.data, o.dataErr = check.BareData(s, op.Family, op.BizType, o.ex.Body)
		case len(ev) == 0 && o.ex.Envelope == nil:
			o.data = []contract.Violation{check.Undecodable(oneline.First(o.contractReason(), oneline.MaxMessage))}
		case o.ex.Envelope == nil:
			o.data = ev
		default:
			// Success, not OK: a code-only envelope says success by its code.
			o.data, o.dataErr = check.Data(s, op.Family, op.BizType, ev, o.ex.Envelope.Success(), o.ex.Envelope.Data)
		}
	})
	return o.data, o.dataErr
}

// invariantsCheck is the invariants check of the response (it must exist).
func (o *outcome) invariantsCheck() []contract.Violation {
	o.invariantsOnce.Do(func() {
		if !o.bare {
			o.invariants = InvariantsOf(o.ex.Body, o.ex.Trace, o.op.Envelope)
		}
	})
	return o.invariants
}

// contractReason is why the client found no envelope in the response.
func (o *outcome) contractReason() string {
	var ce *mmapi.ContractError
	if errors.As(o.err, &ce) {
		return ce.Reason
	}
	return "no envelope"
}

// unavailable reports whether the vendor did not answer usefully.
func (o *outcome) unavailable() (string, bool) {
	var ue *mmapi.UnavailableError
	if errors.As(o.err, &ue) {
		return oneline.First(ue.Error(), oneline.MaxMessage), true
	}
	if errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.err, context.Canceled) {
		// The spec's own deadline ran out while the vendor kept us waiting.
		return "no usable answer before the spec's deadline: " + oneline.First(o.err.Error(), oneline.MaxMessage), true
	}
	if _, config := o.setupProblem(); config {
		return "", false
	}
	if o.err != nil && o.ex == nil {
		// No HTTP response at all, whatever the error type: the vendor was not reached.
		return oneline.First(o.err.Error(), oneline.MaxMessage), true
	}
	return "", false
}

// setupProblem reports whether the check could not run because the run's
// set-up is wrong.
func (o *outcome) setupProblem() (*verdict.ConfigError, bool) {
	var ce *verdict.ConfigError
	return ce, errors.As(o.err, &ce)
}

// vendorError returns the typed vendor error, if the envelope said ok=false.
func (o *outcome) vendorError() (*mmapi.VendorError, bool) {
	var ve *mmapi.VendorError
	return ve, errors.As(o.err, &ve)
}

// observation builds the report entry for this outcome; specs add their own
// violations and verdict hints.
func (o *outcome) observation(op Operation) contract.Observation {
	obs := contract.Observation{Operation: op.BizType, Family: op.Family}
	if o.recorded != nil {
		obs.ExchangeID = o.recorded.ID
		if o.shown.CompareAndSwap(false, true) {
			obs.Exchange = o.recorded
		}
	}
	if o.ex != nil {
		obs.HTTPStatus = o.ex.HTTPStatus
		obs.LatencyMS = o.ex.Latency.Milliseconds()
		if o.ex.Envelope != nil {
			obs.EnvelopeCode = o.ex.Envelope.Code
			obs.EnvelopeMsg = o.ex.Envelope.Msg
		}
	}
	if ve, ok := o.vendorError(); ok {
		obs.EnvelopeCode = ve.Code
		obs.EnvelopeMsg = ve.Msg
	}
	if ce, ok := o.setupProblem(); ok {
		obs.Outcome, obs.Reason, obs.ConfigKind = verdict.Config, oneline.First(ce.Message, oneline.MaxMessage), ce.Kind
	} else if reason, ok := o.unavailable(); ok {
		obs.Outcome = verdict.Unavailable
		obs.Reason = reason
	}
	return obs
}

// call performs one vendor call and redacts what it recorded, before any spec
// can print a value: the redactor learns every sensitive value it masks here.
// A run whose set-up is known to be wrong does not call at all.
func (e *Env) call(ctx context.Context, c caller, op Operation, body any, o mmapi.CallOptions) *outcome {
	if ce := e.setupProblem(); ce != nil {
		return &outcome{err: &verdict.ConfigError{Kind: ce.Kind, Message: "not called: " + ce.Message}}
	}
	ex, err := c.CallWith(ctx, op.call(), body, o)
	return e.outcomeOf(op, ex, err, o)
}

// outcomeOf is what the specs share of one response: it records (redacts)
// the exchange and infers and compares its shape; the checks themselves
// run once each, when the first spec asks.
func (e *Env) outcomeOf(op Operation, ex *mmapi.Exchange, err error, o mmapi.CallOptions) *outcome {
	out := &outcome{ex: ex, err: err, op: op}
	if isBareReply(op, ex, err) {
		out.bare, out.err = true, nil
	}
	if ex != nil {
		out.recorded = e.record(ex)
		key := OperationKey(op.Family, op.BizType)
		out.recorded.ID = fmt.Sprintf("%s #%d", key, e.calls.next(key))
	}
	if ce := e.rejectedSession(ex, err, o); ce != nil {
		out.err = ce
		return out
	}
	if ex != nil && err == nil && !out.bare && e.Drift != nil {
		out.shape, out.drift, out.driftErr = e.Drift.Check(op.Family, op.BizType, ex.Body)
	}
	return out
}

// isBareReply reports whether ex is the bare data object that an operation
// documented without an envelope (schemas.EnvelopeBare) answered with: the
// client found no envelope in an HTTP 200 whose body is a JSON object. The
// vendor documents that body for the market-maker reports; the standard
// envelope around it is accepted too and checked as usual.
func isBareReply(op Operation, ex *mmapi.Exchange, err error) bool {
	var ce *mmapi.ContractError
	if op.Envelope != schemas.EnvelopeBare || ex == nil || ex.HTTPStatus != 200 || !errors.As(err, &ce) {
		return false
	}
	var top map[string]json.RawMessage
	return json.Unmarshal(ex.Body, &top) == nil
}

// ResponseChecks are the results of every check the specs make of one
// response.
type ResponseChecks struct {
	Envelope, Data, Invariants []contract.Violation
	Drift                      []contract.Drift
}

// CheckResponse does with one response of op (ex and err as the client
// returned them) exactly what a run does: outcomeOf, then the envelope,
// data and invariant checks the specs share, each once. It is the suite's
// per-response path, exported so that its cost can be measured from
// outside (runner's BenchmarkResponsePath).
func (e *Env) CheckResponse(op Operation, ex *mmapi.Exchange, err error) (ResponseChecks, error) {
	o := e.outcomeOf(op, ex, err, mmapi.CallOptions{})
	if ex == nil {
		return ResponseChecks{}, fmt.Errorf("%s: no response: %w", op.BizType, err)
	}
	var rc ResponseChecks
	if rc.Envelope, err = o.envelopeCheck(e.Schemas); err != nil {
		return rc, err
	}
	if rc.Data, err = o.dataCheck(e.Schemas, op); err != nil {
		return rc, err
	}
	rc.Invariants, rc.Drift = o.invariantsCheck(), o.drift
	return rc, o.driftErr
}

// setupProblem is the run's set-up problem: the one the runner found before
// the run, or a session the vendor rejected during it.
func (e *Env) setupProblem() *verdict.ConfigError {
	if e.Setup != nil {
		return e.Setup
	}
	return e.rejected.Load()
}

// rejectedSession turns the vendor's refusal of the run's own credentials
// into a set-up problem that ends every later call too: the session token
// refused with GATEWAY_CODE_005/017 after the client's one re-login (an
// expired MM_TOKEN), or a login or Manager auth the vendor rejected while
// the client renewed the session. Either is a credentials problem, never a
// broken contract. The negative specs, which send no token or a bad one on
// purpose, are not affected.
func (e *Env) rejectedSession(ex *mmapi.Exchange, err error, o mmapi.CallOptions) *verdict.ConfigError {
	var ve *mmapi.VendorError
	if o.NoToken || o.Token != "" || o.NoRelogin || !o.Timestamp.IsZero() || o.NoTimestamp || !errors.As(err, &ve) {
		return nil
	}
	var msg string
	kind := verdict.CredentialsRejected
	switch {
	case ve.OutsideWindow():
		kind, msg = verdict.ClockSkew, ClockSkewMessage(ve.Code, e.Redactor.Text(ve.Msg))
	case e.loginRejected(ex):
		msg = fmt.Sprintf("credentials rejected: the vendor refused the login: bizCode=%s code=%s msg=%s "+
			"(check MM_LOGIN_NAME, MM_LOGIN_PASSWORD and MM_COMPANY_ID, or MM_APP_ID and MM_APP_SECRET for the Manager API)",
			ve.BizCode, ve.Code, oneline.First(e.Redactor.Text(ve.Msg), oneline.MaxMessage))
	case ve.TokenExpired():
		msg = fmt.Sprintf("credentials rejected: the vendor refused the session token with %s (%s): it is expired or unknown; "+
			"set a fresh MM_TOKEN, or MM_LOGIN_NAME and MM_LOGIN_PASSWORD so the run can log in",
			ve.Code, oneline.First(e.Redactor.Text(ve.Msg), oneline.MaxMessage))
	default:
		return nil
	}
	ce := &verdict.ConfigError{Kind: kind, Message: msg}
	e.rejected.CompareAndSwap(nil, ce)
	return ce
}

// ClockSkewMessage is the set-up problem of a request, timestamped with this
// host's clock, that the vendor refused as outside its time window.
func ClockSkewMessage(code, vendorMsg string) string {
	return fmt.Sprintf("clock skew: the vendor refused a request timestamped with this host's clock as outside its time window "+
		"(%s %s): the clocks differ by more than its %s recvWindow; synchronise this host's clock (NTP)",
		code, oneline.First(vendorMsg, oneline.MaxMessage), signing.DefaultRecvWindow)
}

// loginRejected reports whether a vendor error came from obtaining the
// session rather than from the call itself: the client returns the login's
// exchange when a (re-)login fails, and no exchange at all when an earlier
// login was already rejected (it never retries a rejected password).
func (e *Env) loginRejected(ex *mmapi.Exchange) bool {
	if ex == nil {
		return true
	}
	for _, t := range []struct {
		c  *mmapi.Client
		op mmapi.Operation
	}{{e.Client, mmapi.LoginOperation}, {e.Manager, mmapi.ManagerAuthOperation}} {
		if t.c != nil && ex.URL == t.c.URL(t.op) {
			return true
		}
	}
	return false
}

func (e *Env) record(ex *mmapi.Exchange) *contract.Exchange { return Record(e.Redactor, ex) }

// Record is one exchange as the reports keep it: redacted by red, bodies
// capped at what a report shows. Every suite records through it, so a
// report never holds an exchange redacted another way.
func Record(red *redact.Redactor, ex *mmapi.Exchange) *contract.Exchange {
	// Redact bodies as whole JSON before cutting them: a cut body is no
	// longer JSON, and only JSON lets the redactor find values by their keys
	// (BodyPrefix reads all of it, and writes only what is kept). A body
	// that is not JSON is kept only as a short scrubbed prefix (redact.Body).
	// A body is redacted only as far as it is kept (one byte more, so that
	// capBody sees that it was cut).
	reqBody, reqCut := capBody(red.BodyPrefix(ex.RequestBody, maxRecordedBody+1))
	respBody, respCut := capBody(red.BodyPrefix(ex.Body, maxRecordedBody+1))
	return &contract.Exchange{
		Method:          ex.Method,
		URL:             red.Text(ex.URL),
		RequestHeaders:  red.Header(ex.RequestHeader),
		RequestBody:     string(reqBody),
		ResponseStatus:  ex.HTTPStatus,
		ResponseHeaders: red.Header(ex.Header),
		ResponseBody:    string(respBody),
		Truncated:       reqCut || respCut,
	}
}

func capBody(b []byte, decodable bool) ([]byte, bool) {
	if !decodable {
		return b, true
	}
	if len(b) > maxRecordedBody {
		return b[:maxRecordedBody], true
	}
	return b, false
}

// describeViolations renders violations for a failure message, one per line.
func describeViolations(vs []contract.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s  [%s] expected %s, saw %s: %s\n", pointerOrRoot(v.Pointer), v.Keyword, v.Expected, v.Seen, v.Message)
	}
	return b.String()
}

func pointerOrRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}
