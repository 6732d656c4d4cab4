package main

import (
	"encoding/json"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/quote"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
)

// validateQuoteFrame makes the checks a run makes of one quote socket
// frame: a text push is parsed into its object and its data checked
// against the kind's schema; a JSON answer is checked against frame.json
// and its data against the kind's.
func validateQuoteFrame(set *schemas.Set, op schemas.Operation, frame []byte) (validateReport, error) {
	rep := validateReport{Family: op.Family, Operation: op.BizType, Holds: true}
	add := func(name, note string, vs []contract.Violation) {
		if vs == nil {
			vs = []contract.Violation{}
		}
		rep.Checks = append(rep.Checks, validateCheck{Check: name, Holds: len(vs) == 0, Note: note, Violations: vs})
		rep.Holds = rep.Holds && len(vs) == 0
	}
	m := quote.Classify(quote.Frame{Data: frame})
	switch {
	case m.Err != nil:
		add("frame", "neither a JSON answer nor a p/pt/pd/pr push", []contract.Violation{{Pointer: "", Keyword: "frame_syntax",
			Expected: "a JSON response frame or a push", Seen: m.Err.Error()}})
	case m.Response != nil:
		fv, err := check.Frame(set, op.Family, frame)
		if err != nil {
			return rep, err
		}
		add("frame", "", fv)
		vs, err := check.Data(set, op.Family, op.BizType, fv, m.Response.OK(), m.Response.Data)
		if err != nil {
			return rep, err
		}
		add("data", "", vs)
	default:
		for _, p := range m.Pushes {
			var doc struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(p.AppendJSON(nil), &doc); err != nil {
				return rep, err
			}
			vs, err := check.Data(set, op.Family, p.Kind.SchemaKind(), nil, true, doc.Data)
			if err != nil {
				return rep, err
			}
			add("data", "push "+string(p.Kind)+"(…), checked against "+p.Kind.SchemaKind(), vs)
		}
	}
	return rep, nil
}
