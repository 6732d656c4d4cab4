package schemas_test

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/simulator"
)

// The benchmarks time the compiled checker, gojsonschema (the reference,
// the path before the checker) and a bare encoding/json decode of the same
// bytes into an any, in one run, and report the ratios with ReportMetric so
// the figures need no arithmetic. Bytes allocated per operation stand in for
// peak memory: none of the three keeps anything after it returns.

// cost is one path's time and bytes allocated per call.
type cost struct{ ns, bytes float64 }

// measure runs f n times, best of three rounds (the machine is shared).
func measure(n int, f func()) cost {
	best := cost{ns: -1}
	for range 3 {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		for range n {
			f()
		}
		el := time.Since(start)
		runtime.ReadMemStats(&m1)
		c := cost{float64(el.Nanoseconds()) / float64(n), float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)}
		if best.ns < 0 || c.ns < best.ns {
			best = c
		}
	}
	return best
}

// compare runs after the benchmark's own loop over compiled: it measures
// the three paths side by side for about the same wall time each and
// reports compiled and gojsonschema relative to the bare decode.
func compare(b *testing.B, doc []byte, compiled, reference func()) {
	b.StopTimer()
	per := b.Elapsed() / time.Duration(max(b.N, 1))
	n := max(1, int(300*time.Millisecond/max(per, time.Nanosecond)))
	bare := measure(n, func() {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
	})
	c := measure(n, compiled)
	r := measure(max(1, n/8), reference)
	b.ReportMetric(c.ns/bare.ns, "compiled/bare-time")
	b.ReportMetric(c.bytes/bare.bytes, "compiled/bare-bytes")
	b.ReportMetric(r.ns/bare.ns, "gojsonschema/bare-time")
	b.ReportMetric(r.bytes/bare.bytes, "gojsonschema/bare-bytes")
}

func noViolations(b *testing.B) func([]contract.Violation, error) {
	return func(vs []contract.Violation, err error) {
		if err != nil || len(vs) > 0 {
			b.Fatal(err, vs)
		}
	}
}

// dataOf returns the envelope's data member.
func dataOf(b *testing.B, body []byte) []byte {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Data) == 0 {
		b.Fatalf("no data in %.200s: %v", body, err)
	}
	return env.Data
}

// BenchmarkValidateFindCustomerInfo validates the simulator's real
// findCustomerInfo body (about 2.9 KB): envelope and data.
func BenchmarkValidateFindCustomerInfo(b *testing.B) {
	set := mustLoad(b)
	const biz = "customer.app.CustomerWebApiService.findCustomerInfo"
	op, _ := set.Operation("client", biz)
	body := newSimClient(b, simulator.Options{}).call(op)
	data := dataOf(b, body)
	ok := noViolations(b)
	compiled := func() {
		ok(set.ValidateEnvelope(body))
		ok(set.ValidateData("client", biz, data))
	}
	reference := func() {
		ok(set.ReferenceEnvelope(body))
		ok(set.ReferenceData("client", biz, data))
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		compiled()
	}
	compare(b, body, compiled, reference)
}

// BenchmarkValidateSymbolBaseList10k validates the data of the simulator's
// getSymbolBaseList with 10,000 symbols (about 3.5 MB).
func BenchmarkValidateSymbolBaseList10k(b *testing.B) {
	set := mustLoad(b)
	const biz = "config.app.AppSymbolDubboService.getSymbolBaseList"
	op, _ := set.Operation("client", biz)
	data := dataOf(b, newSimClient(b, simulator.Options{SymbolCount: 10000}).call(op))
	ok := noViolations(b)
	compiled := func() { ok(set.ValidateData("client", biz, data)) }
	reference := func() { ok(set.ReferenceData("client", biz, data)) }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		compiled()
	}
	compare(b, data, compiled, reference)
}

// BenchmarkLoad measures Load, which reads the catalogs and compiles
// nothing, against the eager gojsonschema compile of every schema that Load
// did before (reported as lazy/eager-time), and the compiled checker's own
// compile of the whole tree (compile-all-ms, what TestCompileAll pays).
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustLoad(b)
	}
	b.StopTimer()
	lazy := b.Elapsed().Seconds() / float64(b.N)
	eager := measure(1, func() {
		if err := mustLoad(b).CompileReferences(); err != nil {
			b.Fatal(err)
		}
	})
	all := measure(1, func() {
		if err := mustLoad(b).CompileAll(); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(lazy*1e9/eager.ns, "lazy/eager-time")
	b.ReportMetric(all.ns/1e6, "compile-all-ms")
	b.ReportMetric(eager.bytes/1e6, "eager-MB")
}
