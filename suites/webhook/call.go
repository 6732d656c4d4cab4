package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/suites"
	"github.com/mmcontract/mmcontract/suites/check"
)

// missLimit is how many answers in a row one endpoint, or the receiver as a
// whole, may miss the deadline by before the verifier stops calling it: a
// receiver that hangs costs two deadlines, never one per check, and one
// slow endpoint costs two of its own.
const missLimit = 2

// maxReplyBytes caps a reply read from the receiver; the documented replies
// are a few hundred bytes.
const maxReplyBytes = 1 << 20

// Verifier calls the receiver as the vendor does. It is safe for
// concurrent use.
type Verifier struct {
	cfg   Config
	runID string // makes this run's requestUniqueNos unique

	mu     sync.Mutex
	misses map[string]int // consecutive deadline misses per endpoint
	missed int            // consecutive deadline misses of any endpoint
	calls  map[string]int // calls per endpoint, for exchange ids
	seq    int            // requestUniqueNos and order ids made
	// accountKnown: get-user-amount has reported the test account's balance
	// once, so a later refusal is the receiver's fault, not the flags'.
	accountKnown bool
	// setup is the run's set-up problem (the receiver does not know the
	// test account); once found, no more calls are made.
	setup *verdict.ConfigError
}

// New returns a Verifier for cfg, with its defaults filled in.
func New(cfg Config) (*Verifier, error) {
	if cfg.URL == nil || cfg.HTTP == nil || cfg.Schemas == nil || cfg.Redactor == nil {
		return nil, errors.New("webhook: Config needs URL, HTTP, Schemas and Redactor")
	}
	if _, _, err := amountDigits(cfg.Amount); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	// The test account's name is personal data at a real receiver.
	cfg.Redactor.Learn(cfg.UserName)
	return &Verifier{cfg: cfg, runID: hex.EncodeToString(b[:]), misses: map[string]int{}, calls: map[string]int{}}, nil
}

// MutationsAllowed reports whether the mutating specs may run.
func (v *Verifier) MutationsAllowed() bool { return v.cfg.AllowMutations || Loopback(v.cfg.URL) }

// reply is one call to the receiver as the specs see it.
type reply struct {
	endpoint Endpoint
	trace    string
	ex       *mmapi.Exchange // nil when nothing came back
	env      *mmapi.Envelope // nil when the body is no decodable envelope
	envErr   error           // why env is nil
	recorded *contract.Exchange

	missed    bool                 // no answer within the deadline
	notCalled string               // why the call was not made (the endpoint kept missing the deadline)
	setup     *verdict.ConfigError // the run's set-up problem, why the call was not made
	err       error                // the transport's failure, when nothing came back
}

// answered reports whether the receiver answered with a body to check.
func (r *reply) answered() bool { return r.ex != nil && !r.missed }

// post calls one endpoint with the vendor's headers and waits at most the
// deadline for the whole answer.
func (v *Verifier) post(ctx context.Context, e Endpoint, body map[string]any) *reply {
	r := &reply{endpoint: e}
	v.mu.Lock()
	switch {
	case v.setup != nil:
		v.mu.Unlock()
		r.setup = &verdict.ConfigError{Kind: v.setup.Kind, Message: "not called: " + v.setup.Message}
		return r
	case v.missed >= missLimit:
		v.mu.Unlock()
		r.notCalled = fmt.Sprintf("not called: the receiver did not answer the last %d requests within %s", missLimit, Deadline)
		return r
	case v.misses[e.Path] >= missLimit:
		v.mu.Unlock()
		r.notCalled = fmt.Sprintf("not called: %s did not answer the last %d requests within %s", e.Name, missLimit, Deadline)
		return r
	}
	v.calls[e.Path]++
	id := fmt.Sprintf("%s %s #%d", Family, e.Name, v.calls[e.Path])
	v.mu.Unlock()

	payload, err := json.Marshal(body)
	if err != nil {
		r.err = fmt.Errorf("encoding the %s request: %w", e.Name, err)
		return r
	}
	now := v.cfg.Now()
	r.trace = mmapi.NewTrace(now)
	callCtx, cancel := context.WithTimeout(ctx, Deadline)
	defer cancel()
	target := v.cfg.URL.JoinPath(e.Path).String()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		r.err = fmt.Errorf("building the %s request: %w", e.Name, err)
		return r
	}
	// The headers NOTES §7.1 documents; companyId and timestamp are longs.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("trace", r.trace)
	req.Header.Set("companyId", v.cfg.CompanyID)
	req.Header.Set("timestamp", strconv.FormatInt(now.UnixMilli(), 10))
	ex := &mmapi.Exchange{Method: req.Method, URL: target, RequestHeader: req.Header.Clone(), RequestBody: payload, Trace: r.trace}

	start := time.Now()
	resp, err := v.cfg.HTTP.Do(req)
	var respBody []byte
	if err == nil {
		respBody, err = io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
		_ = resp.Body.Close()
	}
	ex.Latency = time.Since(start)
	// An answer read in full is on time, however close to the deadline.
	missed := err != nil && errors.Is(callCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	v.mu.Lock()
	if missed {
		v.misses[e.Path]++
		v.missed++
	} else {
		v.misses[e.Path], v.missed = 0, 0
	}
	v.mu.Unlock()
	switch {
	case missed:
		r.missed = true
		r.ex = ex // the request, for the report
	case err != nil:
		r.err = err
		r.ex = nil
		return r
	default:
		ex.HTTPStatus, ex.Header, ex.Body = resp.StatusCode, resp.Header, respBody
		r.ex = ex
		r.env, r.envErr = mmapi.DecodeEnvelope(respBody)
	}
	// Redacted before any spec can print a value from it.
	r.recorded = suites.Record(v.cfg.Redactor, ex)
	r.recorded.ID = id
	return r
}

