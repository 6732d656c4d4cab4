package runner

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites"
)

// BenchmarkResponsePath measures the suite's own per-response path on the
// simulator's real findCustomerInfo body, set up as Run sets it up (one
// redactor, the embedded schemas, the drift checker without a baseline):
// the client's envelope decode, then suites.Env.CheckResponse (recording
// and redaction, shape inference and diff, envelope, data and invariant
// checks), against a bare encoding/json decode of the same bytes measured
// in the same run. x-bare-decode is the ratio (the target: ≤ 2).
func BenchmarkResponsePath(b *testing.B) {
	red := redact.New(redact.Config{})
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		b.Fatal(err)
	}
	target, demo, stop, err := startSimulator(set, "", Credentials{})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	creds := Credentials{CompanyID: simulator.DefaultCompanyID}
	if err := useDemoCredentials(&creds, demo, red); err != nil {
		b.Fatal(err)
	}
	u := simulator.DefaultUser()
	creds.LoginName, creds.LoginPassword = u.LoginName, u.Password
	fam, err := buildFamilies(target, creds, Options{Timeout: 5 * time.Second}, 1<<20, red, mmapi.NewBreaker(0, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	drift, err := newDriftChecker(set, "")
	if err != nil {
		b.Fatal(err)
	}
	env := &suites.Env{Client: fam.client, Schemas: set, Redactor: red, Drift: drift, Simulator: true}
	ops, err := suites.ClientOperations(set)
	if err != nil {
		b.Fatal(err)
	}
	op := ops[0] // findCustomerInfo
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := fam.client.CallWith(ctx, mmapi.Operation{Family: mmapi.Family(op.Family), BizType: op.BizType, Version: op.Version,
		Group: op.Group, Path: op.Path}, map[string]any{}, mmapi.CallOptions{})
	if err != nil {
		b.Fatalf("calling %s: %v", op.BizType, err)
	}
	body := ex.Body
	if rc, err := env.CheckResponse(op, ex, nil); err != nil || len(rc.Envelope)+len(rc.Data)+len(rc.Invariants) > 0 {
		b.Fatalf("the simulator's nominal answer does not hold: %+v %v", rc, err)
	}

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		envelope, err := mmapi.DecodeEnvelope(body)
		if err != nil {
			b.Fatal(err)
		}
		resp := *ex
		resp.Envelope = envelope
		if _, err := env.CheckResponse(op, &resp, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	// The bare decode, as many times, in the same run (testing.Benchmark
	// cannot nest inside a running benchmark).
	start := time.Now()
	for range b.N {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
	bare := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(bare, "bare-decode-ns")
	b.ReportMetric(perOp/bare, "x-bare-decode")
	b.ReportMetric(float64(len(body)), "body-bytes")
}

// BenchmarkWriteOutputs measures writing a default-suite run's four report
// files (ginkgo.json, results.json, junit.xml, report.html), from the
// report of one real in-process run on the simulator, read back from its
// ginkgo.json; the sizes are reported beside the time.
func BenchmarkWriteOutputs(b *testing.B) {
	first := b.TempDir()
	if _, err := Run(context.Background(), Options{OutDir: first, Timeout: 15 * time.Second, Retries: 2, FlakeAttempts: 2},
		io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(first, "ginkgo.json"))
	if err != nil {
		b.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil {
		b.Fatal(err)
	}
	red := redact.New(redact.Config{})
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ix := results.NewIndex(reports)
		res := results.BuildIndexed(reports[0], ix, results.Meta{Target: "simulator", TargetKind: results.TargetSimulator})
		if err := writeOutputs(dir, reports[0], ix, res, red); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	total := 0.0
	for _, name := range []string{"ginkgo.json", "results.json", "junit.xml", "report.html"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		total += float64(fi.Size())
	}
	b.ReportMetric(float64(len(reports[0].SpecReports)), "specs")
	b.ReportMetric(total/1024, "output-KB")
}
