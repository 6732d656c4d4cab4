package drift

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/simulator/sample"
)

// symbolList builds a getSymbolBaseList-like envelope with n products of 15
// members each, including a nested array, enum-like codes and nulls.
func symbolList(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"bizCode":"","code":"0","msg":"Success","tm":1700000000000,"trace":"t-bench","msgParams":null,"ok":true,"fail":false,"data":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"symbolId":%d,"symbolCode":"SYM%05d","symbolName":"Product %d","tradeType":%d,`+
			`"baseCurrency":"BTC","profitCurrency":"USDT","symbolDigits":%d,"askSpread":"0.%d","bidSpread":null,`+
			`"pointRatio":10,"dealMode":%d,"etf":%t,"fundId":%d,"labels":"a,b",`+
			`"tradeTimeList":[{"dayOfWeek":%d,"startTime":0,"endTime":86400}]}`,
			i, i, i, 1+i%3, i%8, i, 1+i%2, i%7 == 0, 1000+i, 1+i%7)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// reportPayloadRatio reports the bytes allocated per op relative to the
// payload. Allocation is an upper bound on the peak heap an operation adds.
func reportPayloadRatio(b *testing.B, before runtime.MemStats, payload int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perOp := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
	b.ReportMetric(perOp/float64(payload), "B/payload-B")
	b.ReportMetric(float64(payload), "payload-B")
}

// BenchmarkInfer infers the shape of a 10,000-item response.
func BenchmarkInfer(b *testing.B) {
	body := symbolList(10000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Infer(body); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPayloadRatio(b, before, len(body))
}

// BenchmarkDiff diffs the shape of a 10,000-item response against a baseline
// with a few differences.
func BenchmarkDiff(b *testing.B) {
	base, err := Infer(symbolList(10000))
	if err != nil {
		b.Fatal(err)
	}
	changed := strings.Replace(string(symbolList(10000)), `"symbolId":7,`, `"symbolId":"7","riskLevel":"LOW",`, 1)
	obs, err := Infer([]byte(changed))
	if err != nil {
		b.Fatal(err)
	}
	if ds := Diff(op, base, obs); len(ds) != 2 {
		b.Fatalf("want 2 differences, got %+v", ds)
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(op, base, obs)
	}
}

// BenchmarkInferAndDiff is the whole per-response cost of drift detection on
// a 10,000-item response: infer, then diff against the baseline.
func BenchmarkInferAndDiff(b *testing.B) {
	body := symbolList(10000)
	base, err := Infer(body)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		obs, err := Infer(body)
		if err != nil {
			b.Fatal(err)
		}
		Diff(op, base, obs)
	}
	b.StopTimer()
	reportPayloadRatio(b, before, len(body))
}

// BenchmarkInferVsDecode measures Infer on the simulator's real
// findCustomerInfo and 10,000-item getSymbolBaseList bodies against a bare
// encoding/json decode of the same bytes, in one run (x-bare-time).
func BenchmarkInferVsDecode(b *testing.B) {
	for _, s := range sample.Bodies(b) {
		b.Run(s.Name, func(b *testing.B) {
			sample.Compare(b, s.Body, "Infer", func() error {
				_, err := Infer(s.Body)
				return err
			})
		})
	}
}
