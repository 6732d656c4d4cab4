package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/simulator/sample"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites"
	"github.com/mmcontract/mmcontract/suites/check"
)

// responsePathEnv sets up the suite's per-response path as Run sets it up
// (one redactor, the embedded schemas, the drift checker without a
// baseline, a client logged in to the simulator) and returns the Env, the
// client operations and one real findCustomerInfo exchange.
func responsePathEnv(b testing.TB) (*suites.Env, []suites.Operation, *mmapi.Exchange) {
	red := redact.New(redact.Config{})
	set, err := schemas.Load(schemas.WithRedactor(red))
	if err != nil {
		b.Fatal(err)
	}
	target, demo, stop, err := startSimulator(set, "", Credentials{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
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
	return env, ops, ex
}

// responsePath is one response through the suite's path: the client's
// envelope decode, then suites.Env.CheckResponse (recording and redaction,
// shape inference and diff, envelope, data and invariant checks).
func responsePath(env *suites.Env, op suites.Operation, ex *mmapi.Exchange) error {
	envelope, err := mmapi.DecodeEnvelope(ex.Body)
	if err != nil {
		return err
	}
	resp := *ex
	resp.Envelope = envelope
	_, err = env.CheckResponse(op, &resp, nil)
	return err
}

// BenchmarkResponsePath measures the suite's own per-response path
// (responsePath) on the simulator's real findCustomerInfo body, against a
// bare encoding/json decode of the same bytes measured in the same run.
// x-bare-decode is the ratio (the target: ≤ 2).
func BenchmarkResponsePath(b *testing.B) {
	env, ops, ex := responsePathEnv(b)
	op := ops[0]
	body := ex.Body
	if rc, err := env.CheckResponse(op, ex, nil); err != nil || len(rc.Envelope)+len(rc.Data)+len(rc.Invariants) > 0 {
		b.Fatalf("the simulator's nominal answer does not hold: %+v %v", rc, err)
	}

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := responsePath(env, op, ex); err != nil {
			b.Fatal(err)
		}
	}
	reportBareRatio(b, body)
}

// BenchmarkContractPath is the checking part of the suite's path on the
// same findCustomerInfo body: the very functions the specs call (the
// client's envelope decode, check.Envelope, check.Data, suites.Invariants
// and the run's drift check: inference, diff and the recorded shape),
// without recording the exchange for the reports (redaction of both
// bodies and headers), which BenchmarkResponsePath includes.
// x-bare-decode is the ratio to a bare encoding/json decode in the same run
// (the target: ≤ 2).
func BenchmarkContractPath(b *testing.B) { benchContractPath(b, repeatResponse) }

// BenchmarkContractPathFirstResponse is BenchmarkContractPath for the
// first response of its operation in a run, which is every response of a
// run that calls the operation once (a monitor's tick): the operation's
// Tracker is new, so the shape is inferred, formatted and diffed from
// scratch, through the skeleton of the operation's data schema. (The
// schema's drift walker and skeleton stay, as they are once per operation
// and run, like the checker's compiled schema: BenchmarkContractPathFirstUse
// times them too.)
func BenchmarkContractPathFirstResponse(b *testing.B) { benchContractPath(b, firstResponse) }

// BenchmarkContractPathFirstUse is BenchmarkContractPathFirstResponse with
// the drift check's Schema of the operation (its walker and skeleton) made
// again for every response: what drift costs an operation's first response
// in a fresh process, all of it, beside a bare decode. (The schema is
// decoded once, by the checker's compile, which drift reads from: that
// compile, also once per process, is BenchmarkLoad's and TestCompileAll's.)
func BenchmarkContractPathFirstUse(b *testing.B) { benchContractPath(b, firstUse) }

type contractPathCase int

const (
	repeatResponse contractPathCase = iota
	firstResponse
	firstUse
)

func benchContractPath(b *testing.B, c contractPathCase) {
	env, ops, ex := responsePathEnv(b)
	op, body := ops[0], ex.Body
	d := env.Drift.(*driftCheck)
	if err := contractPath(env, op, body, ex.Trace); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		switch c {
		case firstResponse:
			d.forgetResponses()
		case firstUse:
			d.forgetOperations()
		}
		if err := contractPath(env, op, body, ex.Trace); err != nil {
			b.Fatal(err)
		}
	}
	reportBareRatio(b, body)
}

// contractPath is the checks of one response as the specs make them, and
// an error if the simulator's nominal body breaks any.
func contractPath(env *suites.Env, op suites.Operation, body []byte, trace string) error {
	envelope, err := mmapi.DecodeEnvelope(body)
	if err != nil {
		return err
	}
	ev, err := check.Envelope(env.Schemas, op.Family, op.BizType, body)
	if err != nil {
		return err
	}
	dv, err := check.Data(env.Schemas, op.Family, op.BizType, ev, envelope.OK, envelope.Data)
	if err != nil {
		return err
	}
	iv := suites.Invariants(body, trace)
	_, drift, err := env.Drift.Check(op.Family, op.BizType, body)
	if err != nil {
		return err
	}
	if n := len(ev) + len(dv) + len(iv) + len(drift); n > 0 {
		return fmt.Errorf("the simulator's nominal answer has %d findings", n)
	}
	return nil
}

// BenchmarkResponsePathSymbolList10k is the same path (response-path), and
// the checks alone (contract-path, as BenchmarkContractPath), for the
// simulator's 10,000-item getSymbolBaseList body (7 MB): sample.Compare
// reports each one's time and bytes allocated relative to a bare
// encoding/json decode in the same run (the targets: ≤ 1.5× the
// time, ≤ 1× the memory).
func BenchmarkResponsePathSymbolList10k(b *testing.B) {
	env, ops, ex := responsePathEnv(b)
	var op suites.Operation
	for _, o := range ops {
		if o.BizType == sample.GetSymbolBaseList {
			op = o
		}
	}
	if op.BizType == "" {
		b.Fatalf("no client operation %s", sample.GetSymbolBaseList)
	}
	body, err := sample.SymbolBaseListBody(10000)
	if err != nil {
		b.Fatal(err)
	}
	envelope, err := mmapi.DecodeEnvelope(body)
	if err != nil {
		b.Fatal(err)
	}
	// The sample was served to another request: its trace is the one sent.
	list := *ex
	list.Body, list.Envelope, list.Trace = body, envelope, envelope.Trace
	if rc, err := env.CheckResponse(op, &list, nil); err != nil || len(rc.Envelope)+len(rc.Data)+len(rc.Invariants) > 0 {
		b.Fatalf("the simulator's 10,000-item list does not hold: %+v %v", rc, err)
	}
	sample.Compare(b, body, "response-path", func() error { return responsePath(env, op, &list) })
	sample.Compare(b, body, "contract-path", func() error { return contractPath(env, op, body, envelope.Trace) })
}

// reportBareRatio stops b's timer and reports its time per op relative to a
// bare encoding/json decode of body, run as many times right after it
// (testing.Benchmark cannot nest inside a running benchmark), as
// x-bare-decode, beside the bare decode's own time and the body's size.
func reportBareRatio(b *testing.B, body []byte) {
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
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
