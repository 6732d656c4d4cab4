package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The Webhook API is the other way round from the rest of the vendor's
// surface: the vendor calls it, and the integrator (our user) implements it
// to settle trades against an external wallet. WebhookReceiver is a
// reference implementation of that API, so that `mmcontract webhook verify`
// has something that passes every check, and scenarios that each break one
// documented rule, so that every check is shown to fail.
//
// The receiver states the vendor's rules (paths, codes, the deadline) itself
// instead of importing the verifier's (suites/webhook), as the simulator
// does not import the client: a rule misread once in a shared constant
// would pass both sides.

// Webhook API paths, relative to the receiver's base URL (NOTES §7.1).
const (
	webhookUserAmountPath = "/get-user-amount"
	webhookAdjustPath     = "/external-system-credit-limit-adjustment"
	webhookCancelPath     = "/cancel-external-system-credit-limit-adjustment"
)

// The vendor's documented answers of the cancel call (NOTES §7.1, §9).
const (
	// webhookCodeNotProcessed: the original adjustment was received but not
	// processed.
	webhookCodeNotProcessed = "US_0000001"
	// webhookCodeNeverReceived: no adjustment with that requestUniqueNo was
	// ever received.
	webhookCodeNeverReceived = "US_0000002"
)

// slowBy is how long the "slow" scenario holds an adjustment: past the
// vendor's deadline by a margin that a busy machine cannot turn into a pass.
const slowBy = webhookDeadline + webhookDeadline/6

// webhookDeadline is how long the vendor waits for the integrator's answer
// before it gives up, treats the adjustment as failed and sends the cancel
// call.
const webhookDeadline = 3 * time.Second

// Webhook operation types (the adjustment's operationType).
const (
	openPosition        = "OPEN_POSITION"
	normalClose         = "NORMAL_CLOSE"
	abnormalOvertrading = "ABNORMAL_OVERTRADING"
)

// webhookBizTypes are the adjustment's documented bizType values: market
// open, market close, limit stop order, stop-loss order, limit open.
var webhookBizTypes = []int{1, 2, 10, 11, 12}

// DefaultWebhookUser is the reference receiver's one account, the TradeBoss
// user id of the vendor's own example; its currency and opening balance.
const (
	DefaultWebhookUser     = "86000001"
	DefaultWebhookCurrency = "USD"
	defaultWebhookBalance  = "10000.00"
)

// ReceiverScenario is one named behaviour of the reference receiver.
type ReceiverScenario struct {
	Name        string
	Description string
	// Breaks is the check the scenario fails (a spec's label in
	// suites/webhook), "" for the nominal receiver.
	Breaks string
}

// receiverScenarios is the only list of the receiver's scenarios; the CLI's
// -list and validation derive from it.
var receiverScenarios = []ReceiverScenario{
	{Name: "nominal", Description: "the Webhook API as documented"},
	{Name: "slow", Breaks: "deadline",
		Description: "adjustments are answered after 3.5 s, past the vendor's 3 s deadline"},
	{Name: "hang", Breaks: "deadline",
		Description: "no endpoint ever answers; the connection stays open"},
	{Name: "double-adjust", Breaks: "idempotency",
		Description: "a repeated requestUniqueNo adjusts the balance again"},
	{Name: "wrong-cancel-codes", Breaks: "cancel",
		Description: "the cancel call answers US_0000002 where US_0000001 is due and the reverse"},
	{Name: "negative-accepted", Breaks: "negative-amount",
		Description: "a negative amount is accepted with OPEN_POSITION, not only with ABNORMAL_OVERTRADING"},
	{Name: "unknown-biztype-accepted", Breaks: "unknown-biztype",
		Description: "an adjustment with an undocumented bizType is accepted"},
	{Name: "close-takes-amount", Breaks: "normal-close",
		Description: "a NORMAL_CLOSE takes its amount from the balance, as an OPEN_POSITION does, instead of adding it back"},
	{Name: "bad-envelope", Breaks: "schema",
		Description: "every reply's envelope has tm as a string"},
	{Name: "bad-data", Breaks: "schema",
		Description: "get-user-amount's data has amount as a JSON number"},
}

// ReceiverScenarios lists the reference receiver's scenarios in
// documentation order.
func ReceiverScenarios() []ReceiverScenario {
	return append([]ReceiverScenario(nil), receiverScenarios...)
}

// ReceiverScenarioNames are the scenario names, for validation and hints.
func ReceiverScenarioNames() []string {
	names := make([]string, len(receiverScenarios))
	for i, s := range receiverScenarios {
		names[i] = s.Name
	}
	return names
}

// ReceiverOptions configure a WebhookReceiver.
type ReceiverOptions struct {
	// Scenario is the scenario's name; "" means nominal.
	Scenario string
	// Now is the clock for tm. Default time.Now.
	Now func() time.Time
}

