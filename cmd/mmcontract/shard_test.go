package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/reports/junit/junittest"
	"github.com/mmcontract/mmcontract/reports/results"
)

// checkKey is what a merged run must share with the unsharded one: timings
// and ids aside, which check of which operation got which verdict.
type checkKey struct{ family, operation, spec, verdict string }

func checkSet(res results.Results) map[checkKey]bool {
	set := map[checkKey]bool{}
	for _, c := range res.Checks {
		set[checkKey{c.Family, c.Operation, c.Spec, string(c.Verdict)}] = true
	}
	return set
}

func operationsOf(res results.Results) map[string]bool {
	ops := map[string]bool{}
	for _, c := range res.Checks {
		ops[c.Family+" "+c.Operation] = true
	}
	return ops
}

func sameCounts(a, b results.Results) bool {
	return fmt.Sprint(a.Counts) == fmt.Sprint(b.Counts) && a.Verdict == b.Verdict
}

// Ensure that for N = 1…5, with and without a label filter, the shards of a
// run check disjoint sets of operations whose union is the unsharded run's,
// each with rate/N, and that merging them gives the unsharded results.json
// (checks, counts, verdict, exit code), a junit.xml that passes the XSD and
// a rendered report.html.
func TestShardsPartitionAndMerge(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int // the unsharded run's exit code
	}{
		{"all", nil, 0},
		{"readonly", []string{"--label-filter", "readonly"}, 0},
		{"smoke on a broken vendor", []string{"--label-filter", "smoke", "--scenario", "type-change"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			whole, wholeRes := runSim(t, filepath.Join(dir, "whole"), tc.args...)
			if whole.code != tc.want {
				t.Fatalf("unsharded run exit %d, want %d: %s", whole.code, tc.want, whole.stderr)
			}
			if wholeRes.Shard != nil || wholeRes.RatePerMinute != 240 {
				t.Errorf("unsharded results.json: shard %v, rate_per_minute %d; want none and 240", wholeRes.Shard, wholeRes.RatePerMinute)
			}
			wantChecks, wantOps := checkSet(wholeRes), operationsOf(wholeRes)
			for n := 1; n <= 5; n++ {
				var dirs []string
				union := map[checkKey]bool{}
				owner := map[string]int{}
				for i := 1; i <= n; i++ {
					out := filepath.Join(dir, fmt.Sprintf("n%d-s%d", n, i))
					r, res := runSim(t, out, append([]string{"--shard", fmt.Sprintf("%d/%d", i, n)}, tc.args...)...)
					if r.code != 0 && r.code != tc.want {
						t.Fatalf("shard %d/%d exit %d: %s", i, n, r.code, r.stderr)
					}
					if res.Shard == nil || *res.Shard != (results.Shard{Index: i, Total: n}) {
						t.Errorf("shard %d/%d: results.json shard %v", i, n, res.Shard)
					}
					if res.RatePerMinute != 240/n {
						t.Errorf("shard %d/%d: rate_per_minute %d, want %d", i, n, res.RatePerMinute, 240/n)
					}
					if !strings.Contains(r.stdout, fmt.Sprintf("%d requests per minute per operation (240 shared by %d shards)", 240/n, n)) {
						t.Errorf("shard %d/%d: the console header does not state the rate split:\n%s", i, n, firstLines(r.stdout, 3))
					}
					for op := range operationsOf(res) {
						if prev, dup := owner[op]; dup {
							t.Errorf("N=%d: operation %s in shards %d and %d", n, op, prev, i)
						}
						owner[op] = i
					}
					for k := range checkSet(res) {
						union[k] = true
					}
					dirs = append(dirs, out)
				}
				if diff := setDiff(union, wantChecks); diff != "" {
					t.Errorf("N=%d: the shards' checks differ from the unsharded run's: %s", n, diff)
				}
				if len(owner) != len(wantOps) {
					t.Errorf("N=%d: shards checked %d operations, the unsharded run %d", n, len(owner), len(wantOps))
				}
				out := filepath.Join(dir, fmt.Sprintf("n%d-merged", n))
				m := mmcontract(t, nil, append([]string{"merge", "--out", out}, dirs...)...)
				if m.code != tc.want {
					t.Fatalf("merge of %d shards exit %d, want %d: %s", n, m.code, tc.want, m.stderr)
				}
				merged := readResults(t, out)
				if diff := setDiff(checkSet(merged), wantChecks); diff != "" || !sameCounts(merged, wholeRes) || len(merged.Checks) != len(wholeRes.Checks) {
					t.Errorf("N=%d: merged results differ from the unsharded run: %s; counts %v %s, want %v %s",
						n, diff, merged.Counts, merged.Verdict, wholeRes.Counts, wholeRes.Verdict)
				}
				if merged.Merged == nil || merged.Merged.Total != n || len(merged.Merged.Shards) != n || merged.Shard != nil {
					t.Errorf("N=%d: merged results.json merged %+v shard %v", n, merged.Merged, merged.Shard)
				}
				junittest.Validate(t, filepath.Join(out, "junit.xml"))
				raw, err := os.ReadFile(filepath.Join(out, "junit.xml"))
				if err != nil {
					t.Fatal(err)
				}
				doc := junittest.Parse(t, raw)
				if cases := countCases(doc); cases != len(wholeRes.Checks) {
					t.Errorf("N=%d: merged junit.xml has %d testcases, want %d", n, cases, len(wholeRes.Checks))
				}
				html, err := os.ReadFile(filepath.Join(out, "report.html"))
				if err != nil || !strings.Contains(string(html), fmt.Sprintf("of %d merged", n)) {
					t.Errorf("N=%d: merged report.html missing or without its shards (%v)", n, err)
				}
			}
		})
	}
}

