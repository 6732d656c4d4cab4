package webhook

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/suites/check"
)

// Labels of the checks, beside the family, the endpoint's name and
// readonly or mutating; ReceiverScenario.Breaks in the simulator names them.
const (
	LabelSchema         = "schema"
	LabelIdempotency    = "idempotency"
	LabelCancel         = "cancel"
	LabelNegativeAmount = "negative-amount"
	LabelUnknownBizType = "unknown-biztype"
	LabelNormalClose    = "normal-close"
)

// specDef is one verification spec.
type specDef struct {
	endpoint Endpoint
	text     string
	labels   []string
	mutating bool
	run      func(p *probe)
}

// specs is the verification, in documentation order. Each spec is
// self-contained (it reads the balance it judges by itself, with fresh
// requestUniqueNos), so neither Ginkgo's order nor a label filter can make
// one depend on another.
var specs = []specDef{
	{UserAmount, "answers within the deadline with the test account's balance", []string{LabelSchema, "smoke"}, false,
		func(p *probe) { p.show(p.balanceReply()) }},
	{Adjust, "accepts an OPEN_POSITION and takes its amount from the balance", []string{LabelSchema}, true,
		(*probe).openPosition},
	{Adjust, "adjusts once for a requestUniqueNo sent twice", []string{LabelIdempotency}, true,
		(*probe).idempotent},
	{Adjust, "accepts a NORMAL_CLOSE of an open position and adds its amount back to the balance", []string{LabelNormalClose}, true,
		(*probe).normalClose},
	{Cancel, "reverses a processed adjustment and restores the balance", []string{LabelCancel}, true,
		(*probe).cancelProcessed},
	{Cancel, "answers " + CodeNotProcessed + " for an adjustment received but not processed", []string{LabelCancel}, true,
		(*probe).cancelNotProcessed},
	{Cancel, "answers " + CodeNeverReceived + " for an adjustment never sent", []string{LabelCancel}, true,
		(*probe).cancelNeverReceived},
	{Adjust, "refuses a negative amount with OPEN_POSITION and leaves the balance alone", []string{LabelNegativeAmount}, true,
		(*probe).negativeOpen},
	{Adjust, "answers a negative ABNORMAL_OVERTRADING, taking the amount or leaving the balance alone", []string{LabelNegativeAmount}, true,
		(*probe).negativeOvertrading},
	{Adjust, fmt.Sprintf("refuses an undocumented bizType (%d) and leaves the balance alone", bizTypeUndocumented), []string{LabelUnknownBizType}, true,
		(*probe).unknownBizType},
}

// Register adds the verification's specs to Ginkgo's tree; the caller runs
// it once (RunSpecs).
func Register(v *Verifier) {
	timeout := 12*Deadline + 5*time.Second // a spec makes at most six calls and their clean-up
	// The family is the specs' first word, as the API family is in `run`.
	ginkgo.Describe(Family, func() { registerSpecs(v, timeout) })
}

func registerSpecs(v *Verifier, timeout time.Duration) {
	for _, s := range specs {
		labels := []string{Family, s.endpoint.Name, "readonly"}
		if s.mutating {
			labels[2] = "mutating"
		}
		labels = append(labels, s.labels...)
		ginkgo.Describe(s.endpoint.Name, func() {
			ginkgo.It(s.text, ginkgo.Label(labels...), func(ctx ginkgo.SpecContext) {
				if s.mutating && !v.MutationsAllowed() {
					// Recorded, so the skipped check still names its operation.
					ginkgo.AddReportEntry(contract.EntryName, contract.Observation{Operation: s.endpoint.Name, Family: Family}, ginkgo.ReportEntryVisibilityNever)
					ginkgo.Skip(fmt.Sprintf("not run: a mutating check (it adjusts the test account's balance) against %s, which is not on loopback; "+
						"give --allow-mutations to run it, against a demo account only", v.cfg.Redactor.Text(v.cfg.URL.Redacted())))
				}
				p := &probe{v: v, ctx: ctx, endpoint: s.endpoint}
				s.run(p)
				p.finish()
			}, ginkgo.SpecTimeout(timeout))
		})
	}
}

