package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/receivers"
	"github.com/mmcontract/mmcontract/runner/history"
)

// Options configure a Monitor. Only Config is required.
type Options struct {
	Config *Config
	// Executable is the mmcontract binary each tick runs as a child process;
	// default os.Executable(). Tests pass the binary they built.
	Executable string
	// Runner replaces the child process runner (benchmarks of the scheduling
	// and storage path). When set, Executable is unused.
	Runner JobRunner
	// Listener is a pre-bound listener for the HTTP server; default: listen
	// on Config.Listen.
	Listener net.Listener
	// Grace overrides Config.ShutdownGrace when positive.
	Grace time.Duration
	// Logger receives the monitor's log; default slog to stderr.
	Logger *slog.Logger
	// Redactor scrubs stored text and alerts; default redact.DefaultConfig().
	// The monitor teaches it every secret of the configuration.
	Redactor *redact.Redactor
	// HTTPClient fetches spec-watch sources; default a client bounded by the
	// job's timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Replica names this monitor among the replicas of one PostgreSQL
	// store; default history.NewReplicaID() (host, pid, random).
	Replica string
}

// Monitor schedules the configured jobs, records their runs, raises alerts
// and serves the HTTP endpoints. Create it with New, then call Run once.
type Monitor struct {
	cfg      *Config
	log      *slog.Logger
	red      *redact.Redactor
	now      func() time.Time
	store    *history.Store
	engine   *alert.Engine
	disp     *alert.Dispatcher
	runner   JobRunner
	metrics  *metrics
	runsDir  string
	grace    time.Duration
	ln       net.Listener
	web      *web
	specHTTP *http.Client

	// stopping is closed when shutdown begins: jittered ticks that have not
	// started give up, and no run starts.
	stopping chan struct{}
	// runCtx is what children run under; it is cancelled only when the
	// shutdown grace period is over.
	runCtx    context.Context
	cancelRun context.CancelFunc
	// active counts ticks in progress, so shutdown can wait for them
	// independently of cron (a tick may also be started by a test).
	active    sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	pruneMu   sync.Mutex
	health    *health
	started   time.Time
	// loops are the monitor's own goroutines (flap sweep, watchdog, leases).
	loops  sync.WaitGroup
	leases *leases
}

