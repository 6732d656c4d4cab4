package redact

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Ensure values learned after the automaton was built (the recent tier)
// redact exactly as values learned before it: overlapping values across the
// tiers merge into one mask, short values are judged together, and the
// settled tier absorbs the recent one once it outgrows it.
func TestLearnedTiers(t *testing.T) {
	r := New(Config{})
	r.Learn("abcdef-secret")
	if got := r.Text("x abcdef-secret y"); got != "x [redacted] y" {
		t.Fatalf("settled value: %q", got)
	}
	r.Learn("secret-ghijkl", "Avery")
	if a := r.current(); a.settled == nil || a.recent == nil {
		t.Fatalf("after a second Learn, want a settled and a recent tier, got %+v", a)
	}
	for _, tc := range []struct{ in, want string }{
		{"abcdef-secret-ghijkl", "[redacted]"}, // overlap across the tiers: one span, no fragment
		{"secret-ghijkl and abcdef-secret", "[redacted] and [redacted]"},
		{"Avery wrote", "[redacted] wrote"},    // short recent value, whole word
		{"Averyanov wrote", "Averyanov wrote"}, // not inside a longer word
		{"AVERY", "[redacted]"},                // case folded
	} {
		if got := r.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := string(r.JSON([]byte(`{"note":"abcdef-secret-ghijkl","n":"Avery"}`))); strings.Contains(got, "secret") || strings.Contains(got, "Avery") {
		t.Errorf("JSON kept a learned value: %s", got)
	}
	for i := range minRecent + 1 {
		r.Learn(fmt.Sprintf("learned-value-%04d", i))
	}
	if a := r.current(); a.recent != nil {
		t.Errorf("after %d more values the settled tier should have been rebuilt, recent tier still has one", minRecent+1)
	}
	if got := r.Text("learned-value-0007 abcdef-secret-ghijkl"); got != "[redacted] [redacted]" {
		t.Errorf("after the rebuild: %q", got)
	}
}

// FuzzTiersAgree holds a redactor that learned values one at a time (so most
// sit in the recent tier) to one that learned them all at once (one
// automaton): Text, Known and JSON must agree on every input.
func FuzzTiersAgree(f *testing.F) {
	f.Add("abcdef-secret", "secret-ghijkl", "Avery", "x abcdef-secret-ghijkl Avery y")
	f.Add("13970000000", "1397", "token-abcdefgh", `{"phone":"13970000000","note":"token-abcdefgh1397"}`)
	f.Fuzz(func(t *testing.T, v1, v2, v3, text string) {
		once := New(Config{})
		once.Learn(v1, v2, v3)
		step := New(Config{})
		step.Learn(v1)
		step.current()
		step.Learn(v2)
		step.current()
		step.Learn(v3)
		if a, b := once.Known(text), step.Known(text); a != b {
			t.Fatalf("Known(%q): one automaton %q, two tiers %q", text, a, b)
		}
		if a, b := once.Text(text), step.Text(text); a != b {
			t.Fatalf("Text(%q): one automaton %q, two tiers %q", text, a, b)
		}
		if a, b := once.JSON([]byte(text)), step.JSON([]byte(text)); string(a) != string(b) {
			t.Fatalf("JSON(%q): one automaton %q, two tiers %q", text, a, b)
		}
	})
}

// naiveSpans is every occurrence of every pattern in s (ASCII case
// folded), overlapping and touching ones merged: the reference the
// automaton is held to.
func naiveSpans(patterns []string, s string) []span {
	fs := string(appendLower(nil, s))
	var spans []span
	for _, p := range patterns {
		for i := 0; i+len(p) <= len(fs); i++ {
			if fs[i:i+len(p)] == p {
				spans = append(spans, span{i, i + len(p)})
			}
		}
	}
	return mergeSpans(spans)
}

// FuzzMatcher holds the automaton (built along sorted patterns) to a naive
// search for every pattern.
func FuzzMatcher(f *testing.F) {
	f.Add("abcdef", "defgh", "abd", "xxabcdefghabdab")
	f.Add("aaaa", "aa", "aaab", "aaaaaaab")
	f.Add("token", "tok", "kent", "TOKENT tokent")
	f.Fuzz(func(t *testing.T, p1, p2, p3, s string) {
		var ps []string
		for _, p := range []string{p1, p2, p3} {
			if p = string(appendLower(nil, p)); p != "" && !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		got, _ := rawScan(newMatcher(ps), s, nil)
		if want := naiveSpans(ps, s); !slices.Equal(mergeSpans(got), want) {
			t.Fatalf("patterns %q in %q: automaton %v, naive %v", ps, s, got, want)
		}
	})
}

// Ensure BodyPrefix writes exactly the start of what Body writes, at least
// limit bytes of it, with every sensitive value masked, also one whose key
// comes only after the cut.
func TestBodyPrefix(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"code":"0","data":{"list":[`)
	for i := range 3000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"note":"owner lee.avery@example.com","symbol":"S%d"}`, i, i)
	}
	b.WriteString(`],"email":"lee.avery@example.com"}}`)
	body := []byte(b.String())
	full, ok := New(Config{}).Body(body)
	if !ok {
		t.Fatal("the body is JSON")
	}
	for _, limit := range []int{1, 100, 64 << 10, len(full) - 1, len(full), len(full) + 10} {
		got, ok := New(Config{}).BodyPrefix(body, limit)
		if !ok || !strings.HasPrefix(string(full), string(got)) || len(got) < min(limit, len(full)) {
			t.Errorf("limit %d: %d bytes, decodable %t, a prefix of Body's %d: %t", limit, len(got), ok, len(full), strings.HasPrefix(string(full), string(got)))
		}
		if strings.Contains(string(got), "lee.avery") {
			t.Errorf("limit %d: the e-mail address shows", limit)
		}
	}
}
