package monitor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mmcontract/mmcontract/internal/atomicfile"
	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/html"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// maxSpecBytes bounds a fetched spec; the vendor's Client API spec is 1.7 MB.
const maxSpecBytes = 32 << 20

// maxEventChanges bounds the changes one spec alert lists; the rest are in
// the run's specdiff.json, which the alert links.
const maxEventChanges = 50

// specState is the persisted state of a spec job's "published spec is
// invalid" alert. It is stored with the alert engine's states and uses the
// engine's member names, so the engine lists it as firing and sends its
// reminders like any other alert.
type specState struct {
	Kind         alert.Kind     `json:"kind"`
	Job          string         `json:"job"`
	Target       string         `json:"target"`
	Severity     alert.Severity `json:"severity"`
	Fingerprint  string         `json:"fingerprint"`
	Status       string         `json:"status"` // pending (invalid, within spec_invalid_after), firing, resolved
	Summary      string         `json:"summary,omitempty"`
	StartedAt    time.Time      `json:"started_at,omitzero"`
	FirstFired   time.Time      `json:"first_fired,omitzero"`
	LastNotified time.Time      `json:"last_notified,omitzero"`
	ResolvedAt   time.Time      `json:"resolved_at,omitzero"`
	RunID        string         `json:"run_id,omitempty"`
	ReportURL    string         `json:"report_url,omitempty"`
}

func (s specState) event(st alert.Status) alert.Event {
	ev := alert.Event{Status: st, Severity: s.Severity, Kind: s.Kind, Fingerprint: s.Fingerprint, Job: s.Job,
		Target: s.Target, Summary: s.Summary, Changes: []alert.Change{}, RunID: s.RunID, ReportURL: s.ReportURL,
		StartedAt: s.StartedAt}
	if st == alert.Resolved {
		ev.EndsAt, ev.Summary = s.ResolvedAt, "resolved: "+s.Summary
	}
	return ev
}

func specFingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// runSpec is one tick of a spec-watch job: fetch the vendor's published
// spec, store it by content hash, diff it against the last valid version,
// and alert: breaking changes critical, others info; an invalid publish only
// when it stays invalid for alerting.spec_invalid_after.
func (m *Monitor) runSpec(ctx context.Context, j *Job) {
	target := m.targetOf(j)
	started := m.now()
	runID, err := m.store.BeginRun(ctx, j.Name, target, started)
	if err != nil {
		m.log.Error("cannot record the run; skipping the tick", "job", j.Name, "err", err)
		return
	}
	outDir := filepath.Join(m.runsDir, runID)
	op := "spec:" + j.Family
	finish := func(v verdict.Verdict, msg string, drift []contract.Drift) results.Results {
		res := results.Results{SchemaVersion: 1, Verdict: v, Target: target, StartedAt: started.UTC(),
			FinishedAt: m.now().UTC(), Counts: map[verdict.Verdict]int{v: 1},
			Checks: []results.Check{{ID: "spec-" + j.Name, Operation: op, Family: j.Family, Spec: "vendor spec " + j.Name,
				Verdict: v, Message: msg, Violations: []contract.Violation{}, Drift: drift}}}
		if err := m.store.FinishRun(ctx, runID, res, outDir, 0); err != nil {
			m.log.Error("recording the run", "job", j.Name, "run", runID, "err", err)
		}
		m.metrics.runs.WithLabelValues(j.Name, string(v)).Inc()
		m.metrics.runDuration.WithLabelValues(j.Name).Observe(m.now().Sub(started).Seconds())
		if v.Healthy() {
			m.metrics.lastSuccess.WithLabelValues(j.Name).Set(float64(m.now().UnixNano()) / 1e9)
		}
		m.log.Info("spec check finished", "job", j.Name, "run", runID, "verdict", v, "note", m.red.Text(msg))
		return res
	}
	// outcome feeds the engine's unavailability rule: a source that cannot
	// be fetched N times in a row pages like an unreachable vendor.
	outcome := func(res results.Results, unavailable bool) {
		out := alert.RunOutcome{Job: j.Name, Target: target, RunID: runID, StartedAt: started, Verdict: res.Verdict,
			Unavailable: unavailable, Checks: []alert.CheckOutcome{{CheckID: "spec-" + j.Name, Operation: op,
				Verdict: map[bool]verdict.Verdict{true: verdict.Unavailable, false: verdict.Pass}[unavailable]}}}
		m.observe(ctx, out)
	}

	fctx, cancel := context.WithTimeout(m.runCtx, j.Timeout.D())
	content, err := m.fetchSpec(fctx, j.Source)
	cancel()
	if err != nil {
		res := finish(verdict.Unavailable, "fetching the spec: "+err.Error(), nil)
		outcome(res, true)
		return
	}
	prev, hasPrev, err := m.store.LatestValidSpecVersion(ctx, j.Source)
	if err != nil {
		m.failSpec(ctx, j, runID, outDir, err)
		return
	}
	newSpec, loadErr := specdiff.Load(content)
	reason := ""
	if loadErr != nil {
		reason = loadErr.Error()
	}
	cur, _, err := m.store.PutSpecVersion(ctx, j.Source, content, loadErr == nil, reason, m.now())
	if err != nil {
		m.failSpec(ctx, j, runID, outDir, err)
		return
	}
	if err := m.specInvalid(ctx, j, runID, cur.Valid, reason); err != nil {
		m.log.Error("spec alert state", "job", j.Name, "err", err)
	}
	if !cur.Valid {
		res := finish(verdict.Broken, "the published spec is not a valid OpenAPI document: "+reason, nil)
		outcome(res, false)
		return
	}
	if !hasPrev || prev.Hash == cur.Hash {
		msg := "unchanged"
		if !hasPrev {
			msg = "first version recorded; later versions are compared with it"
		}
		res := finish(verdict.Pass, msg, nil)
		outcome(res, false)
		return
	}
	oldSpec, err := specdiff.Load(prev.Content)
	if err != nil { // it was valid when stored; a newer specdiff may disagree
		m.failSpec(ctx, j, runID, outDir, fmt.Errorf("the last valid version %s no longer loads: %w", prev.Hash[:12], err))
		return
	}
	report := specdiff.Diff(oldSpec, newSpec)
	if err := os.MkdirAll(outDir, 0o750); err == nil {
		if b, err := json.MarshalIndent(report, "", "  "); err == nil {
			if err := atomicfile.Write(filepath.Join(outDir, "specdiff.json"), append(b, '\n'), 0o640); err != nil {
				m.log.Warn("writing specdiff.json", "job", j.Name, "err", err)
			}
		}
	}
	var drift []contract.Drift
	for _, c := range report.Changes {
		drift = append(drift, contract.Drift{Pointer: c.Operation + " " + c.Location + " " + c.Pointer, Change: c.Change,
			Severity: c.Severity, Baseline: c.Old, Observed: c.New})
		m.metrics.specChanges.WithLabelValues(j.Name, string(c.Severity)).Inc()
	}
	live := specVsLive(report, newSpec, m.liveShapes(ctx, j.Family))
	drift = append(drift, live...)
	v := contract.WorstSeverity(drift).Verdict()
	res := finish(v, fmt.Sprintf("spec %s → %s: %s%s", prev.Hash[:12], cur.Hash[:12], report.Summary, disagreementSummary(live)), drift)
	outcome(res, false)
	m.writeSpecReport(j, outDir, res)
	if len(report.Changes) == 0 {
		return
	}
	sev := alert.Info
	switch {
	case report.Breaking():
		sev = alert.Critical
	case contract.WorstSeverity(live) == verdict.Warning:
		sev = alert.Warning
	}
	ev := alert.Event{Status: alert.Firing, Severity: sev, Kind: alert.KindSpec, Job: j.Name, Target: target,
		Fingerprint: specFingerprint("spec", j.Name, prev.Hash, cur.Hash), RunID: runID,
		ReportURL: m.reportURL(runID, "specdiff.json"), StartedAt: started.UTC().Truncate(time.Second),
		Summary: fmt.Sprintf("vendor %s spec changed: %s%s", j.Family, report.Summary, disagreementSummary(live))}
	// The disagreements first: they are what the diff alone cannot say.
	for _, d := range live[:min(len(live), maxEventChanges)] {
		ev.Changes = append(ev.Changes, alert.Change{Pointer: d.Pointer, Change: string(d.Change), Severity: d.Severity})
	}
	for _, c := range report.Changes[:min(len(report.Changes), maxEventChanges-len(ev.Changes))] {
		ev.Changes = append(ev.Changes, alert.Change{Pointer: c.Operation + " " + c.Location + " " + c.Pointer,
			Change: string(c.Change), Severity: c.Severity})
	}
	if err := m.saveAndQueue(ctx, j.Name, nil, []alert.Event{ev}); err != nil {
		m.log.Error("queueing the spec alert", "job", j.Name, "err", m.red.Text(err.Error()))
	}
}

