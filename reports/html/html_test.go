package html

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func render(t testing.TB, res results.Results, reps []types.Report, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, res, reps, opts); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.String()
}

var (
	styleRe  = regexp.MustCompile(`(?s)<style>.*?</style>`)
	scriptRe = regexp.MustCompile(`(?s)<script( id="mm-app")?>.*?</script>`)
	cspRe    = regexp.MustCompile(`sha256-(?:[A-Za-z0-9+/=]|&#43;)+`) // html/template writes + as &#43;
)

// skeleton elides the inlined stylesheet and script (and their hashes in the
// CSP), so the golden file pins the markup rather than every CSS tweak.
func skeleton(s string) string {
	s = styleRe.ReplaceAllString(s, "<style>/* style.css */</style>")
	s = scriptRe.ReplaceAllString(s, "<script$1>/* app.js */</script>")
	return cspRe.ReplaceAllString(s, "sha256-…")
}

// Ensure the HTML skeleton of a small fixed run stays as reviewed; run with
// -update to accept a deliberate change.
func TestGoldenSkeleton(t *testing.T) {
	res, reps := smallRun(t)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"skeleton.golden.html", Options{Version: "v0.4.0", Commit: "0123456789abcdef0123", History: smallHistory()}},
		{"skeleton-bodies-all.golden.html", Options{Bodies: BodiesAll}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := skeleton(render(t, res, reps, tc.opts))
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("rendered skeleton differs from %s; run go test ./reports/html -run TestGoldenSkeleton -update and review the diff\n%s",
					path, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n- " + w + "\n+ " + g
		}
	}
	return ""
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// Ensure rendering is deterministic (map order must not leak into the page).
func TestRenderDeterministic(t *testing.T) {
	res, reps := smallRun(t)
	opts := Options{History: smallHistory(), Bodies: BodiesAll}
	first := render(t, res, reps, opts)
	for range 5 {
		if again := render(t, res, reps, opts); again != first {
			t.Fatalf("two renderings of the same input differ:\n%s", firstDiff(first, again))
		}
	}
}

// Ensure an in-process report (observations not yet serialised by Ginkgo)
// renders exactly like the same report loaded from ginkgo.json.
func TestRenderInProcessReport(t *testing.T) {
	res, loaded := smallRun(t)
	inProcess := make([]types.Report, len(loaded))
	copy(inProcess, loaded)
	inProcess[0].SpecReports = append([]types.SpecReport(nil), loaded[0].SpecReports...)
	for i, sr := range inProcess[0].SpecReports {
		if len(sr.ReportEntries) == 0 {
			continue
		}
		var o contract.Observation
		if err := json.Unmarshal([]byte(sr.ReportEntries[0].Value.AsJSON), &o); err != nil {
			t.Fatal(err)
		}
		entries := append(types.ReportEntries(nil), sr.ReportEntries...)
		entries[0].Value = types.WrapEntryValue(o)
		inProcess[0].SpecReports[i].ReportEntries = entries
	}
	if a, b := render(t, res, loaded, Options{}), render(t, res, inProcess, Options{}); a != b {
		t.Fatalf("in-process and loaded reports render differently:\n%s", firstDiff(a, b))
	}
}

