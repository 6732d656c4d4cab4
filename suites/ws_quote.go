package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/internal/wsclient"
	"github.com/mmcontract/mmcontract/runner/drift"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// The quote websocket's specs (NOTES §6.1), on /apiQuote/quote_guest, which
// needs no token. Each check records a contract.Observation like an HTTP
// check: family "quote", the command (or push kind) as its operation, HTTP
// status 101 (the handshake's), ret as its envelope code, and latency_ms the
// first acknowledgement's latency, or the first push's for push checks.

// quoteLabels are every quote spec's labels, with the command's.
func quoteLabels(command string, more ...string) Labels {
	return append(Labels{"websocket", QuoteFamily, command, "readonly"}, more...)
}

func encodeRequest(req quote.Request) ([]byte, error) { return json.Marshal(req) }

// registerQuote adds the quote socket's specs.
func registerQuote(env *Env) {
	needSocket := func() {
		if env.Websocket == nil {
			Skip("no websocket target")
		}
	}
	needSymbols := func(n int) []quote.Symbol {
		needSocket()
		if len(env.Websocket.QuoteSymbols) < n {
			Skip(fmt.Sprintf("the quote specs need %d symbols: set MM_QUOTE_SYMBOLS (symbolId:tradeType:tradeMode,…)", n))
		}
		return env.Websocket.QuoteSymbols
	}
	ticks := &tickRunner{env: env}
	// The quote specs are one operation to a sharded run: they share the
	// tick subscription, and one connection's limits.
	socket := Operation{Operation: schemas.Operation{Family: QuoteFamily, BizType: strings.TrimPrefix(quote.PathQuoteGuest, "/")}}
	env.describe(socket, "quote websocket "+quote.PathQuoteGuest, nil, func() {
		env.it("answers a heartbeat (14008 → 14009) within the bound, echoing seq_id and ext", quoteLabels("heartbeat"), func(ctx SpecContext) {
			needSocket()
			obs := quoteObservation("heartbeat")
			defer recordObservation(&obs)
			q, p := env.dialQuote(ctx, quote.PathQuoteGuest)
			if p != nil {
				p.fail(&obs, "connecting")
			}
			defer q.close()
			ex, p := q.request(ctx, quote.CmdHeartbeat, nil)
			env.checkAnswer(&obs, q, "heartbeat", ex, p)
		}, SpecTimeout(env.quoteTimeout()))

		env.it("accepts the client token on "+quote.PathQuote+" and answers a heartbeat there", quoteLabels("heartbeat", "token"), func(ctx SpecContext) {
			needSocket()
			if env.Client == nil {
				Skip("no Client API credentials")
			}
			obs := quoteObservation("heartbeat")
			defer recordObservation(&obs)
			tok, err := env.Client.SessionToken(ctx)
			if err != nil {
				p := env.tokenProblem(err)
				if p == nil {
					p = &quoteProblem{unavailable: true, reason: "no client token: " + oneline.First(env.Redactor.Text(err.Error()), oneline.MaxMessage)}
				}
				p.fail(&obs, "logging in")
			}
			q, p := env.dialQuote(ctx, quote.PathQuote+"?token="+url.QueryEscape(tok))
			if p != nil {
				p.fail(&obs, "connecting with the token")
			}
			defer q.close()
			ex, p := q.request(ctx, quote.CmdHeartbeat, nil)
			env.checkAnswer(&obs, q, "heartbeat", ex, p)
		}, SpecTimeout(env.quoteTimeout()))

		env.it("survives 35 s with heartbeats every 10 s and is closed by the server after 30 s of silence", quoteLabels("heartbeat", "slow"), func(ctx SpecContext) {
			needSocket()
			obs := quoteObservation("heartbeat")
			defer recordObservation(&obs)
			env.survive(ctx, &obs, 35*time.Second, 10*time.Second, 30*time.Second)
		}, SpecTimeout(2*time.Minute+env.quoteTimeout()))

		env.it("acknowledges a tick subscription (14000 → 14001): seq_id and ext echoed, ticks that match the schema, decimal prices with price_digits digits, tick_time in seconds",
			quoteLabels("subscribe_tick"), func(ctx SpecContext) {
				needSymbols(1)
				obs := quoteObservation("subscribe_tick")
				defer recordObservation(&obs)
				r := ticks.get(ctx)
				r.failUnlessAck(&obs)
				env.checkAnswer(&obs, r.q, "subscribe_tick", r.ack, nil)
				vs, _ := check.TickList(r.ack.resp.Data, time.Now())
				if len(vs) > 0 {
					obs.Violations = vs
					Fail(fmt.Sprintf("the 14001 ticks broke %d check(s):\n%s", len(vs), describeViolations(vs)))
				}
			}, SpecTimeout(env.quoteTimeout()))

		env.it("pushes ticks p(…) that parse and match the schema, with decimal prices of the symbol's price_digits and tick_time in seconds",
			quoteLabels("subscribe_tick", "push"), func(ctx SpecContext) {
				needSymbols(1)
				obs := quoteObservation(quote.PushTick.SchemaKind())
				defer recordObservation(&obs)
				r := ticks.get(ctx)
				r.failUnlessPushes(&obs)
				obs.LatencyMS = r.firstPush.Milliseconds()
				env.checkPushes(&obs, r.pushes, r.digits)
			}, SpecTimeout(env.quoteTimeout()))

		env.it("numbers each symbol's pushes without a gap or a repeat (seq strictly increasing by one)", quoteLabels("subscribe_tick", "push"), func(ctx SpecContext) {
			needSymbols(1)
			obs := quoteObservation(quote.PushTick.SchemaKind())
			defer recordObservation(&obs)
			r := ticks.get(ctx)
			r.failUnlessPushes(&obs)
			obs.LatencyMS = r.firstPush.Milliseconds()
			obs.Drift = sequenceGaps(r.pushes, r.seqs)
			if len(obs.Drift) > 0 {
				obs.Outcome = verdict.Drifted
			}
		}, SpecTimeout(env.quoteTimeout()))

		env.it("keeps the accepted shape of the 14001 answer", quoteLabels("subscribe_tick"), func(ctx SpecContext) {
			needSymbols(1)
			obs := quoteObservation("subscribe_tick")
			defer recordObservation(&obs)
			r := ticks.get(ctx)
			r.failUnlessAck(&obs)
			env.checkFrameShape(&obs, QuoteFamily, "subscribe_tick", r.ack.frame)
		}, SpecTimeout(env.quoteTimeout()))

		env.it("keeps the accepted shape of the tick pushes", quoteLabels("subscribe_tick", "push"), func(ctx SpecContext) {
			needSymbols(1)
			obs := quoteObservation(quote.PushTick.SchemaKind())
			defer recordObservation(&obs)
			r := ticks.get(ctx)
			r.failUnlessPushes(&obs)
			env.checkFrameShape(&obs, QuoteFamily, quote.PushTick.SchemaKind(), r.pushes[0].push.AppendJSON(nil))
		}, SpecTimeout(env.quoteTimeout()))

		env.it("replaces the subscription on a new subscribe: pushes for the old symbols stop", quoteLabels("subscribe_tick"), func(ctx SpecContext) {
			syms := needSymbols(2)
			obs := quoteObservation("subscribe_tick")
			defer recordObservation(&obs)
			env.resubscribe(ctx, &obs, syms[0], syms[1])
		}, SpecTimeout(env.quoteTimeout()))

		env.it("acknowledges a depth subscription (14010 → 14011) and pushes depth pd(…) and trades pt(…) that match their schemas",
			quoteLabels("subscribe_depth", "push"), func(ctx SpecContext) {
				syms := needSymbols(1)
				obs := quoteObservation("subscribe_depth")
				defer recordObservation(&obs)
				env.depth(ctx, &obs, syms[0])
			}, SpecTimeout(env.quoteTimeout()))

		env.it("acknowledges a cancel (14006 → 14007), after which the pushes stop", quoteLabels("cancel"), func(ctx SpecContext) {
			syms := needSymbols(1)
			obs := quoteObservation("cancel")
			defer recordObservation(&obs)
			env.cancel(ctx, &obs, syms[0])
		}, SpecTimeout(env.quoteTimeout()))

		env.it("answers a K-line query (14012 → 14013) with at most query_kline_num ≤ 1,000 candles, ordered, OHLC consistent",
			quoteLabels("kline"), func(ctx SpecContext) {
				syms := needSymbols(1)
				obs := quoteObservation("kline")
				defer recordObservation(&obs)
				env.kline(ctx, &obs, syms[0])
			}, SpecTimeout(env.quoteTimeout()))

		env.it("is never sent more than 100 symbols per subscription or 50 calls a second by our client", quoteLabels("limits", "subscribe_tick", "heartbeat"), func(ctx SpecContext) {
			syms := needSymbols(1)
			obs := quoteObservation("heartbeat")
			defer recordObservation(&obs)
			env.limits(ctx, &obs, syms[0])
		}, SpecTimeout(env.quoteTimeout()))

		env.it("refuses a malformed request frame with ret 201 and malformed data with ret 202", quoteLabels("subscribe_tick", "negative"), func(ctx SpecContext) {
			needSocket()
			obs := quoteObservation("subscribe_tick")
			defer recordObservation(&obs)
			env.malformed(ctx, &obs)
		}, SpecTimeout(env.quoteTimeout()))
	})
}

