package alertmanager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/alert/alertmanager"
)

func firing() alert.Event {
	return alert.Event{Status: alert.Firing, Severity: alert.Critical, Kind: alert.KindContract,
		Fingerprint: fmt.Sprintf("fp%d", time.Now().UnixNano()), Job: "customer", Target: "staging",
		Operation: "customer.app.CustomerWebApiService.findCustomerInfo", Summary: "contract broken on staging",
		RunID: "r1", ReportURL: "http://127.0.0.1:9464/runs/r1/report.html", StartedAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)}
}

// Ensure firing and resolved alerts carry identical labels (Alertmanager's
// identity), a firing alert expires after the TTL and a resolved one ends at
// its resolve time.
func TestRender(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ev := firing()
	ev.StartedAt = now.Add(-time.Hour)
	f := alertmanager.Render(ev, now, time.Hour)
	res := ev
	res.Status, res.EndsAt, res.Summary = alert.Resolved, now.Add(time.Minute), "resolved: "+ev.Summary
	r := alertmanager.Render(res, now.Add(2*time.Minute), time.Hour)
	if !reflect.DeepEqual(f.Labels, r.Labels) {
		t.Fatalf("labels differ:\n%v\n%v", f.Labels, r.Labels)
	}
	want := map[string]string{"alertname": "MmcontractContractBroken", "job": "customer", "target": "staging",
		"operation": ev.Operation, "fingerprint": ev.Fingerprint, "severity": "critical"}
	if !reflect.DeepEqual(f.Labels, want) {
		t.Fatalf("labels = %v", f.Labels)
	}
	if !f.EndsAt.Equal(now.Add(time.Hour)) || !r.EndsAt.Equal(now.Add(time.Minute)) || !f.StartsAt.Equal(ev.StartedAt) {
		t.Fatalf("firing %v..%v, resolved ends %v", f.StartsAt, f.EndsAt, r.EndsAt)
	}
	if f.Annotations["report_url"] != ev.ReportURL || f.GeneratorURL != ev.ReportURL || r.Annotations["summary"] != ev.Summary {
		t.Fatalf("annotations = %v / %v", f.Annotations, r.Annotations)
	}
	u := ev
	u.Kind, u.Operation = alert.KindUnavailable, ""
	if l := alertmanager.Render(u, now, time.Hour).Labels; l["alertname"] != "MmcontractVendorUnavailable" {
		t.Fatalf("unavailable labels = %v", l)
	} else if _, ok := l["operation"]; ok {
		t.Fatalf("empty operation label sent: %v", l)
	}
}

// Ensure a real Alertmanager accepts the alert, lists it active, and after
// the resolved event no longer lists it (API v2 omits alerts whose endsAt
// has passed).
func TestRealAlertmanager(t *testing.T) {
	bin := ""
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	logs, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("alertmanager log:\n%s", b)
		}
	}()
	base := "http://" + addr
	waitFor(t, ctx, "alertmanager ready", func() (bool, error) {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})

	n, err := alertmanager.New(alert.ReceiverConfig{Name: "am", URL: base + "/", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ev := firing()
	if err := n.Send(ctx, ev); err != nil {
		t.Fatalf("send firing: %v", err)
	}
	waitFor(t, ctx, "alert listed active", func() (bool, error) {
		as, err := listAlerts(base, ev.Fingerprint)
		if err != nil || len(as) != 1 {
			return false, err
		}
		a := as[0]
		if a.Status.State == "unprocessed" { // not yet through the pipeline
			return false, nil
		}
		if a.Status.State != "active" || a.Labels["alertname"] != "MmcontractContractBroken" || a.Labels["job"] != "customer" ||
			a.Annotations["report_url"] != ev.ReportURL || !a.StartsAt.Equal(ev.StartedAt) {
			return false, fmt.Errorf("unexpected alert %+v", a)
		}
		return true, nil
	})

	res := ev
	res.Status, res.EndsAt, res.Summary = alert.Resolved, time.Now().UTC(), "resolved: "+ev.Summary
	if err := n.Send(ctx, res); err != nil {
		t.Fatalf("send resolved: %v", err)
	}
	waitFor(t, ctx, "alert gone from the active list", func() (bool, error) {
		as, err := listAlerts(base, ev.Fingerprint)
		return err == nil && len(as) == 0, err
	})
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func listAlerts(base, fp string) ([]amAlert, error) {
	q := url.Values{"filter": {fmt.Sprintf("fingerprint=%q", fp)}}
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET alerts: HTTP %d", resp.StatusCode)
	}
	var out []amAlert
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond until it holds; an error from cond fails at once.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	deadline, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-deadline.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}
