package jsontok

import (
	"bytes"
	"encoding/json"
	"testing"
)

// indentCases are JSON texts of every shape Indent distinguishes, and some
// that are not JSON.
var indentCases = []string{
	`{}`, `[]`, `0`, `"s"`, `null`, ` {"a" : [ 1 , {} , [ ] , {"b":null} ] } `,
	`{"a":{"b":{"c":[true,false,-1.5e3,"x\"y\\z\u00e9"]}},"":"","d":[[[]]]}`,
	"\t[1,\n2]\r\n", `{"dup":1,"dup":2}`, "\"\xff\"", `123456789012345678901234567890`,
	`{"a":1,}`, `[1 2]`, `{"a"}`, `{`, ``, `[1]x`, `"\x"`, `tru`,
}

// indentAgrees fails t unless AppendIndent answers what json.Indent does.
func indentAgrees(t *testing.T, src []byte, prefix, indent string) {
	t.Helper()
	var want bytes.Buffer
	want.WriteString("keep")
	wantErr := json.Indent(&want, src, prefix, indent)
	got, gotErr := AppendIndent([]byte("keep"), src, prefix, indent)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, json.Indent's %v", src, gotErr, wantErr)
	}
	if wantErr != nil {
		want.Truncate(4)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%q:\n%q\njson.Indent:\n%q", src, got, want.Bytes())
	}
}

// Ensure AppendIndent writes exactly what json.Indent writes, and fails
// where it fails, leaving dst as it was.
func TestAppendIndentMatchesEncodingJSON(t *testing.T) {
	for _, c := range indentCases {
		for _, pi := range [][2]string{{"", "  "}, {">", "\t"}, {"", ""}} {
			indentAgrees(t, []byte(c), pi[0], pi[1])
		}
	}
}

// Ensure MarshalIndent is json.MarshalIndent, byte for byte.
func TestMarshalIndentMatchesEncodingJSON(t *testing.T) {
	v := map[string]any{"a": []any{1, "<html>&", map[string]any{}, []int{}, nil, 2.5}, "raw": json.RawMessage(` { "x" : [ 1 ] } `)}
	got, err := MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got\n%s\njson.MarshalIndent:\n%s", got, want)
	}
	if _, err := MarshalIndent(func() {}, "", "  "); err == nil {
		t.Fatal("a func marshalled")
	}
}

// Ensure AppendIndent agrees with json.Indent on any input. Seeds live in
// testdata/fuzz/FuzzAppendIndent.
func FuzzAppendIndent(f *testing.F) {
	for _, c := range indentCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		indentAgrees(t, src, "", "  ")
	})
}
