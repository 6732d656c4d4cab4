package html

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// view is everything the template shows. Building it is the only place that
// joins results.json with ginkgo.json; the template only formats.
type view struct {
	Title   string
	Verdict verdict.Verdict
	Counts  []count // verdicts that occurred, most severe first
	// FilterCounts are counted from the checks themselves, so the filter
	// always matches the rows even if results.json's counts disagree.
	FilterCounts []count
	Total        int
	Target       string
	// Simulator, Setup and Interrupted are banners: a run against the
	// embedded simulator, a set-up problem (config_error), a stopped run.
	Simulator   bool
	Setup       string
	Interrupted bool
	Started     string // human form, UTC
	StartedISO  string // for <time datetime>
	Duration    string
	Version     string
	Commit      string
	RenderedBy  string
	LabelFilter string
	Baseline    string
	// Shard is "2 of 5" for a sharded run, or "shards 1, 2 of 3 merged
	// (missing: 3)" for merged shards; empty otherwise.
	Shard  string
	Suites []string
	Bodies string
	Checks []checkView
	// Chunks split Checks into tables of chunkSize rows, so the browser can
	// skip laying out the ones off screen (content-visibility: auto): a
	// single 5,000-row table costs seconds of layout before the first paint.
	Chunks     []chunk
	Labels     []string
	Problems   []problem
	Operations []opView
	HasTrends  bool
	// MultiFamily is set when checks span API families; only then does
	// each row name its family.
	MultiFamily bool
	Meta        meta
}

// chunkSize is the number of checks per table chunk.
const chunkSize = 250

type chunk struct {
	Caption string
	Checks  []checkView
}

type count struct {
	Verdict verdict.Verdict
	N       int
}

// meta is the JSON island the page script reads. It is also a small
// machine-readable summary for anyone scraping a saved report.
type meta struct {
	Verdict   verdict.Verdict         `json:"verdict"`
	Target    string                  `json:"target"`
	StartedAt time.Time               `json:"started_at"`
	Total     int                     `json:"total"`
	Counts    map[verdict.Verdict]int `json:"counts"`
	Version   string                  `json:"mmcontract_version"`
	Commit    string                  `json:"mmcontract_commit,omitempty"`
}

type checkView struct {
	DOMID        string
	Operation    string
	Family       string
	Spec         string // as shown: without the "<family> <operation> " prefix the row already shows
	Verdict      verdict.Verdict
	Latency      string
	Labels       []string
	LabelsAttr   string
	Message      string
	HTTPStatus   int
	EnvelopeCode string
	EnvelopeMsg  string
	Location     string
	// LocationLabel names Location: where a spec failed, or where it was
	// skipped.
	LocationLabel string
	Attempts      int
	Failure       string
	Violations    []contract.Violation
	Drift         []contract.Drift
	Exchange      *exchangeView
	// exchangeID names Exchange's call; a later row of the same call shows
	// ExchangeRef, a link to the row that shows it, instead of the bodies
	// again (ExchangeRefSpec is that row's spec).
	exchangeID      string
	ExchangeRef     string
	ExchangeRefSpec string
	Note            string // e.g. an observation that could not be decoded
	Summary         string
	HasDetails      bool
}

type exchangeView struct {
	Method          string
	URL             string
	RequestHeaders  []header
	RequestBody     string
	Status          int
	ResponseHeaders []header
	ResponseBody    string
	Truncated       bool
	Curl            string
	CurlVars        []string
}

type header struct{ Name, Value string }

// problem is a failure that belongs to no check: a BeforeSuite that failed,
// an interrupted suite. Without it a run where every spec was skipped because
// setup failed would look harmless.
type problem struct {
	Suite    string
	What     string
	Message  string
	Location string
}

type opView struct {
	Operation string
	N         int
	P50       string
	P95       string
	Max       string
	p95       int64
	Trend     *trend
}

type trend struct {
	Width, Height int
	Bars          []bar
	Label         string
}

type bar struct {
	X, Y, W, H int
	Verdict    verdict.Verdict
	Title      string
}

// scrubber applies the optional final redaction pass; with no Redactor it is
// the identity.
type scrubber struct{ r *redact.Redactor }

func (s scrubber) text(v string) string {
	if s.r == nil || v == "" {
		return v
	}
	return s.r.Text(v)
}