// probe is one spec's calls and findings: every reply it got is checked,
// and its observation shows the reply the spec is about.
type probe struct {
	v        *Verifier
	ctx      context.Context
	endpoint Endpoint
	main     *reply
	vs       []contract.Violation
	// unavailable is why a call found no receiver to check; a finding
	// already made outranks it (the check is broken, not unavailable).
	unavailable string
	// setup is the run's set-up problem, found by this spec or before it;
	// it outranks every finding: nothing was learned of the receiver.
	setup *verdict.ConfigError
	// cancelled are the requestUniqueNos the spec cancelled itself.
	cancelled map[string]bool
}

// show makes r the reply the spec's observation is about.
func (p *probe) show(r *reply) {
	if r != nil {
		p.main = r
	}
}

// add records findings about a reply of e. Several replies meet in one
// spec, so each finding's message starts with the endpoint it is about.
func (p *probe) add(e Endpoint, vs ...contract.Violation) {
	for _, v := range vs {
		if !strings.HasPrefix(v.Message, e.Name+" ") && !strings.HasPrefix(v.Message, e.Name+":") {
			v.Message = e.Name + ": " + v.Message
		}
		p.vs = append(p.vs, v)
	}
}

// checked runs every reply's checks on r and reports whether it carries an
// envelope the spec can reason on.
func (p *probe) checked(r *reply) bool {
	switch {
	case r.setup != nil:
		p.setup = r.setup
		return false
	case r.notCalled != "":
		p.unavailable = r.notCalled
		return false
	case r.err != nil:
		p.unavailable = "the receiver did not answer: " + oneline.First(p.v.cfg.Redactor.Text(r.err.Error()), oneline.MaxMessage)
		return false
	}
	if r.answered() && r.env == nil && (r.ex.HTTPStatus >= http.StatusInternalServerError || r.ex.HTTPStatus == http.StatusTooManyRequests) {
		// As in `run`: an error page from a server that is down or shedding
		// load says nothing of the contract.
		p.unavailable = fmt.Sprintf("the receiver answered HTTP %d without an envelope", r.ex.HTTPStatus)
		return false
	}
	vs, err := p.v.violations(r)
	if err != nil {
		// Our bug, not the receiver's: a panic is the harness's verdict
		// (error), where Fail would read as a broken receiver.
		panic(fmt.Sprintf("checking the %s reply: %v", r.endpoint.Name, err))
	}
	p.add(r.endpoint, vs...)
	return r.answered() && r.env != nil
}

// balanceReply asks for the test account's balance and checks the reply;
// the balance is nil when it cannot be read.
func (p *probe) balanceReply() *reply {
	r := p.v.post(p.ctx, UserAmount, p.v.account())
	p.balanceOf(r)
	return r
}

func (p *probe) balanceOf(r *reply) (*big.Rat, string) {
	if !p.checked(r) {
		return nil, ""
	}
	if ce := p.v.accountRefused(r); ce != nil {
		p.setup = ce
		return nil, ""
	}
	if !p.succeeded(r, "get-user-amount for the test account (--user, --currency, --third-server-code)") {
		return nil, ""
	}
	b, raw, err := balanceOf(r.env.Data)
	if err != nil {
		for _, v := range p.vs {
			if v.Pointer == "/data/amount" {
				return nil, "" // the data schema has said so
			}
		}
		p.add(UserAmount, contract.Violation{Pointer: "/data/amount", Keyword: "decimal", Expected: "a decimal string",
			Seen: oneline.First(err.Error(), oneline.MaxMessage), Message: "the balance is a decimal string; every adjustment check is judged by it"})
		return nil, ""
	}
	return b, raw
}

