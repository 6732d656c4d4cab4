package drift

import (
	"testing"
)

// shapeOf infers and merges the shapes of bodies, one sample each.
func shapeOf(t testing.TB, bodies ...string) Shape {
	t.Helper()
	var s Shape
	for _, b := range bodies {
		one, err := Infer([]byte(b))
		if err != nil {
			t.Fatalf("Infer(%s): %v", b, err)
		}
		s.Merge(one)
	}
	return s
}
