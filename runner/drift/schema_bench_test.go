package drift

import (
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/schemas"
)

// BenchmarkDiffSchema diffs one findCustomerInfo response shape against the
// operation's real data schema (about 10 KB) the way a run without a
// baseline does, through one parsed Schema, and reports how much slower the
// former parse-per-response path is (parse-per-response/cached).
func BenchmarkDiffSchema(b *testing.B) {
	set, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	const op = "customer.app.CustomerWebApiService.findCustomerInfo"
	schema, ok := set.DataSchema("client", op)
	if !ok {
		b.Fatalf("no data schema for %s", op)
	}
	shape := shapeOf(b, `{"code":"0","ok":true,"fail":false,"data":{"customerId":1,"email":"a@b.c","nickname":null,`+
		`"accountList":[{"accountId":1,"activateStatus":1,"currency":"USD","surprise":true}],"riskLevel":"low"}}`)
	parsed, err := ParseSchema(schema)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		parsed.Diff(op, shape)
		n++
	}
	cached := time.Since(start) / time.Duration(n)
	b.StopTimer()
	const uncachedRuns = 200
	start = time.Now()
	for range uncachedRuns {
		if _, err := DiffSchema(op, schema, shape); err != nil {
			b.Fatal(err)
		}
	}
	uncached := time.Since(start) / uncachedRuns
	b.ReportMetric(float64(uncached)/float64(max(cached, 1)), "parse-per-response/cached")
	b.ReportMetric(float64(len(schema)), "schema-B")
}
