package openapi_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mmcontract/mmcontract/schemas/openapi"
)

const miniSpec = `openapi: 3.0.1
info: {title: t, version: 1.0.0}
paths:
  /global/customer.app.X.findThing:
    post:
      description: "version=0.0.2\nAccess after login"
      tags: [Customer/Basic]
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [customerNo, lang], properties: {customerNo: {type: string}, lang: {type: string}, current: {type: integer}, size: {type: integer}}}
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Result'}
  /login/customer.app.X.login:
    post:
      description: Visitors can access
      responses: {}
components:
  schemas:
    Result:
      type: object
      properties:
        code: {type: string}
        data: {$ref: '#/components/schemas/Node'}
    Node:
      type: object
      title: prose that must not leak
      description: prose that must not leak
      required: [name]
      properties:
        id: {type: integer, format: long}
        name: {type: string, example: secret-example}
        status: {type: integer, enum: [1, 2]}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
`

// Ensure the importer maps refs (with a cycle), nullability, formats, enums
// and the catalog facts, and carries no prose.
func TestImportMapsStructure(t *testing.T) {
	files, err := openapi.Import([]byte(miniSpec), "client", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := string(files["client/customer.app.X.findThing.json"])
	for _, want := range []string{
		`"id": {
      "format": "int64",
      "type": "integer"
    }`,
		`"enum": [
        1,
        2,
        null
      ]`,
		"\n  \"type\": [\n    \"object\",\n    \"null\"\n  ]\n}\n", // root: data may be null
	} {
		if !strings.Contains(data, want) {
			t.Errorf("data schema lacks %s:\n%s", want, data)
		}
	}
	for _, leak := range []string{"prose", "secret-example", `"required"`} {
		if strings.Contains(data, leak) {
			t.Errorf("data schema carries %q", leak)
		}
	}
	cat := string(files["client/catalog.json"])
	for _, want := range []string{`"version": "0.0.2"`, `"login": true`, `"readOnly": true`, `"area": "customer"`,
		`"path": "login"`, `"request": {
      "current": 1,
      "customerNo": "x",
      "lang": "en-US",
      "size": 10
    }`} {
		if !strings.Contains(cat, want) {
			t.Errorf("catalog lacks %s:\n%s", want, cat)
		}
	}
	if !bytes.HasSuffix(files["envelope.json"], []byte("}\n")) {
		t.Error("envelope.json lacks its trailing newline")
	}
}

// Ensure the importer writes a request schema per operation with the spec's
// required lists, types and size bounds (not nullable: we never send null),
// that the catalog body satisfies them (a required list gets an item, a
// bounded string its length), and that a path another family owns is left
// to it.
func TestImportRequestSchemas(t *testing.T) {
	const ownedPath = `  /get-user-amount:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [symbols, pwd], properties: {symbols: {type: array, minItems: 1, items: {type: integer}}, pwd: {type: string, minLength: 32}}}
      responses: {}
`
	spec := strings.Replace(miniSpec, "components:\n", ownedPath+"components:\n", 1)
	files, err := openapi.Import([]byte(spec), "client", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["client/get-user-amount.json"]; ok {
		t.Error("the client import kept /get-user-amount, which the webhook family owns")
	}
	req := string(files["client/requests/customer.app.X.findThing.json"])
	for _, want := range []string{`"required": [
    "customerNo",
    "lang"
  ]`, `"customerNo": {
      "type": "string"
    }`} {
		if !strings.Contains(req, want) {
			t.Errorf("request schema lacks %s:\n%s", want, req)
		}
	}
	files, err = openapi.Import([]byte(spec), "webhook", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2*3+4 { // + catalog.json and the three envelopes
		t.Errorf("webhook import: %d files, want 10", len(files))
	}
	req = string(files["webhook/requests/get-user-amount.json"])
	if !strings.Contains(req, `"minItems": 1`) || !strings.Contains(req, `"minLength": 32`) {
		t.Errorf("request schema lost its bounds:\n%s", req)
	}
	cat := string(files["webhook/catalog.json"])
	if !strings.Contains(cat, `"pwd": "`+strings.Repeat("x", 32)+`"`) || !strings.Contains(cat, "\"symbols\": [\n        1\n      ]") {
		t.Errorf("catalog body does not satisfy the request schema's bounds:\n%s", cat)
	}
	if !strings.Contains(cat, `"login": false`) {
		t.Errorf("a webhook operation needs a login token:\n%s", cat)
	}
}

// Ensure documents that are not OpenAPI (the vendor's own bad publishes)
// are rejected as invalid, never imported as "no operations".
func TestImportRejectsInvalidSpecs(t *testing.T) {
	tests := map[string]string{
		"empty":       "",
		"html 504":    "<html><head><title>504 Gateway Time-out</title></head><body>504</body></html>",
		"json error":  `{"success":false,"errorCode":"403012","errorMessage":"forbidden"}`,
		"truncated":   miniSpec[:200],
		"no paths":    "openapi: 3.0.1\ninfo: {title: t}\npaths: {}\n",
		"swagger 2":   "swagger: '2.0'\npaths: {/a: {}}\n",
		"scalar":      "42",
		"bad version": "openapi: 2.0\npaths: {/a: {}}\n",
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := openapi.Import([]byte(spec), "client", nil)
			var inv *openapi.InvalidSpecError
			if !errors.As(err, &inv) {
				t.Fatalf("Import error = %v, want *InvalidSpecError", err)
			}
		})
	}
}

// Ensure overlays are applied, and that a bad or stale overlay is an error
// naming the file rather than a silently skipped correction.
func TestImportOverlays(t *testing.T) {
	ok := fstest.MapFS{"customer.app.X.findThing.yaml": {Data: []byte(`
- pointer: /properties/name
  reason: names are never null
  merge: {type: string}
- pointer: ""
  reason: a thing always has a name
  merge: {required: [name], additionalProperties: false}
`)}}
	files, err := openapi.Import([]byte(miniSpec), "client", ok)
	if err != nil {
		t.Fatal(err)
	}
	data := string(files["client/customer.app.X.findThing.json"])
	if !strings.Contains(data, `"additionalProperties": false`) || !strings.Contains(data, `"name": {
      "type": "string"
    }`) {
		t.Errorf("overlay not applied:\n%s", data)
	}
	bad := map[string]string{
		"no reason":             "- pointer: /properties/name\n  merge: {type: string}\n",
		"unknown key":           "- pointer: /properties/name\n  reason: r\n  merge: {type: string}\n  colour: red\n",
		"stale pointer":         "- pointer: /properties/gone/x\n  reason: r\n  merge: {type: string}\n",
		"set and merge":         "- pointer: /properties/name\n  reason: r\n  merge: {type: string}\n  set: {type: string}\n",
		"derive without source": "- pointer: ''\n  reason: r\n  derive: example\n",
		"derive from elsewhere": "- pointer: ''\n  reason: r\n  derive: guess\n  source: s\n",
		"derive a field":        "- pointer: /properties/name\n  reason: r\n  derive: example\n  source: s\n",
		"open a field":          "- pointer: /properties/name\n  reason: r\n  open: true\n",
		"open a full schema":    "- pointer: ''\n  reason: r\n  open: true\n",
		"derive, no example":    "- pointer: ''\n  reason: r\n  derive: example\n  source: the 200 example\n",
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := openapi.Import([]byte(miniSpec), "client", fstest.MapFS{"customer.app.X.findThing.yaml": {Data: []byte(body)}})
			if err == nil || !strings.Contains(err.Error(), "overlay") {
				t.Fatalf("Import error = %v, want an overlay error", err)
			}
		})
	}
	_, err = openapi.Import([]byte(miniSpec), "client", fstest.MapFS{"gone.app.X.y.yaml": {Data: []byte("- pointer: ''\n  reason: r\n  merge: {type: object}\n")}})
	if err == nil || !strings.Contains(err.Error(), "overlays/gone.app.X.y.yaml") {
		t.Fatalf("stale overlay file: error = %v", err)
	}
}

