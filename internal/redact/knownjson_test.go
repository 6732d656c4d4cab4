package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// A learned value that equals a number in a document we wrote must not leave
// the document unparseable or retyped (ginkgo.json once failed to parse
// because a postal code learned as "100000" equalled a count): numbers are
// ours and stay; strings and keys are scrubbed.
func TestKnownJSONKeepsDocumentsValid(t *testing.T) {
	r := New(Config{})
	r.Learn("100000", "s3cr3t-token", "13970000000")
	cases := []struct{ in, want string }{
		{`{"TotalSpecs":100000,"b":1}`, `{"TotalSpecs":100000,"b":1}`},
		{`{"zip":"100000","n":100000}`, `{"zip":"[redacted]","n":100000}`},
		{`{"msg":"token s3cr3t-token here"}`, `{"msg":"token [redacted] here"}`},
		{`{"s3cr3t-token":1}`, `{"[redacted]":1}`},
		{`["s3cr3t-token"]`, `["[redacted]"]`},
		{`[13970000000, 100000 ,"x", "13970000000"]`, `[13970000000, 100000 ,"x", "[redacted]"]`},
		{`["s3cr3t-token-x"]`, `["[redacted]-x"]`},
		{`{"a":"nothing"}`, `{"a":"nothing"}`},
	}
	for _, c := range cases {
		got := string(r.KnownJSON([]byte(c.in)))
		if got != c.want {
			t.Errorf("KnownJSON(%s) = %s, want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("KnownJSON(%s) = %s: not JSON", c.in, got)
		}
	}
	// Not JSON: the plain replacement, the value still hidden.
	if got := string(r.KnownJSON([]byte(`not json s3cr3t-token`))); strings.Contains(got, "s3cr3t") {
		t.Errorf("non-JSON document kept the secret: %s", got)
	}
}

// FuzzKnownJSON: whatever is learned, a valid document stays valid, keeps its
// numbers, and keeps no learned value that cannot be part of a number.
func FuzzKnownJSON(f *testing.F) {
	f.Add(`{"a":100000,"b":"x100000y"}`, "100000")
	f.Add(`[1,2,"abcd",{"abcd":true}]`, "abcd")
	f.Add(`{"k":"v","t":true}`, `"v","`)
	f.Fuzz(func(t *testing.T, doc, secret string) {
		if !json.Valid([]byte(doc)) || len(secret) < 8 || strings.ContainsAny(secret, `[]{}\"`) ||
			!strings.ContainsAny(strings.ToLower(secret), "abcdfghijklmnopqrstuvwxyz") {
			return
		}
		r := New(Config{})
		r.Learn(secret)
		got := r.KnownJSON([]byte(doc))
		if !json.Valid(got) {
			t.Fatalf("KnownJSON(%q) learned %q = %q: not JSON", doc, secret, got)
		}
		if strings.Contains(string(got), secret) {
			t.Fatalf("KnownJSON(%q) = %q still holds %q", doc, got, secret)
		}
	})
}
