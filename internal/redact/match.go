package redact

import (
	"slices"
	"sync"
)

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
	// Build the trie along the sorted patterns: each pattern shares the
	// previous one's path up to their common prefix, so every node's
	// children are created in increasing byte order and are kept as a
	// sibling list, with no map and no sort per node (the automaton is
	// rebuilt as values are learned, see automata). Then flatten it into
	// edge arrays so the scan loop touches contiguous memory.
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	sorted := append(sc.sorted[:0], patterns...)
	slices.Sort(sorted)
	// The values are secrets: the pooled slice must not keep them.
	defer func() { clear(sorted); sc.sorted = sorted[:0] }()
	// Each pattern adds a node per byte past its common prefix with the
	// previous one: counted first, the node arrays are allocated once at
	// their size instead of growing (growing them was most of a rebuild).
	nodes, maxLen := 1, 0
	for i, p := range sorted {
		if i > 0 {
			nodes += len(p) - commonPrefix(p, sorted[i-1])
		} else {
			nodes += len(p)
		}
		maxLen = max(maxLen, len(p))
	}
	// The trie's arrays live only through the build: they come from
	// scratch, reused by the next build (each rebuild allocated them anew,
	// and a short run, which never collects, pays for fresh memory in page
	// faults). depth is kept by the matcher and allocated.
	reuse := func(buf []int32, root int32) []int32 { return append(slices.Grow(buf[:0], nodes), root) }
	term := reuse(sc.term, 0)                            // pattern length when the node ends a pattern
	depth := append(make([]int32, 0, nodes), 0)          // length of the node's path
	label := append(slices.Grow(sc.label[:0], nodes), 0) // byte of the edge into the node
	firstKid, lastKid, nextSib := reuse(sc.firstKid, -1), reuse(sc.lastKid, -1), reuse(sc.nextSib, -1)
	path := append(slices.Grow(sc.path[:0], maxLen+1), 0) // the previous pattern's nodes, by depth
	defer func() {
		clear(label) // the edges spell the values
		sc.term, sc.label, sc.firstKid, sc.lastKid, sc.nextSib, sc.path = term, label, firstKid, lastKid, nextSib, path
	}()
	prev := ""
	for _, p := range sorted {
		l := commonPrefix(p, prev)
		path = path[:l+1]
		n := path[l]
		for i := l; i < len(p); i++ {
			c := int32(len(term))
			term = append(term, 0)
			depth = append(depth, int32(i+1))
			label = append(label, p[i])
			firstKid, lastKid, nextSib = append(firstKid, -1), append(lastKid, -1), append(nextSib, -1)
			if lastKid[n] < 0 {
				firstKid[n] = c
			} else {
				nextSib[lastKid[n]] = c
			}
			lastKid[n] = c
			path = append(path, c)
			n = c
		}
		term[n] = int32(len(p))
		prev = p
	}

	m := &matcher{
		first:  make([]int32, len(term)+1),
		labels: make([]byte, 0, len(term)-1),
		target: make([]int32, 0, len(term)-1),
		fail:   make([]int32, len(term)),
		out:    make([]int32, len(term)),
		depth:  depth,
		maxLen: maxLen,
	}
	for n := range term {
		m.first[n] = int32(len(m.labels))
		for c := firstKid[n]; c >= 0; c = nextSib[c] {
			m.labels = append(m.labels, label[c])
			m.target = append(m.target, c)
		}
	}
	m.first[len(term)] = int32(len(m.labels))
	for i := m.first[0]; i < m.first[1]; i++ {
		m.root[m.labels[i]] = m.target[i]
	}

	// Breadth-first: a node's failure link is computed from its parent's,
	// which is always shallower and therefore already done.
	queue := slices.Grow(sc.queue[:0], len(term))
	sc.queue = queue
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

