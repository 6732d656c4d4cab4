package history_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/runner/history"
	"github.com/mmcontract/mmcontract/runner/history/pgtest"

	"github.com/mmcontract/mmcontract/internal/contract"
	_ "modernc.org/sqlite"
)

// crashChildEnv makes the test binary act as the writer process that
// TestKill9 kills. The switch lives in the test binary only.
const crashChildEnv = "MMCONTRACT_HISTORY_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(pgtest.Main(m))
}

// backend is one implementation of the store; the store behaviour tests run
// on each. store returns a fresh store location: a file, or a database on
// the shared test server.
type backend struct {
	name  string
	store func(t *testing.T) string
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "history.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
}

// forEachBackend runs test once per backend, as subtests.
func forEachBackend(t *testing.T, test func(t *testing.T, be backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { test(t, be) })
	}
}

// crashChild writes runs in a loop and prints "done <id>" after each commit,
// until it is killed.
func crashChild(path string) int {
	ctx := context.Background()
	s, err := history.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		id, err := s.BeginRun(ctx, "crash", "staging", start.Add(time.Duration(i)*time.Second))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("begin", id)
		if err := s.FinishRun(ctx, id, sampleResults(40, i), "/out/"+id, 0); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("done", id)
	}
}

func sampleResults(n, salt int) results.Results {
	res := results.Results{SchemaVersion: 1, Verdict: verdict.Drifted, Target: "staging",
		Counts: map[verdict.Verdict]int{verdict.Pass: n - 1, verdict.Drifted: 1}}
	for i := 0; i < n; i++ {
		c := results.Check{ID: fmt.Sprintf("chk-%d", i), Operation: fmt.Sprintf("op.%d", i%7), Verdict: verdict.Pass,
			LatencyMS: int64(10 + i + salt), HTTPStatus: 200, EnvelopeCode: "0000"}
		if i == 0 {
			c.Verdict = verdict.Drifted
			c.Message = "response shape moved"
			c.Drift = []contract.Drift{{Pointer: "/data/source", Change: "added", Severity: "info", Fingerprint: "fp-source"}}
		}
		res.Checks = append(res.Checks, c)
	}
	return res
}

func openStore(t *testing.T, path string, opts ...history.Option) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// Ensure opening twice applies migrations once and creates the store's folder.
func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "history.db")
	for i := 0; i < 2; i++ {
		s, err := history.Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, maxV int
	if err := db.QueryRow("SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != 3 || maxV != 3 {
		t.Fatalf("schema_migrations: %d rows, max version %d; want 3 rows up to version 3", n, maxV)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode = %q, want wal", mode)
	}
}

// Ensure a store written by a newer binary is refused rather than misread.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	s := openStoreNoCleanup(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = history.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open of a newer store: err = %v, want a 'newer than this binary' error", err)
	}
}

func openStoreNoCleanup(t *testing.T, path string, opts ...history.Option) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

// Ensure a second writer is refused while the first holds the store, and a
// read-only open works beside it without touching in-flight runs.
func TestLockAndReadOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		path := be.store(t)
		s := openStore(t, path)
		id, err := s.BeginRun(ctx, "customer", "staging", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// SQLite has one writer; replicas share a PostgreSQL store.
		if _, err := history.Open(ctx, path); be.name == "sqlite" && !errors.Is(err, history.ErrLocked) {
			t.Fatalf("second writer: err = %v, want ErrLocked", err)
		}
		ro := openStore(t, path, history.ReadOnly())
		r, err := ro.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !r.InFlight() {
			t.Fatalf("read-only open must not mark the live run interrupted: %+v", r)
		}
		if _, err := ro.BeginRun(ctx, "x", "y", time.Now()); !errors.Is(err, history.ErrReadOnly) {
			t.Fatalf("write on read-only store: err = %v, want ErrReadOnly", err)
		}
		if _, err := history.Open(ctx, filepath.Join(t.TempDir(), "missing.db"), history.ReadOnly()); err == nil {
			t.Fatal("read-only open of a missing store succeeded")
		}
	})
}

