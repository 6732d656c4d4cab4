package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/simulator"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/reports/results"
	"github.com/mmcontract/mmcontract/schemas"
)

// auth2Checks returns the checks labelled auth2 (a check skipped before it
// called has no family).
func auth2Checks(res results.Results) []results.Check {
	var out []results.Check
	for _, c := range res.Checks {
		if slices.Contains(c.Labels, "auth2") {
			out = append(out, c)
		}
	}
	return out
}

// browserTrap puts stand-ins for every way a program opens a browser
// (BROWSER, xdg-open, sensible-browser, x-www-browser, open, the browsers
// themselves) first on PATH; each one only writes a marker file. It returns
// the environment to run with and the marker's path.
func browserTrap(t *testing.T) ([]string, string) {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "browser-opened")
	script := "#!/bin/sh\necho \"$0 $*\" >> " + marker + "\n"
	for _, name := range []string{"xdg-open", "sensible-browser", "x-www-browser", "www-browser", "open", "firefox", "chromium", "chromium-browser", "google-chrome"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "BROWSER=" + filepath.Join(dir, "xdg-open"), "DISPLAY=:0"}, marker
}

func assertNoBrowser(t *testing.T, marker string) {
	t.Helper()
	if b, err := os.ReadFile(marker); err == nil {
		t.Errorf("the run opened a browser: %s", b)
	}
}

// Ensure the Auth2 flow runs end to end on the simulator through the real
// command: code (with the run's login, never a browser) → token → user →
// refresh, each step's checks pass, the refusals pass, and neither the demo
// app's secret nor any code or token reaches an artifact.
func TestRunAuth2Simulator(t *testing.T) {
	trap, marker := browserTrap(t)
	out := t.TempDir()
	r := mmcontract(t, trap, "run", "--out", out, "--label-filter", "auth2")
	res := readResults(t, out)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s, want 0 pass\n%s", r.code, res.Verdict, r.stdout)
	}
	assertNoBrowser(t, marker)
	passed := map[string]int{}
	var negatives int
	for _, c := range auth2Checks(res) {
		switch {
		case c.Verdict == verdict.Pass && strings.Contains(c.Spec, " refuses "):
			negatives++
		case c.Verdict == verdict.Pass:
			passed[c.Operation]++
		case c.Verdict == verdict.Skipped && strings.Contains(c.Spec, "shape") && strings.Contains(c.Message, "open ({})"):
			// No baseline and an open schema: TestRunAuth2Baseline.
		default:
			t.Errorf("%s: %s %s", c.Spec, c.Verdict, c.Message)
		}
	}
	for _, op := range []string{"auth2/code", "auth2/token", "auth2/user", "auth2/refresh"} {
		if passed[op] < 3 {
			t.Errorf("%s: %d passing checks, want the envelope, data and invariant checks", op, passed[op])
		}
	}
	if negatives != 3 {
		t.Errorf("%d passing refusal checks, want 3 (code never granted, wrong secret, token never issued)", negatives)
	}
	if len(res.Checks) != len(auth2Checks(res)) {
		t.Errorf("the auth2 filter ran %d checks of other families", len(res.Checks)-len(auth2Checks(res)))
	}
	assertAbsentFromArtifacts(t, out, simulator.DemoAuth2AppSecret)
	assertNoUUIDTokens(t, out)
}

// assertAbsentFromArtifacts fails when any file in dir contains secret.
func assertAbsentFromArtifacts(t *testing.T, dir, secret string) {
	t.Helper()
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s contains the secret %q", filepath.Base(p), secret)
		}
		return nil
	})
}

// bareUUID matches a UUID and what follows it: traces go on with
// "-<epoch ms>" and Client API tokens with "app", Auth2 codes and tokens
// with nothing.
var bareUUID = regexp.MustCompile(`([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})([-0-9a-z]?)`)

// assertNoUUIDTokens fails when an artifact carries an Auth2 code or token:
// the simulator issues them as random UUIDs, and no other value of an
// auth2-only run has that shape except the refusal specs' fixed all-zero
// ones.
func assertNoUUIDTokens(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, m := range bareUUID.FindAllStringSubmatch(string(b), -1) {
			if m[2] == "" && !strings.HasPrefix(m[1], "00000000-0000-4000-8000-") {
				t.Errorf("%s carries the UUID %s: an Auth2 code or token was not redacted", filepath.Base(p), m[1])
				return nil
			}
		}
		return nil
	})
}

// Ensure a baseline accepted from an Auth2 run is what its shape checks
// compare with next time: they pass instead of skipping for want of one.
func TestRunAuth2Baseline(t *testing.T) {
	out, base := t.TempDir(), t.TempDir()
	if r := mmcontract(t, nil, "run", "--out", out, "--label-filter", "auth2"); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stdout)
	}
	if r := mmcontract(t, nil, "baseline", "accept", "--from", out, "--baseline", base); r.code != 0 {
		t.Fatalf("baseline accept: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out2 := t.TempDir()
	r := mmcontract(t, nil, "run", "--out", out2, "--label-filter", "auth2", "--baseline", base)
	res := readResults(t, out2)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("run with the baseline: exit %d verdict %s\n%s", r.code, res.Verdict, r.stdout)
	}
	shapes := 0
	for _, c := range auth2Checks(res) {
		if strings.Contains(c.Spec, "shape") {
			shapes++
			if c.Verdict != verdict.Pass {
				t.Errorf("%s: %s %s, want pass against the accepted baseline", c.Spec, c.Verdict, c.Message)
			}
		}
	}
	if shapes != 4 {
		t.Errorf("%d shape checks, want 4", shapes)
	}
}

