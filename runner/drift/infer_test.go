package drift

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Ensure Infer records types, presence counts and enum values per pointer.
func TestInferFields(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]Field
	}{
		{
			name: "scalar types, integer vs number",
			body: `{"s":"x","i":1,"neg":-7,"big":123456789012345678901234567890,"f":1.5,"e":1e3,"b":true,"n":null}`,
			want: map[string]Field{
				"/s": {Types: TypeSet(String), Seen: 1}, "/i": {Types: TypeSet(Integer), Seen: 1},
				"/neg": {Types: TypeSet(Integer), Seen: 1}, "/big": {Types: TypeSet(Integer), Seen: 1},
				"/f": {Types: TypeSet(Number), Seen: 1}, "/e": {Types: TypeSet(Number), Seen: 1},
				"/b": {Types: TypeSet(Boolean), Seen: 1}, "/n": {Types: TypeSet(Null), Seen: 1},
			},
		},
		{
			name: "array items share a wildcard and count per item",
			body: `{"data":{"list":[{"a":1},{"a":2,"b":"x"},{"a":null}]}}`,
			want: map[string]Field{
				"/data":          {Types: TypeSet(Object), Seen: 1, Objects: 1},
				"/data/list":     {Types: TypeSet(Array), Seen: 1},
				"/data/list/*":   {Types: TypeSet(Object), Seen: 3, Objects: 3},
				"/data/list/*/a": {Types: TypeSet(Integer) | TypeSet(Null), Seen: 3},
				"/data/list/*/b": {Types: TypeSet(String), Seen: 1},
			},
		},
		{
			name: "nested arrays and scalar items",
			body: `{"m":[[1,"a"],[]],"e":[]}`,
			want: map[string]Field{
				"/m":     {Types: TypeSet(Array), Seen: 1},
				"/m/*":   {Types: TypeSet(Array), Seen: 2},
				"/m/*/*": {Types: TypeSet(Integer) | TypeSet(String), Seen: 2},
				"/e":     {Types: TypeSet(Array), Seen: 1},
			},
		},
		{
			name: "keys are escaped as RFC 6901 reference tokens",
			body: `{"a/b":1,"c~d":2,"":3}`,
			want: map[string]Field{
				"/a~1b": {Types: TypeSet(Integer), Seen: 1}, "/c~0d": {Types: TypeSet(Integer), Seen: 1},
				"/": {Types: TypeSet(Integer), Seen: 1},
			},
		},
		{
			name: "items whose members change order, go missing, repeat or are named like items still count per pointer",
			body: `{"l":[{"a":1,"b":"x"},{"b":2,"a":"y"},{"a":null},{"c":[1],"a":1,"a":"dup"},{"*":true}],"m":[[1],[2.5]]}`,
			want: map[string]Field{
				"/l": {Types: TypeSet(Array), Seen: 1}, "/l/*": {Types: TypeSet(Object), Seen: 5, Objects: 5},
				"/l/*/a": {Types: TypeSet(Integer) | TypeSet(String) | TypeSet(Null), Seen: 4}, "/l/*/b": {Types: TypeSet(String) | TypeSet(Integer), Seen: 2},
				"/l/*/c": {Types: TypeSet(Array), Seen: 1}, "/l/*/c/*": {Types: TypeSet(Integer), Seen: 1},
				"/l/*/*": {Types: TypeSet(Boolean), Seen: 1},
				"/m":     {Types: TypeSet(Array), Seen: 1}, "/m/*": {Types: TypeSet(Array), Seen: 2},
				"/m/*/*": {Types: TypeSet(Integer) | TypeSet(Number), Seen: 2},
			},
		},
		{
			name: "escaped and non-ASCII keys are decoded as encoding/json decodes them",
			body: "{\"a\\u002fb\":1,\"\\u00e9t\u00e9\":2,\"\xff\":3}",
			want: map[string]Field{
				"/a~1b": {Types: TypeSet(Integer), Seen: 1}, "/été": {Types: TypeSet(Integer), Seen: 1},
				"/\ufffd": {Types: TypeSet(Integer), Seen: 1},
			},
		},
		{
			name: "a duplicate key counts once and its later value is ignored",
			body: `{"a":1,"a":{"x":[1]},"b":2}`,
			want: map[string]Field{"/a": {Types: TypeSet(Integer), Seen: 1}, "/b": {Types: TypeSet(Integer), Seen: 1}},
		},
		{
			name: "enum-like names record short codes, others record nothing",
			body: `{"code":"0","bizCode":"","status":1,"kycStatus":-1,"tradeType":"SPOT","order_status":"FILLED","type":2,"name":"Alice","amount":5}`,
			want: map[string]Field{
				"/code":         {Types: TypeSet(String), Seen: 1, Values: []string{"0"}},
				"/bizCode":      {Types: TypeSet(String), Seen: 1, Values: []string{""}},
				"/status":       {Types: TypeSet(Integer), Seen: 1, Values: []string{"1"}},
				"/kycStatus":    {Types: TypeSet(Integer), Seen: 1, Values: []string{"-1"}},
				"/tradeType":    {Types: TypeSet(String), Seen: 1, Values: []string{"SPOT"}},
				"/order_status": {Types: TypeSet(String), Seen: 1, Values: []string{"FILLED"}},
				"/type":         {Types: TypeSet(Integer), Seen: 1, Values: []string{"2"}},
				"/name":         {Types: TypeSet(String), Seen: 1},
				"/amount":       {Types: TypeSet(Integer), Seen: 1},
			},
		},
		{
			name: "array items inherit the array's name for enum detection",
			body: `{"status":[3,1,3,2]}`,
			want: map[string]Field{
				"/status":   {Types: TypeSet(Array), Seen: 1},
				"/status/*": {Types: TypeSet(Integer), Seen: 4, Values: []string{"1", "2", "3"}},
			},
		},
		{
			name: "values that are not short codes drop the field's values (PII safety)",
			body: `{"list":[{"type":"a@b.example"},{"type":"OK"}],"status":"0123456789012345678901234567890123","currency":"USD T"}`,
			want: map[string]Field{
				"/list":        {Types: TypeSet(Array), Seen: 1},
				"/list/*":      {Types: TypeSet(Object), Seen: 2, Objects: 2},
				"/list/*/type": {Types: TypeSet(String), Seen: 2, ValuesDropped: true},
				"/status":      {Types: TypeSet(String), Seen: 1, ValuesDropped: true},
				"/currency":    {Types: TypeSet(String), Seen: 1, ValuesDropped: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Infer([]byte(tt.body))
			if err != nil {
				t.Fatalf("Infer: %v", err)
			}
			if s.Samples != 1 {
				t.Errorf("Samples = %d, want 1", s.Samples)
			}
			if !reflect.DeepEqual(s.Fields, tt.want) {
				t.Errorf("Fields:\n got %+v\nwant %+v", s.Fields, tt.want)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("inferred shape does not validate: %v", err)
			}
		})
	}
}

