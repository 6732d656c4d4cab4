package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
