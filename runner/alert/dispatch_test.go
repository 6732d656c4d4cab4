package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
	"github.com/mmcontract/mmcontract/runner/history"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sampleEvent(sev alert.Severity) alert.Event {
	return alert.Event{Status: alert.Firing, Severity: sev, Kind: alert.KindContract, Fingerprint: "fp-" + string(sev),
		Job: "customer", Target: "staging", Operation: opA, Summary: "contract broken", StartedAt: t0}
}

func newWebhook(t *testing.T, url string) alert.Notifier {
	t.Helper()
	n, err := webhook.New("hook", webhook.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// queue writes events to the outbox as the engine does, and wakes the senders.
func queue(t testing.TB, store *history.Store, d *alert.Dispatcher, evs ...alert.Event) {
	t.Helper()
	notes, err := d.Notifications(evs)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveAlerts(context.Background(), "customer", nil, notes); err != nil {
		t.Fatal(err)
	}
	d.Wake()
}

func pendingOf(t testing.TB, store *history.Store) map[string]history.OutboxStat {
	t.Helper()
	st, err := store.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Ensure a receiver that fails transiently gets the notification after
// retries with growing delays, capped at MaxBackoff, and one that rejects it
// permanently is not retried and is kept as failed, not pending.
func TestDispatcherRetries(t *testing.T) {
	var (
		mu    sync.Mutex
		times []time.Time
		calls atomic.Int32
		ids   []string
	)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		if calls.Add(1) <= 4 {
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer flaky.Close()
	var rejected atomic.Int32
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rejected.Add(1)
		http.Error(w, "bad payload", http.StatusBadRequest)
	}))
	defer rejecting.Close()

	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	const backoff, maxBackoff = 40 * time.Millisecond, 100 * time.Millisecond
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"flaky": newWebhook(t, flaky.URL), "rejecting": newWebhook(t, rejecting.URL)},
		Routes:    []alert.Route{{Receiver: "flaky"}, {Receiver: "rejecting"}}, Store: store,
		Backoff: backoff, MaxBackoff: maxBackoff, Poll: 20 * time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	queue(t, store, d, sampleEvent(alert.Critical))
	deadline := time.Now().Add(10 * time.Second)
	for d.Stats()["flaky"].Delivered == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := d.Stats()
	if st["flaky"] != (alert.ReceiverStats{Delivered: 1, Retries: 4}) {
		t.Fatalf("flaky receiver stats = %+v", st["flaky"])
	}
	if st["rejecting"] != (alert.ReceiverStats{Failed: 1}) || rejected.Load() != 1 {
		t.Fatalf("rejecting receiver: stats %+v, %d calls", st["rejecting"], rejected.Load())
	}
	if p := pendingOf(t, store); p["flaky"].Pending != 0 || p["rejecting"].Pending != 0 || p["rejecting"].Failed != 1 {
		t.Fatalf("outbox after delivery: %+v", p)
	}
	// Delays double up to the cap: each gap is at least the jittered (-20%)
	// nominal delay and at most the jittered (+20%) cap plus scheduling slack.
	for i := 1; i < len(times); i++ {
		gap, nominal := times[i].Sub(times[i-1]), min(backoff<<(i-1), maxBackoff)
		if gap < nominal*8/10 || gap > maxBackoff*12/10+500*time.Millisecond {
			t.Fatalf("retry %d came after %v, want about %v (cap %v)", i, gap, nominal, maxBackoff)
		}
	}
	for _, id := range ids {
		if id != ids[0] || !strings.HasPrefix(id, "evt_") {
			t.Fatalf("attempts carried ids %q; want one stable id", ids)
		}
	}
}

// Ensure nothing is dropped when a receiver is down through a restart: the
// notification stays pending in the store, and a new dispatcher on the same
// store delivers it once the receiver is back.
func TestDispatcherOutboxSurvivesRestart(t *testing.T) {
	var up atomic.Bool
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		got.Add(1)
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "history.db")
	store := openHistory(t, path)
	cfg := alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"hook": newWebhook(t, srv.URL)},
		Routes: []alert.Route{{Receiver: "hook"}}, Store: store, Backoff: 10 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, Poll: 10 * time.Millisecond, Logger: quietLogger()}
	d, err := alert.NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	queue(t, store, d, sampleEvent(alert.Critical), sampleEvent(alert.Warning))
	time.Sleep(200 * time.Millisecond) // several failed attempts
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_ = d.Stop(ctx)
	cancel()
	if p := pendingOf(t, store)["hook"]; p.Pending != 2 || p.OldestPending.IsZero() {
		t.Fatalf("after stopping with the receiver down: %+v, want 2 pending", p)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store = openHistory(t, path)
	defer store.Close()
	up.Store(true)
	cfg.Store = store
	d, err = alert.NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Load() != 2 || pendingOf(t, store)["hook"].Pending != 0 {
		t.Fatalf("after the restart: %d delivered, outbox %+v", got.Load(), pendingOf(t, store))
	}
}

// blockingNotifier blocks every Send until released or cancelled.
type blockingNotifier struct {
	release chan struct{}
	started chan struct{}
	sent    atomic.Int32
}

