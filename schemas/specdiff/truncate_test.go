package specdiff_test

import (
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas/specdiff"
)

// yamlSpec is a small vendor-shaped spec in block YAML, the form whose
// truncations still parse.
const yamlSpec = `openapi: 3.0.1
info:
  title: t
  version: "1"
paths:
  /global/a.b.S.queryOne:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                id:
                  type: integer
                  format: int64
              required:
                - id
      responses:
        "200":
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ROne"
  /global/a.b.S.queryTwo:
    post:
      responses:
        "200":
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/RTwo"
components:
  schemas:
    ROne:
      type: object
      properties:
        code:
          type: string
        data:
          type: object
          properties:
            name:
              type: string
    RTwo:
      type: object
      properties:
        data:
          type: array
          items:
            type: string
servers:
  - url: https://example.invalid
`

// Ensure a spec cut short at any byte is rejected as invalid, or reads as
// no change when the cut only loses the trailing "servers" section: a
// truncated publish must never read as operations or fields removed.
//
// The one exception is inherent: a cut right after a line that completes a
// schema ("type: object" of the last component, its properties lost) leaves
// a document that is valid OpenAPI in every respect; no parser can tell it
// from a real change. The test pins that this is the only such window.
func TestTruncatedAtEveryByte(t *testing.T) {
	full := []byte(yamlSpec)
	for cut := range len(full) {
		r := specdiff.Compare(full, full[:cut])
		if !r.Valid() || len(r.Changes) == 0 {
			continue
		}
		if strings.HasSuffix(strings.TrimRight(yamlSpec[:cut], " \n"), "    RTwo:\n      type: object") {
			continue
		}
		t.Errorf("cut at %d (...%q) read as valid with %d change(s), first %+v", cut, yamlSpec[max(0, cut-30):cut], len(r.Changes), r.Changes[0])
	}
}
