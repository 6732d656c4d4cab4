package schemas

import (
	"io/fs"

	"github.com/mmcontract/mmcontract/internal/contract"
)

// ReferenceEnvelope is ValidateEnvelope by gojsonschema alone, for the
// differential tests.
func (s *Set) ReferenceEnvelope(body []byte) ([]contract.Violation, error) {
	e, err := s.compiled(s.envelope)
	if err != nil {
		return nil, err
	}
	return s.validateReference(e, body, "", "body")
}

// ReferenceData is ValidateData by gojsonschema alone.
func (s *Set) ReferenceData(fam, bizType string, data []byte) ([]contract.Violation, error) {
	e, ok := s.dataEntry(fam, bizType)
	if !ok {
		return s.ValidateData(fam, bizType, data) // the same error
	}
	if _, err := s.compiled(e); err != nil {
		return nil, err
	}
	return s.validateReference(e, dataDoc(data), "/data", "data")
}

// CheckedEnvelope reports whether the compiled checker itself answers for
// body as an envelope, without falling back to the reference.
func (s *Set) CheckedEnvelope(body []byte) bool {
	e, err := s.compiled(s.envelope)
	if err != nil || e.prog == nil {
		return false
	}
	_, ok := s.check(e.prog, body, "")
	return ok
}

// CompileReferences compiles every schema with gojsonschema, the work the
// eager Load did before the compiled checker, for BenchmarkLoad's "before".
func (s *Set) CompileReferences() error {
	files := []string{s.envelope.file}
	for _, f := range s.families {
		for _, e := range f.data {
			files = append(files, e.file)
		}
	}
	for _, file := range files {
		b, err := fs.ReadFile(s.fsys, file)
		if err != nil {
			return err
		}
		var r reference
		if _, err := r.schema(b); err != nil {
			return err
		}
	}
	return nil
}
