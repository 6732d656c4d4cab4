// Package oneline shortens free text (an error, a vendor message, a child's
// stderr, a receiver's answer) to one bounded line for a results.json
// message, a terminal or log line, a history note or an alert summary. One
// line cannot forge extra log lines or break a table, and a bound keeps a
// vendor's HTML error page out of a pager. Every such helper of the project
// lives here, so they all cut the same way: on a rune boundary, never inside
// a UTF-8 sequence, ending in "…" when something was cut.
package oneline

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis ends a cut text.
const Ellipsis = "…"

// Collapse joins every run of white space in s, newlines included, into one
// space, trims it, and cuts it to at most max runes (see Cut); with a max
// below 1 it only flattens.
func Collapse(s string, max int) string {
	return Cut(strings.Join(strings.Fields(s), " "), max)
}

// First keeps the first line of s (after trimming it) and cuts it to at
// most max runes (see Cut; a max below 1 cuts nothing): for a multi-line
// message whose first line is the headline, such as a Gomega failure.
func First(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimRight(s[:i], "\r")
	}
	return Cut(s, max)
}

// Cut returns s when it has at most max runes, and otherwise its first
// max-1 runes and Ellipsis, so the result never exceeds max runes. Invalid
// UTF-8 counts a rune per byte. A max below 1 cuts nothing.
func Cut(s string, max int) string {
	if max < 1 || len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + Ellipsis
		}
		n++
	}
	return s
}

// MaxMessage bounds a check's message and reason in results.json, the run
// summary and the reports (runes).
const MaxMessage = 300
