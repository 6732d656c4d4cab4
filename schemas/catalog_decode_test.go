package schemas

import (
	"io/fs"
	"path"
	"reflect"
	"testing"

	"github.com/mmcontract/mmcontract/internal/jsontok"
)

// catalogCases are catalogs the fast path must leave to encoding/json, or
// decide exactly as it does.
var catalogCases = []string{
	`[]`,
	`null`,
	`[{}]`,
	`[{"bizType":"a","tags":[],"request":{ "x" : [1, 2] }}]`,
	`[{"bizType":"a","tags":null}]`,
	`[{"bizType":"a","request":null}]`,
	`[{"bizType":"a\u0062"}]`,
	`[{"BizType":"a"}]`,
	`[{"bizType":"a","bizType":"b"}]`,
	`[{"bizType":"a","unknown":1}]`,
	`[{"bizType":1}]`,
	`[{"bizType":"a","login":"yes"}]`,
	`[{"bizType":"a","login":null}]`,
	`[{"bizType":"a"}] trailing`,
	`[{"bizType":"a"}`,
	`[1]`,
	`{}`,
	"[{\"bizType\":\"\xff\"}]",
	``,
}

// TestDecodeCatalogMatchesEncodingJSON holds decodeCatalog to encoding/json's
// strict decode on every embedded catalog (which must take the fast path,
// the point of it) and on catalogs each outside it in one way.
func TestDecodeCatalogMatchesEncodingJSON(t *testing.T) {
	cats, err := fs.Glob(embedded, path.Join("*", "catalog.json"))
	if err != nil || len(cats) == 0 {
		t.Fatalf("no embedded catalogs: %v", err)
	}
	for _, name := range cats {
		b, err := fs.ReadFile(embedded, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeCatalogFast(b); !ok {
			t.Errorf("%s: left the fast path; the importer's catalogs must not", name)
		}
		sameAsReference(t, name, b)
	}
	for _, c := range catalogCases {
		sameAsReference(t, c, []byte(c))
	}
}

func sameAsReference(t *testing.T, name string, b []byte) {
	t.Helper()
	got, gotErr := decodeCatalog(b)
	want, wantErr := decodeCatalogReference(b)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%q: error %v, encoding/json %v", name, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded\n%#v\nencoding/json\n%#v", name, got, want)
	}
}

func FuzzDecodeCatalog(f *testing.F) {
	for _, c := range catalogCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameAsReference(t, string(b), b) })
}

func BenchmarkDecodeCatalog(b *testing.B) {
	cat, err := fs.ReadFile(embedded, "client/catalog.json")
	if err != nil {
		b.Fatal(err)
	}
	var ref float64
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeCatalogReference(cat); err != nil {
				b.Fatal(err)
			}
		}
		ref = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("decodeCatalog", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeCatalog(cat); err != nil {
				b.Fatal(err)
			}
		}
		if ref > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ref, "x-encoding-json")
		}
	})
}

// TestOtherFieldsCoverOperation holds the table behind a field the decoder's
// switch does not name to every string and bool field of Operation, so a
// field added to it stays on the fast path.
func TestOtherFieldsCoverOperation(t *testing.T) {
	for _, name := range []string{"family", "bizType", "version", "group", "path", "area", "login", "readOnly"} {
		if _, ok := otherFields()[name]; !ok {
			t.Errorf("otherFields lacks %q", name)
		}
	}
	for _, name := range []string{"tags", "request"} {
		if _, ok := otherFields()[name]; ok {
			t.Errorf("otherFields has %q, which is neither string nor bool", name)
		}
	}
	var op Operation
	if err := (internedStrings{}).setOther(&op, "group", jsontok.Token{Kind: jsontok.String, Raw: []byte(`"tradeApi"`)}); err != nil || op.Group != "tradeApi" {
		t.Errorf("setOther(group) = %v, op.Group %q", err, op.Group)
	}
	if err := (internedStrings{}).setOther(&op, "login", jsontok.Token{Kind: jsontok.Bool, Raw: []byte(`true`)}); err != nil || !op.Login {
		t.Errorf("setOther(login) = %v, op.Login %v", err, op.Login)
	}
}
