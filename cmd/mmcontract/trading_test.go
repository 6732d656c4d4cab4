package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// tradeFilter selects the trading lifecycles and nothing else.
const tradeFilter = "trade && mutating"

// tradeChecks are the trading lifecycle checks of a run.
func tradeChecks(res results.Results) []results.Check {
	var out []results.Check
	for _, c := range res.Checks {
		if strings.HasPrefix(c.Spec, "trading lifecycles ") {
			out = append(out, c)
		}
	}
	return out
}

// Ensure every trading lifecycle runs on the simulator through the real
// command and passes: the market lifecycles of the full-margin and isolated
// families, the isolated limit order, the spot buy, the stop-loss, and the
// leftover check; each names its last step, and JUnit carries them all.
func TestTradeLifecycles(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out, "--label-filter", tradeFilter, "--flake-attempts", "1")
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s, want 0 and pass\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
	wantLast := map[string]string{
		"full-margin: a market order opens a position that closes with profit minus fees":       "queryAccountById: balance moved",
		"isolated: a market order opens a position that closes with profit minus fees":          "queryAccountById: balance moved",
		"isolated: a limit order rests, is amended and is cancelled":                            "queryOrderPage: order cancelled",
		"spot: a market buy executes, books its fee and is sold back":                           "addOrder: sell back",
		"full-margin: a stop-loss set on a position closes it when the quote crosses":           "queryPositionPage: stop-loss closed the position",
		"stock: a market buy is held, a limit sell rests and is cancelled, the holding is sold": "queryAccountById: balance moved",
		"leaves no position or resting order of its own open":                                   "queryPositionPage: nothing left open",
	}
	checks := tradeChecks(res)
	if len(checks) != len(wantLast) {
		t.Fatalf("%d trading checks, want %d: %+v", len(checks), len(wantLast), checks)
	}
	for _, c := range checks {
		name := strings.TrimPrefix(c.Spec, "trading lifecycles ")
		if c.Verdict != verdict.Pass || c.Step != wantLast[name] {
			t.Errorf("%s: verdict %s step %q, want pass at %q (%s)", name, c.Verdict, c.Step, wantLast[name], c.Message)
		}
		for _, l := range []string{"mutating", "trade"} {
			if !contains(c.Labels, l) {
				t.Errorf("%s: labels %v lack %s", name, c.Labels, l)
			}
		}
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name      string    `xml:"name,attr"`
				Failure   *struct{} `xml:"failure"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	cases := 0
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "trading lifecycles ") {
				cases++
				if !strings.Contains(c.SystemOut, "step: ") {
					t.Errorf("junit testcase %q: system-out names no step:\n%s", c.Name, c.SystemOut)
				}
			}
		}
	}
	if cases != len(wantLast) {
		t.Errorf("junit.xml has %d trading testcases, want %d", cases, len(wantLast))
	}
	checkHTMLStory(t, filepath.Join(out, "report.html"), checks)
}

// checkHTMLStory parses report.html and checks that every lifecycle is
// shown as one story: its steps in order, each with its request and
// response.
func checkHTMLStory(t *testing.T, path string, checks []results.Check) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	stories := map[string][]string{} // check DOM id -> step names
	exchanges := map[string]int{}
	var walk func(n *html.Node, id string)
	walk = func(n *html.Node, id string) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "tbody" && hasClass(n, "check"):
				id = attr(n, "id")
			case n.Data == "strong" && hasClass(n, "step-name") && n.FirstChild != nil:
				stories[id] = append(stories[id], n.FirstChild.Data)
			case n.Data == "details" && hasClass(n, "step-exchange"):
				exchanges[id]++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, id)
		}
	}
	walk(doc, "")
	market := 0
	for _, steps := range stories {
		if contains(steps, "addMarketOrder: close") {
			market++
			want := []string{"getSymbolBaseList: pick a symbol", "getSymbolDetail: smallest volume", "queryAccountById: balance before",
				"calculateMarketOrder: quote", "addMarketOrder: open", "queryPositionPage: position listed",
				"queryCapitalFlowList: fee booked", "addMarketOrder: close", "queryPositionPage: position gone", "queryAccountById: balance moved"}
			if strings.Join(steps, "|") != strings.Join(want, "|") {
				t.Errorf("market lifecycle story %q, want %q", steps, want)
			}
		}
	}
	if market != 2 {
		t.Errorf("%d market lifecycle stories in report.html, want 2 (full-margin, isolated): %v", market, stories)
	}
	for id, steps := range stories {
		if exchanges[id] != len(steps) {
			t.Errorf("story %s: %d steps but %d with request and response", id, len(steps), exchanges[id])
		}
	}
	if len(stories) < len(checks)-1 { // the leftover check calls nothing of its own
		t.Errorf("%d stories for %d lifecycle checks", len(stories), len(checks))
	}
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// attr is the value of n's attribute key, "" when absent (the HTML tests share it).
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Ensure each trade- scenario ends broken with exit 1, naming in
// results.json the step that failed and the pointer that broke.
func TestTradeScenarios(t *testing.T) {
	n := 0
	for _, sc := range simulator.Scenarios() {
		if sc.Kind != simulator.KindTrade {
			continue
		}
		n++
		sc := sc
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			r, res := runSim(t, t.TempDir(), "--scenario", sc.Name, "--label-filter", tradeFilter, "--flake-attempts", "1")
			if res.Verdict != sc.ExpectedVerdict || r.code != verdict.ExitBroken {
				t.Fatalf("verdict %s exit %d, want %s and %d\n%s", res.Verdict, r.code, sc.ExpectedVerdict, verdict.ExitBroken, r.stdout)
			}
			found := false
			for _, c := range tradeChecks(res) {
				for _, v := range c.Violations {
					found = found || c.Step == sc.Step && v.Pointer == sc.Pointer && c.Verdict == verdict.Broken
				}
			}
			if !found {
				t.Errorf("no broken trading check names step %q and pointer %s: %+v", sc.Step, sc.Pointer, tradeChecks(res))
			}
		})
	}
	if n < 5 {
		t.Fatalf("%d trade scenarios, want the five the issue names", n)
	}
}

// Ensure a close that leaves the position open is reported loudly, as its
// own broken check, even though the suite's cleanup tried to close it.
func TestTradeLeftoverReported(t *testing.T) {
	r, res := runSim(t, t.TempDir(), "--scenario", "trade-close-ignored", "--label-filter", tradeFilter, "--flake-attempts", "1")
	for _, c := range tradeChecks(res) {
		if strings.HasSuffix(c.Spec, "leaves no position or resting order of its own open") {
			if c.Verdict != verdict.Broken || !strings.Contains(c.Message, "LEFT OPEN") || len(c.Violations) < 2 {
				t.Errorf("leftover check %s %q %v, want broken naming both positions", c.Verdict, c.Message, c.Violations)
			}
			if !strings.Contains(r.stdout, "LEFT OPEN on the target") {
				t.Errorf("the summary does not shout the leftover:\n%s", r.stdout)
			}
			return
		}
	}
	t.Fatal("no leftover check in the run")
}

// Ensure mutating specs refuse a target that is not the embedded simulator
// without --allow-mutations, refuse --allow-mutations without
// --max-order-notional (exit 2), refuse a non-demo account even with both,
// and trade on a demo account with both. The targets are `mmcontract sim`
// processes, pointed at as if real.
func TestTradeSafety(t *testing.T) {
	creds := []string{"MM_COMPANY_ID=" + simulator.DefaultCompanyID, "MM_LOGIN_NAME=" + simulator.DefaultUser().LoginName,
		"MM_LOGIN_PASSWORD=" + simulator.DefaultUser().Password}
	real := startSim(t)
	demo := startSim(t, "--demo")
	run := func(t *testing.T, base string, args ...string) (runResult, results.Results) {
		out := t.TempDir()
		r := mmcontract(t, append([]string{"MM_BASE_URL=" + base}, creds...),
			append([]string{"run", "--out", out, "--label-filter", tradeFilter, "--flake-attempts", "1"}, args...)...)
		if r.code == verdict.ExitUsage {
			return r, results.Results{}
		}
		return r, readResults(t, out)
	}
	allSkipped := func(t *testing.T, res results.Results, reason string) {
		t.Helper()
		checks := tradeChecks(res)
		if len(checks) == 0 {
			t.Fatal("no trading checks in the run")
		}
		for _, c := range checks {
			if c.Verdict != verdict.Skipped || !strings.Contains(c.Message, reason) {
				t.Errorf("%s: %s %q, want skipped naming %q", c.Spec, c.Verdict, c.Message, reason)
			}
		}
	}
	t.Run("without --allow-mutations", func(t *testing.T) {
		r, res := run(t, real.base)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		allSkipped(t, res, "--allow-mutations was not given")
	})
	t.Run("without --max-order-notional", func(t *testing.T) {
		r, _ := run(t, real.base, "--allow-mutations")
		if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "--max-order-notional") {
			t.Fatalf("exit %d, want 2 naming --max-order-notional\n%s", r.code, r.stderr)
		}
	})
	t.Run("non-demo account", func(t *testing.T) {
		r, res := run(t, real.base, "--allow-mutations", "--max-order-notional", "1000")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		allSkipped(t, res, "not a demo account")
	})
	t.Run("demo account", func(t *testing.T) {
		r, res := run(t, demo.base, "--allow-mutations", "--max-order-notional", "1000")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		ran := 0
		for _, c := range tradeChecks(res) {
			switch {
			case c.Verdict == verdict.Pass:
				ran++
			case (strings.Contains(c.Spec, "stop-loss") || strings.Contains(c.Spec, "stock:")) && c.Verdict == verdict.Skipped:
				// Waiting for a real market to cross a stop has no bound;
				// a stock market buy has no quote to check the cap with.
			default:
				t.Errorf("%s: %s %q", c.Spec, c.Verdict, c.Message)
			}
		}
		if ran < 4 {
			t.Errorf("%d lifecycles ran on the demo account, want at least 4", ran)
		}
	})
	t.Run("order above the cap", func(t *testing.T) {
		// The full-margin symbol is BTC/USDT: 0.01 lots are about 650 USDT.
		r, res := run(t, demo.base, "--allow-mutations", "--max-order-notional", "100")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		for _, c := range tradeChecks(res) {
			if strings.HasPrefix(c.Spec, "trading lifecycles full-margin: a market") &&
				(c.Verdict != verdict.Skipped || !strings.Contains(c.Message, "above --max-order-notional 100")) {
				t.Errorf("%s: %s %q, want skipped above the cap", c.Spec, c.Verdict, c.Message)
			}
		}
	})
}

// Ensure baseline accept learns the shape of every lifecycle step's
// operation, so a later run against that baseline compares each step with
// its own operation's baseline and passes without drift.
func TestTradeBaselineRoundTrip(t *testing.T) {
	first := t.TempDir()
	if r, _ := runSim(t, first, "--label-filter", tradeFilter, "--flake-attempts", "1"); r.code != 0 {
		t.Fatalf("first run exit %d\n%s", r.code, r.stdout)
	}
	base := filepath.Join(t.TempDir(), "baselines")
	if r := mmcontract(t, nil, "baseline", "accept", "--from", first, "--baseline", base); r.code != 0 {
		t.Fatalf("baseline accept exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, op := range []string{"tradeapi.app.CfdMMOrderApiService.addMarketOrder", "tradeapi.app.OrderApiService.updatePboOrder",
		"tradeapi.app.CfdMMOrderApiService.calculateMarketOrder", "tradeapi.app.SpotOrderApiService.queryCapitalFlowList",
		"customer.app.CustomerWebApiService.queryAccountById", "tradeapi.app.CfdMMOrderApiService.updateOrder"} {
		if _, err := os.Stat(filepath.Join(base, "client", op+".json")); err != nil {
			t.Errorf("no baseline for lifecycle step operation %s: %v", op, err)
		}
	}
	r, res := runSim(t, t.TempDir(), "--label-filter", tradeFilter, "--flake-attempts", "1", "--baseline", base)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("run against the accepted baseline: exit %d verdict %s\n%s%s", r.code, res.Verdict, r.stdout, r.stderr)
	}
}
