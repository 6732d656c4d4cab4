package simulator

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// Ensure generated scalars take the vendor's value style for their field
// name, and that the schema's type and format always win over the style.
func TestGenerateStyles(t *testing.T) {
	schema := map[string]any{"type": "object", "properties": map[string]any{
		"createTime":    map[string]any{"type": []any{"integer", "null"}, "format": "int64"},
		"shortTime":     map[string]any{"type": "integer", "format": "int32"},
		"openPrice":     map[string]any{"type": []any{"string", "null"}},
		"balance":       map[string]any{"type": "string"},
		"balanceNumber": map[string]any{"type": "number"},
		"currency":      map[string]any{"type": "string"},
		"symbolName":    map[string]any{"type": "string"},
		"status":        map[string]any{"type": "integer"},
		"statusText":    map[string]any{"type": "string", "enum": []any{"DONE", "OPEN"}},
		"email":         map[string]any{"type": "string"},
		"percent":       map[string]any{"type": "number"},
		"remark":        map[string]any{"type": "string"},
		"unknown":       map[string]any{"type": []any{"null"}},
		"records": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
			"updateTime": map[string]any{"type": "integer"},
		}}},
	}}
	raw, err := json.Marshal(generate(schema, "", seedOf("t"), 0))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	tests := []struct {
		field string
		want  *regexp.Regexp
	}{
		{"createTime", regexp.MustCompile(`^17\d{11}$`)},
		{"shortTime", regexp.MustCompile(`^\d{1,9}$`)},
		{"openPrice", regexp.MustCompile(`^\d+\.\d{2,4}$`)},
		{"balance", regexp.MustCompile(`^\d+\.\d{2,4}$`)},
		{"balanceNumber", regexp.MustCompile(`^\d+(\.\d+)?$`)},
		{"currency", regexp.MustCompile(`^(USDT|USD|BTC|EUR)$`)},
		{"symbolName", regexp.MustCompile(`^[A-Z]+/[A-Z]+$`)},
		{"status", regexp.MustCompile(`^1$`)},
		{"statusText", regexp.MustCompile(`^DONE$`)},
		{"email", regexp.MustCompile(`^user\d+@example\.com$`)},
		{"percent", regexp.MustCompile(`^0(\.\d+)?$`)},
		{"remark", regexp.MustCompile(`^str-\d+$`)},
		{"unknown", regexp.MustCompile(`^<nil>$`)},
	}
	for _, tt := range tests {
		v := got[tt.field]
		s, isString := v.(string)
		if !isString {
			s = fmtAny(v)
		}
		if !tt.want.MatchString(s) {
			t.Errorf("%s = %#v, want %s", tt.field, v, tt.want)
		}
		// The schema type wins: a string field is a JSON string, an integer one a number.
		typ, _ := schema["properties"].(map[string]any)[tt.field].(map[string]any)["type"]
		if (typ == "string" || (isTypeList(typ) && listHas(typ, "string"))) != isString {
			t.Errorf("%s: JSON type of %#v does not follow the schema type %v", tt.field, v, typ)
		}
	}
	recs, _ := got["records"].([]any)
	if len(recs) != 2 {
		t.Fatalf("records = %v, want two items", got["records"])
	}
	if ut := fmtAny(recs[0].(map[string]any)["updateTime"]); !regexp.MustCompile(`^17\d{11}$`).MatchString(ut) {
		t.Errorf("records[0].updateTime = %s, want epoch milliseconds", ut)
	}
}

// Ensure generation is a pure function of the schema and the seed: the same
// inputs give the same bytes, and different operations differ.
func TestGenerateDeterministic(t *testing.T) {
	set := loadSchemas(t)
	checked := 0
	for _, cat := range set.Operations("client") {
		raw, ok := set.DataSchema("client", cat.BizType)
		if !ok {
			continue
		}
		var schema map[string]any
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatalf("%s: %v", cat.BizType, err)
		}
		a, _ := json.Marshal(generate(schema, "", seedOf(cat.BizType), 0))
		b, _ := json.Marshal(generate(schema, "", seedOf(cat.BizType), 0))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two generations differ:\n%s\n%s", cat.BizType, a, b)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no data schema in the catalog")
	}
	x := map[string]any{"type": "object", "properties": map[string]any{"amount": map[string]any{"type": "string"}}}
	a, _ := json.Marshal(generate(x, "", seedOf("a.b.C.one"), 0))
	b, _ := json.Marshal(generate(x, "", seedOf("a.b.C.two"), 0))
	if bytes.Equal(a, b) {
		t.Errorf("two operations got the same generated data %s", a)
	}
}

func fmtAny(v any) string {
	if v == nil {
		return "<nil>"
	}
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func isTypeList(t any) bool { _, ok := t.([]any); return ok }

func listHas(t any, name string) bool {
	for _, x := range t.([]any) {
		if x == name {
			return true
		}
	}
	return false
}
