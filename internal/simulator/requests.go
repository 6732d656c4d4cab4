package simulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mmcontract/mmcontract/internal/oneline"
)

// requestValid holds a request body to the operation's request schema from
// the catalog (Options.Schemas): its required fields, types, enums and size
// bounds, as the spec documents them. A body that breaks it is refused with
// GATEWAY_CODE_015, its message naming the first violation, so a client (and
// mmcontract's own suites, whose every request body the tests hold to the
// spec this way) learns what it sent wrong. Without CheckRequests and
// Schemas, or for an operation without a request schema, every body passes.
func (s *Simulator) requestValid(w http.ResponseWriter, c *call, raw []byte) bool {
	msg, bad := s.requestViolation(c, raw)
	if bad {
		s.writeEnvelope(w, http.StatusOK, c, &envelope{bizCode: bizGateway, code: codeParamsInvalid, msg: msg,
			trace: c.trace, data: c.route.bizType, fail: true})
	}
	return !bad
}

// requestViolation is requestValid's judgement without the reply: the
// refusal's message naming the first violation, and whether there is one.
// An envelope other than the gateway's (the quote service's) writes its own
// refusal with the same message.
func (s *Simulator) requestViolation(c *call, raw []byte) (string, bool) {
	if !s.opts.CheckRequests || s.opts.Schemas == nil || c.route.bizType == "" {
		return "", false
	}
	if _, ok := s.opts.Schemas.RequestSchema(c.family(), c.route.bizType); !ok {
		return "", false
	}
	vs, err := s.opts.Schemas.ValidateRequest(c.family(), c.route.bizType, raw)
	if err != nil {
		return errorMsg[codeParamsInvalid], true
	}
	if len(vs) == 0 {
		return "", false
	}
	v := vs[0]
	pointer := v.Pointer
	if pointer == "" {
		pointer = "(root)"
	}
	return fmt.Sprintf("%s: %s %s: %s", errorMsg[codeParamsInvalid], pointer, v.Keyword, oneline.First(v.Message, oneline.MaxMessage)), true
}

// family is the API family of the request's schemas, from its mount.
func (c *call) family() string {
	switch p := c.r.URL.Path; {
	case strings.HasPrefix(p, "/openapi-b/"):
		return "manager"
	case strings.HasPrefix(p, "/openapi-c/"):
		return "openapi"
	case c.route.kind == auth2RouteKind:
		return "auth2"
	}
	return "client"
}
