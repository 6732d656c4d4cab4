package simulator

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// op is one operation the gateway can route to.
type op struct {
	bizType string
	version string // the only version served
	group   string // the group header required ("" for none)
	login   bool   // a live token is required
	build   func(s *Simulator, c *call) (any, error)
}

// Operation names used in code.
const (
	findCustomerInfo  = "customer.app.CustomerWebApiService.findCustomerInfo"
	getSymbolBaseList = "config.app.AppSymbolDubboService.getSymbolBaseList"
)

var loginOp = &op{bizType: loginBizType, version: "0.0.1"}

// ops are the operations served with handcrafted data, modeled on the
// vendor's own examples: exactly the fields its spec documents, money and
// prices as strings where the spec says string, int64 ids and millisecond
// timestamps, and null where the Java backend leaves a field unset.
// Guest-accessible ones (login false) are those the spec marks for visitors;
// operations the spec is silent about require login.
var ops = func() map[string]*op {
	list := []*op{
		{bizType: findCustomerInfo, login: true, build: buildCustomerInfo},
		{bizType: "customer.app.CustomerExtendWebApiService.findCustomerExtend", login: true, build: buildCustomerExtend},
		{bizType: "customer.app.CustomerApiWebService.page", login: true, build: buildAPIKeyPage},
		{bizType: "customer.app.KycWebApiService.findAllBizKycList", login: true, build: buildKycList},
		{bizType: "customer.app.CustomerOptionalWebApiService.optionalList", login: true, build: buildOptionalList},
		{bizType: "customer.app.CustomerWalletWebApiService.walletList", login: true, build: buildWalletList},
		{bizType: "customer.app.WithdrawBankWebApiService.bankList", login: true, build: buildBankList},
		{bizType: getSymbolBaseList, build: buildSymbolBaseList},
		{bizType: "config.app.AppSymbolDubboService.getSymbolList", build: buildSymbolList},
		{bizType: "config.app.AppSymbolDubboService.getSymbolDetail", version: "0.0.2", login: true, build: buildSymbolDetail},
		{bizType: "config.app.AppAssetsDubboService.getAssetsList", login: true, build: buildAssetsList},
		{bizType: "config.app.AppDictDubboService.getListByParentCode", build: buildDictList},
		{bizType: "fund.app.DepositAppDubboService.getDepositCoinList", login: true, build: buildDepositCoinList},
		{bizType: "fund.app.WithdrawAppDubboService.getWithdrawCurrencyList", login: true, build: buildWithdrawCurrencyList},
		{bizType: "fund.app.FundExchangeRateQueryService.getExchangeRateList", build: buildExchangeRateList},
		{bizType: "message.app.CompanyNoticeApiService.customerViewNoticePage", login: true, build: buildNoticePage},
	}
	m := make(map[string]*op, len(list))
	for _, o := range list {
		if o.version == "" {
			o.version = "0.0.1"
		}
		m[o.bizType] = o
	}
	return m
}()

