package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// customerInfoBody is a realistic findCustomerInfo envelope (~3 KB): every
// documented data field, with a few trading accounts.
func customerInfoBody() []byte {
	var accounts []string
	for i := 0; i < 6; i++ {
		accounts = append(accounts, fmt.Sprintf(`{"accountId":%d,"accountType":1,"currency":"USD","accountDigits":2,`+
			`"balance":"1024.5%d","equity":"1100.25","margin":"0","leverage":100,"status":1,"remark":"main account %d"}`, 900100+i, i, i))
	}
	return []byte(`{"bizCode":"","code":"0","msg":"Success","tm":1677654224398,"trace":"x-8e544ed3-057a-48ed-ade2-27d3998f7411",` +
		`"msgParams":null,"data":{"id":1176,"companyId":439,"customerGroupId":12,"customerNo":"86001175","kycAuditStatus":2,` +
		`"kycAuditRemark":"","kycStatus":4,"kycRemark":"authenticated","accountList":[` + strings.Join(accounts, ",") + `],` +
		`"accountRemark":"has account","loginPassStatus":"2","payPassStatus":"2","email":"zhang.san@example.com",` +
		`"phone":"13812345678","phoneArea":"+86","name":"Zhang San","country":"CN","type":0,"deposit":1,"withdraw":1,` +
		`"optional":0,"activateStatus":1,"activateTime":1654081061854,"companyKycStatus":1,"status":1,` +
		`"thirdServerCode":"tb-20230301-0001","source":"web","thirdLoginSource":"google","thirdUserId":"1029384756",` +
		`"idCard":"110101199003071234","idCardType":"1","thirdIntactMsg":"{\"sub\":\"1029384756\",\"email\":\"zhang.san@example.com\"}",` +
		`"firstName":"San","lastName":"Zhang","isFund":0,"assertPassStatus":"2","googleId":0,"openAccountType":0,` +
		`"loginTime":1677654224184,"createTime":1654081061854,"relationCustomerId":null,"companyType":"1",` +
		`"registerSource":1,"associationCompanyId":null,"registerTime":1654081061854,"utmSource":"organic",` +
		`"forceLevel":{"level":1,"ratio":"0.5"},"earlyWarningLevel":{"level":1,"ratio":"0.8"},` +
		`"withdrawLevel":{"level":2,"ratio":"1.0"},"postalCode":"100000","customerAgentMark":"","apiCheckSwitch":false,` +
		`"apiCheckRule":"1,2"},"ok":true,"fail":false}`)
}

// listBody is a ~1 MB list response: trade records with a customer e-mail
// and name on every row, most values distinct.
func listBody() []byte {
	var b strings.Builder
	b.WriteString(`{"code":"0","msg":"Success","ok":true,"data":{"total":5000,"records":[`)
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"orderId":%d,"symbolName":"BINAN_SOL_USDT","direction":%d,"openPrice":"22.%02d","tradeVolume":"0.1",`+
			`"fee":"-0.0668","profit":"%d.25","createTime":%d,"email":"user%d@example.com","name":"Customer %d","remark":"auto"}`,
			14460000+i, 1+i%2, i%100, i%50, 1677570581000+int64(i), i%40, i%40)
	}
	b.WriteString(`],"size":5000,"current":1}}`)
	return []byte(b.String())
}

// BenchmarkJSONCustomerInfo measures a typical response with learned values
// already known (the steady state of a run).
func BenchmarkJSONCustomerInfo(b *testing.B) {
	r := New(DefaultConfig())
	body := customerInfoBody()
	r.JSON(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.JSON(body)
	}
}

// BenchmarkJSONList1MB measures a 1 MB list body.
func BenchmarkJSONList1MB(b *testing.B) {
	r := New(DefaultConfig())
	body := listBody()
	r.JSON(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.JSON(body)
	}
}

// BenchmarkText500 measures scrubbing a 4 KB log chunk with 500 learned
// values, one of which occurs.
func BenchmarkText500(b *testing.B) {
	r := New(DefaultConfig())
	for i := 0; i < 500; i++ {
		r.Learn(fmt.Sprintf("learned-value-%04d@example.com", i))
	}
	text := strings.Repeat("2024-09-05T10:00:00Z INFO request bizType=customer.app.CustomerWebApiService.findCustomerInfo status=200\n", 38) +
		"failure: expected learned-value-0250@example.com to equal x\n"
	r.Text(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Text(text)
	}
}

// BenchmarkLearnRebuild measures the cost of learning one new value with
// 500 known, which rebuilds the automaton on the next Text.
func BenchmarkLearnRebuild(b *testing.B) {
	r := New(DefaultConfig())
	for i := 0; i < 500; i++ {
		r.Learn(fmt.Sprintf("learned-value-%04d@example.com", i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Learn(fmt.Sprintf("new-%d", i))
		r.Text("x")
	}
}

// BenchmarkKnownIndented measures the learned-value scan a run makes of each
// report it writes (Known), on an indented 1 MB report with 500 values
// learned and more learned since the last full build (both tiers scanned).
func BenchmarkKnownIndented(b *testing.B) {
	r := New(DefaultConfig())
	for i := 0; i < 500; i++ {
		r.Learn(fmt.Sprintf("learned-value-%04d@example.com", i), fmt.Sprintf("8600%04d", i))
	}
	r.Known("x")
	r.Learn("Customer 7", "tb-20230301-0001")
	var ind bytes.Buffer
	if err := json.Indent(&ind, listBody(), "", "  "); err != nil {
		b.Fatal(err)
	}
	text := ind.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.Known(text)
	}
}
