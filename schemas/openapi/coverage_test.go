package openapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/schemas/openapi"
)

// coverage is the number of operations per family, as the README's coverage
// table states them: every path of the vendor's files, each counted once.
var coverage = map[string]int{"client": 327, "manager": 41, "auth2": 4, "webhook": 3}

// Ensure every path of the vendor's files has an operation with a schema,
// each counted once, in the family that owns it: the count per family is
// taken from the files themselves (the union of a family's files' paths,
// less the paths another family owns), not from the importer, and is what
// the committed catalogs hold and the README says.
func TestCoverageFromVendorFiles(t *testing.T) {
	dir := vendorDir(t)
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range families {
		paths := map[string]bool{}
		for _, name := range append([]string{f.spec}, f.supplements...) {
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := openapi.Decode(raw)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for p := range doc["paths"].(map[string]any) {
				if owner := openapi.PathOwner(p); owner == "" || owner == f.family {
					paths[p] = true
				}
			}
		}
		ops := set.Operations(f.family)
		if len(paths) != len(ops) || len(ops) != coverage[f.family] {
			t.Errorf("%s: the vendor's files have %d paths, the catalog %d operations, the README %d", f.family, len(paths), len(ops), coverage[f.family])
		}
		total += len(ops)
	}
	if total != 375 {
		t.Errorf("%d operations in all, want the 375 paths of the vendor's files", total)
	}
	// The three Webhook paths are in the Client EN file too, and belong to
	// the webhook family alone.
	for _, op := range set.Operations("webhook") {
		if openapi.PathOwner("/"+op.BizType) != "webhook" {
			t.Errorf("webhook operation %s is not owned by the webhook family", op.BizType)
		}
		if _, inClient := set.Operation("client", op.BizType); inClient {
			t.Errorf("%s is counted in the client family too", op.BizType)
		}
	}
}

// Ensure the envelopes and notes the catalogs promise are there: the eight
// Manager quote REST endpoints use the quote envelope and GET, the
// market-maker reports documented as bare objects are marked so, and each
// operation only the CN Client spec publishes says so.
func TestCatalogEnvelopesAndNotes(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	count := func(fam string, pred func(schemas.Operation) bool) (n int, names []string) {
		for _, op := range set.Operations(fam) {
			if pred(op) {
				n++
				names = append(names, op.BizType)
			}
		}
		return n, names
	}
	if n, names := count("manager", func(op schemas.Operation) bool {
		return op.Envelope == schemas.EnvelopeQuote && op.HTTPMethod == "GET" && op.ReadOnly
	}); n != 8 {
		t.Errorf("%d Manager quote REST endpoints with the quote envelope, want 8: %v", n, names)
	}
	if n, names := count("client", func(op schemas.Operation) bool { return op.Envelope == schemas.EnvelopeBare }); n != 17 {
		t.Errorf("%d bare-object client operations, want 17: %v", n, names)
	}
	if n, names := count("client", func(op schemas.Operation) bool {
		return strings.Contains(op.Note, "MultiMarkets-ClientAPI.openapi.yaml")
	}); n != 8 {
		t.Errorf("%d CN-only client operations with a note, want 8: %v", n, names)
	}
	if op, ok := set.Operation("client", "geoip/country"); !ok || op.HTTPMethod != "GET" {
		t.Errorf("GET /geoip/country: %+v, %v", op, ok)
	}
}

// openSchemas are the data schemas that accept anything, each with the
// reason its overlay gives; the README states their number.
const openSchemas = 6

// Ensure no data schema is empty without a reason: every schema that
// constrains nothing carries an overlay's reason (never the importer's
// "no overlay says why"), every schema filled from an example says which,
// and the open ones are listed.
func TestOpenSchemasHaveReasons(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	var open, derived []string
	for _, fam := range set.Families() {
		for _, op := range set.Operations(fam) {
			raw, _ := set.DataSchema(fam, op.BizType)
			var schema map[string]any
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatal(err)
			}
			comment, _ := schema["$comment"].(string)
			delete(schema, "$schema")
			delete(schema, "$comment")
			switch {
			case strings.HasPrefix(comment, openapi.ExampleDerivedMarker):
				derived = append(derived, fam+" "+op.BizType)
			case len(schema) > 0:
			case comment == openapi.OpenMarker+openapi.UnexplainedOpen:
				t.Errorf("%s %s: an empty data schema without a reason: add an overlay", fam, op.BizType)
			case strings.HasPrefix(comment, openapi.OpenMarker):
				open = append(open, fam+" "+op.BizType+": "+strings.TrimPrefix(comment, openapi.OpenMarker))
			default:
				t.Errorf("%s %s: an empty data schema without a reason", fam, op.BizType)
			}
		}
	}
	sort.Strings(open)
	for _, o := range open {
		t.Log("open: " + o)
	}
	for _, d := range derived {
		t.Log("example-derived: " + d)
	}
	if len(open) != openSchemas {
		t.Errorf("%d open data schemas, the README says %d", len(open), openSchemas)
	}
	if len(derived) != 6 { // the 4 Auth2 and the Manager WhiteCustomerAdminApiService detail and page
		t.Errorf("%d example-derived data schemas, want 6: %v", len(derived), derived)
	}
}