// balance is the test account's balance now, nil when it cannot be read.
func (p *probe) balance() (*big.Rat, string) {
	return p.balanceOf(p.v.post(p.ctx, UserAmount, p.v.account()))
}

// succeeded records a vendor_error violation unless r reports success.
func (p *probe) succeeded(r *reply, what string) bool {
	if r.env.Success() && r.env.Code == codeSuccess {
		return true
	}
	p.add(r.endpoint, check.VendorError(r.env.Code, "the receiver refused "+what+", which the vendor expects to succeed"))
	return false
}

// refused records a refusal violation unless r refuses.
func (p *probe) refused(r *reply, why string) bool {
	if !r.env.Success() && r.env.Code != codeSuccess {
		return true
	}
	p.add(r.endpoint, contract.Violation{Pointer: "/code", Keyword: "refusal", Expected: `a refusal (a code other than "0")`,
		Seen: fmt.Sprintf("%q", r.env.Code), Message: why})
	return false
}

// wantCode records a violation unless r answers code.
func (p *probe) wantCode(r *reply, code, why string) {
	if r.env.Code != code {
		p.add(r.endpoint, contract.Violation{Pointer: "/code", Keyword: "cancel_code", Expected: code, Seen: r.env.Code, Message: why})
	}
}

// wantBalance records a violation unless after is before plus delta.
func (p *probe) wantBalance(before *big.Rat, after *big.Rat, afterRaw string, delta *big.Rat, keyword, rule string) {
	if before == nil || after == nil {
		return
	}
	want := new(big.Rat).Add(before, delta)
	if after.Cmp(want) == 0 {
		return
	}
	digits := 0
	if i := strings.IndexByte(afterRaw, '.'); i >= 0 {
		digits = len(afterRaw) - i - 1
	}
	p.add(UserAmount, contract.Violation{Pointer: "/data/amount", Keyword: keyword, Expected: want.FloatString(digits),
		Seen: afterRaw, Message: fmt.Sprintf("%s reports a balance of %s, want %s: %s", UserAmount.Name, afterRaw, want.FloatString(digits), rule)})
}

// adjust sends an adjustment and, unless the receiver plainly refused it,
// cancels it when the spec ends, as the vendor does after a failure: the
// test account is left as the spec found it.
func (p *probe) adjust(uniqueNo string, orderID int64, bizType int, operationType, amount string) *reply {
	r := p.v.post(p.ctx, Adjust, p.v.adjustment(uniqueNo, orderID, bizType, operationType, amount))
	if r.notCalled == "" && !(r.answered() && r.env != nil && !r.env.Success()) {
		ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) {
			if !p.cancelled[uniqueNo] {
				p.v.post(ctx, Cancel, p.v.cancellation(uniqueNo, orderID, bizType, "clean-up"))
			}
		}, ginkgo.NodeTimeout(Deadline+time.Second))
	}
	return r
}

// fresh sends an adjustment under a new requestUniqueNo and order id.
func (p *probe) fresh(purpose string, bizType int, operationType, amount string) (*reply, string, int64) {
	u, order := p.v.uniqueNo(purpose)
	return p.adjust(u, order, bizType, operationType, amount), u, order
}

func (p *probe) amount() *big.Rat {
	a, _, _ := amountDigits(p.v.cfg.Amount) // New checked it
	return a
}

func (p *probe) negated() string { return "-" + p.v.cfg.Amount }

var zero = new(big.Rat)

func (p *probe) openPosition() {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	u, order := p.v.uniqueNo("open")
	p.opened(b0, u, order)
}

// opened sends an OPEN_POSITION of the configured amount under uniqueNo
// and orderID and checks that it took the amount from before; it returns
// the balance after it, nil when the spec cannot go on.
func (p *probe) opened(before *big.Rat, uniqueNo string, orderID int64) *big.Rat {
	r := p.adjust(uniqueNo, orderID, bizTypeMarketOpen, OpenPosition, p.v.cfg.Amount)
	p.show(r)
	if !p.checked(r) || !p.succeeded(r, "an OPEN_POSITION of the configured amount (--amount)") {
		return nil
	}
	after, raw := p.balance()
	p.wantBalance(before, after, raw, new(big.Rat).Neg(p.amount()), "balance", "an accepted OPEN_POSITION takes its amount from the balance")
	return after
}

