package verdict

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Ensure no production code outside this package compares a verdict,
// severity, paging level or JUnit element with a string literal ("broken",
// "breaking", "critical", "failure"...): they compare the typed constants, so
// the one table here decides, and a rename cannot leave a comparison behind.
func TestNoVocabularyLiteralsCompared(t *testing.T) {
	words := map[string]bool{}
	for _, v := range All() {
		words[string(v)] = true
	}
	for _, s := range Severities() {
		words[string(s)] = true
	}
	for _, a := range Alerts() {
		words[string(a)] = true
	}
	for _, j := range []JUnit{JUnitFailure, JUnitError, JUnitSkipped} {
		words[string(j)] = true
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	literal := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil && words[s]
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); strings.HasPrefix(name, ".") && path != root || name == "testdata" {
				return filepath.SkipDir
			}
			if abs, _ := filepath.Abs(path); strings.HasSuffix(abs, filepath.Join("internal", "verdict")) {
				return filepath.SkipDir // the vocabulary itself
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if n.Op != token.EQL && n.Op != token.NEQ {
					return true
				}
				for _, side := range []ast.Expr{n.X, n.Y} {
					if s, ok := literal(side); ok {
						t.Errorf("%s: compares with %q: use the typed constant of internal/verdict", fset.Position(n.Pos()), s)
					}
				}
			case *ast.CaseClause:
				for _, e := range n.List {
					if s, ok := literal(e); ok {
						t.Errorf("%s: case %q: use the typed constant of internal/verdict", fset.Position(e.Pos()), s)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read only %d Go files below %s: the walk missed the tree", files, root)
	}
}
