package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/suites/check"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

// Auth2Config is the third-party application the auth2 specs sign the
// run's customer in for (MM_AUTH2_APP_ID, MM_AUTH2_APP_SECRET).
type Auth2Config struct {
	AppID, AppSecret string
	// ThirdAppType is /auth2/code's thirdAppType; "" means
	// DefaultThirdAppType.
	ThirdAppType string
}

// DefaultThirdAppType is the thirdAppType of the vendor's authorization
// page example (…/auth2/code?appId=…&thirdAppType=HG).
const DefaultThirdAppType = "HG"

// missing is why the auth2 specs cannot run, naming the variables to set,
// or "".
func (c Auth2Config) missing() string {
	var unset []string
	if c.AppID == "" {
		unset = append(unset, "MM_AUTH2_APP_ID")
	}
	if c.AppSecret == "" {
		unset = append(unset, "MM_AUTH2_APP_SECRET")
	}
	if len(unset) == 0 {
		return ""
	}
	return "no Auth2 application: " + strings.Join(unset, " and ") + " not set (the Auth2 specs never open a browser; they need the app's id and secret)"
}

// The Auth2 flow's steps in order, each one's catalog bizType and what
// its data must carry. None is smoke: the smoke run stays one call per
// family it has always covered.
var auth2Steps = []struct {
	step, bizType, carries string
}{
	{mmapi.Auth2Code, "auth2/code", "an authorization code"},
	{mmapi.Auth2Token, "auth2/token", "an access and a refresh token"},
	{mmapi.Auth2User, "auth2/user", "the customer's number"},
	{mmapi.Auth2Refresh, "auth2/refresh", "a new access and refresh token"},
}

// Tokens and codes the vendor cannot have issued, for the refusal specs.
const (
	neverGrantedCode = "00000000-0000-4000-8000-000000000000"
	neverIssuedToken = "00000000-0000-4000-8000-000000000001"
	wrongAuth2Secret = "mmcontract-wrong-auth2-secret-0000"
)

// auth2Flow runs the Auth2 flow once per run, each step when a spec first
// needs it (a step's specs need the step before it): code → token → user,
// and token → refresh. A flake retry of a spec repeats its step.
type auth2Flow struct {
	env *Env
	cfg Auth2Config
	ops map[string]Operation // by step

	mu   sync.Mutex
	done map[string]*outcome
}

// registerAuth2 adds the Auth2 specs: the flow's steps, each checked like
// any operation plus the flow's own needs (check.Auth2*), and the refusals
// of a code never granted, a wrong secret and an access token never issued.
func registerAuth2(env *Env) error {
	f := &auth2Flow{env: env, cfg: env.Auth2, ops: map[string]Operation{}, done: map[string]*outcome{}}
	if f.cfg.ThirdAppType == "" {
		f.cfg.ThirdAppType = DefaultThirdAppType
	}
	env.Redactor.Learn(f.cfg.AppSecret)
	for _, s := range auth2Steps {
		op, ok := env.Schemas.Operation("auth2", s.bizType)
		if !ok {
			return fmt.Errorf("auth2 suite: %s has no schema in the catalog", s.bizType)
		}
		// The steps grant and exchange credentials for the run's own
		// customer and change nothing else, like the login.
		op.ReadOnly = true
		f.ops[s.step] = Operation{Operation: op}
	}
	for _, s := range auth2Steps {
		f.registerStep(s.step, s.carries)
	}
	f.registerRefusals()
	return nil
}

// ready skips the spec when the flow cannot run.
func (f *auth2Flow) ready() {
	if reason := f.cfg.missing(); reason != "" {
		Skip(reason)
	}
	if f.env.Client == nil {
		Skip("no Client API credentials: /auth2/code needs the customer's login")
	}
}

// run returns the outcome of step, calling it, and the steps it needs
// first, when no spec has yet.
func (f *auth2Flow) run(ctx context.Context, step string) *outcome {
	f.mu.Lock()
	o := f.done[step]
	f.mu.Unlock()
	if o != nil && CurrentSpecReport().NumAttempts <= 1 {
		return o
	}
	var body map[string]any
	switch step {
	case mmapi.Auth2Code:
		body = map[string]any{"appId": f.cfg.AppID, "thirdAppType": f.cfg.ThirdAppType}
	case mmapi.Auth2Token:
		body = map[string]any{"appId": f.cfg.AppID, "appSecret": f.cfg.AppSecret, "code": f.value(ctx, mmapi.Auth2Code, "")}
	case mmapi.Auth2User:
		body = map[string]any{"accessToken": f.value(ctx, mmapi.Auth2Token, "accessToken")}
	case mmapi.Auth2Refresh:
		body = map[string]any{"refreshToken": f.value(ctx, mmapi.Auth2Token, "refreshToken")}
	}
	o = f.call(ctx, step, body)
	f.mu.Lock()
	f.done[step] = o
	f.mu.Unlock()
	return o
}

