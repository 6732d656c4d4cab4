package suggest

import "testing"

// Ensure the edit distance counts a swap of neighbours as one typo.
func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"run", "run", 0}, {"rn", "run", 1}, {"histroy", "history", 1}, {"", "sim", 3}, {"report", "repot", 1}, {"spec", "sim", 3},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Ensure a near miss is suggested and a different word is not.
func TestNearest(t *testing.T) {
	names := []string{"run", "report", "history", "monitor"}
	if got, ok := Nearest("histroy", names); !ok || got != "history" {
		t.Errorf("Nearest(histroy) = %q, %v", got, ok)
	}
	if got, ok := Nearest("deploy", names); ok {
		t.Errorf("Nearest(deploy) = %q: not a typo of any", got)
	}
	if _, ok := Nearest("x", nil); ok {
		t.Error("no candidates, yet a suggestion")
	}
}
