package suites

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/mmapi"
)

// registerReplayWindow adds the specs that prove the gateway still refuses
// replayed requests: one timestamped long ago (GATEWAY_CODE_014, "request
// expired") and one without a timestamp (GATEWAY_CODE_009, a required
// header missing). They are labelled replay as well as negative; the
// client sends such requests only here, on purpose.
func registerReplayWindow(env *Env, op Operation) {
	fc := familyClient{client: env.Client, missing: "no Client API credentials"}
	labels := append(op.Labels(), "negative", "replay")
	send := func(ctx SpecContext, o mmapi.CallOptions) *outcome {
		if fc.client == nil {
			Skip(fc.missing)
		}
		o.NoRelogin = true
		return env.call(ctx, fc.client, op, map[string]any{}, o)
	}
	env.describe(op, op.title()+" outside the replay window", labels, func() {
		It("refuses a request timestamped 10 minutes ago with "+mmapi.CodeRequestExpired, func(ctx SpecContext) {
			o := send(ctx, mmapi.CallOptions{Timestamp: time.Now().Add(-staleBy)})
			expectRefused(env, op, o, "a request timestamped 10 minutes ago", mmapi.CodeRequestExpired)
		}, SpecTimeout(env.CallTimeout()))
		It("refuses a request without a timestamp with "+mmapi.CodeHeaderMissing, func(ctx SpecContext) {
			if fc.client != nil && fc.client.Encrypted() {
				// Its signature covers the timestamp, so the transport
				// always sends one; the simulator's tests cover the refusal.
				Skip("the encrypted mode always sends a timestamp: its signature covers it")
			}
			o := send(ctx, mmapi.CallOptions{NoTimestamp: true})
			expectRefused(env, op, o, "a request without a timestamp", mmapi.CodeHeaderMissing)
		}, SpecTimeout(env.CallTimeout()))
	})
}
