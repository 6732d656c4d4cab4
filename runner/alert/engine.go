package alert

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/history"
)

// stateStore persists alert state documents per job and the outbox;
// *history.Store satisfies it. SaveAlerts must write a call's states and
// notifications atomically.
type stateStore interface {
	AlertStates(ctx context.Context, job string) (map[string]json.RawMessage, error)
	SaveAlerts(ctx context.Context, job string, states map[string]json.RawMessage, notes []history.Notification) error
}

// Engine defaults.
const (
	// DefaultUnavailableAfter is how many consecutive unavailable runs page.
	DefaultUnavailableAfter = 3
	// DefaultErrorAfter is how many consecutive harness errors page.
	DefaultErrorAfter = 3
)

// Config tunes an Engine.
type Config struct {
	// UnavailableAfter is the number of consecutive unavailable runs that
	// fire the job's unavailability alert; default DefaultUnavailableAfter.
	UnavailableAfter int
	// ErrorAfter is the number of consecutive runs ending in error (our
	// harness failed) that fire the job's harness alert; default
	// DefaultErrorAfter.
	ErrorAfter int
	// RemindEvery re-sends a still-firing alert this long after it was last
	// sent; 0 disables reminders.
	RemindEvery time.Duration
	// FlapWindow holds a resolve back this long: an alert that fires again
	// within it stays one incident (its Flaps count grows) instead of
	// paging again. 0 sends resolves at once (the monitor's default is
	// on; turning it off is an explicit choice in its config).
	FlapWindow time.Duration
	// Notify turns events into outbox rows, written in the same
	// transaction as the state (the Dispatcher's Notifications). Nil: no
	// rows, events are only returned.
	Notify func([]Event) ([]history.Notification, error)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Engine is the alert state machine. It is safe for concurrent use; calls are
// serialised, so two jobs finishing together cannot interleave transitions.
type Engine struct {
	store            stateStore
	unavailableAfter int
	errorAfter       int
	remindEvery      time.Duration
	flapWindow       time.Duration
	notify           func([]Event) ([]history.Notification, error)
	now              func() time.Time
	mu               sync.Mutex
}

// NewEngine returns an Engine persisting its state in store.
func NewEngine(store stateStore, cfg Config) (*Engine, error) {
	if store == nil {
		return nil, errors.New("alert: nil state store")
	}
	if cfg.UnavailableAfter < 0 || cfg.ErrorAfter < 0 || cfg.RemindEvery < 0 || cfg.FlapWindow < 0 {
		return nil, errors.New("alert: unavailable_after, error_after, remind_every and flap_window must not be negative")
	}
	e := &Engine{store: store, unavailableAfter: cfg.UnavailableAfter, errorAfter: cfg.ErrorAfter,
		remindEvery: cfg.RemindEvery, flapWindow: cfg.FlapWindow, notify: cfg.Notify, now: cfg.Now}
	if e.unavailableAfter == 0 {
		e.unavailableAfter = DefaultUnavailableAfter
	}
	if e.errorAfter == 0 {
		e.errorAfter = DefaultErrorAfter
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
	// Verdict of the whole run. Error (our harness broke) feeds only the
	// harness alert; Config (the set-up is wrong) only the config alert.
	Verdict verdict.Verdict
	Checks  []CheckOutcome
	// Unavailable: the vendor did not answer usefully in this run (some
	// check was unavailable, or the run could not reach the target at all,
	// e.g. it was killed by its job timeout).
	Unavailable bool
	// Cause is the one line that explains an error, config or timed-out
	// run (the child's first error line); it goes into the alert summary.
	Cause string
	// ExpiresAfter is how long the job's firing alerts stay valid without
	// another run (about two schedule intervals and the job timeout); it
	// sets the events' ExpiresAt. 0: no expiry is announced.
	ExpiresAfter time.Duration
}

// CheckOutcome is one check of a run.
type CheckOutcome struct {
	CheckID    string
	Operation  string
	Verdict    verdict.Verdict
	Drift      []contract.Drift
	Violations []contract.Violation
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
	// ResolvingSince: the alert stopped showing and its resolve is held
	// for the flap window (Status "resolving").
	ResolvingSince time.Time `json:"resolving_since,omitzero"`
	Flaps          int       `json:"flaps,omitempty"`
}

const (
	statusPending   = "pending"
	statusResolving = "resolving"
)

// open reports whether the alert is an open incident: firing, or resolved
// but held back by flap damping.
func (s *state) open() bool { return s.Status == string(Firing) || s.Status == statusResolving }

func (s *state) event(st Status) Event {
	ev := Event{ID: NewEventID(), Status: st, Severity: s.Severity, Kind: s.Kind, Fingerprint: s.Fingerprint,
		Job: s.Job, Target: s.Target, Operation: s.Operation, Summary: s.Summary,
		Changes: append([]Change{}, s.Changes...), RunID: s.RunID, ReportURL: s.ReportURL, StartedAt: s.StartedAt,
		Flaps: s.Flaps}
	if st == Resolved {
		ev.EndsAt = s.ResolvedAt
		ev.Summary = "resolved: " + s.Summary
		if s.Flaps > 0 {
			ev.Summary += fmt.Sprintf(" (flapped %d times)", s.Flaps)
		}
	}
	return ev
}

// NewEventID returns a fresh notification id: "evt_" and 128 random bits.
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "evt_" + hex.EncodeToString(b[:])
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

// fingerprint is a stable, opaque id for its parts (128 bits of SHA-256).
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func contractKey(job, target, op string, sev Severity) string {
	return "contract|" + job + "|" + target + "|" + op + "|" + string(sev)
}

func unavailableKey(job, target string) string { return "unavailable|" + job + "|" + target }

func configKey(job, target string) string { return "config|" + job + "|" + target }

func harnessKey(job string) string { return "harness|" + job }

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
		if !c.Verdict.Judged() {
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
			sev := d.Severity.Alert()
			fp := d.Fingerprint
			if fp == "" {
				fp = fingerprint("drift", c.Operation, d.Pointer, string(d.Change))
			}
			add(sev, fp, Change{Pointer: d.Pointer, Change: string(d.Change), Severity: d.Severity})
			breaking = breaking || sev == Critical
		}
		if c.Verdict != verdict.Broken || breaking {
			continue
		}
		sev := c.Verdict.Alert()
		// A broken contract without breaking drift: identify it by what was
		// violated, never by values or messages that change from run to run.
		if len(c.Violations) == 0 {
			add(sev, fingerprint(string(verdict.Broken), c.Operation, c.CheckID), Change{Change: string(verdict.Broken), Severity: verdict.Breaking})
		}
		for _, v := range c.Violations {
			add(sev, fingerprint("violation", c.Operation, v.Pointer, v.Keyword),
				Change{Pointer: v.Pointer, Change: "violation:" + v.Keyword, Severity: verdict.Breaking})
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
// the transitions together with their outbox rows, and returns the events.
// On error nothing is persisted and no event returned; the next run retries
// the same transitions.
//
// Rules: a broken contract or breaking drift fires critical at once, warning
// drift warning, info drift info, one alert per (job, operation, severity)
// whose changes are listed in the event; a firing alert gaining a change it
// did not have is re-sent (same fingerprint), losing some only updates it;
// it resolves on the first run that observed the operation without any
// change of that severity. An operation is observed only when at least one of
// its checks judged a response and none was unavailable, config or errored;
// skipped checks are ignored. Unavailability fires critical after
// UnavailableAfter consecutive unavailable runs, once per (job, target). A
// run whose verdict is config fires the (job, target) config alert at once
// and judges nothing else; ErrorAfter consecutive error runs fire the job's
// harness alert; both resolve on the next run of another kind. With a flap
// window, a resolve is held back and an alert firing again within the window
// stays the same incident. Every open alert the run did not notify about is
// refreshed (for receivers that expire alerts).
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
	p := &pass{e: e, states: states, changed: map[string]*state{}, notified: map[string]bool{}, now: now,
		started: started.UTC().Truncate(time.Second), out: out}

	cause := out.Cause
	switch v {
	case verdict.Error:
		p.counter(harnessKey(out.Job), true, e.errorAfter, func() *state {
			return &state{Kind: KindHarness, Job: out.Job, Target: out.Target, Severity: verdict.Error.Alert(),
				Fingerprint: fingerprint(string(KindHarness), out.Job)}
		}, func(n int) string {
			s := fmt.Sprintf("harness failing: %d consecutive runs of job %s ended in error", n, out.Job)
			if cause != "" {
				s += ": " + cause
			}
			return s
		})
	case verdict.Config:
		p.counter(harnessKey(out.Job), false, 0, nil, nil)
		p.counter(configKey(out.Job, out.Target), true, 1, func() *state {
			return &state{Kind: KindConfig, Job: out.Job, Target: out.Target, Severity: verdict.Config.Alert(),
				Fingerprint: fingerprint(string(KindConfig), out.Job, out.Target)}
		}, func(int) string {
			if cause == "" {
				cause = "set-up problem: the run could not check the contract"
			}
			return fmt.Sprintf("%s (job %s, target %s)", cause, out.Job, out.Target)
		})
	default:
		p.counter(harnessKey(out.Job), false, 0, nil, nil)
		p.counter(configKey(out.Job, out.Target), false, 0, nil, nil)
		p.contract()
	}
	p.sweep(out.Job)
	p.refreshAndRemind(out.Job)
	events, err := e.save(ctx, out.Job, p.changed, p.events)
	if err != nil {
		return nil, err
	}
	return events, nil
}

// pass is one Observe or Sweep in progress.
type pass struct {
	e        *Engine
	states   map[string]*state
	changed  map[string]*state
	notified map[string]bool // keys that got an event in this pass
	events   []Event
	now      time.Time
	started  time.Time
	out      RunOutcome
}

func (p *pass) emit(key string, st *state, ev Event) {
	if ev.Status == Firing && p.out.ExpiresAfter > 0 {
		ev.ExpiresAt = p.now.Add(p.out.ExpiresAfter).UTC().Truncate(time.Second)
	}
	p.events = append(p.events, ev)
	p.changed[key], p.notified[key] = st, true
}

// fire opens (or keeps open) the alert at key. A new incident notifies; an
// alert still open within the flap window only counts a flap, unless it
// gained a change (news), which re-sends it.
func (p *pass) fire(key string, st *state, grew bool) {
	p.changed[key] = st
	switch st.Status {
	case statusResolving:
		st.Status, st.ResolvingSince = string(Firing), time.Time{}
		st.Flaps++
		if grew {
			st.LastNotified = p.now
			p.emit(key, st, st.event(Firing))
		}
	case string(Firing):
		switch {
		case grew:
			st.LastNotified = p.now
			p.emit(key, st, st.event(Firing))
		case p.e.reminderDue(st, p.now):
			st.LastNotified = p.now
			ev := st.event(Firing)
			ev.Reminder = true
			p.emit(key, st, ev)
		}
	default:
		st.Status, st.StartedAt, st.FirstFired, st.LastNotified = string(Firing), p.started, p.now, p.now
		st.ResolvedAt, st.ResolvingSince, st.Acknowledged, st.Flaps = time.Time{}, time.Time{}, false, 0
		p.emit(key, st, st.event(Firing))
	}
}

// resolve closes a firing alert, or holds its resolve for the flap window.
func (p *pass) resolve(key string, st *state) {
	p.changed[key] = st
	st.RunID, st.ReportURL = p.out.RunID, p.out.ReportURL
	if p.e.flapWindow > 0 {
		st.Status, st.ResolvingSince = statusResolving, p.now
		return
	}
	st.Status, st.ResolvedAt = string(Resolved), p.now
	p.emit(key, st, st.event(Resolved))
}

// sweep sends the held-back resolves of job whose flap window is over.
func (p *pass) sweep(job string) {
	for _, k := range sortedKeys(p.states) {
		st := p.states[k]
		if st.Job != job || st.Status != statusResolving || p.now.Sub(st.ResolvingSince) < p.e.flapWindow {
			continue
		}
		st.Status, st.ResolvedAt = string(Resolved), st.ResolvingSince
		p.emit(k, st, st.event(Resolved))
	}
}

// refreshAndRemind re-sends job's open alerts this pass did not notify
// about: a reminder when one is due, else a refresh for receivers that
// expire alerts.
func (p *pass) refreshAndRemind(job string) {
	for _, k := range sortedKeys(p.states) {
		st := p.states[k]
		if st.Job != job || !st.open() || p.notified[k] {
			continue
		}
		ev := st.event(Firing)
		if st.Status == string(Firing) && p.e.reminderDue(st, p.now) {
			st.LastNotified = p.now
			ev.Reminder = true
			p.emit(k, st, ev)
			continue
		}
		if p.out.RunID == "" {
			continue // a sweep between runs refreshes nothing
		}
		// A refresh changes no state: append it without marking st changed.
		ev.Refresh = true
		if p.out.ExpiresAfter > 0 {
			ev.ExpiresAt = p.now.Add(p.out.ExpiresAfter).UTC().Truncate(time.Second)
		}
		p.events = append(p.events, ev)
	}
}

// counter drives an alert that fires after `after` consecutive hits and
// resolves on the first miss. newState and summary are only used on a hit.
func (p *pass) counter(key string, hit bool, after int, newState func() *state, summary func(int) string) {
	st := p.states[key]
	if st == nil {
		if !hit {
			return
		}
		st = newState()
		st.Status = string(Resolved)
		p.states[key] = st
	}
	if !hit {
		if st.Consecutive == 0 && st.Status != string(Firing) {
			return
		}
		st.Consecutive = 0
		if st.Status == string(Firing) {
			p.resolve(key, st)
		} else if st.Status == statusPending {
			st.Status = string(Resolved)
			p.changed[key] = st
		}
		return
	}
	st.Consecutive++
	st.Summary = summary(st.Consecutive)
	st.RunID, st.ReportURL = p.out.RunID, p.out.ReportURL
	p.changed[key] = st
	if st.open() || st.Consecutive >= after {
		p.fire(key, st, false)
		return
	}
	st.Status = statusPending
}

// contract applies a run that reached the vendor: per-operation contract
// alerts, then the job's unavailability counter.
func (p *pass) contract() {
	out := p.out
	ops, ran, unavailableOps := observe(out)
	for _, op := range sortedKeys(ops) {
		o := ops[op]
		if !o.definitive || o.blocked {
			continue
		}
		for _, sev := range Severities() {
			key := contractKey(out.Job, out.Target, op, sev)
			st := p.states[key]
			items := sortedItems(o.groups[sev])
			if len(items) == 0 {
				if st != nil && st.Status == string(Firing) {
					p.resolve(key, st)
				}
				continue
			}
			if st == nil {
				st = &state{Kind: KindContract, Job: out.Job, Target: out.Target, Operation: op, Severity: sev,
					Fingerprint: fingerprint(string(KindContract), out.Job, out.Target, op, string(sev))}
				p.states[key] = st
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
			p.fire(key, st, grew)
		}
	}
	if ran || out.Unavailable {
		p.counter(unavailableKey(out.Job, out.Target), out.Unavailable, p.e.unavailableAfter, func() *state {
			return &state{Kind: KindUnavailable, Job: out.Job, Target: out.Target, Severity: verdict.Unavailable.Alert(),
				Fingerprint: fingerprint(string(KindUnavailable), out.Job, out.Target)}
		}, func(n int) string {
			s := unavailableSummary(out.Job, out.Target, n, unavailableOps)
			if out.Cause != "" {
				s += ": " + out.Cause
			}
			return s
		})
	}
}

// Sweep sends the resolves that flap damping held back once their window is
// over, for every job, without waiting for the job's next run (a job that
// runs hourly would otherwise resolve an hour late).
func (e *Engine) Sweep(ctx context.Context) ([]Event, error) {
	if e.flapWindow <= 0 {
		return nil, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	states, err := e.load(ctx, "")
	if err != nil {
		return nil, err
	}
	byJob := map[string]map[string]*state{}
	for k, st := range states {
		if byJob[st.Job] == nil {
			byJob[st.Job] = map[string]*state{}
		}
		byJob[st.Job][k] = st
	}
	var all []Event
	for _, job := range sortedKeys(byJob) {
		p := &pass{e: e, states: byJob[job], changed: map[string]*state{}, notified: map[string]bool{}, now: e.now()}
		p.sweep(job)
		evs, err := e.save(ctx, job, p.changed, p.events)
		if errors.Is(err, history.ErrNotLeaseHolder) {
			continue // another replica leads this job and sweeps it
		}
		if err != nil {
			return all, err
		}
		all = append(all, evs...)
	}
	return all, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

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

// save persists the changed states and the events' outbox rows in one
// transaction and returns the events.
func (e *Engine) save(ctx context.Context, job string, changed map[string]*state, events []Event) ([]Event, error) {
	if len(changed) == 0 && len(events) == 0 {
		return nil, nil
	}
	docs := make(map[string]json.RawMessage, len(changed))
	for k, st := range changed {
		b, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("alert: encode state %s: %w", k, err)
		}
		docs[k] = b
	}
	var notes []history.Notification
	if e.notify != nil && len(events) > 0 {
		var err error
		if notes, err = e.notify(events); err != nil {
			return nil, fmt.Errorf("alert: outbox rows of job %s: %w", job, err)
		}
	}
	if err := e.store.SaveAlerts(ctx, job, docs, notes); err != nil {
		return nil, fmt.Errorf("alert: save state of job %s: %w", job, err)
	}
	return events, nil
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
	n := 0
	_, err := e.update(ctx, m, func(st *state, _ time.Time) (Event, bool) {
		st.Acknowledged = true
		n++
		return Event{}, true
	})
	return n, err
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
		if st.open() {
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
		if !st.open() || !m.matches(st) {
			continue
		}
		if ev, ok := fn(st, now); ok {
			changed[k] = st
			if ev.Status != "" {
				events = append(events, ev)
			}
		}
	}
	if _, err := e.save(ctx, m.Job, changed, events); err != nil {
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
