package alertmanager_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mmcontract/mmcontract/runner/alert/alertmanager/amtest"

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
	// A run-derived alert announces when the monitor will have refreshed it:
	// that, not now + TTL, is its endsAt.
	ex := ev
	ex.ExpiresAt = now.Add(3 * time.Minute)
	if a := alertmanager.Render(ex, now, time.Hour); !a.EndsAt.Equal(ex.ExpiresAt) {
		t.Fatalf("endsAt %v, want the event's ExpiresAt %v", a.EndsAt, ex.ExpiresAt)
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
	base := amtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	n, err := alertmanager.New("am", alertmanager.Config{URL: base + "/", HTTPConfig: alert.HTTPConfig{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ev := firing()
	if err := n.Send(ctx, ev); err != nil {
		t.Fatalf("send firing: %v", err)
	}
	waitFor(t, ctx, "alert listed active", func() (bool, error) {
		as, err := amtest.Alerts(base, ev.Fingerprint)
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
		as, err := amtest.Alerts(base, ev.Fingerprint)
		return err == nil && len(as) == 0, err
	})
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