// Ensure an enum-like field with more than MaxEnumValues distinct values stops
// being enum-like.
func TestInferEnumCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"list":[`)
	for i := 0; i <= MaxEnumValues; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"status":` + strconv.Itoa(i) + `}`)
	}
	b.WriteString(`]}`)
	s := shapeOf(t, b.String())
	f := s.Fields["/list/*/status"]
	if !f.ValuesDropped || f.Values != nil {
		t.Fatalf("after %d values: %+v, want values dropped", MaxEnumValues+1, f)
	}
	// Exactly the cap is still enum-like.
	s = shapeOf(t, `{"list":[{"status":1},{"status":2}]}`)
	if got := s.Fields["/list/*/status"].Values; !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Fatalf("values = %v", got)
	}
}

// Ensure the envelope's success codes are recorded only for ok=true bodies.
func TestInferOKCodes(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`{"code":"0","ok":true}`, []string{"0"}},
		{`{"ok":true,"code":"0"}`, []string{"0"}},
		{`{"code":"F999999","ok":false}`, nil},
		{`{"code":0,"ok":true}`, []string{"0"}},
		{`{"code":"0"}`, nil},
		{`{"data":{"code":"0","ok":true}}`, nil},
	}
	for _, tt := range tests {
		if got := shapeOf(t, tt.body).OKCodes; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: OKCodes = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// Ensure bad bodies are errors, never panics, and deep nesting is refused
// without recursion.
func TestInferErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	deepArr := `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}"
	tests := []struct {
		name, body string
		is         error
		msg        string
	}{
		{"empty", ``, nil, "unexpected EOF"},
		{"not JSON", `<html>`, nil, "invalid character '<' looking for beginning of value at offset 0"},
		{"array body", `[1]`, ErrNotObject, ""},
		{"string body", `"x"`, ErrNotObject, ""},
		{"truncated", `{"a":[1,2`, nil, "unexpected EOF"},
		{"trailing data", `{"a":1} {"b":2}`, nil, "unexpected data after the JSON object at offset 8"},
		{"trailing garbage", `{"a":1}x`, nil, "unexpected data after the JSON object at offset 7"},
		{"trailing comma in array", `{"a":[1,]}`, nil, "invalid character ']' looking for beginning of value at offset 8"},
		{"trailing comma in object", `{"a":1,}`, nil, "invalid character '}' looking for beginning of object key string"},
		{"missing colon", `{"a" 1}`, nil, "invalid character '1' after object key"},
		{"missing comma", `{"a":1 "b":2}`, nil, "invalid character '\"' after value"},
		{"bad number", `{"a":01}`, nil, "invalid character '1' after value"},
		{"bad fraction", `{"a":1.}`, nil, "after decimal point"},
		{"bad exponent", `{"a":1e}`, nil, "in exponent"},
		{"bad literal", `{"a":nul}`, nil, "invalid character 'n' looking for beginning of value"},
		{"truncated literal", `{"a":tr`, nil, "unexpected EOF"},
		{"control character in string", "{\"a\":\"x\ny\"}", nil, "in string literal"},
		{"bad escape", `{"a":"\q"}`, nil, "invalid string at offset 5"},
		{"unterminated string", `{"a":"x`, nil, "unexpected EOF"},
		{"10,000 deep objects", deep, ErrTooDeep, ""},
		{"10,000 deep arrays", deepArr, ErrTooDeep, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Infer([]byte(tt.body))
			if err == nil {
				t.Fatal("Infer succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

// Ensure the Inferrer's limits and extra enum keys apply.
func TestInferrerOptions(t *testing.T) {
	in := Inferrer{EnumKeys: []string{"Side"}, MaxDepth: 3, MaxFields: 4}
	s, err := in.Infer([]byte(`{"side":"BUY","a":{"b":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Fields["/side"].Values; !reflect.DeepEqual(got, []string{"BUY"}) {
		t.Errorf("configured enum key: values %v", got)
	}
	if _, err := in.Infer([]byte(`{"a":{"b":{"c":{}}}}`)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth 4 with MaxDepth 3: %v", err)
	}
	if _, err := in.Infer([]byte(`{"a":1,"b":2,"c":3,"d":4,"e":5}`)); !errors.Is(err, ErrTooManyFields) {
		t.Errorf("5 fields with MaxFields 4: %v", err)
	}
}
