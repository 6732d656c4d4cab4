package alert

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
)

// Route sends events to a receiver, optionally only some severities.
type Route struct {
	Receiver   string     `yaml:"receiver"`
	Severities []Severity `yaml:"severity"` // empty: every severity
}

// Dispatcher defaults.
const (
	DefaultQueueSize   = 256
	DefaultMaxAttempts = 6
	DefaultBackoff     = 2 * time.Second
	DefaultMaxBackoff  = 2 * time.Minute
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Notifiers by receiver name.
	Notifiers map[string]Notifier
	// Routes choose the receivers of each event. An event matching several
	// routes of one receiver is sent to it once.
	Routes []Route
	// QueueSize bounds each receiver's queue; default DefaultQueueSize.
	QueueSize int
	// MaxAttempts bounds the deliveries of one event; default DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the delay before the first retry, doubled per attempt up to
	// MaxBackoff, with ±20% jitter; defaults DefaultBackoff, DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Redactor scrubs the events' free text before they leave the process.
	Redactor *redact.Redactor
	// Logger receives delivery failures and drops; default slog.Default().
	Logger *slog.Logger
}

// ReceiverStats counts deliveries to one receiver.
type ReceiverStats struct {
	Delivered int64 // events the receiver accepted
	Failed    int64 // events given up on (permanent error or attempts exhausted)
	Retries   int64 // attempts after the first
	Dropped   int64 // events never attempted: queue full, or left at Stop
}

// Dispatcher delivers events to receivers without ever blocking its caller:
// each receiver has its own bounded queue and worker, so a slow or failing
// receiver delays only itself, and events to one receiver keep their order
// (a resolved never overtakes its firing).
type Dispatcher struct {
	routes   []Route
	redactor *redact.Redactor
	log      *slog.Logger
	attempts int
	backoff  time.Duration
	maxBack  time.Duration

	workers map[string]*worker
	ctx     context.Context // cancelled when Stop's grace period ends
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.RWMutex
	stopped bool
}

type worker struct {
	name  string
	n     Notifier
	queue chan Event
	stats struct{ delivered, failed, retries, dropped atomic.Int64 }
}

// NewDispatcher validates cfg and starts one worker per routed receiver.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	d := &Dispatcher{routes: cfg.Routes, redactor: cfg.Redactor, log: cfg.Logger, attempts: cfg.MaxAttempts,
		backoff: cfg.Backoff, maxBack: cfg.MaxBackoff, workers: map[string]*worker{}}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.attempts <= 0 {
		d.attempts = DefaultMaxAttempts
	}
	if d.backoff <= 0 {
		d.backoff = DefaultBackoff
	}
	if d.maxBack <= 0 {
		d.maxBack = DefaultMaxBackoff
	}
	size := cfg.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	for i, r := range cfg.Routes {
		n, ok := cfg.Notifiers[r.Receiver]
		if !ok || n == nil {
			return nil, fmt.Errorf("alerting.routes[%d].receiver: unknown receiver %q", i, r.Receiver)
		}
		for _, s := range r.Severities {
			if !s.Valid() {
				return nil, fmt.Errorf("alerting.routes[%d].severity: unknown severity %q (want critical, warning or info)", i, s)
			}
		}
		if d.workers[r.Receiver] == nil {
			d.workers[r.Receiver] = &worker{name: r.Receiver, n: n, queue: make(chan Event, size)}
		}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, w := range d.workers {
		d.wg.Add(1)
		go d.run(w)
	}
	return d, nil
}

// Enqueue queues events for delivery and returns at once. An event that does
// not fit its receiver's queue is dropped, counted and logged; so are events
// enqueued after Stop.
func (d *Dispatcher) Enqueue(events ...Event) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, ev := range events {
		ev = d.redact(ev)
		for _, w := range d.receiversOf(ev) {
			if d.stopped {
				w.stats.dropped.Add(1)
				d.log.Error("alert dropped: dispatcher stopped", "receiver", w.name, "fingerprint", ev.Fingerprint, "status", ev.Status)
				continue
			}
			select {
			case w.queue <- ev:
			default:
				w.stats.dropped.Add(1)
				d.log.Error("alert dropped: receiver queue full", "receiver", w.name, "fingerprint", ev.Fingerprint,
					"status", ev.Status, "queue", cap(w.queue))
			}
		}
	}
}

