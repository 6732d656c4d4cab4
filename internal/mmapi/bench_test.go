package mmapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mmcontract/mmcontract/internal/simulator/sample"
)

// BenchmarkDecodeEnvelope measures the strict decode (UTF-8, syntax,
// duplicate keys, int64 range, depth, typed envelope) of a realistic
// findCustomerInfo response.
func BenchmarkDecodeEnvelope(b *testing.B) {
	body := realisticFindCustomerInfo()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEnvelope(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnvelopeStdlib is the reference point: encoding/json into a
// generic map, which checks none of the above.
func BenchmarkDecodeEnvelopeStdlib(b *testing.B) {
	body := realisticFindCustomerInfo()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall measures one findCustomerInfo call over loopback HTTP,
// limiter off, token configured.
func BenchmarkCall(b *testing.B) {
	body := realisticFindCustomerInfo()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Token: "t-app", RatePerMinute: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(context.Background(), opFind, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvelopeVsDecode measures DecodeEnvelope on the simulator's real
// findCustomerInfo and 10,000-item getSymbolBaseList bodies against a bare
// encoding/json decode of the same bytes, in one run (x-bare-time).
func BenchmarkEnvelopeVsDecode(b *testing.B) {
	for _, s := range sample.Bodies(b) {
		b.Run(s.Name, func(b *testing.B) {
			sample.Compare(b, s.Body, "DecodeEnvelope", func() error {
				_, err := DecodeEnvelope(s.Body)
				return err
			})
		})
	}
}
