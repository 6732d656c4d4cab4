package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/webhook"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sampleEvent(sev alert.Severity) alert.Event {
	return alert.Event{Status: alert.Firing, Severity: sev, Kind: alert.KindContract, Fingerprint: "fp-" + string(sev),
		Job: "customer", Target: "staging", Operation: opA, Summary: "contract broken", StartedAt: t0}
}

func newWebhook(t *testing.T, url string) alert.Notifier {
	t.Helper()
	n, err := webhook.New(alert.ReceiverConfig{Name: "hook", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Ensure a receiver that fails transiently gets the event after retries with
// growing delays, and one that rejects it permanently is not retried.
func TestDispatcherRetries(t *testing.T) {
	var (
		mu    sync.Mutex
		times []time.Time
		calls atomic.Int32
	)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if calls.Add(1) <= 3 {
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

	const backoff = 40 * time.Millisecond
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"flaky": newWebhook(t, flaky.URL), "rejecting": newWebhook(t, rejecting.URL)},
		Routes:    []alert.Route{{Receiver: "flaky"}, {Receiver: "rejecting"}},
		Backoff:   backoff, MaxBackoff: time.Second, MaxAttempts: 5, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Enqueue(sampleEvent(alert.Critical))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := d.Stats()
	if st["flaky"] != (alert.ReceiverStats{Delivered: 1, Retries: 3}) {
		t.Fatalf("flaky receiver stats = %+v", st["flaky"])
	}
	if st["rejecting"] != (alert.ReceiverStats{Failed: 1}) || rejected.Load() != 1 {
		t.Fatalf("rejecting receiver: stats %+v, %d calls", st["rejecting"], rejected.Load())
	}
	// Delays double: each gap is at least the jittered (-20%) nominal delay.
	for i := 1; i < len(times); i++ {
		gap, nominal := times[i].Sub(times[i-1]), backoff<<(i-1)
		if gap < nominal*8/10 {
			t.Fatalf("retry %d came after %v, want at least %v", i, gap, nominal*8/10)
		}
	}
}

// Ensure attempts are bounded when a receiver never recovers.
func TestDispatcherGivesUp(t *testing.T) {
	var calls atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"down": newWebhook(t, down.URL)},
		Routes:    []alert.Route{{Receiver: "down"}}, Backoff: time.Millisecond, MaxAttempts: 3, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Enqueue(sampleEvent(alert.Critical))
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || d.Stats()["down"].Failed != 1 {
		t.Fatalf("%d calls, stats %+v; want 3 attempts then failed", calls.Load(), d.Stats()["down"])
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

// Ensure Enqueue never blocks: with the receiver stuck and its queue full,
// further events are dropped and counted; Stop gives up after its grace
// period and the stuck send is cancelled.
func TestDispatcherNeverBlocks(t *testing.T) {
	b := &blockingNotifier{release: make(chan struct{}), started: make(chan struct{}, 1)}
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"stuck": b}, Routes: []alert.Route{{Receiver: "stuck"}},
		QueueSize: 2, Backoff: time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Enqueue(sampleEvent(alert.Critical))
	<-b.started // the worker holds the first event
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10; i++ {
			d.Enqueue(sampleEvent(alert.Warning))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue blocked on a stuck receiver")
	}
	if got := d.Stats()["stuck"].Dropped; got != 8 {
		t.Fatalf("dropped = %d, want 8 (queue of 2 full)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop with a stuck receiver: %v, want deadline exceeded", err)
	}
	st := d.Stats()["stuck"]
	if st.Dropped != 10 || st.Failed != 1 || b.sent.Load() != 0 {
		t.Fatalf("after Stop: %+v", st)
	}
	d.Enqueue(sampleEvent(alert.Critical)) // after Stop: dropped, no panic
	if got := d.Stats()["stuck"].Dropped; got != 11 {
		t.Fatalf("dropped after stop = %d, want 11", got)
	}
}

// recorder collects events.
type recorder struct {
	mu  sync.Mutex
	evs []alert.Event
}

func (r *recorder) Send(_ context.Context, ev alert.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

// Ensure routes filter by severity, a receiver routed twice gets an event
// once, and payloads are redacted before they leave.
func TestDispatcherRoutesAndRedacts(t *testing.T) {
	red := redact.New(redact.DefaultConfig())
	red.Learn("jane.doe@example.com")
	pager, chat := &recorder{}, &recorder{}
	d, err := alert.NewDispatcher(alert.DispatcherConfig{
		Notifiers: map[string]alert.Notifier{"pager": pager, "chat": chat},
		Routes: []alert.Route{{Receiver: "pager", Severities: []alert.Severity{alert.Critical}},
			{Receiver: "chat"}, {Receiver: "chat", Severities: []alert.Severity{alert.Critical}}},
		Redactor: red, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent(alert.Critical)
	ev.Summary = "email jane.doe@example.com changed type"
	ev.Changes = []alert.Change{{Pointer: "/data/jane.doe@example.com", Change: "added", Severity: "info"}}
	d.Enqueue(ev, sampleEvent(alert.Info))
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(pager.evs) != 1 || len(chat.evs) != 2 {
		t.Fatalf("pager got %d, chat got %d; want 1 and 2", len(pager.evs), len(chat.evs))
	}
	b, _ := json.Marshal(pager.evs[0])
	if strings.Contains(string(b), "jane.doe") {
		t.Fatalf("PII reached a receiver: %s", b)
	}
	if ev.Summary != "email jane.doe@example.com changed type" {
		t.Fatal("redaction modified the caller's event")
	}
}

// Ensure a config routing to an unknown receiver or severity is rejected with
// the key named.
func TestDispatcherConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		routes []alert.Route
		want   string
	}{
		{[]alert.Route{{Receiver: "nope"}}, `alerting.routes[0].receiver: unknown receiver "nope"`},
		{[]alert.Route{{Receiver: "r", Severities: []alert.Severity{"page"}}}, `alerting.routes[0].severity: unknown severity "page"`},
	} {
		_, err := alert.NewDispatcher(alert.DispatcherConfig{Notifiers: map[string]alert.Notifier{"r": &recorder{}}, Routes: tc.routes})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("routes %+v: err = %v, want %q", tc.routes, err, tc.want)
		}
	}
}
