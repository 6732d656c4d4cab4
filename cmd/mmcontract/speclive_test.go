package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/simulator/sample"
	"github.com/mmcontract/mmcontract/runner/alert"
	"github.com/mmcontract/mmcontract/runner/history"
)

// schemaOf is a JSON Schema that documents every field of v (arrays by
// their first item), as a vendor spec that matches its responses would.
func schemaOf(v any) map[string]any {
	switch t := v.(type) {
	case map[string]any:
		props := map[string]any{}
		for k, e := range t {
			props[k] = schemaOf(e)
		}
		return map[string]any{"type": "object", "properties": props}
	case []any:
		s := map[string]any{"type": "array"}
		if len(t) > 0 {
			s["items"] = schemaOf(t[0])
		}
		return s
	case string:
		return map[string]any{"type": "string"}
	case bool:
		return map[string]any{"type": "boolean"}
	case float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// findCustomerInfoSpec is a vendor Client API spec whose findCustomerInfo
// documents exactly the simulator's nominal data, less the fields in drop.
func findCustomerInfoSpec(t *testing.T, drop ...string) []byte {
	t.Helper()
	body, err := sample.FindCustomerInfoBody()
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	for _, k := range drop {
		delete(env.Data, k)
	}
	resp := map[string]any{"type": "object", "properties": map[string]any{
		"code": map[string]any{"type": "string"}, "msg": map[string]any{"type": "string"}, "data": schemaOf(env.Data)}}
	doc := map[string]any{"openapi": "3.0.1", "info": map[string]any{"title": "MultiMarkets-ClientAPI", "version": "1"},
		"paths": map[string]any{"/global/customer.app.CustomerWebApiService.findCustomerInfo": map[string]any{"post": map[string]any{
			"responses": map[string]any{"200": map[string]any{"description": "ok", "content": map[string]any{
				"application/json": map[string]any{"schema": resp}}}}}}}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Ensure spec drift meets live drift through the real monitor: a suite job
// against the simulator records findCustomerInfo's live shape (with the
// added-field scenario's undocumented riskLevel), then the spec job sees a
// new spec version that removes customerNo. The spec alert (a signed
// webhook) and the spec run's HTML report both say that customerNo is
// "announced, not live yet" and that riskLevel is "undocumented, live".
func TestMonitorSpecMeetsLiveDrift(t *testing.T) {
	_, simURL := simServer(t, "added-field")
	hook, hookURL := newHookSink(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "client.json")
	if err := os.WriteFile(specFile, findCustomerInfoSpec(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, store := monitorConfig(t, dir, simURL, hookURL, "", 3)
	editConfig(t, cfg, "alerting:", fmt.Sprintf(`  - name: vendor-spec
    kind: spec
    schedule: "@every 1s"
    source: %s
alerting:`, specFile))
	p := startMonitor(t, cfg)
	eventually(t, "a suite run with shapes and the first spec version", 60*time.Second, func() bool {
		return finished(storeRuns(t, store, "customer")) >= 1 && finished(storeRuns(t, store, "vendor-spec")) >= 1
	})
	if err := os.WriteFile(specFile, findCustomerInfoSpec(t, "customerNo"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ev alert.Event
	eventually(t, "the spec alert", 60*time.Second, func() bool {
		for _, d := range hook.of(alert.KindSpec, alert.Firing) {
			ev = d.Event
			return true
		}
		return false
	})
	for _, want := range []string{"1 announced, not live yet", "undocumented, live"} {
		if !strings.Contains(ev.Summary, want) {
			t.Errorf("alert summary %q lacks %q", ev.Summary, want)
		}
	}
	const op = "POST /global/customer.app.CustomerWebApiService.findCustomerInfo response "
	has := func(change contract.Change, pointer string) bool {
		for _, c := range ev.Changes {
			if c.Change == string(change) && c.Pointer == op+pointer {
				return true
			}
		}
		return false
	}
	if !has(contract.AnnouncedNotLive, "/data/customerNo") || !has(contract.UndocumentedLive, "/data/riskLevel") {
		t.Fatalf("alert changes %+v, want customerNo announced_not_live and riskLevel undocumented_live", ev.Changes)
	}
	if !has(contract.Removed, "/data/customerNo") {
		t.Errorf("alert changes %+v lack the spec's own removal", ev.Changes)
	}
	for _, c := range ev.Changes {
		if c.Change == string(contract.UndocumentedLive) && c.Pointer != op+"/data/riskLevel" {
			t.Errorf("undocumented_live %s: the spec documents every other live field", c.Pointer)
		}
	}

	code, page := httpGet(t, "http://"+p.addr+"/runs/"+ev.RunID+"/report.html")
	if code != 200 {
		t.Fatalf("report.html of the spec run: HTTP %d", code)
	}
	rows := driftRows(t, page)
	var announced, undocumented bool
	for _, r := range rows {
		switch {
		case r[0] == op+"/data/customerNo" && r[1] == string(contract.AnnouncedNotLive):
			announced = strings.Contains(r[3], "announced") && strings.Contains(r[4], "not live yet") && strings.Contains(r[4], "job customer")
		case r[0] == op+"/data/riskLevel" && r[1] == string(contract.UndocumentedLive):
			undocumented = strings.Contains(r[3], "undocumented") && strings.Contains(r[4], "live")
		}
	}
	if !announced || !undocumented {
		t.Errorf("the report's drift rows do not show both disagreements: %q", rows)
	}
	if !strings.Contains(page, "announced, not live yet") {
		t.Error("the report's summary of the spec check does not say \"announced, not live yet\"")
	}
	runs := storeRuns(t, store, "vendor-spec")
	if r := runOf(runs, ev.RunID); r == nil || r.Verdict == "" {
		t.Errorf("the alert's run %s is not a finished spec run", ev.RunID)
	}
}

func runOf(runs []history.Run, id string) *history.Run {
	for i := range runs {
		if runs[i].ID == id {
			return &runs[i]
		}
	}
	return nil
}

// driftRows parses an HTML report and returns the cells of every row of
// its drift tables.
func driftRows(t *testing.T, page string) [][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	var rows [][]string
	var walk func(n *html.Node, inDrift bool)
	walk = func(n *html.Node, inDrift bool) {
		if n.Type == html.ElementNode && n.Data == "table" && strings.Contains(attr(n, "class"), "drift") {
			inDrift = true
		}
		if inDrift && n.Type == html.ElementNode && n.Data == "tr" {
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "td" {
					cells = append(cells, strings.TrimSpace(text(c)))
				}
			}
			if len(cells) == 5 {
				rows = append(rows, cells)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inDrift)
		}
	}
	walk(doc, false)
	return rows
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}
