package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// benchRequest serves one request through the handler (no network), so the
// figure is the simulator's own cost per call.
func benchRequest(b *testing.B, opts Options, biz, body string, withToken bool) {
	h := newHarness(b, opts)
	tok := ""
	if withToken {
		tok = h.login()
	}
	o := ops[biz]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, global(biz), strings.NewReader(body))
		r.Header.Set("companyId", "439")
		r.Header.Set("trace", "t-bench-1717243200")
		r.Header.Set("version", o.version)
		if tok != "" {
			r.Header.Set("token", tok)
		}
		w := httptest.NewRecorder()
		h.sim.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
	}
}

// BenchmarkFindCustomerInfo measures a findCustomerInfo request through the
// handler: gateway checks, token lookup, rate limiter, envelope rendering.
func BenchmarkFindCustomerInfo(b *testing.B) {
	// A limit no benchmark reaches, so 429s do not skew the figure.
	benchRequest(b, Options{RatePerMinute: 1 << 30}, findCustomerInfo, "{}", true)
}

// BenchmarkSymbolBaseList10k measures serving a 10,000-symbol
// getSymbolBaseList (the body the validation benchmark uses).
func BenchmarkSymbolBaseList10k(b *testing.B) {
	benchRequest(b, Options{RatePerMinute: 1 << 30, SymbolCount: 10000}, getSymbolBaseList, `{"customerGroupId":1}`, false)
}

// BenchmarkCheckRequests measures what CheckRequests adds to a request: the
// same getSymbolList call (a body with the required customerGroupId) through
// two simulators, one validating request bodies and one not, interleaved in
// each iteration; x-unchecked is the checked call's time over the unchecked
// one's.
func BenchmarkCheckRequests(b *testing.B) {
	set := loadSchemas(b)
	const biz = "config.app.AppSymbolDubboService.getSymbolList"
	cat, ok := set.Operation("client", biz)
	if !ok {
		b.Fatal(biz + " is not in the catalog")
	}
	type server struct {
		h   *harness
		tok string
		d   time.Duration
	}
	servers := [2]*server{}
	for i, check := range []bool{false, true} {
		h := newHarness(b, Options{Schemas: set, CheckRequests: check, RatePerMinute: 1 << 30})
		servers[i] = &server{h: h, tok: h.login()}
	}
	call := func(s *server) {
		r := httptest.NewRequest(http.MethodPost, global(biz), strings.NewReader(string(cat.Request)))
		r.Header.Set("companyId", "439")
		r.Header.Set("trace", "t-bench-1717243200")
		r.Header.Set("version", cat.Version)
		r.Header.Set("token", s.tok)
		w := httptest.NewRecorder()
		start := time.Now()
		s.h.sim.ServeHTTP(w, r)
		s.d += time.Since(start)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"code":"0"`) {
			b.Fatalf("status %d: %.200s", w.Code, w.Body.Bytes())
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		call(servers[0])
		call(servers[1])
	}
	b.ReportMetric(float64(servers[1].d)/float64(servers[0].d), "x-unchecked")
	b.ReportMetric(float64(servers[1].d.Microseconds())/float64(b.N), "checked-µs/call")
}

// BenchmarkTradeRoundTrip measures one market open, one position-list
// read and one market close through the handler, the core of a trading
// lifecycle, and states it as a ratio to one findCustomerInfo request
// measured in the same process ("x-findCustomerInfo"). The book keeps every
// order and capital flow, so the loop also shows that a long-lived
// simulator does not slow down as its history grows (b.N round trips of
// history by the end).
func BenchmarkTradeRoundTrip(b *testing.B) {
	h := newHarness(b, Options{RatePerMinute: 1 << 30})
	tok := h.login()
	// DOGE/USDT-1: a round trip costs the account so little (spread and
	// fees on 0.0015 USDT) that a long benchmark never runs out of margin.
	sym := makeSymbols(DefaultSymbolCount)[20]
	call := func(biz, group, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, global(biz), strings.NewReader(body))
		r.Header.Set("companyId", "439")
		r.Header.Set("trace", "t-bench-1717243200")
		r.Header.Set("token", tok)
		if group != "" {
			r.Header.Set("group", group)
		}
		w := httptest.NewRecorder()
		h.sim.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"code":"0"`) {
			b.Fatalf("%s: %d %s", biz, w.Code, w.Body.Bytes())
		}
		return w
	}
	const probes = 2000
	start := time.Now()
	for range probes {
		call(findCustomerInfo, "", "{}")
	}
	perInfo := time.Since(start) / probes
	open := fmt.Sprintf(`{"tradeType":1,"bizType":1,"direction":1,"symbolId":%d,"requestTime":1,"requestPrice":"0","requestNum":"0.01","accountCurrency":"USDT","accountDigits":2}`, sym.id)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := call(cfdMMOrder+"addMarketOrder", "tradeApi", open)
		var env struct {
			Data struct {
				PositionID int64 `json:"positionId"`
			} `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
			b.Fatal(err)
		}
		call(queryPositionBiz, "tradeApi", `{"tradeType":1}`)
		call(cfdMMOrder+"addMarketOrder", "tradeApi", fmt.Sprintf(
			`{"tradeType":1,"bizType":2,"direction":2,"symbolId":%d,"positionId":%d,"requestTime":1,"requestPrice":"0","requestNum":"0.01","accountCurrency":"USDT","accountDigits":2}`,
			sym.id, env.Data.PositionID))
	}
	b.StopTimer()
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(perInfo), "x-findCustomerInfo")
	}
}
