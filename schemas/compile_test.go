package schemas_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mmcontract/mmcontract/schemas"
)

// Ensure every embedded schema compiles (Load defers the compile to first
// use, so this is the fail-fast) and none falls back to gojsonschema.
func TestCompileAll(t *testing.T) {
	set := mustLoad(t)
	if err := set.CompileAll(); err != nil {
		t.Fatal(err)
	}
	fallbacks, err := set.Fallbacks()
	if err != nil {
		t.Fatal(err)
	}
	// The schemas validated by gojsonschema instead of the compiled
	// checker, by file. Today none: every schema keeps to the subset.
	want := map[string]string{}
	for file, why := range fallbacks {
		if _, ok := want[file]; !ok {
			t.Errorf("%s falls back to gojsonschema: %s", file, why)
		}
	}
	for file := range want {
		if _, ok := fallbacks[file]; !ok {
			t.Errorf("%s is listed as falling back but compiles", file)
		}
	}
}

// oneSchemaFS is a tree with one client operation whose data schema is
// schema.
func oneSchemaFS(t *testing.T, schema string) fstest.MapFS {
	t.Helper()
	return fstest.MapFS{
		"envelope.json":       {Data: []byte(`{"type":"object"}`)},
		"client/catalog.json": {Data: []byte(`[{"family":"client","bizType":"a.b.C.d","version":"0.0.1","path":"global","login":true,"area":"customer","readOnly":true,"tags":[],"request":{}}]`)},
		"client/a.b.C.d.json": {Data: []byte(schema)},
	}
}

// Ensure a schema outside the compiled subset falls back to gojsonschema,
// naming what it uses, and is still validated; and that a schema the
// subset reads as invalid is refused only if gojsonschema refuses it too.
func TestFallbackOutsideSubset(t *testing.T) {
	tests := []struct {
		name, schema, why string
		body              string
		wantKeywords      []string
	}{
		{"enum", `{"type":"object","properties":{"side":{"enum":["buy","sell"]}}}`, `keyword "enum"`,
			`{"side":"hold"}`, []string{"enum"}},
		{"minimum", `{"properties":{"n":{"type":"integer","minimum":1}}}`, `keyword "minimum"`,
			`{"n":0}`, []string{"minimum"}},
		{"checked format", `{"properties":{"mail":{"type":"string","format":"email"}}}`, `format "email"`,
			`{"mail":"nope"}`, []string{"format"}},
		{"tuple items", `{"type":"array","items":[{"type":"string"}]}`, "items as a list",
			`[1]`, []string{"type"}},
		{"boolean schema", `{"properties":{"x":false}}`, "boolean as a schema",
			`{"x":1}`, []string{"false"}},
		{"ref", `{"definitions":{"s":{"type":"string"}},"properties":{"x":{"$ref":"#/definitions/s"}}}`, `keyword "definitions"`,
			`{"x":1}`, []string{"type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := schemas.LoadFS(oneSchemaFS(t, tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			fb, err := set.Fallbacks()
			if err != nil {
				t.Fatal(err)
			}
			if why := fb["client/a.b.C.d.json"]; !strings.Contains(why, tt.why) {
				t.Errorf("fallback reason %q, want it to name %q (all: %v)", why, tt.why, fb)
			}
			vs, err := set.ValidateData("client", "a.b.C.d", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Keyword)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantKeywords, ",") {
				t.Errorf("violations %+v, want keywords %v", vs, tt.wantKeywords)
			}
		})
	}
	for _, schema := range []string{`{"type":"objekt"}`, `{"required":"all"}`, `{"type":["string","string"]}`} {
		if _, err := schemas.LoadFS(oneSchemaFS(t, schema)); err == nil || !strings.Contains(err.Error(), "client/a.b.C.d.json: compile") {
			t.Errorf("%s: LoadFS error %v, want a compile error naming the file", schema, err)
		}
	}
}
