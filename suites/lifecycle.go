package suites

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/verdict"
	"github.com/mmcontract/mmcontract/suites/check"
)

// lifecycle is one spec that is a sequence of linked calls (Schemathesis'
// stateful links): each step's request is built from earlier responses.
// Every response is checked like a single-call spec's (envelope schema,
// data schema, invariants, breaking drift) and recorded; the spec records
// one observation, of its failing (or last) step, carrying the whole story.
type lifecycle struct {
	env *Env
	// subject is the operation the lifecycle is about: its check's
	// operation, whichever step fails (each step's is in the story).
	subject string
	c       caller
	steps   []contract.StoryStep
	cur     *contract.Observation
	drift   []contract.Drift // every step's
}

// newLifecycle starts a lifecycle spec. Its observation is recorded in a
// cleanup registered first, so it runs last: after the cleanups the steps
// register, and even when a step fails.
func newLifecycle(env *Env, subject string) *lifecycle {
	if env.Client == nil {
		Skip("no Client API credentials")
	}
	l := &lifecycle{env: env, c: env.Client, subject: subject}
	DeferCleanup(func() {
		if l.cur == nil {
			return
		}
		obs := *l.cur
		obs.Operation, obs.Shape, obs.Drift = l.subject, nil, l.drift
		if len(l.drift) > 0 && obs.Outcome == "" {
			obs.Outcome = verdict.Drifted
		}
		obs.Story = l.steps
		recordObservation(&obs)
	})
	return l
}

// operation is the client catalog's entry for bizType.
func (l *lifecycle) operation(bizType string) Operation {
	op, ok := l.env.Schemas.Operation("client", bizType)
	if !ok {
		Fail(fmt.Sprintf("the client catalog has no operation %s", bizType))
	}
	return Operation{Operation: op}
}

// step calls bizType with body as the step named name, checks the response
// and decodes its data into out (nil: not needed). It fails the spec, as
// that step, at the first check that does not hold.
func (l *lifecycle) step(ctx SpecContext, name, bizType string, body map[string]any, out any) {
	By(name)
	op := l.operation(bizType)
	o := l.env.call(ctx, l.c, op, body, mmapi.CallOptions{})
	obs := o.observation(op)
	obs.Step = name
	l.cur = &obs
	l.steps = append(l.steps, contract.StoryStep{Step: name, Operation: op.BizType, Outcome: verdict.Pass, Exchange: obs.Exchange, Shape: o.shape})
	if obs.Outcome != "" {
		l.mark(obs.Outcome, obs.Reason)
	}
	failIfUnavailable(o)
	defer l.markOnFailure()
	failUnlessEnvelope(l.env, op, o, &obs)
	vs, err := o.envelopeCheck(l.env.Schemas)
	if err != nil {
		Fail(fmt.Sprintf("%s: validating the envelope of %s: %v", name, op.BizType, err))
	}
	if len(vs) > 0 {
		l.fail(vs, "%s: the envelope of %s breaks its schema", name, op.BizType)
	}
	if ve, ok := o.vendorError(); ok {
		l.fail([]contract.Violation{check.VendorError(ve.Code, check.RefusedTradeStep)},
			"%s: %s answered with vendor error bizCode=%q code=%q msg=%q", name, op.BizType, ve.BizCode, ve.Code, l.env.Redactor.Text(ve.Msg))
	}
	if vs, err = o.dataCheck(l.env.Schemas, op); err != nil {
		Fail(fmt.Sprintf("%s: validating the data of %s: %v", name, op.BizType, err))
	}
	if len(vs) > 0 {
		l.fail(vs, "%s: the data of %s breaks its schema", name, op.BizType)
	}
	if vs := o.invariantsCheck(); len(vs) > 0 {
		l.fail(vs, "%s: %s broke %d envelope invariant(s)", name, op.BizType, len(vs))
	}
	l.drift = append(l.drift, o.drift...)
	if breaking, _ := check.Shape(o.drift); len(breaking) > 0 {
		l.fail(nil, "%s: %s drifted in a breaking way:\n  %s", name, op.BizType, strings.Join(breaking, "\n  "))
	}
	if out != nil {
		if err := json.Unmarshal(o.ex.Envelope.Data, out); err != nil {
			l.fail([]contract.Violation{{Pointer: "/data", Keyword: "type", Expected: "the documented data",
				Seen: oneline.First(err.Error(), oneline.MaxMessage), Message: "the data does not decode"}},
				"%s: decoding the data of %s: %v", name, op.BizType, err)
		}
	}
}

// expect fails the spec as the current step when vs is not empty.
func (l *lifecycle) expect(vs []contract.Violation, format string, a ...any) {
	if len(vs) > 0 {
		l.fail(vs, format, a...)
	}
}

// fail records vs on the current step and fails the spec.
func (l *lifecycle) fail(vs []contract.Violation, format string, a ...any) {
	if vs != nil {
		l.cur.Violations = vs
	}
	msg := fmt.Sprintf(format, a...)
	if len(vs) > 0 {
		msg += ":\n" + describeViolations(vs)
	}
	l.mark(verdict.Broken, msg)
	Fail(msg)
}

// mark sets the last step's outcome.
func (l *lifecycle) mark(v verdict.Verdict, msg string) {
	s := &l.steps[len(l.steps)-1]
	s.Outcome, s.Message = v, oneline.First(msg, oneline.MaxMessage)
}

// markOnFailure marks the current step broken when a shared helper (which
// knows nothing of stories) failed the spec.
func (l *lifecycle) markOnFailure() {
	if r := recover(); r != nil {
		if s := &l.steps[len(l.steps)-1]; s.Outcome == verdict.Pass {
			l.mark(verdict.Broken, fmt.Sprint(CurrentSpecReport().Failure.Message))
		}
		panic(r)
	}
}
