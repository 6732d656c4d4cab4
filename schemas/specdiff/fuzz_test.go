package specdiff_test

import (
	"testing"

	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// FuzzLoad ensures Load never panics or hangs on arbitrary input, and that
// a document it accepts diffs clean against itself. The committed corpus in
// testdata/fuzz/FuzzLoad holds the vendor's bad-publish shapes and the
// structures that stress $ref resolution.
func FuzzLoad(f *testing.F) {
	f.Add(doc(o(`"a":{"type":"string"}`), o(`"n":{"$ref":"#/components/schemas/Node"}`)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := specdiff.Load(raw)
		if err != nil {
			if s != nil {
				t.Fatal("Load returned a spec with an error")
			}
			return
		}
		if r := specdiff.Diff(s, s); len(r.Changes) != 0 {
			t.Fatalf("a spec differs from itself: %+v", r.Changes)
		}
	})
}