const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>`

// Ensure every vendor-controlled string is escaped: a hostile msg, violation
// message, field names and values render as text, and a "</script>" cannot
// break out of the JSON island.
func TestEscaping(t *testing.T) {
	obs := &contract.Observation{
		Operation: "customer.app.X.find", Family: "client", HTTPStatus: 200, EnvelopeCode: hostile, EnvelopeMsg: hostile,
		Exchange: &contract.Exchange{Method: "POST", URL: "https://sim.invalid/api?q=" + hostile,
			RequestHeaders: map[string][]string{"X-Evil" + hostile: {hostile}}, RequestBody: `{"k":"` + strings.ReplaceAll(hostile, `"`, `\"`) + `"}`,
			ResponseStatus: 200, ResponseHeaders: map[string][]string{"Content-Type": {hostile}}, ResponseBody: hostile},
	}
	specs := []spec{{
		containers: []string{"client", hostile}, leaf: "spec " + hostile,
		check: results.Check{Operation: "op" + hostile, Family: hostile, Labels: []string{hostile, "readonly"}, Verdict: verdict.Broken,
			Message: hostile, Location: hostile,
			Violations: []contract.Violation{{Pointer: "/data/" + hostile, Keyword: hostile, Expected: hostile, Seen: hostile, Message: hostile}},
			Drift:      []contract.Drift{{Pointer: "/data/" + hostile, Change: hostile, Severity: hostile, Baseline: hostile, Observed: hostile}}},
		obs: obs, state: types.SpecStateFailed,
		failure: types.Failure{Message: hostile},
	}}
	breakout := `</script><script>window.__pwned=1</script>`
	res, reps := fixture(t, breakout, specs)
	out := render(t, res, reps, Options{History: []RunSummary{{Operation: hostile, Runs: []RunPoint{{Verdict: verdict.Pass, LatencyMS: 1}}}}})

	for _, raw := range []string{"<script>alert", "<img", "<script>window", "\"onerror"} {
		if strings.Contains(out, raw) {
			i := strings.Index(out, raw)
			t.Errorf("raw %q in output: …%s…", raw, out[max(0, i-120):min(len(out), i+80)])
		}
	}
	if n := strings.Count(out, "<script"); n != 2 {
		t.Errorf("want exactly 2 <script> elements (JSON island and app), got %d", n)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;") {
		t.Error("the hostile message does not appear as escaped text")
	}

	// The JSON island must parse back to exactly the hostile target.
	const open = `<script type="application/json" id="mm-meta">`
	i := strings.Index(out, open)
	if i < 0 {
		t.Fatal("no JSON island")
	}
	island := out[i+len(open):]
	island = island[:strings.Index(island, "</script>")]
	var m meta
	if err := json.Unmarshal([]byte(island), &m); err != nil {
		t.Fatalf("JSON island does not parse: %v\n%s", err, island)
	}
	if m.Target != breakout {
		t.Errorf("island target = %q, want %q", m.Target, breakout)
	}
}

// Ensure bodies are left out for passing checks unless asked for, and kept
// for every failing one.
func TestBodiesMode(t *testing.T) {
	res, reps := smallRun(t)
	passBody := `&#34;data&#34;: 3`
	failing := render(t, res, reps, Options{})
	all := render(t, res, reps, Options{Bodies: BodiesAll})
	if strings.Contains(failing, passBody) {
		t.Error("default mode includes the body of a passing check")
	}
	if !strings.Contains(all, passBody) {
		t.Error("bodies=all lacks the body of a passing check")
	}
	for _, out := range []string{failing, all} {
		if !strings.Contains(out, "503 Service Unavailable") {
			t.Error("the body of a failing check is missing")
		}
	}
	if err := Render(&bytes.Buffer{}, res, reps, Options{Bodies: "some"}); err == nil {
		t.Error("an unknown bodies mode was accepted")
	}
}

