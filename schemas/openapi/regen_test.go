package openapi_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmcontract/mmcontract/schemas/openapi"
)

var update = flag.Bool("update", false, "regenerate the committed schemas/ tree from ../shared/vendor/openapi")

// families maps each family to the vendor spec it is imported from, and
// the further files it is supplemented from. The EN client spec is
// canonical; the CN one adds the operations only it publishes (see README
// "Schemas").
var families = []struct {
	family, spec string
	supplements  []string
}{
	{"client", "MultiMarkets-ClientAPI.openapi.en.yaml", []string{"MultiMarkets-ClientAPI.openapi.yaml"}},
	{"manager", "MultiMarkets-BusinessAPI.openapi.en.yaml", nil},
	{"auth2", "MultiMarkets-Auth2Api.openapi.en.yaml", nil},
	{"webhook", "multimarkets-webhook.json", nil},
}

// readSupplements reads a family's supplement files from dir.
func readSupplements(t testing.TB, dir string, names []string) (paths []string, sups []openapi.Supplement) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		sups = append(sups, openapi.Supplement{Name: name, Spec: b})
	}
	return paths, sups
}

// vendorDir returns <module root>/../shared/vendor/openapi or skips the test.
func vendorDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "vendor", "openapi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("vendor specs not present at %s", dir)
	}
	return dir
}

// schemasDir is the committed schema tree: this package's parent.
const schemasDir = ".."

// Ensure the committed schemas/ tree is exactly what the importer produces
// from the vendor specs and overlays: nobody hand-edited a generated file,
// and nobody forgot to re-run the import after changing an overlay.
// Regenerate with: go test ./schemas/openapi -run TestCommittedTree -update
func TestCommittedTree(t *testing.T) {
	dir := vendorDir(t)
	for _, f := range families {
		t.Run(f.family, func(t *testing.T) {
			specPath := filepath.Join(dir, f.spec)
			overlays := filepath.Join(schemasDir, f.family, "overlays")
			supPaths, sups := readSupplements(t, dir, f.supplements)
			if *update {
				if err := openapi.ImportFile(specPath, f.family, overlays, schemasDir, supPaths...); err != nil {
					t.Fatal(err)
				}
			}
			spec, err := os.ReadFile(specPath)
			if err != nil {
				t.Fatal(err)
			}
			var ov = os.DirFS(overlays)
			if _, err := os.Stat(overlays); err != nil {
				ov = nil
			}
			files, err := openapi.Import(spec, f.family, ov, sups...)
			if err != nil {
				t.Fatal(err)
			}
			for rel, want := range files {
				got, err := os.ReadFile(filepath.Join(schemasDir, filepath.FromSlash(rel)))
				if err != nil {
					t.Errorf("%s: %v (run the import: go test ./schemas/openapi -run TestCommittedTree -update)", rel, err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from a fresh import (run: go test ./schemas/openapi -run TestCommittedTree -update)", rel)
				}
			}
			// No file the import no longer produces may linger in the tree.
			for _, dir := range []string{f.family, f.family + "/" + openapi.RequestDir} {
				onDisk, err := filepath.Glob(filepath.Join(schemasDir, filepath.FromSlash(dir), "*.json"))
				if err != nil {
					t.Fatal(err)
				}
				for _, file := range onDisk {
					if _, ok := files[dir+"/"+filepath.Base(file)]; !ok {
						t.Errorf("%s/%s is on disk but a fresh import does not produce it", dir, filepath.Base(file))
					}
				}
			}
		})
	}
}