// New opens the history store, builds the alert engine and dispatcher from
// the configuration and binds the HTTP listener. It starts nothing; Run does.
func New(ctx context.Context, opts Options) (*Monitor, error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, errors.New("monitor: nil config")
	}
	m := &Monitor{cfg: cfg, log: opts.Logger, red: opts.Redactor, now: opts.Now, runner: opts.Runner,
		grace: cfg.ShutdownGrace.D(), specHTTP: opts.HTTPClient, stopping: make(chan struct{})}
	if m.log == nil {
		m.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if m.red == nil {
		m.red = redact.New(redact.DefaultConfig())
	}
	if m.now == nil {
		m.now = time.Now
	}
	if opts.Grace > 0 {
		m.grace = opts.Grace
	}
	learnSecrets(m.red, cfg)
	if m.runner == nil {
		exe := opts.Executable
		if exe == "" {
			var err error
			if exe, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("monitor: locating the mmcontract binary for child runs: %w", err)
			}
		}
		m.runner = childRunner{Executable: exe}
	}
	m.runCtx, m.cancelRun = context.WithCancel(context.Background())

	replica := opts.Replica
	if replica == "" {
		replica = history.NewReplicaID()
	}
	store, err := history.Open(ctx, cfg.Store, history.WithRedactor(m.red), history.WithClock(m.now),
		history.WithReplica(replica))
	if err != nil {
		m.cancelRun()
		return nil, fmt.Errorf("monitor: %w", err)
	}
	m.store = store
	if n := store.Recovered(); n > 0 {
		m.log.Warn("runs left in flight by a previous monitor marked interrupted", "runs", n)
	}
	m.runsDir = filepath.Join(filepath.Dir(cfg.Store), "runs")
	if store.Postgres() {
		// No file to sit beside: each replica keeps the outputs of the runs
		// it ran in its working directory.
		if m.runsDir, err = filepath.Abs(PostgresRunsDir); err != nil {
			m.cancelRun()
			_ = store.Close()
			return nil, fmt.Errorf("monitor: run folder: %w", err)
		}
	}
	fail := func(err error) (*Monitor, error) {
		m.cancelRun()
		_ = store.Close()
		return nil, err
	}
	notifiers := map[string]alert.Notifier{}
	timeouts := map[string]time.Duration{}
	for i, rc := range cfg.Alerting.Receivers {
		n, err := receivers.New(rc)
		if err != nil {
			return fail(receiverErr(fmt.Sprintf("alerting.receivers[%d]", i), err))
		}
		notifiers[rc.Name], timeouts[rc.Name] = n, rc.Timeout()
	}
	m.health = newHealth(m.now)
	m.started = m.now()
	m.disp, err = alert.NewDispatcher(alert.DispatcherConfig{Notifiers: notifiers, Routes: cfg.Alerting.Routes,
		Store: store, Timeouts: timeouts, MaxBackoff: cfg.Alerting.MaxBackoff.D(), Redactor: m.red, Logger: m.log,
		Now: m.now, OnStoreError: func(err error) { m.storeFailed("outbox", err) }})
	if err != nil {
		return fail(fmt.Errorf("monitor: %w", err))
	}
	var flap time.Duration
	if cfg.Alerting.FlapWindow != nil {
		flap = cfg.Alerting.FlapWindow.D()
	}
	m.engine, err = alert.NewEngine(store, alert.Config{UnavailableAfter: cfg.Alerting.UnavailableAfter,
		ErrorAfter: cfg.Alerting.ErrorAfter, RemindEvery: cfg.Alerting.Reminder.D(), FlapWindow: flap,
		Notify: m.disp.Notifications, Now: m.now})
	if err != nil {
		_ = m.disp.Stop(ctx)
		return fail(fmt.Errorf("monitor: %w", err))
	}
	m.metrics = newMetrics(m.disp, store, func(err error) { m.storeFailed("outbox stats", err) })
	m.leases = &leases{store: store, jobs: jobNames(cfg), gauge: m.metrics.leader, held: map[string]bool{},
		onErr: func(err error) { m.storeFailed("lease", err) },
		log:   func(msg string, args ...any) { m.log.Info(msg, append(args, "replica", replica)...) }}
	// Before the first tick: a lone replica schedules from its first tick.
	m.leases.renew(ctx)
	m.ln = opts.Listener
	if m.ln == nil {
		if m.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			_ = m.disp.Stop(ctx)
			return fail(&ConfigError{Key: "listen", Err: err})
		}
	}
	m.web = newWeb(m)
	m.refreshFiring(ctx)
	return m, nil
}

// learnSecrets teaches the redactor every secret the configuration holds,
// so none can reach the store, a log line or an alert.
func learnSecrets(r *redact.Redactor, cfg *Config) {
	r.Learn(cfg.AuthToken, history.StorePassword(cfg.Store))
	for _, t := range cfg.Targets {
		r.Learn(t.LoginPassword, t.Token, t.AppSecret, t.APISecret, t.Auth2AppSecret)
	}
	for _, rc := range cfg.Alerting.Receivers {
		r.Learn(rc.Secrets()...)
	}
}

// Addr is the HTTP server's bound address, e.g. 127.0.0.1:9464.
func (m *Monitor) Addr() string { return m.ln.Addr().String() }

// Handler returns the HTTP handler: /metrics, /healthz, /, /history and
// /runs/<id>/<file>.
func (m *Monitor) Handler() http.Handler { return m.web.handler }

// Store returns the history store (open until Run returns).
func (m *Monitor) Store() *history.Store { return m.store }

