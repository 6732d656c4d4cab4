package schemas_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mmcontract/mmcontract/schemas"
	"github.com/mmcontract/mmcontract/schemas/openapi"
)

// simulated are the operations the embedded simulator serves (issue 2 §3).
var simulated = []struct{ bizType, version, group string }{
	{"customer.app.CustomerWebApiService.findCustomerInfo", "0.0.1", ""},
	{"customer.app.CustomerExtendWebApiService.findCustomerExtend", "0.0.1", ""},
	{"customer.app.CustomerApiWebService.page", "0.0.1", ""},
	{"customer.app.KycWebApiService.findAllBizKycList", "0.0.1", ""},
	{"customer.app.CustomerOptionalWebApiService.optionalList", "0.0.1", ""},
	{"customer.app.CustomerWalletWebApiService.walletList", "0.0.1", ""},
	{"customer.app.WithdrawBankWebApiService.bankList", "0.0.1", ""},
	{"config.app.AppSymbolDubboService.getSymbolBaseList", "0.0.1", ""},
	{"config.app.AppSymbolDubboService.getSymbolList", "0.0.1", ""},
	{"config.app.AppSymbolDubboService.getSymbolDetail", "0.0.2", ""},
	{"config.app.AppAssetsDubboService.getAssetsList", "0.0.1", ""},
	{"config.app.AppDictDubboService.getListByParentCode", "0.0.1", ""},
	{"fund.app.DepositAppDubboService.getDepositCoinList", "0.0.1", ""},
	{"fund.app.WithdrawAppDubboService.getWithdrawCurrencyList", "0.0.1", ""},
	{"fund.app.FundExchangeRateQueryService.getExchangeRateList", "0.0.1", ""},
	{"message.app.CompanyNoticeApiService.customerViewNoticePage", "0.0.1", ""},
	{"tradeapi.app.PositionApiService.queryPositionPage", "0.0.1", "tradeApi"},
}

// Ensure our schemas agree field by field with the vendor's spec for the
// simulated operations, except where an overlay documents a correction:
// every difference between a plain import and the committed schema lies
// under a pointer an overlay names.
func TestSimulatedOperationsAgreeWithVendor(t *testing.T) {
	set := mustLoad(t)
	spec := vendorFile(t, "MultiMarkets-ClientAPI.openapi.en.yaml")
	plain, err := openapi.Import(spec, "client", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range simulated {
		t.Run(s.bizType, func(t *testing.T) {
			op, ok := set.Operation("client", s.bizType)
			if !ok {
				t.Fatal("not in the catalog")
			}
			if op.Version != s.version || op.Group != s.group || !op.ReadOnly {
				t.Errorf("catalog: version %q group %q readOnly %v; want %q %q true", op.Version, op.Group, op.ReadOnly, s.version, s.group)
			}
			var ours, theirs any
			b, _ := set.DataSchema("client", s.bizType)
			if err := json.Unmarshal(b, &ours); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(plain["client/"+schemas.FileName(s.bizType)], &theirs); err != nil {
				t.Fatal(err)
			}
			var diffs []string
			diff("", theirs, ours, &diffs)
			covered := overlayPointers(t, s.bizType)
			for _, d := range diffs {
				if !underAny(d, covered) {
					t.Errorf("schema differs from the vendor spec at %s with no overlay naming it", d)
				}
			}
		})
	}
}

func overlayPointers(t *testing.T, bizType string) []string {
	b, err := os.ReadFile("client/overlays/" + bizType + ".yaml")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	rules, err := openapi.ParseOverlay(b)
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, r := range rules {
		if r.Merge == nil {
			ps = append(ps, r.Pointer) // set: the whole subtree is ours
			continue
		}
		for k := range r.Merge { // merge: only the keywords it sets
			ps = append(ps, r.Pointer+"/"+k)
		}
	}
	return ps
}

func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// diff records the pointers at which a and b differ.
func diff(p string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, p)
		}
		return
	}
	keys := map[string]bool{}
	for k := range am {
		keys[k] = true
	}
	for k := range bm {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		diff(fmt.Sprintf("%s/%s", p, strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")), am[k], bm[k], out)
	}
}