// Ensure the read-only classification never admits a mutating verb.
func TestReadOnly(t *testing.T) {
	tests := map[string]bool{
		"findCustomerInfo": true, "page": true, "list": true, "optionalList": true, "walletList": true,
		"queryTradeRecordPage": true, "getWithdrawCurrencyList": true, "getDepositCoinList": true,
		"customerViewNoticePage": true, "checkCustomerExist": true, "getSymbolDetail": true,
		"addOrder": false, "updateOrder": false, "delApi": false, "delete": false, "transferIn": false,
		"applyApi": false, "cancelOrder": false, "verifyCodeSend": false, "bindEmail": false,
		"setCrossLevelNum": false, "editApiPermission": false, "getAndLockAccount": false,
		"queryAndCancel": false, "checkAndSendCode": false, "login": false, "addToList": false,
		"extractUnclaimedMarketAmount": false, "getWithdraw": false, "marketPosition": false,
	}
	for method, want := range tests {
		if got := openapi.ReadOnly(method); got != want {
			t.Errorf("ReadOnly(%q) = %v, want %v", method, got, want)
		}
	}
}

// Ensure importing the real client spec twice gives the same bytes, and
// that ImportFile leaves an unchanged tree untouched.
func TestImportIdempotent(t *testing.T) {
	dir := vendorDir(t)
	spec, err := os.ReadFile(filepath.Join(dir, families[0].spec))
	if err != nil {
		t.Fatal(err)
	}
	ov := os.DirFS(filepath.Join(schemasDir, "client", "overlays"))
	a, err := openapi.Import(spec, "client", ov)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openapi.Import(spec, "client", ov)
	if err != nil {
		t.Fatal(err)
	}
	// The EN spec alone: 319 operations (the 327 less the 8 only the CN
	// spec has), each a data and a request schema, plus the catalog and the
	// three envelopes.
	if len(a) != len(b) || len(a) != 2*319+4 {
		t.Fatalf("imports produced %d and %d files, want %d", len(a), len(b), 2*319+4)
	}
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			t.Errorf("%s differs between two imports", k)
		}
	}
	out := t.TempDir()
	for i := 0; i < 2; i++ {
		if err := openapi.ImportFile(filepath.Join(dir, families[0].spec), "client", filepath.Join(schemasDir, "client", "overlays"), out); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.Join(out, "client", "catalog.json"))
	if err != nil || !bytes.Equal(got, a["client/catalog.json"]) {
		t.Errorf("ImportFile catalog differs from Import (err %v)", err)
	}
}

