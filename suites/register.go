package suites

import (
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/suites/check"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

// assertTimeout bounds specs that only inspect an exchange already made.
const assertTimeout = 30 * time.Second

// Register builds the spec tree for env. Call it once, before RunSpecs.
func Register(env *Env) error {
	if env.Schemas == nil || env.Redactor == nil {
		return fmt.Errorf("suites: Env needs Schemas and Redactor")
	}
	ops, err := ClientOperations(env.Schemas)
	if err != nil {
		return err
	}
	// Gomega reports through Ginkgo; outside `go test` nobody else wires it.
	RegisterFailHandler(Fail)
	f := &facts{}
	BeforeEach(func() {
		if reason, refused := env.refuseMutation(CurrentSpecReport().Labels()); refused {
			Skip(reason)
		}
	})
	login, err := loginOperation(env)
	if err != nil {
		return err
	}
	registerLogin(env, login)
	for _, op := range ops {
		registerOperation(env, f, op)
		if op.Login {
			registerNegativeAuth(env, op)
		}
		if op.Smoke && op.Login {
			registerReplayWindow(env, op)
		}
	}
	catalog, err := CatalogOperations(env.Schemas)
	if err != nil {
		return err
	}
	registerCatalog(env, f, catalog)
	registerTrading(env)
	registerQuote(env)
	if err := registerAuth2(env); err != nil {
		return err
	}
	registerOpenMsg(env)
	registerManagerPush(env)
	return registerSigned(env)
}

// registerOperation adds the positive specs for one operation. One call is
// shared by the container's specs, so a run costs one request per operation;
// a flake retry repeats the call.
func registerOperation(env *Env, f *facts, op Operation) {
	registerOperationWith(env, op, familyClient{client: env.Client, missing: "no Client API credentials"},
		func(ctx SpecContext, c caller) any {
			return env.requestBody(ctx, f, c, op)
		})
}

// familyClient is the client a family's specs call, and why they skip when
// it is nil.
type familyClient struct {
	client  *mmapi.Client
	missing string
}

// registerOperationWith adds the positive specs for one operation of any
// family, calling fc's client with the body from body.
func registerOperationWith(env *Env, op Operation, fc familyClient, body func(SpecContext, caller) any) {
	var last *outcome
	get := func(ctx SpecContext) *outcome {
		if fc.client == nil {
			Skip(fc.missing)
		}
		if last == nil || CurrentSpecReport().NumAttempts > 1 {
			var c caller = fc.client
			last = env.call(ctx, c, op, body(ctx, c), mmapi.CallOptions{})
		}
		return last
	}
	env.describe(op, op.title(), op.Labels(), func() {
		It("answers HTTP 200 with a JSON envelope", func(ctx SpecContext) {
			o := get(ctx)
			obs := o.observation(op)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			failUnlessEnvelope(env, op, o, &obs)
		}, SpecTimeout(env.CallTimeout()))

		It("returns an envelope that matches the envelope schema", func(ctx SpecContext) {
			o := get(ctx)
			obs := o.observation(op)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			failUnlessResponse(env, op, o)
			vs, err := o.envelopeCheck(env.Schemas)
			Expect(err).NotTo(HaveOccurred(), "validating the envelope of %s", op.BizType)
			obs.Violations = vs
			Expect(vs).To(matchers.HoldContract(matchers.EnvelopeSchema), "envelope of %s", op.BizType)
		}, SpecTimeout(env.CallTimeout()))

		It("returns data that matches the data schema", func(ctx SpecContext) {
			o := get(ctx)
			obs := o.observation(op)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			failUnlessResponse(env, op, o)
			if ve, ok := o.vendorError(); ok {
				obs.Violations = []contract.Violation{check.VendorError(ve.Code, check.RefusedReadOnly)}
				Fail(fmt.Sprintf("%s answered with vendor error bizCode=%q code=%q msg=%q", op.BizType, ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
			}
			vs, err := o.dataCheck(env.Schemas, op)
			Expect(err).NotTo(HaveOccurred(), "validating the data of %s", op.BizType)
			obs.Violations = vs
			Expect(vs).To(matchers.HoldContract(matchers.SchemaOf(op.Family, op.BizType)), "data of %s", op.BizType)
		}, SpecTimeout(env.CallTimeout()))

		It("keeps the envelope invariants", func(ctx SpecContext) {
			o := get(ctx)
			obs := o.observation(op)
			defer recordObservation(&obs)
			failOnInvariants(env, op, o, &obs)
		}, SpecTimeout(env.CallTimeout()))

		It("keeps the accepted response shape", func(ctx SpecContext) {
			o := get(ctx)
			obs := o.observation(op)
			defer recordObservation(&obs)
			takeShape(env, op, o, &obs)
			failOnBreakingDrift(op, &obs)
		}, SpecTimeout(env.CallTimeout()))
	})
}

// failOnInvariants records the envelope invariants of o on obs and fails
// the spec when one breaks.
func failOnInvariants(env *Env, op Operation, o *outcome, obs *contract.Observation) {
	failIfUnavailable(o)
	failUnlessResponse(env, op, o)
	obs.Violations = o.invariantsCheck()
	if len(obs.Violations) > 0 {
		Fail(fmt.Sprintf("%s broke %d envelope invariant(s):\n%s", op.BizType, len(obs.Violations), describeViolations(obs.Violations)))
	}
}

// takeShape records the shape of o and its drift on obs; the spec skips
// when drift detection is off and fails when no shape could be inferred.
func takeShape(env *Env, op Operation, o *outcome, obs *contract.Observation) {
	failIfUnavailable(o)
	if env.Drift == nil {
		Skip("drift detection is off")
	}
	if o.driftErr != nil {
		Fail(fmt.Sprintf("%s: inferring the response shape: %v", op.BizType, o.driftErr))
	}
	obs.Shape, obs.Drift = o.shape, o.drift
}

// registerNegativeAuth adds the specs that prove the vendor still refuses
// calls without a valid token.
func registerNegativeAuth(env *Env, op Operation) {
	registerNegativeAuthWith(env, op, familyClient{client: env.Client, missing: "no Client API credentials"}, "00000000-0000-4000-8000-000000000000app")
}

// registerNegativeAuthWith adds the token refusal specs for a token family;
// badToken is a well-formed token the vendor never issued.
func registerNegativeAuthWith(env *Env, op Operation, fc familyClient, badToken string) {
	labels := append(op.Labels(), "negative")
	env.describe(op, op.title()+" without valid credentials", labels, func() {
		It("refuses a call without a token with GATEWAY_CODE_001", func(ctx SpecContext) {
			if fc.client == nil {
				Skip(fc.missing)
			}
			// The operation's valid body: only the token is wrong.
			o := env.call(ctx, fc.client, op, op.catalogBody(), mmapi.CallOptions{NoToken: true})
			expectRefusal(env, op, o, "GATEWAY_CODE_001")
		}, SpecTimeout(env.CallTimeout()))
		It("refuses a call with an unknown token with GATEWAY_CODE_005 or GATEWAY_CODE_017", func(ctx SpecContext) {
			if fc.client == nil {
				Skip(fc.missing)
			}
			o := env.call(ctx, fc.client, op, op.catalogBody(), mmapi.CallOptions{Token: badToken, NoRelogin: true})
			expectRefusal(env, op, o, "GATEWAY_CODE_005", "GATEWAY_CODE_017")
		}, SpecTimeout(env.CallTimeout()))
	})
}

func expectRefusal(env *Env, op Operation, o *outcome, codes ...string) {
	obs := o.observation(op)
	defer recordObservation(&obs)
	failIfUnavailable(o)
	ve, ok := o.vendorError()
	if !ok {
		obs.Violations = []contract.Violation{{Pointer: "/code", Keyword: "auth_refusal", Expected: strings.Join(codes, " or "),
			Seen: obs.EnvelopeCode, Message: "the vendor accepted a call that has no valid token"}}
		Fail(fmt.Sprintf("%s: want a refusal with %s, got code %q", op.BizType, strings.Join(codes, " or "), obs.EnvelopeCode))
	}
	for _, c := range codes {
		if ve.Code == c {
			return
		}
	}
	obs.Violations = []contract.Violation{{Pointer: "/code", Keyword: "auth_refusal", Expected: strings.Join(codes, " or "),
		Seen: ve.Code, Message: "the vendor refused with an undocumented code"}}
	Fail(fmt.Sprintf("%s: want a refusal with %s, got bizCode=%q code=%q msg=%q", op.BizType, strings.Join(codes, " or "), ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
}

// failUnlessEnvelope fails the spec unless the vendor answered HTTP 200 with
// a decodable envelope, recording the violation on obs.
func failUnlessEnvelope(env *Env, op Operation, o *outcome, obs *contract.Observation) {
	failUnlessResponse(env, op, o)
	if o.ex.HTTPStatus != 200 {
		obs.Violations = []contract.Violation{{Pointer: "", Keyword: "http_status", Expected: "200",
			Seen: fmt.Sprint(o.ex.HTTPStatus), Message: "the vendor answers every operation with HTTP 200"}}
		Fail(fmt.Sprintf("%s answered HTTP %d, want 200", op.BizType, o.ex.HTTPStatus))
	}
	var ce *mmapi.ContractError
	if errors.As(o.err, &ce) {
		obs.Violations = []contract.Violation{check.Undecodable(oneline.First(ce.Reason, oneline.MaxMessage))}
		Fail(fmt.Sprintf("%s answered HTTP 200 without an envelope: %s", op.BizType, env.Redactor.Text(ce.Reason)))
	}
}

// failUnlessResponse fails the spec when the call got no HTTP response at
// all, which failIfUnavailable has not already ended as unavailable.
func failUnlessResponse(env *Env, op Operation, o *outcome) {
	if o.ex == nil {
		Fail(fmt.Sprintf("no response from %s: %v", op.BizType, env.Redactor.Text(fmt.Sprint(o.err))))
	}
}

// failOnBreakingDrift fails the spec on breaking drift in obs.Drift and marks
// it drifted on any other drift.
func failOnBreakingDrift(op Operation, obs *contract.Observation) {
	breaking, drifted := check.Shape(obs.Drift)
	if len(breaking) > 0 {
		Fail(fmt.Sprintf("%s drifted in a breaking way:\n  %s", op.BizType, strings.Join(breaking, "\n  ")))
	}
	if drifted {
		obs.Outcome = verdict.Drifted
	}
}

// failIfUnavailable ends the spec as unavailable, not broken, when the vendor
// did not answer usefully: an outage must never read as a contract break.
// A wrong set-up (rejected credentials, wrong base URL) ends it as config.
func failIfUnavailable(o *outcome) {
	if ce, ok := o.setupProblem(); ok {
		Fail("set-up problem: " + ce.Message)
	}
	if reason, ok := o.unavailable(); ok {
		Fail("vendor unavailable: " + reason)
	}
}

// recordObservation attaches obs to the running spec. It runs deferred, so
// the entry is there even when the spec fails.
func recordObservation(obs *contract.Observation) {
	AddReportEntry(contract.EntryName, *obs, ReportEntryVisibilityNever)
}

// refuseMutation says whether a spec with these labels must not run: specs
// that change vendor state run only against the simulator or with the
// explicit --allow-mutations opt-in.
func (e *Env) refuseMutation(labels []string) (string, bool) {
	for _, l := range labels {
		if l == "mutating" && !e.Simulator && !e.AllowMutations {
			return "mutating spec refused: the target is not the simulator and --allow-mutations was not given", true
		}
	}
	return "", false
}
