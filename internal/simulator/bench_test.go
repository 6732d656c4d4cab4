package simulator

import (
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
