package specdiff_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas/openapi"
	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// doc builds a one-operation spec (POST /global/a.b.S.op) whose request body
// schema is req and whose response envelope's data schema is data, plus
// extra operations (path -> data schema). Schemas are JSON text; "" omits
// the request body.
func doc(req, data string, extra ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{`)
	op := func(path, req, data string) {
		fmt.Fprintf(&b, `%q:{"post":{`, path)
		if req != "" {
			fmt.Fprintf(&b, `"requestBody":{"content":{"application/json":{"schema":%s}}},`, req)
		}
		fmt.Fprintf(&b, `"responses":{"200":{"content":{"application/json":{"schema":`+
			`{"type":"object","properties":{"code":{"type":"string"},"data":%s}}}}}}}}`, data)
	}
	op("/global/a.b.S.op", req, data)
	for i := 0; i+1 < len(extra); i += 2 {
		b.WriteString(",")
		op(extra[i], "", extra[i+1])
	}
	b.WriteString(`},"components":{"schemas":{` +
		`"Node":{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}}}},` +
		`"Money":{"type":"object","properties":{"amount":{"type":"string"},"currency":{"type":"string"}}}` +
		`}}}`)
	return []byte(b.String())
}

const obj = `{"type":"object","properties":{%s}%s}`

func o(props string) string { return fmt.Sprintf(obj, props, "") }
func oreq(props, required string) string {
	return fmt.Sprintf(obj, props, `,"required":[`+required+`]`)
}

// Ensure each kind of change is detected at the right pointer with the
// right severity, and that nested additions and removals are reported once,
// at their topmost pointer.
func TestDiffClassifies(t *testing.T) {
	const op = "POST /global/a.b.S.op"
	tests := []struct {
		name             string
		oldReq, oldData  string
		newReq, newData  string
		oldExtra, newExt []string
		want             []specdiff.Change
	}{
		{
			name:    "identical",
			oldReq:  o(`"a":{"type":"string"}`),
			oldData: o(`"x":{"$ref":"#/components/schemas/Money"}`),
			newReq:  o(`"a":{"type":"string"}`),
			newData: o(`"x":{"$ref":"#/components/schemas/Money"}`),
		},
		{
			name:    "nested response addition reported once at its top",
			oldData: o(`"list":{"type":"array","items":` + o(`"id":{"type":"integer"}`) + `}`),
			newData: o(`"list":{"type":"array","items":` + o(`"id":{"type":"integer"},"fee":{"$ref":"#/components/schemas/Money"}`) + `}`),
			want: []specdiff.Change{
				{Operation: op, Location: "response", Pointer: "/data/list/*/fee", Change: "added", Severity: "info", New: "object"},
			},
		},
		{
			name:    "nested response removal reported once and breaking",
			oldData: o(`"fee":{"$ref":"#/components/schemas/Money"},"id":{"type":"integer","format":"int64"}`),
			newData: o(`"id":{"type":"integer","format":"int64"}`),
			want: []specdiff.Change{
				{Operation: op, Location: "response", Pointer: "/data/fee", Change: "removed", Severity: "breaking", Old: "object"},
			},
		},
		{
			name:    "retype hides the subtree beneath it",
			oldData: o(`"fee":{"type":"string"}`),
			newData: o(`"fee":{"$ref":"#/components/schemas/Money"}`),
			want: []specdiff.Change{
				{Operation: op, Location: "response", Pointer: "/data/fee", Change: "type_changed", Severity: "breaking", Old: "string", New: "object"},
			},
		},
		{
			name:    "format and enum changes are warnings; reorder and long/int64 are not changes",
			oldData: o(`"n":{"type":"integer","format":"long"},"m":{"type":"integer","format":"int32"},"s":{"type":"string","enum":["A","B"]},"r":{"type":"string","enum":["X","Y"]}`),
			newData: o(`"n":{"type":"integer","format":"int64"},"m":{"type":"integer","format":"int64"},"s":{"type":"string","enum":["A","B","C"]},"r":{"type":"string","enum":["Y","X"]}`),
			want: []specdiff.Change{
				{Operation: op, Location: "response", Pointer: "/data/m", Change: "format_changed", Severity: "warning", Old: "int32", New: "int64"},
				{Operation: op, Location: "response", Pointer: "/data/s", Change: "enum_changed", Severity: "warning", Old: `["A","B"]`, New: `["A","B","C"]`},
			},
		},
		{
			name:    "nullable is not a type change",
			oldData: o(`"a":{"type":"string"},"b":{"type":["integer","null"]}`),
			newData: o(`"a":{"type":"string","nullable":true},"b":{"type":"integer"}`),
		},
		{
			name:    "request: became required, new required field and retype are breaking; removal is a warning",
			oldReq:  oreq(`"a":{"type":"string"},"b":{"type":"integer"},"gone":{"type":"string"},"opt":{"type":"string"}`, `"opt"`),
			oldData: o(``),
			newReq:  oreq(`"a":{"type":"string"},"b":{"type":"string"},"must":{"type":"string"},"opt":{"type":"string"},"may":{"type":"string"}`, `"a","must"`),
			newData: o(``),
			want: []specdiff.Change{
				{Operation: op, Location: "request", Pointer: "/a", Change: "became_required", Severity: "breaking", Old: "optional", New: "required"},
				{Operation: op, Location: "request", Pointer: "/b", Change: "type_changed", Severity: "breaking", Old: "integer", New: "string"},
				{Operation: op, Location: "request", Pointer: "/gone", Change: "removed", Severity: "warning", Old: "string"},
				{Operation: op, Location: "request", Pointer: "/may", Change: "added", Severity: "info", New: "string"},
				{Operation: op, Location: "request", Pointer: "/must", Change: "added", Severity: "breaking", New: "string, required"},
			},
		},
		{
			name:    "a request body dropped is one change at the body root",
			oldReq:  o(`"a":{"type":"string"},"b":` + o(`"c":{"type":"string"}`)),
			oldData: o(``),
			newData: o(``),
			want: []specdiff.Change{
				{Operation: op, Location: "request", Pointer: "", Change: "removed", Severity: "warning", Old: "object"},
			},
		},
		{
			name:     "operations added and removed",
			oldData:  o(``),
			newData:  o(``),
			oldExtra: []string{"/global/a.b.S.old", o(`"x":{"type":"string"}`)},
			newExt:   []string{"/global/a.b.S.new", o(`"x":{"type":"string"}`)},
			want: []specdiff.Change{
				{Operation: "POST /global/a.b.S.new", Location: "operation", Change: "added", Severity: "info"},
				{Operation: "POST /global/a.b.S.old", Location: "operation", Change: "removed", Severity: "breaking"},
			},
		},
		{
			name:    "recursive refs, allOf and escaped names",
			oldData: `{"allOf":[{"$ref":"#/components/schemas/Node"},` + o(`"a/b":{"type":"string"}`) + `]}`,
			newData: `{"allOf":[{"$ref":"#/components/schemas/Node"},` + o(`"a/b":{"type":"integer"},"t~":{"type":"string"}`) + `]}`,
			want: []specdiff.Change{
				{Operation: op, Location: "response", Pointer: "/data/a~1b", Change: "type_changed", Severity: "breaking", Old: "string", New: "integer"},
				{Operation: op, Location: "response", Pointer: "/data/t~0", Change: "added", Severity: "info", New: "string"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldSpec := mustLoad(t, doc(tt.oldReq, tt.oldData, tt.oldExtra...))
			newSpec := mustLoad(t, doc(tt.newReq, tt.newData, tt.newExt...))
			r := specdiff.Diff(oldSpec, newSpec)
			want := tt.want
			if want == nil {
				want = []specdiff.Change{}
			}
			if !reflect.DeepEqual(r.Changes, want) {
				t.Fatalf("changes:\n%s\nwant:\n%s", dump(r.Changes), dump(want))
			}
			breaking := false
			for _, c := range want {
				breaking = breaking || c.Severity == "breaking"
			}
			if r.Breaking() != breaking || r.Summary.Total != len(want) {
				t.Errorf("Breaking()=%v total=%d, want %v and %d", r.Breaking(), r.Summary.Total, breaking, len(want))
			}
		})
	}
}

// Ensure the vendor's bad publishes (and malformed documents) are reported
// as invalid with a reason, never as a diff, whichever side they are on.
func TestCompareInvalid(t *testing.T) {
	good := doc(o(`"a":{"type":"string"}`), o(`"x":{"type":"string"}`))
	tests := map[string]struct {
		raw    []byte
		reason string
	}{
		"empty":         {nil, "empty document"},
		"blank":         {[]byte(" \n\t\n"), "empty document"},
		"html 504":      {[]byte("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body><center><h1>504 Gateway Time-out</h1></center></body></html>\n"), `HTML or XML page, not OpenAPI (title "504 Gateway Time-out")`},
		"json error":    {[]byte(`{"success":false,"errorCode":"403012","errorMessage":"no permission"}`), "looks like an error response (success=false, errorCode=403012)"},
		"truncated":     {good[:len(good)/2], "not JSON"},
		"dangling ref":  {bytes.Replace(good, []byte(`"x":{"type":"string"}`), []byte(`"x":{"$ref":"#/components/schemas/Gone"}`), 1), "unresolved $ref #/components/schemas/Gone (truncated document?)"},
		"no paths":      {[]byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\n"), "no paths"},
		"empty paths":   {[]byte("openapi: 3.0.1\npaths: {}\n"), "no paths"},
		"no operations": {[]byte("openapi: 3.0.1\npaths:\n  /a: {summary: x}\n"), "no operations"},
		"swagger 2":     {[]byte("swagger: '2.0'\npaths: {/a: {get: {}}}\n"), `unsupported "openapi" version ""`},
		"scalar":        {[]byte("42"), "top level is a number"},
		"list":          {[]byte("- a\n- b\n"), "top level is a list"},
		"bad yaml":      {[]byte("openapi: 3.0.1\npaths:\n  /a: [\n"), "not YAML or JSON"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := specdiff.Validate(tt.raw)
			var inv *openapi.InvalidSpecError
			if !errors.As(err, &inv) || !strings.Contains(inv.Reason, tt.reason) {
				t.Fatalf("Validate error = %v, want *openapi.InvalidSpecError containing %q", err, tt.reason)
			}
			for _, side := range []string{"new", "old"} {
				oldRaw, newRaw := good, tt.raw
				if side == "old" {
					oldRaw, newRaw = tt.raw, good
				}
				r := specdiff.Compare(oldRaw, newRaw)
				reason, valid := r.NewReason, r.NewValid
				if side == "old" {
					reason, valid = r.OldReason, r.OldValid
				}
				if valid || r.Valid() || reason != inv.Reason || !strings.Contains(r.Reason, side+" spec: ") {
					t.Errorf("%s side: valid=%v reason=%q report reason=%q", side, valid, reason, r.Reason)
				}
				if len(r.Changes) != 0 || r.Breaking() || r.Summary.Total != 0 {
					t.Errorf("%s side: an invalid spec produced changes: %s", side, dump(r.Changes))
				}
			}
		})
	}
}

// Ensure the text format groups changes by operation and ends with the
// summary, and states invalidity instead of a summary.
func TestWriteText(t *testing.T) {
	oldSpec := mustLoad(t, doc("", o(`"a":{"type":"string"}`), "/global/a.b.S.z", o(``)))
	newSpec := mustLoad(t, doc("", o(`"b":{"type":"string"}`)))
	var buf bytes.Buffer
	if err := specdiff.Diff(oldSpec, newSpec).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := "POST /global/a.b.S.op\n" +
		"  breaking response  removed         /data/a  was string\n" +
		"  info     response  added           /data/b  string\n" +
		"POST /global/a.b.S.z\n" +
		"  breaking operation removed         -\n" +
		"summary: 3 change(s): 2 breaking, 0 warning, 1 info\n"
	if buf.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := specdiff.Compare(doc("", o(``)), []byte("<html>504</html>")).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "new spec invalid: an HTML or XML page, not OpenAPI\nno comparison made\n"; buf.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// Ensure the JSON form has exactly the documented keys, with every summary
// count present even when zero.
func TestReportJSON(t *testing.T) {
	r := specdiff.Compare(doc("", o(`"a":{"type":"string"}`)), doc("", o(`"a":{"type":"integer"}`)))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"old_spec_valid":true,"new_spec_valid":true,"summary":{"total":1,` +
		`"by_severity":{"breaking":1,"info":0,"warning":0},` +
		`"by_change":{"added":0,"became_required":0,"enum_changed":0,"format_changed":0,"removed":0,"type_changed":1}},` +
		`"changes":[{"operation":"POST /global/a.b.S.op","location":"response","pointer":"/data/a",` +
		`"change":"type_changed","severity":"breaking","old":"string","new":"integer"}]}`
	if string(b) != want {
		t.Errorf("json:\n%s\nwant:\n%s", b, want)
	}
}

