package simulator

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// The Manager API's quote REST endpoints: GET /openapi-b/quote-b-api/{ep}
// (digital currency and forex) and /openapi-b/quote-stock-b-api/{ep}
// (stocks), for ep depth-tick, trade-tick, kline and batch-kline. They are
// another service than the gateway: the Manager token comes as the "token"
// query parameter, the request as the URL-encoded JSON "query" parameter
// (batch-kline: a JSON body), its trace inside it, and the reply is
// {ret, msg, trace, data} with ret 200 on success. Quotes come from the
// trading book, so a depth-tick agrees with the price orders fill at.

// Quote services and endpoints.
const (
	quoteServiceFX    = "quote-b-api"
	quoteServiceStock = "quote-stock-b-api"
	quoteDepthTick    = "depth-tick"
	quoteTradeTick    = "trade-tick"
	quoteKline        = "kline"
	quoteBatchKline   = "batch-kline"
)

// Quote return codes. The vendor documents only 200; the refusals are the
// simulator's (the AllTick-style codes the service's ret field suggests).
const (
	quoteRetOK        = 200
	quoteRetBadParams = 400
	quoteRetBadToken  = 401
	quoteRetBadMethod = 405
)

// maxQuoteKlines caps query_kline_num, as a quote service pages history.
const maxQuoteKlines = 500

// KindQuote is the kind of the quote-rest- scenarios: the Manager quote
// REST endpoints break their envelope while everything else behaves as
// documented; a run checks them with --label-filter quote.
const KindQuote = "quote"

// scenarioQuoteRetString is the quote-rest- scenario that breaks the
// quote envelope: ret sent as the string "200".
const scenarioQuoteRetString = "quote-rest-ret-string"

// quoteScenarios break the quote REST endpoints' replies.
var quoteScenarios = []scenarioDef{
	{Scenario: Scenario{Name: scenarioQuoteRetString, Kind: KindQuote, Filter: "manager && quote", ExpectedVerdict: verdict.Broken, Pointer: "/ret",
		Description: "the Manager quote REST endpoints answer ret as the string \"200\""}},
}

// managerQuoteRoute splits a Manager route's bizType into the quote service
// and endpoint, reporting whether it is one of the eight.
func managerQuoteRoute(bizType string) (service, endpoint string, ok bool) {
	service, endpoint, _ = strings.Cut(bizType, "/")
	if service != quoteServiceFX && service != quoteServiceStock {
		return "", "", false
	}
	switch endpoint {
	case quoteDepthTick, quoteTradeTick, quoteKline, quoteBatchKline:
		return service, endpoint, true
	}
	return "", "", false
}

// quoteEnvelope is the quote service's reply.
type quoteEnvelope struct {
	Ret   any    `json:"ret"` // an integer; a scenario sends a string
	Msg   string `json:"msg"`
	Trace string `json:"trace"`
	Data  any    `json:"data"`
}

// quoteRequest is what the tick and kline queries carry.
type quoteRequest struct {
	Trace string `json:"trace"`
	Data  struct {
		SymbolList []struct {
			Code string `json:"code"`
		} `json:"symbol_list"`
		quoteKlineQuery
		DataList []quoteKlineQuery `json:"data_list"`
	} `json:"data"`
}

// quoteKlineQuery is one K-line query.
type quoteKlineQuery struct {
	Code              string `json:"code"`
	KlineType         int64  `json:"kline_type"`
	KlineTimestampEnd int64  `json:"kline_timestamp_end"`
	QueryKlineNum     int64  `json:"query_kline_num"`
	AdjustType        int64  `json:"adjust_type"`
}

// serveManagerQuote answers one quote REST request.
func (s *Simulator) serveManagerQuote(w http.ResponseWriter, c *call, service, endpoint string) {
	if c.r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.writeQuote(w, c, quoteRetBadMethod, "method not allowed", nil)
		return
	}
	st, err := s.signed()
	if err != nil {
		s.writeQuote(w, c, http.StatusInternalServerError, "system error", nil)
		return
	}
	params := c.r.URL.Query()
	token := params.Get("token")
	// The request as the spec types it: the query parameters of the tick
	// and kline endpoints, batch-kline's JSON body.
	var raw []byte
	if endpoint == quoteBatchKline {
		raw, err = io.ReadAll(http.MaxBytesReader(w, c.r.Body, maxRequestBody))
	} else {
		req := map[string]string{}
		for _, k := range []string{"token", "query"} {
			if params.Has(k) {
				req[k] = params.Get(k)
			}
		}
		raw, err = json.Marshal(req)
	}
	if err != nil {
		s.writeQuote(w, c, quoteRetBadParams, errorMsg[codeParamsInvalid], nil)
		return
	}
	if msg, bad := s.requestViolation(c, raw); bad {
		s.writeQuote(w, c, quoteRetBadParams, msg, nil)
		return
	}
	if _, ok := st.mgrToken.Load(token); token == "" || !ok {
		s.writeQuote(w, c, quoteRetBadToken, "token invalid", nil)
		return
	}
	var q quoteRequest
	doc := []byte(params.Get("query"))
	if endpoint == quoteBatchKline {
		doc = raw
	}
	if err := json.Unmarshal(doc, &q); err != nil {
		s.writeQuote(w, c, quoteRetBadParams, "query is not the documented JSON", nil)
		return
	}
	if q.Trace != "" {
		c.trace = q.Trace // the service echoes the request's trace
	}
	syms := s.quoteSymbols(service)
	now := s.now()
	var data any
	switch endpoint {
	case quoteDepthTick, quoteTradeTick:
		ticks := []any{}
		for _, want := range q.Data.SymbolList {
			if sym, ok := syms[want.Code]; ok {
				ticks = append(ticks, s.quoteTick(sym, endpoint, now.UnixMilli()))
			}
		}
		data = map[string]any{"tick_list": ticks}
	case quoteKline:
		data = s.quoteKlines(syms, q.Data.quoteKlineQuery, now.Unix())
	case quoteBatchKline:
		// The spec documents batch-kline's data as one K-line series (the
		// first query's), not a list of them.
		var first quoteKlineQuery
		if len(q.Data.DataList) > 0 {
			first = q.Data.DataList[0]
		}
		data = s.quoteKlines(syms, first, now.Unix())
	}
	s.writeQuote(w, c, quoteRetOK, "ok", data)
}