func (b *blockingNotifier) Send(ctx context.Context, ev alert.Event) error {
	select {
	case b.started <- struct{}{}:
	default:
	}
	select {
	case <-b.release:
		b.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ensure a hanging receiver never delays another: the healthy receiver gets
// its notification at once while the hanging one's attempts are cut by its
// per-attempt timeout, and writing to the outbox never blocks.
func TestDispatcherHangingReceiverDelaysNobody(t *testing.T) {
	b := &blockingNotifier{release: make(chan struct{}), started: make(chan struct{}, 1)}
	healthy := &recorder{}
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"stuck": b, "healthy": healthy},
		Routes:    []alert.Route{{Receiver: "stuck"}, {Receiver: "healthy"}}, Store: store,
		Timeouts: map[string]time.Duration{"stuck": 100 * time.Millisecond}, Backoff: 10 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond, Poll: 10 * time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 300; i++ { // more than the old in-memory queue held
		ev := sampleEvent(alert.Warning)
		ev.Fingerprint = "fp-" + string(rune('a'+i%26)) + time.Duration(i).String()
		queue(t, store, d, ev)
	}
	deadline := time.Now().Add(20 * time.Second)
	for healthy.count() < 300 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := healthy.count(); n != 300 {
		t.Fatalf("healthy receiver got %d of 300 while the other hung", n)
	}
	took := time.Since(start)
	if took > 15*time.Second {
		t.Fatalf("healthy receiver took %v", took)
	}
	if p := pendingOf(t, store)["stuck"]; p.Pending != 300 {
		t.Fatalf("hanging receiver's outbox: %+v, want all 300 pending (nothing dropped)", p)
	}
	if st := d.Stats()["stuck"]; st.Failed != 0 || st.Delivered != 0 {
		t.Fatalf("hanging receiver stats %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop: %v", err)
	}
}

// recorder collects events.
type recorder struct {
	mu  sync.Mutex
	evs []alert.Event
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}

func (r *recorder) Send(_ context.Context, ev alert.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

// refresher is a recorder that wants refreshes, like Alertmanager.
type refresher struct{ recorder }

func (*refresher) WantsRefresh() bool { return true }

// Ensure routes filter by severity, a receiver routed twice gets an event
// once, refreshes reach only receivers that want them, and payloads are
// redacted before they are stored or leave.
func TestDispatcherRoutesAndRedacts(t *testing.T) {
	red := redact.New(redact.DefaultConfig())
	red.Learn("jane.doe@example.com")
	pager, chat, am := &recorder{}, &recorder{}, &refresher{}
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"pager": pager, "chat": chat, "am": am},
		Routes: []alert.Route{{Receiver: "pager", Severities: []alert.Severity{alert.Critical}},
			{Receiver: "chat"}, {Receiver: "chat", Severities: []alert.Severity{alert.Critical}}, {Receiver: "am"}},
		Store: store, Redactor: red, Logger: quietLogger(), Poll: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent(alert.Critical)
	ev.Summary = "email jane.doe@example.com changed type"
	ev.Changes = []alert.Change{{Pointer: "/data/jane.doe@example.com", Change: "added", Severity: "info"}}
	refresh := sampleEvent(alert.Critical)
	refresh.Refresh = true
	queue(t, store, d, ev, sampleEvent(alert.Info), refresh)
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(pager.evs) != 1 || len(chat.evs) != 2 || len(am.evs) != 3 {
		t.Fatalf("pager got %d, chat got %d, am got %d; want 1, 2 and 3", len(pager.evs), len(chat.evs), len(am.evs))
	}
	b, _ := json.Marshal(pager.evs[0])
	if strings.Contains(string(b), "jane.doe") {
		t.Fatalf("PII reached a receiver: %s", b)
	}
	if ev.Summary != "email jane.doe@example.com changed type" {
		t.Fatal("redaction modified the caller's event")
	}
}

// Ensure a new refresh of an alert replaces the undelivered previous one, so
// a long outage of Alertmanager does not pile up one row per run.
func TestRefreshSupersedes(t *testing.T) {
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	b := &blockingNotifier{release: make(chan struct{}), started: make(chan struct{}, 1)}
	d, err := alert.NewDispatcher(alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"am": b},
		Routes: []alert.Route{{Receiver: "am"}}, Store: store, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_ = d.Stop(ctx)
	}()
	ev := sampleEvent(alert.Critical)
	ev.Refresh = true
	notes, err := d.Notifications([]alert.Event{ev})
	if err != nil || len(notes) != 0 {
		t.Fatalf("a receiver that does not want refreshes got %d rows (%v)", len(notes), err)
	}
	ev.Refresh = false
	for i := 0; i < 3; i++ {
		notes, err := d.Notifications([]alert.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		notes[0].Supersede = true // as a refresh would be
		if err := store.SaveAlerts(context.Background(), "customer", nil, notes); err != nil {
			t.Fatal(err)
		}
	}
	if p := pendingOf(t, store)["am"]; p.Pending != 1 {
		t.Fatalf("after three refreshes: %+v pending, want 1", p)
	}
}

// Ensure a config routing to an unknown receiver or severity is rejected with
// the key named.
func TestDispatcherConfigErrors(t *testing.T) {
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	for _, tc := range []struct {
		routes []alert.Route
		want   string
	}{
		{[]alert.Route{{Receiver: "nope"}}, `alerting.routes[0].receiver: unknown receiver "nope"`},
		{[]alert.Route{{Receiver: "r", Severities: []alert.Severity{"page"}}}, `alerting.routes[0].severity: unknown severity "page"`},
	} {
		_, err := alert.NewDispatcher(alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"r": &recorder{}}, Routes: tc.routes,
			Store: store})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("routes %+v: err = %v, want %q", tc.routes, err, tc.want)
		}
	}
}