// Ensure a run, its checks and drift events come back as written, with free
// text redacted, and that an in-flight run is marked interrupted on reopen.
func TestRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		path := be.store(t)
		red := redact.New(redact.DefaultConfig())
		red.Learn("s3cr3t-token")
		s := openStoreNoCleanup(t, path, history.WithRedactor(red))

		started := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
		id, err := s.BeginRun(ctx, "customer", "staging", started)
		if err != nil {
			t.Fatal(err)
		}
		res := sampleResults(5, 0)
		res.Checks[0].Message = "login with s3cr3t-token failed"
		res.FinishedAt = started.Add(3 * time.Second)
		if err := s.FinishRun(ctx, id, res, "/runs/"+id, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, id, res, "/runs/"+id, 0); err == nil {
			t.Fatal("finishing a run twice succeeded")
		}
		inflight, err := s.BeginRun(ctx, "customer", "staging", started.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		skipped, err := s.RecordSkipped(ctx, "customer", "staging", started.Add(2*time.Minute), "previous run still running")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s = openStore(t, path)
		recovered := s.Recovered()
		if be.name == "postgres" {
			// Replicas share the database: the one taking the job over
			// marks its runs left in flight.
			if ok, err := s.AcquireLease(ctx, history.JobLease("customer"), time.Minute); err != nil || !ok {
				t.Fatalf("AcquireLease = %v, %v", ok, err)
			}
			if recovered, err = s.InterruptRuns(ctx, "customer"); err != nil {
				t.Fatal(err)
			}
		}
		if recovered != 1 {
			t.Fatalf("recovered %d in-flight runs, want 1", recovered)
		}
		r, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := history.Run{ID: id, Job: "customer", Target: "staging", StartedAt: started, FinishedAt: res.FinishedAt,
			Verdict: verdict.Drifted, Counts: res.Counts, OutDir: "/runs/" + id}
		if fmt.Sprint(r) != fmt.Sprint(want) {
			t.Fatalf("run:\n got %+v\nwant %+v", r, want)
		}
		checks, err := s.Checks(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) != 5 {
			t.Fatalf("%d checks, want 5", len(checks))
		}
		if c := checks[0]; c.CheckID != "chk-0" || c.Verdict != verdict.Drifted || c.LatencyMS != 10 ||
			c.HTTPStatus != 200 || c.EnvelopeCode != "0000" || c.Message != "login with [redacted] failed" {
			t.Fatalf("check 0 = %+v", c)
		}
		drift, err := s.DriftEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(drift) != 1 || drift[0] != (history.DriftEvent{Operation: "op.0", Pointer: "/data/source", Change: "added",
			Severity: "info", Fingerprint: "fp-source"}) {
			t.Fatalf("drift = %+v", drift)
		}
		ir, err := s.Run(ctx, inflight)
		if err != nil {
			t.Fatal(err)
		}
		if ir.Verdict != verdict.Error || ir.Error != history.Interrupted || ir.InFlight() || ir.ExitCode != verdict.ExitHarness {
			t.Fatalf("interrupted run = %+v", ir)
		}
		runs, err := s.Runs(ctx, history.Filter{Job: "customer", Last: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].ID != skipped || runs[1].ID != inflight || runs[0].Verdict != verdict.Skipped {
			t.Fatalf("Runs(last 2) = %+v", runs)
		}
		if _, err := s.Run(ctx, "nope"); !errors.Is(err, history.ErrNotFound) {
			t.Fatalf("Run(nope) err = %v, want ErrNotFound", err)
		}
		if all, _ := s.Runs(ctx, history.Filter{Job: "other"}); len(all) != 0 {
			t.Fatalf("Runs(other job) = %+v", all)
		}
	})
}

// Ensure a child that crashed is stored as an error run with its cause.
func TestFailRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s := openStore(t, be.store(t))
		id, err := s.BeginRun(ctx, "customer", "staging", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FailRun(ctx, id, "/out", 137, "child killed: signal: killed"); err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Verdict != verdict.Error || r.ExitCode != 137 || r.Error != "child killed: signal: killed" || r.OutDir != "/out" {
			t.Fatalf("failed run = %+v", r)
		}
	})
}

