package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

const opA = "customer.app.CustomerWebApiService.findCustomerInfo"
const opB = "market.app.MarketWebApiService.findSymbols"

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// check builders
func pass(op string) alert.CheckOutcome {
	return alert.CheckOutcome{CheckID: op + "#pos", Operation: op, Verdict: verdict.Pass}
}

func drift(op string, items ...contract.Drift) alert.CheckOutcome {
	v := verdict.Drifted
	for _, d := range items {
		if d.Severity == "breaking" {
			v = verdict.Broken
		}
	}
	return alert.CheckOutcome{CheckID: op + "#pos", Operation: op, Verdict: v, Drift: items}
}

func d(pointer, change, severity string) contract.Drift {
	return contract.Drift{Pointer: pointer, Change: contract.Change(change), Severity: verdict.Severity(severity), Fingerprint: "fp:" + pointer + ":" + change}
}

func broken(op string, vs ...contract.Violation) alert.CheckOutcome {
	return alert.CheckOutcome{CheckID: op + "#pos", Operation: op, Verdict: verdict.Broken, Violations: vs}
}

func withVerdict(v verdict.Verdict, op string) alert.CheckOutcome {
	return alert.CheckOutcome{CheckID: op + "#pos", Operation: op, Verdict: v}
}

// step is one finished run, observed at t0+at, or an API call.
type step struct {
	at      time.Duration
	verdict verdict.Verdict // run verdict; "" = worst of the checks
	checks  []alert.CheckOutcome
	unavail bool
	resolve *alert.Match // instead of a run: call Resolve
	ack     *alert.Match // instead of a run: call Acknowledge
	want    []string     // "status severity kind op [reminder]" per event, in order
}

func describe(ev alert.Event) string {
	s := fmt.Sprintf("%s %s %s %s", ev.Status, ev.Severity, ev.Kind, ev.Operation)
	if ev.Reminder {
		s += " reminder"
	}
	if ev.Flaps > 0 && ev.Status == alert.Resolved {
		s += fmt.Sprintf(" flaps=%d", ev.Flaps)
	}
	return strings.TrimSpace(s)
}

// pages drops refreshes, which page nobody.
func pages(evs []alert.Event) []alert.Event {
	var out []alert.Event
	for _, ev := range evs {
		if !ev.Refresh {
			out = append(out, ev)
		}
	}
	return out
}

func openHistory(t *testing.T, path string) *history.Store {
	t.Helper()
	return openHistoryB(t, path)
}