// accountRefused reports the run's set-up problem when r, a get-user-amount
// reply for the test account with an envelope, is a refusal before the
// receiver has ever reported the account's balance: the receiver does not
// know --user (or --currency, --third-server-code), which is the flags'
// fault, as `run`'s rejected credentials are, not a broken receiver. Every
// later call is then not made. A refusal after a balance was reported is
// the receiver's fault, nil here.
func (v *Verifier) accountRefused(r *reply) *verdict.ConfigError {
	v.mu.Lock()
	defer v.mu.Unlock()
	if r.env.Success() && r.env.Code == codeSuccess {
		v.accountKnown = true
		return nil
	}
	if v.accountKnown {
		return nil
	}
	if v.setup == nil {
		v.setup = &verdict.ConfigError{Kind: verdict.UnknownTestAccount, Message: fmt.Sprintf(
			"unknown test account: the receiver refused get-user-amount for --user in --currency %s (--third-server-code %s) with code=%s msg=%s; "+
				"give --user, --currency and --third-server-code of a demo account your receiver knows",
			v.cfg.Redactor.Text(v.cfg.Currency), v.cfg.Redactor.Text(v.cfg.ThirdServerCode),
			oneline.First(v.cfg.Redactor.Text(r.env.Code), oneline.MaxMessage), oneline.First(v.cfg.Redactor.Text(r.env.Msg), oneline.MaxMessage))}
	}
	return v.setup
}

// violations are the checks every reply gets: the deadline, HTTP 200, the
// envelope and data schemas and the envelope's invariants.
func (v *Verifier) violations(r *reply) ([]contract.Violation, error) {
	if r.missed {
		return []contract.Violation{deadlineViolation(r.endpoint)}, nil
	}
	var vs []contract.Violation
	if r.ex.HTTPStatus != http.StatusOK {
		vs = append(vs, contract.Violation{Pointer: "", Keyword: "http_status", Expected: "200",
			Seen: strconv.Itoa(r.ex.HTTPStatus), Message: "the vendor reads only an HTTP 200 answer's envelope"})
		if r.env == nil {
			return vs, nil // an error page: nothing more to say of it
		}
	}
	family, bizType := schemaOf(r.endpoint)
	ev, err := check.Envelope(v.cfg.Schemas, family, bizType, r.ex.Body)
	if err != nil {
		return nil, err
	}
	switch {
	case len(ev) == 0 && r.env == nil:
		reason := "no envelope"
		var ce *mmapi.ContractError
		if errors.As(r.envErr, &ce) {
			reason = ce.Reason
		}
		vs = append(vs, check.Undecodable(oneline.First(reason, oneline.MaxMessage)))
	case r.env == nil:
		vs = append(vs, ev...)
	default:
		dv, err := check.Data(v.cfg.Schemas, family, bizType, ev, r.env.Success(), r.env.Data)
		if err != nil {
			return nil, err
		}
		vs = append(vs, dv...)
		vs = append(vs, suites.Invariants(r.ex.Body, r.trace)...)
	}
	return vs, nil
}

// deadlineViolation is a reply that did not come within the deadline.
func deadlineViolation(e Endpoint) contract.Violation {
	d := Deadline
	return contract.Violation{Pointer: "", Keyword: "deadline", Expected: "an answer within " + d.String(),
		Seen:    "no answer after " + d.String(),
		Message: fmt.Sprintf("%s gave no answer within %s: the vendor gives up after %s, treats the adjustment as failed and sends the cancel call", e.Name, d, d)}
}

// uniqueNo is a fresh requestUniqueNo (at most 48 characters, as documented)
// and a fresh order id.
func (v *Verifier) uniqueNo(purpose string) (string, int64) {
	v.mu.Lock()
	v.seq++
	n := v.seq
	v.mu.Unlock()
	return fmt.Sprintf("mmc-%s-%d-%s", v.runID, n, purpose), v.cfg.Now().UnixMilli()*100 + int64(n%100)
}

// account is the test account's part of every request body.
func (v *Verifier) account() map[string]any {
	return map[string]any{"thirdServerCode": v.cfg.ThirdServerCode, "userName": v.cfg.UserName, "currency": v.cfg.Currency}
}

// adjustment is an adjustment request's body.
func (v *Verifier) adjustment(uniqueNo string, orderID int64, bizType int, operationType, amount string) map[string]any {
	_, digits, _ := amountDigits(v.cfg.Amount) // New checked it
	b := v.account()
	b["bizType"] = bizType
	b["operationType"] = operationType
	b["amount"] = amount
	b["amountDigits"] = digits
	b["orderId"] = orderID
	b["requestUniqueNo"] = uniqueNo
	b["requestTime"] = v.cfg.Now().UnixMilli()
	b["ip"] = "192.0.2.10" // a documentation address (RFC 5737): the "user" is this harness
	b["metadata"] = `{"source":"mmcontract webhook verify"}`
	return b
}

// cancellation is the cancel request's body for the adjustment original,
// made with bizType and the (positive) amount it carried.
func (v *Verifier) cancellation(original string, orderID int64, bizType int, reason string) map[string]any {
	uniqueNo, _ := v.uniqueNo("cancel")
	b := v.adjustment(uniqueNo, orderID, bizType, "", v.cfg.Amount)
	delete(b, "operationType") // not a field of the cancel call
	b["reverseRequestUniqueNo"] = original
	b["cancelRemark"] = "mmcontract webhook verify: " + reason
	return b
}
