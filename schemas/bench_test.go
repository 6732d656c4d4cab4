package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func BenchmarkValidateFindCustomerInfo(b *testing.B) {
	set := mustLoad(b)
	data := []byte(`{"id":1176,"customerNo":"86001175","companyId":360,"email":null,"phone":"138****","country":"CN","kycStatus":2,"createTime":1648777706190,
"accountList":[{"accountId":1031717,"tradeType":5,"currency":"USDT","digits":4,"balance":"2904321.4696","available":"2904318.4696","equity":"2904318.4696","frozen":"3.0000","status":2,"openAccountStatus":true,"createTime":1648777706190,"customerId":1176,"companyId":360,"assetsId":13,"remark":null}]}`)
	body := []byte(`{"bizCode":"","code":"0","msg":"Success","tm":12,"trace":"t-1","msgParams":null,"ok":true,"fail":false,"data":` + string(data) + `}`)
	b.ReportAllocs()
	for b.Loop() {
		if vs, err := set.ValidateEnvelope(body); err != nil || len(vs) > 0 {
			b.Fatal(err, vs)
		}
		if vs, err := set.ValidateData("client", "customer.app.CustomerWebApiService.findCustomerInfo", data); err != nil || len(vs) > 0 {
			b.Fatal(err, vs)
		}
	}
}

func BenchmarkValidateSymbolBaseList10k(b *testing.B) {
	set := mustLoad(b)
	items := make([]string, 10000)
	for i := range items {
		items[i] = fmt.Sprintf(`{"symbolId":%d,"pointRatio":0,"customerGroupIds":null,"dealMode":4,"baseCurrency":"DOGE","bidSpread":"0","labels":"crypto","symbolGroupIds":null,"enableShortLoan":0,"symbolCode":"S%d","fundId":null,"etf":false,"enableLongLoan":0,"dividend":0,"profitCurrency":"USDT","symbolName":"S%d","sortNum":%d,"symbolDigits":4,"askSpread":"0","tradeType":5}`, i, i, i, i)
	}
	data := []byte("[" + strings.Join(items, ",") + "]")
	if !json.Valid(data) {
		b.Fatal("bad fixture")
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if vs, err := set.ValidateData("client", "config.app.AppSymbolDubboService.getSymbolBaseList", data); err != nil || len(vs) > 0 {
			b.Fatal(err, vs)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustLoad(b)
	}
}
