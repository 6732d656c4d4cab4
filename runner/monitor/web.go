package monitor

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/html"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// pages is parsed once, on the first page served, from embedded files: a
// parse error is a programming error every test catches, never bad input.
// Not at package initialisation: every `mmcontract run` (one per monitor
// tick) links this package and would parse them for nothing.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(templateFS, "templates/*.tmpl"))
})

// pageCSP allows nothing but the pages' own inline stylesheet.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"

// runFiles are the files of a run folder served over HTTP; run.log and the
// rest stay on disk.
var runFiles = map[string]string{
	"report.html":   "text/html; charset=utf-8",
	"results.json":  "application/json",
	"junit.xml":     "application/xml",
	"specdiff.json": "application/json",
}

// runIDPattern is history's run id shape; anything else is not looked up.
var runIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`) })

type web struct {
	m       *Monitor
	handler http.Handler
}

func newWeb(m *Monitor) *web {
	w := &web{m: m}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil}))
	mux.HandleFunc("GET /healthz", w.healthz)
	mux.HandleFunc("GET /{$}", w.index)
	mux.HandleFunc("GET /history", w.history)
	mux.HandleFunc("GET /runs/{id}/{file}", w.runFile)
	w.handler = w.auth(mux)
	return w
}

// auth requires the bearer token on every path but /healthz when one is
// configured (it must be when the listener is not loopback).
func (w *web) auth(next http.Handler) http.Handler {
	token := w.m.cfg.AuthToken
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			rw.Header().Set("WWW-Authenticate", `Bearer realm="mmcontract"`)
			http.Error(rw, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// healthz answers 200 "ok" when the store reads and takes writes, every
// job ticks on time and no notification waited longer than
// health.max_outbox_age; otherwise 503 with one line per problem.
func (w *web) healthz(rw http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	role := w.m.leases.role()
	rw.Header().Set("X-Mmcontract-Role", role)
	if problems := w.m.healthProblems(ctx); len(problems) > 0 {
		rw.WriteHeader(http.StatusServiceUnavailable)
		_, _ = rw.Write([]byte(strings.Join(problems, "\n") + "\n"))
		return
	}
	if w.m.store.Postgres() {
		// Replicas share the store: say which jobs this one schedules.
		_, _ = rw.Write([]byte("ok\nreplica: " + w.m.store.Replica() + "\nrole: " + role + "\n"))
		return
	}
	_, _ = rw.Write([]byte("ok\n"))
}

// runView is a run as the pages show it.
type runView struct {
	history.Run
	ReportFile string
	Took       string
	CountsText string
}

func (w *web) view(r history.Run) runView {
	v := runView{Run: r}
	if r.OutDir != "" {
		for _, f := range []string{"report.html", "specdiff.json"} {
			if _, err := os.Stat(filepath.Join(r.OutDir, f)); err == nil {
				v.ReportFile = f
				break
			}
		}
	}
	if !r.FinishedAt.IsZero() && r.Verdict != verdict.Skipped {
		v.Took = r.FinishedAt.Sub(r.StartedAt).Round(100 * time.Millisecond).String()
	}
	var parts []string
	for k, n := range r.Counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	sort.Strings(parts)
	v.CountsText = strings.Join(parts, ", ")
	return v
}

type jobView struct {
	Name, Kind, Target, Schedule string
	Latest                       *runView
}

func (w *web) index(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data struct {
		Jobs   []jobView
		Firing []alert.Event
	}
	for i := range w.m.cfg.Jobs {
		j := &w.m.cfg.Jobs[i]
		jv := jobView{Name: j.Name, Kind: j.Kind, Target: w.m.targetOf(j), Schedule: j.Schedule}
		runs, err := w.m.store.Runs(ctx, history.Filter{Job: j.Name, Last: 1})
		if err != nil {
			w.fail(rw, err)
			return
		}
		if len(runs) == 1 {
			v := w.view(runs[0])
			jv.Latest = &v
		}
		data.Jobs = append(data.Jobs, jv)
	}
	firing, err := w.m.engine.Firing(ctx, "")
	if err != nil {
		w.fail(rw, err)
		return
	}
	data.Firing = firing
	w.render(rw, "index.html.tmpl", data)
}

func (w *web) history(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	last := 100
	if s := q.Get("last"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			http.Error(rw, "last: want a number from 1 to 1000", http.StatusBadRequest)
			return
		}
		last = n
	}
	job := q.Get("job")
	data := struct {
		Job  string
		Last int
		Jobs []string
		Runs []runView
	}{Job: job, Last: last}
	for _, j := range w.m.cfg.Jobs {
		data.Jobs = append(data.Jobs, j.Name)
	}
	runs, err := w.m.store.Runs(r.Context(), history.Filter{Job: job, Last: last})
	if err != nil {
		w.fail(rw, err)
		return
	}
	for _, run := range runs {
		data.Runs = append(data.Runs, w.view(run))
	}
	w.render(rw, "history.html.tmpl", data)
}

// runFile serves one file of a run's folder. report.html is re-rendered
// with the job's trend strip from the history store when the run's
// ginkgo.json and results.json are there; otherwise the file as written.
func (w *web) runFile(rw http.ResponseWriter, r *http.Request) {
	id, file := r.PathValue("id"), r.PathValue("file")
	ctype, ok := runFiles[file]
	if !ok || !runIDPattern().MatchString(id) {
		http.NotFound(rw, r)
		return
	}
	run, err := w.m.store.Run(r.Context(), id)
	if errors.Is(err, history.ErrNotFound) || (err == nil && run.OutDir == "") {
		http.NotFound(rw, r)
		return
	}
	if err != nil {
		w.fail(rw, err)
		return
	}
	path := filepath.Join(run.OutDir, file)
	if file == "report.html" {
		if page, err := w.renderWithTrend(r.Context(), run); err == nil {
			rw.Header().Set("Content-Type", ctype)
			_, _ = rw.Write(page)
			return
		}
	}
	body, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(body)
}

// trendRuns is how many past runs the served report's trend strip shows.
const trendRuns = html.MaxTrendRuns

func (w *web) renderWithTrend(ctx context.Context, run history.Run) ([]byte, error) {
	var res results.Results
	if err := readJSONFile(filepath.Join(run.OutDir, "results.json"), &res); err != nil {
		return nil, err
	}
	var reports []types.Report
	if err := readJSONFile(filepath.Join(run.OutDir, "ginkgo.json"), &reports); err != nil {
		return nil, err
	}
	trend, err := w.m.store.Trend(ctx, run.Job, trendRuns)
	if err != nil {
		return nil, err
	}
	// Only runs up to this one: an old report must not show its future.
	var keep int
	for keep < len(trend.Runs) && !trend.Runs[keep].StartedAt.After(run.StartedAt) {
		keep++
	}
	var hist []html.RunSummary
	for op, pts := range trend.Operations {
		s := html.RunSummary{Operation: op}
		for i, p := range pts[:keep] {
			if p.Verdict == "" {
				continue
			}
			s.Runs = append(s.Runs, html.RunPoint{At: trend.Runs[i].StartedAt, Verdict: p.Verdict, LatencyMS: p.LatencyMS})
		}
		if len(s.Runs) > 0 {
			hist = append(hist, s)
		}
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].Operation < hist[j].Operation })
	var buf bytes.Buffer
	if err := html.Render(&buf, res, reports, html.Options{History: hist, Redactor: w.m.red}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readJSONFile(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

func (w *web) render(rw http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := pages().ExecuteTemplate(&buf, name, data); err != nil {
		w.fail(rw, err)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Content-Security-Policy", pageCSP)
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(buf.Bytes())
}

func (w *web) fail(rw http.ResponseWriter, err error) {
	w.m.log.Error("http", "err", w.m.red.Text(err.Error()))
	http.Error(rw, "internal error", http.StatusInternalServerError)
}
