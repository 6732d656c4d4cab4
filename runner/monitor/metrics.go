package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

// metrics are the monitor's Prometheus series, on a registry of its own:
// the global one would mix in whatever else the process links and make
// two monitors in one test binary collide.
type metrics struct {
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	checks      *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	drift       *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	firing      *prometheus.GaugeVec
	skipped     *prometheus.CounterVec
	runDuration *prometheus.HistogramVec
	specChanges *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	leader      *prometheus.GaugeVec

	// Feed jobs. Round trips and gaps are histograms: many happen between
	// two scrapes, and a gauge would show only the last, hiding the spike an
	// SLO is about; a histogram keeps every one for quantiles and rates.
	// A gap is observed when it ends, so a feed that went silent shows in
	// wsLastPush (time() - it), and wsConnected says whether it is up.
	wsHeartbeat  *prometheus.HistogramVec
	wsPushGap    *prometheus.HistogramVec
	wsSeqGaps    *prometheus.CounterVec
	wsReconnects *prometheus.CounterVec
	wsConnected  *prometheus.GaugeVec
	wsLastPush   *prometheus.GaugeVec
}

func newMetrics(d *alert.Dispatcher, store outboxStats, storeErr func(error)) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_runs_total",
			Help: "Finished runs by job and verdict (error: the run itself failed, e.g. crashed or timed out)."},
			[]string{"job", "verdict"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_checks_total",
			Help: "Checks that ran, by vendor operation and verdict (specs a label filter skipped are not counted)."}, []string{"operation", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mmcontract_request_duration_seconds",
			Help: "Vendor response latency seen by checks, by operation.",
			// The vendor's own server limit is 15s; most answers take tens of ms.
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15}}, []string{"operation"}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_drift_events_total",
			Help: "Drift items found by checks, by severity (breaking, warning, info)."}, []string{"severity"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mmcontract_last_success_timestamp_seconds",
			Help: "Unix time of the job's last run that completed with nothing broken or unavailable (pass, flaky or drifted)."},
			[]string{"job"}),
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mmcontract_alerts_firing",
			Help: "Alerts currently firing, by severity."}, []string{"severity"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_skipped_ticks_total",
			Help: "Ticks skipped because the job's previous run was still running."}, []string{"job"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mmcontract_run_duration_seconds",
			Help:    "Wall time of whole runs, by job.",
			Buckets: []float64{1, 2.5, 5, 10, 30, 60, 120, 300, 600}}, []string{"job"}),
		specChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_spec_changes_total",
			Help: "Changes between successive valid versions of a watched vendor spec, by job and severity."},
			[]string{"job", "severity"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_store_errors_total",
			Help: "Failed writes or reads of the history store and run folders, by operation; each one also fails /healthz until a run is recorded again."},
			[]string{"operation"}),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mmcontract_replica_leader",
			Help: "1 when this replica holds the job's lease and schedules it, 0 when it stands by (another replica of the same store schedules it)."},
			[]string{"job"}),
		wsHeartbeat: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mmcontract_ws_heartbeat_seconds",
			Help:    "Quote feed heartbeat round trips (14008 sent to 14009 received), by feed job.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}}, []string{"job"}),
		wsPushGap: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mmcontract_ws_push_gap_seconds",
			Help:    "Time between consecutive quote pushes (the first after a subscription: from the previous connection's last push), by feed job.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}}, []string{"job"}),
		wsSeqGaps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_ws_sequence_gaps_total",
			Help: "Quote pushes whose seq is not the symbol's previous seq plus one (a skip or a repeat), by feed job."}, []string{"job"}),
		wsReconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mmcontract_ws_reconnects_total",
			Help: "Quote feed reconnections after a connection ended or could not be opened, by feed job."}, []string{"job"}),
		wsConnected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mmcontract_ws_connected",
			Help: "1 while the feed job's quote connection is open and subscribed, else 0."}, []string{"job"}),
		wsLastPush: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mmcontract_ws_last_push_timestamp_seconds",
			Help: "Unix time of the feed job's last quote push."}, []string{"job"}),
	}
	m.reg.MustRegister(m.runs, m.checks, m.latency, m.drift, m.lastSuccess, m.firing, m.skipped, m.runDuration,
		m.specChanges, m.storeErrors, m.leader, m.wsHeartbeat, m.wsPushGap, m.wsSeqGaps, m.wsReconnects, m.wsConnected, m.wsLastPush, deliveryCollector{d}, outboxCollector{store: store, err: storeErr, receivers: d.Receivers()},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, s := range alert.Severities() {
		m.firing.WithLabelValues(string(s)).Set(0)
	}
	return m
}

