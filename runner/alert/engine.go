package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
)

// stateStore persists alert state documents per job; *history.Store
// satisfies it. PutAlertStates must write all of a call's states atomically.
type stateStore interface {
	AlertStates(ctx context.Context, job string) (map[string]json.RawMessage, error)
	PutAlertStates(ctx context.Context, job string, states map[string]json.RawMessage) error
}

// DefaultUnavailableAfter is how many consecutive unavailable runs page.
const DefaultUnavailableAfter = 3

// Config tunes an Engine.
type Config struct {
	// UnavailableAfter is the number of consecutive unavailable runs that
	// fire the job's unavailability alert; default DefaultUnavailableAfter.
	UnavailableAfter int
	// RemindEvery re-sends a still-firing alert this long after it was last
	// sent; 0 disables reminders.
	RemindEvery time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Engine is the alert state machine. It is safe for concurrent use; calls are
// serialised, so two jobs finishing together cannot interleave transitions.
type Engine struct {
	store            stateStore
	unavailableAfter int
	remindEvery      time.Duration
	now              func() time.Time
	mu               sync.Mutex
}

// NewEngine returns an Engine persisting its state in store.
func NewEngine(store stateStore, cfg Config) (*Engine, error) {
	if store == nil {
		return nil, errors.New("alert: nil state store")
	}
	if cfg.UnavailableAfter < 0 || cfg.RemindEvery < 0 {
		return nil, errors.New("alert: unavailable_after and remind_every must not be negative")
	}
	e := &Engine{store: store, unavailableAfter: cfg.UnavailableAfter, remindEvery: cfg.RemindEvery, now: cfg.Now}
	if e.unavailableAfter == 0 {
		e.unavailableAfter = DefaultUnavailableAfter
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// RunOutcome is what the engine needs to know about one finished run.
type RunOutcome struct {
	Job, Target, RunID, ReportURL string
	StartedAt                     time.Time
	// Verdict of the whole run. Error (our harness broke) changes nothing.
	Verdict verdict.Verdict
	Checks  []CheckOutcome
	// Unavailable: the vendor did not answer usefully in this run (some
	// check was unavailable, or the run could not reach the target at all).
	Unavailable bool
}

// CheckOutcome is one check of a run.
type CheckOutcome struct {
	CheckID    string
	Operation  string
	Verdict    verdict.Verdict
	Drift      []results.Drift
	Violations []results.Violation
}

// OutcomeFromResults builds a RunOutcome from a run's results.json.
func OutcomeFromResults(job, runID, reportURL string, res results.Results) RunOutcome {
	out := RunOutcome{Job: job, Target: res.Target, RunID: runID, ReportURL: reportURL, StartedAt: res.StartedAt,
		Verdict: res.Verdict}
	for _, c := range res.Checks {
		out.Checks = append(out.Checks, CheckOutcome{CheckID: c.ID, Operation: c.Operation, Verdict: c.Verdict,
			Drift: c.Drift, Violations: c.Violations})
		if c.Verdict == verdict.Unavailable {
			out.Unavailable = true
		}
	}
	return out
}

// state is the persisted document of one alert. Its "status" member is also
// read by the history store's retention ("resolved" ones may be pruned).
type state struct {
	Kind         Kind      `json:"kind"`
	Job          string    `json:"job"`
	Target       string    `json:"target"`
	Operation    string    `json:"operation,omitempty"`
	Severity     Severity  `json:"severity"`
	Fingerprint  string    `json:"fingerprint"`
	Status       string    `json:"status"` // firing, resolved, or pending (counting unavailable runs)
	Summary      string    `json:"summary,omitempty"`
	Changes      []Change  `json:"changes,omitempty"`
	Items        []string  `json:"items,omitempty"` // fingerprints of the changes, to spot new ones
	StartedAt    time.Time `json:"started_at,omitzero"`
	FirstFired   time.Time `json:"first_fired,omitzero"`
	LastNotified time.Time `json:"last_notified,omitzero"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	Consecutive  int       `json:"consecutive,omitempty"` // unavailable runs in a row
	Acknowledged bool      `json:"acknowledged,omitempty"`
	RunID        string    `json:"run_id,omitempty"`
	ReportURL    string    `json:"report_url,omitempty"`
}

const statusPending = "pending"

func (s *state) event(st Status) Event {
	ev := Event{Status: st, Severity: s.Severity, Kind: s.Kind, Fingerprint: s.Fingerprint, Job: s.Job,
		Target: s.Target, Operation: s.Operation, Summary: s.Summary, Changes: append([]Change{}, s.Changes...),
		RunID: s.RunID, ReportURL: s.ReportURL, StartedAt: s.StartedAt}
	if st == Resolved {
		ev.EndsAt = s.ResolvedAt
		ev.Summary = "resolved: " + s.Summary
	}
	return ev
}

// item is one change with its identity.
type item struct {
	change Change
	fp     string
}

// opObservation gathers the checks of one operation in a run.
type opObservation struct {
	definitive bool // some check saw a response and judged it
	blocked    bool // some check could not see it (unavailable) or errored
	groups     map[Severity]map[string]Change
}

// severityOf maps a drift severity to the paging severity.
func severityOf(drift string) Severity {
	switch drift {
	case "breaking":
		return Critical
	case "info":
		return Info
	default:
		// warning, and anything unknown: better a warning than silence.
		return Warning
	}
}

// fingerprint is a stable, opaque id for its parts (128 bits of SHA-256).
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func contractKey(job, target, op string, sev Severity) string {
	return "contract|" + job + "|" + target + "|" + op + "|" + string(sev)
}

func unavailableKey(job, target string) string { return "unavailable|" + job + "|" + target }

// observe folds a run's checks into per-operation observations.
func observe(out RunOutcome) (ops map[string]*opObservation, ran bool, unavailableOps []string) {
	ops = map[string]*opObservation{}
	seenUnavail := map[string]bool{}
	for _, c := range out.Checks {
		if c.Verdict == verdict.Skipped || c.Verdict == "" {
			continue
		}
		ran = true
		o := ops[c.Operation]
		if o == nil {
			o = &opObservation{groups: map[Severity]map[string]Change{}}
			ops[c.Operation] = o
		}
		add := func(sev Severity, fp string, ch Change) {
			if o.groups[sev] == nil {
				o.groups[sev] = map[string]Change{}
			}
			o.groups[sev][fp] = ch
		}
		switch c.Verdict {
		case verdict.Unavailable, verdict.Error:
			o.blocked = true
			if c.Verdict == verdict.Unavailable && !seenUnavail[c.Operation] {
				seenUnavail[c.Operation] = true
				unavailableOps = append(unavailableOps, c.Operation)
			}
			continue
		}
		o.definitive = true
		breaking := false
		for _, d := range c.Drift {
			sev := severityOf(d.Severity)
			fp := d.Fingerprint
			if fp == "" {
				fp = fingerprint("drift", c.Operation, d.Pointer, d.Change)
			}
			add(sev, fp, Change{Pointer: d.Pointer, Change: d.Change, Severity: d.Severity})
			breaking = breaking || sev == Critical
		}
		if c.Verdict != verdict.Broken || breaking {
			continue
		}
		// A broken contract without breaking drift: identify it by what was
		// violated, never by values or messages that change from run to run.
		if len(c.Violations) == 0 {
			add(Critical, fingerprint("broken", c.Operation, c.CheckID), Change{Change: "broken", Severity: "breaking"})
		}
		for _, v := range c.Violations {
			add(Critical, fingerprint("violation", c.Operation, v.Pointer, v.Keyword),
				Change{Pointer: v.Pointer, Change: "violation:" + v.Keyword, Severity: "breaking"})
		}
	}
	sort.Strings(unavailableOps)
	return ops, ran, unavailableOps
}

// sortedItems returns a group's changes in a stable order.
func sortedItems(g map[string]Change) []item {
	out := make([]item, 0, len(g))
	for fp, ch := range g {
		out = append(out, item{change: ch, fp: fp})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].change, out[j].change
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Change != b.Change {
			return a.Change < b.Change
		}
		return out[i].fp < out[j].fp
	})
	return out
}

// Observe applies one finished run to the alert states of its job, persists
// the transitions and returns the events to deliver. State is persisted
// before the events are returned, so a crash can lose a notification but
// never send one twice. On error nothing is persisted and no event returned;
// the next run retries the same transitions.
//
// Rules: a broken contract or breaking drift fires critical at once, warning
// drift warning, info drift info, one alert per (job, operation, severity)
// whose changes are listed in the event; a firing alert gaining a change it
// did not have is re-sent (same fingerprint), losing some only updates it;
// it resolves on the first run that observed the operation without any
// change of that severity. An operation is observed only when at least one of
// its checks judged a response and none was unavailable or errored; skipped
// checks are ignored. Unavailability fires critical after UnavailableAfter
// consecutive unavailable runs, once per (job, target). A run whose verdict is
// error changes nothing.
func (e *Engine) Observe(ctx context.Context, out RunOutcome) ([]Event, error) {
	if out.Job == "" {
		return nil, errors.New("alert: observe: run outcome without a job")
	}
	v := out.Verdict
	if v == "" {
		vs := make([]verdict.Verdict, 0, len(out.Checks))
		for _, c := range out.Checks {
			vs = append(vs, c.Verdict)
		}
		v = verdict.Worst(vs...)
	}
	if v == verdict.Error {
		return nil, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	states, err := e.load(ctx, out.Job)
	if err != nil {
		return nil, err
	}
	now := e.now()
	started := out.StartedAt
	if started.IsZero() {
		started = now
	}
	started = started.UTC().Truncate(time.Second)
	changed := map[string]*state{}
	var events []Event
	touched := map[string]bool{}

	ops, ran, unavailableOps := observe(out)
	opNames := make([]string, 0, len(ops))
	for op := range ops {
		opNames = append(opNames, op)
	}
	sort.Strings(opNames)
	for _, op := range opNames {
		o := ops[op]
		if !o.definitive || o.blocked {
			continue
		}
		for _, sev := range Severities() {
			key := contractKey(out.Job, out.Target, op, sev)
			st := states[key]
			items := sortedItems(o.groups[sev])
			if len(items) == 0 {
				if st != nil && st.Status == string(Firing) {
					st.Status, st.ResolvedAt = string(Resolved), now
					st.RunID, st.ReportURL = out.RunID, out.ReportURL
					events = append(events, st.event(Resolved))
					changed[key], touched[key] = st, true
				}
				continue
			}
			if st == nil {
				st = &state{Kind: KindContract, Job: out.Job, Target: out.Target, Operation: op, Severity: sev,
					Fingerprint: fingerprint(string(KindContract), out.Job, out.Target, op, string(sev))}
				states[key] = st
			}
			prev := map[string]bool{}
			for _, fp := range st.Items {
				prev[fp] = true
			}
			grew := false
			st.Changes, st.Items = st.Changes[:0], st.Items[:0]
			for _, it := range items {
				st.Changes = append(st.Changes, it.change)
				st.Items = append(st.Items, it.fp)
				grew = grew || !prev[it.fp]
			}
			st.Summary = contractSummary(op, out.Target, sev, st.Changes)
			st.RunID, st.ReportURL = out.RunID, out.ReportURL
			changed[key], touched[key] = st, true
			switch {
			case st.Status != string(Firing):
				st.Status, st.StartedAt, st.FirstFired, st.LastNotified = string(Firing), started, now, now
				st.ResolvedAt, st.Acknowledged = time.Time{}, false
				events = append(events, st.event(Firing))
			case grew:
				st.LastNotified = now
				events = append(events, st.event(Firing))
			case e.reminderDue(st, now):
				st.LastNotified = now
				ev := st.event(Firing)
				ev.Reminder = true
				events = append(events, ev)
			}
		}
	}

	ukey := unavailableKey(out.Job, out.Target)
	if ran || out.Unavailable {
		st := states[ukey]
		if st == nil {
			st = &state{Kind: KindUnavailable, Job: out.Job, Target: out.Target, Severity: Critical,
				Fingerprint: fingerprint(string(KindUnavailable), out.Job, out.Target), Status: string(Resolved)}
			states[ukey] = st
		}
		touched[ukey] = true
		if out.Unavailable {
			st.Consecutive++
			st.Summary = unavailableSummary(out.Job, out.Target, st.Consecutive, unavailableOps)
			st.RunID, st.ReportURL = out.RunID, out.ReportURL
			changed[ukey] = st
			switch {
			case st.Status == string(Firing):
				if e.reminderDue(st, now) {
					st.LastNotified = now
					ev := st.event(Firing)
					ev.Reminder = true
					events = append(events, ev)
				}
			case st.Consecutive >= e.unavailableAfter:
				st.Status, st.StartedAt, st.FirstFired, st.LastNotified = string(Firing), started, now, now
				st.ResolvedAt, st.Acknowledged = time.Time{}, false
				events = append(events, st.event(Firing))
			default:
				st.Status = statusPending
			}
		} else if st.Consecutive > 0 || st.Status == string(Firing) {
			wasFiring := st.Status == string(Firing)
			st.Consecutive, st.Status = 0, string(Resolved)
			changed[ukey] = st
			if wasFiring {
				st.ResolvedAt, st.RunID, st.ReportURL = now, out.RunID, out.ReportURL
				events = append(events, st.event(Resolved))
			}
		}
	}

	// Firing alerts this run could not judge still get their reminders.
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st := states[k]
		if touched[k] || st.Status != string(Firing) || !e.reminderDue(st, now) {
			continue
		}
		st.LastNotified = now
		changed[k] = st
		ev := st.event(Firing)
		ev.Reminder = true
		events = append(events, ev)
	}

	if err := e.save(ctx, out.Job, changed); err != nil {
		return nil, err
	}
	return events, nil
}

func (e *Engine) reminderDue(st *state, now time.Time) bool {
	return e.remindEvery > 0 && !st.Acknowledged && now.Sub(st.LastNotified) >= e.remindEvery
}

func (e *Engine) load(ctx context.Context, job string) (map[string]*state, error) {
	raw, err := e.store.AlertStates(ctx, job)
	if err != nil {
		return nil, fmt.Errorf("alert: load state of job %s: %w", job, err)
	}
	out := make(map[string]*state, len(raw))
	for k, doc := range raw {
		var st state
		if err := json.Unmarshal(doc, &st); err != nil {
			return nil, fmt.Errorf("alert: state %s: %w", k, err)
		}
		out[k] = &st
	}
	return out, nil
}

func (e *Engine) save(ctx context.Context, job string, changed map[string]*state) error {
	if len(changed) == 0 {
		return nil
	}
	docs := make(map[string]json.RawMessage, len(changed))
	for k, st := range changed {
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("alert: encode state %s: %w", k, err)
		}
		docs[k] = b
	}
	if err := e.store.PutAlertStates(ctx, job, docs); err != nil {
		return fmt.Errorf("alert: save state of job %s: %w", job, err)
	}
	return nil
}

// Match selects alerts of one job. Empty Operation or Fingerprint match any.
type Match struct {
	Job         string
	Operation   string
	Fingerprint string
}

func (m Match) matches(st *state) bool {
	return st.Job == m.Job && (m.Operation == "" || st.Operation == m.Operation) &&
		(m.Fingerprint == "" || st.Fingerprint == m.Fingerprint)
}

// Resolve resolves the firing alerts m selects at once, e.g. after the
// baseline was accepted, and returns their resolved events. Should the next
// run still show the difference, the alert fires again.
func (e *Engine) Resolve(ctx context.Context, m Match) ([]Event, error) {
	return e.update(ctx, m, func(st *state, now time.Time) (Event, bool) {
		st.Status, st.ResolvedAt, st.Consecutive = string(Resolved), now, 0
		return st.event(Resolved), true
	})
}

// Acknowledge stops reminders for the firing alerts m selects until they
// resolve. It returns how many it acknowledged.
func (e *Engine) Acknowledge(ctx context.Context, m Match) (int, error) {
	evs, err := e.update(ctx, m, func(st *state, _ time.Time) (Event, bool) {
		st.Acknowledged = true
		return Event{}, true
	})
	return len(evs), err
}

// Firing returns the currently firing alerts of job (of every job when job
// is empty) as firing events, e.g. for the status page or a metrics gauge.
func (e *Engine) Firing(ctx context.Context, job string) ([]Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	states, err := e.load(ctx, job)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, st := range states {
		if st.Status == string(Firing) {
			out = append(out, st.event(Firing))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out, nil
}

func (e *Engine) update(ctx context.Context, m Match, fn func(*state, time.Time) (Event, bool)) ([]Event, error) {
	if m.Job == "" {
		return nil, errors.New("alert: match without a job")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	states, err := e.load(ctx, m.Job)
	if err != nil {
		return nil, err
	}
	now := e.now()
	changed := map[string]*state{}
	var events []Event
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st := states[k]
		if st.Status != string(Firing) || !m.matches(st) {
			continue
		}
		if ev, ok := fn(st, now); ok {
			changed[k] = st
			events = append(events, ev)
		}
	}
	if err := e.save(ctx, m.Job, changed); err != nil {
		return nil, err
	}
	return events, nil
}

// maxSummaryChanges bounds how many changes a one-line summary names.
const maxSummaryChanges = 3

func contractSummary(op, target string, sev Severity, changes []Change) string {
	what := "response drift"
	if sev == Critical {
		what = "contract broken"
	}
	parts := make([]string, 0, maxSummaryChanges)
	for i, c := range changes {
		if i == maxSummaryChanges {
			break
		}
		p := c.Pointer
		if p == "" {
			p = "(response)"
		}
		parts = append(parts, p+" "+c.Change)
	}
	s := fmt.Sprintf("%s: %s on %s: %s", op, what, target, strings.Join(parts, ", "))
	if n := len(changes) - maxSummaryChanges; n > 0 {
		s += fmt.Sprintf(" (+%d more)", n)
	}
	return s
}

func unavailableSummary(job, target string, runs int, ops []string) string {
	s := fmt.Sprintf("%s unavailable in %d consecutive runs of job %s", target, runs, job)
	if len(ops) > 0 {
		shown := ops
		if len(shown) > maxSummaryChanges {
			shown = shown[:maxSummaryChanges]
		}
		s += ": " + strings.Join(shown, ", ")
		if n := len(ops) - len(shown); n > 0 {
			s += fmt.Sprintf(" (+%d more)", n)
		}
	}
	return s
}