// call performs one Auth2 step. It is not retried: the steps grant and
// spend one-time credentials, and a reset after the request went out may
// hide a code already spent. The token and user steps carry no session
// token, so a refusal of theirs is never the run's credentials being
// rejected (NoRelogin keeps Env.rejectedSession out of it).
func (f *auth2Flow) call(ctx context.Context, step string, body map[string]any) *outcome {
	o := mmapi.CallOptions{NoRetry: true, NoRelogin: step == mmapi.Auth2Token || step == mmapi.Auth2User}
	return f.env.call(ctx, f.env.Client, f.ops[step], body, o)
}

// value is what the next step needs of step's answer (the code, or the
// token under key), calling step when no spec has yet.
func (f *auth2Flow) value(ctx context.Context, step, key string) string {
	return f.valueOf(step, f.run(ctx, step), key)
}

// valueOf is value of an outcome of step already had. A step that could
// not give it ends the spec that needs it: as the step's set-up problem or
// unavailability, else skipped, since the step's own checks say why.
func (f *auth2Flow) valueOf(step string, o *outcome, key string) string {
	endIfNotCalled(f.ops[step], o)
	var v string
	if o.err == nil && o.ex != nil && o.ex.Envelope != nil {
		v = check.Auth2Value(o.ex.Envelope.Data, key)
	}
	if v == "" {
		what := key
		if what == "" {
			what = "code"
		}
		Skip(fmt.Sprintf("not called: %s gave no %s (its own checks say why)", f.ops[step].BizType, what))
	}
	return v
}

// endIfNotCalled ends the spec as its set-up problem or as unavailable,
// with o's observation, when o (a step the spec needed first) met one:
// what stopped the step stops the spec, for the same reason.
func endIfNotCalled(op Operation, o *outcome) {
	_, setup := o.setupProblem()
	_, down := o.unavailable()
	if !setup && !down {
		return
	}
	obs := o.observation(op)
	defer recordObservation(&obs)
	failIfUnavailable(o)
}

// stepTimeout bounds a step's spec: its own call and the ones before it.
func (f *auth2Flow) stepTimeout() SpecTimeout {
	return SpecTimeout(3 * f.env.CallTimeout())
}

