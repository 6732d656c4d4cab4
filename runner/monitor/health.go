package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

// health is what /healthz reports besides the store answering reads: the
// last write to the store (or to the run folders beside it), and when each
// job last ticked.
type health struct {
	now func() time.Time

	mu         sync.Mutex
	storeErr   string // the last failed write, until a write succeeds again
	storeErrAt time.Time
	selfFiring bool // "monitor cannot record runs" was sent and not yet resolved
	lastTick   map[string]time.Time
}

func newHealth(now func() time.Time) *health {
	return &health{now: now, lastTick: map[string]time.Time{}}
}

func (h *health) ticked(job string) {
	h.mu.Lock()
	h.lastTick[job] = h.now()
	h.mu.Unlock()
}

// monitorFingerprint identifies the monitor's own alerts for its store.
func (m *Monitor) monitorFingerprint(kind alert.Kind) string {
	sum := sha256.Sum256([]byte(string(kind) + "\x00" + history.DisplayStore(m.cfg.Store)))
	return hex.EncodeToString(sum[:16])
}

// storeFailed counts a failed write of the history (the store or the run
// folders), makes /healthz fail, and pages "monitor cannot record runs" once
// per incident, directly: the outbox lives in the store that is failing.
func (m *Monitor) storeFailed(op string, err error) {
	msg := m.red.Text(oneline.Collapse(err.Error(), 240))
	m.metrics.storeErrors.WithLabelValues(op).Inc()
	m.log.Error("monitor cannot record runs", "operation", op, "err", msg)
	h := m.health
	h.mu.Lock()
	h.storeErr, h.storeErrAt = op+": "+msg, h.now()
	page := !h.selfFiring
	h.selfFiring = true
	h.mu.Unlock()
	if page {
		m.disp.SendDirect(nil, alert.Event{Status: alert.Firing, Severity: alert.Critical, Kind: alert.KindMonitor,
			Fingerprint: m.monitorFingerprint(alert.KindMonitor), Target: history.DisplayStore(m.cfg.Store), StartedAt: m.now().UTC().Truncate(time.Second),
			Summary: fmt.Sprintf("monitor cannot record runs: %s: %s (store %s)", op, msg, history.DisplayStore(m.cfg.Store))})
	}
}

// storeOK records a successful write of a run; it resolves the monitor's
// own alert if one was sent.
func (m *Monitor) storeOK() {
	h := m.health
	h.mu.Lock()
	resolve := h.selfFiring
	since := h.storeErrAt
	h.storeErr, h.selfFiring = "", false
	h.mu.Unlock()
	if resolve {
		m.log.Info("monitor records runs again")
		m.disp.SendDirect(nil, alert.Event{Status: alert.Resolved, Severity: alert.Critical, Kind: alert.KindMonitor,
			Fingerprint: m.monitorFingerprint(alert.KindMonitor), Target: history.DisplayStore(m.cfg.Store),
			StartedAt: since.UTC().Truncate(time.Second), EndsAt: m.now().UTC().Truncate(time.Second),
			Summary: "resolved: monitor records runs again (store " + history.DisplayStore(m.cfg.Store) + ")"})
	}
}

// probeWrite checks that the folder of the store and the run folders takes
// a synced write: SQLite may keep committing into WAL space it already has
// while the disk is full, and run outputs go there with any store.
func (m *Monitor) probeWrite() error {
	path := filepath.Join(filepath.Dir(m.runsDir), ".mmcontract-healthz")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	_, werr := f.Write(make([]byte, 4096))
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// healthProblems lists what is wrong, empty when healthy.
func (m *Monitor) healthProblems(ctx context.Context) []string {
	var problems []string
	if _, err := m.store.Runs(ctx, history.Filter{Last: 1}); err != nil {
		problems = append(problems, "store: unreadable: "+m.red.Text(oneline.Collapse(err.Error(), 200)))
	}
	if err := m.probeWrite(); err != nil {
		problems = append(problems, "store: its folder takes no writes: "+m.red.Text(oneline.Collapse(err.Error(), 200)))
	}
	h := m.health
	h.mu.Lock()
	if h.storeErr != "" {
		problems = append(problems, "store: last write failed: "+h.storeErr)
	}
	now := h.now()
	for _, j := range m.cfg.Jobs {
		sched, err := ParseSchedule(j.Schedule)
		if err != nil {
			continue
		}
		last, ok := h.lastTick[j.Name]
		if !ok {
			last = m.started
		}
		// Due at sched.Next(last); a tick starts within its jitter and a
		// minute of slack.
		if due := sched.Next(last).Add(j.Jitter.D() + time.Minute); now.After(due) {
			problems = append(problems, fmt.Sprintf("scheduler: job %s has not ticked since %s", j.Name, last.UTC().Format(time.RFC3339)))
		}
	}
	h.mu.Unlock()
	stats, err := m.store.OutboxStats(ctx)
	if err != nil {
		problems = append(problems, "outbox: unreadable: "+m.red.Text(oneline.Collapse(err.Error(), 200)))
	}
	for _, name := range slices.Sorted(maps.Keys(stats)) {
		st := stats[name]
		if st.Pending > 0 && now.Sub(st.OldestPending) > m.cfg.Health.MaxOutboxAge.D() {
			problems = append(problems, fmt.Sprintf("outbox: %d notification(s) to %s pending since %s", st.Pending, name,
				st.OldestPending.Format(time.RFC3339)))
		}
	}
	return problems
}

// startLoops starts the monitor's own goroutines: the flap-damping sweep
// and the watchdog. They stop when shutdown begins.
func (m *Monitor) startLoops() {
	m.loop(LeaseRenew, func() { m.leases.renew(context.Background()) })
	if fw := m.cfg.Alerting.FlapWindow; fw != nil && fw.D() > 0 {
		every := min(max(fw.D()/5, time.Second), 30*time.Second)
		m.loop(every, func() {
			// Sweep skips the jobs another replica leads (their saves are
			// refused by the lease fence).
			events, err := m.engine.Sweep(context.Background())
			if err != nil {
				m.storeFailed("save alert state", err)
				return
			}
			m.queued(context.Background(), events)
		})
	}
	wd := m.cfg.Alerting.Watchdog
	if wd.On() && len(wd.Receivers) > 0 {
		beat := func() {
			now := m.now().UTC().Truncate(time.Second)
			m.disp.SendDirect(wd.Receivers, alert.Event{Status: alert.Firing, Severity: alert.Info, Kind: alert.KindWatchdog,
				Fingerprint: m.monitorFingerprint(alert.KindWatchdog), Target: history.DisplayStore(m.cfg.Store),
				StartedAt: m.started.UTC().Truncate(time.Second), ExpiresAt: now.Add(3 * wd.Interval.D()),
				Summary: "mmcontract monitor is alive: this alert always fires; its absence means the monitor stopped"})
		}
		beat()
		m.loop(wd.Interval.D(), beat)
	}
}

func (m *Monitor) loop(every time.Duration, fn func()) {
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.stopping:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// HTTP server limits: a slow or idle client cannot hold a connection, and
// no request can make the monitor read much. Every endpoint is a GET.
const (
	maxHeaderBytes = 16 << 10
	maxBodyBytes   = 64 << 10
)

func newHTTPServer(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a large report renders in well under a second
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errLog,
	}
}