func (s scrubber) body(v string) string {
	if s.r == nil || v == "" {
		return v
	}
	if json.Valid([]byte(v)) {
		return string(s.r.JSON([]byte(v)))
	}
	return s.r.Text(v)
}

func (s scrubber) headers(h map[string][]string) []header {
	if len(h) == 0 {
		return nil
	}
	hh := http.Header(h)
	if s.r != nil {
		hh = s.r.Header(hh)
	}
	out := make([]header, 0, len(hh))
	for name, vs := range hh {
		for _, v := range vs {
			out = append(out, header{Name: name, Value: s.text(v)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

func build(res results.Results, reports []types.Report, opts Options) view {
	sc := scrubber{opts.Redactor}
	ix := opts.Index
	if ix == nil {
		ix = results.NewIndex(reports)
	}

	v := view{
		Target:      sc.text(res.Target),
		Simulator:   res.TargetKind == results.TargetSimulator,
		Interrupted: res.Interrupted,
		Version:     res.Version,
		Commit:      res.Commit,
		LabelFilter: res.LabelFilter,
		Baseline:    res.Baseline,
		Shard:       shardText(res),
		Bodies:      opts.Bodies,
		Total:       len(res.Checks),
	}
	if res.ConfigError != nil {
		v.Setup = sc.text(res.ConfigError.Message)
	}
	if v.Version == "" {
		v.Version = opts.Version
	}
	if v.Commit == "" {
		v.Commit = opts.Commit
	}
	if (opts.Version != "" && opts.Version != v.Version) || (opts.Commit != "" && opts.Commit != v.Commit) {
		v.RenderedBy = strings.TrimSpace(opts.Version + " " + shortCommit(opts.Commit))
	}
	v.Commit = shortCommit(v.Commit)

	// Times: results.json is authoritative, Ginkgo's report fills the gaps
	// (a run that crashed before writing finished_at still has a RunTime).
	started, finished := res.StartedAt, res.FinishedAt
	var runTime time.Duration
	for _, r := range reports {
		if res.StartedAt.IsZero() && !r.StartTime.IsZero() && (started.IsZero() || r.StartTime.Before(started)) {
			started = r.StartTime
		}
		runTime += r.RunTime
		if r.SuiteDescription != "" && !slices.Contains(v.Suites, r.SuiteDescription) {
			v.Suites = append(v.Suites, r.SuiteDescription)
		}
	}
	if !started.IsZero() {
		v.Started = started.UTC().Format("2006-01-02 15:04:05 UTC")
		v.StartedISO = started.UTC().Format(time.RFC3339)
	}
	switch {
	case !started.IsZero() && !finished.IsZero() && !finished.Before(started):
		v.Duration = formatDuration(finished.Sub(started))
	case runTime > 0:
		v.Duration = formatDuration(runTime)
	}

	labels := map[string]bool{}
	families := map[string]bool{}
	counted := map[verdict.Verdict]int{}
	var worst []verdict.Verdict
	v.Checks = make([]checkView, 0, len(res.Checks))
	ids := map[string]bool{}
	shown := map[string]checkView{} // by exchange id: the row that shows it
	for i, c := range res.Checks {
		e, _ := ix.Lookup(c.ID)
		cv := buildCheck(i, c, e, ix, opts, sc)
		if ids[cv.DOMID] {
			cv.DOMID = "c-" + strconv.Itoa(i)
		}
		ids[cv.DOMID] = true
		if cv.Exchange != nil && cv.exchangeID != "" {
			// One call's bodies are written once; its other checks link there.
			if first, ok := shown[cv.exchangeID]; ok {
				cv.Exchange, cv.ExchangeRef, cv.ExchangeRefSpec = nil, first.DOMID, first.Spec
			} else {
				shown[cv.exchangeID] = cv
			}
		}
		for _, l := range c.Labels {
			labels[l] = true
		}
		if cv.Family != "" {
			families[cv.Family] = true
		}
		counted[c.Verdict]++
		worst = append(worst, c.Verdict)
		v.Checks = append(v.Checks, cv)
	}
	// Worst first: the person opening the report is looking for what broke.
	// Stable, so checks keep the suite's order within a verdict.
	slices.SortStableFunc(v.Checks, func(a, b checkView) int {
		switch {
		case a.Verdict.MoreSevere(b.Verdict):
			return -1
		case b.Verdict.MoreSevere(a.Verdict):
			return 1
		}
		return 0
	})
	v.MultiFamily = len(families) > 1
	v.Chunks = chunks(v.Checks)
	for l := range labels {
		v.Labels = append(v.Labels, l)
	}
	sort.Strings(v.Labels)

	v.Verdict = res.Verdict
	if !v.Verdict.Valid() {
		v.Verdict = verdict.Worst(worst...)
	}
	counts := res.Counts
	if len(counts) == 0 {
		counts = counted
	}
	all := verdict.All()
	for i := len(all) - 1; i >= 0; i-- {
		if n := counts[all[i]]; n > 0 {
			v.Counts = append(v.Counts, count{all[i], n})
		}
	}
	for i := len(all) - 1; i >= 0; i-- {
		if n := counted[all[i]]; n > 0 {
			v.FilterCounts = append(v.FilterCounts, count{all[i], n})
		}
	}
	v.Title = fmt.Sprintf("mmcontract: %s", v.Verdict)
	if v.Target != "" {
		v.Title += " · " + v.Target
	}
	v.Meta = meta{Verdict: v.Verdict, Target: v.Target, StartedAt: started.UTC(), Total: v.Total,
		Counts: counts, Version: v.Version, Commit: v.Commit}

	v.Problems = suiteProblems(reports, sc)
	v.Operations, v.HasTrends = operations(res.Checks, opts.History)
	return v
}

func chunks(checks []checkView) []chunk {
	n := max(1, (len(checks)+chunkSize-1)/chunkSize)
	out := make([]chunk, 0, n)
	for i := 0; i < n; i++ {
		part := checks[i*chunkSize : min(len(checks), (i+1)*chunkSize)]
		caption := "Checks, most severe verdict first"
		if n > 1 {
			caption = fmt.Sprintf("Checks %d to %d of %d, most severe verdict first", i*chunkSize+1, i*chunkSize+len(part), len(checks))
		}
		out = append(out, chunk{Caption: caption, Checks: part})
	}
	return out
}

func location(cl types.CodeLocation) string {
	if cl.FileName == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", cl.FileName, cl.LineNumber)
}

// buildCheck renders check c; e is its spec and observation (nil when
// ginkgo.json does not have it), joined by check id in ix.
func buildCheck(i int, c results.Check, e *results.Entry, ix *results.Index, opts Options, sc scrubber) checkView {
	var sr *types.SpecReport
	if e != nil {
		sr = e.Spec
	}
	cv := checkView{
		DOMID:        domID(c.ID, i),
		Operation:    c.Operation,
		Family:       c.Family,
		Spec:         shortSpec(c),
		Verdict:      c.Verdict,
		Labels:       c.Labels,
		LabelsAttr:   strings.Join(c.Labels, ","),
		Message:      sc.text(c.Message),
		HTTPStatus:   c.HTTPStatus,
		EnvelopeCode: c.EnvelopeCode,
		Location:     c.Location,
		Attempts:     c.Attempts,
		Violations:   c.Violations,
		Drift:        c.Drift,
	}
	if c.Verdict != verdict.Skipped || c.LatencyMS > 0 {
		cv.Latency = strconv.FormatInt(c.LatencyMS, 10) + " ms"
	}
	failing := c.Verdict != verdict.Pass
	// A passing check shows nothing from its observation unless bodies are
	// wanted or results.json lacks the operation; skipping the decode keeps
	// large runs fast.
	var obs *contract.Observation
	if e != nil && (failing || opts.Bodies == BodiesAll || c.Operation == "") {
		if e.Err != nil {
			cv.Note = "The recorded observation could not be read: " + e.Err.Error()
		}
		if e.Observed {
			obs = &e.Observation
		}
	}
	if sr != nil {
		if loc := location(sr.Failure.Location); loc != "" && failing {
			cv.Location = loc
		}
		if failing {
			msg := sr.Failure.Message
			if sr.Failure.ForwardedPanic != "" {
				msg = strings.TrimSpace(msg + "\npanic: " + sr.Failure.ForwardedPanic)
			}
			cv.Failure = sc.text(msg)
		}
	}
	if obs != nil {
		if cv.Operation == "" {
			cv.Operation = obs.Operation
		}
		if cv.Family == "" {
			cv.Family = obs.Family
		}
		if cv.EnvelopeCode == "" {
			cv.EnvelopeCode = obs.EnvelopeCode
		}
		if cv.HTTPStatus == 0 {
			cv.HTTPStatus = obs.HTTPStatus
		}
		if cv.Message == "" {
			cv.Message = sc.text(obs.Reason)
		}
		cv.EnvelopeMsg = sc.text(obs.EnvelopeMsg)
		if len(cv.Violations) == 0 {
			cv.Violations = obs.Violations
		}
		if len(cv.Drift) == 0 {
			cv.Drift = obs.Drift
		}
		if ex := ix.Exchange(*obs); ex != nil && (failing || opts.Bodies == BodiesAll) {
			cv.Exchange, cv.exchangeID = buildExchange(ex, sc), ex.ID
		}
	}
	if sc.r != nil {
		cv.Violations = scrubViolations(cv.Violations, sc)
	}
	if cv.Failure == cv.Message {
		cv.Failure = ""
	}

	var parts []string
	if n := len(cv.Violations); n > 0 {
		parts = append(parts, plural(n, "violation"))
	}
	if n := len(cv.Drift); n > 0 {
		parts = append(parts, plural(n, "drift change"))
	}
	if cv.Exchange != nil {
		parts = append(parts, "request & response")
	}
	skipped := c.Verdict == verdict.Skipped
	cv.LocationLabel = "Failure location"
	if skipped {
		// Ginkgo records where Skip() was called; it is not a failure.
		cv.LocationLabel = "Skipped at"
	}
	if !skipped && (cv.Failure != "" || (failing && cv.Location != "")) {
		parts = append(parts, "failure")
	}
	if cv.Attempts > 1 {
		parts = append(parts, plural(cv.Attempts, "attempt"))
	}
	cv.HasDetails = len(parts) > 0 || (failing && cv.EnvelopeMsg != "") || cv.Note != "" || (skipped && cv.Location != "")
	if len(parts) == 0 {
		parts = append(parts, "details")
	}
	cv.Summary = strings.Join(parts, " · ")
	return cv
}

// shortSpec drops the leading containers that only repeat the family and
// the operation, which the row shows in its own column: the spec column then
// says what the check is about.
func shortSpec(c results.Check) string {
	s := c.Spec
	if c.Family != "" {
		s = strings.TrimPrefix(s, c.Family+" ")
	}
	if c.Operation != "" {
		if rest, ok := strings.CutPrefix(s, c.Operation+" "); ok && rest != "" {
			return rest
		}
	}
	if s == "" {
		return c.Spec
	}
	return s
}

func scrubViolations(vs []contract.Violation, sc scrubber) []contract.Violation {
	out := make([]contract.Violation, len(vs))
	for i, v := range vs {
		v.Seen = sc.text(v.Seen)
		v.Message = sc.text(v.Message)
		out[i] = v
	}
	return out
}

func buildExchange(ex *contract.Exchange, sc scrubber) *exchangeView {
	xv := &exchangeView{
		Method:          ex.Method,
		URL:             sc.text(ex.URL),
		RequestHeaders:  sc.headers(ex.RequestHeaders),
		RequestBody:     sc.body(ex.RequestBody),
		Status:          ex.ResponseStatus,
		ResponseHeaders: sc.headers(ex.ResponseHeaders),
		ResponseBody:    sc.body(ex.ResponseBody),
		Truncated:       ex.Truncated,
	}
	if xv.Method == "" {
		xv.Method = http.MethodPost
	}
	if isWebsocket(xv.URL) {
		xv.Curl, xv.CurlVars = websocatCommand(xv.URL, xv.RequestBody)
	} else {
		xv.Curl, xv.CurlVars = curlCommand(xv.Method, xv.URL, xv.RequestHeaders, xv.RequestBody)
	}
	xv.RequestBody = pretty(xv.RequestBody)
	xv.ResponseBody = pretty(xv.ResponseBody)
	return xv
}

// pretty indents a JSON body; anything else is shown as it is.
func pretty(s string) string {
	if s == "" || !json.Valid([]byte(s)) {
		return s
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

func suiteProblems(reports []types.Report, sc scrubber) []problem {
	var out []problem
	for _, r := range reports {
		for _, reason := range r.SpecialSuiteFailureReasons {
			out = append(out, problem{Suite: r.SuiteDescription, What: "suite", Message: sc.text(reason)})
		}
		for _, sr := range r.SpecReports {
			if !sr.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) || !sr.State.Is(types.SpecStateFailureStates) {
				continue
			}
			out = append(out, problem{
				Suite:    r.SuiteDescription,
				What:     sr.LeafNodeType.String() + " " + sr.State.String(),
				Message:  sc.text(strings.TrimSpace(sr.Failure.Message + "\n" + sr.Failure.ForwardedPanic)),
				Location: location(sr.Failure.Location),
			})
		}
	}
	return out
}

// operations summarises latency per operation (skipped checks and checks
// with no measured latency do not count) and attaches the trend history.
func operations(checks []results.Check, history []RunSummary) ([]opView, bool) {
	lat := map[string][]int64{}
	var order []string
	for _, c := range checks {
		if c.Verdict == verdict.Skipped || c.LatencyMS <= 0 || c.Operation == "" {
			continue
		}
		if _, ok := lat[c.Operation]; !ok {
			order = append(order, c.Operation)
		}
		lat[c.Operation] = append(lat[c.Operation], c.LatencyMS)
	}
	byOp := map[string]*opView{}
	var ops []*opView
	for _, name := range order {
		ms := lat[name]
		slices.Sort(ms)
		o := &opView{Operation: name, N: len(ms), p95: percentile(ms, 0.95)}
		o.P50 = formatMS(percentile(ms, 0.50))
		o.P95 = formatMS(o.p95)
		o.Max = formatMS(ms[len(ms)-1])
		byOp[name] = o
		ops = append(ops, o)
	}
	hasTrends := false
	for _, h := range history {
		if h.Operation == "" || len(h.Runs) == 0 {
			continue
		}
		o := byOp[h.Operation]
		if o == nil {
			o = &opView{Operation: h.Operation, p95: -1}
			byOp[h.Operation] = o
			ops = append(ops, o)
		}
		o.Trend = trendStrip(h.Runs)
		hasTrends = true
	}
	// Slowest first: the table answers "what is slow right now".
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].p95 != ops[j].p95 {
			return ops[i].p95 > ops[j].p95
		}
		return ops[i].Operation < ops[j].Operation
	})
	out := make([]opView, len(ops))
	for i, o := range ops {
		out[i] = *o
	}
	return out, hasTrends
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}

const (
	barW, barGap, stripH = 6, 2, 24
)

func trendStrip(runs []RunPoint) *trend {
	if len(runs) > MaxTrendRuns {
		runs = runs[len(runs)-MaxTrendRuns:]
	}
	var maxMS int64
	tally := map[verdict.Verdict]int{}
	for _, r := range runs {
		maxMS = max(maxMS, r.LatencyMS)
		tally[r.Verdict]++
	}
	t := &trend{Width: len(runs)*(barW+barGap) - barGap, Height: stripH}
	for i, r := range runs {
		h := stripH
		if maxMS > 0 {
			h = max(3, int(math.Round(float64(r.LatencyMS)/float64(maxMS)*stripH)))
		}
		when := ""
		if !r.At.IsZero() {
			when = r.At.UTC().Format("2006-01-02 15:04 UTC") + " · "
		}
		t.Bars = append(t.Bars, bar{X: i * (barW + barGap), Y: stripH - h, W: barW, H: h, Verdict: r.Verdict,
			Title: fmt.Sprintf("%s%s · %d ms", when, r.Verdict, r.LatencyMS)})
	}
	var parts []string
	all := verdict.All()
	for i := len(all) - 1; i >= 0; i-- {
		if n := tally[all[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, all[i]))
		}
	}
	t.Label = fmt.Sprintf("last %d runs: %s; latest %s", len(runs), strings.Join(parts, ", "), runs[len(runs)-1].Verdict)
	return t
}

func domID(id string, i int) string {
	if id == "" {
		return "c-" + strconv.Itoa(i)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "c-" + strconv.Itoa(i)
		}
	}
	return "c-" + id
}

// shardText says which part of the selected operations the report covers.
func shardText(res results.Results) string {
	switch {
	case res.Shard != nil:
		return fmt.Sprintf("%d of %d", res.Shard.Index, res.Shard.Total)
	case res.Merged != nil:
		return results.MergedText(*res.Merged)
	}
	return ""
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func formatMS(ms int64) string { return strconv.FormatInt(ms, 10) + " ms" }

func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