// Run serves HTTP and runs the schedules until ctx is done, then shuts down
// gracefully: it stops scheduling, lets a running child finish within the
// grace period (then stops it), drains the alert queue within the grace
// period, and closes the store. A clean shutdown returns nil.
func (m *Monitor) Run(ctx context.Context) error {
	srv := newHTTPServer(m.web.handler, slog.NewLogLogger(m.log.Handler(), slog.LevelWarn))
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(m.ln) }()

	c := newCron(func(format string, args ...any) { m.log.Error(fmt.Sprintf(format, args...)) })
	for i := range m.cfg.Jobs {
		j := &m.cfg.Jobs[i]
		if j.Kind == "feed" {
			continue // runs continuously: startFeeds
		}
		sched, err := ParseSchedule(j.Schedule)
		if err != nil { // validated already; a config built in code may skip that
			_ = srv.Close()
			m.shutdown(ctx)
			return &ConfigError{Key: fmt.Sprintf("jobs[%d].schedule", i), Err: err}
		}
		job := cron.NewChain(skipIfStillRunning(func() { m.recordSkipped(j) })).Then(cron.FuncJob(func() { m.Tick(j.Name) }))
		c.Schedule(sched, job)
	}
	c.Start()
	m.startLoops()
	m.startFeeds()
	m.log.Info("monitor started", "listen", m.Addr(), "jobs", len(m.cfg.Jobs), "store", history.DisplayStore(m.cfg.Store))

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("monitor: http: %w", err)
	}
	m.log.Info("monitor stopping", "grace", m.grace)
	close(m.stopping)
	cronDone := c.Stop()
	m.waitRuns(cronDone)
	m.loops.Wait()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = srv.Shutdown(shutCtx)
	cancel()
	if cerr := m.shutdown(context.Background()); err == nil {
		err = cerr
	}
	m.log.Info("monitor stopped")
	return err
}

// waitRuns waits for the ticks in progress for the grace period, then stops
// their children and waits for them to go.
func (m *Monitor) waitRuns(cronDone context.Context) {
	done := make(chan struct{})
	go func() {
		<-cronDone.Done()
		m.active.Wait()
		close(done)
	}()
	t := time.NewTimer(m.grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
		m.log.Warn("shutdown grace period over: stopping the running child", "grace", m.grace)
		m.cancelRun()
	}
	<-done
}

