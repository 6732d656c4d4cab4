package jsontok

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// tokens renders every token of body as "kind@depth:raw" (keys as their
// unescaped name) and the pointer after each, or the error.
func tokens(body string, opts Options) (string, error) {
	t := New([]byte(body), opts)
	var out []string
	for {
		tok, err := t.Next()
		if err == io.EOF {
			return strings.Join(out, " "), nil
		}
		if err != nil {
			return strings.Join(out, " "), err
		}
		s := fmt.Sprintf("%s@%d:%s", tok.Kind, tok.Depth, tok.Raw)
		if tok.Kind == Key {
			s = fmt.Sprintf("key@%d:%s", tok.Depth, t.Key())
		}
		if tok.Kind == Number && tok.Integer {
			s += "i"
		}
		if p := t.AppendPointer(nil); len(p) > 0 {
			s += "(" + string(p) + ")"
		}
		out = append(out, s)
	}
}

// Ensure the token stream carries kind, depth, raw bytes, unescaped keys and
// the pointer of each token.
func TestTokens(t *testing.T) {
	tests := []struct{ body, want string }{
		{`1`, `number@0:1i`},
		{` "x" `, `string@0:"x"`},
		{`{}`, `object@0:{ end of object@0:}`},
		{`[]`, `array@0:[ end of array@0:]`},
		{`{"a":[1,2.5,{"b~/":null}],"\u0063":true}`,
			`object@0:{ key@1:a(/a) array@1:[(/a) number@2:1i(/a/0) number@2:2.5(/a/1) object@2:{(/a/2) ` +
				`key@3:b~/(/a/2/b~0~1) null@3:null(/a/2/b~0~1) end of object@2:}(/a/2) end of array@1:](/a) ` +
				`key@1:c(/c) boolean@1:true(/c) end of object@0:}`},
		{"[ -0 , 1e5 , \"\\n\" ]", `array@0:[ number@1:-0i(/0) number@1:1e5(/1) string@1:"\n"(/2) end of array@0:]`},
	}
	for _, tt := range tests {
		got, err := tokens(tt.body, Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.body, got, tt.want)
		}
	}
}

// Ensure each refusal names the problem, its offset and, where it helps, the
// pointer, in one short line.
func TestErrors(t *testing.T) {
	wide := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"k%d":1,`, i)
		}
		return b.String() + `"k7":2`
	}
	tests := []struct {
		name, body string
		code       Code
		msg        string
	}{
		{"empty", "", UnexpectedEOF, "invalid JSON: unexpected end of input at offset 0 (truncated body?)"},
		{"html", "<html>", ValueExpected, `not JSON: body starts with '<'`},
		{"trailing comma", `{"a":1,}`, KeyExpected, `invalid JSON at offset 7: unexpected '}' where an object key was expected`},
		{"trailing comma in array", `[1,]`, ValueExpected, `invalid JSON at offset 3: unexpected ']' where a value was expected`},
		{"trailing data", `{} x`, TrailingData, `invalid JSON at offset 3: data after the top-level value`},
		{"missing colon", `{"a" 1}`, ColonExpected, `invalid JSON at offset 5: unexpected '1' where ':' was expected`},
		{"missing comma", `[1 2]`, AfterValue, `invalid JSON at offset 3: unexpected '2' after a value`},
		{"control char", "[\"a\tb\"]", ControlChar, `invalid JSON at offset 3: unexpected '\t' (control character) in a string`},
		{"bad escape", `["\x"]`, BadEscape, `invalid JSON at offset 3: unexpected 'x' in a string escape`},
		{"bad unicode escape", `["\u12G4"]`, BadUnicodeEscape, `invalid JSON at offset 4: unexpected '1' in a \u escape`},
		{"bare minus", `[-]`, BadNumber, `invalid JSON at offset 2: unexpected ']' in a number`},
		{"bad fraction", `[1.]`, BadFraction, `invalid JSON at offset 3: unexpected ']' in a number`},
		{"bad exponent", `[1e]`, BadExponent, `invalid JSON at offset 3: unexpected ']' in a number`},
		{"bad literal", `[tru]`, BadLiteral, `invalid JSON at offset 4: unexpected ']' in a literal`},
		{"mismatched", `{"a":1]`, AfterValue, `invalid JSON at offset 6: unexpected ']' after a value`},
		{"truncated", `[1,`, UnexpectedEOF, `invalid JSON: unexpected end of input at offset 3 (truncated body?)`},
		{"truncated literal", `[tr`, UnexpectedEOF, `invalid JSON: unexpected end of input at offset 3 (truncated body?)`},
		{"unterminated", `"abc`, UnexpectedEOF, `invalid JSON: unexpected end of input at offset 4 (truncated body?)`},
		{"utf8", "[\"\xc3\x28\"]", InvalidUTF8, "invalid UTF-8 at offset 2"},
		{"dup", `{"a":1,"a":2}`, DuplicateKey, `duplicate key "a" at top level`},
		{"dup escaped", `{"d":{"a":1,"\u0061":2}}`, DuplicateKey, `duplicate key "a" at /d`},
		{"dup wide", `{"d":{` + wide(300) + `}}`, DuplicateKey, `duplicate key "k7" at /d`},
		{"int range", `{"d":[1,-9223372036854775809]}`, IntRange, `integer -9223372036854775809 beyond int64 at /d/1`},
		{"long int", `{"a/b~":` + strings.Repeat("9", 400) + `}`, IntRange, `integer 99999999999999999999999999999999… beyond int64 at /a~1b~0`},
		{"float range", `{"d":1e400}`, FloatRange, `number 1e400 beyond float64 at /d`},
		{"deep", strings.Repeat("[", 200), TooDeep, `JSON nesting exceeds 128 levels at offset 128`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens(tt.body, Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Code != tt.code || e.Error() != tt.msg {
				t.Errorf("code %d %q\nwant %d %q", e.Code, e.Error(), tt.code, tt.msg)
			}
			if (e.Code == UnexpectedEOF) != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("errors.Is(io.ErrUnexpectedEOF) wrong for code %d", e.Code)
			}
		})
	}
}

