package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/redact"
	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Ensure --redact-config extends the redacted keys for every output: the
// customer number, harmless by default, disappears from every file once it
// is listed, and a malformed config is a usage error naming the flag.
func TestRedactConfig(t *testing.T) {
	customerNo := simulator.DefaultUser().CustomerNo
	plain := t.TempDir()
	if r, _ := runSim(t, plain, "--label-filter", "findCustomerInfo && client && !negative"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !dirContains(t, plain, customerNo) {
		t.Fatalf("the default run does not show the customer number %s, so this test could not fail", customerNo)
	}

	cfg := filepath.Join(t.TempDir(), "redact.yaml")
	if err := os.WriteFile(cfg, []byte("extraPIIKeys: [customerNo]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r, _ := runSim(t, out, "--label-filter", "findCustomerInfo && client && !negative", "--redact-config", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if dirContains(t, out, customerNo) || strings.Contains(r.stdout+r.stderr, customerNo) {
		t.Errorf("customer number %s survived --redact-config", customerNo)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("extraPIIKey: [typo]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = mmcontract(t, nil, "run", "--out", t.TempDir(), "--redact-config", bad)
	if r.code != verdict.ExitUsage || !strings.Contains(r.stderr, "--redact-config") || !strings.Contains(r.stderr, "extraPIIKey") {
		t.Errorf("bad redact config: exit %d, stderr %s", r.code, r.stderr)
	}
}

// dirContains reports whether any file below dir contains s.
func dirContains(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = found || strings.Contains(string(b), s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Ensure the free-text detectors cause no false positives in structured
// data: in a full nominal default run, no recorded response value under a
// key that is not personal is masked (order ids, timestamps, prices,
// currency codes and symbols show as the vendor sent them), and the run
// still passes.
func TestNominalValuesSurvive(t *testing.T) {
	out := t.TempDir()
	r, res := runSim(t, out)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("nominal run: exit %d, verdict %s\n%s", r.code, res.Verdict, r.stdout)
	}
	raw, err := os.ReadFile(filepath.Join(out, "ginkgo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("ginkgo.json: %v (%d reports)", err, len(reports))
	}
	red := redact.New(redact.DefaultConfig())
	// Operations whose whole data is a credential or personal: a token, the
	// customer's wallet address, an Auth2 authorization code.
	secretData := map[string]bool{"getMsgPushToken": true, "customer.app.CustomerExtendWebApiService.findCustomerExtend": true,
		"auth2/code": true}
	leaves, bodies := 0, 0
	seen := map[string]bool{}
	curOp := ""
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(ptr+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(ptr+"/"+strconv.Itoa(i), e)
			}
		case string:
			if red.SensitivePointer(ptr) {
				return
			}
			leaves++
			seen[v] = true
			if strings.Contains(v, "[redacted") && !(ptr == "/data" && secretData[curOp]) {
				t.Errorf("%s: a value that is not personal was masked: %s = %q", curOp, ptr, v)
			}
		case json.Number:
			if !red.SensitivePointer(ptr) {
				leaves++
				seen[v.String()] = true
			}
		}
	}
	for _, sr := range reports[0].SpecReports {
		for _, e := range sr.ReportEntries {
			if e.Name != contract.EntryName {
				continue
			}
			var obs contract.Observation
			if err := json.Unmarshal([]byte(e.Value.AsJSON), &obs); err != nil {
				t.Fatalf("observation: %v", err)
			}
			if obs.Exchange == nil || obs.Exchange.ResponseBody == "" {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(obs.Exchange.ResponseBody))
			dec.UseNumber()
			var body any
			if err := dec.Decode(&body); err != nil {
				t.Errorf("%s: the recorded body does not decode: %v", obs.Operation, err)
				continue
			}
			bodies++
			curOp = obs.Operation
			walk("", body)
		}
	}
	if bodies < 100 || leaves < 2000 {
		t.Fatalf("checked %d values in %d bodies: the run recorded too little for this test to mean anything", leaves, bodies)
	}
	for _, v := range []string{"USDT", "Success", simulator.DefaultUser().CustomerNo} {
		if !seen[v] {
			t.Errorf("the non-personal value %q is no longer shown", v)
		}
	}
	t.Logf("%d values that are not personal in %d bodies kept", leaves, bodies)
}
