package html

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// chromiumPath finds Debian's chromium (or another Chrome on PATH).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where the browser test leaves its screenshots, PDF and
// pages for a person to look at: $MMCONTRACT_ARTIFACTS when set (CI uploads
// it), else a temporary directory.
func artifactsDir(t *testing.T) string {
	if dir := os.Getenv("MMCONTRACT_ARTIFACTS"); dir != "" {
		dir = filepath.Join(dir, "reports-html")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("artifacts dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// browserEvents records what the page did that the test must judge:
// console errors, exceptions and every network request.
type browserEvents struct {
	mu       sync.Mutex
	errors   []string
	warnings []string
	requests []string
}

func (b *browserEvents) handle(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		msg := fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			b.errors = append(b.errors, msg)
		case runtime.ConsoleAPICalledTypeWarning:
			b.warnings = append(b.warnings, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.errors = append(b.errors, "exception: "+msg)
	case *log.EventEntryAdded:
		msg := fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		switch ev.Entry.Level {
		case log.EntryLevelError:
			b.errors = append(b.errors, msg)
		case log.EntryLevelWarning:
			b.warnings = append(b.warnings, msg)
		}
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	}
}

func (b *browserEvents) snapshot() (errs, warns, reqs []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...), append([]string(nil), b.warnings...), append([]string(nil), b.requests...)
}

// startBrowser starts a fresh headless chromium for one test, bounded by a
// 60 s deadline, and returns a tab context and its event recorder.
func startBrowser(t *testing.T) (context.Context, *browserEvents) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode: each starts Chromium")
	}
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium binary on PATH (Debian: apt-get install chromium)")
	}
	profile := t.TempDir() // created before the cleanups below, so removed after chromium exits
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	ev := &browserEvents{}
	tctx, tcancel := chromedp.NewContext(actx, chromedp.WithListener(ev.handle))
	t.Cleanup(tcancel)
	// Network and Log events are only sent once their domains are enabled;
	// the securitypolicyviolation hook catches anything the CSP blocks.
	if _, err := chromedp.Call(tctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	if _, err := chromedp.Call(tctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("log.enable: %v", err)
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`,
	}); err != nil {
		t.Fatalf("add init script: %v", err)
	}
	return tctx, ev
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

const visibleRows = `document.querySelectorAll("tbody.check:not([hidden])").length`

// pwn are payloads that would set window.__pwned if any of them ran.
const (
	pwnScript = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`
	pwnIsland = `</script><script>window.__pwned=3</script>`
)

// hostileRun is the small fixture plus a check whose vendor-controlled
// strings all try to execute script.
func hostileSpecs() []spec {
	s := spec{
		containers: []string{"client", "customer.app.CustomerWebApiService.hostile"},
		leaf:       "renders vendor text as text " + pwnScript,
		check: results.Check{Operation: "customer.app.CustomerWebApiService.hostile", Family: "client",
			Labels: []string{"customer", "readonly", "hostile" + pwnScript}, Verdict: verdict.Broken, LatencyMS: 77, HTTPStatus: 200,
			EnvelopeCode: "ERR" + pwnScript, Message: "vendor said " + pwnScript,
			Violations: []contract.Violation{{Pointer: "/data/" + pwnScript, Keyword: "type", Expected: "string", Seen: pwnScript, Message: pwnScript}},
			Drift:      []contract.Drift{{Pointer: "/data/" + pwnScript, Change: "added", Severity: "breaking", Baseline: "absent", Observed: pwnScript}}},
		obs: &contract.Observation{Operation: "customer.app.CustomerWebApiService.hostile", Family: "client", HTTPStatus: 200,
			EnvelopeCode: "ERR", EnvelopeMsg: pwnScript,
			Exchange: exchange(true, `{"q":"`+strings.ReplaceAll(pwnScript, `"`, `\"`)+`"}`, `{"code":"ERR","msg":"`+strings.ReplaceAll(pwnScript, `"`, `\"`)+`","ok":false,"fail":true}`, 200)},
	}
	return []spec{s}
}

// Ensure the report works in real headless Chromium from file://: no
// console errors, no network, filters and search work from mouse and
// keyboard, hostile vendor text does not execute, print shows the details.
func TestBrowser(t *testing.T) {
	ctx, ev := startBrowser(t)
	art := artifactsDir(t)

	// The small report with a hostile check in it.
	hostileSpecs := hostileSpecs()
	small, _ := smallRunSpecs()
	res, reps := fixture(t, "https://sim.invalid"+pwnIsland, append(small, hostileSpecs...))
	path := filepath.Join(art, "report.html")
	if err := WriteFile(path, res, reps, Options{History: smallHistory(), Version: "v0.4.0"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path),
		void(chromedp.Poll[bool](`document.documentElement.dataset.ready === "1"`, chromedp.WithPollingTimeout(20*time.Second)))); err != nil {
		errs, _, _ := ev.snapshot()
		t.Fatalf("load report: %v; console errors: %q", err, errs)
	}

	total := len(res.Checks)
	if got := eval[int](t, ctx, visibleRows); got != total {
		t.Fatalf("visible rows at load = %d, want %d", got, total)
	}
	if eval[bool](t, ctx, `document.getElementById("filters").hidden`) {
		t.Error("the filter form stays hidden although the script ran")
	}

	t.Run("verdict filter hides non-matching rows", func(t *testing.T) {
		do(t, ctx, "untick pass", chromedp.Click(chromedp.CSS(`input[name=verdict][value=pass]`)))
		if n := eval[int](t, ctx, `document.querySelectorAll('tbody.check[data-verdict="pass"]:not([hidden])').length`); n != 0 {
			t.Errorf("%d pass rows still visible after unticking pass", n)
		}
		if got, want := eval[int](t, ctx, visibleRows), total-1; got != want {
			t.Errorf("visible rows = %d, want %d", got, want)
		}
		// Keyboard: focus a checkbox and press space.
		do(t, ctx, "untick broken by keyboard", chromedp.Focus(chromedp.CSS(`input[name=verdict][value=broken]`)),
			chromedp.KeyEvent(" "))
		if n := eval[int](t, ctx, `document.querySelectorAll('tbody.check[data-verdict="broken"]:not([hidden])').length`); n != 0 {
			t.Errorf("%d broken rows still visible after unticking broken with the keyboard", n)
		}
		if got := eval[string](t, ctx, `document.getElementById("shown").textContent`); got != fmt.Sprintf("%d of %d checks shown", total-3, total) {
			t.Errorf("counter = %q", got)
		}
		do(t, ctx, "reset", chromedp.Click(chromedp.CSS(`button[type=reset]`)),
			void(chromedp.Poll[bool](visibleRows+` === `+fmt.Sprint(total))))
	})

	t.Run("label filter", func(t *testing.T) {
		got := eval[[]string](t, ctx, `(function(){
			var s = document.getElementById("f-label"); s.focus(); s.value = "smoke";
			s.dispatchEvent(new Event("change", {bubbles: true}));
			return Array.prototype.map.call(document.querySelectorAll("tbody.check:not([hidden])"), function (r) { return r.dataset.labels; });
		})()`)
		if len(got) != 2 {
			t.Errorf("rows labelled smoke = %v, want 2", got)
		}
		for _, l := range got {
			if !strings.Contains(","+l+",", ",smoke,") {
				t.Errorf("row with labels %q shown for label smoke", l)
			}
		}
		do(t, ctx, "reset", chromedp.Click(chromedp.CSS(`button[type=reset]`)),
			void(chromedp.Poll[bool](visibleRows+` === `+fmt.Sprint(total))))
	})

	t.Run("text search", func(t *testing.T) {
		do(t, ctx, "type a search", chromedp.SendKeys(chromedp.CSS(`#f-q`), "GETSYMBOL"))
		got := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("tbody.check:not([hidden]) td.op"), function (td) { return td.textContent; })`)
		if len(got) != 1 || !strings.Contains(got[0], "getSymbolDetail") {
			t.Errorf("search GETSYMBOL shows %v, want the getSymbolDetail check only", got)
		}
		do(t, ctx, "search for nothing", chromedp.SendKeys(chromedp.CSS(`#f-q`), "-no-such-check"))
		if eval[bool](t, ctx, `document.getElementById("none").hidden`) {
			t.Error("no 'nothing matches' notice when the search matches nothing")
		}
		do(t, ctx, "reset", chromedp.Click(chromedp.CSS(`button[type=reset]`)),
			void(chromedp.Poll[bool](visibleRows+` === `+fmt.Sprint(total))))
	})

	t.Run("details open from the keyboard", func(t *testing.T) {
		sel := `tbody[data-verdict="broken"] details > summary`
		do(t, ctx, "open details", chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent("\r"))
		if !eval[bool](t, ctx, `document.querySelector('tbody[data-verdict="broken"] details').open`) {
			t.Error("Enter on a summary did not open the details")
		}
		do(t, ctx, "copy curl", chromedp.Click(chromedp.CSS(`tbody[data-verdict="broken"] button.copy`)))
	})

	t.Run("hostile vendor text does not execute", func(t *testing.T) {
		do(t, ctx, "open every details", void(chromedp.Evaluate[bool](`Array.prototype.every.call(document.querySelectorAll("details"), function (d) { d.open = true; return true; })`)))
		do(t, ctx, "let any injected handler fire", chromedp.Sleep(300*time.Millisecond))
		if got := eval[string](t, ctx, `typeof window.__pwned`); got != "undefined" {
			t.Errorf("window.__pwned is %s: vendor text executed", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script:not(#mm-app)").length`); n != 0 {
			t.Errorf("%d img/script elements were created from vendor text", n)
		}
		if got := eval[string](t, ctx, `document.querySelector('tbody[id] .vmsg') ? Array.prototype.map.call(document.querySelectorAll(".vmsg"), function (e) { return e.textContent; }).join("|") : ""`); !strings.Contains(got, pwnScript) {
			t.Errorf("the hostile msg is not shown as text; vendor msgs: %q", got)
		}
		if got := eval[string](t, ctx, `JSON.parse(document.getElementById("mm-meta").textContent).target`); got != res.Target {
			t.Errorf("JSON island target = %q, want %q", got, res.Target)
		}
	})

	t.Run("a link to a check opens it", func(t *testing.T) {
		id := eval[string](t, ctx, `document.querySelector('tbody[data-verdict="unavailable"]').id`)
		do(t, ctx, "follow link", chromedp.Navigate("file://"+path+"#"+id),
			void(chromedp.Poll[bool](`document.documentElement.dataset.ready === "1"`)))
		if !eval[bool](t, ctx, `document.getElementById(`+strconv.Quote(id)+`).querySelector("details").open`) {
			t.Errorf("report.html#%s did not open that check", id)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		// A fresh load (the query keeps it a file:// URL), with the worst
		// check opened, is what a person sees first.
		do(t, ctx, "reload", chromedp.Navigate("file://"+path+"?screenshot"),
			void(chromedp.Poll[bool](`document.documentElement.dataset.ready === "1"`)),
			void(chromedp.Evaluate[bool](`(document.querySelector('tbody[data-verdict="broken"] details').open = true)`)),
			// Let layout settle so the full-page size includes the opened details.
			void(chromedp.Poll[bool](`new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(function () { r(true); }); }); })`)),
			chromedp.Sleep(200*time.Millisecond))
		// What a person sees first: the viewport.
		first, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(art, "report-viewport.png"), first, 0o644); err != nil {
			t.Fatal(err)
		}
		// The full page. A full-page capture resizes the viewport, and
		// Chromium then leaves content-visibility:auto chunks unpainted in
		// the capture (a capture artefact: scrolling paints them), so the
		// capture asks for them to be painted through the CSSOM, which the
		// page's CSP allows.
		do(t, ctx, "paint every chunk", void(chromedp.Evaluate[bool](`(document.querySelectorAll(".chunk").forEach(function (c) { c.style.contentVisibility = "visible"; }), true)`)))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if len(png) < 1000 || string(png[1:4]) != "PNG" {
			t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
		}
		if err := os.WriteFile(filepath.Join(art, "report.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", filepath.Join(art, "report.png"))
	})

	t.Run("print shows every detail", func(t *testing.T) {
		do(t, ctx, "close details", void(chromedp.Evaluate[bool](`(function(){ document.querySelectorAll("details").forEach(function (d) { d.open = false; }); return true; })()`)))
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatal(err)
		}
		hidden := eval[int](t, ctx, `Array.prototype.filter.call(document.querySelectorAll(".detail-body"), function (b) { return b.getBoundingClientRect().height === 0; }).length`)
		if hidden != 0 {
			t.Errorf("%d detail sections stay collapsed in print media", hidden)
		}
		if eval[bool](t, ctx, `getComputedStyle(document.getElementById("filters")).display !== "none"`) {
			t.Error("the filter form is printed")
		}
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(art, "report.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
	})

	assertClean(t, ctx, ev)
}

// assertClean fails the test on any console error, exception, CSP violation
// or non-file:// request the page produced.
func assertClean(t *testing.T, ctx context.Context, ev *browserEvents) {
	t.Helper()
	errs, warns, reqs := ev.snapshot()
	for _, w := range warns {
		t.Logf("browser warning: %s", w)
	}
	for _, e := range errs {
		t.Errorf("browser console error: %s", e)
	}
	if v := eval[[]string](t, ctx, `window.__csp || []`); len(v) != 0 {
		t.Errorf("Content-Security-Policy violations: %v", v)
	}
	if len(reqs) == 0 {
		t.Error("no network event seen at all: the recorder is not working")
	}
	for _, u := range reqs {
		if !strings.HasPrefix(u, "file://") {
			t.Errorf("the report made a network request: %s", u)
		}
	}
}

// Ensure a 5,000-check report loads and filters in Chromium, and log how
// long it takes to become interactive (logged, never asserted: timings on a
// shared machine are not a test).
func TestBrowserLargeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("large browser test skipped in -short mode")
	}
	ctx, ev := startBrowser(t)
	art := artifactsDir(t)
	res, reps := largeRun(t, 5000)
	big := filepath.Join(art, "report-5000.html")
	if err := WriteFile(big, res, reps, Options{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(big)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	do(t, ctx, "load large report", chromedp.Navigate("file://"+big),
		void(chromedp.Poll[bool](`document.documentElement.dataset.ready === "1"`, chromedp.WithPollingTimeout(45*time.Second))))
	wall := time.Since(start)
	timing := eval[map[string]float64](t, ctx, `(function(){ var n = performance.getEntriesByType("navigation")[0];
		var p = performance.getEntriesByName("first-contentful-paint")[0];
		return {response: n.responseEnd, parsed: n.domInteractive, interactive: window.mmInteractiveAt, ready: window.mmReadyAt, loaded: n.loadEventEnd, fcp: p ? p.startTime : -1}; })()`)
	filter := eval[float64](t, ctx, `(function(){ var t0 = performance.now(); var b = document.querySelector("input[name=verdict][value=pass]");
		b.click(); var t1 = performance.now(); b.click(); return t1 - t0; })()`)
	if got := eval[int](t, ctx, visibleRows); got != 5000 {
		t.Errorf("visible rows after toggling a verdict off and on = %d, want 5000", got)
	}
	t.Logf("5,000 checks, %d bytes: filters live %.0f ms, first contentful paint %.0f ms, DOM parsed %.0f ms, all rows filterable %.0f ms, "+
		"load event %.0f ms after navigation start (wall %v incl. CDP round trips); verdict filter over all rows %.1f ms",
		fi.Size(), timing["interactive"], timing["fcp"], timing["parsed"], timing["ready"], timing["loaded"], wall.Round(time.Millisecond), filter)
	assertClean(t, ctx, ev)
}

// void drops an action's value so it can run in a chromedp.Do sequence.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