// tickRunner shares one tick subscription and its pushes among the specs
// that judge it, as the HTTP specs of an operation share one call; a flake
// retry subscribes again.
type tickRunner struct {
	env  *Env
	last *tickRun
}

// tickRun is one tick subscription: its answer, and the pushes after it.
type tickRun struct {
	q         *quoteConn
	ack       *quoteExchange
	ackErr    *quoteProblem
	pushes    []receivedPush
	pushErr   *quoteProblem
	firstPush time.Duration
	digits    map[quote.Symbol]int    // price_digits per symbol, from the ack
	seqs      map[quote.Symbol]uint64 // each symbol's seq in the ack
	recorded  *contract.Exchange
	shown     atomic.Bool
}

func (t *tickRunner) get(ctx SpecContext) *tickRun {
	if t.last == nil || CurrentSpecReport().NumAttempts > 1 {
		t.last = t.run(ctx)
	}
	return t.last
}

func (t *tickRunner) run(ctx SpecContext) *tickRun {
	e := t.env
	r := &tickRun{digits: map[quote.Symbol]int{}, seqs: map[quote.Symbol]uint64{}}
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		r.ackErr, r.pushErr = p, p
		return r
	}
	defer q.close()
	r.q = q
	syms := e.Websocket.QuoteSymbols[:min(2, len(e.Websocket.QuoteSymbols))]
	r.ack, r.ackErr = q.request(ctx, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: syms})
	if r.ack != nil {
		r.recorded = e.recordSocketFrames(QuoteFamily, "subscribe_tick", q.url, r.ack.sent, r.ack.frame)
	}
	if r.ackErr != nil {
		r.pushErr = r.ackErr
		return r
	}
	_, r.digits = check.TickList(r.ack.resp.Data, time.Now())
	var d struct {
		TickList []quote.Tick `json:"tick_list"`
	}
	if json.Unmarshal(r.ack.resp.Data, &d) == nil {
		for _, tk := range d.TickList {
			r.seqs[quote.Symbol{SymbolID: tk.SymbolID, TradeType: tk.TradeType, TradeMode: tk.TradeMode}] = tk.Seq
		}
	}
	r.pushes, r.firstPush, r.pushErr = q.pushes(ctx, r.ack.received, quotePushSample, quotePushWindow)
	r.pushes = append(r.ack.pushes, r.pushes...)
	return r
}

