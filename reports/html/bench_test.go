package html

import (
	"io"
	"testing"
)

// countingWriter counts the bytes of a rendering without keeping them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkRender5000 renders a 5,000-check run (one in ten failing, with
// its exchange) and reports the size of the page.
func BenchmarkRender5000(b *testing.B) {
	res, reps := largeRun(b, 5000)
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		w.n = 0
		if err := Render(&w, res, reps, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "bytes/page")
}

// BenchmarkRender5000AllBodies is the same run with --html-bodies all.
func BenchmarkRender5000AllBodies(b *testing.B) {
	res, reps := largeRun(b, 5000)
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		w.n = 0
		if err := Render(&w, res, reps, Options{Bodies: BodiesAll}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "bytes/page")
}
