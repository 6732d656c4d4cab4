package suites

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mmcontract/mmcontract/internal/mmapi"
	"github.com/mmcontract/mmcontract/schemas"
)

// Operation is one vendor operation as the specs use it: the catalog entry
// from the schemas plus the labels this suite gives it.
type Operation struct {
	schemas.Operation
	Smoke bool
	// Body holds request fields the curated suite sets over the catalog's
	// placeholders, where a placeholder would ask a real tenant nothing
	// sensible (a currency pair of "x").
	Body map[string]any
}

// Method is the last bizType segment, e.g. findCustomerInfo: the label a
// user filters on. A raw Dubbo path's service prefix is not part of it
// (fund.app.DepositAppDubboService/queryDepositProposal), and a label may
// not contain "/".
func (o Operation) Method() string {
	return o.BizType[strings.LastIndexAny(o.BizType, "./")+1:]
}

// Labels are part of mmcontract's interface: the method, the family, the
// area, readonly or mutating, and smoke.
func (o Operation) Labels() []string {
	labels := []string{o.Method(), o.Family}
	if o.Area != "" {
		labels = append(labels, o.Area)
	}
	if o.ReadOnly {
		labels = append(labels, "readonly")
	} else {
		labels = append(labels, "mutating")
	}
	if o.Smoke {
		labels = append(labels, "smoke")
	}
	if o.Envelope == schemas.EnvelopeQuote {
		labels = append(labels, quoteLabel)
	}
	return labels
}

// title names the operation's spec container. Open API operations share
// their bizTypes with the Client API, so every family but the client's is
// named in the title, keeping spec texts (and check ids) unique.
func (o Operation) title() string {
	if o.Family == "" || o.Family == "client" {
		return o.BizType
	}
	return o.BizType + " (" + o.Family + ")"
}

// catalogBody is a fresh copy of the catalog's minimal request body: the
// spec's required fields with placeholders that satisfy its request schema
// (TestEverySuiteRequestValidates holds every body the suites send to it).
func (o Operation) catalogBody() map[string]any {
	body := map[string]any{}
	_ = json.Unmarshal(o.Request, &body)
	for k, v := range o.Body {
		body[k] = v
	}
	return body
}

func (o Operation) call() mmapi.Operation {
	op := mmapi.Operation{Family: mmapi.Family(o.Family), BizType: o.BizType, Version: o.Version, Group: o.Group, Path: o.Path}
	if o.Envelope == schemas.EnvelopeQuote {
		return quoteCall(o, op)
	}
	return op
}

// clientOperations are the Client API operations of the contract suite, with
// the area label each gets. The catalog supplies version, group and login.
var clientOperations = []struct {
	bizType string
	area    string
	smoke   bool
	body    map[string]any
}{
	{"customer.app.CustomerWebApiService.findCustomerInfo", "customer", true, nil},
	{"customer.app.CustomerExtendWebApiService.findCustomerExtend", "customer", false, nil},
	{"customer.app.CustomerApiWebService.page", "customer", false, nil},
	{"customer.app.KycWebApiService.findAllBizKycList", "customer", false, nil},
	{"customer.app.CustomerOptionalWebApiService.optionalList", "customer", false, nil},
	{"customer.app.CustomerWalletWebApiService.walletList", "customer", false, nil},
	{"customer.app.WithdrawBankWebApiService.bankList", "customer", false, nil},
	{"config.app.AppSymbolDubboService.getSymbolBaseList", "market", true, nil},
	{"config.app.AppSymbolDubboService.getSymbolList", "market", false, nil},
	{"config.app.AppSymbolDubboService.getSymbolDetail", "market", false, nil},
	{"config.app.AppAssetsDubboService.getAssetsList", "market", false, nil},
	{"config.app.AppDictDubboService.getListByParentCode", "market", false, nil},
	{"fund.app.DepositAppDubboService.getDepositCoinList", "funds", false, nil},
	{"fund.app.WithdrawAppDubboService.getWithdrawCurrencyList", "funds", false, nil},
	// The spec requires one to 50 currency pairs; a rate every tenant quotes.
	{"fund.app.FundExchangeRateQueryService.getExchangeRateList", "funds", false,
		map[string]any{"currencies": []any{map[string]any{"source": "USD", "target": "USDT"}}}},
	{"message.app.CompanyNoticeApiService.customerViewNoticePage", "message", false, nil},
	{"tradeapi.app.PositionApiService.queryPositionPage", "trade", false, nil},
}

// ClientOperations resolves the client suite's operations in the catalog.
func ClientOperations(set *schemas.Set) ([]Operation, error) {
	ops := make([]Operation, 0, len(clientOperations))
	for _, c := range clientOperations {
		op, ok := set.Operation("client", c.bizType)
		if !ok {
			return nil, fmt.Errorf("client suite: %s has no schema in the catalog", c.bizType)
		}
		op.Area = c.area
		ops = append(ops, Operation{Operation: op, Smoke: c.smoke, Body: c.body})
	}
	return ops, nil
}