// Ensure each Auth2 scenario breaks the run: verdict broken, exit 1, and a
// broken check whose violation names the scenario's pointer.
func TestRunAuth2Scenarios(t *testing.T) {
	n := 0
	for _, sc := range simulator.Scenarios() {
		if sc.Kind != simulator.KindAuth2 {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			r, res := runSim(t, out, "--scenario", sc.Name, "--label-filter", "auth2", "--flake-attempts", "1")
			if res.Verdict != sc.ExpectedVerdict || r.code != verdict.ExitBroken {
				t.Fatalf("exit %d verdict %s, want %d %s\n%s", r.code, res.Verdict, verdict.ExitBroken, sc.ExpectedVerdict, r.stdout)
			}
			found := false
			for _, c := range auth2Checks(res) {
				if c.Verdict != verdict.Broken {
					continue
				}
				if c.Message == "" || strings.Contains(c.Message, "\n") {
					t.Errorf("%s: no one-line reason: %q", c.Spec, c.Message)
				}
				for _, v := range c.Violations {
					found = found || v.Pointer == sc.Pointer
				}
			}
			if !found {
				t.Errorf("no broken check names %s\n%s", sc.Pointer, r.stdout)
			}
			assertAbsentFromArtifacts(t, out, simulator.DemoAuth2AppSecret)
		})
	}
	if n < 5 {
		t.Fatalf("%d Auth2 scenarios, want at least 5", n)
	}
}

// Ensure that against a target that is not the simulator the Auth2 specs
// run only with MM_AUTH2_APP_ID and MM_AUTH2_APP_SECRET: without them every
// auth2 check is skipped with a reason naming the missing variables, and no
// browser is opened; with them the flow passes against that target.
func TestRunAuth2TargetNeedsApp(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	app := simulator.Auth2App{AppID: "tenant-auth2-app", AppSecret: "tenant-auth2-secret-5f1c"}
	sim, err := simulator.New(simulator.Options{Schemas: set, Auth2Apps: []simulator.Auth2App{app}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	trap, marker := browserTrap(t)

	for _, tc := range []struct {
		name, missing string
		env           []string
	}{
		{"no app", "MM_AUTH2_APP_ID and MM_AUTH2_APP_SECRET", nil},
		{"no secret", "MM_AUTH2_APP_SECRET", []string{"MM_AUTH2_APP_ID=" + app.AppID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			env := append(append(targetEnv(srv.URL), trap...), tc.env...)
			r := mmcontract(t, env, "run", "--out", out, "--label-filter", "auth2")
			res := readResults(t, out)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0 (nothing failed, everything skipped)\n%s%s", r.code, r.stdout, r.stderr)
			}
			checks := auth2Checks(res)
			if len(checks) == 0 {
				t.Fatal("no auth2 checks in results.json")
			}
			for _, c := range checks {
				if c.Verdict != verdict.Skipped || !strings.Contains(c.Message, tc.missing+" not set") {
					t.Errorf("%s: %s %q, want skipped naming %s", c.Spec, c.Verdict, c.Message, tc.missing)
				}
			}
			assertNoBrowser(t, marker)
		})
	}

	out := t.TempDir()
	env := append(append(targetEnv(srv.URL), trap...), "MM_AUTH2_APP_ID="+app.AppID, "MM_AUTH2_APP_SECRET="+app.AppSecret)
	r := mmcontract(t, env, "run", "--out", out, "--label-filter", "auth2")
	res := readResults(t, out)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("with the app: exit %d verdict %s\n%s", r.code, res.Verdict, r.stdout)
	}
	assertNoBrowser(t, marker)
	assertAbsentFromArtifacts(t, out, app.AppSecret)
}

// Ensure the Auth2 flow works beside the Client API's encrypted mode: the
// login (which /auth2/code needs) is encrypted, the Auth2 calls are not,
// since the Auth2 API documents plain JSON only (the simulator refuses an
// encrypted Auth2 request).
func TestRunAuth2EncryptedMode(t *testing.T) {
	out := t.TempDir()
	r := mmcontract(t, []string{"MM_COMPANY_PUBLIC_KEY=" + simulator.DemoCompanyPublicKey()},
		"run", "--out", out, "--scenario", "nominal", "--label-filter", "auth2 || (findCustomerInfo && !negative)")
	res := readResults(t, out)
	if r.code != 0 || res.Verdict != verdict.Pass {
		t.Fatalf("exit %d verdict %s, want 0 pass\n%s", r.code, res.Verdict, r.stdout)
	}
	if n := len(auth2Checks(res)); n < 16 {
		t.Errorf("%d auth2 checks, want the whole flow", n)
	}
}
