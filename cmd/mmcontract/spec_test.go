package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// vendorPath returns <module root>/../shared/vendor/<rel>, skipping the test
// when the vendor material is absent. The module root is two levels up.
func vendorPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "vendor", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("vendor material not present at %s", p)
	}
	return p
}

func historySpec(t *testing.T, version string) string {
	return vendorPath(t, filepath.Join("history", "ClientAPI.cn."+version+".yaml"))
}

// miniSpec is a valid one-operation spec for tests that need no vendor file.
const miniSpec = `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /global/a.b.S.queryThing:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {id: {type: integer}}}
      responses:
        "200":
          content:
            application/json:
              schema: {$ref: "#/components/schemas/R"}
components:
  schemas:
    R:
      type: object
      properties:
        code: {type: string}
        data: {type: object, properties: {name: {type: string}}}
`

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeReport(t *testing.T, r runResult) specdiff.Report {
	t.Helper()
	var rep specdiff.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not a diff report: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

// Ensure `spec diff` of the August 2024 publishes exits 0 with only
// additions, in both formats, and that flags may follow the files.
func TestSpecDiffAdditions(t *testing.T) {
	oldF, newF := historySpec(t, "2024-07-26.301ee13"), historySpec(t, "2024-08-01.4e60fa4")
	r := mmcontract(t, nil, "spec", "diff", oldF, newF, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r)
	responses := 0
	for _, c := range rep.Changes {
		if c.Change != "added" || c.Severity != "info" {
			t.Errorf("unexpected change %+v", c)
		}
		if c.Location == "response" {
			responses++
		}
	}
	if !rep.OldValid || !rep.NewValid || responses != 24 || rep.Summary.Total != len(rep.Changes) {
		t.Errorf("valid %v/%v, %d response additions, summary %+v", rep.OldValid, rep.NewValid, responses, rep.Summary)
	}

	r = mmcontract(t, nil, "spec", "diff", "--format=text", oldF, newF)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || lines[len(lines)-1] != "summary: 41 change(s): 0 breaking, 0 warning, 41 info" ||
		!strings.Contains(r.stdout, "POST /global/tradeapi.app.OrderApiService.queryOrderPage\n") ||
		!strings.Contains(r.stdout, "/data/records/*/thirdPartyOrder") {
		t.Errorf("exit %d, text:\n%s", r.code, r.stdout)
	}
}

// Ensure breaking changes exit 1 and are listed as breaking.
func TestSpecDiffBreaking(t *testing.T) {
	r := mmcontract(t, nil, "spec", "diff", "--format", "json", historySpec(t, "2024-08-29.1fc364a"), historySpec(t, "2024-09-05.06f6cec"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	rep := decodeReport(t, r)
	if rep.Summary.BySeverity["breaking"] != 18 {
		t.Errorf("summary %+v, want 18 breaking", rep.Summary)
	}
	found := false
	for _, c := range rep.Changes {
		if c.Pointer == "/data/list/*/positionId" && c.Change == "removed" && c.Severity == "breaking" &&
			c.Operation == "POST /global/tradeapi.app.OrderApiService.queryTradeRecordPage" {
			found = true
		}
	}
	if !found {
		t.Errorf("queryTradeRecordPage /data/list/*/positionId removal not reported:\n%s", r.stdout)
	}
}

// Ensure identical specs are no change and exit 0.
func TestSpecDiffIdentical(t *testing.T) {
	f := writeFile(t, t.TempDir(), "spec.yaml", []byte(miniSpec))
	r := mmcontract(t, nil, "spec", "diff", f, f)
	if r.code != 0 || r.stdout != "summary: 0 change(s): 0 breaking, 0 warning, 0 info\n" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	r = mmcontract(t, nil, "spec", "diff", "--format", "json", f, f)
	if rep := decodeReport(t, r); r.code != 0 || len(rep.Changes) != 0 || rep.Changes == nil {
		t.Errorf("exit %d, changes %v", r.code, rep.Changes)
	}
}

// Ensure the vendor's bad publishes are reported as an invalid new spec
// with a reason and exit 2, never as operations removed.
func TestSpecDiffInvalidPublish(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", []byte(miniSpec))
	tests := map[string][]byte{
		"html-504.yaml":   []byte("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\r\n"),
		"error.json":      []byte(`{"success":false,"errorCode":"403012","errorMessage":"forbidden","data":null}`),
		"empty.yaml":      nil,
		"no-paths.yaml":   []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\ncomponents: {}\n"),
		"no-openapi.yaml": []byte("info: {title: t}\npaths: {/a: {post: {}}}\n"),
		"truncated.yaml":  []byte(miniSpec[:len(miniSpec)/2]),
	}
	if real, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "vendor", "history", "ClientAPI.cn.2024-08-01.4e60fa4.yaml")); err == nil {
		tests["real-first-half.yaml"] = real[:len(real)/2]
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			bad := writeFile(t, dir, name, body)
			r := mmcontract(t, nil, "spec", "diff", good, bad, "--format", "json")
			rep := decodeReport(t, r)
			if r.code != 2 || rep.NewValid || !rep.OldValid || rep.NewReason == "" || rep.Reason == "" || len(rep.Changes) != 0 {
				t.Errorf("exit %d, report %+v", r.code, rep)
			}
			r = mmcontract(t, nil, "spec", "diff", good, bad)
			if r.code != 2 || r.stdout != "new spec invalid: "+rep.NewReason+"\nno comparison made\n" || !strings.Contains(r.stderr, bad) {
				t.Errorf("text: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			r = mmcontract(t, nil, "spec", "diff", bad, good)
			if r.code != 2 || !strings.HasPrefix(r.stdout, "old spec invalid: ") {
				t.Errorf("as OLD: exit %d stdout:\n%s", r.code, r.stdout)
			}
		})
	}
}

// Ensure usage mistakes exit 2 with a message naming the problem.
func TestSpecUsageErrors(t *testing.T) {
	f := writeFile(t, t.TempDir(), "spec.yaml", []byte(miniSpec))
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"spec"}, "usage: mmcontract spec diff"},
		{[]string{"spec", "frobnicate"}, `unknown spec subcommand "frobnicate"`},
		{[]string{"spec", "diff", f}, "want two spec files"},
		{[]string{"spec", "diff", f, f, f}, "want two spec files"},
		{[]string{"spec", "diff", "--format", "xml", f, f}, `--format "xml"`},
		{[]string{"spec", "diff", f, missing}, missing},
		{[]string{"spec", "import", "--out", t.TempDir()}, "--openapi FILE is required"},
		{[]string{"spec", "import", "--openapi", f}, "--out DIR is required"},
		{[]string{"spec", "import", "--openapi", f, "--out", t.TempDir(), "--family", "openapi"}, `--family "openapi"`},
	}
	for _, tt := range tests {
		r := mmcontract(t, nil, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// Ensure `spec import` is deterministic (a second import changes no byte),
// that what it writes compiles, and that a bad spec exits 2 naming the file
// without touching the output.
func TestSpecImport(t *testing.T) {
	spec := vendorPath(t, filepath.Join("openapi", "MultiMarkets-ClientAPI.openapi.en.yaml"))
	overlays := filepath.Join("..", "..", "schemas", "client", "overlays")
	out := t.TempDir()
	var snapshots [2]map[string][]byte
	for i := range snapshots {
		r := mmcontract(t, nil, "spec", "import", "--openapi", spec, "--out", out, "--overlays", overlays)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "imported ") {
			t.Fatalf("import %d: exit %d\nstdout:\n%s\nstderr:\n%s", i+1, r.code, r.stdout, r.stderr)
		}
		snapshots[i] = readTree(t, out)
	}
	if len(snapshots[0]) < 300 {
		t.Fatalf("only %d files imported", len(snapshots[0]))
	}
	if !sameTree(snapshots[0], snapshots[1]) {
		t.Fatal("a second import of the same spec changed the output")
	}
	set, err := schemas.LoadFS(os.DirFS(out))
	if err != nil {
		t.Fatalf("imported schemas do not compile: %v", err)
	}
	// Each operation has a data and a request schema; + catalog.json and the
	// three envelopes.
	if n := len(set.Operations("client")); 2*n+4 != len(snapshots[0]) {
		t.Errorf("catalog has %d operations for %d files", n, len(snapshots[0]))
	}

	// With the CN spec as a supplement, the operations only it publishes are
	// added, each with a note.
	cn := vendorPath(t, filepath.Join("openapi", "MultiMarkets-ClientAPI.openapi.yaml"))
	both := t.TempDir()
	if r := mmcontract(t, nil, "spec", "import", "--openapi", spec, "--supplement", cn, "--out", both, "--overlays", overlays); r.code != 0 || !strings.HasPrefix(r.stdout, "imported 327 client operation(s)") {
		t.Fatalf("import with --supplement: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := mmcontract(t, nil, "spec", "import", "--openapi", spec, "--supplement", spec+".missing", "--out", both); r.code != 2 || !strings.Contains(r.stderr, "--supplement") {
		t.Errorf("missing supplement: exit %d, stderr %q", r.code, r.stderr)
	}

	bad := writeFile(t, t.TempDir(), "ClientAPI.yaml", []byte("<html><head><title>504 Gateway Time-out</title></head></html>"))
	r := mmcontract(t, nil, "spec", "import", "--openapi", bad, "--out", out)
	if r.code != 2 || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "504 Gateway Time-out") {
		t.Errorf("bad spec: exit %d, stderr %q", r.code, r.stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	r = mmcontract(t, nil, "spec", "import", "--openapi", missing, "--out", out)
	if r.code != 2 || !strings.Contains(r.stderr, missing) {
		t.Errorf("missing spec: exit %d, stderr %q", r.code, r.stderr)
	}
	if !sameTree(snapshots[0], readTree(t, out)) {
		t.Error("a rejected import modified the output tree")
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameTree(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}