// FuzzImport ensures the importer never panics on arbitrary input.
func FuzzImport(f *testing.F) {
	f.Add([]byte(miniSpec))
	f.Add([]byte("<html>504 Gateway Time-out</html>"))
	f.Add([]byte(`{"openapi":"3.0.0","paths":{"/global/a.b.C.d":{"post":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}}},"components":{"schemas":{"A":{"properties":{"data":{"$ref":"#/components/schemas/A"}}}}}}`))
	f.Fuzz(func(t *testing.T, spec []byte) {
		_, _ = openapi.Import(spec, "client", nil)
	})
}

func BenchmarkImportClientSpec(b *testing.B) {
	dir := vendorDir(b)
	spec, err := os.ReadFile(filepath.Join(dir, families[0].spec))
	if err != nil {
		b.Fatal(err)
	}
	ov := os.DirFS(filepath.Join(schemasDir, "client", "overlays"))
	b.SetBytes(int64(len(spec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi.Import(spec, "client", ov); err != nil {
			b.Fatal(err)
		}
	}
}

// Ensure an overlay derives a data schema the spec leaves empty from the
// operation's published example (structure only, marked with its source),
// that one may keep it open with its reason, and that an empty schema no
// overlay explains says so.
func TestImportDeriveAndOpen(t *testing.T) {
	const spec = `openapi: 3.0.1
info: {title: t, version: 1.0.0}
paths:
  /global/a.b.C.derived:
    post:
      responses:
        '200':
          content:
            application/json:
              example: {code: "0", ok: true, data: {id: 7, name: secret-example, list: [{n: 1.5}], none: null}}
  /global/a.b.C.open:
    post:
      responses: {}
  /global/a.b.C.unexplained:
    post:
      responses: {}
`
	ov := fstest.MapFS{
		"a.b.C.derived.yaml": {Data: []byte("- pointer: ''\n  reason: r\n  derive: example\n  source: the 200 example\n")},
		"a.b.C.open.yaml":    {Data: []byte("- pointer: ''\n  reason: nothing is documented\n  open: true\n")},
	}
	files, err := openapi.Import([]byte(spec), "client", ov)
	if err != nil {
		t.Fatal(err)
	}
	derived := string(files["client/a.b.C.derived.json"])
	for _, want := range []string{`"$comment": "` + openapi.ExampleDerivedMarker + `the 200 example"`, `"id": {
      "type": "number"
    }`, `"n": {
            "type": [
              "number",
              "null"
            ]
          }`, `"none": {}`} {
		if !strings.Contains(derived, want) {
			t.Errorf("derived schema lacks %s:\n%s", want, derived)
		}
	}
	if strings.Contains(derived, "secret-example") {
		t.Error("the derived schema carries an example value")
	}
	if open := string(files["client/a.b.C.open.json"]); !strings.Contains(open, `"$comment": "`+openapi.OpenMarker+`nothing is documented"`) {
		t.Errorf("open schema without its reason:\n%s", open)
	}
	if un := string(files["client/a.b.C.unexplained.json"]); !strings.Contains(un, openapi.UnexplainedOpen) {
		t.Errorf("an unexplained empty schema does not say so:\n%s", un)
	}
}