// writeSpecReport writes a spec run's results.json and report.html beside
// its specdiff.json, so the run's page shows the changes and where live
// responses disagree with them like any run's drift. A failure costs the
// page, not the run.
func (m *Monitor) writeSpecReport(j *Job, outDir string, res results.Results) {
	b, err := results.Encode(res)
	if err == nil {
		err = atomicfile.Write(filepath.Join(outDir, "results.json"), b, 0o640)
	}
	if err == nil {
		var page bytes.Buffer
		if err = html.Render(&page, res, nil, html.Options{Redactor: m.red}); err == nil {
			err = atomicfile.Write(filepath.Join(outDir, "report.html"), page.Bytes(), 0o640)
		}
	}
	if err != nil {
		m.log.Warn("writing the spec run's report", "job", j.Name, "err", m.red.Text(err.Error()))
	}
}

// specInvalid drives the "published spec is invalid" alert: pending from
// the first invalid fetch, firing (warning) once it stayed invalid for
// alerting.spec_invalid_after, resolved by the next valid fetch. A publish
// fixed in time pages nobody.
func (m *Monitor) specInvalid(ctx context.Context, j *Job, runID string, valid bool, reason string) error {
	key := "spec-invalid|" + j.Name
	raw, err := m.store.AlertStates(ctx, j.Name)
	if err != nil {
		return err
	}
	var st specState
	if doc, ok := raw[key]; ok {
		if err := json.Unmarshal(doc, &st); err != nil {
			return fmt.Errorf("state %s: %w", key, err)
		}
	}
	now := m.now()
	var events []alert.Event
	switch {
	case valid && st.Status == string(alert.Firing):
		st.Status, st.ResolvedAt, st.RunID = string(alert.Resolved), now, runID
		events = append(events, st.event(alert.Resolved))
	case valid && st.Status == "pending":
		st.Status = string(alert.Resolved)
	case valid:
		return nil
	case st.Status != "pending" && st.Status != string(alert.Firing):
		st = specState{Kind: alert.KindSpec, Job: j.Name, Target: m.targetOf(j), Severity: alert.Warning,
			Fingerprint: specFingerprint("spec-invalid", j.Name), Status: "pending",
			StartedAt: now.UTC().Truncate(time.Second)}
		fallthrough
	default:
		st.Summary = fmt.Sprintf("vendor %s spec has been invalid since %s: %s", j.Family,
			st.StartedAt.Format(time.RFC3339), oneline.Collapse(reason, 160))
		st.RunID = runID
		if st.Status == "pending" && now.Sub(st.StartedAt) >= m.cfg.Alerting.SpecInvalidAfter.D() {
			st.Status, st.FirstFired, st.LastNotified = string(alert.Firing), now, now
			events = append(events, st.event(alert.Firing))
		}
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return m.saveAndQueue(ctx, j.Name, map[string]json.RawMessage{key: doc}, events)
}

// failSpec records a spec tick that failed on our side.
func (m *Monitor) failSpec(ctx context.Context, j *Job, runID, outDir string, err error) {
	cause := m.red.Text(err.Error())
	m.log.Error("spec check failed", "job", j.Name, "run", runID, "err", cause)
	m.metrics.runs.WithLabelValues(j.Name, string(verdict.Error)).Inc()
	if ferr := m.store.FailRun(ctx, runID, outDir, verdict.ExitHarness, cause); ferr != nil {
		m.log.Error("recording the failed run", "job", j.Name, "run", runID, "err", ferr)
	}
}

// fetchSpec reads a spec from a file or an http(s) URL, at most
// maxSpecBytes. A non-2xx answer is a fetch failure (the vendor's server
// did not serve), whereas a 200 carrying an error page is an invalid
// publish, judged by specdiff.
func (m *Monitor) fetchSpec(ctx context.Context, source string) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		f, err := os.Open(source)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readBounded(f)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return nil, errors.New("invalid source URL")
	}
	req.Header.Set("User-Agent", "mmcontract-spec-watch")
	c := m.specHTTP
	if c == nil {
		c = http.DefaultClient // bounded by ctx (the job timeout)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil, fmt.Errorf("GET answered HTTP %d", resp.StatusCode)
	}
	return readBounded(resp.Body)
}

func readBounded(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSpecBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSpecBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxSpecBytes>>20)
	}
	return b, nil
}