func openHistoryB(t testing.TB, path string) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Ensure the state machine fires once, never re-pages identical runs,
// resolves once, and ignores what it cannot judge.
func TestEngine(t *testing.T) {
	cases := []struct {
		name  string
		cfg   alert.Config
		steps []step
	}{
		{name: "breaking drift fires once and resolves once", steps: []step{
			{checks: []alert.CheckOutcome{pass(opA)}},
			{at: time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/email", "type_changed", "breaking"))},
				want: []string{"firing critical contract " + opA}},
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/email", "type_changed", "breaking"))}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/email", "type_changed", "breaking"))}},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical contract " + opA}},
			{at: 5 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}},
		}},
		{name: "warning and info drift page at their own severity", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/kind", "enum_added", "warning"), d("/data/source", "added", "info"))},
				want: []string{"firing warning contract " + opA, "firing info contract " + opA}},
			{at: time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/kind", "enum_added", "warning"))},
				want: []string{"resolved info contract " + opA}},
		}},
		{name: "broken contract without drift fires critical from its violations", steps: []step{
			{checks: []alert.CheckOutcome{broken(opA, contract.Violation{Pointer: "/data/id", Keyword: "type", Message: "seen 1"},
				contract.Violation{Pointer: "/data/name", Keyword: "required"})},
				want: []string{"firing critical contract " + opA}},
			// Same rules broken with other values: the same alert, no page.
			{at: time.Minute, checks: []alert.CheckOutcome{broken(opA, contract.Violation{Pointer: "/data/id", Keyword: "type", Message: "seen 2"},
				contract.Violation{Pointer: "/data/name", Keyword: "required"})}},
			// Fewer changes: an update, not a page.
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{broken(opA, contract.Violation{Pointer: "/data/id", Keyword: "type"})}},
			// A broken check without violations is a different change: re-sent.
			{at: 150 * time.Second, checks: []alert.CheckOutcome{broken(opA)}, want: []string{"firing critical contract " + opA}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical contract " + opA}},
		}},
		{name: "a new change re-sends the firing alert, a lost one does not", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"), d("/data/b", "removed", "breaking"))},
				want: []string{"firing critical contract " + opA}},
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/b", "removed", "breaking"))}},
		}},
		// Issue 12 changed this: error runs used to change nothing at all;
		// they still judge no contract, but error_after of them page harness.
		{name: "error runs judge no contract and page harness after error_after", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: time.Minute, verdict: verdict.Error, checks: []alert.CheckOutcome{pass(opA)}},
			{at: 2 * time.Minute, verdict: verdict.Error, unavail: true},
			{at: 3 * time.Minute, verdict: verdict.Error, checks: []alert.CheckOutcome{drift(opB, d("/x", "removed", "breaking"))},
				want: []string{"firing critical harness"}},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{pass(opA)},
				want: []string{"resolved critical harness", "resolved critical contract " + opA}},
		}},
		{name: "a config run pages its own kind at once, judges nothing else, and resolves on the next other run", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: time.Minute, verdict: verdict.Config, checks: []alert.CheckOutcome{withVerdict(verdict.Config, opA)},
				want: []string{"firing critical config"}},
			{at: 2 * time.Minute, verdict: verdict.Config, checks: []alert.CheckOutcome{withVerdict(verdict.Config, opA)}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))},
				want: []string{"resolved critical config"}},
		}},
		{name: "flap damping: resolve and re-fire within the window is one incident", cfg: alert.Config{FlapWindow: 10 * time.Minute}, steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: time.Minute, checks: []alert.CheckOutcome{pass(opA)}},
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}},
			{at: 5 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}},
			{at: 14 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}},
			{at: 15 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical contract " + opA + " flaps=2"}},
			{at: 30 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
		}},
		{name: "a run killed by its job timeout counts as unavailable", cfg: alert.Config{UnavailableAfter: 1}, steps: []step{
			{verdict: verdict.Unavailable, unavail: true, want: []string{"firing critical unavailable"}},
			{at: time.Minute, verdict: verdict.Unavailable, unavail: true},
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical unavailable"}},
		}},
		{name: "skipped, unavailable or absent checks neither fire nor resolve", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Skipped, opA)}},
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{pass(opA), withVerdict(verdict.Unavailable, opA)}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{pass(opB)}},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{pass(opA), withVerdict(verdict.Skipped, opA)},
				want: []string{"resolved critical contract " + opA}},
		}},
		{name: "unavailability pages once after N runs, per job", cfg: alert.Config{UnavailableAfter: 3}, steps: []step{
			{checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA), withVerdict(verdict.Unavailable, opB)}, unavail: true},
			{at: time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true},
			{at: 90 * time.Second, verdict: verdict.Error},                                           // our failure: does not reset the count
			{at: 100 * time.Second, checks: []alert.CheckOutcome{withVerdict(verdict.Skipped, opA)}}, // nothing ran: neither
			{at: 2 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA), withVerdict(verdict.Unavailable, opB)},
				unavail: true, want: []string{"firing critical unavailable"}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical unavailable"}},
			{at: 5 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true},
			{at: 6 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}}, // resets the count silently
			{at: 7 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true},
			{at: 8 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true},
		}},
		{name: "reminders follow the interval and stop when acknowledged", cfg: alert.Config{RemindEvery: time.Hour}, steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}, want: []string{"firing critical contract " + opA}},
			{at: 30 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}},
			{at: 61 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))},
				want: []string{"firing critical contract " + opA + " reminder"}},
			{at: 90 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}},
			// The operation is not judged in this run; its alert is still reminded.
			{at: 122 * time.Minute, checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opA)}, unavail: true,
				want: []string{"firing critical contract " + opA + " reminder"}},
			{at: 123 * time.Minute, ack: &alert.Match{Job: "customer", Operation: opA}},
			{at: 300 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking"))}},
			{at: 301 * time.Minute, checks: []alert.CheckOutcome{pass(opA)}, want: []string{"resolved critical contract " + opA}},
		}},
		{name: "an explicit resolve (baseline accepted) resolves now; the drift fires again if still there", steps: []step{
			{checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking")), drift(opB, d("/data/x", "added", "info"))},
				want: []string{"firing critical contract " + opA, "firing info contract " + opB}},
			{at: time.Minute, resolve: &alert.Match{Job: "customer", Operation: opA}, want: []string{"resolved critical contract " + opA}},
			{at: 2 * time.Minute, resolve: &alert.Match{Job: "customer", Operation: opA}},
			{at: 3 * time.Minute, checks: []alert.CheckOutcome{pass(opA), drift(opB, d("/data/x", "added", "info"))}},
			{at: 4 * time.Minute, checks: []alert.CheckOutcome{drift(opA, d("/data/a", "removed", "breaking")), drift(opB, d("/data/x", "added", "info"))},
				want: []string{"firing critical contract " + opA}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
			defer store.Close()
			now := t0
			cfg := tc.cfg
			cfg.Now = func() time.Time { return now }
			e, err := alert.NewEngine(store, cfg)
			if err != nil {
				t.Fatal(err)
			}
			fps := map[string]string{} // severity+kind+op -> fingerprint
			for i, st := range tc.steps {
				now = t0.Add(st.at)
				var evs []alert.Event
				switch {
				case st.resolve != nil:
					evs, err = e.Resolve(ctx, *st.resolve)
				case st.ack != nil:
					_, err = e.Acknowledge(ctx, *st.ack)
				default:
					evs, err = e.Observe(ctx, alert.RunOutcome{Job: "customer", Target: "staging", RunID: fmt.Sprintf("run-%d", i),
						ReportURL: fmt.Sprintf("http://127.0.0.1:9464/runs/run-%d/report.html", i), StartedAt: now,
						Verdict: st.verdict, Checks: st.checks, Unavailable: st.unavail})
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				var got []string
				for _, ev := range pages(evs) {
					got = append(got, describe(ev))
					id := string(ev.Severity) + string(ev.Kind) + ev.Operation
					if fp, ok := fps[id]; ok && fp != ev.Fingerprint {
						t.Fatalf("step %d: fingerprint of %s changed: %s -> %s", i, id, fp, ev.Fingerprint)
					}
					fps[id] = ev.Fingerprint
					if ev.Job != "customer" || ev.Target != "staging" || ev.Summary == "" || len(ev.Fingerprint) != 32 {
						t.Fatalf("step %d: incomplete event %+v", i, ev)
					}
					if ev.Status == alert.Resolved && ev.EndsAt.IsZero() {
						t.Fatalf("step %d: resolved event without ends_at", i)
					}
				}
				if strings.Join(got, "\n") != strings.Join(st.want, "\n") {
					t.Fatalf("step %d events:\n got %q\nwant %q", i, got, st.want)
				}
			}
		})
	}
}

