package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/suites/matchers"
)

// loginOperation is the Client API login as the login spec labels it: its
// catalog entry, but read-only and smoke, because the spec makes no call of
// its own. It checks the response of the login every run makes anyway, so
// it is safe against production and part of every monitor tick.
func loginOperation(env *Env) (Operation, error) {
	cat, ok := env.Schemas.Operation("client", mmapi.LoginOperation.BizType)
	if !ok {
		return Operation{}, fmt.Errorf("client suite: %s has no schema in the catalog", mmapi.LoginOperation.BizType)
	}
	cat.ReadOnly = true
	return Operation{Operation: cat, Smoke: true}, nil
}

// registerLogin adds the login response's contract: the envelope, its
// invariants, and the data schema, which requires the session token and the
// refresh token (customer.app.CustomerWebApiService.login's overlay). The
// exchange is the client's own first login (mmapi.Client.LoginExchange),
// recorded redacted like every other: token and rToken are masked by key
// before any output sees them.
func registerLogin(env *Env, op Operation) {
	env.describe(op, op.title()+" (the run's own login)", op.Labels(), func() {
		It("answers the login within its contract, with a token and a refresh token", func(ctx SpecContext) {
			obs := contract.Observation{Operation: op.BizType, Family: op.Family}
			defer recordObservation(&obs)
			if env.Client == nil {
				Skip("no Client API credentials")
			}
			if env.setupProblem() != nil {
				// No call goes out when the set-up is known to be wrong;
				// the check says why, as every other check does.
				o := env.call(ctx, env.Client, op, nil, mmapi.CallOptions{})
				obs = o.observation(op)
				failIfUnavailable(o)
			}
			loginErr := env.Client.Login(ctx)
			ex := env.Client.LoginExchange()
			if ex == nil {
				if loginErr != nil {
					Fail("logging in: " + env.Redactor.Text(loginErr.Error()))
				}
				Skip("the run uses a configured token (MM_TOKEN) instead of logging in: there is no login response to check")
			}
			o := env.outcomeOf(op, ex, loginErr, mmapi.CallOptions{})
			obs = o.observation(op)
			failIfUnavailable(o)
			failUnlessEnvelope(env, op, o, &obs)
			ev, err := o.envelopeCheck(env.Schemas)
			Expect(err).NotTo(HaveOccurred(), "validating the envelope of the login")
			vs := append(append([]contract.Violation(nil), ev...), o.invariantsCheck()...)
			if len(vs) > 0 {
				obs.Violations = vs
				Fail(fmt.Sprintf("the login broke the envelope contract in %d place(s):\n%s", len(vs), describeViolations(vs)))
			}
			if ve, ok := o.vendorError(); ok {
				Fail(fmt.Sprintf("the login was refused: bizCode=%q code=%q msg=%q", ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
			}
			vs, err = o.dataCheck(env.Schemas, op)
			Expect(err).NotTo(HaveOccurred(), "validating the data of the login")
			obs.Violations = vs
			Expect(vs).To(matchers.HoldContract(matchers.SchemaOf(op.Family, op.BizType)), "data of the login")
		}, SpecTimeout(env.CallTimeout()))
	})
}
