package html

import "testing"

func TestZZWriteLarge(t *testing.T) {
	res, reps := largeRun(t, 5000)
	if err := WriteFile("/tmp/mmperf/large.html", res, reps, Options{}); err != nil {
		t.Fatal(err)
	}
	res, reps = smallRun(t)
	if err := WriteFile("/tmp/mmperf/small.html", res, reps, Options{}); err != nil {
		t.Fatal(err)
	}
}
