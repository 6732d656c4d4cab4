package suites

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/mmcontract/mmcontract/internal/mmapi"
)

// facts are values some requests need that only the vendor knows: the
// customer's group, a trade type the account has, a symbol that exists. They
// are read once per run from findCustomerInfo and getSymbolBaseList, so the
// suite needs no per-tenant configuration; a failed lookup falls back to the
// vendor's documented example values and the dependent spec says what it sent.
type facts struct {
	once            sync.Once
	CompanyID       int64
	CustomerGroupID int64
	TradeType       int64
	SymbolID        int64
}

func (f *facts) load(ctx context.Context, c caller) {
	f.once.Do(func() {
		f.CompanyID, f.CustomerGroupID, f.TradeType, f.SymbolID = 1, 1, 1, 1
		if c == nil {
			return
		}
		var customer struct {
			CompanyID       *int64 `json:"companyId"`
			CustomerGroupID *int64 `json:"customerGroupId"`
			// An array of accounts, or the {} the spec documents: the
			// customer's group is a fact either way.
			AccountList json.RawMessage `json:"accountList"`
		}
		if dataOf(ctx, c, "customer.app.CustomerWebApiService.findCustomerInfo", map[string]any{}, &customer) {
			if customer.CustomerGroupID != nil {
				f.CustomerGroupID = *customer.CustomerGroupID
			}
			if customer.CompanyID != nil {
				f.CompanyID = *customer.CompanyID
			}
			var accounts []struct {
				TradeType *int64 `json:"tradeType"`
			}
			_ = json.Unmarshal(customer.AccountList, &accounts)
			for _, a := range accounts {
				if a.TradeType != nil {
					f.TradeType = *a.TradeType
					break
				}
			}
		}
		var symbols []struct {
			SymbolID  *int64 `json:"symbolId"`
			TradeType *int64 `json:"tradeType"`
		}
		if dataOf(ctx, c, "config.app.AppSymbolDubboService.getSymbolBaseList", map[string]any{"customerGroupId": f.CustomerGroupID}, &symbols) {
			for _, s := range symbols {
				if s.SymbolID != nil && s.TradeType != nil {
					f.SymbolID, f.TradeType = *s.SymbolID, *s.TradeType
					break
				}
			}
		}
	})
}

func dataOf(ctx context.Context, c caller, bizType string, body any, into any) bool {
	ex, err := c.CallWith(ctx, mmapi.Operation{Family: "client", BizType: bizType}, body, mmapi.CallOptions{})
	if err != nil || ex == nil || ex.Envelope == nil {
		return false
	}
	return json.Unmarshal(ex.Envelope.Data, into) == nil
}

// requestBody returns the body for op: the catalog's minimal body, with the
// fields whose values must come from the vendor filled from facts. Facts are
// looked up only when the body needs one, so an operation like
// findCustomerInfo never waits on other operations (which matters when the
// vendor stalls: each lookup would cost a full timeout).
func (f *facts) requestBody(ctx context.Context, c caller, op Operation) map[string]any {
	body := op.catalogBody()
	needs := false
	for _, k := range factKeys {
		_, one := body[k]
		_, list := body[k+"List"]
		needs = needs || one || list
	}
	if !needs {
		return body
	}
	f.load(ctx, c)
	fill := map[string]int64{
		"companyId":       f.CompanyID,
		"customerGroupId": f.CustomerGroupID,
		"tradeType":       f.TradeType,
		"symbolId":        f.SymbolID,
	}
	for k, v := range fill {
		if placeholder, ok := body[k]; ok {
			body[k] = asPlaceholder(v, placeholder)
		}
		// A list the spec requires non-empty holds one placeholder: the
		// fact asks the tenant about something it has (optionalList's
		// tradeTypeList).
		if list, ok := body[k+"List"].([]any); ok && len(list) == 1 {
			if _, isObject := list[0].(map[string]any); !isObject {
				body[k+"List"] = []any{asPlaceholder(v, list[0])}
			}
		}
	}
	return body
}

// requestBody is f.requestBody unless the run's set-up is known to be wrong:
// then no call, not even a fact lookup, goes out.
func (e *Env) requestBody(ctx context.Context, f *facts, c caller, op Operation) map[string]any {
	if e.setupProblem() != nil {
		return nil
	}
	return f.requestBody(ctx, c, op)
}

// factKeys are the request fields filled from facts, and with "List" the
// one-element lists filled with the fact.
var factKeys = []string{"companyId", "customerGroupId", "tradeType", "symbolId"}

// asPlaceholder is the fact v typed as the catalog's placeholder is, which
// is typed as the spec types the field: the vendor types some ids as
// strings (getPageView's symbolId).
func asPlaceholder(v int64, placeholder any) any {
	if _, isString := placeholder.(string); isString {
		return strconv.FormatInt(v, 10)
	}
	return v
}
