package simulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
