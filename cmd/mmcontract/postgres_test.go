package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history/pgtest"
	"github.com/mmcontract/mmcontract/runner/monitor"
)

// Ensure a monitor whose MM_STORE_URL names a PostgreSQL database records
// its runs there (the URL wins over the config's store file), pages a
// type-change once, is readable with `history --store URL`, and never shows
// the URL's password: not on stdout or stderr, not in /healthz, not in the
// history output.
func TestMonitorPostgresStore(t *testing.T) {
	url := pgtest.URL(t)
	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	cfg, file := monitorConfig(t, dir, simURL, hookURL, "", 3)
	p := startMonitorEnv(t, cfg, monitor.StoreURLEnv+"="+url)

	waitMoreRuns(t, url, 2)
	if err := sim.SetScenario("type-change"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the firing webhook", 60*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	waitMoreRuns(t, url, 2) // still broken: must not page again
	_, health := httpGet(t, "http://"+p.addr+"/healthz")
	if code := p.stop(t); code != 0 {
		t.Errorf("monitor exit %d after SIGTERM, want 0", code)
	}
	if n := hook.count(alert.Firing); n != 1 {
		t.Errorf("%d firing webhooks, want 1", n)
	}
	if runs := storeRuns(t, file, "customer"); len(runs) != 0 {
		t.Errorf("%d runs in the config's store file; MM_STORE_URL must win", len(runs))
	}
	r := mmcontract(t, nil, "history", "--store", url, "--job", "customer", "--last", "2")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "RUN") || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("history --store URL: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := mmcontract(t, nil, "history", "--store", strings.Replace(url, pgtest.Password, "Wrong-Pass-0815", 1))
	if bad.code != 2 || strings.Contains(bad.stderr, "Wrong-Pass-0815") {
		t.Errorf("history with a wrong password: exit %d, want 2 without the password\n%s", bad.code, bad.stderr)
	}
	for name, out := range map[string]string{"stderr": p.stderr.String(), "healthz": health, "history": r.stdout + r.stderr} {
		if strings.Contains(out, pgtest.Password) {
			t.Errorf("the store URL's password appears in %s", name)
		}
	}
}