// observe fills what every check of the run shares into obs.
func (r *tickRun) observe(obs *contract.Observation) {
	if r.recorded != nil {
		// Recorded once, by the first check to report; the others refer
		// to it by id, as the checks of one HTTP call do.
		obs.ExchangeID = r.recorded.ID
		if r.shown.CompareAndSwap(false, true) {
			obs.Exchange = r.recorded
		}
	}
	if r.ack != nil && r.ackErr == nil {
		obs.LatencyMS, obs.EnvelopeCode, obs.EnvelopeMsg = r.ack.latency.Milliseconds(), fmt.Sprint(r.ack.resp.RetCode()), r.ack.resp.Msg
	}
}

func (r *tickRun) failUnlessAck(obs *contract.Observation) {
	r.observe(obs)
	if r.ackErr != nil {
		r.ackErr.fail(obs, "the tick subscription")
	}
}

func (r *tickRun) failUnlessPushes(obs *contract.Observation) {
	r.failUnlessAck(obs)
	if r.pushErr != nil {
		r.pushErr.fail(obs, "the tick pushes")
	}
	if len(r.pushes) == 0 {
		(&quoteProblem{violation: contract.Violation{Pointer: "/frame", Keyword: "push_timeout", Message: "no push"}, reason: "no push"}).fail(obs, "the tick pushes")
	}
}