// registerStep adds one step's specs: the envelope schema, the data schema
// with the step's own needs, the envelope invariants and the shape.
func (f *auth2Flow) registerStep(step, carries string) {
	env, op := f.env, f.ops[step]
	get := func(ctx SpecContext) (*outcome, contract.Observation) {
		f.ready()
		o := f.run(ctx, step)
		return o, o.observation(op)
	}
	env.describe(op, op.title(), op.Labels(), func() {
		It("answers HTTP 200 with an envelope that matches the envelope schema", func(ctx SpecContext) {
			o, obs := get(ctx)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			failUnlessEnvelope(env, op, o, &obs)
			vs, err := o.envelopeCheck(env.Schemas)
			Expect(err).NotTo(HaveOccurred(), "validating the envelope of %s", op.BizType)
			obs.Violations = vs
			Expect(vs).To(matchers.HoldContract(matchers.EnvelopeSchema), "envelope of %s", op.BizType)
		}, f.stepTimeout())

		It("returns data that matches the data schema and carries "+carries, func(ctx SpecContext) {
			o, obs := get(ctx)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			failUnlessResponse(env, op, o)
			if ve, ok := o.vendorError(); ok {
				obs.Violations = []contract.Violation{check.VendorError(ve.Code, "Auth2 refused a step of the flow made as documented")}
				Fail(fmt.Sprintf("%s answered with vendor error bizCode=%q code=%q msg=%q", op.BizType, ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
			}
			vs, err := o.dataCheck(env.Schemas, op)
			Expect(err).NotTo(HaveOccurred(), "validating the data of %s", op.BizType)
			if o.ex.Envelope != nil && len(vs) == 0 {
				vs = f.ownCheck(ctx, step, o)
			}
			obs.Violations = vs
			Expect(vs).To(matchers.HoldContract(matchers.SchemaOf(op.Family, op.BizType)), "data of %s", op.BizType)
		}, f.stepTimeout())

		It("keeps the envelope invariants", func(ctx SpecContext) {
			o, obs := get(ctx)
			defer recordObservation(&obs)
			failOnInvariants(env, op, o, &obs)
		}, f.stepTimeout())

		It("keeps the accepted response shape", func(ctx SpecContext) {
			o, obs := get(ctx)
			defer recordObservation(&obs)
			takeShape(env, op, o, &obs)
			if f.nothingToCompare(op) {
				// Every field would read as undocumented drift, run after
				// run, which teaches on-call to ignore the check.
				obs.Drift = nil
				Skip(fmt.Sprintf("%s: no baseline, and its data schema is still open ({}), so the shape has nothing to be compared with: accept a baseline (mmcontract baseline accept) to watch it", op.BizType))
			}
			failOnBreakingDrift(op, &obs)
		}, f.stepTimeout())
	})
}

// baselineKnower is the part of the run's drift checker that says whether
// an operation has an accepted baseline.
type baselineKnower interface {
	HasBaseline(family, bizType string) bool
}

// nothingToCompare reports whether op's shape can only be compared with an
// open data schema: no accepted baseline, and a schema that describes
// nothing (the vendor's spec declares every Auth2 data as an empty object).
func (f *auth2Flow) nothingToCompare(op Operation) bool {
	if bk, ok := f.env.Drift.(baselineKnower); ok && bk.HasBaseline(op.Family, op.BizType) {
		return false
	}
	raw, ok := f.env.Schemas.DataSchema(op.Family, op.BizType)
	if !ok {
		return false
	}
	var schema map[string]json.RawMessage
	if json.Unmarshal(raw, &schema) != nil {
		return false
	}
	delete(schema, "$schema")
	return len(schema) == 0
}

// ownCheck is the step's own data check (check.Auth2*).
func (f *auth2Flow) ownCheck(ctx context.Context, step string, o *outcome) []contract.Violation {
	data := o.ex.Envelope.Data
	switch step {
	case mmapi.Auth2Code:
		return check.Auth2Code(data)
	case mmapi.Auth2Token:
		return check.Auth2Tokens(data, "")
	case mmapi.Auth2User:
		return check.Auth2User(data)
	}
	return check.Auth2Tokens(data, f.value(ctx, mmapi.Auth2Token, "accessToken"))
}

// registerRefusals adds the refusals a client can provoke without harm.
// The vendor documents no Auth2 error codes, so any refusal passes and its
// code is recorded; accepting the request is the break.
func (f *auth2Flow) registerRefusals() {
	env := f.env
	tokenOp, userOp := f.ops[mmapi.Auth2Token], f.ops[mmapi.Auth2User]
	env.describe(tokenOp, tokenOp.title()+" with bad Auth2 credentials", append(tokenOp.Labels(), "negative"), func() {
		It("refuses an authorization code it never granted", func(ctx SpecContext) {
			f.ready()
			o := f.call(ctx, mmapi.Auth2Token, map[string]any{"appId": f.cfg.AppID, "appSecret": f.cfg.AppSecret, "code": neverGrantedCode})
			expectRefused(env, tokenOp, o, "an authorization code it never granted")
		}, SpecTimeout(env.CallTimeout()))
		It("refuses a wrong appSecret", func(ctx SpecContext) {
			f.ready()
			// A code of its own: the flow's is spent by its token step.
			granted := f.call(ctx, mmapi.Auth2Code, map[string]any{"appId": f.cfg.AppID, "thirdAppType": f.cfg.ThirdAppType})
			code := f.valueOf(mmapi.Auth2Code, granted, "")
			o := f.call(ctx, mmapi.Auth2Token, map[string]any{"appId": f.cfg.AppID, "appSecret": wrongAuth2Secret, "code": code})
			expectRefused(env, tokenOp, o, "a wrong appSecret")
		}, SpecTimeout(2*env.CallTimeout()))
	})
	env.describe(userOp, userOp.title()+" with a bad access token", append(userOp.Labels(), "negative"), func() {
		It("refuses an access token it never issued", func(ctx SpecContext) {
			f.ready()
			o := f.call(ctx, mmapi.Auth2User, map[string]any{"accessToken": neverIssuedToken})
			expectRefused(env, userOp, o, "an access token it never issued")
		}, SpecTimeout(env.CallTimeout()))
	})
}

// expectRefused fails the spec unless the vendor refused (ok false) what
// describes, with one of codes, or with any code when none is given.
func expectRefused(env *Env, op Operation, o *outcome, what string, codes ...string) {
	obs := o.observation(op)
	defer recordObservation(&obs)
	failIfUnavailable(o)
	failUnlessResponse(env, op, o)
	want := "a refusal (ok false)"
	if len(codes) > 0 {
		want = strings.Join(codes, " or ")
	}
	ve, refused := o.vendorError()
	if refused && (len(codes) == 0 || slices.Contains(codes, ve.Code)) {
		return
	}
	msg := "the vendor accepted " + what
	if refused {
		msg = "the vendor refused " + what + " with an undocumented code"
	}
	obs.Violations = []contract.Violation{{Pointer: "/code", Keyword: "refusal", Expected: want, Seen: obs.EnvelopeCode, Message: msg}}
	Fail(fmt.Sprintf("%s: %s: want %s, got code %q", op.BizType, msg, want, obs.EnvelopeCode))
}
