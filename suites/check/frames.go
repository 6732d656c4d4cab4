package check

import (
	"fmt"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/schemas"
)

// MemberSchemas is what Content needs of *schemas.Set.
type MemberSchemas interface {
	ValidateMember(family, kind, member string, raw []byte) ([]contract.Violation, error)
}

var _ MemberSchemas = (*schemas.Set)(nil)

// Content is the payload check of a websocket frame whose payload is not
// under "data" (the Open API trade-message socket's "content"), given the
// frame check's result: a frame that breaks its frame schema fails this
// check with those violations, as Data does for an envelope.
func Content(s MemberSchemas, family, kind, member string, frame []contract.Violation, raw []byte) ([]contract.Violation, error) {
	if len(frame) > 0 {
		return frame, nil
	}
	vs, err := s.ValidateMember(family, kind, member, raw)
	if err != nil {
		return nil, fmt.Errorf("validating the %s of a %s %s frame: %w", member, family, kind, err)
	}
	schemas.SortViolations(vs)
	return vs, nil
}