// checkAnswer judges an answer: the frame header schema, the data schema
// of the command's kind, and the echo of seq_id and ext with ret 200.
func (e *Env) checkAnswer(obs *contract.Observation, q *quoteConn, kind string, ex *quoteExchange, p *quoteProblem) {
	if ex != nil && obs.ExchangeID == "" {
		rec := e.recordSocketFrames(QuoteFamily, kind, q.url, ex.sent, ex.frame)
		obs.ExchangeID, obs.Exchange = rec.ID, rec
	}
	if p != nil {
		p.fail(obs, "the "+kind+" answer")
	}
	obs.LatencyMS, obs.EnvelopeCode, obs.EnvelopeMsg = ex.latency.Milliseconds(), fmt.Sprint(ex.resp.RetCode()), ex.resp.Msg
	fv, err := check.Frame(e.Schemas, QuoteFamily, ex.frame)
	if err != nil {
		Fail(err.Error())
	}
	dv, err := check.Data(e.Schemas, QuoteFamily, kind, fv, ex.resp.OK(), ex.resp.Data)
	if err != nil {
		Fail(err.Error())
	}
	obs.Violations = append(dv, check.Ack(ex.req, ex.resp)...)
	if len(obs.Violations) > 0 {
		Fail(fmt.Sprintf("the %d answer broke %d check(s):\n%s", ex.req.CmdID, len(obs.Violations), describeViolations(obs.Violations)))
	}
}

// checkPushes validates every push like a response's data and checks its
// prices and times, failing with the violations of the first push that has
// any (the others are counted).
func (e *Env) checkPushes(obs *contract.Observation, pushes []receivedPush, digits map[quote.Symbol]int) {
	bad := 0
	var first []contract.Violation
	var firstText string
	for i, rp := range pushes {
		doc := rp.push.AppendJSON(nil)
		var d struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			Fail(fmt.Sprintf("push #%d made invalid JSON: %v", i+1, err))
		}
		vs, err := check.Data(e.Schemas, QuoteFamily, rp.push.Kind.SchemaKind(), nil, true, d.Data)
		if err != nil {
			Fail(err.Error())
		}
		vs = append(vs, check.Push(rp.push, digits, time.Now())...)
		if len(vs) > 0 {
			bad++
			if first == nil {
				first, firstText = vs, fmt.Sprintf("push #%d %s", i+1, e.Redactor.Text(string(doc)))
			}
		}
	}
	if bad > 0 {
		obs.Violations = first
		Fail(fmt.Sprintf("%d of %d push(es) broke the contract; the first, %s:\n%s", bad, len(pushes), firstText, describeViolations(first)))
	}
}

// sequenceGaps is the sequence_gap drift of pushes: per kind and symbol,
// each seq must be the last one plus one, starting after the ack's seq.
// Each stream reports its first gap.
func sequenceGaps(pushes []receivedPush, ackSeqs map[quote.Symbol]uint64) []contract.Drift {
	last := map[string]uint64{}
	known := map[string]bool{}
	reported := map[string]bool{}
	for sym, seq := range ackSeqs {
		k := string(quote.PushTick) + " " + sym.String()
		last[k], known[k] = seq, true
	}
	var out []contract.Drift
	for _, rp := range pushes {
		sym, ok := rp.push.Symbol()
		seq, okSeq := rp.push.Int("seq")
		if !ok || !okSeq || seq < 0 {
			continue // the schema check reports it
		}
		k := string(rp.push.Kind) + " " + sym.String()
		if known[k] && uint64(seq) != last[k]+1 && !reported[k] {
			reported[k] = true
			out = append(out, drift.SequenceGap(rp.push.Kind.SchemaKind(), "/data/seq", last[k], uint64(seq)))
		}
		last[k], known[k] = uint64(seq), true
	}
	return out
}

