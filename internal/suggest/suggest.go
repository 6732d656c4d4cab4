// Package suggest finds the known name a mistyped one was probably meant to
// be, for "did you mean" hints on commands, flags, config keys and scenario
// names. It is the one implementation the CLI and the monitor's config share.
package suggest

import "strings"

// Nearest returns the candidate closest to got by edit distance (case
// ignored), and whether it is close enough to be a typo: at most a third
// of the word may be wrong, and at least one letter may be.
func Nearest(got string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := Distance(strings.ToLower(got), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(1, len(got)/3) {
		return "", false
	}
	return best, true
}

// Distance is the optimal-string-alignment distance of a and b:
// insertions, deletions, substitutions and transpositions of neighbours
// ("histroy" is one step from "history").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
