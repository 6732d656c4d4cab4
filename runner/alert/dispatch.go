package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/runner/history"
)

// Route sends events to a receiver, optionally only some severities.
type Route struct {
	Receiver   string     `yaml:"receiver"`
	Severities []Severity `yaml:"severity"` // empty: every severity
}

// Dispatcher defaults.
const (
	// DefaultBackoff is the delay before the first retry of a notification.
	DefaultBackoff = time.Second
	// DefaultMaxBackoff caps the delay between attempts: a receiver that
	// recovers gets everything pending within about this long (plus 20%
	// jitter), well within a minute.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultPoll is how often an idle sender looks at the outbox without
	// being woken (rows written by another process, a missed wake-up).
	DefaultPoll = 5 * time.Second
	// directAttempts bounds a direct send (no store behind it).
	directAttempts = 3
)

// outboxStore is the outbox side of the history store.
type outboxStore interface {
	// ClaimNotifications returns the receiver's undelivered rows this replica
	// may deliver (claiming them), oldest first.
	ClaimNotifications(ctx context.Context, receiver string, limit int) ([]history.PendingNotification, error)
	MarkNotificationSent(ctx context.Context, seq int64, at time.Time) error
	MarkNotificationAttempt(ctx context.Context, seq int64, next time.Time, errText string, permanent bool) error
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Notifiers by receiver name.
	Notifiers map[string]Notifier
	// Routes choose the receivers of each event. An event matching several
	// routes of one receiver is sent to it once.
	Routes []Route
	// Store holds the outbox. Required.
	Store outboxStore
	// Timeouts bound one delivery attempt per receiver; default
	// DefaultTimeout. A hanging receiver costs its own sender this long per
	// attempt and nobody else anything.
	Timeouts map[string]time.Duration
	// Backoff is the delay before the first retry, doubled per attempt up to
	// MaxBackoff, with ±20% jitter; defaults DefaultBackoff, DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Poll: see DefaultPoll.
	Poll time.Duration
	// Redactor scrubs the events' free text before they are stored or sent.
	Redactor *redact.Redactor
	// Logger receives delivery failures; default slog.Default().
	Logger *slog.Logger
	// OnStoreError is told about every failing outbox read or write.
	OnStoreError func(error)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// ReceiverStats counts deliveries to one receiver.
type ReceiverStats struct {
	Delivered int64 // notifications the receiver accepted
	Failed    int64 // given up on: the receiver refused them for good (a 4xx)
	Retries   int64 // attempts after the first
}

// Dispatcher delivers the outbox: one sender goroutine per receiver reads
// that receiver's pending rows in order, sends each with a per-attempt
// timeout and capped backoff, and marks it sent. Nothing waits in memory:
// a notification is a row until it is delivered, so a receiver that is down
// for an hour, or a restart, loses nothing, and a hanging receiver delays
// only its own rows (a resolved never overtakes its firing). Delivery is at
// least once: a crash between a send and its mark re-sends it with the same
// Event.ID, on which receivers de-duplicate.
type Dispatcher struct {
	routes   []Route
	redactor *redact.Redactor
	log      *slog.Logger
	store    outboxStore
	backoff  time.Duration
	maxBack  time.Duration
	poll     time.Duration
	now      func() time.Time
	storeErr func(error)

	workers  map[string]*worker
	ctx      context.Context // cancelled when Stop's grace period ends
	cancel   context.CancelFunc
	drain    chan struct{} // closed by Stop: senders exit once nothing is due
	wg       sync.WaitGroup
	direct   sync.WaitGroup
	directMu sync.Mutex
	stopped  atomic.Bool
}

type worker struct {
	name    string
	n       Notifier
	timeout time.Duration
	refresh bool
	wake    chan struct{}
	stats   struct{ delivered, failed, retries atomic.Int64 }
}

// NewDispatcher validates cfg and starts one sender per routed receiver.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Store == nil {
		return nil, errors.New("alert: dispatcher without an outbox store")
	}
	d := &Dispatcher{routes: cfg.Routes, redactor: cfg.Redactor, log: cfg.Logger, store: cfg.Store,
		backoff: cfg.Backoff, maxBack: cfg.MaxBackoff, poll: cfg.Poll, now: cfg.Now, storeErr: cfg.OnStoreError,
		workers: map[string]*worker{}, drain: make(chan struct{})}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.backoff <= 0 {
		d.backoff = DefaultBackoff
	}
	if d.maxBack <= 0 {
		d.maxBack = DefaultMaxBackoff
	}
	if d.poll <= 0 {
		d.poll = DefaultPoll
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.storeErr == nil {
		d.storeErr = func(error) {}
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
			t := cfg.Timeouts[r.Receiver]
			if t <= 0 {
				t = DefaultTimeout
			}
			rf, _ := n.(Refresher)
			d.workers[r.Receiver] = &worker{name: r.Receiver, n: n, timeout: t, refresh: rf != nil && rf.WantsRefresh(),
				wake: make(chan struct{}, 1)}
		}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, w := range d.workers {
		d.wg.Add(1)
		go d.run(w)
	}
	return d, nil
}