// Ensure the header carries verdict, counts, target, times and version, and
// that checks are ordered worst first and joined to their spec reports.
func TestHeaderAndJoin(t *testing.T) {
	res, reps := smallRun(t)
	out := render(t, res, reps, Options{Version: "v0.5.0", Commit: "fedcba9876543210"})
	for _, want := range []string{
		`<span class="badge big v-broken">broken</span>`,
		`<span class="target">https://sim.invalid</span>`,
		`<time datetime="2026-03-14T09:26:53Z">2026-03-14 09:26:53 UTC</time>`,
		`<dd>1m23s</dd>`,
		`v0.4.0 <code>0123456789ab</code>`,
		`(rendered by v0.5.0 fedcba987654)`,
		`<code>/src/mmcontract/suites/client/customer_test.go:57</code>`, // the Ginkgo failure location wins
		`<dt>Vendor msg</dt><dd class="vmsg"><bdi>Success</bdi></dd>`,    // vendor text is bidi-isolated
		`<dt>Attempts</dt><dd>3</dd>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	order := regexp.MustCompile(`data-verdict="([a-z]+)"`).FindAllStringSubmatch(out, -1)
	var got []string
	for _, m := range order {
		got = append(got, m[1])
	}
	if want := "broken unavailable flaky drifted pass skipped"; strings.Join(got, " ") != want {
		t.Errorf("row order = %v, want %s", got, want)
	}
}

// Ensure the final redaction pass reaches headers, bodies and free text.
func TestFinalRedaction(t *testing.T) {
	res, reps := smallRun(t)
	r := redact.New(redact.DefaultConfig())
	r.Learn("mmc-7f3a2c", "XAUUSD")
	out := render(t, res, reps, Options{Redactor: r, Bodies: BodiesAll})
	for _, leak := range []string{"mmc-7f3a2c", "XAUUSD"} {
		if strings.Contains(out, leak) {
			t.Errorf("learned secret %q reached the page", leak)
		}
	}
}

// Ensure the per-operation latency summary uses nearest-rank percentiles
// and ignores skipped checks.
func TestOperations(t *testing.T) {
	var checks []results.Check
	for i := 1; i <= 20; i++ {
		checks = append(checks, results.Check{Operation: "a", Verdict: verdict.Pass, LatencyMS: int64(i * 10)})
	}
	checks = append(checks,
		results.Check{Operation: "b", Verdict: verdict.Pass, LatencyMS: 5},
		results.Check{Operation: "b", Verdict: verdict.Skipped, LatencyMS: 9999},
		results.Check{Operation: "c", Verdict: verdict.Skipped})
	ops, trends := operations(checks, []RunSummary{{Operation: "d", Runs: []RunPoint{{Verdict: verdict.Broken, LatencyMS: 10}}}})
	if !trends {
		t.Error("history given but no trends")
	}
	type row struct{ op, p50, p95, max string }
	var got []row
	for _, o := range ops {
		got = append(got, row{o.Operation, o.P50, o.P95, o.Max})
	}
	want := []row{{"a", "100 ms", "190 ms", "200 ms"}, {"b", "5 ms", "5 ms", "5 ms"}, {"d", "", "", ""}}
	if len(got) != len(want) {
		t.Fatalf("operations = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("operations[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// Ensure the trend strip keeps the newest MaxTrendRuns runs and describes
// itself in text for screen readers.
func TestTrendStrip(t *testing.T) {
	var runs []RunPoint
	for i := range MaxTrendRuns + 5 {
		v := verdict.Pass
		if i == MaxTrendRuns+4 {
			v = verdict.Broken
		}
		runs = append(runs, RunPoint{Verdict: v, LatencyMS: int64(i)})
	}
	tr := trendStrip(runs)
	if len(tr.Bars) != MaxTrendRuns {
		t.Fatalf("bars = %d, want %d", len(tr.Bars), MaxTrendRuns)
	}
	if want := "last 30 runs: 1 broken, 29 pass; latest broken"; tr.Label != want {
		t.Errorf("label = %q, want %q", tr.Label, want)
	}
	if last := tr.Bars[len(tr.Bars)-1]; last.H != stripH || last.Y != 0 {
		t.Errorf("slowest run bar = %+v, want full height", last)
	}
}

// Ensure the curl command replaces secrets with $MM_* variables, keeps the
// rest verbatim and quotes safely for a POSIX shell.
func TestCurlCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		headers  []header
		body     string
		want     string
		wantVars []string
	}{
		{
			name:    "token header, plain body",
			headers: []header{{"companyId", "439"}, {"Content-Length", "2"}, {"token", "‹redacted›"}},
			body:    `{"lang":"en-US"}`,
			want: "curl -sS -X POST https://h/api \\\n  -H 'companyId: 439' \\\n  -H 'token: '\"$MM_TOKEN\" \\\n" +
				`  --data-raw '{"lang":"en-US"}'`,
			wantVars: []string{"MM_TOKEN"},
		},
		{
			name:    "open API signature headers and secret body fields",
			headers: []header{{"apiKey", "x"}, {"signature", "y"}},
			body:    `{"z":1,"loginPwd":"‹m›","nested":{"password":12,"privateKey":{"a":[1]}},"it's":"<ok>"}`,
			want: "curl -sS -X POST https://h/api \\\n  -H 'apiKey: '\"$MM_API_KEY\" \\\n  -H 'signature: '\"$MM_SIGNATURE\" \\\n" +
				`  --data-raw '{"z":1,"loginPwd":"'"$MM_LOGIN_PWD"'","nested":{"password":'"$MM_PASSWORD"',"privateKey":'"$MM_PRIVATE_KEY"'},"it'\''s":"<ok>"}'`,
			wantVars: []string{"MM_API_KEY", "MM_LOGIN_PWD", "MM_PASSWORD", "MM_PRIVATE_KEY", "MM_SIGNATURE"},
		},
		{
			name: "non-JSON body is sent as recorded",
			body: "a=1&b='2'",
			want: "curl -sS -X POST https://h/api \\\n  --data-raw 'a=1&b='\\''2'\\'''",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, vars := curlCommand("POST", "https://h/api", tc.headers, tc.body)
			if got != tc.want {
				t.Errorf("curl =\n%s\nwant\n%s", got, tc.want)
			}
			if strings.Join(vars, ",") != strings.Join(tc.wantVars, ",") {
				t.Errorf("vars = %v, want %v", vars, tc.wantVars)
			}
		})
	}
}