// quoteSymbols are the symbols a quote service quotes, by code: stocks on
// the stock service, also by their bare ticker (AAPL for the simulator's
// AAPL-3, as a stock quote service names it), everything else on the other.
func (s *Simulator) quoteSymbols(service string) map[string]symbol {
	out := map[string]symbol{}
	add := func(code string, sym symbol) {
		if _, dup := out[code]; !dup {
			out[code] = sym
		}
	}
	for _, sym := range s.symbols {
		if (sym.tradeType == tradeStock) != (service == quoteServiceStock) {
			continue
		}
		add(sym.code, sym)
		if sym.tradeType == tradeStock {
			add(sym.base, sym)
		}
	}
	return out
}

// quoteTick is sym's latest depth (best bid and ask) or trade tick.
func (s *Simulator) quoteTick(sym symbol, endpoint string, atMillis int64) map[string]any {
	s.book.mu.Lock()
	bid, ask := s.book.quote(sym)
	seq := s.book.ticks[sym.id]
	s.book.mu.Unlock()
	tick := map[string]any{"code": sym.code, "seq": strconv.Itoa(seq + 1), "tick_time": strconv.FormatInt(atMillis, 10)}
	if endpoint == quoteDepthTick {
		tick["bids"] = []any{map[string]any{"price": decimal(bid, sym.digits), "volume": "25000.50"}}
		tick["asks"] = []any{map[string]any{"price": decimal(ask, sym.digits), "volume": "25000.50"}}
		return tick
	}
	mid := round((bid+ask)/2, sym.digits)
	tick["price"], tick["volume"], tick["turnover"], tick["trade_direction"] = decimal(mid, sym.digits), "0", "0", 0
	return tick
}

// quoteKlines is the K-line series q asks for, ending at its
// kline_timestamp_end (0: now), oldest first, swinging round the symbol's
// reference price so that each bar's high and low bound its open and close.
func (s *Simulator) quoteKlines(syms map[string]symbol, q quoteKlineQuery, nowSec int64) map[string]any {
	bars := []any{}
	out := map[string]any{"code": q.Code, "kline_type": q.KlineType, "kline_list": bars}
	sym, ok := syms[q.Code]
	period, known := klineSeconds[int(q.KlineType)] // the quote socket's table (wsquote.go)
	if !ok || !known {
		return out
	}
	end := q.KlineTimestampEnd
	if end <= 0 || end > nowSec {
		end = nowSec
	}
	end -= end % period
	n := min(max(q.QueryKlineNum, 1), maxQuoteKlines)
	ref := referencePrice(sym)
	price := func(i int64) float64 {
		return round(ref*(1+quoteAmplitude*math.Sin(float64(i)/3)), sym.digits)
	}
	for i := n - 1; i >= 0; i-- {
		at := end - i*period
		open, cls := price(at/period), price(at/period+1)
		spread := sym.spread(3)
		bars = append(bars, map[string]any{"timestamp": strconv.FormatInt(at, 10),
			"open_price": decimal(open, sym.digits), "close_price": decimal(cls, sym.digits),
			"high_price": decimal(max(open, cls)+spread, sym.digits), "low_price": decimal(min(open, cls)-spread, sym.digits),
			"volume": "0", "turnover": "0"})
	}
	out["kline_list"] = bars
	return out
}

// writeQuote writes the quote envelope, ret as the scenario has it.
func (s *Simulator) writeQuote(w http.ResponseWriter, c *call, ret int, msg string, data any) {
	env := quoteEnvelope{Ret: ret, Msg: msg, Trace: c.trace, Data: data}
	if s.scenario.Load().Name == scenarioQuoteRetString {
		env.Ret = strconv.Itoa(ret)
	}
	body, err := json.Marshal(env)
	if err != nil {
		body = []byte(`{"ret":500,"msg":"system error","trace":"","data":null}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