// Ensure a long key path is clipped so the message stays one short line.
func TestErrorPointerClipped(t *testing.T) {
	long := strings.Repeat("k", 500)
	body := strings.Repeat(`{"`+long+`":`, 10) + `{"a":1,"a":1}` + strings.Repeat("}", 10)
	_, err := tokens(body, Options{})
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("err = %v (%d bytes)", err, len(err.Error()))
	}
}

// Ensure the duplicate-key check compares keys, not their tags: keys that
// share a length and the bytes a tag reads are distinct, and a duplicate
// is found among them, escaped or not.
func TestDuplicateKeyTags(t *testing.T) {
	same := `{"aXbYc":1,"aYbXc":2,"aZbZc":3,"":4}` // one tag for the first three
	if _, err := tokens(same, Options{}); err != nil {
		t.Errorf("%s: %v", same, err)
	}
	for _, dup := range []string{`{"aXbYc":1,"aYbXc":2,"aXbYc":3}`, `{"aXbYc":1,"aYbXc":2,"a\u0058bYc":3}`, `{"":1,"":2}`} {
		if _, err := tokens(dup, Options{}); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("%s: %v, want a duplicate key", dup, err)
		}
	}
}

// Ensure each Option relaxes exactly its rule, and Lenient accepts what
// encoding/json's Valid accepts.
func TestOptions(t *testing.T) {
	tests := []struct {
		body string
		opts Options
	}{
		{`{"a":1,"a":2}`, Options{AllowDuplicateKeys: true}},
		{"[\"\xff\"]", Options{AllowInvalidUTF8: true}},
		{`[1e400,99999999999999999999]`, Options{AllowAnyNumber: true}},
		{strings.Repeat("[", 200) + strings.Repeat("]", 200), Options{MaxDepth: 200}},
	}
	for _, tt := range tests {
		if _, err := tokens(tt.body, Options{}); err == nil {
			t.Errorf("%q accepted by the strict default", tt.body)
		}
		if _, err := tokens(tt.body, tt.opts); err != nil {
			t.Errorf("%q with %+v: %v", tt.body, tt.opts, err)
		}
	}
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, n := range []int{10000, 10001} {
		_, err := tokens(nest(n), Lenient)
		if (err == nil) != json.Valid([]byte(nest(n))) {
			t.Errorf("depth %d: Lenient says %v, json.Valid says %v", n, err, json.Valid([]byte(nest(n))))
		}
	}
}

