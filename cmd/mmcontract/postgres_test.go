package main

import (
	"net/http"
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

// roleOf reads a replica's role from its /healthz ("" when it does not
// answer, e.g. killed).
func roleOf(p *monitorProc) string {
	resp, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	return resp.Header.Get("X-Mmcontract-Role")
}

// Ensure two monitor processes on one PostgreSQL store share the work: one
// leads the job, the other stands by; a type-change pages exactly once; after
// kill -9 of the leader the standby takes the job over within the lease
// bound, and the resolve still arrives exactly once.
func TestMonitorReplicasOnePage(t *testing.T) {
	url := pgtest.URL(t)
	sim, simURL := simServer(t, "nominal")
	hook, hookURL := newHookSink(t)
	env := monitor.StoreURLEnv + "=" + url
	cfgA, _ := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 3)
	cfgB, _ := monitorConfig(t, t.TempDir(), simURL, hookURL, "", 3)
	a := startMonitorEnv(t, cfgA, env)
	eventually(t, "replica A leading", 30*time.Second, func() bool { return roleOf(a) == "leader of customer" })
	b := startMonitorEnv(t, cfgB, env)
	eventually(t, "replica B standing by", 30*time.Second, func() bool { return roleOf(b) == "standby for customer" })
	_, health := httpGet(t, "http://"+b.addr+"/healthz")
	if !strings.Contains(health, "role: standby for customer") || strings.Contains(health, pgtest.Password) {
		t.Errorf("standby /healthz:\n%s", health)
	}
	if m := grep(scrape(t, b.addr), `mmcontract_replica_leader{job="customer"}`); !strings.HasSuffix(m, " 0") {
		t.Errorf("standby metric %q, want 0", m)
	}
	if m := grep(scrape(t, a.addr), `mmcontract_replica_leader{job="customer"}`); !strings.HasSuffix(m, " 1") {
		t.Errorf("leader metric %q, want 1", m)
	}

	waitMoreRuns(t, url, 2)
	if err := sim.SetScenario("type-change"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the firing webhook", 60*time.Second, func() bool { return hook.count(alert.Firing) >= 1 })
	waitMoreRuns(t, url, 2) // still broken: nobody pages again

	// kill -9 the leader: its lease expires, the standby takes over.
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	killed := time.Now()
	bound := monitor.LeaseTTL + monitor.LeaseRenew
	eventually(t, "the standby taking the job over", bound+15*time.Second, func() bool {
		return roleOf(b) == "leader of customer"
	})
	took := time.Since(killed)
	t.Logf("takeover after kill -9: %s (documented bound %s)", took.Round(100*time.Millisecond), bound)
	if took > bound+5*time.Second {
		t.Errorf("takeover took %s, documented bound %s", took, bound)
	}
	waitMoreRuns(t, url, 1) // the new leader runs the job
	if err := sim.SetScenario("nominal"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the resolved webhook", 60*time.Second, func() bool { return hook.count(alert.Resolved) >= 1 })
	waitMoreRuns(t, url, 2)
	if code := b.stop(t); code != 0 {
		t.Errorf("replica B exit %d after SIGTERM, want 0", code)
	}
	if f, r := hook.count(alert.Firing), hook.count(alert.Resolved); f != 1 || r != 1 {
		t.Errorf("%d firing and %d resolved webhooks across two replicas, want exactly 1 and 1: %+v", f, r, hook.got())
	}
	if evs := hook.got(); len(evs) == 2 && evs[0].Fingerprint != evs[1].Fingerprint {
		t.Errorf("firing %s and resolved %s: want one fingerprint", evs[0].Fingerprint, evs[1].Fingerprint)
	}
}
