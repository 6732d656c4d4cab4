package suites

import (
	"fmt"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/suites/check"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

// catalogLabel marks the table-driven catalog specs, so `--label-filter
// catalog` selects them and `!catalog` keeps a run to the curated suite.
const catalogLabel = "catalog"

// gatewayRoutingCodes are the gateway's answers for an operation it does not
// route (GATEWAY_CODE_010 no such interface, GATEWAY_CODE_002 no such
// service): the operation the catalog promises has vanished, a contract break.
var gatewayRoutingCodes = map[string]bool{"GATEWAY_CODE_010": true, "GATEWAY_CODE_002": true}

// CatalogOperations are the read-only client operations of the schema catalog
// that the curated suite does not cover, sorted by bizType: the table the
// catalog specs are built from. Their area and labels come from the catalog.
func CatalogOperations(set *schemas.Set) ([]Operation, error) {
	curated, err := ClientOperations(set)
	if err != nil {
		return nil, err
	}
	skip := make(map[string]bool, len(curated))
	for _, op := range curated {
		skip[op.BizType] = true
	}
	var ops []Operation
	for _, cat := range set.Operations("client") {
		if cat.ReadOnly && !skip[cat.BizType] {
			ops = append(ops, Operation{Operation: cat})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].BizType < ops[j].BizType })
	return ops, nil
}

// Write verbs that refuse a catalog operation even when the catalog says it
// is read-only: a second, independent opinion, because calling a write by
// mistake against a live tenant is the one failure this suite must never
// have. pureWriteVerbs refuse an operation wherever they appear as a word of
// its method name; nounWriteVerbs only as its first word (its verb), since
// the vendor also uses them as nouns after a read verb (queryOrderPage,
// getWithdrawCurrencyList, checkOrder).
var (
	pureWriteVerbs = map[string]bool{"add": true, "create": true, "update": true, "edit": true, "del": true,
		"delete": true, "remove": true, "cancel": true, "send": true, "bind": true, "unbind": true, "set": true,
		"submit": true, "confirm": true, "save": true, "modify": true, "reset": true, "insert": true}
	nounWriteVerbs = map[string]bool{"transfer": true, "trade": true, "order": true, "apply": true,
		"withdraw": true, "deposit": true, "close": true, "open": true}
)

// WriteVerb returns the write verb in method (a bizType's last segment, e.g.
// queryOrderPage), if any. A raw Dubbo path's service prefix
// (DepositAppDubboService/queryDepositProposal) is not part of the method.
func WriteVerb(method string) (string, bool) {
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		method = method[i+1:]
	}
	words := camelWords(method)
	for i, w := range words {
		if pureWriteVerbs[w] || (i == 0 && nounWriteVerbs[w]) {
			return w, true
		}
	}
	return "", false
}

// camelWords splits a camelCase or kebab-case name into lower-case words.
func camelWords(s string) []string {
	var words []string
	start := 0
	flush := func(end int) {
		if end > start {
			words = append(words, strings.ToLower(s[start:end]))
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-' || c == '_':
			flush(i)
			start = i + 1
		case c >= 'A' && c <= 'Z':
			flush(i)
			start = i
		}
	}
	flush(len(s))
	return words
}

// registerCatalog adds one spec per catalog operation: a single call with the
// catalog's minimal request body (facts filled in as for the curated suite),
// checked for HTTP 200, the envelope schema and invariants and, when the call
// succeeded, the data schema and the accepted shape.
//
// A catalog operation's minimal body has only the fields the spec marks
// required, and a live tenant may want more (a fund id, a date range) or may
// not have the feature at all. So a vendor refusal is a finding only when it
// is a gateway routing code (the operation vanished); any other business code
// skips the spec, recording the vendor's code and message, rather than
// turning every tenant's missing feature into a red contract.
func registerCatalog(env *Env, f *facts, ops []Operation) {
	const container = "read-only catalog operations"
	Describe(container, func() {
		for _, op := range ops {
			text := op.BizType + " answers a read-only call within its contract"
			env.note(container+" "+text, op)
			if !env.includes(op) {
				continue // another shard's operation
			}
			labels := append(op.Labels(), catalogLabel)
			if !env.selects(labels) {
				continue // the label filter leaves it out
			}
			It(text, Label(labels...), func(ctx SpecContext) {
				// Recorded even when the spec skips before calling, so every
				// check names its operation.
				obs := contract.Observation{Operation: op.BizType, Family: op.Family}
				defer recordObservation(&obs)
				if verb, bad := WriteVerb(op.Method()); bad {
					Skip(fmt.Sprintf("refused: the method name has the write verb %q although the catalog marks it read-only", verb))
				}
				if op.Path != "global" && op.Path != schemas.CatsGatewayPath {
					Skip(fmt.Sprintf("the catalog gives %s no gateway path (path %q), so it cannot be called through /global", op.BizType, op.Path))
				}
				if strings.Contains(op.BizType, "/") {
					Skip(fmt.Sprintf("%s is a raw Dubbo path, not a gateway bizType the client can address", op.BizType))
				}
				if env.Client == nil {
					Skip("client credentials are absent")
				}
				o := env.call(ctx, env.Client, op, env.requestBody(ctx, f, env.Client, op), mmapi.CallOptions{})
				obs = o.observation(op)
				failIfUnavailable(o)
				failUnlessEnvelope(env, op, o, &obs)

				ev, err := o.envelopeCheck(env.Schemas)
				Expect(err).NotTo(HaveOccurred(), "validating the envelope of %s", op.BizType)
				vs := append(append([]contract.Violation(nil), ev...), o.invariantsCheck()...)
				if len(vs) > 0 {
					obs.Violations = vs
					Fail(fmt.Sprintf("%s broke the envelope contract in %d place(s):\n%s", op.BizType, len(vs), describeViolations(vs)))
				}

				if ve, ok := o.vendorError(); ok {
					if gatewayRoutingCodes[ve.Code] {
						obs.Violations = []contract.Violation{check.VendorError(ve.Code, "the gateway no longer routes an operation the catalog lists")}
						Fail(fmt.Sprintf("%s is not routed any more: bizCode=%q code=%q msg=%q", op.BizType, ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
					}
					Skip(fmt.Sprintf("the vendor refused the catalog's minimal request: bizCode=%q code=%q msg=%q",
						ve.BizCode, ve.Code, oneline.First(env.Redactor.Text(ve.Msg), oneline.MaxMessage)))
				}

				vs, err = o.dataCheck(env.Schemas, op)
				Expect(err).NotTo(HaveOccurred(), "validating the data of %s", op.BizType)
				obs.Violations = vs
				Expect(vs).To(matchers.HoldContract(matchers.SchemaOf(op.Family, op.BizType)), "data of %s", op.BizType)

				if env.Drift != nil {
					if o.driftErr != nil {
						Fail(fmt.Sprintf("%s: inferring the response shape: %v", op.BizType, o.driftErr))
					}
					obs.Shape, obs.Drift = o.shape, o.drift
					failOnBreakingDrift(op, &obs)
				}
			}, SpecTimeout(env.CallTimeout()))
		}
	})
}
