package redact

import "sort"

// matcher finds every learned value in a text in one pass (Aho–Corasick).
//
// A strings.Replacer is not enough here: it picks one match per position and
// never looks back, so with two overlapping secrets ("abcdef" and "defgh" in
// "abcdefgh") it leaves the tail of the second one ("gh") in the output. The
// automaton reports the longest value ending at every byte; the spans are
// merged and each merged span becomes one mask, so no fragment of any learned
// value survives.
//
// Matching folds ASCII letters, so an MD5 learned in lower-case hex is also
// caught in upper case, and an e-mail address whatever its capitalisation.
// Over-matching is the safe direction for a redactor.
//
// A matcher is immutable once built and shared by concurrent readers.
type matcher struct {
	root   [256]int32 // transitions out of the root; 0 means "stay at root"
	first  []int32    // first[n]..first[n+1] index n's outgoing edges
	labels []byte     // edge byte, sorted within a node
	target []int32    // edge destination
	fail   []int32    // Aho–Corasick failure link
	out    []int32    // length of the longest pattern that is a suffix of node's path; 0 = none
	depth  []int32    // length of node's path: how much of a pattern is matched so far
	maxLen int        // longest pattern, in bytes
}

// fold lower-cases ASCII letters only; other bytes (UTF-8 included) are kept.
func fold(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// newMatcher builds the automaton for patterns (already folded, non-empty).
// It returns nil when there is nothing to match.
func newMatcher(patterns []string) *matcher {
	if len(patterns) == 0 {
		return nil
	}
	// Build the trie with a map, then flatten it into sorted edge arrays so the
	// scan loop touches contiguous memory.
	type edge struct {
		from int32
		c    byte
	}
	children := map[edge]int32{}
	term := []int32{0} // pattern length when the node ends a pattern
	depth := []int32{0}
	edgesOf := [][]byte{nil}
	maxLen := 0
	for _, p := range patterns {
		n := int32(0)
		for i := 0; i < len(p); i++ {
			e := edge{n, p[i]}
			next, ok := children[e]
			if !ok {
				next = int32(len(term))
				children[e] = next
				term = append(term, 0)
				depth = append(depth, depth[n]+1)
				edgesOf = append(edgesOf, nil)
				edgesOf[n] = append(edgesOf[n], p[i])
			}
			n = next
		}
		term[n] = int32(len(p))
		if len(p) > maxLen {
			maxLen = len(p)
		}
	}

	m := &matcher{
		first:  make([]int32, len(term)+1),
		fail:   make([]int32, len(term)),
		out:    make([]int32, len(term)),
		depth:  depth,
		maxLen: maxLen,
	}
	for n, cs := range edgesOf {
		sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
		m.first[n] = int32(len(m.labels))
		for _, c := range cs {
			m.labels = append(m.labels, c)
			m.target = append(m.target, children[edge{int32(n), c}])
		}
	}
	m.first[len(term)] = int32(len(m.labels))
	for i := m.first[0]; i < m.first[1]; i++ {
		m.root[m.labels[i]] = m.target[i]
	}

	// Breadth-first: a node's failure link is computed from its parent's,
	// which is always shallower and therefore already done.
	queue := make([]int32, 0, len(term))
	for i := m.first[0]; i < m.first[1]; i++ {
		queue = append(queue, m.target[i])
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if term[n] > 0 {
			m.out[n] = term[n]
		} else {
			m.out[n] = m.out[m.fail[n]]
		}
		for i := m.first[n]; i < m.first[n+1]; i++ {
			c, child := m.labels[i], m.target[i]
			m.fail[child] = m.step(m.fail[n], c)
			queue = append(queue, child)
		}
	}
	return m
}

// child returns n's transition on c, or -1.
func (m *matcher) child(n int32, c byte) int32 {
	for i := m.first[n]; i < m.first[n+1]; i++ {
		if l := m.labels[i]; l == c {
			return m.target[i]
		} else if l > c {
			break
		}
	}
	return -1
}

// step advances the automaton from state n over byte c (already folded).
func (m *matcher) step(n int32, c byte) int32 {
	for n != 0 {
		if t := m.child(n, c); t >= 0 {
			return t
		}
		n = m.fail[n]
	}
	return m.root[c]
}

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// find returns the merged spans of every learned value in s, in order.
// Overlapping and touching matches merge into one span.
func find[T string | []byte](m *matcher, s T) []span {
	spans, _ := scan(m, s)
	return spans
}

// scan is find that also reports how many bytes at the end of s are the
// start of a learned value that more input could complete.
func scan[T string | []byte](m *matcher, s T) (spans []span, partial int) {
	if m == nil {
		return nil, 0
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		n = m.step(n, fold(s[i]))
		if l := int(m.out[n]); l > 0 {
			sp := span{i + 1 - l, i + 1}
			// Spans arrive ordered by end; a longer match may reach back
			// over several earlier ones.
			for k := len(spans) - 1; k >= 0 && sp.start <= spans[k].end; k-- {
				sp.start = min(sp.start, spans[k].start)
				spans = spans[:k]
			}
			spans = append(spans, sp)
		}
	}
	// A short value matches only as a whole word; overlapping values are
	// judged together, so "abcdef" and "defghi" still hide "abcdefghi".
	kept := spans[:0]
	for _, sp := range spans {
		if sp.end-sp.start >= wholeWordBelow || wholeWord(s, sp.start, sp.end) {
			kept = append(kept, sp)
		}
	}
	return kept, int(m.depth[n])
}

// wholeWordBelow is the length under which a learned value only matches as
// a whole word: a short value ("str-5", "Avery", a 6-digit postal code) is
// scrubbed where it stands alone, not from inside every longer token that
// happens to contain it ("str-598", "1000000"). Longer values match
// anywhere, so a phone number is caught after its country code.
const wholeWordBelow = 8

// wholeWord reports whether s[start:end] has no letter or digit on either
// side that would continue it.
func wholeWord[T string | []byte](s T, start, end int) bool {
	return (start == 0 || !isAlnum(s[start-1]) || !isAlnum(s[start])) &&
		(end == len(s) || !isAlnum(s[end]) || !isAlnum(s[end-1]))
}

// contains reports whether any learned value occurs in s.
func contains[T string | []byte](m *matcher, s T) bool {
	if m == nil {
		return false
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		n = m.step(n, fold(s[i]))
		if l := int(m.out[n]); l >= wholeWordBelow {
			return true
		} else if l > 0 {
			return len(find(m, s)) > 0 // a short one: judge it as find does
		}
	}
	return false
}

// textMask replaces a learned value found in free text. It carries no length
// class: free text has no schema to drift against.
const textMask = "[redacted]"

// replace appends s to dst with every span replaced by textMask.
func replace[T string | []byte](dst []byte, s T, spans []span) []byte {
	prev := 0
	for _, sp := range spans {
		dst = append(dst, s[prev:sp.start]...)
		dst = append(dst, textMask...)
		prev = sp.end
	}
	return append(dst, s[prev:]...)
}
