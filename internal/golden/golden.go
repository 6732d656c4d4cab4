// Package golden is the test helper behind the golden-file tests of the
// output formats (results.json, junit.xml): compare what a writer produced
// with the committed file, rewrite it on -update, and load the literal
// Ginkgo reports those tests start from; and the reader of fuzz corpora that
// the differential tests feed their implementations with. It lives in internal/ because it
// serves tests of several packages and is no part of the product.
package golden

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// Check fails t unless got equals the golden file at path; with update set
// it first rewrites the file with got (review the diff before committing).
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after checking the change):\n%s", path, got)
	}
}

// Reports loads a ginkgo.json: a literal Ginkgo report, or a run's.
func Reports(t testing.TB, path string) []types.Report {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return reports
}

// CorpusInputs reads the []byte and string arguments of every file of a
// "go test fuzz v1" corpus directory.
func CorpusInputs(t testing.TB, dir string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			line := sc.Text()
			for _, typ := range []string{"[]byte(", "string("} {
				if lit, ok := strings.CutPrefix(line, typ); ok {
					if s, err := strconv.Unquote(strings.TrimSuffix(lit, ")")); err == nil {
						out = append(out, []byte(s))
					}
				}
			}
		}
	}
	return out
}