// WebhookReceiver is the reference receiver, an http.Handler. It keeps one
// account per user and currency (DefaultWebhookUser in
// DefaultWebhookCurrency to begin with) and remembers every adjustment it
// received by requestUniqueNo, which is what idempotency and the cancel
// codes need. It is safe for concurrent use.
type WebhookReceiver struct {
	scenario string
	now      func() time.Time

	closed    chan struct{} // closed by Close: hung requests end
	closeOnce sync.Once

	mu       sync.Mutex
	balances map[receiverAccount]*big.Rat
	received map[string]*adjustment // by requestUniqueNo
}

type receiverAccount struct{ user, currency string }

// adjustment is what the receiver remembers of one adjustment request.
type adjustment struct {
	account   receiverAccount
	delta     *big.Rat // applied to the balance; nil when not processed
	cancelled bool
}

// NewWebhookReceiver returns the reference receiver in the given scenario.
func NewWebhookReceiver(o ReceiverOptions) (*WebhookReceiver, error) {
	if o.Scenario == "" {
		o.Scenario = "nominal"
	}
	known := false
	for _, s := range receiverScenarios {
		known = known || s.Name == o.Scenario
	}
	if !known {
		return nil, fmt.Errorf("unknown receiver scenario %q (valid: %s)", o.Scenario, strings.Join(ReceiverScenarioNames(), ", "))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	opening, _ := new(big.Rat).SetString(defaultWebhookBalance)
	return &WebhookReceiver{
		scenario: o.Scenario, now: o.Now,
		balances: map[receiverAccount]*big.Rat{{DefaultWebhookUser, DefaultWebhookCurrency}: opening},
		received: map[string]*adjustment{},
		closed:   make(chan struct{}),
	}, nil
}

// Close ends the requests the "hang" scenario holds, so that a server
// shutting down does not wait for their callers to give up.
func (h *WebhookReceiver) Close() { h.closeOnce.Do(func() { close(h.closed) }) }

// webhookRequest is the union of the three endpoints' request bodies.
// Numbers the verifier must see echoed exactly stay json.Number.
type webhookRequest struct {
	ThirdServerCode        string      `json:"thirdServerCode"`
	UserName               string      `json:"userName"`
	Currency               string      `json:"currency"`
	BizType                json.Number `json:"bizType"`
	OperationType          string      `json:"operationType"`
	Amount                 string      `json:"amount"`
	AmountDigits           json.Number `json:"amountDigits"`
	OrderID                json.Number `json:"orderId"`
	RequestUniqueNo        string      `json:"requestUniqueNo"`
	ReverseRequestUniqueNo string      `json:"reverseRequestUniqueNo"`
	RequestTime            json.Number `json:"requestTime"`
	IP                     string      `json:"ip"`
	CancelRemark           string      `json:"cancelRemark"`
	Metadata               string      `json:"metadata"`
}

// receiverReply is one envelope the receiver answers with.
type receiverReply struct {
	code, msg string
	data      any
}

func accepted(data any) receiverReply { return receiverReply{code: "0", msg: "Success", data: data} }

func refusal(code, msg string) receiverReply { return receiverReply{code: code, msg: msg} }

// Codes of the receiver's own refusals: the vendor documents none but the
// two cancel codes, so these are plain words an integrator might choose.
const (
	codeBadRequest   = "PARAM_INVALID"
	codeUnknownUser  = "USER_NOT_FOUND"
	codeInsufficient = "INSUFFICIENT_BALANCE"
)

func (h *WebhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	if h.scenario == "hang" {
		// Read the body first: only then does the server notice a caller
		// that hangs up, and end the request's context.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		select {
		case <-r.Context().Done(): // the caller gave up
		case <-h.closed: // the server is shutting down
		}
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var handle func(webhookRequest) receiverReply
	switch r.URL.Path {
	case webhookUserAmountPath:
		handle = h.userAmount
	case webhookAdjustPath:
		handle = h.adjust
		if h.scenario == "slow" {
			time.Sleep(slowBy) // on purpose: the vendor has already given up
		}
	case webhookCancelPath:
		handle = h.cancel
	default:
		http.NotFound(w, r)
		return
	}
	var req webhookRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	var rep receiverReply
	switch err := dec.Decode(&req); {
	case err != nil:
		rep = refusal(codeBadRequest, "the body is not the documented JSON object: "+err.Error())
	case r.Header.Get("trace") == "" || r.Header.Get("companyId") == "" || r.Header.Get("timestamp") == "":
		rep = refusal(codeBadRequest, "the trace, companyId and timestamp headers are required")
	default:
		rep = handle(req)
	}
	h.write(w, r.Header.Get("trace"), start, rep)
}

func (h *WebhookReceiver) write(w http.ResponseWriter, trace string, start time.Time, rep receiverReply) {
	success := rep.code == "0"
	env := map[string]any{
		"bizCode": "US", "code": rep.code, "msg": rep.msg, "msgParams": nil,
		"tm": h.now().Sub(start).Milliseconds(), "trace": trace,
		"data": rep.data, "ok": success, "fail": !success,
	}
	if !success {
		env["data"] = nil
	}
	if h.scenario == "bad-envelope" {
		env["tm"] = fmt.Sprint(env["tm"])
	}
	body, _ := json.Marshal(env) // only strings, numbers, booleans and maps
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (h *WebhookReceiver) userAmount(req webhookRequest) receiverReply {
	if req.UserName == "" || req.Currency == "" || req.ThirdServerCode == "" {
		return refusal(codeBadRequest, "userName, currency and thirdServerCode are required")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	bal, found := h.balances[receiverAccount{req.UserName, req.Currency}]
	if !found {
		return refusal(codeUnknownUser, "no such account")
	}
	const digits = 2
	data := map[string]any{"userName": req.UserName, "currency": req.Currency, "amount": bal.FloatString(digits), "amountDigits": digits}
	if h.scenario == "bad-data" {
		f, _ := bal.Float64()
		data["amount"] = f
	}
	return accepted(data)
}

// adjust applies an adjustment once per requestUniqueNo: OPEN_POSITION
// takes a positive amount from the balance, NORMAL_CLOSE gives one back,
// ABNORMAL_OVERTRADING carries a negative amount and takes it (this receiver
// chooses to complete the trade).
func (h *WebhookReceiver) adjust(req webhookRequest) receiverReply {
	if req.RequestUniqueNo == "" || req.UserName == "" || req.Currency == "" || req.ThirdServerCode == "" ||
		req.OrderID == "" || req.RequestTime == "" || req.AmountDigits == "" || req.IP == "" {
		return refusal(codeBadRequest, "a required field is missing")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, seen := h.received[req.RequestUniqueNo]; seen && h.scenario != "double-adjust" {
		if prev.delta == nil {
			return refusal(codeBadRequest, "this requestUniqueNo was refused before")
		}
		return accepted(map[string]any{}) // already done: the same answer, no second adjustment
	}
	adj := &adjustment{account: receiverAccount{req.UserName, req.Currency}}
	h.received[req.RequestUniqueNo] = adj
	delta, problem := h.delta(req)
	if problem != "" {
		return refusal(codeBadRequest, problem)
	}
	bal, found := h.balances[adj.account]
	if !found {
		return refusal(codeUnknownUser, "no such account")
	}
	next := new(big.Rat).Add(bal, delta)
	if next.Sign() < 0 && req.OperationType != abnormalOvertrading {
		return refusal(codeInsufficient, "the balance does not cover the amount")
	}
	h.balances[adj.account] = next
	adj.delta = delta
	return accepted(map[string]any{})
}

// delta is the balance change an adjustment asks for, or why it is refused.
func (h *WebhookReceiver) delta(req webhookRequest) (*big.Rat, string) {
	biz, err := req.BizType.Int64()
	documented := false
	for _, b := range webhookBizTypes {
		documented = documented || int64(b) == biz
	}
	if err != nil || !documented && h.scenario != "unknown-biztype-accepted" {
		return nil, fmt.Sprintf("bizType %s is not one of the documented %v", req.BizType, webhookBizTypes)
	}
	amount, valid := new(big.Rat).SetString(req.Amount)
	if !valid || strings.ContainsAny(req.Amount, "/eE") {
		return nil, "amount is not a decimal number"
	}
	negativeOK := req.OperationType == abnormalOvertrading || h.scenario == "negative-accepted"
	switch req.OperationType {
	case openPosition, normalClose, abnormalOvertrading:
	default:
		return nil, "operationType is not one of OPEN_POSITION, NORMAL_CLOSE, ABNORMAL_OVERTRADING"
	}
	switch {
	case amount.Sign() < 0 && !negativeOK:
		return nil, "a negative amount is only valid with ABNORMAL_OVERTRADING"
	case amount.Sign() >= 0 && req.OperationType == abnormalOvertrading:
		return nil, "ABNORMAL_OVERTRADING carries a negative amount"
	}
	if req.OperationType == openPosition || req.OperationType == normalClose && h.scenario == "close-takes-amount" {
		return amount.Neg(amount), ""
	}
	return amount, ""
}

// cancel reverses a processed adjustment once, and answers the documented
// codes for one that was refused or never seen.
func (h *WebhookReceiver) cancel(req webhookRequest) receiverReply {
	if req.ReverseRequestUniqueNo == "" || req.RequestUniqueNo == "" || req.CancelRemark == "" {
		return refusal(codeBadRequest, "reverseRequestUniqueNo, requestUniqueNo and cancelRemark are required")
	}
	notProcessed, neverReceived := webhookCodeNotProcessed, webhookCodeNeverReceived
	if h.scenario == "wrong-cancel-codes" {
		notProcessed, neverReceived = neverReceived, notProcessed
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	adj, seen := h.received[req.ReverseRequestUniqueNo]
	switch {
	case !seen:
		return refusal(neverReceived, "no adjustment with this requestUniqueNo was received")
	case adj.delta == nil:
		return refusal(notProcessed, "the adjustment was received but not processed")
	case !adj.cancelled:
		bal := h.balances[adj.account]
		h.balances[adj.account] = new(big.Rat).Sub(bal, adj.delta)
		adj.cancelled = true
	}
	return accepted(map[string]any{})
}