// observeRun counts a finished suite run's checks.
func (m *metrics) observeRun(job string, res results.Results, finished time.Time) {
	m.runs.WithLabelValues(job, string(res.Verdict)).Inc()
	if res.Verdict.Healthy() {
		m.lastSuccess.WithLabelValues(job).Set(float64(finished.UnixNano()) / 1e9)
	}
	for _, c := range res.Checks {
		// Skipped checks are the specs a label filter left out: counting
		// them would add a series per operation of the whole catalogue
		// for every job and say nothing about the vendor.
		if c.Verdict == verdict.Skipped {
			continue
		}
		m.checks.WithLabelValues(c.Operation, string(c.Verdict)).Inc()
		// A zero latency means "not measured" (no request was sent).
		if c.LatencyMS > 0 {
			m.latency.WithLabelValues(c.Operation).Observe(float64(c.LatencyMS) / 1000)
		}
		for _, d := range c.Drift {
			m.drift.WithLabelValues(string(d.Severity)).Inc()
		}
	}
}

func (m *metrics) setFiring(events []alert.Event) {
	counts := map[alert.Severity]int{}
	for _, ev := range events {
		counts[ev.Severity]++
	}
	for _, s := range alert.Severities() {
		m.firing.WithLabelValues(string(s)).Set(float64(counts[s]))
	}
}

// deliveryCollector exposes the dispatcher's counters at scrape time, so
// there is one source of truth for deliveries.
type deliveryCollector struct{ d *alert.Dispatcher }

var deliveriesDesc = prometheus.NewDesc("mmcontract_alert_deliveries_total",
	"Alert notification attempts by receiver and outcome: delivered, failed (refused for good, kept in the outbox as failed), retried (attempts after the first).",
	[]string{"receiver", "outcome"}, nil)

func (c deliveryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- deliveriesDesc }

func (c deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.d.Stats() {
		for outcome, v := range map[string]int64{"delivered": s.Delivered, "failed": s.Failed, "retried": s.Retries} {
			ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.CounterValue, float64(v), name, outcome)
		}
	}
}

// outboxStats is the store's outbox summary.
type outboxStats interface {
	OutboxStats(ctx context.Context) (map[string]history.OutboxStat, error)
}

// outboxCollector reads the outbox at scrape time: the rows are the truth,
// there is no counter to drift from them.
type outboxCollector struct {
	store     outboxStats
	err       func(error)
	receivers []string // always exported, 0 until a row exists
}

var (
	outboxPendingDesc = prometheus.NewDesc("mmcontract_alert_outbox_pending",
		"Alert notifications waiting in the outbox for delivery, by receiver.", []string{"receiver"}, nil)
	outboxAgeDesc = prometheus.NewDesc("mmcontract_alert_outbox_oldest_pending_age_seconds",
		"Age of the oldest notification waiting for delivery, by receiver (0 when none waits).", []string{"receiver"}, nil)
)

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxAgeDesc
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := c.store.OutboxStats(ctx)
	if err != nil {
		c.err(err)
		return
	}
	now := time.Now()
	for _, name := range c.receivers {
		if _, ok := stats[name]; !ok {
			stats[name] = history.OutboxStat{}
		}
	}
	for name, st := range stats {
		age := 0.0
		if st.Pending > 0 {
			age = max(now.Sub(st.OldestPending).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(st.Pending), name)
		ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, age, name)
	}
}
