package suites

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// maxRecordedBody caps each body kept in the report: enough to read a
// failing response, small enough that 5,000 checks stay a small report.
const maxRecordedBody = 64 << 10

// outcome is one call to the vendor as the specs see it: the exchange, its
// error, and everything already redacted for recording.
type outcome struct {
	ex       *mmapi.Exchange
	err      error
	recorded *results.Exchange
	shape    []byte
	drift    []results.Drift
	driftErr error
}

// unavailable reports whether the vendor did not answer usefully.
func (o *outcome) unavailable() (string, bool) {
	var ue *mmapi.UnavailableError
	if errors.As(o.err, &ue) {
		return oneLine(ue.Error()), true
	}
	if errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.err, context.Canceled) {
		// The spec's own deadline ran out while the vendor kept us waiting.
		return "no usable answer before the spec's deadline: " + oneLine(o.err.Error()), true
	}
	if o.err != nil && o.ex == nil {
		// No HTTP response at all, whatever the error type: the vendor was not reached.
		return oneLine(o.err.Error()), true
	}
	return "", false
}

// vendorError returns the typed vendor error, if the envelope said ok=false.
func (o *outcome) vendorError() (*mmapi.VendorError, bool) {
	var ve *mmapi.VendorError
	return ve, errors.As(o.err, &ve)
}

// observation builds the report entry for this outcome; specs add their own
// violations and verdict hints.
func (o *outcome) observation(op Operation) results.Observation {
	obs := results.Observation{Operation: op.BizType, Family: op.Family, Exchange: o.recorded}
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
	if reason, ok := o.unavailable(); ok {
		obs.Outcome = verdict.Unavailable
		obs.Reason = reason
	}
	return obs
}

// call performs one vendor call and redacts what it recorded, before any spec
// can print a value: the redactor learns every sensitive value it masks here.
func (e *Env) call(ctx context.Context, c caller, op Operation, body any, o mmapi.CallOptions) *outcome {
	if n := e.timeouts.Load(); n >= stallLimit {
		// A stalled vendor would otherwise cost a full timeout per check and
		// overrun the monitor's job timeout; the verdict is the same.
		return &outcome{err: &mmapi.UnavailableError{Reason: fmt.Sprintf("not called: the vendor already timed out %d times in this run", n)}}
	}
	ex, err := c.CallWith(ctx, op.call(), body, o)
	if isTimeout(err) {
		e.timeouts.Add(1)
	}
	out := &outcome{ex: ex, err: err}
	if ex != nil {
		out.recorded = e.record(ex)
	}
	if ex != nil && err == nil && e.Drift != nil {
		out.shape, out.drift, out.driftErr = e.Drift.Check(op.Family, op.BizType, ex.Body)
	}
	return out
}

func (e *Env) record(ex *mmapi.Exchange) *results.Exchange {
	// Redact whole bodies before cutting them: a cut body is no longer JSON,
	// and only JSON lets the redactor find values by their keys. A body that
	// is not JSON is kept only as a short scrubbed prefix (redact.Body).
	reqBody, reqCut := capBody(e.Redactor.Body(ex.RequestBody))
	respBody, respCut := capBody(e.Redactor.Body(ex.Body))
	return &results.Exchange{
		Method:          ex.Method,
		URL:             e.Redactor.Text(ex.URL),
		RequestHeaders:  e.Redactor.Header(ex.RequestHeader),
		RequestBody:     string(reqBody),
		ResponseStatus:  ex.HTTPStatus,
		ResponseHeaders: e.Redactor.Header(ex.Header),
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

// oneLine keeps reasons to one line for results.json and the terminal.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// describeViolations renders violations for a failure message, one per line.
func describeViolations(vs []results.Violation) string {
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

// stallLimit is how many timed-out requests a run tolerates before it stops
// calling the vendor and reports the remaining checks unavailable at once.
const stallLimit = 2

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) ||
		strings.Contains(err.Error(), "timeout"))
}