// scratch holds the arrays a build of the automaton needs only while it
// runs, for the next build to reuse.
type scratch struct {
	sorted                                 []string
	term, firstKid, lastKid, nextSib, path []int32
	queue                                  []int32
	label                                  []byte
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	l := 0
	for l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return l
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

// automata are the learned values in two tiers. Rebuilding one automaton
// for every value learned made redaction quadratic in a run's length (a
// run learns values from every response, and the rebuild walks them all:
// a fifth of a short run's CPU), so values learned since the last full
// build go into a small recent automaton, and the settled one is rebuilt
// from every value only when the recent tier outgrows a quarter of it.
// Both are scanned; their matches merge before the whole-word rule, so
// the result is the one a single automaton gives.
type automata struct {
	settled, recent *matcher
}

// minRecent is the recent tier's size below which it never triggers a full
// rebuild. The recent tier is rebuilt whole after every response that
// teaches a value, so while the settled tier is small (a short run: a
// monitor's smoke tick) a large recent tier is rebuilt again and again: at
// 64 a smoke run rebuilt 52 KB of patterns in 7 builds, at 16 it rebuilds
// 34 KB (the second response's few dozen spellings settle at once); once
// the settled tier passes 64 values its quarter decides, as before.
const minRecent = 16

// find returns the merged spans of every learned value in s, in order.
// Overlapping and touching matches merge into one span.
func find[T string | []byte](a *automata, s T) []span {
	spans, _ := scan(a, s)
	return spans
}

// scan is find that also reports how many bytes at the end of s are the
// start of a learned value that more input could complete.
func scan[T string | []byte](a *automata, s T) (spans []span, partial int) {
	if a == nil {
		return nil, 0
	}
	spans, partial = rawScan(a.settled, s, nil)
	if a.recent != nil {
		var more []span
		var p int
		if more, p = rawScan(a.recent, s, nil); len(more) > 0 {
			spans = mergeSpans(append(spans, more...))
		}
		partial = max(partial, p)
	}
	// A short value matches only as a whole word; overlapping values are
	// judged together, so "abcdef" and "defghi" still hide "abcdefghi".
	kept := spans[:0]
	for _, sp := range spans {
		if sp.end-sp.start >= wholeWordBelow || wholeWord(s, sp.start, sp.end) {
			kept = append(kept, sp)
		}
	}
	return kept, partial
}

// rawScan appends to spans every match of m in s, overlapping and touching
// matches merged, before the whole-word rule, and reports the partial
// match at the end of s.
func rawScan[T string | []byte](m *matcher, s T, spans []span) ([]span, int) {
	if m == nil {
		return spans, 0
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		if n == 0 {
			if i = skipRoot(m, s, i); i == len(s) {
				break
			}
		}
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
	return spans, int(m.depth[n])
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
func contains[T string | []byte](a *automata, s T) bool {
	if a == nil {
		return false
	}
	short := false
	for _, m := range [2]*matcher{a.settled, a.recent} {
		long, sh := probe(m, s)
		if long {
			return true
		}
		short = short || sh
	}
	// A short one: judge it as find does.
	return short && len(find(a, s)) > 0
}

// skipRoot returns the offset of the first byte from i on that leaves the
// root, or len(s). At the root most bytes of a report (indentation, quotes,
// punctuation, letters no value starts with) lead nowhere; skipped without
// a step, an indented report is scanned markedly faster
// (BenchmarkKnownIndented).
func skipRoot[T string | []byte](m *matcher, s T, i int) int {
	for i < len(s) && m.root[fold(s[i])] == 0 {
		i++
	}
	return i
}

// probe reports whether m matches a value of wholeWordBelow bytes or more in
// s (stopping there), or else whether it matches a shorter one.
func probe[T string | []byte](m *matcher, s T) (long, short bool) {
	if m == nil {
		return false, false
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		if n == 0 {
			if i = skipRoot(m, s, i); i == len(s) {
				break
			}
		}
		n = m.step(n, fold(s[i]))
		if l := int(m.out[n]); l >= wholeWordBelow {
			return true, false
		} else if l > 0 {
			short = true
		}
	}
	return false, short
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