// receiversOf returns the workers whose routes accept ev, each once.
func (d *Dispatcher) receiversOf(ev Event) []*worker {
	var out []*worker
	seen := map[string]bool{}
	for _, r := range d.routes {
		if seen[r.Receiver] || !acceptsSeverity(r.Severities, ev.Severity) {
			continue
		}
		seen[r.Receiver] = true
		out = append(out, d.workers[r.Receiver])
	}
	return out
}

func acceptsSeverity(filter []Severity, s Severity) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if f == s {
			return true
		}
	}
	return false
}

// redact scrubs every free-text field of a copy of ev.
func (d *Dispatcher) redact(ev Event) Event {
	if d.redactor == nil {
		return ev
	}
	t := d.redactor.Text
	ev.Summary, ev.Job, ev.Target, ev.Operation = t(ev.Summary), t(ev.Job), t(ev.Target), t(ev.Operation)
	ev.RunID, ev.ReportURL = t(ev.RunID), t(ev.ReportURL)
	changes := make([]Change, len(ev.Changes))
	for i, c := range ev.Changes {
		changes[i] = Change{Pointer: t(c.Pointer), Change: t(c.Change), Severity: c.Severity}
	}
	ev.Changes = changes
	return ev
}

func (d *Dispatcher) run(w *worker) {
	defer d.wg.Done()
	for ev := range w.queue {
		if d.ctx.Err() != nil {
			w.stats.dropped.Add(1)
			d.log.Error("alert dropped: shutdown grace period over", "receiver", w.name, "fingerprint", ev.Fingerprint)
			continue
		}
		d.deliver(w, ev)
	}
}

// deliver sends ev with bounded, exponentially backed-off retries.
func (d *Dispatcher) deliver(w *worker, ev Event) {
	delay := d.backoff
	for attempt := 1; ; attempt++ {
		err := w.n.Send(d.ctx, ev)
		if err == nil {
			w.stats.delivered.Add(1)
			return
		}
		if IsPermanent(err) || attempt >= d.attempts || d.ctx.Err() != nil {
			w.stats.failed.Add(1)
			d.log.Error("alert delivery failed", "receiver", w.name, "fingerprint", ev.Fingerprint,
				"status", ev.Status, "attempts", attempt, "err", d.text(err))
			return
		}
		w.stats.retries.Add(1)
		d.log.Warn("alert delivery failed, retrying", "receiver", w.name, "fingerprint", ev.Fingerprint,
			"attempt", attempt, "err", d.text(err))
		jittered := time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
		t := time.NewTimer(jittered)
		select {
		case <-t.C:
		case <-d.ctx.Done():
			t.Stop()
		}
		delay = min(2*delay, d.maxBack)
	}
}

func (d *Dispatcher) text(err error) string {
	if d.redactor == nil {
		return err.Error()
	}
	return d.redactor.Text(err.Error())
}

// Stop stops accepting events and waits for the queued ones to be delivered
// until ctx is done; then it abandons retries and the rest of the queues
// (counted as dropped) and returns ctx's error.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil
	}
	d.stopped = true
	for _, w := range d.workers {
		close(w.queue)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return fmt.Errorf("alert: dispatcher stop: %w", ctx.Err())
	}
}

// Stats returns delivery counters by receiver name.
func (d *Dispatcher) Stats() map[string]ReceiverStats {
	out := make(map[string]ReceiverStats, len(d.workers))
	for name, w := range d.workers {
		out[name] = ReceiverStats{Delivered: w.stats.delivered.Load(), Failed: w.stats.failed.Load(),
			Retries: w.stats.retries.Load(), Dropped: w.stats.dropped.Load()}
	}
	return out
}

// Receivers returns the names of the routed receivers, sorted.
func (d *Dispatcher) Receivers() []string {
	out := make([]string, 0, len(d.workers))
	for name := range d.workers {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