func (p *probe) idempotent() {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	u, order := p.v.uniqueNo("twice")
	b1 := p.opened(b0, u, order)
	if b1 == nil {
		return
	}
	again := p.v.post(p.ctx, Adjust, p.v.adjustment(u, order, bizTypeMarketOpen, OpenPosition, p.v.cfg.Amount))
	p.show(again)
	if !p.checked(again) {
		return
	}
	b2, raw2 := p.balance()
	p.wantBalance(b1, b2, raw2, zero, "idempotency", "the same requestUniqueNo sent again must not adjust the balance again")
}

// normalClose opens a position and closes it as the vendor does, with
// bizType 2 (market close) on the same order: the close gives the amount
// back (NOTES §7.1), so the balance ends where it began.
func (p *probe) normalClose() {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	opening, order := p.v.uniqueNo("open-to-close")
	b1 := p.opened(b0, opening, order)
	if b1 == nil {
		return
	}
	closing, _ := p.v.uniqueNo("close")
	r := p.adjust(closing, order, bizTypeMarketClose, NormalClose, p.v.cfg.Amount)
	p.show(r)
	if !p.checked(r) || !p.succeeded(r, "a NORMAL_CLOSE of the position just opened (bizType 2, the same orderId)") {
		return
	}
	b2, raw := p.balance()
	p.wantBalance(b1, b2, raw, p.amount(), "normal_close", "an accepted NORMAL_CLOSE adds its amount back to the balance")
}

func (p *probe) cancelProcessed() {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	r, u, order := p.fresh("reverse", bizTypeMarketOpen, OpenPosition, p.v.cfg.Amount)
	if !p.checked(r) || !p.succeeded(r, "an OPEN_POSITION of the configured amount (--amount)") {
		p.show(r)
		return
	}
	c := p.v.post(p.ctx, Cancel, p.v.cancellation(u, order, bizTypeMarketOpen, "reverse a processed adjustment"))
	p.show(c)
	if !p.checked(c) || !p.succeeded(c, "the cancel of a processed adjustment") {
		return
	}
	p.cancelled = map[string]bool{u: true}
	b2, raw := p.balance()
	p.wantBalance(b0, b2, raw, zero, "cancel", "a cancelled adjustment gives its amount back: the balance is the one before it")
}

func (p *probe) cancelNotProcessed() {
	// An operationType the vendor does not document is received, and no
	// receiver can process it.
	r, u, order := p.fresh("refused", bizTypeMarketOpen, "NOT_A_DOCUMENTED_OPERATION", p.v.cfg.Amount)
	if !p.checked(r) || !p.refused(r, "an adjustment with an undocumented operationType cannot be processed") {
		p.show(r)
		return
	}
	c := p.v.post(p.ctx, Cancel, p.v.cancellation(u, order, bizTypeMarketOpen, "cancel a refused adjustment"))
	p.show(c)
	if p.checked(c) {
		p.wantCode(c, CodeNotProcessed, "the original adjustment was received but not processed: the vendor documents "+CodeNotProcessed)
	}
}

func (p *probe) cancelNeverReceived() {
	u, order := p.v.uniqueNo("never-sent")
	c := p.v.post(p.ctx, Cancel, p.v.cancellation(u, order, bizTypeMarketOpen, "cancel an adjustment never sent"))
	p.show(c)
	if p.checked(c) {
		p.wantCode(c, CodeNeverReceived, "no adjustment with this requestUniqueNo was ever sent: the vendor documents "+CodeNeverReceived)
	}
}