// Ensure the trend strip aligns each operation's points with the runs, oldest
// first, taking the worst verdict and highest latency per run.
func TestTrend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s := openStore(t, be.store(t))
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		mk := func(i int, checks ...results.Check) string {
			id, err := s.BeginRun(ctx, "customer", "staging", base.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.FinishRun(ctx, id, results.Results{Checks: checks}, "", 0); err != nil {
				t.Fatal(err)
			}
			return id
		}
		mk(0, results.Check{ID: "a", Operation: "opA", Verdict: verdict.Pass, LatencyMS: 5})
		r1 := mk(1, results.Check{ID: "a", Operation: "opA", Verdict: verdict.Pass, LatencyMS: 7},
			results.Check{ID: "a-neg", Operation: "opA", Verdict: verdict.Broken, LatencyMS: 3},
			results.Check{ID: "b", Operation: "opB", Verdict: verdict.Pass, LatencyMS: 9})
		r2 := mk(2, results.Check{ID: "a", Operation: "opA", Verdict: verdict.Unavailable, LatencyMS: 15000})
		tr, err := s.Trend(ctx, "customer", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Runs) != 2 || tr.Runs[0].ID != r1 || tr.Runs[1].ID != r2 {
			t.Fatalf("trend runs = %+v", tr.Runs)
		}
		if tr.Runs[0].Verdict != verdict.Broken {
			t.Fatalf("derived run verdict = %s, want broken", tr.Runs[0].Verdict)
		}
		wantA := []history.TrendPoint{{Verdict: verdict.Broken, LatencyMS: 7}, {Verdict: verdict.Unavailable, LatencyMS: 15000}}
		wantB := []history.TrendPoint{{Verdict: verdict.Pass, LatencyMS: 9}, {}}
		if fmt.Sprint(tr.Operations["opA"]) != fmt.Sprint(wantA) || fmt.Sprint(tr.Operations["opB"]) != fmt.Sprint(wantB) {
			t.Fatalf("trend operations = %+v", tr.Operations)
		}
	})
}