// resubscribe subscribes to a, sees its pushes, subscribes to b, and
// expects b's pushes and none of a's after the grace.
func (e *Env) resubscribe(ctx SpecContext, obs *contract.Observation, a, b quote.Symbol) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	first, p := q.request(ctx, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: []quote.Symbol{a}})
	e.checkAnswer(obs, q, "subscribe_tick", first, p)
	before, _, p := q.pushes(ctx, first.received, 2, quotePushBound)
	if p != nil {
		p.fail(obs, "pushes of the first subscription")
	}
	second, p := q.request(ctx, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: []quote.Symbol{b}})
	if p != nil {
		p.fail(obs, "the second subscription")
	}
	late, p := q.quiet(ctx, second.received, streamInterval(before))
	if p != nil {
		p.fail(obs, "pushes after the second subscription")
	}
	sawB := false
	for _, rp := range append(second.pushes, late...) {
		sym, _ := rp.push.Symbol()
		if sym == a && rp.at.Sub(second.received) > quoteGrace {
			obs.Violations = []contract.Violation{{Pointer: "/data/symbol_id", Keyword: "subscription_replaced", Expected: "pushes of " + b.String() + " only",
				Seen: sym.String(), Message: "a push of a symbol the new subscription dropped"}}
			Fail(fmt.Sprintf("%s still pushed %s after 14000 replaced it with %s", QuoteFamily, a, b))
		}
		sawB = sawB || sym == b
	}
	if !sawB {
		obs.Violations = []contract.Violation{{Pointer: "/frame", Keyword: "push_timeout", Expected: "pushes of " + b.String(), Seen: "none",
			Message: "the new subscription's symbol was not pushed"}}
		Fail(fmt.Sprintf("no push of %s after subscribing to it", b))
	}
}

// depth subscribes to a symbol's depth and checks the answer and pushes.
func (e *Env) depth(ctx SpecContext, obs *contract.Observation, sym quote.Symbol) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	ds := quote.DepthSymbol{Symbol: sym, DepthLevel: 5, MergeAccuracy: "0.001", TradeInfoCount: 5}
	ex, p := q.request(ctx, quote.CmdSubscribeDepth, quote.DepthSubscription{SymbolList: []quote.DepthSymbol{ds}})
	e.checkAnswer(obs, q, "subscribe_depth", ex, p)
	pushes, firstPush, p := q.pushes(ctx, ex.received, quotePushSample, quotePushWindow)
	if p != nil {
		p.fail(obs, "the depth pushes")
	}
	obs.LatencyMS = firstPush.Milliseconds()
	kinds := map[quote.PushKind]bool{}
	for _, rp := range pushes {
		kinds[rp.push.Kind] = true
	}
	for _, k := range []quote.PushKind{quote.PushDepth, quote.PushTrade} {
		if !kinds[k] {
			obs.Violations = []contract.Violation{{Pointer: "/frame", Keyword: "push_kind", Expected: string(k) + "(…) pushes", Seen: "none",
				Message: "a depth subscription without this kind of push"}}
			Fail(fmt.Sprintf("no %s(…) push within the window after 14011", k))
		}
	}
	e.checkPushes(obs, pushes, nil)
	if gaps := sequenceGaps(pushes, nil); len(gaps) > 0 {
		obs.Drift, obs.Outcome = gaps, verdict.Drifted
	}
}

// cancel subscribes, cancels everything, and expects no push after the
// grace.
func (e *Env) cancel(ctx SpecContext, obs *contract.Observation, sym quote.Symbol) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	sub, p := q.request(ctx, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: []quote.Symbol{sym}})
	if p != nil {
		p.fail(obs, "the subscription before the cancel")
	}
	before, _, p := q.pushes(ctx, sub.received, 2, quotePushBound)
	if p != nil {
		p.fail(obs, "pushes before the cancel")
	}
	ex, p := q.request(ctx, quote.CmdCancel, quote.Cancellation{CancelType: quote.CancelAll})
	e.checkAnswer(obs, q, "cancel", ex, p)
	late, p := q.quiet(ctx, ex.received, streamInterval(before))
	if p != nil {
		p.fail(obs, "after the cancel")
	}
	if len(late) > 0 {
		obs.Violations = []contract.Violation{{Pointer: "/frame", Keyword: "cancelled", Expected: "no push after 14007", Seen: fmt.Sprintf("%d push(es)", len(late)),
			Message: "pushes continued after the cancel was acknowledged"}}
		Fail(fmt.Sprintf("%d push(es) more than %s after the cancel's acknowledgement", len(late), quoteGrace))
	}
}

