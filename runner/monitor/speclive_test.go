package monitor

import (
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/runner/drift"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// Ensure the disagreements of a new spec and the live shapes: a removed
// field still live is announced_not_live (and not also undocumented), a
// live field the spec lacks is undocumented_live at the top of its subtree
// only, a removed field no longer live and a documented one are neither,
// and an operation whose spec leaves data open is not judged undocumented.
func TestSpecVsLive(t *testing.T) {
	load := func(props string) *specdiff.Spec {
		t.Helper()
		s, err := specdiff.Load([]byte(openapiDoc(props)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	oldSpec := load(`"id":{"type":"integer"},"name":{"type":"string"},"gone":{"type":"string"}`)
	newSpec := load(`"id":{"type":"integer"}`)
	report := specdiff.Diff(oldSpec, newSpec)
	shape, err := drift.Infer([]byte(`{"code":"0","data":{"id":1,"name":"n","extra":{"deep":{"x":1}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]liveShape{"a.b.S.op": {shape: shape, where: "job j, run r"}}
	got := map[string]contract.Change{}
	for _, d := range specVsLive(report, newSpec, live) {
		got[d.Pointer[strings.LastIndexByte(d.Pointer, ' ')+1:]] = d.Change
		if !strings.Contains(d.Observed, "job j, run r") {
			t.Errorf("%s: observed %q does not say where it was seen", d.Pointer, d.Observed)
		}
	}
	want := map[string]contract.Change{"/data/name": contract.AnnouncedNotLive, "/data/extra": contract.UndocumentedLive}
	if len(got) != len(want) {
		t.Errorf("disagreements %v, want %v", got, want)
	}
	for p, c := range want {
		if got[p] != c {
			t.Errorf("%s: %q, want %q (all: %v)", p, got[p], c, got)
		}
	}
	if s := disagreementSummary(specVsLive(report, newSpec, live)); s != "; live responses disagree: 1 announced, not live yet, 1 undocumented, live" {
		t.Errorf("summary %q", s)
	}

	open := load(``)
	if ds := specVsLive(specdiff.Diff(open, open), open, live); len(ds) != 0 {
		t.Errorf("an open data schema yields %v, want nothing", ds)
	}
	if ds := specVsLive(report, newSpec, map[string]liveShape{"other.op": {shape: shape}}); len(ds) != 0 {
		t.Errorf("a live operation the spec does not have yields %v", ds)
	}
}
