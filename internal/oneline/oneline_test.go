package oneline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Ensure text is flattened and cut on rune boundaries, never past its bound.
func TestOneLine(t *testing.T) {
	long := strings.Repeat("é", 50)
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"collapse joins white space", Collapse(" a\n\tb  c \r\n", 10), "a b c"},
		{"collapse cuts", Collapse("abcdef", 4), "abc…"},
		{"collapse at the bound", Collapse("abcd", 4), "abcd"},
		{"first keeps the headline", First("\n  Expected\n    <int>: 1\nto equal 2", 100), "Expected"},
		{"first drops a CR", First("one\r\ntwo", 100), "one"},
		{"first cuts", First("abcdef\nx", 3), "ab…"},
		{"cut counts runes", Cut(long, 10), strings.Repeat("é", 9) + "…"},
		{"cut without a bound", Cut(long, 0), long},
		{"cut of a short text", Cut("é", 1), "é"},
		{"cut of invalid UTF-8", Cut("\xff\xfe\xfd\xfc", 3), "\xff\xfe…"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

// Ensure no cut ever splits a UTF-8 sequence or exceeds its bound, for every
// bound over a mixed text.
func TestCutBounds(t *testing.T) {
	s := "a€b𝄞c\nd é"
	for max := 1; max <= utf8.RuneCountInString(s)+1; max++ {
		for _, got := range []string{Cut(s, max), Collapse(s, max), First(s, max)} {
			if !utf8.ValidString(got) {
				t.Errorf("max %d: %q is not valid UTF-8", max, got)
			}
			if n := utf8.RuneCountInString(got); n > max {
				t.Errorf("max %d: %q has %d runes", max, got, n)
			}
		}
	}
}