func countCases(doc junittest.Doc) int {
	n := 0
	for _, s := range doc.Suites {
		n += len(s.Cases)
	}
	return n
}

func setDiff(got, want map[checkKey]bool) string {
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, fmt.Sprint(k))
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, fmt.Sprint(k))
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return ""
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return fmt.Sprintf("%d extra %v, %d missing %v", len(extra), head(extra), len(missing), head(missing))
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// Ensure merge refuses, with exit 2 and the difference named, shards of
// different label filters, commits, targets and totals, a duplicate and a
// missing index, and merges a partial set with --allow-partial, saying
// which shard is missing.
func TestMergeRefusals(t *testing.T) {
	dir := t.TempDir()
	shard := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		if r, _ := runSim(t, out, args...); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		return out
	}
	s1 := shard("s1", "--label-filter", "smoke", "--shard", "1/2")
	s2 := shard("s2", "--label-filter", "smoke", "--shard", "2/2")
	otherFilter := shard("filter", "--label-filter", "smoke && client", "--shard", "2/2")
	otherTarget := shard("target", "--label-filter", "smoke", "--shard", "2/2", "--scenario", "added-field")
	otherTotal := shard("total", "--label-filter", "smoke", "--shard", "2/3")
	unsharded := shard("whole", "--label-filter", "smoke")
	otherCommit := filepath.Join(dir, "commit")
	copyRun(t, s2, otherCommit, func(res map[string]any) { res["mmcontract_commit"] = "0123456789ab" })

	cases := []struct {
		name string
		dirs []string
		want string
	}{
		{"label filter", []string{s1, otherFilter}, `different label filter ("smoke" and "smoke && client")`},
		{"commit", []string{s1, otherCommit}, "different mmcontract commit"},
		{"target", []string{s1, otherTarget}, "different target"},
		{"shard total", []string{s1, otherTotal}, "different shard total (\"2\" and \"3\")"},
		{"duplicate", []string{s1, s1, s2}, "shard 1/2 given twice"},
		{"missing", []string{s1}, "shards 1 of 2 merged (missing: 2)"},
		{"not a shard", []string{s1, unsharded}, "is not a shard's output"},
		{"no shards", nil, "give the shards' output directories"},
		{"not a run", []string{s1, dir}, "shard output: open " + filepath.Join(dir, "results.json")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "merged-"+strings.ReplaceAll(tc.name, " ", "-"))
			r := mmcontract(t, nil, append([]string{"merge", "--out", out}, tc.dirs...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, "results.json")); err == nil {
				t.Errorf("a refused merge wrote results.json")
			}
		})
	}
	out := filepath.Join(dir, "partial")
	if r := mmcontract(t, nil, "merge", "--allow-partial", "--out", out, s2); r.code != 0 {
		t.Fatalf("--allow-partial: exit %d: %s", r.code, r.stderr)
	}
	res := readResults(t, out)
	if res.Merged == nil || fmt.Sprint(res.Merged.Shards, res.Merged.Missing) != "[2] [1]" {
		t.Errorf("partial merge: merged %+v, want shards [2] missing [1]", res.Merged)
	}
}

