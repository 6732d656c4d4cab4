package drift

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/simulator/sample"
	"github.com/mmcontract/mmcontract/schemas"
)

// skeletonSchemas are data schemas that exercise every way a skeleton
// could disagree with the general path: a member named "*" beside array
// items, escaped names, $ref, allOf and anyOf branches, a schema that
// refers to itself (a skeleton without end), map-like objects
// (additionalProperties, patternProperties), the tolerated marker, nulls,
// and an object so wide its members are indexed.
var skeletonSchemas = map[string]string{
	"tracker bodies": `{"type":"object","properties":{
		"status":{"type":"integer"},
		"list":{"type":"array","items":{"type":"object","properties":{"a":{"type":"integer"},"type":{"type":"string"},"*":{"type":"boolean"}}}},
		"name":{"type":"string"},
		"*":{"type":"object","properties":{"type":{"type":"string"}}},
		"a/b":{"type":"integer"},
		"c~d":{"type":"object","properties":{"e":{"type":"array","items":{"$ref":"#/definitions/k"}}}}},
		"definitions":{"k":{"type":"object","properties":{"kycStatus":{"type":["string","null"]}}}}}`,
	"branches and tolerance": `{"allOf":[{"type":"object","properties":{"status":{"type":"integer","$comment":"tolerated: string because the vendor's CN document says so"}}}],
		"anyOf":[{"type":"object","properties":{"list":{"type":"array","items":{"type":"array","items":{"type":"integer"}}}}},
		         {"type":"object","properties":{"name":{"type":["string","null"]},"list":{"type":"object"}}}]}`,
	"recursive": `{"$ref":"#/definitions/n","definitions":{"n":{"type":"object","properties":{
		"status":{"type":"integer"},"child":{"$ref":"#/definitions/n"},"list":{"type":"array","items":{"$ref":"#/definitions/n"}}}}}}`,
	"map-like": `{"type":"object","properties":{"status":{"type":"integer"}},
		"patternProperties":{"^c":{"type":"object","properties":{"e":{"type":"array"}}}},
		"additionalProperties":{"type":"object","properties":{"type":{"type":"string"}}}}`,
	"wide":  wideSchema(40),
	"empty": `{}`,
}

func wideSchema(n int) string {
	var b bytes.Buffer
	b.WriteString(`{"type":"object","properties":{`)
	for i := range n {
		fmt.Fprintf(&b, `"f%d":{"type":"string"},`, i)
	}
	b.WriteString(`"status":{"type":"integer"},"list":{"type":"array","items":{"type":"object","properties":{"a":{"type":"integer"}}}},"name":{"type":"string"}}}`)
	return b.String()
}

// schemaDerived is what a run derives from a body of an operation without
// a baseline: the recorded shape and its drift against the schema.
type schemaDerived struct {
	file  []byte
	drift []contract.Drift
	shape Shape
}

// Ensure a Tracker built on a schema's skeleton answers what Infer, Format
// and a fresh parse of the schema's Diff answer, response after response,
// for every schema above and for the simulator's two real bodies with
// their real schemas: the recorded shape, the drift, and the Shape the
// Inferred builds for a baseline diff.
func TestSchemaTrackerMatchesInfer(t *testing.T) {
	bodies := trackerTestBodies(t)
	for name, raw := range skeletonSchemas {
		t.Run(name, func(t *testing.T) {
			schemaTrackerAgrees(t, []byte(raw), bodies)
		})
	}
	if testing.Short() {
		// CI runs without -short, so there the real bodies are checked.
		t.Log("the simulator's real bodies are left out under -short (sample.Bodies builds a 7 MB list)")
		return
	}
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sample.Bodies(t) {
		op := sample.FindCustomerInfo
		if s.Name != "findCustomerInfo" {
			op = sample.GetSymbolBaseList
		}
		raw, ok := set.DataSchema("client", op)
		if !ok {
			t.Fatalf("no schema for %s", op)
		}
		t.Run(s.Name, func(t *testing.T) {
			schemaTrackerAgrees(t, raw, append([][]byte{s.Body, s.Body}, bodies...))
		})
	}
}