func (p *probe) negativeOpen() {
	p.refusedUnchanged(bizTypeMarketOpen, OpenPosition, p.negated(), "negative-open",
		"a negative amount is only valid with ABNORMAL_OVERTRADING")
}

func (p *probe) unknownBizType() {
	p.refusedUnchanged(bizTypeUndocumented, OpenPosition, p.v.cfg.Amount, "unknown-biztype",
		fmt.Sprintf("bizType %d is none of the documented 1, 2, 10, 11, 12", bizTypeUndocumented))
}

// refusedUnchanged sends an adjustment the receiver must refuse and checks
// that it did and that the balance did not move.
func (p *probe) refusedUnchanged(bizType int, operationType, amount, purpose, why string) {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	r, _, _ := p.fresh(purpose, bizType, operationType, amount)
	p.show(r)
	if !p.checked(r) {
		return
	}
	p.refused(r, why)
	b1, raw := p.balance()
	p.wantBalance(b0, b1, raw, zero, "balance", "a refused adjustment leaves the balance alone")
}

func (p *probe) negativeOvertrading() {
	b0, _ := p.balance()
	if b0 == nil {
		return
	}
	r, _, _ := p.fresh("overtrading", bizTypeMarketOpen, AbnormalOvertrading, p.negated())
	p.show(r)
	if !p.checked(r) {
		return
	}
	// The integrator decides whether to complete the trade (NOTES §7.1);
	// either way the balance must say what it decided.
	b1, raw := p.balance()
	if r.env.Success() {
		p.wantBalance(b0, b1, raw, new(big.Rat).Neg(p.amount()), "balance", "an accepted ABNORMAL_OVERTRADING takes its (negative) amount from the balance")
	} else {
		p.wantBalance(b0, b1, raw, zero, "balance", "a refused adjustment leaves the balance alone")
	}
}

// finish records the spec's observation and fails it with its findings.
func (p *probe) finish() {
	red := p.v.cfg.Redactor
	obs := contract.Observation{Operation: p.endpoint.Name, Family: Family, Violations: p.vs}
	if r := p.main; r != nil {
		obs.Operation = r.endpoint.Name
		if r.recorded != nil {
			obs.ExchangeID, obs.Exchange = r.recorded.ID, r.recorded
		}
		if r.ex != nil && !r.missed {
			obs.HTTPStatus = r.ex.HTTPStatus
			obs.LatencyMS = r.ex.Latency.Milliseconds()
		}
		if r.env != nil {
			obs.EnvelopeCode, obs.EnvelopeMsg = r.env.Code, red.Text(oneline.First(r.env.Msg, oneline.MaxMessage))
		}
	}
	switch {
	case p.setup != nil:
		obs.Outcome, obs.Reason, obs.ConfigKind = verdict.Config, oneline.First(p.setup.Message, oneline.MaxMessage), p.setup.Kind
		ginkgo.AddReportEntry(contract.EntryName, obs, ginkgo.ReportEntryVisibilityNever)
		ginkgo.Fail(p.setup.Message)
	case len(p.vs) > 0:
		ginkgo.AddReportEntry(contract.EntryName, obs, ginkgo.ReportEntryVisibilityNever)
		ginkgo.Fail(failure(p.vs))
	case p.unavailable != "":
		obs.Outcome, obs.Reason = verdict.Unavailable, p.unavailable
		ginkgo.AddReportEntry(contract.EntryName, obs, ginkgo.ReportEntryVisibilityNever)
		ginkgo.Fail(p.unavailable)
	default:
		ginkgo.AddReportEntry(contract.EntryName, obs, ginkgo.ReportEntryVisibilityNever)
	}
}

// failure is a spec's failure text: its first finding on the first line
// (results.json's message), then every violation, one per line.
func failure(vs []contract.Violation) string {
	return fmt.Sprintf("%s (%d violation(s))\n%s", vs[0].Message, len(vs), check.FormatViolations(vs))
}
