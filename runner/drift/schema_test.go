package drift

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// dataSchema mimics what the schemas package produces: draft-07, nullable
// vendor fields as type lists, never-null ids, additionalProperties allowed.
const dataSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": ["object", "null"],
  "additionalProperties": true,
  "properties": {
    "id": {"type": "integer"},
    "nickname": {"type": ["string", "null"]},
    "accountList": {
      "type": ["array", "null"],
      "items": {"$ref": "#/definitions/account"}
    },
    "limits": {"type": "object", "additionalProperties": {"type": "number"}},
    "level": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "note": {"allOf": [{"$ref": "#/definitions/text"}]}
  },
  "definitions": {
    "account": {
      "type": "object",
      "properties": {"balance": {"type": "number"}, "currency": {"type": ["string", "null"]}}
    },
    "text": {"type": "string"}
  }
}`

// Ensure drift against the schema alone reports undocumented fields (even
// where additionalProperties allows them) and forbidden nulls, under /data.
func TestDiffSchema(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []contract.Drift
	}{
		{
			name: "documented and well-typed",
			body: `{"code":"0","ok":true,"extra":1,"data":{"id":1,"nickname":null,"accountList":[{"balance":1.5,"currency":null}],"limits":{"BTC":1},"level":"A","note":"x"}}`,
		},
		{
			name: "undocumented fields, top of subtree only, envelope ignored",
			body: `{"newEnvelopeField":1,"data":{"id":1,"riskLevel":"LOW","profile":{"a":{"b":1}},"accountList":[{"balance":1,"bonus":2}]}}`,
			want: []contract.Drift{
				d("/data/accountList/*/bonus", contract.Added, verdict.Info, "undocumented", "integer"),
				d("/data/profile", contract.Added, verdict.Info, "undocumented", "object"),
				d("/data/riskLevel", contract.Added, verdict.Info, "undocumented", "string"),
			},
		},
		{
			name: "null where the schema forbids it, through $ref and allOf",
			body: `{"data":{"id":null,"nickname":null,"accountList":[{"balance":null}],"note":null,"level":null}}`,
			want: []contract.Drift{
				d("/data/accountList/*/balance", contract.BecameNull, verdict.Breaking, "number", "null"),
				d("/data/id", contract.BecameNull, verdict.Breaking, "integer", "null"),
				d("/data/level", contract.BecameNull, verdict.Breaking, "string|integer", "null"),
				d("/data/note", contract.BecameNull, verdict.Breaking, "string", "null"),
			},
		},
		{
			name: "null data is allowed by the schema",
			body: `{"data":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DiffSchema(op, []byte(dataSchema), shapeOf(t, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range got {
				if x.Fingerprint != Fingerprint(op, x.Pointer, x.Change, map[contract.Change]string{contract.Added: x.Observed, contract.BecameNull: "null"}[x.Change]) {
					t.Errorf("%s: fingerprint %s does not match Diff's scheme", x.Pointer, x.Fingerprint)
				}
			}
			if g := withoutFingerprints(got); !reflect.DeepEqual(g, tt.want) && !(len(g) == 0 && len(tt.want) == 0) {
				t.Errorf("DiffSchema:\n got %s\nwant %s", fmtDrift(g), fmtDrift(tt.want))
			}
		})
	}
}

// Ensure an array-valued data schema and a non-nullable data member are handled.
func TestDiffSchemaArrayData(t *testing.T) {
	schema := `{"type":"array","items":{"type":"object","properties":{"symbolId":{"type":"integer"}}}}`
	got, err := DiffSchema(op, []byte(schema), shapeOf(t, `{"data":[{"symbolId":1,"symbolCode":"BTC"}]}`, `{"data":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []contract.Drift{
		d("/data", contract.BecameNull, verdict.Breaking, "array", "array|null"),
		d("/data/*/symbolCode", contract.Added, verdict.Info, "undocumented", "string"),
	}
	if g := withoutFingerprints(got); !reflect.DeepEqual(g, want) {
		t.Errorf("got %s\nwant %s", fmtDrift(g), fmtDrift(want))
	}
}

// Ensure a schema that is not JSON is an error, and a self-referencing one
// terminates.
func TestDiffSchemaBadSchemas(t *testing.T) {
	if _, err := DiffSchema(op, []byte(`{`), shapeOf(t, `{"data":1}`)); err == nil {
		t.Error("invalid schema: no error")
	}
	loop := `{"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/a"}}}`
	got, err := DiffSchema(op, []byte(loop), shapeOf(t, `{"data":{"x":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Change != contract.Added {
		t.Errorf("self-referencing schema: %s", fmtDrift(got))
	}
}

// Ensure one Schema shared by goroutines diffing at once (a run's specs
// run in parallel) diffs exactly as a one-shot DiffSchema does, and that a
// schema that is not JSON is refused.
func TestSchemaConcurrent(t *testing.T) {
	body := `{"data":{"id":null,"nickname":"x","undocumented":1,"accountList":[{"balance":1,"currency":null,"extra":true}]}}`
	shape := shapeOf(t, body) // read-only: shared by the goroutines
	want, err := DiffSchema("op", []byte(dataSchema), shape)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := ParseSchema([]byte(dataSchema))
	if err != nil {
		t.Fatal(err)
	}
	const workers = 8
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			if got := shared.Diff("op", shape); !reflect.DeepEqual(got, want) {
				errs <- fmt.Errorf("shared diff\n got %s\nwant %s", fmtDrift(got), fmtDrift(want))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := DiffSchema("op", []byte(`{`), shape); err == nil {
		t.Error("a schema that is not JSON was accepted")
	}
}

// Ensure one parsed Schema, whose pointer lookups are memoised, judges a
// stream of different responses exactly as a freshly parsed one judges
// each: the memo depends on the pointer alone.
func TestSchemaMemo(t *testing.T) {
	bodies := []string{
		`{"data":{"id":1,"nickname":null,"accountList":[{"balance":1.5,"currency":null}],"limits":{"BTC":1},"level":"A","note":"x"}}`,
		`{"data":{"id":null,"riskLevel":"LOW","profile":{"a":{"b":1}},"accountList":[{"balance":null,"bonus":2}]}}`,
		`{"data":{"limits":{"ETH":null},"note":null,"profile":null}}`,
		`{"data":null}`,
		`{"data":{"id":1,"riskLevel":"LOW","profile":{"a":{"b":1}},"accountList":[{"balance":1,"bonus":2}]}}`,
	}
	shared, err := ParseSchema([]byte(dataSchema))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for _, body := range bodies {
			fresh, err := ParseSchema([]byte(dataSchema))
			if err != nil {
				t.Fatal(err)
			}
			shape := shapeOf(t, body)
			if got, want := shared.Diff(op, shape), fresh.Diff(op, shape); !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, %s:\n memoised %s\n fresh    %s", round, body, fmtDrift(got), fmtDrift(want))
			}
		}
	}
}
