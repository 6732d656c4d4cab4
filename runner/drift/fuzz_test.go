package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// Ensure Infer never panics, and that whatever it accepts is a valid shape
// that round-trips through the baseline file form and never drifts from
// itself. Seeds live in testdata/fuzz/FuzzInfer.
func FuzzInfer(f *testing.F) {
	f.Add([]byte(`{"code":"0","ok":true,"fail":false,"data":{"list":[{"status":1,"price":1.5}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Infer(body)
		// Infer's scanner must agree with encoding/json on what is JSON.
		valid := json.Valid(body)
		if err == nil && !valid {
			t.Fatalf("Infer accepted invalid JSON %q", body)
		}
		if err != nil {
			isObject := len(bytes.TrimLeft(body, " \t\r\n")) > 0 && bytes.TrimLeft(body, " \t\r\n")[0] == '{'
			if valid && isObject && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrTooManyFields) {
				t.Fatalf("Infer rejected a valid JSON object %q: %v", body, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("inferred shape is invalid: %v\nbody: %q", err, body)
		}
		file := Format(s)
		back, err := Parse(file)
		if err != nil {
			t.Fatalf("formatted shape does not parse: %v\n%s", err, file)
		}
		if again := Format(back); !bytes.Equal(again, file) {
			t.Fatalf("round trip changed the file:\n%s\nvs\n%s", file, again)
		}
		if ds := Diff("op", s, s); len(ds) != 0 {
			t.Fatalf("a shape drifts from itself: %+v", ds)
		}
		s.Merge(back)
		if err := s.Validate(); err != nil {
			t.Fatalf("merged shape is invalid: %v", err)
		}
	})
}

// Ensure parsing a baseline never panics, and that whatever it accepts
// formats to a file that parses back to the same bytes. Seeds live in
// testdata/fuzz/FuzzReadBaseline.
func FuzzReadBaseline(f *testing.F) {
	f.Add([]byte("{\n  \"fields\": {\n    \"/a\": {\"seen\": 1, \"types\": [\"integer\"]}\n  },\n  \"samples\": 1,\n  \"version\": 1\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		file := Format(s)
		back, err := Parse(file)
		if err != nil {
			t.Fatalf("accepted baseline re-formats into an invalid one: %v\n%s", err, file)
		}
		if again := Format(back); !bytes.Equal(again, file) {
			t.Fatalf("format is not stable:\n%s\nvs\n%s", file, again)
		}
		if ds := Diff("op", s, s); len(ds) != 0 {
			t.Fatalf("a baseline drifts from itself: %+v", ds)
		}
	})
}