// Ensure retention by count keeps the newest runs per job and retention by
// age drops old runs with their checks, resolved alerts and superseded spec
// versions, but never runs in flight.
func TestPrune(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		s := openStore(t, be.store(t), history.WithClock(func() time.Time { return now }))
		var ids []string
		for i := 0; i < 10; i++ {
			id, err := s.BeginRun(ctx, "customer", "staging", now.Add(-time.Duration(10-i)*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.FinishRun(ctx, id, sampleResults(3, i), "/out/"+id, 0); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		nightly, err := s.BeginRun(ctx, "nightly", "staging", now.Add(-20*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, nightly, sampleResults(1, 0), "", 0); err != nil {
			t.Fatal(err)
		}
		old, err := s.BeginRun(ctx, "customer", "staging", now.Add(-90*24*time.Hour)) // in flight: never pruned
		if err != nil {
			t.Fatal(err)
		}

		p, err := s.Prune(ctx, 0, 6)
		if err != nil {
			t.Fatal(err)
		}
		if p.Runs != 4 || len(p.OutDirs) != 4 || p.OutDirs[0] == "" {
			t.Fatalf("prune by count = %+v, want 4 runs", p)
		}
		runs, _ := s.Runs(ctx, history.Filter{Job: "customer"})
		if len(runs) != 7 || runs[0].ID != ids[9] || runs[5].ID != ids[4] || runs[6].ID != old {
			t.Fatalf("after prune by count: %d runs: %+v", len(runs), runs)
		}
		if c, _ := s.Checks(ctx, ids[0]); len(c) != 0 {
			t.Fatalf("checks of a pruned run survived: %+v", c)
		}

		// Alert states: a resolved one long untouched goes, a firing one stays.
		clock := now.Add(-30 * 24 * time.Hour)
		s2 := openStore(t, be.store(t), history.WithClock(func() time.Time { return clock }))
		if err := s2.PutAlertStates(ctx, "customer", map[string]json.RawMessage{
			"resolved-old": json.RawMessage(`{"status":"resolved"}`),
			"firing-old":   json.RawMessage(`{"status":"firing"}`),
		}); err != nil {
			t.Fatal(err)
		}
		for i, body := range []string{"v1", "v2-invalid", "v3"} {
			if _, _, err := s2.PutSpecVersion(ctx, "src", []byte(body), !strings.Contains(body, "invalid"), "",
				clock.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s2.PutSpecVersion(ctx, "src", []byte("v2-invalid"), false, "html page", clock.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		clock = now
		p, err = s2.Prune(ctx, 7*24*time.Hour, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.AlertStates != 1 || p.SpecVersions != 1 {
			t.Fatalf("prune by age (alerts/specs) = %+v, want 1 alert state and 1 spec version (v1)", p)
		}
		st, _ := s2.AlertStates(ctx, "")
		if _, ok := st["firing-old"]; !ok || len(st) != 1 {
			t.Fatalf("alert states after prune = %v", st)
		}
		if v, ok, _ := s2.LatestValidSpecVersion(ctx, "src"); !ok || string(v.Content) != "v3" {
			t.Fatalf("latest valid after prune = %q %v", v.Content, ok)
		}
		if v, ok, _ := s2.LatestSpecVersion(ctx, "src"); !ok || string(v.Content) != "v2-invalid" {
			t.Fatalf("latest after prune = %q %v", v.Content, ok)
		}

		p, err = s.Prune(ctx, 7*24*time.Hour, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The count prune left customer runs of days -6..-1, all within a week:
		// only the nightly run of day -20 is older.
		if p.Runs != 1 {
			runs, _ = s.Runs(ctx, history.Filter{})
			t.Fatalf("prune by age removed %d runs; left %+v", p.Runs, runs)
		}
		runs, _ = s.Runs(ctx, history.Filter{})
		for _, r := range runs {
			if !r.InFlight() && r.StartedAt.Before(now.Add(-7*24*time.Hour)) {
				t.Fatalf("run older than max age survived: %+v", r)
			}
		}
		if r, err := s.Run(ctx, old); err != nil || !r.InFlight() {
			t.Fatalf("in-flight run: %+v %v", r, err)
		}
	})
}

// Ensure spec versions are stored once per content and "latest" follows a
// publish that reverts to an earlier content.
func TestSpecVersions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s := openStore(t, be.store(t))
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, ok, err := s.LatestSpecVersion(ctx, "u"); ok || err != nil {
			t.Fatalf("empty store: ok=%v err=%v", ok, err)
		}
		steps := []struct {
			body    string
			valid   bool
			created bool
		}{{"A", true, true}, {"<html>504</html>", false, true}, {"A", true, false}, {"B", true, true}}
		for i, st := range steps {
			v, created, err := s.PutSpecVersion(ctx, "u", []byte(st.body), st.valid, "reason", t0.Add(time.Duration(i)*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if created != st.created {
				t.Fatalf("step %d: created = %v, want %v", i, created, st.created)
			}
			if i == 2 && !v.FirstSeenAt.Equal(t0) {
				t.Fatalf("re-seen content lost its first-seen time: %v", v.FirstSeenAt)
			}
			latest, _, _ := s.LatestSpecVersion(ctx, "u")
			if string(latest.Content) != st.body || latest.Hash != v.Hash || len(latest.Hash) != 64 {
				t.Fatalf("step %d: latest = %q (%s)", i, latest.Content, latest.Hash)
			}
		}
		v, ok, err := s.LatestValidSpecVersion(ctx, "u")
		if err != nil || !ok || string(v.Content) != "B" {
			t.Fatalf("latest valid = %q %v %v", v.Content, ok, err)
		}
	})
}

// Ensure readers neither block on nor see a write transaction in progress:
// a run's checks are visible all at once, never partially.
func TestReadsDuringWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		s := openStore(t, be.store(t))
		const checksPerRun = 300
		stop := make(chan struct{})
		errc := make(chan error, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, err := s.BeginRun(ctx, "load", "staging", time.Now())
				if err == nil {
					err = s.FinishRun(ctx, id, sampleResults(checksPerRun, i), "", 0)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
		deadline := time.Now().Add(1500 * time.Millisecond)
		reads := 0
		for time.Now().Before(deadline) {
			runs, err := s.Runs(ctx, history.Filter{Job: "load", Last: 3})
			if err != nil {
				t.Fatalf("read during write: %v", err)
			}
			for _, r := range runs {
				c, err := s.Checks(ctx, r.ID)
				if err != nil {
					t.Fatalf("checks during write: %v", err)
				}
				// A reader may see the run in flight (0 checks) or finished (all);
				// a partially written run would mean FinishRun is not atomic.
				if n := len(c); (r.InFlight() && n != 0) || (!r.InFlight() && n != checksPerRun) {
					// The run row is read before its checks, so it may have finished in between.
					if !(r.InFlight() && n == checksPerRun) {
						t.Fatalf("run %s (in flight %v) has %d checks", r.ID, r.InFlight(), n)
					}
				}
			}
			reads++
		}
		close(stop)
		wg.Wait()
		select {
		case err := <-errc:
			t.Fatalf("writer: %v", err)
		default:
		}
		if reads < 10 {
			t.Fatalf("only %d reads completed while writing", reads)
		}
		t.Logf("%d read rounds during writes", reads)
	})
}

// Ensure a SIGKILL at a random moment of a writer loses at most the run in
// flight: the store passes integrity_check, every run the child reported as
// committed is intact, and the in-flight run is marked interrupted.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "history.db")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	killAfter := time.Duration(300+rand.IntN(700)) * time.Millisecond
	var timer <-chan time.Time
	done := map[string]bool{}
	var begun []string
	killed := false
	for !killed {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child exited before it was killed: %v", cmd.Wait())
			}
			switch f := strings.Fields(l); {
			case l == "ready":
				timer = time.After(killAfter)
			case len(f) == 2 && f[0] == "begin":
				begun = append(begun, f[1])
			case len(f) == 2 && f[0] == "done":
				done[f[1]] = true
			}
		case <-timer:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		case <-ctx.Done():
			t.Fatal("timed out waiting for the child")
		}
	}
	for l := range lines { // drain what the child printed before dying
		if f := strings.Fields(l); len(f) == 2 && f[0] == "done" {
			done[f[1]] = true
		} else if len(f) == 2 && f[0] == "begin" {
			begun = append(begun, f[1])
		}
	}
	_ = cmd.Wait()
	if len(done) == 0 {
		t.Fatalf("child committed no run in %v", killAfter)
	}

	s := openStore(t, path)
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx, history.Filter{Job: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	interrupted, complete := 0, 0
	for _, r := range runs {
		switch {
		case r.Error == history.Interrupted:
			interrupted++
			if done[r.ID] {
				t.Fatalf("run %s was reported committed but is marked interrupted", r.ID)
			}
		case r.InFlight():
			t.Fatalf("run %s still in flight after reopen", r.ID)
		default:
			complete++
			c, err := s.Checks(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := s.DriftEvents(ctx, r.ID)
			if len(c) != 40 || len(d) != 1 || r.Verdict != verdict.Drifted {
				t.Fatalf("run %s: %d checks, %d drift events, verdict %s", r.ID, len(c), len(d), r.Verdict)
			}
		}
	}
	for id := range done {
		if _, err := s.Run(ctx, id); err != nil {
			t.Fatalf("committed run %s lost: %v", id, err)
		}
	}
	// The child may die after a commit but before printing it, so one more
	// complete run than reported is fine; more than one in-flight run is not.
	if interrupted > 1 || complete < len(done) || complete > len(done)+1 || len(runs) > len(begun)+1 {
		t.Fatalf("after kill: %d complete (%d reported), %d interrupted, %d begun", complete, len(done), interrupted, len(begun))
	}
	t.Logf("killed after %v: %d runs committed, %d interrupted", killAfter, complete, interrupted)
}

// Ensure a PostgreSQL URL's password appears neither in the store's Path nor
// in the error of a refused connection.
func TestPostgresPasswordNeverShown(t *testing.T) {
	good := pgtest.URL(t)
	s := openStore(t, good)
	if strings.Contains(s.Path(), pgtest.Password) || !strings.Contains(s.Path(), "xxxxx") {
		t.Fatalf("Path() = %q, want the password masked", s.Path())
	}
	bad := strings.Replace(good, pgtest.Password, "Wrong-Pass-0815", 1)
	_, err := history.Open(context.Background(), bad)
	if err == nil {
		t.Fatal("open with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "Wrong-Pass-0815") {
		t.Fatalf("error shows the password: %v", err)
	}
	if got := history.DisplayStore("postgres://u:p%40ss@h/db?password=two"); strings.Contains(got, "p%40ss") || strings.Contains(got, "two") {
		t.Fatalf("DisplayStore = %q", got)
	}
}

// Ensure a job lease is held by one replica until it expires, is taken over
// after that, fences the alert-state writes of the replica that lost it, and
// is free at once when released. SQLite has one replica: it only shows that
// the lease is granted and renewed.
func TestLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		path := be.store(t)
		clock, advance := fakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		a := openStore(t, path, history.WithReplica("a"), history.WithClock(clock))
		lease := history.JobLease("customer")
		state := map[string]json.RawMessage{"k": json.RawMessage(`{"status":"firing"}`)}
		for i := 0; i < 2; i++ {
			if ok, err := a.AcquireLease(ctx, lease, 15*time.Second); err != nil || !ok {
				t.Fatalf("acquire #%d by a = %v, %v; want held", i+1, ok, err)
			}
		}
		if err := a.SaveAlerts(ctx, "customer", state, nil); err != nil {
			t.Fatalf("holder's SaveAlerts: %v", err)
		}
		if be.name == "sqlite" {
			return
		}
		b := openStore(t, path, history.WithReplica("b"), history.WithClock(clock))
		if ok, err := b.AcquireLease(ctx, lease, 15*time.Second); err != nil || ok {
			t.Fatalf("acquire by b while a holds it = %v, %v; want refused", ok, err)
		}
		if err := b.SaveAlerts(ctx, "customer", state, nil); !errors.Is(err, history.ErrNotLeaseHolder) {
			t.Fatalf("standby's SaveAlerts err = %v, want ErrNotLeaseHolder", err)
		}
		advance(16 * time.Second) // a stopped renewing
		if ok, err := b.AcquireLease(ctx, lease, 15*time.Second); err != nil || !ok {
			t.Fatalf("takeover by b after expiry = %v, %v; want held", ok, err)
		}
		if ok, _ := a.AcquireLease(ctx, lease, 15*time.Second); ok {
			t.Fatal("a renewed a lease b took over")
		}
		if err := a.SaveAlerts(ctx, "customer", state, nil); !errors.Is(err, history.ErrNotLeaseHolder) {
			t.Fatalf("old holder's SaveAlerts err = %v, want ErrNotLeaseHolder", err)
		}
		holders, err := a.LeaseHolders(ctx)
		if err != nil || holders[lease] != "b" {
			t.Fatalf("LeaseHolders = %v, %v; want %s held by b", holders, err, lease)
		}
		if err := b.ReleaseLease(ctx, lease); err != nil {
			t.Fatal(err)
		}
		if ok, err := a.AcquireLease(ctx, lease, 15*time.Second); err != nil || !ok {
			t.Fatalf("acquire after release = %v, %v; want held", ok, err)
		}
	})
}

// Ensure outbox rows are claimed by one replica at a time, in order, and
// return to the others once a dead replica's claim expired.
func TestOutboxClaims(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		path := be.store(t)
		clock, advance := fakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		a := openStore(t, path, history.WithReplica("a"), history.WithClock(clock))
		var notes []history.Notification
		for i := 0; i < 3; i++ {
			notes = append(notes, history.Notification{ID: fmt.Sprintf("ev-%d", i), Receiver: "oncall",
				Payload: json.RawMessage(`{}`)})
		}
		if err := a.SaveAlerts(ctx, "customer", nil, notes); err != nil {
			t.Fatal(err)
		}
		got, err := a.ClaimNotifications(ctx, "oncall", 2)
		if err != nil || len(got) != 2 || got[0].ID != "ev-0" || got[1].ID != "ev-1" {
			t.Fatalf("a's claim = %+v, %v; want ev-0, ev-1", got, err)
		}
		if err := a.MarkNotificationSent(ctx, got[0].Seq, clock()); err != nil {
			t.Fatal(err)
		}
		if got, err = a.ClaimNotifications(ctx, "oncall", 10); err != nil || len(got) != 2 || got[0].ID != "ev-1" {
			t.Fatalf("a's renewed claim = %+v, %v; want ev-1, ev-2", got, err)
		}
		if be.name == "sqlite" {
			return
		}
		b := openStore(t, path, history.WithReplica("b"), history.WithClock(clock))
		if got, err := b.ClaimNotifications(ctx, "oncall", 10); err != nil || len(got) != 0 {
			t.Fatalf("b claimed %+v, %v while a holds the head; want nothing", got, err)
		}
		advance(history.ClaimTTL + time.Second) // a died
		if got, err := b.ClaimNotifications(ctx, "oncall", 10); err != nil || len(got) != 2 || got[0].ID != "ev-1" {
			t.Fatalf("b's claim after a's expired = %+v, %v; want ev-1, ev-2", got, err)
		}
		if got, err := a.ClaimNotifications(ctx, "oncall", 10); err != nil || len(got) != 0 {
			t.Fatalf("a claimed %+v, %v after b took over; want nothing", got, err)
		}
	})
}

// fakeClock is a clock shared by the stores of one test, moved by advance.
func fakeClock(start time.Time) (now func() time.Time, advance func(time.Duration)) {
	var mu sync.Mutex
	t := start
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return t },
		func(d time.Duration) { mu.Lock(); t = t.Add(d); mu.Unlock() }
}