// copyRun copies a run's outputs to dst, editing its results.json.
func copyRun(t *testing.T, src, dst string, edit func(map[string]any)) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"results.json", "ginkgo.json"} {
		raw, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "results.json" {
			var res map[string]any
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			edit(res)
			if raw, err = json.Marshal(res); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dst, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Ensure a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) and
// JOB_COMPLETIONS select the shard when --shard is absent, that --shard
// wins, that bad values are exit 2 naming them, that an empty shard exits 0
// with zero checks and a note, and that a filter selecting nothing is still
// exit 2 when sharded.
func TestShardSelection(t *testing.T) {
	dir := t.TempDir()
	smoke := []string{"--label-filter", "smoke"}
	cases := []struct {
		name      string
		env, args []string
		code      int
		shard     *results.Shard
		rate      int
		want      string // on stdout for exit 0, on stderr otherwise
	}{
		{name: "indexed job", env: []string{"JOB_COMPLETION_INDEX=0", "JOB_COMPLETIONS=2"}, args: smoke,
			shard: &results.Shard{Index: 1, Total: 2}, rate: 120, want: "shard 1/2: 3 of the 5 operations"},
		{name: "--shard wins", env: []string{"JOB_COMPLETION_INDEX=0", "JOB_COMPLETIONS=2"}, args: append([]string{"--shard", "3/4", "--rate-per-minute", "100"}, smoke...),
			shard: &results.Shard{Index: 3, Total: 4}, rate: 25, want: "25 requests per minute per operation (100 shared by 4 shards)"},
		{name: "one variable only", env: []string{"JOB_COMPLETION_INDEX=1"}, args: smoke, rate: 240},
		{name: "monitor's rate", env: []string{"MM_RATE_PER_MINUTE=90"}, args: append([]string{"--shard", "1/2"}, smoke...),
			shard: &results.Shard{Index: 1, Total: 2}, rate: 45},
		{name: "empty shard", args: append([]string{"--shard", "6/6"}, smoke...),
			shard: &results.Shard{Index: 6, Total: 6}, rate: 40, want: "shard 6/6 is empty: the label filter selects only 5 operations"},
		{name: "index out of range", env: []string{"JOB_COMPLETION_INDEX=2", "JOB_COMPLETIONS=2"}, args: smoke, code: 2,
			want: "JOB_COMPLETION_INDEX=2 JOB_COMPLETIONS=2: shard 3 does not exist; shards are 1 to 2 (JOB_COMPLETION_INDEX counts from 0)"},
		{name: "index not a number", env: []string{"JOB_COMPLETION_INDEX=a", "JOB_COMPLETIONS=2"}, code: 2, want: `JOB_COMPLETION_INDEX="a"`},
		{name: "shard zero", args: []string{"--shard", "0/2"}, code: 2, want: "shard 0 does not exist; shards are 1 to 2"},
		{name: "shard past total", args: []string{"--shard", "3/2"}, code: 2, want: "shard 3 does not exist"},
		{name: "no total", args: []string{"--shard", "2"}, code: 2, want: `--shard "2": want I/N`},
		{name: "zero shards", args: []string{"--shard", "1/0"}, code: 2, want: "the number of shards must be between 1 and 1000"},
		{name: "bad rate", args: []string{"--rate-per-minute", "0"}, code: 2, want: "--rate-per-minute (or MM_RATE_PER_MINUTE) must be a positive integer"},
		{name: "filter selects nothing", args: []string{"--shard", "1/2", "--label-filter", "nosuchlabel"}, code: 2, want: `label filter "nosuchlabel" selected no specs`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprint(i))
			r := mmcontract(t, tc.env, append([]string{"run", "--out", out}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			if tc.code != 0 {
				if !strings.Contains(r.stderr, tc.want) {
					t.Errorf("stderr %q, want %q", r.stderr, tc.want)
				}
				return
			}
			if !strings.Contains(r.stdout, tc.want) {
				t.Errorf("stdout lacks %q:\n%s", tc.want, firstLines(r.stdout, 3))
			}
			res := readResults(t, out)
			if fmt.Sprint(res.Shard) != fmt.Sprint(tc.shard) || res.RatePerMinute != tc.rate {
				t.Errorf("results.json shard %v rate %d, want %v %d", res.Shard, res.RatePerMinute, tc.shard, tc.rate)
			}
			if tc.name == "empty shard" && (len(res.Checks) != 0 || res.Counts["pass"] != 0) {
				t.Errorf("empty shard has %d checks", len(res.Checks))
			}
			if tc.shard == nil {
				return
			}
			raw, err := os.ReadFile(filepath.Join(out, "junit.xml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, suite := range junittest.Parse(t, raw).Suites {
				if got := suite.Props()["shard"]; got != tc.shard.String() {
					t.Errorf("junit suite %q: shard property %q, want %q", suite.Name, got, tc.shard.String())
				}
			}
			html, err := os.ReadFile(filepath.Join(out, "report.html"))
			if want := fmt.Sprintf("<dt>Shard</dt><dd>%d of %d</dd>", tc.shard.Index, tc.shard.Total); err != nil || !strings.Contains(string(html), want) {
				t.Errorf("report.html lacks %q (%v)", want, err)
			}
		})
	}
}
