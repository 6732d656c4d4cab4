package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/mmcontract/mmcontract/internal/contract"
	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/internal/oneline"
	"github.com/mmcontract/mmcontract/internal/signing"
	"github.com/mmcontract/mmcontract/schemas"
)

// Skip reasons of the signed families when their credentials are absent.
const (
	missingOpenAPI = "no Open API credentials: set MM_API_KEY and MM_API_SECRET"
	missingManager = "no Manager API credentials: set MM_APP_ID and MM_APP_SECRET"
)

// openAPIOperations are the Open API operations of the suite. They reuse
// the Client API's schemas; getMsgPushToken exists only in the Open API and
// its data is a bare string, checked by its own spec.
var openAPIOperations = []struct {
	bizType string
	area    string
	smoke   bool
	body    map[string]any // nil: the catalog's minimal body
}{
	{"customer.app.CustomerWebApiService.findCustomerInfo", "customer", true, nil},
	// {current, size} also exercises the signature's field sorting.
	{"customer.app.CustomerApiWebService.page", "customer", false, map[string]any{"size": 10, "current": 1}},
	{"config.app.AppSymbolDubboService.getSymbolBaseList", "market", false, nil},
}

// getMsgPushTokenOp is the Open API message token operation.
var getMsgPushTokenOp = Operation{Operation: schemas.Operation{Family: "openapi", BizType: "getMsgPushToken",
	Path: "global", Area: "message", ReadOnly: true, Request: json.RawMessage("{}")}}

// managerOperations are the Manager API operations of the suite (read-only).
var managerOperations = []struct {
	bizType string
	smoke   bool
}{
	{"config.admin.AdminDictDubboService.getListByParentCode", false},
	{"config.admin.AdminAssetsDubboService.getAssetsList", false},
	{"config.admin.AdminSymbolDubboService.getSymbolByCompanyId", false},
	{"customer.admin.WhiteCustomerAdminApiService.page", false},
	{"customer.admin.WhiteCustomerAdminApiService.detail", false},
	{"customer.admin.CustomerGroupAdminApiService.groupList", false},
	{"customer.admin.CustomerAdminApiService.queryAccountList", false},
}

const managerAuthBizType = "admin.admin.CompanyAuthDubboService.auth"

// OpenAPIOperations resolves the Open API suite's operations (without
// getMsgPushToken) in the catalog.
func OpenAPIOperations(env *Env) ([]Operation, []map[string]any, error) {
	ops := make([]Operation, 0, len(openAPIOperations))
	bodies := make([]map[string]any, 0, len(openAPIOperations))
	for _, o := range openAPIOperations {
		op, ok := env.Schemas.Operation("openapi", o.bizType)
		if !ok {
			return nil, nil, fmt.Errorf("open api suite: %s has no schema in the catalog", o.bizType)
		}
		op.Family, op.Area, op.ReadOnly, op.Path = "openapi", o.area, true, "global"
		ops = append(ops, Operation{Operation: op, Smoke: o.smoke})
		bodies = append(bodies, o.body)
	}
	return ops, bodies, nil
}

// ManagerOperations resolves the Manager suite's operations, auth first.
func ManagerOperations(env *Env) ([]Operation, error) {
	auth, ok := env.Schemas.Operation("manager", managerAuthBizType)
	if !ok {
		return nil, fmt.Errorf("manager suite: %s has no schema in the catalog", managerAuthBizType)
	}
	// The auth call changes nothing on the vendor's side.
	auth.ReadOnly = true
	ops := []Operation{{Operation: auth, Smoke: true}}
	for _, m := range managerOperations {
		op, ok := env.Schemas.Operation("manager", m.bizType)
		if !ok {
			return nil, fmt.Errorf("manager suite: %s has no schema in the catalog", m.bizType)
		}
		ops = append(ops, Operation{Operation: op, Smoke: m.smoke})
	}
	return append(ops, managerQuoteOperations(env.Schemas)...), nil
}

// registerSigned adds the Open API and Manager API specs.
func registerSigned(env *Env) error {
	oaOps, bodies, err := OpenAPIOperations(env)
	if err != nil {
		return err
	}
	mgrOps, err := ManagerOperations(env)
	if err != nil {
		return err
	}
	oa := familyClient{client: env.OpenAPI, missing: missingOpenAPI}
	for i, op := range oaOps {
		body := bodies[i]
		if body == nil {
			body = op.catalogBody()
		}
		registerOperationWith(env, op, oa, func(SpecContext, caller) any { return body })
	}
	registerPushToken(env, oa)
	registerOpenAPINegative(env, oaOps[0])

	mgr := familyClient{client: env.Manager, missing: missingManager}
	for _, op := range mgrOps {
		var body any // nil: the auth call with the configured appId/appSecret
		switch {
		case op.Envelope == schemas.EnvelopeQuote:
			body = op.Body // the documented query; the catalog's {token, query} are its URL parameters
		case op.BizType != managerAuthBizType:
			body = op.catalogBody()
		}
		registerOperationWith(env, op, mgr, func(SpecContext, caller) any { return body })
	}
	registerNegativeAuthWith(env, mgrOps[1], mgr, "00000000-0000-4000-8000-000000000000admin")
	return nil
}

