package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/junit/junittest"
)

// quoteSpecs are the quote socket's specs of the default suite, by the
// start of their text after the container's.
var quoteSpecs = []string{
	"answers a heartbeat (14008 → 14009)",
	"accepts the client token on /apiQuote/quote",
	"acknowledges a tick subscription (14000 → 14001)",
	"pushes ticks p(…) that parse",
	"numbers each symbol's pushes without a gap",
	"keeps the accepted shape of the 14001 answer",
	"keeps the accepted shape of the tick pushes",
	"replaces the subscription on a new subscribe",
	"acknowledges a depth subscription (14010 → 14011)",
	"acknowledges a cancel (14006 → 14007)",
	"answers a K-line query (14012 → 14013)",
	"is never sent more than 100 symbols",
	"refuses a malformed request frame with ret 201",
}

// Ensure every quote spec passes against the simulator through the real
// binary, the slow one is not among them, and results.json, junit.xml and
// report.html carry the checks as their consumers read them.
func TestQuoteSpecs(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", "websocket && quote")
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	seen := map[string]bool{}
	for _, c := range res.Checks {
		if c.Family != "quote" || c.HTTPStatus != 101 || c.Verdict != verdict.Pass {
			t.Errorf("%s: family %q, status %d, verdict %s", c.Spec, c.Family, c.HTTPStatus, c.Verdict)
		}
		if strings.Contains(c.Spec, "survives 35 s") {
			t.Errorf("the slow spec ran in the default suite: %s", c.Spec)
		}
		if !containsAll(c.Labels, "websocket", "quote") || c.Operation == "" {
			t.Errorf("%s: labels %v, operation %q", c.Spec, c.Labels, c.Operation)
		}
		if c.LatencyMS < 0 {
			t.Errorf("%s: latency %d", c.Spec, c.LatencyMS)
		}
		for _, s := range quoteSpecs {
			if strings.Contains(c.Spec, s) {
				seen[s] = true
			}
		}
	}
	for _, s := range quoteSpecs {
		if !seen[s] {
			t.Errorf("no check %q in results.json", s)
		}
	}
	junit := filepath.Join(out, "junit.xml")
	junittest.Validate(t, junit)
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, s := range junittest.Parse(t, raw).Suites {
		for _, c := range s.Cases {
			if !strings.HasPrefix(c.Classname, "quote.") {
				t.Errorf("testcase %q has classname %q", c.Name, c.Classname)
			}
			cases++
		}
	}
	if cases != len(res.Checks) {
		t.Errorf("junit.xml has %d testcases, results.json %d checks", cases, len(res.Checks))
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !bytes.Contains(html, []byte("answers a heartbeat")) {
		t.Errorf("report.html lacks the quote checks (%v)", err)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Ensure the slow spec holds a connection for 35 s of heartbeats and sees
// the simulator close it after 30 s of silence.
func TestQuoteSlowSpec(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", "websocket && slow")
	if r.code != 0 || res.Verdict != verdict.Pass || len(res.Checks) != 1 {
		t.Fatalf("exit %d verdict %s, %d checks\n%s%s", r.code, res.Verdict, len(res.Checks), r.stdout, r.stderr)
	}
	if took := res.Duration(); took < 60*time.Second {
		t.Errorf("the slow spec took %s: it cannot have waited 35 s and then 30 s", took)
	}
}

// Ensure every quote websocket scenario ends with its documented verdict
// and exit code within a bound, each failing check with a one-line reason,
// and results.json names the frame's pointer; the bad frames (not JSON, over
// the cap, a compression bomb), a silent server and one that never completes
// the handshake are among them.
func TestQuoteScenarios(t *testing.T) {
	ran := 0
	for _, sc := range simulator.Scenarios() {
		if sc.Kind != simulator.KindWebsocket || !strings.Contains(sc.Label, "quote") {
			continue
		}
		ran++
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", sc.Name, "--label-filter", sc.Label, "--timeout", "2s", "--retries", "0", "--flake-attempts", "1")
			if res.Verdict != sc.ExpectedVerdict {
				t.Fatalf("verdict %s, want %s\n%s", res.Verdict, sc.ExpectedVerdict, r.stdout)
			}
			want := map[verdict.Verdict]int{verdict.Drifted: 0, verdict.Broken: verdict.ExitBroken, verdict.Unavailable: verdict.ExitUnavailable}[sc.ExpectedVerdict]
			if r.code != want || strings.Contains(r.stderr, "panic") {
				t.Errorf("exit %d, want %d\n%s", r.code, want, r.stderr)
			}
			if took := res.Duration(); took > 90*time.Second {
				t.Errorf("the run took %s", took)
			}
			found := sc.Pointer == ""
			for _, c := range res.Checks {
				if c.Verdict == verdict.Broken || c.Verdict == verdict.Unavailable {
					if c.Message == "" || strings.Contains(c.Message, "\n") {
						t.Errorf("check %q has no one-line reason: %q", c.Spec, c.Message)
					}
				}
				for _, v := range c.Violations {
					found = found || v.Pointer == sc.Pointer
				}
				for _, d := range c.Drift {
					found = found || d.Pointer == sc.Pointer
				}
			}
			if !found {
				t.Errorf("no violation or drift names %s", sc.Pointer)
			}
			// A frame-level failure points at the whole frame: the
			// violation's keyword says which, and an outage's reason names
			// the handshake.
			if want, ok := frameKeyword[sc.Name]; ok {
				hit := false
				for _, c := range res.Checks {
					for _, v := range c.Violations {
						hit = hit || v.Pointer == "" && v.Keyword == want
					}
					hit = hit || want == "handshake" && c.Verdict == verdict.Unavailable && strings.Contains(c.Message, "handshake")
				}
				if !hit {
					t.Errorf("no check reports %s at the frame's root", want)
				}
			}
		})
	}
	if ran < 12 {
		t.Errorf("ran %d quote scenarios, want at least 12", ran)
	}
}

// frameKeyword is the violation keyword of each scenario whose failure is
// the whole frame's (or, for the stalled handshake, the reason's word).
var frameKeyword = map[string]string{
	"ws-server-closes": "closed_by_server", "ws-non-json": "json", "ws-over-cap": "frame_too_large",
	"ws-bad-deflate": "inflate_failed", "ws-compression-bomb": "compression_bomb", "ws-handshake-stall": "handshake",
}

// Ensure a sequence gap is drift of kind sequence_gap with its severity,
// carried by results.json like any drift.
func TestQuoteSequenceGapDrift(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	_, res := runSim(t, out, "--scenario", "ws-sequence-gap", "--label-filter", "websocket && push", "--flake-attempts", "1")
	for _, c := range res.Checks {
		for _, d := range c.Drift {
			if d.Change == contract.SequenceGap {
				if d.Severity != verdict.Warning || d.Fingerprint == "" || c.Verdict != verdict.Drifted {
					t.Errorf("sequence gap %+v on a %s check", d, c.Verdict)
				}
				return
			}
		}
	}
	t.Fatalf("no sequence_gap drift in results.json: %+v", res.Checks)
}

// Ensure bad websocket settings exit 2 naming the problem.
func TestQuoteUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"run", "--ws-max-frame", "0"}, "--ws-max-frame"},
		{[]string{"MM_QUOTE_SYMBOLS=EURUSD"}, []string{"run"}, "MM_QUOTE_SYMBOLS"},
	} {
		r := mmcontract(t, tc.env, append(tc.args, "--out", t.TempDir())...)
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want 2 naming %s", tc.env, tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// Ensure no canary PII or the session token, planted by the simulator in
// quote frames (an answer's msg quotes the customer, its ext is the token),
// reaches any output of a websocket run: results.json, junit.xml,
// ginkgo.json, report.html with every body, or the console.
func TestQuoteCanaryNoLeak(t *testing.T) {
	secretDir := t.TempDir()
	usersFile := filepath.Join(secretDir, "users.json")
	raw, err := json.Marshal([]simUser{canaryUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(usersFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var console []string
	tokens := map[string]string{}
	for _, sc := range []string{"nominal", "ws-pii"} {
		sim := startSim(t, "--users", usersFile, "--scenario", sc)
		tok := loginToken(t, sim.base, canaryUser)
		tokens["token "+sc] = tok
		out := filepath.Join(work, sc)
		r := mmcontract(t, []string{"MM_BASE_URL=" + sim.base, "MM_COMPANY_ID=" + simulator.DefaultCompanyID, "MM_TOKEN=" + tok,
			"MM_QUOTE_SYMBOLS=1001:5:1,1002:5:1"},
			"run", "--out", out, "--label-filter", "websocket", "--timeout", "3s", "--flake-attempts", "1", "-v")
		console = append(console, r.stdout, r.stderr, sim.stdout.String(), sim.stderr.String())
		res := readResults(t, out)
		if want := map[string]verdict.Verdict{"nominal": verdict.Pass, "ws-pii": verdict.Broken}[sc]; res.Verdict != want {
			t.Fatalf("%s: verdict %s, want %s\n%s", sc, res.Verdict, want, r.stdout)
		}
		if r := mmcontract(t, nil, "report", "--from", out, "--html-bodies", "all"); r.code != 0 {
			t.Fatalf("report: exit %d\n%s", r.code, r.stderr)
		}
	}
	all := canaries(canaryUser, tokens)
	check := func(where string, b []byte) {
		lower := bytes.ToLower(b)
		for name, v := range all {
			for _, f := range canaryForms(v) {
				hay := b
				if f.fold {
					hay = lower
				}
				if bytes.Contains(hay, []byte(f.text)) {
					t.Errorf("%s leaks the canary %s (%s)", where, name, f.form)
				}
			}
		}
	}
	files := 0
	err = filepath.WalkDir(work, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(work, path)
		check(rel, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 8 {
		t.Errorf("only %d files written", files)
	}
	for i, c := range console {
		check("console stream "+string(rune('0'+i)), []byte(c))
	}
}

// Ensure validate checks a captured quote frame as a run does: a JSON answer
// against frame.json and its kind's data schema, a text push parsed first.
func TestValidateQuoteFrame(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, operation, frame string
		code                   int
		want                   string
	}{
		{"ack", "subscribe_tick", `{"ret":200,"msg":"success","cmd_id":14001,"seq_id":1,"ext":"","data":{"tick_list":[{"symbol_id":1001,"trade_type":5,"trade_mode":1,"seq":1,"tick_time":1700000000,"price_digits":2,"price":1.25}]}}`,
			verdict.ExitBroken, "/data/tick_list/0/price"},
		{"push", "push_p", "p(1001,5,1,7,1700000000,1.2345,1.2344,1.2346,10,12);", 0, "contract holds"},
		{"garbage", "push_p", "<html>", verdict.ExitBroken, "frame_syntax"},
	} {
		file := filepath.Join(dir, tc.name)
		if err := os.WriteFile(file, []byte(tc.frame), 0o600); err != nil {
			t.Fatal(err)
		}
		r := mmcontract(t, nil, "validate", "--family", "quote", "--operation", tc.operation, file)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%s: exit %d, want %d naming %q\n%s%s", tc.name, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}

// Ensure quote frames take the same path as responses through baselines:
// a nominal run's frame shapes are accepted as quote/<kind>.json, and a
// later run diffs against them (a new tick field is info drift, a price
// turned number breaking type_changed drift).
func TestQuoteBaselineDrift(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	baselines := filepath.Join(dir, "baselines")
	if r, res := runSim(t, filepath.Join(dir, "nominal"), "--label-filter", "websocket && quote"); r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("nominal: exit %d verdict %s\n%s", r.code, res.Verdict, r.stdout)
	}
	if r := mmcontract(t, nil, "baseline", "accept", "--from", filepath.Join(dir, "nominal"), "--baseline", baselines); r.code != 0 {
		t.Fatalf("baseline accept: exit %d\n%s", r.code, r.stderr)
	}
	for _, kind := range []string{"subscribe_tick", "push_p"} {
		if _, err := os.Stat(filepath.Join(baselines, "quote", kind+".json")); err != nil {
			t.Errorf("no baseline of %s: %v", kind, err)
		}
	}
	for _, tc := range []struct {
		scenario, pointer string
		change            contract.Change
		severity          verdict.Severity
	}{
		{"ws-new-field", "/data/tick_list/*/price_change", contract.Added, verdict.Info},
		{"ws-price-number", "/data/tick_list/*/price", contract.TypeChanged, verdict.Breaking},
	} {
		_, res := runSim(t, filepath.Join(dir, tc.scenario), "--label-filter", "websocket && quote", "--baseline", baselines,
			"--scenario", tc.scenario, "--flake-attempts", "1")
		found := false
		for _, c := range res.Checks {
			for _, d := range c.Drift {
				found = found || d.Pointer == tc.pointer && d.Change == tc.change && d.Severity == tc.severity
			}
		}
		if !found {
			t.Errorf("%s: no %s %s drift at %s against the baseline", tc.scenario, tc.severity, tc.change, tc.pointer)
		}
	}
}