// Ensure an event carries the changes, run and report of the run that fired
// it, marshalled with the webhook body's keys.
func TestEventContent(t *testing.T) {
	ctx := context.Background()
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	e, err := alert.NewEngine(store, alert.Config{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	res := results.Results{Verdict: verdict.Broken, Target: "staging", StartedAt: t0.Add(-1500 * time.Millisecond),
		Checks: []results.Check{{ID: "c1", Operation: opA, Verdict: verdict.Broken,
			Drift: []contract.Drift{d("/data/email", "type_changed", "breaking"), d("/data/id", "removed", "breaking")}}}}
	evs, err := e.Observe(ctx, alert.OutcomeFromResults("customer", "r1", "http://127.0.0.1:9464/runs/r1/report.html", res))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	b, err := json.Marshal(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"status", "severity", "fingerprint", "job", "target", "operation", "summary", "changes",
		"run_id", "report_url", "started_at"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("webhook body lacks %q: %s", k, b)
		}
	}
	if m["started_at"] != "2026-05-01T11:59:58Z" {
		t.Fatalf("started_at = %v, want the run start truncated to RFC3339 seconds", m["started_at"])
	}
	want := `[{"pointer":"/data/email","change":"type_changed","severity":"breaking"},{"pointer":"/data/id","change":"removed","severity":"breaking"}]`
	if !strings.Contains(string(b), `"changes":`+want) {
		t.Fatalf("changes not as the webhook body documents them: %s", b)
	}
	if !strings.Contains(evs[0].Summary, "/data/email type_changed") || evs[0].RunID != "r1" {
		t.Fatalf("event = %+v", evs[0])
	}
	firing, err := e.Firing(ctx, "")
	if err != nil || len(firing) != 1 || firing[0].Fingerprint != evs[0].Fingerprint {
		t.Fatalf("Firing = %+v, %v", firing, err)
	}
}

// Ensure a restart between firing and resolve does not page again: the state
// lives in the history store on disk.
func TestRestartDoesNotRepage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	run := alert.RunOutcome{Job: "customer", Target: "staging", RunID: "r1", StartedAt: t0,
		Checks:      []alert.CheckOutcome{drift(opA, d("/data/email", "type_changed", "breaking"))},
		Unavailable: false}
	unavailable := alert.RunOutcome{Job: "customer", Target: "staging", RunID: "u", StartedAt: t0,
		Checks: []alert.CheckOutcome{withVerdict(verdict.Unavailable, opB)}, Unavailable: true}

	store := openHistory(t, path)
	e1, err := alert.NewEngine(store, alert.Config{UnavailableAfter: 2, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	fired, err := e1.Observe(ctx, run)
	fired = pages(fired)
	if err != nil || len(fired) != 1 {
		t.Fatalf("first run: %v %+v", err, fired)
	}
	if evs, err := e1.Observe(ctx, unavailable); err != nil || len(pages(evs)) != 0 {
		t.Fatalf("first unavailable run: %v %+v", err, evs)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store = openHistory(t, path)
	defer store.Close()
	e2, err := alert.NewEngine(store, alert.Config{UnavailableAfter: 2, Now: func() time.Time { return t0.Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	// The unavailable count survived the restart: the second run pages.
	evs, err := e2.Observe(ctx, unavailable)
	evs = pages(evs)
	if err != nil || len(evs) != 1 || evs[0].Kind != alert.KindUnavailable {
		t.Fatalf("second unavailable run after restart: %v %+v", err, evs)
	}
	if evs, err := e2.Observe(ctx, run); err != nil || len(pages(evs)) != 1 || pages(evs)[0].Kind != alert.KindUnavailable ||
		pages(evs)[0].Status != alert.Resolved {
		t.Fatalf("after restart the same drift paged again (want only the unavailability resolved): %v %+v", err, evs)
	}
	run.Checks = []alert.CheckOutcome{pass(opA)}
	evs, err = e2.Observe(ctx, run)
	evs = pages(evs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, describe(ev))
	}
	if len(evs) != 1 || evs[0].Fingerprint != fired[0].Fingerprint || evs[0].Status != alert.Resolved {
		t.Fatalf("resolve after restart: %q", got)
	}
}

// failingStore fails writes, to show that a lost write sends nothing.
type failingStore struct{ *history.Store }

func (failingStore) SaveAlerts(context.Context, string, map[string]json.RawMessage, []history.Notification) error {
	return fmt.Errorf("disk full")
}

// Ensure no event is returned when its state cannot be persisted, so the
// next run retries instead of paging without a record.
func TestObservePersistsBeforeNotifying(t *testing.T) {
	ctx := context.Background()
	store := openHistory(t, filepath.Join(t.TempDir(), "history.db"))
	defer store.Close()
	e, err := alert.NewEngine(failingStore{store}, alert.Config{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.Observe(ctx, alert.RunOutcome{Job: "customer", Target: "staging",
		Checks: []alert.CheckOutcome{drift(opA, d("/a", "removed", "breaking"))}})
	if err == nil || len(evs) != 0 {
		t.Fatalf("Observe with a failing store: events %+v, err %v", evs, err)
	}
}