// registerPushToken checks getMsgPushToken: the vendor documents its data
// as a bare string, a UUID followed by "push".
func registerPushToken(env *Env, fc familyClient) {
	op := getMsgPushTokenOp
	env.describe(op, op.title(), op.Labels(), func() {
		It("returns a message token: a string ending in \"push\"", func(ctx SpecContext) {
			if fc.client == nil {
				Skip(fc.missing)
			}
			o := env.call(ctx, fc.client, op, map[string]any{}, mmapi.CallOptions{})
			obs := o.observation(op)
			defer recordObservation(&obs)
			failIfUnavailable(o)
			if ve, ok := o.vendorError(); ok {
				Fail(fmt.Sprintf("%s answered with vendor error bizCode=%q code=%q msg=%q", op.BizType, ve.BizCode, ve.Code, env.Redactor.Text(ve.Msg)))
			}
			if o.ex == nil || o.ex.Envelope == nil {
				Fail(fmt.Sprintf("%s: no envelope", op.BizType))
			}
			var tok string
			if err := json.Unmarshal(o.ex.Envelope.Data, &tok); err != nil || !strings.HasSuffix(tok, "push") || len(tok) <= len("push") {
				obs.Violations = []contract.Violation{{Pointer: "/data", Keyword: "push_token", Expected: `a string ending in "push"`,
					Seen: oneline.First(string(env.Redactor.JSON(o.ex.Envelope.Data)), oneline.MaxMessage), Message: "getMsgPushToken data is not a message token"}}
				Fail(fmt.Sprintf("%s: data is not a string ending in \"push\"", op.BizType))
			}
			env.Redactor.Learn(tok) // a session credential for the message websocket
		}, SpecTimeout(env.CallTimeout()))
	})
}

// staleBy is how far back the stale-timestamp spec dates its request: far
// outside the default 5 s recvWindow and the 60 s maximum, yet plainly a
// clock problem rather than garbage.
const staleBy = 10 * time.Minute

// unknownAPIKey is an apiKey the vendor cannot have issued.
const unknownAPIKey = "mmcontract-unknown-api-key-00000000"

// registerOpenAPINegative adds the Open API refusals a client can provoke
// safely: a bad signature, a stale timestamp and an unknown key. The others
// (no permission, too frequent, expired, illegal IP) need vendor-side state
// or would burn the key's quota; the simulator's tests cover them.
func registerOpenAPINegative(env *Env, op Operation) {
	labels := append(op.Labels(), "negative")
	var (
		otherKeyOnce sync.Once
		otherKey     *mmapi.Client
		otherKeyErr  error
	)
	variant := func(apiKey string, wrongKey bool) *mmapi.Client {
		if env.OpenAPI == nil || env.OpenAPIVariant == nil {
			Skip(missingOpenAPI)
		}
		if !wrongKey {
			c, err := env.OpenAPIVariant(apiKey, nil)
			if err != nil {
				Fail("building an Open API client: " + env.Redactor.Text(err.Error()))
			}
			return c
		}
		otherKeyOnce.Do(func() {
			k, err := signing.ParsePrivateKey(neverIssuedKey)
			if err != nil {
				otherKeyErr = err
				return
			}
			otherKey, otherKeyErr = env.OpenAPIVariant("", k)
		})
		if otherKeyErr != nil {
			Fail("building an Open API client with another key: " + env.Redactor.Text(otherKeyErr.Error()))
		}
		return otherKey
	}
	refused := func(ctx context.Context, c caller, o mmapi.CallOptions) *outcome {
		o.NoRetry = true
		return env.call(ctx, c, op, map[string]any{}, o)
	}
	env.describe(op, op.title()+" with bad Open API authentication", labels, func() {
		It("refuses a request signed with another key with "+string(signing.CodeSignatureFailed), func(ctx SpecContext) {
			o := refused(ctx, variant("", true), mmapi.CallOptions{})
			expectRefusal(env, op, o, string(signing.CodeSignatureFailed))
		}, SpecTimeout(env.CallTimeout()))
		It("refuses a request timestamped 10 minutes ago with "+string(signing.CodeOutsideWindow), func(ctx SpecContext) {
			if env.OpenAPI == nil {
				Skip(missingOpenAPI)
			}
			o := refused(ctx, env.OpenAPI, mmapi.CallOptions{Timestamp: time.Now().Add(-staleBy)})
			expectRefusal(env, op, o, string(signing.CodeOutsideWindow))
		}, SpecTimeout(env.CallTimeout()))
		It("refuses an unknown apiKey with "+string(signing.CodeUnknownAPIKey), func(ctx SpecContext) {
			o := refused(ctx, variant(unknownAPIKey, false), mmapi.CallOptions{})
			expectRefusal(env, op, o, string(signing.CodeUnknownAPIKey))
		}, SpecTimeout(env.CallTimeout()))
	})
}