// kline asks for a few bars and for the most a query returns, and checks
// each answer and its candles.
func (e *Env) kline(ctx SpecContext, obs *contract.Observation, sym quote.Symbol) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	// The small query first: its answer is the one recorded, whole.
	for _, n := range []int{10, quote.MaxKlineBars} {
		ex, p := q.request(ctx, quote.CmdKline, quote.KlineQuery{Symbol: sym, KlineType: 1, QueryKlineNum: n})
		e.checkAnswer(obs, q, "kline", ex, p)
		if vs := check.Candles(ex.resp.Data, n, time.Now()); len(vs) > 0 {
			obs.Violations = vs
			Fail(fmt.Sprintf("the K-line answer to query_kline_num %d broke %d check(s):\n%s", n, len(vs), describeViolations(vs)))
		}
	}
}

// limits proves the client keeps the protocol's limits: it refuses a
// 101-symbol subscription itself, a 100-symbol one is acknowledged, and a
// burst up to 50 calls a second is answered ret 200 with the session's
// count never above 50 in any second.
func (e *Env) limits(ctx SpecContext, obs *contract.Observation, sym quote.Symbol) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	// Products beyond the configured one may not exist: the vendor answers
	// such a subscription "partially OK" (ret 200), pushing the known ones.
	over := make([]quote.Symbol, quote.MaxSymbols+1)
	for i := range over {
		over[i] = quote.Symbol{SymbolID: sym.SymbolID + uint64(i), TradeType: sym.TradeType, TradeMode: sym.TradeMode}
	}
	var le *quote.LimitError
	if _, _, err := q.sess.Send(ctx, quote.CmdSubscribeTick, "limits", quote.TickSubscription{SymbolList: over}); !errors.As(err, &le) {
		Fail(fmt.Sprintf("harness: the client sent a %d-symbol subscription (err %v)", len(over), err))
	}
	full, p := q.request(ctx, quote.CmdSubscribeTick, quote.TickSubscription{SymbolList: over[:quote.MaxSymbols]})
	e.checkAnswer(obs, q, "subscribe_tick", full, p)
	// The subscription and the burst are exactly the limit: all within one
	// second, every one answered. That the session paces a 51st to the next
	// second is TestLimiterNeverExceeds's (it would cost this spec a second).
	burst := quote.MaxCallsPerSecond - 1
	for i := range burst {
		ex, p := q.request(ctx, quote.CmdHeartbeat, nil)
		if p != nil {
			p.fail(obs, fmt.Sprintf("heartbeat %d of the burst", i+1))
		}
		if !ex.resp.OK() {
			obs.Violations = []contract.Violation{{Pointer: "/ret", Keyword: "rate_limit", Expected: "200", Seen: fmt.Sprint(ex.resp.RetCode()),
				Message: "the vendor refused a call our client paced to its limit"}}
			Fail(fmt.Sprintf("heartbeat %d of %d was refused with ret %d (%s)", i+1, burst, ex.resp.RetCode(), e.Redactor.Text(ex.resp.Msg)))
		}
	}
	if m := q.sess.Limiter().MaxInWindow(); m > quote.MaxCallsPerSecond {
		Fail(fmt.Sprintf("harness: the client sent %d calls within one second", m))
	}
}

