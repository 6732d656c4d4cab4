package drift

import (
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

const op = "client/config.app.AppSymbolDubboService.getSymbolBaseList"

// d builds an expected drift without its fingerprint.
func d(pointer string, change contract.Change, severity verdict.Severity, base, obs string) contract.Drift {
	return contract.Drift{Pointer: pointer, Change: change, Severity: severity, Baseline: base, Observed: obs}
}

func withoutFingerprints(ds []contract.Drift) []contract.Drift {
	out := make([]contract.Drift, len(ds))
	for i, x := range ds {
		x.Fingerprint = ""
		out[i] = x
	}
	return out
}

// Ensure each change kind is classified with its severity, including inside
// nested arrays of objects, and nothing else is reported.
func TestDiffClassifies(t *testing.T) {
	nested := func(price string) string {
		return `{"code":"0","ok":true,"data":{"list":[{"id":1,"items":[{"price":` + price + `,"qty":1}]}]}}`
	}
	tests := []struct {
		name               string
		baseline, observed []string
		want               []contract.Drift
	}{
		{
			name:     "identical shapes",
			baseline: []string{nested("1.5")}, observed: []string{nested("2.5")},
		},
		{
			name:     "added field reports the top of the new subtree only",
			baseline: []string{`{"data":{"a":1}}`},
			observed: []string{`{"data":{"a":1,"riskLevel":"LOW","extra":{"x":[{"y":1}]}}}`},
			want: []contract.Drift{
				d("/data/extra", contract.Added, verdict.Info, "absent", "object"),
				d("/data/riskLevel", contract.Added, verdict.Info, "absent", "string"),
			},
		},
		{
			name:     "added field inside nested array items",
			baseline: []string{nested("1.5")},
			observed: []string{`{"code":"0","ok":true,"data":{"list":[{"id":1,"items":[{"price":1.5,"qty":1,"fee":null}]}]}}`},
			want:     []contract.Drift{d("/data/list/*/items/*/fee", contract.Added, verdict.Info, "absent", "null")},
		},
		{
			name:     "removed field inside nested array items",
			baseline: []string{nested("1.5")},
			observed: []string{`{"code":"0","ok":true,"data":{"list":[{"id":1,"items":[{"qty":1}]}]}}`},
			want:     []contract.Drift{d("/data/list/*/items/*/price", contract.Removed, verdict.Breaking, "always", "absent")},
		},
		{
			name:     "removed subtree is reported at its top",
			baseline: []string{`{"data":{"a":{"b":{"c":1}}}}`},
			observed: []string{`{"data":{}}`},
			want:     []contract.Drift{d("/data/a", contract.Removed, verdict.Breaking, "always", "absent")},
		},
		{
			name:     "a field that was only sometimes present is not removed",
			baseline: []string{`{"data":{"a":1}}`, `{"data":{}}`},
			observed: []string{`{"data":{}}`},
		},
		{
			name:     "type_changed integer to string inside nested arrays",
			baseline: []string{nested("1")},
			observed: []string{nested(`"1"`)},
			want:     []contract.Drift{d("/data/list/*/items/*/price", contract.TypeChanged, verdict.Breaking, "integer", "string")},
		},
		{
			name:     "type_changed integer to number (a client holding an int64 breaks)",
			baseline: []string{`{"id":1}`}, observed: []string{`{"id":1.5}`},
			want: []contract.Drift{d("/id", contract.TypeChanged, verdict.Breaking, "integer", "number")},
		},
		{
			name:     "integer where the baseline saw number is not drift",
			baseline: []string{`{"balance":0.5}`}, observed: []string{`{"balance":0}`},
		},
		{
			name:     "first value of a field the baseline only saw as null is info",
			baseline: []string{`{"avatar":null}`}, observed: []string{`{"avatar":"x.png"}`},
			want: []contract.Drift{d("/avatar", contract.TypeChanged, verdict.Info, "null", "string")},
		},
		{
			name:     "became_null inside nested arrays",
			baseline: []string{nested("1.5"), nested("2")},
			observed: []string{nested("null")},
			want:     []contract.Drift{d("/data/list/*/items/*/price", contract.BecameNull, verdict.Breaking, "integer|number", "null")},
		},
		{
			name:     "became_null and type_changed together",
			baseline: []string{`{"id":1}`}, observed: []string{`{"id":"1"}`, `{"id":null}`},
			want: []contract.Drift{
				d("/id", contract.BecameNull, verdict.Breaking, "integer", "string|null"),
				d("/id", contract.TypeChanged, verdict.Breaking, "integer", "string|null"),
			},
		},
		{
			name:     "enum_added, one difference per new value",
			baseline: []string{`{"data":{"list":[{"status":1},{"status":2}]}}`},
			observed: []string{`{"data":{"list":[{"status":1},{"status":7},{"status":5}]}}`},
			want: []contract.Drift{
				d("/data/list/*/status", contract.EnumAdded, verdict.Warning, "1|2", "5"),
				d("/data/list/*/status", contract.EnumAdded, verdict.Warning, "1|2", "7"),
			},
		},
		{
			name:     "a new envelope code is enum_added",
			baseline: []string{`{"code":"0","ok":true}`}, observed: []string{`{"code":"0","ok":true}`, `{"code":"F1","ok":false}`},
			want: []contract.Drift{d("/code", contract.EnumAdded, verdict.Warning, "0", "F1")},
		},
		{
			name:     "became_optional inside array items",
			baseline: []string{`{"data":{"list":[{"a":1,"b":2},{"a":1,"b":2}]}}`},
			observed: []string{`{"data":{"list":[{"a":1,"b":2},{"a":1}]}}`},
			want:     []contract.Drift{d("/data/list/*/b", contract.BecameOptional, verdict.Info, "always", "sometimes")},
		},
		{
			name:     "became_optional across observed samples",
			baseline: []string{`{"data":{"a":1}}`, `{"data":{"a":2}}`},
			observed: []string{`{"data":{"a":1}}`, `{"data":{}}`},
			want:     []contract.Drift{d("/data/a", contract.BecameOptional, verdict.Info, "always", "sometimes")},
		},
		{
			name:     "an empty array gives its items no chance: no removed, no became_optional",
			baseline: []string{`{"data":{"list":[{"a":1}]}}`},
			observed: []string{`{"data":{"list":[]}}`, `{"data":{"list":[]}}`},
		},
		{
			name:     "a parent that became null is reported once, at the parent",
			baseline: []string{`{"data":{"a":1}}`},
			observed: []string{`{"data":null}`},
			want:     []contract.Drift{d("/data", contract.BecameNull, verdict.Breaking, "object", "null")},
		},
		{
			name:     "envelope /code type change is envelope_semantics",
			baseline: []string{`{"code":"0","ok":true,"fail":false}`},
			observed: []string{`{"code":0,"ok":true,"fail":false}`},
			want:     []contract.Drift{d("/code", contract.EnvelopeSemantics, verdict.Breaking, "string", "integer")},
		},
		{
			name:     "envelope /ok and /fail changes are envelope_semantics",
			baseline: []string{`{"code":"0","ok":true,"fail":false}`},
			observed: []string{`{"code":"0","ok":"true"}`},
			want: []contract.Drift{
				d("/fail", contract.EnvelopeSemantics, verdict.Breaking, "always", "absent"),
				d("/ok", contract.EnvelopeSemantics, verdict.Breaking, "boolean", "string"),
			},
		},
		{
			name:     "success signalled by a new code is envelope_semantics",
			baseline: []string{`{"code":"0","ok":true}`},
			observed: []string{`{"code":"200","ok":true}`},
			want: []contract.Drift{
				d("/code", contract.EnumAdded, verdict.Warning, "0", "200"),
				d("/code", contract.EnvelopeSemantics, verdict.Breaking, "ok=true with code 0", "ok=true with code 200"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(op, shapeOf(t, tt.baseline...), shapeOf(t, tt.observed...))
			for _, x := range got {
				if len(x.Fingerprint) != 32 {
					t.Errorf("%s %s: fingerprint %q, want 32 hex digits", x.Pointer, x.Change, x.Fingerprint)
				}
			}
			if g := withoutFingerprints(got); !reflect.DeepEqual(g, tt.want) && !(len(g) == 0 && len(tt.want) == 0) {
				t.Errorf("Diff:\n got %s\nwant %s", fmtDrift(g), fmtDrift(tt.want))
			}
		})
	}
}

func fmtDrift(ds []contract.Drift) string {
	var b strings.Builder
	for _, x := range ds {
		fmt.Fprintf(&b, "\n  %s %s %s baseline=%q observed=%q", x.Pointer, x.Change, x.Severity, x.Baseline, x.Observed)
	}
	return b.String()
}

// Ensure "always" is a requirement only when it held in every sample the
// baseline learned from, including for fields inside arrays.
func TestPresenceAcrossSamples(t *testing.T) {
	tests := []struct {
		name    string
		samples []string
		pointer string
		want    string
	}{
		{"present in every sample", []string{`{"a":1}`, `{"a":2}`, `{"a":3}`}, "/a", "always"},
		{"missing from one sample", []string{`{"a":1}`, `{}`, `{"a":3}`}, "/a", "sometimes"},
		{"on every item of every list", []string{`{"l":[{"p":1},{"p":2}]}`, `{"l":[{"p":1}]}`}, "/l/*/p", "always"},
		{"missing from one item", []string{`{"l":[{"p":1},{"p":2}]}`, `{"l":[{"p":1},{}]}`}, "/l/*/p", "sometimes"},
		{"empty lists do not count against items", []string{`{"l":[{"p":1}]}`, `{"l":[]}`, `{"l":[]}`}, "/l/*/p", "always"},
		{"a null parent does not count against members", []string{`{"d":{"p":1}}`, `{"d":null}`}, "/d/p", "always"},
		{"an absent parent does not count against members", []string{`{"d":{"p":1}}`, `{}`}, "/d/p", "always"},
		{"the parent itself is sometimes", []string{`{"d":{"p":1}}`, `{}`}, "/d", "sometimes"},
		{"wildcards are never judged", []string{`{"l":[1]}`}, "/l/*", "sometimes"},
		{"never seen", []string{`{"a":1}`}, "/b", "absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shapeOf(t, tt.samples...)
			if got := s.Presence(tt.pointer); got != tt.want {
				t.Errorf("Presence(%s) = %s, want %s (shape %+v)", tt.pointer, got, tt.want, s.Fields)
			}
			// Merging in another order gives the same answer.
			var rev Shape
			for i := len(tt.samples) - 1; i >= 0; i-- {
				rev.Merge(shapeOf(t, tt.samples[i]))
			}
			if got := rev.Presence(tt.pointer); got != tt.want {
				t.Errorf("reverse merge: Presence(%s) = %s, want %s", tt.pointer, got, tt.want)
			}
		})
	}
}

// Ensure a baseline that saw a field sometimes does not turn its absence into
// breaking drift, while one that always saw it does.
func TestMultiSampleBaselineRemoval(t *testing.T) {
	obs := shapeOf(t, `{"data":{}}`)
	always := shapeOf(t, `{"data":{"a":1}}`, `{"data":{"a":2}}`, `{"data":{"a":3}}`)
	sometimes := shapeOf(t, `{"data":{"a":1}}`, `{"data":{"a":2}}`, `{"data":{}}`)
	if got := Diff(op, always, obs); len(got) != 1 || got[0].Change != contract.Removed {
		t.Errorf("always-present baseline: %s", fmtDrift(got))
	}
	if got := Diff(op, sometimes, obs); len(got) != 0 {
		t.Errorf("sometimes-present baseline: %s", fmtDrift(got))
	}
}

// Ensure Diff's output does not depend on map iteration order.
func TestDiffDeterministic(t *testing.T) {
	base := shapeOf(t, `{"a":1,"b":{"c":"x","d":[1]},"e":true,"f":1,"g":1,"h":1}`)
	obs := shapeOf(t, `{"a":"1","b":{"c":null,"z":1},"e":1,"f":null,"y":1,"x":1}`)
	first := Diff(op, base, obs)
	for i := 0; i < 20; i++ {
		if got := Diff(op, base, obs); !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, fmtDrift(got), fmtDrift(first))
		}
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1], first[i]
		if a.Pointer > b.Pointer || (a.Pointer == b.Pointer && a.Change > b.Change) {
			t.Errorf("not sorted at %d: %s %s before %s %s", i, a.Pointer, a.Change, b.Pointer, b.Change)
		}
	}
}

