package monitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

// openapiDoc is a one-operation vendor spec whose response data has props.
func openapiDoc(props string) string {
	return `{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{"/global/a.b.S.op":{"post":{` +
		`"responses":{"200":{"content":{"application/json":{"schema":{"type":"object","properties":{` +
		`"code":{"type":"string"},"data":{"type":"object","properties":{` + props + `}}}}}}}}}}}}`
}

// Ensure a spec-watch job stores each version, stays quiet on the first
// version, an unchanged one and an invalid publish fixed in time, sends info
// for additions and critical for a breaking change, each once, and pages a
// publish that stays invalid past spec_invalid_after, resolving it when fixed.
func TestSpecWatch(t *testing.T) {
	hook := &hookRecorder{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	var served atomic.Value
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := served.Load().(string)
		if s == "503" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, s)
	}))
	defer src.Close()

	cfg := baseConfig(t, hs.URL)
	noDamping := Duration(0) // resolves are asserted at the step that resolves
	cfg.Alerting.FlapWindow = &noDamping
	cfg.Jobs = []Job{{Name: "vendor-spec", Kind: "spec", Schedule: "@daily", Source: src.URL + "/client.json"}}
	cfg.Alerting.UnavailableAfter = 2
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	m := newTestMonitorAt(t, cfg, &fakeRunner{results: passResults}, func() time.Time { return time.Unix(0, clock.Load()).UTC() })
	advance := func(d time.Duration) { clock.Add(int64(d)) }

	v1 := openapiDoc(`"id":{"type":"integer"},"name":{"type":"string"}`)
	v2 := openapiDoc(`"id":{"type":"integer"},"name":{"type":"string"},"source":{"type":"string"}`)
	v3 := openapiDoc(`"id":{"type":"string"},"name":{"type":"string"},"source":{"type":"string"}`)
	html504 := "<html><head><title>504 Gateway Time-out</title></head><body>504</body></html>"

	steps := []struct {
		name    string
		serve   string
		after   time.Duration
		verdict verdict.Verdict
		events  []string // status/severity of new webhook events
	}{
		{"first version is the reference", v1, 0, verdict.Pass, nil},
		{"unchanged", v1, time.Hour, verdict.Pass, nil},
		{"an addition is info", v2, time.Hour, verdict.Drifted, []string{"firing/info"}},
		{"an invalid publish pages nobody at first", html504, time.Hour, verdict.Broken, nil},
		{"fixed within the day: still nobody", v2, time.Hour, verdict.Pass, nil},
		{"a retyped field is breaking", v3, time.Hour, verdict.Broken, []string{"firing/critical"}},
		{"unreachable once: no page", "503", time.Hour, verdict.Unavailable, nil},
		{"unreachable twice: unavailability pages", "503", time.Hour, verdict.Unavailable, []string{"firing/critical"}},
		{"back: unavailability resolves", v3, time.Hour, verdict.Pass, []string{"resolved/critical"}},
		{"invalid again", `{"success":false,"errorCode":"403012"}`, time.Hour, verdict.Broken, nil},
		{"invalid past spec_invalid_after pages a warning", `{"success":false,"errorCode":"403012"}`, 25 * time.Hour, verdict.Broken, []string{"firing/warning"}},
		{"still invalid: no second page", html504, time.Hour, verdict.Broken, nil},
		{"fixed: resolved", v3, time.Hour, verdict.Pass, []string{"resolved/warning"}},
	}
	seen := 0
	for _, st := range steps {
		advance(st.after)
		served.Store(st.serve)
		m.Tick("vendor-spec")
		runs, err := m.Store().Runs(context.Background(), history.Filter{Job: "vendor-spec", Last: 1})
		if err != nil || len(runs) != 1 {
			t.Fatalf("%s: runs %v %d", st.name, err, len(runs))
		}
		if runs[0].Verdict != st.verdict {
			t.Errorf("%s: run verdict %s (%s), want %s", st.name, runs[0].Verdict, runs[0].Error, st.verdict)
		}
		want := seen + len(st.events)
		waitUntil(t, st.name+": webhooks", 5*time.Second, func() bool { return len(hook.got()) >= want })
		time.Sleep(50 * time.Millisecond)
		evs := hook.got()
		if len(evs) != want {
			t.Fatalf("%s: %d new webhook events, want %v: %+v", st.name, len(evs)-seen, st.events, evs[seen:])
		}
		for i, w := range st.events {
			ev := evs[seen+i]
			if got := string(ev.Status) + "/" + string(ev.Severity); got != w {
				t.Errorf("%s: event %s (%s), want %s", st.name, got, ev.Summary, w)
			}
		}
		seen = want
	}
	evs := hook.got()
	if evs[0].Kind != alert.KindSpec || !strings.Contains(evs[0].Changes[0].Pointer, "/data/source") {
		t.Errorf("the info event does not name the added field: %+v", evs[0])
	}
	if !strings.HasSuffix(evs[0].ReportURL, "/specdiff.json") {
		t.Errorf("report_url %q does not link the diff", evs[0].ReportURL)
	}
	id := evs[0].RunID
	if code, body := get(t, m, "/runs/"+id+"/specdiff.json"); code != 200 || !strings.Contains(body, `"change": "added"`) {
		t.Errorf("specdiff.json: %d %s", code, body)
	}
	if evs[len(evs)-2].Fingerprint != evs[len(evs)-1].Fingerprint {
		t.Errorf("invalid-spec firing and resolved differ in fingerprint")
	}
	// Every distinct content is stored once.
	latest, ok, err := m.Store().LatestValidSpecVersion(context.Background(), cfg.Jobs[0].Source)
	if err != nil || !ok || string(latest.Content) != v3 {
		t.Errorf("latest valid version: %v %v", ok, err)
	}
}

// Ensure a spec source can be a local file, and an oversized one is refused.
func TestSpecFetchFileBounded(t *testing.T) {
	m := &Monitor{}
	dir := t.TempDir()
	small := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(small, []byte(openapiDoc(`"id":{"type":"integer"}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := m.fetchSpec(context.Background(), small); err != nil || len(b) == 0 {
		t.Fatalf("file source: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxSpecBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := m.fetchSpec(context.Background(), big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized source: %v", err)
	}
}
