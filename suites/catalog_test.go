package suites

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas"
)

// Ensure the write-verb guard refuses writes wherever their verb appears,
// and lets through reads whose nouns look like write verbs.
func TestWriteVerb(t *testing.T) {
	tests := []struct {
		method string
		verb   string
	}{
		{"queryOrderPage", ""},
		{"getWithdrawCurrencyList", ""},
		{"checkOrder", ""},
		{"getAssetsList", ""},
		{"queryHistoryCloseOrderList", ""},
		{"DepositAppDubboService/queryDepositProposal", ""},
		{"get-user-amount", ""},
		{"findCustomerInfo", ""},
		{"addOrder", "add"},
		{"createWithdrawProposal", "create"},
		{"queryAndUpdateStatus", "update"},
		{"getOrSetConfig", "set"},
		{"confirmFundsApplyExecuteInfo", "confirm"},
		{"del", "del"},
		{"transferToAccount", "transfer"},
		{"orderList", "order"},
		{"withdrawApply", "withdraw"},
		{"openAccount", "open"},
		{"closePosition", "close"},
		{"cancel-order", "cancel"},
		{"bindEmail", "bind"},
		{"sendSmsCode", "send"},
		{"submitKyc", "submit"},
		{"removeOptional", "remove"},
	}
	for _, tt := range tests {
		verb, bad := WriteVerb(tt.method)
		if verb != tt.verb || bad != (tt.verb != "") {
			t.Errorf("WriteVerb(%q) = %q, %t; want %q, %t", tt.method, verb, bad, tt.verb, tt.verb != "")
		}
	}
}

// Ensure the catalog table is every read-only client operation the curated
// suite leaves out, each once, in a stable order, and that no operation the
// catalog calls mutating ever reaches it.
func TestCatalogOperations(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	curated, err := ClientOperations(set)
	if err != nil {
		t.Fatal(err)
	}
	inCurated := map[string]bool{}
	for _, op := range curated {
		inCurated[op.BizType] = true
	}
	want := 0
	for _, cat := range set.Operations("client") {
		if cat.ReadOnly && !inCurated[cat.BizType] {
			want++
		}
	}
	ops, err := CatalogOperations(set)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != want || want == 0 {
		t.Fatalf("%d catalog operations, want %d (and more than 0)", len(ops), want)
	}
	for i, op := range ops {
		if !op.ReadOnly || inCurated[op.BizType] {
			t.Errorf("%s: read-only %t, curated %t", op.BizType, op.ReadOnly, inCurated[op.BizType])
		}
		if i > 0 && ops[i-1].BizType >= op.BizType {
			t.Errorf("not sorted or duplicated at %s", op.BizType)
		}
		for _, l := range append(op.Labels(), catalogLabel) {
			if l == "" || strings.ContainsAny(l, "&|!,()/") {
				t.Errorf("%s: label %q is not a valid Ginkgo label", op.BizType, l)
			}
		}
	}
}

// Ensure the bodies the suites build from the catalog follow the spec where
// the importer used to disagree with it: paging fields typed as the spec
// types them (getPageView's current and size are strings), lists the spec
// requires non-empty sent with an element (optionalList, getExchangeRateList,
// whose currency pair is a real one), facts typed as the placeholder they
// replace; and that each validates against the operation's request schema.
func TestCatalogBodiesFollowTheSpec(t *testing.T) {
	set, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	curated, err := ClientOperations(set)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := CatalogOperations(set)
	if err != nil {
		t.Fatal(err)
	}
	byBiz := map[string]Operation{}
	f := &facts{}
	f.once.Do(func() { f.CompanyID, f.CustomerGroupID, f.TradeType, f.SymbolID = 439, 1, 5, 7 })
	for _, op := range append(curated, catalog...) {
		byBiz[op.BizType] = op
		body, err := json.Marshal(f.requestBody(context.Background(), nil, op))
		if err != nil {
			t.Fatal(err)
		}
		vs, err := set.ValidateRequest(op.Family, op.BizType, body)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Errorf("%s: the body %s breaks its request schema: %s %s", op.BizType, body, v.Pointer, v.Keyword)
		}
	}
	body := func(biz string) map[string]any { return f.requestBody(context.Background(), nil, byBiz[biz]) }
	page := body("config.app.AppJcStrategyDubboService.getPageView")
	if page["current"] != "1" || page["size"] != "10" || page["symbolId"] != "7" {
		t.Errorf("getPageView body %v: want current and size as strings, symbolId the fact as a string", page)
	}
	if l, _ := body("customer.app.CustomerOptionalWebApiService.optionalList")["tradeTypeList"].([]any); len(l) != 1 || l[0] != int64(5) {
		t.Errorf("optionalList tradeTypeList %v, want the customer's trade type, 5", l)
	}
	rates := body("fund.app.FundExchangeRateQueryService.getExchangeRateList")
	pairs, _ := rates["currencies"].([]any)
	if len(pairs) != 1 || pairs[0].(map[string]any)["source"] != "USD" || rates["companyId"] != int64(439) {
		t.Errorf("getExchangeRateList body %v, want one real currency pair and the customer's company", rates)
	}
}
