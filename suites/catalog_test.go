package suites

import (
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