// malformed sends frames the protocol refuses and expects ret 201 for a
// bad header and 202 for bad data.
func (e *Env) malformed(ctx SpecContext, obs *contract.Observation) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	for _, tc := range []struct {
		frame string
		want  []int32
	}{
		{`{"cmd_id":"heartbeat","seq_id":1,"ext":"mmcontract","data":{}}`, []int32{quote.RetHeaderInvalid}},
		{`{"cmd_id":14008,"ext":"mmcontract","data":{}}`, []int32{quote.RetHeaderInvalid}},
		{`{"cmd_id":14000,"seq_id":3,"ext":"mmcontract","data":{"symbol_list":"EURUSD"}}`, []int32{quote.RetDataInvalid}},
	} {
		at, err := q.sess.SendRaw(ctx, []byte(tc.frame))
		if err != nil {
			q.problem(err, 0).fail(obs, "sending a malformed frame")
		}
		m, err := q.nextWithin(ctx, time.Until(at.Add(e.ackBound())))
		for err == nil && m.Err == nil && m.Response == nil {
			m, err = q.nextWithin(ctx, time.Until(at.Add(e.ackBound())))
		}
		if err != nil {
			q.problem(err, 0).fail(obs, "the answer to a malformed frame")
		}
		if m.Err != nil {
			frameProblem(e, m).fail(obs, "the answer to a malformed frame")
		}
		rec := e.recordSocketFrames(QuoteFamily, "subscribe_tick", q.url, []byte(tc.frame), m.Frame.Data)
		obs.ExchangeID, obs.Exchange = rec.ID, rec
		obs.EnvelopeCode, obs.LatencyMS = fmt.Sprint(m.Response.RetCode()), m.Frame.Received.Sub(at).Milliseconds()
		if vs := check.Refusal(*m.Response, tc.want...); len(vs) > 0 {
			obs.Violations = vs
			Fail(fmt.Sprintf("the malformed frame %s was answered with ret %d", tc.frame, m.Response.RetCode()))
		}
	}
}

// survive keeps a connection open for hold with a heartbeat every every,
// each answered, goes silent after the last heartbeat before hold, and
// expects the connection open at hold and closed by the server idle after
// the last heartbeat (not sooner, at most 10 s later).
func (e *Env) survive(ctx SpecContext, obs *contract.Observation, hold, every, idle time.Duration) {
	q, p := e.dialQuote(ctx, quote.PathQuoteGuest)
	if p != nil {
		p.fail(obs, "connecting")
	}
	defer q.close()
	start := time.Now()
	var lastBeat time.Time
	for {
		ex, p := q.request(ctx, quote.CmdHeartbeat, nil)
		if p != nil {
			p.fail(obs, fmt.Sprintf("the heartbeat after %s", time.Since(start).Round(time.Second)))
		}
		lastBeat = time.Now()
		obs.LatencyMS = max(obs.LatencyMS, ex.latency.Milliseconds())
		if time.Since(start)+every > hold {
			break // the last heartbeat before hold: then silence
		}
		select {
		case <-ctx.Done():
			Fail("the spec's deadline ran out while the connection was held")
		case <-q.conn.Done():
			q.problem(q.conn.Err(), 0).fail(obs, fmt.Sprintf("the connection after %s of heartbeats", time.Since(start).Round(time.Second)))
		case <-time.After(every):
		}
	}
	// Still open at hold, in silence since the last heartbeat.
	select {
	case <-q.conn.Done():
		q.problem(q.conn.Err(), 0).fail(obs, fmt.Sprintf("the connection before %s", hold))
	case <-time.After(time.Until(start.Add(hold))):
	}
	select {
	case <-ctx.Done():
		Fail("the spec's deadline ran out waiting for the idle close")
	case <-q.conn.Done():
	case <-time.After(time.Until(lastBeat.Add(idle + 10*time.Second))):
		obs.Violations = []contract.Violation{{Pointer: "", Keyword: "idle_close", Expected: fmt.Sprintf("closed after %s of silence", idle),
			Seen: "still open", Message: "the server did not close a silent connection"}}
		Fail(fmt.Sprintf("the connection was still open %s after the last heartbeat", idle+10*time.Second))
	}
	var fe *wsclient.FrameError
	if err := q.conn.Err(); !errors.As(err, &fe) || fe.Kind != wsclient.ClosedByServer {
		q.problem(err, 0).fail(obs, "the idle close")
	}
	if waited := time.Since(lastBeat); waited < idle-time.Second {
		obs.Violations = []contract.Violation{{Pointer: "", Keyword: "idle_close", Expected: fmt.Sprintf("closed after %s of silence", idle),
			Seen: fmt.Sprintf("closed after %s", waited.Round(time.Second)), Message: "the server closed a connection sooner than its idle timeout"}}
		Fail(fmt.Sprintf("the server closed the connection %s after the last heartbeat, before its %s idle timeout", waited.Round(time.Second), idle))
	}
}