func schemaTrackerAgrees(t *testing.T, raw []byte, bodies [][]byte) {
	t.Helper()
	parsed, err := ParseSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewSchemaTracker[schemaDerived](Inferrer{}, parsed)
	for i, b := range bodies {
		schemaObserveAgrees(t, tr, parsed, raw, fmt.Sprintf("in order #%d", i), b)
	}
	for i := len(bodies) - 1; i >= 0; i-- {
		schemaObserveAgrees(t, tr, parsed, raw, fmt.Sprintf("reversed #%d", i), bodies[i])
		schemaObserveAgrees(t, tr, parsed, raw, fmt.Sprintf("again #%d", i), bodies[i])
	}
}

func schemaObserveAgrees(t *testing.T, tr *Tracker[schemaDerived], parsed *Schema, raw []byte, name string, body []byte) {
	t.Helper()
	got, gotErr := tr.ObserveInferred(body, func(x *Inferred) (schemaDerived, error) {
		return schemaDerived{x.Format(), x.DiffSchema("op", parsed), x.Shape()}, nil
	})
	want, wantErr := Infer(body)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%s: error %v, Infer's %v\nbody: %q", name, gotErr, wantErr, body)
	}
	if wantErr != nil {
		return
	}
	if file := Format(want); !bytes.Equal(got.file, file) {
		t.Fatalf("%s: shape\n%s\nInfer's\n%s\nbody: %q", name, got.file, file, body)
	}
	if !reflect.DeepEqual(got.shape, want) {
		t.Fatalf("%s: Shape %+v, Infer's %+v\nbody: %q", name, got.shape, want, body)
	}
	// A fresh parse: no skeleton, every pointer looked up by the walker.
	wantDrift, err := DiffSchema("op", raw, want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.drift, wantDrift) {
		t.Fatalf("%s: drift %+v, a fresh Diff's %+v\nbody: %q", name, got.drift, wantDrift, body)
	}
}

// Ensure the skeleton of a schema that refers to itself is bounded, and
// that a body nesting deeper than it still infers and diffs as the general
// path does (the pointers past the bound take that path).
func TestSkeletonBounded(t *testing.T) {
	parsed, err := ParseSchema([]byte(skeletonSchemas["recursive"]))
	if err != nil {
		t.Fatal(err)
	}
	sk := parsed.skeleton()
	if n := len(sk.nodes); n == 0 || n > maxSkeletonNodes {
		t.Fatalf("the skeleton has %d nodes, want between 1 and %d", n, maxSkeletonNodes)
	}
	var b bytes.Buffer
	b.WriteString(`{"code":"0","ok":true,"data":`)
	const depth = 40 // past maxSkeletonDepth
	for range depth {
		b.WriteString(`{"status":1,"child":`)
	}
	b.WriteString(`{"undocumented":true}`)
	for range depth {
		b.WriteString(`}`)
	}
	b.WriteString(`}`)
	schemaTrackerAgrees(t, []byte(skeletonSchemas["recursive"]), [][]byte{b.Bytes()})
}

// Ensure a skeleton Tracker agrees with the general path on any two bodies
// observed in turn, against the tracker bodies' schema. Seeds live in
// testdata/fuzz/FuzzSchemaTracker.
func FuzzSchemaTracker(f *testing.F) {
	for i := 0; i+1 < len(trackerBodies); i++ {
		f.Add([]byte(trackerBodies[i]), []byte(trackerBodies[i+1]))
	}
	raw := []byte(skeletonSchemas["tracker bodies"])
	parsed, err := ParseSchema(raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		tr := NewSchemaTracker[schemaDerived](Inferrer{}, parsed)
		for i, body := range [][]byte{a, a, b, a, b, b} {
			schemaObserveAgrees(t, tr, parsed, raw, fmt.Sprintf("step %d", i), body)
		}
	})
}
