package schemas

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/xeipuuv/gojsonschema"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// reference is a schema compiled by gojsonschema. gojsonschema is kept for
// three reasons: it is the reference implementation the compiled checker is
// tested against (differential_test.go), it validates any schema that uses a
// keyword outside the checker's subset, and it answers for documents the
// strict scanner refuses, whose meaning it defines (last duplicate key wins,
// invalid UTF-8 read as U+FFFD). It parses every number into a big.Rat and
// builds a tree of the whole body, which is why it is not the everyday path.
type reference struct {
	once sync.Once
	sc   *gojsonschema.Schema
	err  error
}

func (r *reference) schema(raw []byte) (*gojsonschema.Schema, error) {
	r.once.Do(func() {
		r.sc, r.err = gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw))
	})
	return r.sc, r.err
}

// validateReference validates doc with gojsonschema: the behaviour the
// compiled checker reproduces.
func (s *Set) validateReference(e *entry, doc []byte, prefix, what string) ([]contract.Violation, error) {
	sc, err := e.ref.schema(e.raw)
	if err != nil {
		return nil, fmt.Errorf("schemas: %s: compile: %w", e.file, err)
	}
	if !json.Valid(doc) {
		return []contract.Violation{{
			Pointer:  prefix,
			Keyword:  "json",
			Expected: "JSON",
			Seen:     s.describeNonJSON(doc),
			Message:  what + " is not valid JSON",
		}}, nil
	}
	res, err := sc.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return nil, fmt.Errorf("schemas: validate %s: %w", what, err)
	}
	if res.Valid() {
		return nil, nil
	}
	return s.violations(res.Errors(), prefix), nil
}