// Ensure variable names follow the documented MM_ + UPPER_SNAKE rule.
func TestVarName(t *testing.T) {
	for in, want := range map[string]string{"token": "MM_TOKEN", "apiKey": "MM_API_KEY", "signature": "MM_SIGNATURE",
		"rToken": "MM_R_TOKEN", "set-cookie": "MM_SET_COOKIE", "X-Mmcontract-Signature": "MM_X_MMCONTRACT_SIGNATURE", "loginPwd": "MM_LOGIN_PWD"} {
		if got := varName(in); got != want {
			t.Errorf("varName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Ensure a suite-level failure (BeforeSuite) and an unreadable observation
// are shown instead of silently dropped.
func TestProblemsAndBadObservation(t *testing.T) {
	res, reps := smallRun(t)
	reps[0].SpecReports = append(reps[0].SpecReports, types.SpecReport{
		LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "login failed: bad credentials", Location: types.CodeLocation{FileName: "suite_test.go", LineNumber: 12}},
	})
	reps[0].SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	reps[0].SpecReports[1].ReportEntries[0].Value.AsJSON = `{"operation": 12}`
	out := render(t, res, reps, Options{})
	for _, want := range []string{"Suite problems", "BeforeSuite failed", "login failed: bad credentials", "<code>suite_test.go:12</code>", "Interrupted by User",
		"The recorded observation could not be read"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// Ensure two specs with the same text are told apart: each check is joined
// to its own spec report (by check id, in results.Index), so each row shows
// its own failure and observation.
func TestTwoSpecsOneText(t *testing.T) {
	mk := func(state types.SpecState, msg, code string, line int) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "same", State: state, NumAttempts: 1,
			LeafNodeLocation: types.CodeLocation{FileName: "/s/a_test.go", LineNumber: line},
			Failure:          types.Failure{Message: msg, Location: types.CodeLocation{FileName: "/s/a_test.go", LineNumber: line}},
			ReportEntries: types.ReportEntries{{Name: contract.EntryName, Value: types.WrapEntryValue(contract.Observation{
				Operation: "op.same", Family: "client", HTTPStatus: 200, EnvelopeCode: code, EnvelopeMsg: "msg of " + code})}}}
	}
	reps := []types.Report{{SpecReports: []types.SpecReport{
		mk(types.SpecStateFailed, "first\nfailure text", "E1", 3),
		mk(types.SpecStateFailed, "second\nfailure text", "E2", 9),
	}}}
	res := results.Build(reps[0], results.Meta{})
	if len(res.Checks) != 2 || res.Checks[0].ID == res.Checks[1].ID {
		t.Fatalf("checks %+v: want two with distinct ids", res.Checks)
	}
	v := build(res, reps, Options{Bodies: BodiesFailing})
	got := map[string]string{}
	for _, c := range v.Checks {
		got[c.EnvelopeMsg] = c.Failure + "|" + c.Location
	}
	if got["msg of E1"] != "first\nfailure text|/s/a_test.go:3" || got["msg of E2"] != "second\nfailure text|/s/a_test.go:9" {
		t.Fatalf("rows joined to the wrong specs: %q", got)
	}
}

// Ensure WriteFile replaces the report atomically and leaves no temporary
// file behind, and reports an unwritable directory.
func TestWriteFile(t *testing.T) {
	res, reps := smallRun(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, res, reps, Options{}); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("report starts %q", b[:min(len(b), 40)])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only report.html", len(entries))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}
	err = WriteFile(filepath.Join(dir, "missing", "report.html"), res, reps, Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteFile into a missing dir: err = %v, want ErrNotExist", err)
	}
	err = WriteFile(path, res, reps, Options{Bodies: "bogus"})
	if err == nil {
		t.Error("WriteFile accepted a bad option")
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Error("a failed WriteFile changed the existing report")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed WriteFile left %d entries", len(entries))
	}
}

// Ensure the page never references anything outside itself.
func TestNoExternalReferences(t *testing.T) {
	res, reps := smallRun(t)
	out := render(t, res, reps, Options{History: smallHistory(), Bodies: BodiesAll})
	for _, bad := range []string{"<link", "<img", "<iframe", "@import", "url(", " src=", "http://www.w3.org/2000/svg\" xlink"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(out, "default-src &#39;none&#39;") && !strings.Contains(out, "default-src 'none'") {
		t.Error("no restrictive Content-Security-Policy")
	}
}

// Ensure an empty run (no checks, no Ginkgo report, zero times) still renders
// a complete page that says so, instead of failing or showing an empty table.
func TestEmptyRun(t *testing.T) {
	out := render(t, results.Results{}, nil, Options{})
	for _, want := range []string{`<span class="badge big v-skipped">skipped</span>`, `<p id="none" class="none">No check matches the filters.</p>`,
		`<strong>0</strong> checks`, "unknown version", "</html>"} {
		if !strings.Contains(out, want) {
			t.Errorf("empty run lacks %s", want)
		}
	}
	if strings.Contains(out, "Started") || strings.Contains(out, "Latency per operation") {
		t.Error("empty run shows a start time or a latency table it does not have")
	}
}

// Ensure a large run is split into table chunks the browser can skip, with
// every check in exactly one chunk.
func TestChunks(t *testing.T) {
	res, reps := largeRun(t, 2*chunkSize+3)
	out := render(t, res, reps, Options{})
	if n := strings.Count(out, `<div class="chunk">`); n != 3 {
		t.Errorf("chunks = %d, want 3", n)
	}
	if n := strings.Count(out, `<tbody class="check `); n != len(res.Checks) {
		t.Errorf("check rows = %d, want %d", n, len(res.Checks))
	}
	if !strings.Contains(out, "Checks 501 to 503 of 503") {
		t.Error("last chunk caption missing")
	}
}

// Ensure the header says plainly when a run checked the simulator, had a
// set-up problem or was interrupted, and says none of it otherwise.
func TestBanners(t *testing.T) {
	res, reps := smallRun(t)
	plain := render(t, res, reps, Options{})
	if strings.Contains(plain, `class="notice"`) {
		t.Error("a vendor run that completed shows a banner")
	}
	res.TargetKind = results.TargetSimulator
	res.Interrupted = true
	res.ConfigError = &verdict.ConfigError{Kind: verdict.CredentialsRejected, Message: "credentials rejected: check MM_LOGIN_NAME"}
	out := render(t, res, reps, Options{})
	for _, want := range []string{
		"<strong>Simulator run:</strong> these checks ran against the embedded simulator, not the vendor.",
		"<strong>Set-up problem:</strong> credentials rejected: check MM_LOGIN_NAME",
		"<strong>Interrupted:</strong>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

// Ensure vendor text with bidi controls is shown with the controls visible,
// in its own bidi isolate, and that no raw control reaches the page.
func TestBidiVisible(t *testing.T) {
	res, reps := smallRun(t)
	res.Checks[0].Message = "code \u202eevil\u2066 msg"
	res.Checks[0].EnvelopeCode = "0\u202e1"
	out := render(t, res, reps, Options{})
	for _, want := range []string{`<bdi>code &lt;U+202E&gt;evil&lt;U+2066&gt; msg</bdi>`, `<code><bdi>0&lt;U+202E&gt;1</bdi></code>`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if strings.ContainsAny(out, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Error("a raw bidi control reached the page")
	}
}

// Ensure a call's bodies are written once: the checks of one operation share
// its exchange (recorded once, named by id), and every row after the first
// links to the row that shows it.
func TestExchangeShownOnce(t *testing.T) {
	ex := exchange(true, `{"companyId":439}`, `{"code":"0","msg":"Success","data":{"marker":"only-once-marker"},"ok":true,"fail":false}`, 200)
	ex.ID = "client op.shared #1"
	specs := []spec{
		{containers: []string{"client", "op.shared"}, leaf: "matches the envelope schema",
			check: results.Check{Operation: "op.shared", Family: "client", Verdict: verdict.Broken, Message: "envelope broken"},
			obs:   &contract.Observation{Operation: "op.shared", Family: "client", ExchangeID: ex.ID, Exchange: ex}, state: types.SpecStateFailed},
		{containers: []string{"client", "op.shared"}, leaf: "matches the data schema",
			check: results.Check{Operation: "op.shared", Family: "client", Verdict: verdict.Broken, Message: "data broken"},
			obs:   &contract.Observation{Operation: "op.shared", Family: "client", ExchangeID: ex.ID}, state: types.SpecStateFailed},
	}
	res, reps := fixture(t, "https://sim.invalid", specs)
	for _, bodies := range []string{BodiesFailing, BodiesAll} {
		out := render(t, res, reps, Options{Bodies: bodies})
		if n := strings.Count(out, "only-once-marker"); n != 1 {
			t.Errorf("bodies=%s: the shared body is written %d times, want once", bodies, n)
		}
		if !strings.Contains(out, `the same call as <a href="#`+domID(res.Checks[0].ID, 0)+`">`) {
			t.Errorf("bodies=%s: the second check does not link to the row showing the call", bodies)
		}
	}
}