// shutdown stops the dispatcher (draining within the grace period) and
// closes the store. It is idempotent.
func (m *Monitor) shutdown(ctx context.Context) error {
	m.closeOnce.Do(func() {
		m.cancelRun()
		dctx, cancel := context.WithTimeout(ctx, m.grace)
		defer cancel()
		var errs []error
		if err := m.leases.release(dctx); err != nil {
			m.log.Warn("leases not released; a standby takes over when they expire", "err", err)
		}
		if err := m.disp.Stop(dctx); err != nil {
			m.log.Warn("alerts left undelivered at shutdown", "err", err)
		}
		if m.ln != nil {
			_ = m.ln.Close()
		}
		if err := m.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("monitor: closing the store: %w", err))
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

// Close releases what New acquired, for a Monitor whose Run was never
// called. After Run it does nothing.
func (m *Monitor) Close() error { return m.shutdown(context.Background()) }

func (m *Monitor) stopped() bool {
	select {
	case <-m.stopping:
		return true
	default:
		return false
	}
}

// job returns the configured job named name.
func (m *Monitor) job(name string) (*Job, bool) {
	for i := range m.cfg.Jobs {
		if m.cfg.Jobs[i].Name == name {
			return &m.cfg.Jobs[i], true
		}
	}
	return nil, false
}

// Tick runs one tick of the named job now: jitter, the run, its history,
// metrics and alerts, then retention. The scheduler calls it; so can tests.
// It never runs during or after shutdown.
func (m *Monitor) Tick(name string) {
	j, ok := m.job(name)
	if !ok || m.stopped() {
		return
	}
	m.active.Add(1)
	defer m.active.Done()
	m.health.ticked(j.Name)
	if !m.leases.holds(j.Name) {
		return // another replica schedules this job
	}
	if j.Jitter > 0 {
		d := time.Duration(rand.Int64N(int64(j.Jitter)))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-m.stopping:
			t.Stop()
			return
		}
	}
	if m.stopped() {
		return
	}
	ctx := context.Background() // store writes outlive the run context
	switch j.Kind {
	case "feed":
		return // runs continuously (startFeeds), never per tick
	case "spec":
		m.runSpec(ctx, j)
	default:
		m.runSuite(ctx, j)
	}
	m.prune(ctx)
}

func (m *Monitor) recordSkipped(j *Job) {
	m.health.ticked(j.Name)
	if !m.leases.holds(j.Name) {
		return
	}
	m.metrics.skipped.WithLabelValues(j.Name).Inc()
	reason := "skipped: the previous run of this job was still running"
	if _, err := m.store.RecordSkipped(context.Background(), j.Name, m.targetOf(j), m.now(), reason); err != nil {
		m.storeFailed("record skipped tick", err)
		return
	}
	m.log.Warn("tick skipped: previous run still running", "job", j.Name)
}

// targetOf is the target name recorded for a job's runs.
func (m *Monitor) targetOf(j *Job) string {
	if j.Kind == "spec" {
		return "spec:" + j.Family
	}
	return j.Target
}

func (m *Monitor) reportURL(runID, file string) string {
	return "http://" + m.Addr() + "/runs/" + runID + "/" + file
}

// runSuite runs a suite job as a child and records everything it learnt.
// Every way a run ends is recorded and fed to the alert engine as its kind:
// results (contract, drift, unavailability), a job timeout (unavailable), a
// set-up problem (config), or our own failure (error, paging as harness).
func (m *Monitor) runSuite(ctx context.Context, j *Job) {
	t := m.cfg.Targets[j.Target]
	started := m.now()
	runID, err := m.store.BeginRun(ctx, j.Name, j.Target, started)
	if err != nil {
		m.storeFailed("begin run", err)
		m.log.Error("cannot record the run; skipping the tick", "job", j.Name, "err", m.red.Text(err.Error()))
		return
	}
	outDir := filepath.Join(m.runsDir, runID)
	args := childArgs(j, t)
	if m.cfg.RedactConfig != "" {
		args = append(args, "--redact-config", m.cfg.RedactConfig)
	}
	req := RunRequest{Job: j.Name, RunID: runID, OutDir: outDir, Args: args, Env: childEnv(t),
		Timeout: j.Timeout.D()}
	res := m.runner.RunJob(m.runCtx, req)
	elapsed := m.now().Sub(started)
	m.metrics.runDuration.WithLabelValues(j.Name).Observe(elapsed.Seconds())
	if res.RecordErr != nil {
		m.storeFailed("write the run folder", res.RecordErr)
	}
	out := alert.RunOutcome{Job: j.Name, Target: j.Target, RunID: runID, ReportURL: m.reportURL(runID, "report.html"),
		StartedAt: started, ExpiresAfter: m.expiresAfter(j)}
	firstErr := m.red.Text(res.FirstError)
	var v verdict.Verdict
	var note string
	switch {
	case res.TimedOut:
		v, note = verdict.Unavailable, fmt.Sprintf("run exceeded its timeout of %s and was stopped; counted as unavailable (the vendor answered too slowly or not at all)", j.Timeout.D())
		if firstErr != "" {
			note += ": " + firstErr
		}
		out.Unavailable = true
	case res.Config != nil:
		v, note = verdict.Config, m.red.Text(res.Config.Summary())
	case res.Err != nil:
		v, note = verdict.Error, m.red.Text(res.Err.Error())
		if firstErr != "" && !strings.Contains(note, firstErr) {
			note += ": " + firstErr
		}
	}
	out.Verdict, out.Cause = v, note
	if v != "" {
		m.metrics.runs.WithLabelValues(j.Name, string(v)).Inc()
		m.log.Error("run failed", "job", j.Name, "run", runID, "verdict", v, "err", note)
		var err error
		if res.HaveResults {
			err = m.store.FinishRunNote(ctx, runID, res.Results, outDir, res.ExitCode, note)
		} else {
			err = m.store.FailRunAs(ctx, runID, outDir, res.ExitCode, v, note)
		}
		if err != nil {
			m.storeFailed("finish run", err)
			return
		}
		m.storeOK()
		if !res.Stopped { // our own shutdown is nobody's page
			m.observe(ctx, out)
		}
		return
	}
	note = ""
	if res.Results.Verdict == verdict.Error && firstErr != "" {
		note = firstErr // the child's own harness error, in its words
	}
	if err := m.store.FinishRunNote(ctx, runID, res.Results, outDir, res.ExitCode, note); err != nil {
		m.storeFailed("finish run", err)
		m.log.Error("recording the run", "job", j.Name, "run", runID, "err", m.red.Text(err.Error()))
		return
	}
	m.storeOK()
	m.metrics.observeRun(j.Name, res.Results, m.now())
	ro := alert.OutcomeFromResults(j.Name, runID, out.ReportURL, res.Results)
	// Alerts name the configured target, not the URL results.json records.
	ro.Target, ro.Cause, ro.ExpiresAfter = j.Target, note, out.ExpiresAfter
	if ro.StartedAt.IsZero() {
		ro.StartedAt = started
	}
	m.observe(ctx, ro)
	m.log.Info("run finished", "job", j.Name, "run", runID, "verdict", res.Results.Verdict, "took", elapsed.Round(time.Millisecond))
}

// expiresAfter is how long a job's firing alerts stay valid without another
// run: two schedule intervals, the job timeout and a minute of slack. A
// receiver that expires alerts (Alertmanager) drops them after that, so a
// dead monitor leaves no page standing for long.
func (m *Monitor) expiresAfter(j *Job) time.Duration {
	sched, err := ParseSchedule(j.Schedule)
	if err != nil {
		return 0
	}
	now := m.now()
	next := sched.Next(now)
	interval := sched.Next(next).Sub(next)
	return 2*interval + j.Timeout.D() + time.Minute
}

// observe feeds a run to the alert engine, which queues its notifications
// in the outbox, and wakes the senders.
func (m *Monitor) observe(ctx context.Context, out alert.RunOutcome) {
	events, err := m.engine.Observe(ctx, out)
	if err != nil {
		m.storeFailed("save alert state", err)
		m.log.Error("alert engine", "job", out.Job, "run", out.RunID, "err", m.red.Text(err.Error()))
		return
	}
	m.queued(ctx, events)
}

// queued logs events already in the outbox and wakes the senders.
func (m *Monitor) queued(ctx context.Context, events []alert.Event) {
	pages := 0
	for _, ev := range events {
		if ev.Refresh {
			continue
		}
		pages++
		m.log.Info("alert", "status", ev.Status, "severity", ev.Severity, "kind", ev.Kind, "job", ev.Job,
			"fingerprint", ev.Fingerprint, "id", ev.ID, "reminder", ev.Reminder, "flaps", ev.Flaps,
			"summary", m.red.Text(ev.Summary))
	}
	if len(events) > 0 {
		m.disp.Wake()
	}
	if pages > 0 {
		m.refreshFiring(ctx)
	}
}

// saveAndQueue persists alert states of job and their events' outbox rows
// in one transaction (the spec-watch job's own alerts), then wakes the
// senders.
func (m *Monitor) saveAndQueue(ctx context.Context, job string, states map[string]json.RawMessage, events []alert.Event) error {
	for i := range events {
		if events[i].ID == "" {
			events[i].ID = alert.NewEventID() // logged with the id receivers see
		}
	}
	notes, err := m.disp.Notifications(events)
	if err != nil {
		return err
	}
	if err := m.store.SaveAlerts(ctx, job, states, notes); err != nil {
		m.storeFailed("save alert state", err)
		return err
	}
	m.queued(ctx, events)
	return nil
}

// refreshFiring sets the firing-alerts gauge from the engine's state.
func (m *Monitor) refreshFiring(ctx context.Context) {
	firing, err := m.engine.Firing(ctx, "")
	if err != nil {
		m.log.Error("reading firing alerts", "err", err)
		return
	}
	m.metrics.setFiring(firing)
}

// prune applies retention and deletes the output folders of removed runs.
// Only folders under the runs directory are deleted, whatever the store says.
func (m *Monitor) prune(ctx context.Context) {
	m.pruneMu.Lock()
	defer m.pruneMu.Unlock()
	p, err := m.store.Prune(ctx, m.cfg.Retention.MaxAge.D(), m.cfg.Retention.MaxRuns)
	if err != nil {
		m.storeFailed("retention", err)
		return
	}
	root := filepath.Clean(m.runsDir) + string(filepath.Separator)
	for _, dir := range p.OutDirs {
		if !strings.HasPrefix(filepath.Clean(dir)+string(filepath.Separator), root) || filepath.Clean(dir)+string(filepath.Separator) == root {
			m.log.Warn("retention: not deleting a run folder outside the runs directory", "dir", dir)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			m.log.Warn("retention: deleting a run folder", "dir", dir, "err", err)
		}
	}
	if p.Runs > 0 {
		m.log.Info("retention", "runs", p.Runs, "alert_states", p.AlertStates, "spec_versions", p.SpecVersions)
	}
}

// childArgs are the `mmcontract run` flags of a tick, after --out.
// Credentials are not among them: see childEnv.
func childArgs(j *Job, t Target) []string {
	args := []string{
		"--label-filter", j.LabelFilter,
		"--timeout", j.RequestTimeout.D().String(),
		"--flake-attempts", strconv.Itoa(j.FlakeAttempts),
		"--fail-on", failOnDefault,
	}
	if j.Baseline != "" {
		args = append(args, "--baseline", j.Baseline)
	}
	switch {
	case t.BaseURL != "":
		args = append(args, "--base-url", t.BaseURL)
	case t.Scenario != "":
		args = append(args, "--scenario", t.Scenario)
	}
	if t.Insecure {
		args = append(args, "--insecure")
	}
	return args
}

// passEnv are the monitor's own variables a child needs to work at all.
// Nothing else is inherited: a stray MM_BASE_URL in the monitor's
// environment must not redirect a job to another target, and the monitor's
// own MM_* credentials must never reach a child (least of all one that runs
// against the simulator).
var passEnv = []string{"PATH", "HOME", "TMPDIR", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"}

// childEnv carries a target's credentials to the child in MM_* variables,
// never on the command line, where ps would show them. The environment is
// built from the target's configuration only. A simulator target (no
// base_url) gets no MM_* variable at all: credentials configured for it
// would be sent to the simulator, and `run` refuses credentials without a
// target.
func childEnv(t Target) []string {
	var env []string
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if t.BaseURL == "" {
		return env
	}
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("MM_COMPANY_ID", t.CompanyID)
	add("MM_LOGIN_NAME", t.LoginName)
	add("MM_LOGIN_PASSWORD", t.LoginPassword)
	if t.LoginType > 0 {
		add("MM_LOGIN_TYPE", strconv.Itoa(t.LoginType))
	}
	add("MM_TOKEN", t.Token)
	add("MM_LANG", t.Lang)
	add("MM_APP_ID", t.AppID)
	add("MM_APP_SECRET", t.AppSecret)
	add("MM_API_KEY", t.APIKey)
	add("MM_API_SECRET", t.APISecret)
	add("MM_COMPANY_PUBLIC_KEY", t.CompanyPublicKey)
	add("MM_AUTH2_APP_ID", t.Auth2AppID)
	add("MM_AUTH2_APP_SECRET", t.Auth2AppSecret)
	add("MM_AUTH2_BASE_URL", t.Auth2BaseURL)
	if t.RatePerMinute > 0 {
		add("MM_RATE_PER_MINUTE", strconv.Itoa(t.RatePerMinute))
	}
	return env
}