// ServedOperations lists the bizTypes served with handcrafted data, sorted. Operations generated from schemas are not included.
func ServedOperations() []string {
	out := make([]string, 0, len(ops))
	for b := range ops {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// lookupOp resolves a route to an operation, or nil.
func (s *Simulator) lookupOp(rt route) *op {
	switch rt.kind {
	case "login":
		if rt.bizType == loginBizType {
			return loginOp
		}
	case "global":
		if o, ok := ops[rt.bizType]; ok {
			return o
		}
		if o, ok := tradingOps[rt.bizType]; ok {
			return o
		}
		return s.generatedOp(rt)
	}
	return nil
}

// Fixed instants (ms) so that data is identical on every run.
const (
	tRegister  int64 = 1700000000000 // 2023-11-14T22:13:20Z
	tActivate  int64 = 1700000360000
	tDeposit   int64 = 1700086400000
	tWithdraw  int64 = 1700172800000
	tLastLogin int64 = 1717200000000 // 2024-06-01T00:00:00Z
	tConfig    int64 = 1690000000000
	tNotice    int64 = 1716000000000
)

// customerInfo is the findCustomerInfo data object in the spec's field order.
func customerInfo(c *customer, companyID int64) obj {
	return obj{
		{"id", c.CustomerID},
		{"companyId", companyID},
		{"customerGroupId", int64(1)},
		{"customerNo", c.CustomerNo},
		{"kycAuditStatus", 2},
		{"kycAuditRemark", "KYC not required"},
		{"kycStatus", 1},
		{"kycRemark", "Not verified"},
		{"accountList", accountList(c, companyID)},
		{"accountRemark", nil},
		{"loginPassStatus", "2"},
		{"payPassStatus", "2"},
		{"email", nullIfEmpty(c.Email)},
		{"phone", nullIfEmpty(c.Phone)},
		{"phoneArea", c.PhoneArea},
		{"name", nullIfEmpty(c.Name)},
		{"country", c.Country},
		{"type", 0},
		{"deposit", 1},
		{"withdraw", 1},
		{"optional", 1},
		{"activateStatus", 1},
		{"activateTime", tActivate},
		{"companyKycStatus", 2},
		{"status", 1},
		{"thirdServerCode", ""},
		{"source", "H5"},
		{"thirdLoginSource", nil},
		{"thirdUserId", nil},
		{"idCard", nullIfEmpty(c.IDCard)},
		{"idCardType", "1"},
		{"thirdIntactMsg", nil},
		{"firstName", nullIfEmpty(c.FirstName)},
		{"lastName", nullIfEmpty(c.LastName)},
		{"isFund", 0},
		{"assertPassStatus", "2"},
		{"googleId", int64(-1)},
		{"openAccountType", 0},
		{"loginTime", tLastLogin},
		{"createTime", tRegister},
		{"relationCustomerId", int64(0)},
		{"companyType", "real"},
		{"registerSource", 1},
		{"associationCompanyId", nil},
		{"registerTime", tRegister},
		{"utmSource", nil},
		{"forceLevel", nil},
		{"earlyWarningLevel", nil},
		{"withdrawLevel", nil},
		{"postalCode", nullIfEmpty(c.PostalCode)},
		{"customerAgentMark", nil},
		{"apiCheckSwitch", false},
		{"apiCheckRule", nil},
	}
}

// accountList is the customer's trading accounts: an ARRAY of account
// objects, as the vendor really sends it (its spec says object).
func accountList(c *customer, companyID int64) []obj {
	account := func(n int64, tradeType int64, digits int, balance, frozen string) obj {
		return obj{
			{"accountId", 1031717 + (c.CustomerID-1176)*10 + n},
			{"customerId", c.CustomerID},
			{"customerNo", c.CustomerNo},
			{"companyId", companyID},
			{"tradeType", tradeType},
			{"currency", "USDT"},
			{"digits", digits},
			{"assetsId", int64(13)},
			{"type", 1},
			{"status", 2},
			{"activateStatus", 2},
			{"openAccountStatus", true},
			{"balance", balance},
			{"available", balance},
			{"equity", balance},
			{"netAssets", balance},
			{"frozen", frozen},
			{"lockAmount", frozen},
			{"lockMargin", "0.0000"},
			{"margin", "0"},
			{"freeMargin", "0"},
			{"liabilities", "0.0000"},
			{"liabilitiesPrincipal", "0.0000"},
			{"interest", "0.0000"},
			{"interestProportion", nil},
			{"collateralFrozen", "0.0000"},
			{"profit", "0"},
			{"withdrawAmount", balance},
			{"notWithdrawAmount", "0.0000"},
			{"wholeWarehouseBalance", nil},
			{"wholeWarehouseRate", nil},
			{"marginRadio", nil},
			{"availableLoan", nil},
			{"remark", nil},
			{"firstDepositTime", tDeposit},
			{"firstWithdrawTime", tWithdraw},
			{"activateTime", tActivate},
			{"createTime", tRegister},
		}
	}
	return []obj{
		account(0, 1, 2, "10250.50", "0.00"),
		account(1, 5, 4, "2904.3187", "3.0000"),
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func buildCustomerInfo(_ *Simulator, c *call) (any, error) { return c.cust.info, nil }

// buildCustomerExtend returns the customer's extension value for the
// requested type: a plain string (the vendor's example), here the payout
// address.
func buildCustomerExtend(_ *Simulator, c *call) (any, error) {
	return c.cust.WalletAddress, nil
}

// page reads size (default def, at most 100) and current (default 1).
func page(body map[string]any, def int64) (size, current int64) {
	size, ok := bodyInt(body, "size")
	if !ok || size <= 0 {
		size = def
	}
	size = min(size, 100)
	current, ok = bodyInt(body, "current")
	if !ok || current <= 0 {
		current = 1
	}
	return size, current
}

// pageOf slices items for a page.
func pageOf(items []obj, size, current int64) []obj {
	from := (current - 1) * size
	if from >= int64(len(items)) {
		return []obj{}
	}
	to := min(from+size, int64(len(items)))
	return items[from:to]
}

func buildAPIKeyPage(s *Simulator, c *call) (any, error) {
	var records []obj
	for i := int64(0); i < 2; i++ {
		seed := c.cust.CustomerNo + ":api:" + strconv.FormatInt(i, 10)
		apiKey := md5Hex(seed)
		secretMD5 := md5Hex(seed + ":secret")
		pub := md5.Sum([]byte(seed + ":pub"))
		records = append(records, obj{
			{"id", 14 + i},
			{"createTime", tActivate + i*86400000},
			{"updateTime", tActivate + i*86400000},
			{"apiKey", apiKey},
			{"customerNo", c.cust.CustomerNo},
			{"customerId", c.cust.CustomerID},
			{"customerGroupId", nil},
			{"companyId", s.companyID},
			{"secretKeyMd5", secretMD5},
			{"privateKey", nil},
			{"pubKey", "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ" + base64.StdEncoding.EncodeToString(append(pub[:], pub[:]...)) + "IDAQAB"},
			{"tag", "key-" + strconv.FormatInt(i+1, 10)},
			{"permissionDTOList", nil},
			{"ipLimit", false},
			{"whiteIps", nil},
			{"sources", nil},
			{"expiredTime", tActivate + i*86400000 + 90*86400000},
			{"withdrawTime", tActivate + i*86400000 + 2*86400000},
			{"validityDays", 90},
		})
	}
	size, current := page(c.body, 20)
	return obj{
		{"records", pageOf(records, size, current)},
		{"total", int64(len(records))},
		{"size", size},
		{"current", current},
	}, nil
}

func buildKycList(_ *Simulator, c *call) (any, error) {
	openType := "0"
	if n, ok := bodyInt(c.body, "openAccountType"); ok {
		openType = strconv.FormatInt(n, 10)
	}
	return []obj{
		{
			{"levelCode", "LV1"}, {"levelName", "Basic verification"}, {"status", 2}, {"statusName", "Passed"},
			{"sort", 1}, {"preLevelName", nil},
			{"businessNameList", []string{"Deposit", "Withdraw"}}, {"businessCodeList", []string{"deposit", "withdraw"}},
			{"companyType", "real"}, {"openAccountType", openType}, {"pathCode", "ID_PATH"},
		},
		{
			{"levelCode", "LV2"}, {"levelName", "Advanced verification"}, {"status", 1}, {"statusName", "Unverified"},
			{"sort", 2}, {"preLevelName", "Basic verification"},
			{"businessNameList", []string{"Trade"}}, {"businessCodeList", []string{"trade"}},
			{"companyType", "real"}, {"openAccountType", openType}, {"pathCode", "ADDRESS_PATH"},
		},
	}, nil
}

// buildOptionalList returns the customer's watch list keyed by trade type,
// as the vendor's example: {"1":[{symbol}, ...]}.
func buildOptionalList(s *Simulator, c *call) (any, error) {
	var types []int64
	if list, ok := c.body["tradeTypeList"].([]any); ok {
		for _, v := range list {
			if n, ok := v.(json.Number); ok {
				if t, err := n.Int64(); err == nil && len(types) < 10 {
					types = append(types, t)
				}
			}
		}
	}
	if len(types) == 0 {
		types = []int64{1}
	}
	out := obj{}
	for _, t := range types {
		items := []obj{}
		for _, sym := range s.symbols {
			if sym.tradeType != t || len(items) == 3 {
				continue
			}
			items = append(items, obj{
				{"askSpread", sym.spread(9)},
				{"bidSpread", sym.spread(7)},
				{"pointRatio", sym.pointRatio},
				{"symbolDigits", sym.digits},
				{"symbolCode", sym.code},
				{"symbolName", sym.name},
				{"symbolId", sym.id},
			})
		}
		out = out.with(strconv.FormatInt(t, 10), items)
	}
	return out, nil
}

func buildWalletList(_ *Simulator, c *call) (any, error) {
	w := func(id int64, currency, chain string, def int) obj {
		return obj{
			{"id", id}, {"currency", currency}, {"chainName", chain},
			{"address", c.cust.WalletAddress}, {"remark", ""}, {"defaultType", def},
		}
	}
	return []obj{
		w(14676, "USDT", "Tron(TRC20)", 1),
		w(14677, "USDC", "Ethereum(ERC20)", 0),
	}, nil
}

func buildBankList(s *Simulator, c *call) (any, error) {
	u := c.cust
	return []obj{{
		{"companyId", s.companyID},
		{"customerNo", u.CustomerNo},
		{"bankAccountName", nullIfEmpty(u.Name)},
		{"bankCardNumber", nullIfEmpty(u.BankCardNumber)},
		{"bankCurrency", "USD"},
		{"bankName", "Example Bank"},
		{"bankCode", "EXB"},
		{"bankAddress", nullIfEmpty(u.Address)},
		{"bankBranch", "Main Branch"},
		{"country", u.Country},
		{"province", nil},
		{"city", nil},
		{"firstName", nullIfEmpty(u.FirstName)},
		{"lastName", nullIfEmpty(u.LastName)},
		{"bankAccount", nullIfEmpty(u.BankCardNumber)},
		{"swiftCode", "EXBKUS33"},
		{"otherCode", nil},
	}}, nil
}

// symbol is one tradable product.
type symbol struct {
	id         int64
	tradeType  int64 // 1 full-margin contract, 2 isolated contract, 5 spot
	code, name string
	base, quot string
	digits     int
	pointRatio int
	dealMode   int
	labels     string
	crypto     bool
}

// spread is n points at the symbol's precision, a number as in the
// vendor's optionalList example (9 points at 5 digits = 9e-05).
func (sym symbol) spread(n int) float64 {
	f := float64(n)
	for range sym.digits {
		f /= 10
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 6, 64), 64)
	return v
}

var symbolCatalog = []struct {
	base, quote string
	digits      int
	crypto      bool
}{
	{"BTC", "USDT", 2, true}, {"ETH", "USDT", 2, true}, {"SOL", "USDT", 3, true}, {"DOGE", "USDT", 4, true},
	{"XRP", "USDT", 4, true}, {"ADA", "USDT", 4, true}, {"AXS", "USDT", 2, true}, {"ATOM", "USDT", 3, true},
	{"LTC", "USDT", 2, true}, {"BNB", "USDT", 2, true},
	{"EUR", "USD", 5, false}, {"USD", "JPY", 3, false}, {"GBP", "USD", 5, false}, {"AUD", "CHF", 5, false},
	{"USD", "CHF", 5, false}, {"XAU", "USD", 2, false}, {"XAG", "USD", 3, false},
}

// stockCatalog are the stock symbols (trade type 6), quoted in USD.
var stockCatalog = []struct {
	base, quote string
	digits      int
	crypto      bool
}{
	{"AAPL", "USD", 2, false}, {"MSFT", "USD", 2, false}, {"NVDA", "USD", 2, false}, {"TSLA", "USD", 2, false},
	{"AMZN", "USD", 2, false}, {"GOOGL", "USD", 2, false},
}

// makeSymbols builds n symbols: the catalog, then the catalog again under
// other trade types with a numeric suffix (stocks from stockCatalog), as
// many rounds as needed.
func makeSymbols(n int) []symbol {
	tradeTypes := []int64{5, 1, 2, 6}
	out := make([]symbol, n)
	for i := range out {
		e := symbolCatalog[i%len(symbolCatalog)]
		round := i / len(symbolCatalog)
		tt := tradeTypes[round%len(tradeTypes)]
		if tt == tradeStock {
			e = stockCatalog[i%len(symbolCatalog)%len(stockCatalog)]
		}
		var code, name string
		switch {
		case tt == tradeStock:
			code = e.base
		case e.crypto:
			code = e.base + "/" + e.quote
		default:
			code = e.base + e.quote
		}
		name = code
		if round > 0 {
			code += "-" + strconv.Itoa(round)
			name = code
		}
		labels, dealMode := "forex", 1
		if tt == tradeStock {
			labels = "stock"
		}
		if e.crypto {
			labels = "cryptocurrency"
			if tt == 5 {
				dealMode = 4
			}
		}
		out[i] = symbol{
			id: 1001 + int64(i), tradeType: tt, code: code, name: name, base: e.base, quot: e.quote,
			digits: e.digits, pointRatio: 1, dealMode: dealMode, labels: labels, crypto: e.crypto,
		}
	}
	return out
}

// tradeTimes is the weekly trading session: every day for crypto, Monday to
// Friday for the rest (minutes of the day, as in the vendor's example).
func (sym symbol) tradeTimes(end int64) []obj {
	days := 5
	if sym.crypto {
		days = 7
	}
	out := make([]obj, days)
	for d := range out {
		out[d] = obj{{"dayOfWeek", d + 1}, {"startTime", int64(0)}, {"endTime", end}}
	}
	return out
}

func (sym symbol) holidays() []obj {
	if sym.crypto {
		return []obj{}
	}
	return []obj{{{"startTime", int64(1735084800000)}, {"endTime", int64(1735171200000)}}}
}

func (s *Simulator) symbolBaseData() rawJSON {
	s.symbolBaseOnce.Do(func() {
		b := make([]byte, 0, len(s.symbols)*640)
		b = append(b, '[')
		for i, sym := range s.symbols {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, obj{
				{"tradeType", sym.tradeType},
				{"symbolId", sym.id},
				{"symbolCode", sym.code},
				{"symbolName", sym.name},
				{"baseCurrency", sym.base},
				{"profitCurrency", sym.quot},
				{"customerGroupIds", nil},
				{"symbolGroupIds", nil},
				{"symbolDigits", sym.digits},
				{"askSpread", "0"},
				{"bidSpread", "0"},
				{"pointRatio", sym.pointRatio},
				{"dealMode", sym.dealMode},
				{"etf", false},
				{"fundId", nil},
				{"labels", sym.labels},
				{"sortNum", i + 1},
				{"enableShortLoan", 0},
				{"enableLongLoan", 0},
				{"dividend", 0},
				{"inHolidayTime", 0},
				{"inTradeTime", 1},
				{"holidayTimeList", sym.holidays()},
				{"tradeTimeList", sym.tradeTimes(1439)},
			})
		}
		s.symbolBase = append(b, ']')
	})
	return s.symbolBase
}

// buildSymbolBaseList serves every symbol; the customerGroupId filter is
// accepted and ignored (the simulator has one customer group).
func buildSymbolBaseList(s *Simulator, _ *call) (any, error) { return s.symbolBaseData(), nil }

// buildSymbolList filters by tradeType and a case-insensitive name/code match.
func buildSymbolList(s *Simulator, c *call) (any, error) {
	tt, hasTT := bodyInt(c.body, "tradeType")
	name, _ := bodyString(c.body, "name")
	name = strings.ToLower(name)
	out := []obj{}
	for _, sym := range s.symbols {
		if hasTT && sym.tradeType != tt {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(sym.name), name) && !strings.Contains(strings.ToLower(sym.code), name) {
			continue
		}
		out = append(out, obj{
			{"id", sym.id},
			{"status", 1},
			{"name", sym.name},
			{"code", sym.code},
			{"baseCurrency", sym.base},
			{"profitCurrency", sym.quot},
			{"sourceId", strings.ReplaceAll(sym.code, "/", "_")},
			{"tradeTypes", strconv.FormatInt(sym.tradeType, 10)},
		})
	}
	return out, nil
}

// buildSymbolDetail answers for the requested symbolId (default: the first
// symbol). An unknown symbolId gets data null, the Java backend's "not found".
func buildSymbolDetail(s *Simulator, c *call) (any, error) {
	if len(s.symbols) == 0 {
		return nil, nil
	}
	sym := s.symbols[0]
	if id, ok := bodyInt(c.body, "symbolId"); ok {
		i := id - 1001
		if i < 0 || i >= int64(len(s.symbols)) {
			return nil, nil
		}
		sym = s.symbols[i]
	}
	d := obj{
		{"tradeType", sym.tradeType}, {"symbolId", sym.id}, {"symbolName", sym.name}, {"symbolCode", sym.code},
		{"baseCurrency", sym.base}, {"profitCurrency", sym.quot}, {"symbolDigits", sym.digits},
		{"numberDigits", 2}, {"priceBreadth", 5}, {"earlyWarningProportion", 0.002},
		{"askSpread", sym.spread(9)}, {"bidSpread", sym.spread(7)}, {"marginType", 0}, {"marginInfo", nil},
		{"dailyMarginSet", nil}, {"holidayMarginSet", nil}, {"weekendMarginSet", nil},
		{"beforeHolidayMarginSet", nil}, {"beforeWeekendMarginSet", nil}, {"usedMarginSet", nil},
		{"tradeTimeList", sym.tradeTimes(1439)}, {"quoteTimeList", sym.tradeTimes(1440)},
		{"holidayTimeList", sym.holidays()},
		{"weekendLeadTime", nil}, {"holidayLeadTime", nil}, {"contractSize", 1}, {"pointRatio", int64(sym.pointRatio)},
		{"volumeStep", 0.01}, {"minVolume", 0.01}, {"maxVolume", 100.0},
		{"stopLossMinPoint", nil}, {"stopLossMaxPoint", nil}, {"buyInterest", nil}, {"sellInterest", nil},
		{"priceMaxLimit", nil}, {"priceMinLimit", nil}, {"eodTime", nil}, {"feeMethod", nil}, {"feeFormula", "1"},
		{"feeRate", 0.001}, {"fee", nil}, {"startTime", nil}, {"endTime", nil}, {"leverRatio", "1"},
		{"borrowingLimitRatio", 0.009}, {"multipleFreezeRatio", 0.01}, {"transferLimitRatio", 0.0},
		{"borrowInterestList", nil}, {"borrowLimitList", nil}, {"borrowStatusList", nil}, {"totalCredit", nil},
		{"dealMode", sym.dealMode}, {"etf", false}, {"fundId", nil}, {"tradeEnable", 1}, {"newShare", nil},
		{"labels", sym.labels}, {"labelList", nil}, {"minTradeUnit", int64(0)}, {"tradeDirection", nil},
		{"wholeYearDays", int64(365)}, {"accountReset", nil}, {"accountPositionTotalVolumes", int64(0)},
		{"withdrawalRatio", nil}, {"enableShortLoan", 0}, {"enableLongLoan", 0},
		{"accountDayLeverageRatio", int64(0)}, {"accountOvernightLeverageRatio", int64(0)},
		{"buyMaxPositionVolumes", nil}, {"sellMaxPositionVolumes", nil}, {"minFee", nil}, {"maxFee", nil},
	}
	for _, when := range []string{"daytime", "overnight"} {
		for _, side := range []string{"Buy", "Sell"} {
			for _, kind := range []string{"Init", "Remaining", "Alarm"} {
				d = append(d, kv{when + side + kind + "MarginRatio", nil})
			}
		}
	}
	d = append(d, obj{
		{"overnightInAdvance", int64(0)}, {"longLoanYearRatio", nil}, {"shortLoanYearRatio", nil},
		{"liquidationFormula", nil}, {"netAssetCurrency", nil}, {"limitOrderMaxVolume", int64(0)},
		{"enableReverseTrade", nil}, {"dividendFee", nil}, {"minDividendFee", nil}, {"corporateActionCode", nil},
		{"dividendFutureInfos", nil}, {"dividendPastInfos", nil}, {"stockStatus", nil}, {"maintainMargin", nil},
		{"enableDepthTrade", "0"},
	}...)
	return d, nil
}

var assetCatalog = []struct {
	id     int64
	code   string
	name   string
	digits int
	typ    int // 1 digital, 2 fiat
}{
	{13, "USDT", "Tether", 4, 1}, {14, "USD", "US Dollar", 2, 2}, {15, "BTC", "Bitcoin", 8, 1},
	{16, "ETH", "Ethereum", 6, 1}, {17, "EUR", "Euro", 2, 2},
}

// buildAssetsList lists the platform's currencies, filtered by type when given.
func buildAssetsList(_ *Simulator, c *call) (any, error) {
	typ, hasType := bodyInt(c.body, "type")
	out := []obj{}
	for _, a := range assetCatalog {
		if hasType && int64(a.typ) != typ {
			continue
		}
		out = append(out, obj{
			{"id", a.id}, {"status", 1}, {"revision", 1}, {"createBy", "admin"}, {"createTime", tConfig},
			{"updateBy", "admin"}, {"updateTime", tConfig}, {"name", a.name}, {"displayName", a.code},
			{"code", a.code}, {"digits", a.digits}, {"initState", 1}, {"type", a.typ}, {"fundId", nil},
		})
	}
	return out, nil
}

// buildDictList answers a dictionary lookup: the blockchains of a coin for
// USDT (the vendor's example), two generic entries for any other parent code.
func buildDictList(_ *Simulator, c *call) (any, error) {
	parent, _ := bodyString(c.body, "parentCode")
	if parent == "" {
		parent = "USDT"
	}
	type entry struct{ name, code string }
	entries := []entry{{parent + " 1", parent + "_1"}, {parent + " 2", parent + "_2"}}
	if parent == "USDT" {
		entries = []entry{{"Tron", "Tron(TRC20)"}, {"Ethereum", "Ethereum(ERC20)"}}
	}
	out := make([]obj, len(entries))
	for i, e := range entries {
		out[i] = obj{
			{"parentId", int64(469)}, {"id", int64(1300 + i)}, {"name", e.name}, {"displayName", e.name},
			{"code", e.code}, {"parentCode", parent}, {"sort", i + 1}, {"showType", nil}, {"extend", ""},
			{"status", 1}, {"createTime", tConfig}, {"updateTime", tConfig + 86400000}, {"hasLeaf", 0},
		}
	}
	return out, nil
}

func buildDepositCoinList(_ *Simulator, _ *call) (any, error) {
	return []string{"USDT", "USDC", "BTC", "ETH"}, nil
}

func buildWithdrawCurrencyList(_ *Simulator, c *call) (any, error) {
	tt, ok := bodyInt(c.body, "tradeType")
	if !ok {
		tt = 1
	}
	group, ok := bodyInt(c.body, "customerGroupId")
	if !ok {
		group = 1
	}
	return []obj{
		{{"tradeType", tt}, {"customerGroupId", group}, {"country", c.cust.Country}, {"withdrawCurrency", "USDT"},
			{"blockchainName", "Tron(TRC20)"}, {"withdrawMethod", "digital_wallet"}},
		{{"tradeType", tt}, {"customerGroupId", group}, {"country", c.cust.Country}, {"withdrawCurrency", "USD"},
			{"blockchainName", nil}, {"withdrawMethod", "bank"}},
	}, nil
}

// currencyDigits is the display precision of a currency.
func currencyDigits(code string) int {
	switch code {
	case "USDT", "USDC":
		return 4
	case "BTC":
		return 8
	case "ETH":
		return 6
	}
	return 2
}

var knownRates = map[string]string{
	"USD/USDT": "1.0000", "USDT/USD": "1.0000", "USDT/CNY": "7.1000", "CNY/USDT": "0.1408",
	"USD/CNY": "7.1000", "EUR/USDT": "1.0850", "USDT/EUR": "0.9217",
}

// buildExchangeRateList answers each requested pair (at most 50; default
// USD→USDT and USDT→CNY) with a fixed or hash-derived rate.
func buildExchangeRateList(_ *Simulator, c *call) (any, error) {
	type pair struct{ source, target string }
	var pairs []pair
	if list, ok := c.body["currencies"].([]any); ok {
		for _, v := range list {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			src, _ := m["source"].(string)
			dst, _ := m["target"].(string)
			if src != "" && dst != "" && len(pairs) < 50 {
				pairs = append(pairs, pair{src, dst})
			}
		}
	}
	if len(pairs) == 0 {
		pairs = []pair{{"USD", "USDT"}, {"USDT", "CNY"}}
	}
	out := make([]obj, len(pairs))
	for i, p := range pairs {
		rate, ok := knownRates[p.source+"/"+p.target]
		if !ok {
			h := fnv.New32a()
			_, _ = h.Write([]byte(p.source + "/" + p.target))
			n := h.Sum32()
			rate = fmt.Sprintf("%d.%04d", n%10, n/10%10000)
		}
		out[i] = obj{
			{"rate", rate}, {"formulaSymbol", "*"},
			{"sourceDigits", currencyDigits(p.source)}, {"targetDigits", currencyDigits(p.target)},
			{"sourceCurrency", p.source}, {"targetCurrency", p.target},
		}
	}
	return out, nil
}

// buildNoticePage lists the announcements visible to the customer, newest
// first: two company-wide ones (customerNo null) and one addressed to them.
func buildNoticePage(s *Simulator, c *call) (any, error) {
	lang, _ := bodyString(c.body, "lang")
	if lang == "" {
		lang = c.r.Header.Get("lang")
	}
	if lang == "" {
		lang = "en-US"
	}
	notices := []obj{
		{{"name", "Operations"}, {"language", lang}, {"title", "Scheduled maintenance"},
			{"content", "<p>Trading will pause for maintenance on Saturday 02:00-04:00 UTC.</p>"},
			{"pubTime", tNotice + 2*86400000}, {"id", int64(3003)}, {"companyId", s.companyID}, {"customerNo", nil}},
		{{"name", "Account"}, {"language", lang}, {"title", "Your verification is complete"},
			{"content", "<p>Your account is verified.</p>"},
			{"pubTime", tNotice + 86400000}, {"id", int64(3002)}, {"companyId", s.companyID}, {"customerNo", c.cust.CustomerNo}},
		{{"name", "Operations"}, {"language", lang}, {"title", "New trading pairs"},
			{"content", "<p>New spot pairs are available.</p>"},
			{"pubTime", tNotice}, {"id", int64(3001)}, {"companyId", s.companyID}, {"customerNo", nil}},
	}
	size, current := page(c.body, 10)
	return pageOf(notices, size, current), nil
}

// fixturePositions are the two positions of the body's tradeType that the
// account held before any run (the vendor's example values); the trading
// book's own follow them in queryPositionPage.
func fixturePositions(s *Simulator, c *call) []obj {
	tt, ok := bodyInt(c.body, "tradeType")
	if !ok {
		tt = 1
	}
	var syms []symbol
	for _, sym := range s.symbols {
		if sym.tradeType == tt && len(syms) < 2 {
			syms = append(syms, sym)
		}
	}
	out := make([]obj, 0, len(syms))
	for i, sym := range syms {
		n := int64(i)
		price := []string{"7.05", "0.1523"}[n]
		out = append(out, obj{
			{"positionId", int64(2022122620993) + n}, {"orderId", int64(24153319) + n}, {"dealId", int64(13394059) + n},
			{"status", "1"}, {"direction", int(n + 1)}, {"symbolId", sym.id}, {"symbolName", sym.name},
			{"openAccountDigits", 4}, {"openSymbolDigits", sym.digits}, {"openContractSize", 1},
			{"openPrice", price}, {"openNum", "1"},
			{"closeAccountDigits", 4}, {"closeSymbolDigits", sym.digits}, {"closePrice", "0.0000"},
			{"closeFreeDigits", nil}, {"profit", nil}, {"openMargin", "0.3480"},
			{"stopLoss", "0"}, {"takeProfit", "0"}, {"remark", nil}, {"margin", nil},
			{"openTime", int64(1672023552024) + n*60000}, {"closeTime", int64(0)},
			{"openFee", "0.3525"}, {"closeFee", "0.0000"}, {"closeNum", "0"}, {"openVolume", "1"},
			{"closeVolume", "0"}, {"minVolume", nil}, {"stopLossDecimal", "0.00"}, {"takeProfitDecimal", "0.00"},
			{"volume", "1"}, {"marginSetType", "2"}, {"source", nil}, {"thirdPartyOrder", nil},
		})
	}
	return out
}