// goldenFingerprint pins Fingerprint: changing the hash input would re-open
// every deduplicated alert, so it must be a deliberate, visible change.
const goldenFingerprint = "c2aa3a21f8cbc9613ea2df031ada1b29"

// Ensure fingerprints are stable across runs and process restarts, and differ
// when any of their inputs differ.
func TestFingerprintStable(t *testing.T) {
	got := Fingerprint("client/customer.app.CustomerWebApiService.findCustomerInfo", "/data/id", contract.TypeChanged, "string")
	if got != goldenFingerprint {
		t.Errorf("Fingerprint = %s, want the committed %s", got, goldenFingerprint)
	}
	seen := map[string]string{}
	for _, in := range [][4]string{
		{"op", "/a", "added", "string"}, {"op", "/a", "added", "integer"}, {"op", "/b", "added", "string"},
		{"op2", "/a", "added", "string"}, {"op", "/a", "removed", "string"},
		{"op", "/a:added", "", "string"}, {"op", "/a", ":added", "string"},
	} {
		fp := Fingerprint(in[0], in[1], contract.Change(in[2]), in[3])
		if prev, dup := seen[fp]; dup {
			t.Errorf("%v and %s share fingerprint %s", in, prev, fp)
		}
		seen[fp] = fmt.Sprint(in)
	}

	// A fresh process computes the same fingerprints for a whole diff.
	if os.Getenv("DRIFT_FINGERPRINT_CHILD") == "1" {
		for _, x := range fingerprintFixtureDiff(t) {
			fmt.Println(x.Fingerprint)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFingerprintStable$")
	cmd.Env = append(os.Environ(), "DRIFT_FINGERPRINT_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v", err)
	}
	var want strings.Builder
	for _, x := range fingerprintFixtureDiff(t) {
		want.WriteString(x.Fingerprint + "\n")
	}
	if !strings.HasPrefix(string(out), want.String()) {
		t.Errorf("child process fingerprints:\n%s\nwant:\n%s", out, want.String())
	}
}

func fingerprintFixtureDiff(t *testing.T) []contract.Drift {
	base := shapeOf(t, `{"code":"0","ok":true,"data":{"id":1,"list":[{"status":1,"p":1.5}],"gone":true}}`)
	obs := shapeOf(t, `{"code":"0","ok":true,"data":{"id":"1","list":[{"status":2,"p":null}],"new":{"a":1}}}`)
	ds := Diff(op, base, obs)
	if len(ds) != 5 {
		t.Fatalf("fixture diff has %d differences, want 5: %s", len(ds), fmtDrift(ds))
	}
	return ds
}

// Ensure WorstSeverity and Verdict map drift to severities and verdicts.
func TestWorstAndVerdict(t *testing.T) {
	info, warn, brk := contract.Drift{Severity: verdict.Info}, contract.Drift{Severity: verdict.Warning}, contract.Drift{Severity: verdict.Breaking}
	tests := []struct {
		ds    []contract.Drift
		worst verdict.Severity
		v     verdict.Verdict
	}{
		{nil, "", verdict.Pass},
		{[]contract.Drift{info}, verdict.Info, verdict.Drifted},
		{[]contract.Drift{info, warn, info}, verdict.Warning, verdict.Drifted},
		{[]contract.Drift{info, brk, warn}, verdict.Breaking, verdict.Broken},
	}
	for _, tt := range tests {
		if got := contract.WorstSeverity(tt.ds); got != tt.worst {
			t.Errorf("WorstSeverity(%v) = %q, want %q", tt.ds, got, tt.worst)
		}
		if got := Verdict(tt.ds); got != tt.v {
			t.Errorf("Verdict(%v) = %q, want %q", tt.ds, got, tt.v)
		}
	}
}