// Ensure Skip consumes exactly one value and checks it.
func TestSkip(t *testing.T) {
	body := []byte(`{"a":{"b":[1,{"c":2}]},"d":3}`)
	tk := New(body, Options{})
	tk.Next()
	tk.Next() // key a
	tok, _ := tk.Next()
	end, err := tk.Skip(tok)
	if err != nil || string(body[tok.Start:end]) != `{"b":[1,{"c":2}]}` {
		t.Fatalf("Skip = %q, %v", body[tok.Start:end], err)
	}
	if k, _ := tk.Next(); k.Kind != Key || string(tk.Key()) != "d" {
		t.Fatalf("after Skip: %v %s", k.Kind, tk.Key())
	}
	bad := New([]byte(`[{"a":1,"a":2}]`), Options{})
	tok, _ = bad.Next()
	if _, err := bad.Skip(tok); err == nil {
		t.Error("Skip accepted a duplicate key inside")
	}
}

// Ensure Unquote and AppendUnquoted decode every string exactly as
// encoding/json does, and AppendString's output decodes back to the input
// (invalid UTF-8 aside, which becomes U+FFFD as in encoding/json).
func TestStrings(t *testing.T) {
	for _, lit := range []string{`"plain"`, `"\u00e9\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`,
		`"\ude00\ud83d"`, `"\ud83d\u0041"`, "\"caf\xc3\xa9\"", "\"bad \xff\xfe byte\"", `"\u2028"`, `""`} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if got := AppendUnquoted(nil, []byte(lit)); string(got) != want {
			t.Errorf("AppendUnquoted(%s) = %q, want %q", lit, got, want)
		}
		tk := New([]byte(lit), Lenient)
		tok, err := tk.Next()
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if got := tk.Unquote(tok); string(got) != want {
			t.Errorf("Unquote(%s) = %q, want %q", lit, got, want)
		}
		enc := AppendString(nil, want)
		var back string
		if err := json.Unmarshal(enc, &back); err != nil || back != want {
			t.Errorf("AppendString(%q) = %s, decodes to %q, %v", want, enc, back, err)
		}
	}
	if got := string(AppendString(nil, "<a&b>\u2029\x01\xff")); got != `"<a&b>\u2029\u0001\ufffd"` {
		t.Errorf("AppendString = %s", got)
	}
}

// Ensure KindOf and TypeName name values without echoing them.
func TestTypeName(t *testing.T) {
	for raw, want := range map[string]string{"": "absent", " ": "absent", `{}`: "object", `[1]`: "array",
		`"x"`: "string", `12`: "integer", `-1.5`: "number", `1e3`: "number", `true`: "boolean", `null`: "null"} {
		if got := TypeName([]byte(raw)); got != want {
			t.Errorf("TypeName(%q) = %q, want %q", raw, got, want)
		}
	}
	for k, want := range map[Kind]string{BeginObject: "an object", BeginArray: "an array", String: "a string",
		Number: "a number", Bool: "a boolean", Null: "null"} {
		if got := k.Article(); got != want {
			t.Errorf("%v.Article() = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[reflect.Kind]string{reflect.Int64: "an integer", reflect.Uint8: "an integer",
		reflect.Float64: "a number", reflect.String: "a string", reflect.Bool: "a boolean", reflect.Slice: "an array",
		reflect.Map: "an object", reflect.Struct: "an object", reflect.Func: "func"} {
		if got := WantedGoKind(k); got != want {
			t.Errorf("WantedGoKind(%v) = %q, want %q", k, got, want)
		}
	}
	if KindOf([]byte("x")) != Invalid {
		t.Error("KindOf(x) is not Invalid")
	}
}

// Ensure tokenizing a reused Tokenizer allocates nothing per token, escaped
// keys and wide objects included.
func TestNoAllocations(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"list":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"n\u0061me":"x\ty","ok":true,"v":1.5e3,"m":{"a":null}}`, i)
	}
	b.WriteString(`]}`)
	body := b.Bytes()
	var tk Tokenizer
	run := func() {
		tk.Reset(body, Options{})
		for {
			tok, err := tk.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Kind == String {
				tk.Unquote(tok)
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Errorf("%v allocations per body, want 0", n)
	}
}