// Notifications turns events into outbox rows: each event redacted, given an
// id when it has none, and addressed to every receiver whose routes accept
// it. Refreshes go only to receivers that want them, each replacing the
// previous undelivered refresh of the same alert.
func (d *Dispatcher) Notifications(events []Event) ([]history.Notification, error) {
	var out []history.Notification
	for _, ev := range events {
		if ev.ID == "" {
			ev.ID = NewEventID()
		}
		ev = d.redact(ev)
		ws := d.receiversOf(ev)
		if len(ws) == 0 {
			continue
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", ev.Fingerprint, err)
		}
		status := string(ev.Status)
		if ev.Refresh {
			status = "refresh"
		}
		for _, w := range ws {
			out = append(out, history.Notification{ID: ev.ID, Receiver: w.name, Fingerprint: ev.Fingerprint,
				Status: status, Supersede: ev.Refresh, Payload: body})
		}
	}
	return out, nil
}

// Wake tells every sender that new rows may be due. It never blocks.
func (d *Dispatcher) Wake() {
	for _, w := range d.workers {
		select {
		case w.wake <- struct{}{}:
		default:
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
		if w := d.workers[r.Receiver]; !ev.Refresh || w.refresh {
			out = append(out, w)
		}
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

// outboxBatch is how many pending rows a sender reads at a time.
const outboxBatch = 50

// run is one receiver's sender: deliver what is due, in order; wait for a
// wake-up, the head row's next attempt, or the poll interval.
func (d *Dispatcher) run(w *worker) {
	defer d.wg.Done()
	for {
		if d.ctx.Err() != nil {
			return
		}
		wait := d.poll
		rows, err := d.store.ClaimNotifications(d.ctx, w.name, outboxBatch)
		switch {
		case err != nil:
			if d.ctx.Err() != nil {
				return
			}
			d.storeErr(err)
			d.log.Error("alert outbox unreadable", "receiver", w.name, "err", d.text(err))
		case len(rows) == 0:
			if d.draining() {
				return
			}
		default:
			wait = d.deliverDue(w, rows)
			if wait == 0 {
				continue // the batch went out; read the next one
			}
			if d.draining() {
				return // what is left is not due yet; it stays pending for the next start
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-w.wake:
		case <-t.C:
		case <-d.drain:
		case <-d.ctx.Done():
		}
		t.Stop()
	}
}

func (d *Dispatcher) draining() bool {
	select {
	case <-d.drain:
		return true
	default:
		return false
	}
}

// deliverDue sends rows in order until one is not due or fails, and returns
// how long to wait before looking again (0: all of them went out).
func (d *Dispatcher) deliverDue(w *worker, rows []history.PendingNotification) time.Duration {
	for _, row := range rows {
		now := d.now()
		if wait := row.NextAttemptAt.Sub(now); wait > 0 {
			return min(wait, d.poll)
		}
		ok, wait := d.attempt(w, row)
		if !ok {
			return wait
		}
	}
	return 0
}

// attempt makes one delivery attempt of row and records its outcome. It
// returns whether the sender may go on to the next row, or how long to
// wait.
func (d *Dispatcher) attempt(w *worker, row history.PendingNotification) (bool, time.Duration) {
	var ev Event
	if err := json.Unmarshal(row.Payload, &ev); err != nil {
		// Cannot happen for rows we wrote; give it up rather than block the queue.
		d.mark(d.store.MarkNotificationAttempt(d.ctx, row.Seq, d.now(), "undecodable payload: "+err.Error(), true))
		w.stats.failed.Add(1)
		return true, 0
	}
	if row.Attempts > 0 {
		w.stats.retries.Add(1)
	}
	ctx, cancel := context.WithTimeout(d.ctx, w.timeout)
	err := w.n.Send(ctx, ev)
	cancel()
	if err == nil {
		w.stats.delivered.Add(1)
		if merr := d.store.MarkNotificationSent(context.Background(), row.Seq, d.now()); merr != nil {
			// Delivered but not marked: it will be sent again (at least
			// once; receivers de-duplicate on the id).
			d.mark(merr)
			return false, d.poll
		}
		return true, 0
	}
	if d.ctx.Err() != nil {
		return false, 0 // shutting down: the row stays pending as it was
	}
	if IsPermanent(err) {
		w.stats.failed.Add(1)
		d.log.Error("alert delivery refused for good; kept in the outbox as failed", "receiver", w.name,
			"id", ev.ID, "fingerprint", ev.Fingerprint, "status", ev.Status, "err", d.text(err))
		d.mark(d.store.MarkNotificationAttempt(context.Background(), row.Seq, d.now(), err.Error(), true))
		return true, 0
	}
	delay := d.backoff
	for i := 0; i < row.Attempts && delay < d.maxBack; i++ {
		delay *= 2
	}
	delay = min(delay, d.maxBack)
	delay = time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
	d.log.Warn("alert delivery failed; it stays in the outbox", "receiver", w.name, "id", ev.ID,
		"fingerprint", ev.Fingerprint, "attempt", row.Attempts+1, "retry_in", delay.Round(time.Millisecond), "err", d.text(err))
	if merr := d.store.MarkNotificationAttempt(context.Background(), row.Seq, d.now().Add(delay), err.Error(), false); merr != nil {
		d.mark(merr)
	}
	return false, delay
}

func (d *Dispatcher) mark(err error) {
	if err != nil {
		d.storeErr(err)
		d.log.Error("alert outbox write failed", "err", d.text(err))
	}
}

// SendDirect delivers ev now, without the outbox, in the background, to the
// named receivers (nil: those its routes choose): it is for what must reach
// on-call when the store itself is failing ("monitor cannot record runs")
// and for the watchdog. Each receiver gets a few attempts, each bounded by
// its timeout; nothing is retried after that, and nothing is kept.
func (d *Dispatcher) SendDirect(receivers []string, ev Event) {
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	ev = d.redact(ev)
	ws := d.receiversOf(ev)
	if receivers != nil {
		ws = nil
		for _, name := range receivers {
			if w := d.workers[name]; w != nil {
				ws = append(ws, w)
			}
		}
	}
	// Under directMu, so that Stop's wait never races a new send.
	d.directMu.Lock()
	defer d.directMu.Unlock()
	if d.stopped.Load() {
		return
	}
	for _, w := range ws {
		d.direct.Add(1)
		go d.sendDirect(w, ev)
	}
}

func (d *Dispatcher) sendDirect(w *worker, ev Event) {
	defer d.direct.Done()
	delay := d.backoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(d.ctx, w.timeout)
		err := w.n.Send(ctx, ev)
		cancel()
		if err == nil {
			w.stats.delivered.Add(1)
			return
		}
		if IsPermanent(err) || attempt >= directAttempts || d.ctx.Err() != nil {
			w.stats.failed.Add(1)
			d.log.Error("direct alert delivery failed", "receiver", w.name, "kind", ev.Kind, "err", d.text(err))
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-d.ctx.Done():
		}
		t.Stop()
		delay = min(2*delay, d.maxBack)
	}
}

// Known reports whether name is a routed receiver.
func (d *Dispatcher) Known(name string) bool { return d.workers[name] != nil }

func (d *Dispatcher) text(err error) string {
	if d.redactor == nil {
		return err.Error()
	}
	return d.redactor.Text(err.Error())
}

// Stop lets the senders deliver what is due until ctx is done, then stops
// them. Nothing is lost either way: undelivered rows stay in the outbox for
// the next start. It returns ctx's error when the grace period ran out.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.directMu.Lock()
	already := d.stopped.Swap(true)
	d.directMu.Unlock()
	if already {
		return nil
	}
	close(d.drain)
	done := make(chan struct{})
	go func() { d.wg.Wait(); d.direct.Wait(); close(done) }()
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
			Retries: w.stats.retries.Load()}
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
