// Package html renders the single self-contained HTML report that on-call
// engineers and release managers open first, usually from a CI artifact or an
// alert link and often offline.
//
// The report is a pure function of results.json (results.Results) and Ginkgo's
// own report (ginkgo.json, a []types.Report): it keeps no results model of its
// own. Everything the page needs (CSS, JS, icons) is inlined, so it makes no
// network request of any kind and works from file://. Rows are rendered on the
// server side; the small script only toggles the hidden attribute, so the page
// stays interactive with thousands of checks.
//
// Every vendor-controlled string goes through html/template's contextual
// escaping; the only data the script reads is a JSON island, which
// html/template JSON-encodes with '<' escaped, so "</script>" cannot end it.
package html

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/mmcontract/mmcontract/internal/atomicfile"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// Bodies modes for Options.Bodies (the --html-bodies flag).
const (
	// BodiesFailing keeps request and response bodies only for checks whose
	// verdict is not pass. It is the default: it keeps a 5,000-check report
	// small while still showing everything needed to act on a failure.
	BodiesFailing = "failing"
	// BodiesAll keeps the exchange of every check, passing ones included.
	BodiesAll = "all"
)

// Options tune a rendering. The zero value is valid.
type Options struct {
	// Bodies is BodiesFailing (default when empty) or BodiesAll.
	Bodies string
	// History is optional trend data from the monitor's history store, one
	// entry per operation. When present the report draws a trend strip of the
	// last runs per operation.
	History []RunSummary
	// Version and Commit identify the mmcontract binary that renders the
	// report. They fill in for the ones recorded in results.json when those
	// are empty, and are shown as "rendered by" when they differ (for example
	// `mmcontract report` re-rendering an old run with a newer binary).
	Version, Commit string
	// Redactor, when set, gets a final pass over every header, body, URL and
	// free-text message before it reaches the page. Observations are already
	// redacted when they are recorded; this is a second choke point for data
	// that was recorded by an older or misconfigured run.
	Redactor *redact.Redactor
	// Index, when set, is the run's results.Index of the reports given, so
	// a run that writes several reports decodes its observations once;
	// without it Render indexes the reports itself.
	Index *results.Index
}

// RunSummary is the recent history of one operation, as the monitor's history
// store keeps it. It is deliberately minimal: an operation name and, per past
// run, when it ran, its verdict and its latency.
type RunSummary struct {
	// Operation is the bizType, matching results.Check.Operation.
	Operation string `json:"operation"`
	// Runs are the last N runs of the operation, oldest first. The report
	// draws at most MaxTrendRuns of them (the newest).
	Runs []RunPoint `json:"runs"`
}

// RunPoint is one past run of one operation.
type RunPoint struct {
	// At is when the run started; zero when unknown.
	At time.Time `json:"at"`
	// Verdict is the operation's verdict in that run (the worst of its checks).
	Verdict verdict.Verdict `json:"verdict"`
	// LatencyMS is the operation's latency in that run (the store decides
	// which figure, e.g. the slowest check); bar heights are relative to the
	// slowest run shown.
	LatencyMS int64 `json:"latency_ms"`
}

// MaxTrendRuns is the number of past runs a trend strip shows.
const MaxTrendRuns = 30

//go:embed templates
var assets embed.FS

// The stylesheet and the script are inlined verbatim as trusted content
// (they are our own embedded files, never data). html/template would
// otherwise rewrite them (it strips comments in script and style
// elements), and the CSP hashes below must match the exact bytes served.
var (
	styleCSS = template.CSS(mustAsset("style.css"))
	appJS    = template.JS(mustAsset("app.js"))
)

// csp is the page's Content-Security-Policy. It is defence in depth behind
// html/template's escaping: nothing may be fetched from anywhere, and only
// the exact embedded script and stylesheet may run, by hash, so neither an
// injected <script> nor an inline event handler would execute even if some
// string escaped the escaper.
var csp = "default-src 'none'; script-src " + sha256Source(string(appJS)) + "; style-src " + sha256Source(string(styleCSS)) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

func mustAsset(name string) string {
	b, err := assets.ReadFile("templates/" + name)
	if err != nil {
		panic(fmt.Sprintf("html report: embedded %s: %v", name, err)) // cannot happen: embedded at build time
	}
	return string(b)
}

func sha256Source(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var funcs = template.FuncMap{
	"vendor":   vendorText,
	"csp":      func() string { return csp },
	"styleCSS": func() template.CSS { return styleCSS },
	"appJS":    func() template.JS { return appJS },
}

// vendorText renders a string the vendor controls in its own bidi isolate,
// with every bidi control shown as "<U+202E>": a right-to-left override in a
// field name or a msg can then neither reorder the rest of the row nor hide
// itself.
func vendorText(s string) template.HTML {
	return template.HTML("<bdi>" + template.HTMLEscapeString(redact.VisibleBidi(s)) + "</bdi>")
}

// reportTemplate is the one parsed template set. It is parsed once, at package
// initialisation, from files embedded in the binary: a parse error is a
// programming error caught by every test of this package, never bad input.
var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(funcs).ParseFS(assets, "templates/*.tmpl"))

// Render writes the report for res and the Ginkgo reports (as loaded from
// ginkgo.json) to w. It is a pure function of its arguments: the same input
// renders byte-identical output. A bad Options.Bodies is reported before
// anything is written; observations that cannot be decoded are shown as a
// note on their check rather than failing the whole report.
func Render(w io.Writer, res results.Results, reports []types.Report, opts Options) error {
	switch opts.Bodies {
	case "":
		opts.Bodies = BodiesFailing
	case BodiesFailing, BodiesAll:
	default:
		return fmt.Errorf("html report: bodies mode %q: want %q or %q", opts.Bodies, BodiesFailing, BodiesAll)
	}
	view := build(res, reports, opts)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := reportTemplate.Execute(bw, view); err != nil {
		return fmt.Errorf("html report: render: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("html report: write: %w", err)
	}
	return nil
}

// WriteFile renders the report and replaces path with it atomically
// (internal/atomicfile), so a reader (a CI artifact upload, a browser
// reloading the page) never sees a half-written report, and a failed render
// leaves the previous report in place.
func WriteFile(path string, res results.Results, reports []types.Report, opts Options) error {
	var buf bytes.Buffer
	if err := Render(&buf, res, reports, opts); err != nil {
		return err
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}