// Ensure hostile documents are bounded: an exponential $ref fan-out is
// rejected as invalid rather than expanded for ever.
func TestLoadBoundsRefFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.0","paths":{"/a":{"post":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/L0"}}}}}}}},"components":{"schemas":{`)
	const levels = 24
	for i := range levels {
		fmt.Fprintf(&b, `"L%d":{"type":"object","properties":{"a":{"$ref":"#/components/schemas/L%d"},"b":{"$ref":"#/components/schemas/L%d"}}},`, i, i+1, i+1)
	}
	fmt.Fprintf(&b, `"L%d":{"type":"string"}}}}`, levels)
	err := specdiff.Validate([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "schema expands to more than") {
		t.Fatalf("Validate = %v, want a fan-out error", err)
	}
}

func mustLoad(t testing.TB, raw []byte) *specdiff.Spec {
	t.Helper()
	s, err := specdiff.Load(raw)
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, raw)
	}
	return s
}

func dump(cs []specdiff.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %+v\n", c)
	}
	return b.String()
}

// historyDir returns <module root>/../shared/vendor/history, skipping the
// test when the vendor material is absent.
func historyDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("module root not found")
		}
		dir = up
	}
	h := filepath.Join(filepath.Dir(dir), "shared", "vendor", "history")
	if _, err := os.Stat(h); err != nil {
		t.Skipf("vendor history not present at %s", h)
	}
	return h
}

func readHistory(t testing.TB, name string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("the vendor's historical specs (1.8 MB each, seconds to compare) are skipped in -short mode")
	}
	b, err := os.ReadFile(filepath.Join(historyDir(t), "ClientAPI.cn."+name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
