package specdiff_test

import (
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

// Ensure a spec cut short at any byte is either rejected as invalid or, when
// the cut leaves a complete document, shows nothing removed: a truncated
// publish must never read as operations or fields removed.
func TestTruncatedAtEveryByte(t *testing.T) {
	full := []byte(yamlSpec)
	for cut := range len(full) {
		r := specdiff.Compare(full, full[:cut])
		if !r.Valid() {
			continue
		}
		for _, c := range r.Changes {
			if c.Change == specdiff.Removed || c.Change == specdiff.TypeChanged {
				t.Errorf("cut at %d (%q) read as %s %s %s %q", cut, yamlSpec[max(0, cut-20):cut], c.Operation, c.Location, c.Change, c.Pointer)
				break
			}
		}
	}
}
