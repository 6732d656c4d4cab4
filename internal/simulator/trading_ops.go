package simulator

import (
	"math"
	"strconv"

	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Trading operations served from the trading book (trading.go). Each
// answers with exactly the fields its data schema documents, money and
// prices as decimal strings, scaled prices as the vendor echoes them.

// tradeFaults are the trade- scenarios' deviations from the nominal book.
type tradeFaults struct {
	rejectMargin bool    // every open is refused for margin (E000031)
	slippage     float64 // market fills this fraction worse than the quote
	hidePolls    int     // a new position is listed only this many polls later
	dropFee      bool    // an open books no fee in the capital flows
	ignoreClose  bool    // a market close answers success and leaves the position open
}

// Trading bizTypes.
const (
	cfdMMOrder       = "tradeapi.app.CfdMMOrderApiService."
	isolatedOrder    = "tradeapi.app.OrderApiService."
	positionService  = "tradeapi.app.PositionApiService."
	spotOrder        = "tradeapi.app.SpotOrderApiService."
	stockOrder       = "tradeapi.app.StockOrderApiService."
	queryPositionBiz = positionService + "queryPositionPage"
	queryAccountByID = "customer.app.CustomerWebApiService.queryAccountById"
)

// tradingOps are the operations the book answers; lookupOp consults them
// before the schema-generated ones.
var tradingOps = func() map[string]*op {
	trade := func(biz string, build func(*Simulator, *call) (any, error)) *op {
		return &op{bizType: biz, version: "0.0.1", group: "tradeApi", login: true, build: build}
	}
	list := []*op{
		trade(cfdMMOrder+"calculateMarketOrder", buildCalculateMarketOrder(false)),
		trade(isolatedOrder+"calculateMarketOrder", buildCalculateMarketOrder(true)),
		trade(cfdMMOrder+"addMarketOrder", buildAddMarketOrder),
		trade(isolatedOrder+"addMarketOrder", buildAddMarketOrder),
		trade(isolatedOrder+"addOrder", buildAddMarketOrder),
		trade(cfdMMOrder+"updateOrder", buildUpdatePosition),
		trade(isolatedOrder+"updatePboOrder", buildUpdatePendingOrder),
		trade(isolatedOrder+"closeTradePboOrder", buildCancelPendingOrder),
		trade(spotOrder+"closeTradePboOrder", buildCancelPendingOrder),
		trade(isolatedOrder+"queryOrderPage", buildOrderPage),
		trade(cfdMMOrder+"queryCapitalFlowList", buildCapitalFlows(flowsContract)),
		trade(isolatedOrder+"queryCapitalFlowList", buildCapitalFlows(flowsContract)),
		trade(spotOrder+"queryCapitalFlowList", buildCapitalFlows(flowsSpot)),
		trade(stockOrder+"queryCapitalFlowList", buildCapitalFlows(flowsStock)),
		trade(stockOrder+"placeOrder", buildPlaceStockOrder),
		trade(stockOrder+"cancelOrder", buildCancelStockOrder),
		trade(stockOrder+"calculateOrder", buildCalculateStockOrder),
		trade(stockOrder+"queryPendingOrderList", buildPendingStockOrders),
		trade("tradeapi.app.StockPositionApiService.queryPositionPage", buildStockPositionPage),
		trade(positionService+"queryPositionDetail", buildPositionDetail),
		trade("tradeapi.app.CfdMMPositionApiService.queryPositionDetail", buildPositionDetail),
		trade(spotOrder+"queryOrderDetail", buildSpotOrderDetail),
		trade(queryPositionBiz, buildPositionPage),
		{bizType: queryAccountByID, version: "0.0.1", login: true, build: buildAccountByID},
	}
	m := make(map[string]*op, len(list))
	for _, o := range list {
		m[o.bizType] = o
	}
	return m
}()

// tradeAccount locks the book and returns it with the caller's account for
// the body's tradeType (default: full-margin). The caller unlocks.
func (s *Simulator) tradeAccount(c *call) (*tradeBook, *account) {
	tt, ok := bodyInt(c.body, "tradeType")
	if !ok {
		tt = tradeFullMargin
	}
	b := s.book
	b.mu.Lock()
	return b, b.accountOf(c.cust, tt)
}

// tradedSymbol is the body's symbolId, which must be a symbol of the
// account's trade type.
func (s *Simulator) tradedSymbol(c *call, a *account) (symbol, error) {
	id, ok := bodyInt(c.body, "symbolId")
	i := id - 1001
	if !ok || i < 0 || i >= int64(len(s.symbols)) || s.symbols[i].tradeType != a.tradeType {
		return symbol{}, errNoQuote
	}
	return s.symbols[i], nil
}

// quotedPrice is what a market order of direction would fill at now: the
// ask for a buy, the bid for a sell.
func quotedPrice(b *tradeBook, sym symbol, direction int) float64 {
	bid, ask := b.quote(sym)
	if direction == dirBuy {
		return ask
	}
	return bid
}

// marketPrice is where a market order of direction fills: the quoted
// price, made worse by the slippage scenario.
func (s *Simulator) marketPrice(b *tradeBook, sym symbol, direction int) float64 {
	bid, ask := b.quote(sym)
	slip := s.scenario.Load().trade.slippage
	if direction == dirBuy {
		return round(ask*(1+slip), sym.digits)
	}
	return round(bid*(1-slip), sym.digits)
}

// orderRequest locks the book (the caller unlocks) and reads what every
// quote and placement names: the account, a symbol of its trade type and
// the volume.
func (s *Simulator) orderRequest(c *call) (*tradeBook, *account, symbol, float64, error) {
	b, a := s.tradeAccount(c)
	sym, err := s.tradedSymbol(c, a)
	if err != nil {
		return b, a, sym, 0, err
	}
	vol, err := volumeField(c.body, "requestNum")
	return b, a, sym, vol, err
}

func buildCalculateMarketOrder(isolated bool) func(*Simulator, *call) (any, error) {
	return func(s *Simulator, c *call) (any, error) {
		b, a, sym, vol, err := s.orderRequest(c)
		defer b.mu.Unlock()
		if err != nil {
			return nil, err
		}
		dir, _ := bodyInt(c.body, "direction")
		price := quotedPrice(b, sym, int(dir))
		fee := round(price*vol*contractSize*feeRate, a.digits)
		margin := round(price*vol*contractSize/leverage(a.tradeType), a.digits)
		d := obj{{"calculatePrice", decimal(price, sym.digits)}, {"fee", decimal(fee, a.digits)}, {"margin", decimal(margin, a.digits)}}
		if isolated {
			d = append(d, obj{{"calculateNum", decimal(vol, 2)}, {"evaluateClosePrice", decimal(price, sym.digits)},
				{"evaluateLoss", decimal(-fee, a.digits)}, {"evaluateProfit", decimal(0, a.digits)},
				{"maintainMargin", decimal(margin/2, a.digits)}}...)
		}
		return d, nil
	}
}

// buildAddMarketOrder places an order: a market open fills at once, a
// market close closes the body's positionId, a limit or stop order rests.
func buildAddMarketOrder(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	biz, _ := bodyInt(c.body, "bizType")
	if biz == bizMarketClose {
		return s.closeByMarket(b, a, c)
	}
	sym, err := s.tradedSymbol(c, a)
	if err != nil {
		return nil, err
	}
	dir, _ := bodyInt(c.body, "direction")
	if dir != dirBuy && dir != dirSell {
		return nil, errBadDirection
	}
	vol, err := volumeField(c.body, "requestNum")
	if err != nil {
		return nil, err
	}
	o := &order{id: b.newID(), acct: a, sym: sym, bizType: int(biz), direction: int(dir), status: orderReceived, volume: vol}
	if o.requestPrice, err = scaledField(c.body, "requestPrice"); err != nil {
		return nil, errUnscaledPrice // required, and scaled
	}
	for _, f := range []struct {
		key string
		dst *int64
	}{{"stopLoss", &o.stopLoss}, {"takeProfit", &o.takeProf}} {
		if *f.dst, err = scaledField(c.body, f.key); err != nil && err != errAbsent {
			return nil, err
		}
	}
	o.requestTime, _ = bodyInt(c.body, "requestTime")
	et, _ := bodyInt(c.body, "expireType")
	o.expireType = int(et)
	o.remark, _ = bodyString(c.body, "remark")
	o.created, o.updated = s.now().UnixMilli(), s.now().UnixMilli()
	switch o.bizType {
	case bizLimitOpen, bizStopOpen, bizSpotLimit:
		if a.tradeType == tradeSpot && o.direction == dirBuy {
			cost := spotReserve(o)
			if cost > a.balance-a.frozen {
				return nil, errBalance
			}
			a.frozen += cost
		}
	default:
		if err := b.fill(s, o, s.marketPrice(b, sym, o.direction)); err != nil {
			return nil, err
		}
	}
	b.place(o)
	return orderResult(o, 1, 0), nil
}

// closeByMarket closes the body's positionId at the market.
func (s *Simulator) closeByMarket(b *tradeBook, a *account, c *call) (any, error) {
	id, _ := bodyInt(c.body, "positionId")
	p, ok := b.positions[id]
	if !ok || p.acct != a {
		return nil, errNoPosition
	}
	exit := s.marketPrice(b, p.sym, 3-p.direction)
	if s.scenario.Load().trade.ignoreClose {
		// The vendor's answer claims the close; the position stays.
		o := &order{id: b.newID(), positionID: p.id, acct: a, sym: p.sym, bizType: bizMarketClose,
			direction: 3 - p.direction, status: orderExecuted, volume: p.volume, executePrice: exit}
		return orderResult(o, 2, 0), nil
	}
	closing, profit := b.close(s, p, exit, "market close")
	return orderResult(closing, 2, profit), nil
}

// orderResult is the addMarketOrder/addOrder/updatePboOrder data object.
func orderResult(o *order, openOrClose int, profit float64) obj {
	var pos any
	if o.positionID != 0 {
		pos = o.positionID
	}
	price := o.executePrice
	if o.status == orderReceived {
		price = unscale(o.requestPrice, o.sym.digits)
	}
	openDir := o.direction
	if openOrClose == 2 {
		openDir = 3 - o.direction
	}
	return obj{
		{"orderId", o.id}, {"positionId", pos}, {"tradeVolume", decimal(o.volume, 2)},
		{"openPrice", decimal(price, o.sym.digits)}, {"executePrice", decimal(o.executePrice, o.sym.digits)},
		{"openDirection", openDir}, {"direction", o.direction}, {"openOrClose", openOrClose},
		{"symbolName", o.sym.name}, {"symbolId", o.sym.id},
		{"stopLoss", strconv.FormatInt(o.stopLoss, 10)}, {"takeProfit", strconv.FormatInt(o.takeProf, 10)},
		{"digits", o.sym.digits}, {"fee", decimal(-o.fee, o.acct.digits)}, {"interest", "0"},
		{"profit", decimal(profit, o.acct.digits)},
	}
}

// buildUpdatePosition sets a position's stop-loss and take-profit.
func buildUpdatePosition(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	id, _ := bodyInt(c.body, "positionId")
	p, ok := b.positions[id]
	if !ok || p.acct != a {
		return nil, errNoPosition
	}
	sl, err := scaledField(c.body, "stopLoss")
	if err != nil && err != errAbsent {
		return nil, err
	}
	tp, err := scaledField(c.body, "takeProfit")
	if err != nil && err != errAbsent {
		return nil, err
	}
	p.stopLoss, p.takeProf = sl, tp
	// updateOrder's data documents the position without the display and
	// source fields of the position list.
	return s.positionObj(b, p).without("stopLossDecimal").without("takeProfitDecimal").without("source").without("thirdPartyOrder"), nil
}

// pendingOrder is the caller's resting order named by key.
func pendingOrder(b *tradeBook, a *account, c *call, key string) (*order, error) {
	id, _ := bodyInt(c.body, key)
	o, ok := b.resting[id]
	if !ok || o.acct != a {
		return nil, errNoOrder
	}
	return o, nil
}

// buildUpdatePendingOrder amends a resting order (pboId): price, volume,
// stop-loss, take-profit, each scaled like at placement.
func buildUpdatePendingOrder(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	o, err := pendingOrder(b, a, c, "pboId")
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		dst *int64
	}{{"requestPrice", &o.requestPrice}, {"stopLoss", &o.stopLoss}, {"takeProfit", &o.takeProf}} {
		v, err := scaledField(c.body, f.key)
		switch {
		case err == nil:
			*f.dst = v
		case err != errAbsent:
			return nil, err
		}
	}
	if _, sent := c.body["requestNum"]; sent {
		if o.volume, err = volumeField(c.body, "requestNum"); err != nil {
			return nil, err
		}
	}
	o.updated = s.now().UnixMilli()
	return orderResult(o, 1, 0), nil
}

// cancelPending cancels the caller's resting order named by orderId and
// releases the cash a spot buy had reserved.
func (s *Simulator) cancelPending(c *call) (*order, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	o, err := pendingOrder(b, a, c, "orderId")
	if err != nil {
		return nil, err
	}
	b.settle(o, orderCancelled, s.now().UnixMilli())
	if a.tradeType == tradeSpot && o.direction == dirBuy {
		a.frozen -= spotReserve(o)
	}
	return o, nil
}

// buildCancelPendingOrder cancels a resting order (orderId); data is the
// volume left unfilled.
func buildCancelPendingOrder(s *Simulator, c *call) (any, error) {
	o, err := s.cancelPending(c)
	if err != nil {
		return nil, err
	}
	return obj{{"leftover", decimal(o.volume, 2)}}, nil
}

// buildOrderPage lists the account's orders, newest first; a read is a poll.
func buildOrderPage(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	b.poll(s, a)
	records := []obj{}
	all := sortedByID(b.orders)
	for i := len(all) - 1; i >= 0; i-- {
		o := all[i]
		if o.acct != a {
			continue
		}
		executed, cancelled := "0", "0"
		switch o.status {
		case orderExecuted:
			executed = decimal(o.volume, 2)
		case orderCancelled:
			cancelled = decimal(o.volume, 2)
		}
		var pos any
		if o.positionID != 0 {
			pos = o.positionID
		}
		records = append(records, obj{
			{"id", o.id}, {"dealId", o.dealID}, {"bizType", o.bizType}, {"direction", o.direction}, {"status", o.status},
			{"customerGroupId", int64(1)}, {"symbolId", o.sym.id}, {"digits", o.sym.digits}, {"symbolName", o.sym.name},
			{"requestPrice", strconv.FormatInt(o.requestPrice, 10)}, {"requestNum", decimal(o.volume, 2)},
			{"contractSize", 1}, {"executePrice", decimal(o.executePrice, o.sym.digits)}, {"requestTime", o.requestTime},
			{"executeTime", o.updated}, {"fee", decimal(-o.fee, a.digits)}, {"executeMargin", 0},
			{"accountDigits", a.digits}, {"executeNum", executed}, {"cancelNum", cancelled}, {"positionId", pos},
			{"stopLoss", strconv.FormatInt(o.stopLoss, 10)}, {"takeProfit", strconv.FormatInt(o.takeProf, 10)},
			{"remark", nullIfEmpty(o.remark)}, {"createTime", o.created}, {"updateTime", o.updated},
			{"seq", o.id}, {"interest", 0}, {"pnl", 0}, {"source", "H5"}, {"thirdPartyOrder", nil},
		})
	}
	return recordsPage(c, records), nil
}

// recordsPage wraps records in the vendor's page object.
func recordsPage(c *call, records []obj) obj {
	size, current := page(c.body, 20)
	return obj{{"current", current}, {"size", size}, {"total", int64(len(records))}, {"records", pageOf(records, size, current)}}
}

// Capital flow list flavours: each service types the ids its own way.
const (
	flowsContract = iota // accountId first, orderId and dealId integers
	flowsSpot            // id and amount first, orderId and dealId strings
	flowsStock           // accountId first, no orderId or dealId, digits a string
)

// buildCapitalFlows lists the account's capital flows, newest first.
func buildCapitalFlows(flavour int) func(*Simulator, *call) (any, error) {
	return func(s *Simulator, c *call) (any, error) {
		b, a := s.tradeAccount(c)
		defer b.mu.Unlock()
		records := []obj{}
		for i := len(b.flows) - 1; i >= 0; i-- {
			f := b.flows[i]
			if f.acct != a {
				continue
			}
			in, out := decimal(0, a.digits), decimal(0, a.digits)
			if f.amount >= 0 {
				in = decimal(f.amount, a.digits)
			} else {
				out = decimal(-f.amount, a.digits)
			}
			r := obj{
				{"amountAfter", decimal(f.after, a.digits)}, {"amountIn", in}, {"amountOut", out},
				{"bookkeepId", f.id}, {"businessType", f.businessType}, {"businessType1", f.businessType},
				{"businessType1Name", f.name}, {"businessTypeName", f.name}, {"createTime", f.at}, {"currency", "USDT"},
				{"customerNo", a.customerNo}, {"dealId", f.dealID}, {"digits", a.digits}, {"orderId", f.orderID},
				{"remark", nil}, {"status", 1}, {"subjectId", int64(1)}, {"updateTime", f.at},
			}
			switch flavour {
			case flowsSpot:
				r = append(obj{{"id", f.id}, {"amount", decimal(f.amount, a.digits)}}, r...).
					with("orderId", strconv.FormatInt(f.orderID, 10)).with("dealId", strconv.FormatInt(f.dealID, 10))
			case flowsStock:
				r = append(obj{{"accountId", a.id}}, r...).without("orderId").without("dealId").with("digits", strconv.Itoa(a.digits))
			default:
				r = append(obj{{"accountId", a.id}}, r...)
			}
			records = append(records, r)
		}
		return recordsPage(c, records), nil
	}
}

// buildPositionPage lists the account's open positions: the fixtures that
// predate any run, then the book's, once visible; a read is a poll.
func buildPositionPage(s *Simulator, c *call) (any, error) {
	out := fixturePositions(s, c)
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	n := b.poll(s, a)
	for _, p := range sortedByID(b.positions) {
		if p.acct == a && n >= p.visibleFrom {
			out = append(out, s.positionObj(b, p))
		}
	}
	return out, nil
}

// buildPositionDetail is one open position (positionId), or null.
func buildPositionDetail(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	n := b.poll(s, a)
	id, _ := bodyInt(c.body, "positionId")
	if p, ok := b.positions[id]; ok && p.acct == a && n >= p.visibleFrom {
		return s.positionObj(b, p), nil
	}
	return nil, nil
}

// positionObj renders p in queryPositionPage's field order, valued at the
// current quote.
func (s *Simulator) positionObj(b *tradeBook, p *position) obj {
	bid, ask := b.quote(p.sym)
	exit, sign := bid, 1.0
	if p.direction == dirSell {
		exit, sign = ask, -1
	}
	d, ad := p.sym.digits, p.acct.digits
	vol := decimal(p.volume, 2)
	return obj{
		{"positionId", p.id}, {"orderId", p.orderID}, {"dealId", p.dealID},
		{"status", "1"}, {"direction", p.direction}, {"symbolId", p.sym.id}, {"symbolName", p.sym.name},
		{"openAccountDigits", ad}, {"openSymbolDigits", d}, {"openContractSize", 1},
		{"openPrice", decimal(p.openPrice, d)}, {"openNum", vol},
		{"closeAccountDigits", ad}, {"closeSymbolDigits", d}, {"closePrice", decimal(exit, d)},
		{"closeFreeDigits", nil}, {"profit", decimal(sign*(exit-p.openPrice)*p.volume*contractSize, ad)},
		{"openMargin", decimal(p.margin, ad)},
		{"stopLoss", strconv.FormatInt(p.stopLoss, 10)}, {"takeProfit", strconv.FormatInt(p.takeProf, 10)},
		{"remark", nil}, {"margin", decimal(p.margin, ad)},
		{"openTime", p.openTime}, {"closeTime", int64(0)},
		{"openFee", decimal(p.openFee, ad)}, {"closeFee", decimal(0, ad)}, {"closeNum", "0"}, {"openVolume", vol},
		{"closeVolume", "0"}, {"minVolume", decimal(minVolume, 2)},
		{"stopLossDecimal", decimal(unscale(p.stopLoss, d), d)}, {"takeProfitDecimal", decimal(unscale(p.takeProf, d), d)},
		{"volume", vol}, {"marginSetType", "2"}, {"source", nil}, {"thirdPartyOrder", nil},
	}
}

// buildSpotOrderDetail is one spot order (orderId), or null. This service
// types its prices as numbers.
func buildSpotOrderDetail(s *Simulator, c *call) (any, error) {
	b := s.book
	b.mu.Lock()
	defer b.mu.Unlock()
	id, _ := bodyInt(c.body, "orderId")
	o, ok := b.orders[id]
	if !ok || o.acct.customerID != c.cust.CustomerID || o.acct.tradeType != tradeSpot {
		return nil, nil
	}
	return obj{
		{"busiiType", o.bizType}, {"contractSize", 1}, {"createTime", o.created}, {"digits", o.sym.digits},
		{"direction", o.direction}, {"executeMarginRate", 0}, {"executeMarginRateDigits", 0},
		{"executePrice", round(o.executePrice, o.sym.digits)}, {"executeRate", 1}, {"executeTime", o.updated},
		{"fee", round(o.fee, o.acct.digits)}, {"feeDigits", o.acct.digits}, {"pointRatio", 1}, {"positionId", nil},
		{"rateDigits", 0}, {"remark", nullIfEmpty(o.remark)}, {"requestNum", o.volume},
		{"requestPrice", float64(o.requestPrice)}, {"requestTime", o.requestTime}, {"source", "H5"}, {"spread", 0},
		{"status", o.status}, {"stopLoss", float64(o.stopLoss)}, {"symbolId", o.sym.id},
		{"takeProfit", float64(o.takeProf)}, {"thirdPartyOrder", nil}, {"updateTime", o.updated}, {"userGroupId", int64(1)},
	}, nil
}

// buildAccountByID is the caller's account for the body's tradeType, with
// its live balance and margin.
func buildAccountByID(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	d := a.digits
	avail := a.balance - a.margin - a.frozen
	return obj{
		{"accountId", a.id}, {"customerId", a.customerID}, {"customerNo", a.customerNo}, {"companyId", s.companyID},
		{"tradeType", a.tradeType}, {"currency", "USDT"}, {"digits", d}, {"assetsId", int64(13)}, {"type", 1},
		{"status", 2}, {"activateStatus", 2}, {"activateTime", tActivate}, {"openAccountStatus", true},
		{"balance", decimal(a.balance, d)}, {"available", decimal(avail, d)}, {"equity", decimal(a.balance, d)},
		{"netAssets", decimal(a.balance, d)}, {"frozen", decimal(a.frozen, d)}, {"lockAmount", decimal(a.frozen, d)},
		{"lockMargin", decimal(0, d)}, {"margin", decimal(a.margin, d)}, {"freeMargin", decimal(avail, d)},
		{"liabilities", decimal(0, d)}, {"liabilitiesPrincipal", decimal(0, d)}, {"interest", decimal(0, d)},
		{"interestProportion", nil}, {"collateralFrozen", decimal(0, d)}, {"profit", decimal(0, d)},
		{"withdrawAmount", decimal(avail, d)}, {"notWithdrawAmount", decimal(0, d)},
		{"wholeWarehouseBalance", nil}, {"wholeWarehouseRate", nil}, {"marginRadio", nil}, {"availableLoan", nil},
		{"remark", nil}, {"firstDepositTime", tDeposit}, {"firstWithdrawTime", tWithdraw}, {"createTime", tRegister},
	}, nil
}

// tradeScenarios break the order lifecycle in the ways a release manager
// most needs caught; the read-only operations stay nominal. Step and
// Pointer are what the trading suites' results.json names.
var tradeScenarios = []scenarioDef{
	{Scenario: Scenario{Name: "trade-margin-rejected", Kind: KindTrade, ExpectedVerdict: verdict.Broken,
		Step: "addMarketOrder: open", Pointer: "/code",
		Description: "every market open is refused for margin (CFD E000031) although the account covers it"},
		trade: tradeFaults{rejectMargin: true}},
	{Scenario: Scenario{Name: "trade-slippage", Kind: KindTrade, ExpectedVerdict: verdict.Broken,
		Step: "addMarketOrder: open", Pointer: "/data/executePrice",
		Description: "market orders fill 1 % worse than the quoted requestPrice"},
		trade: tradeFaults{slippage: 0.01}},
	{Scenario: Scenario{Name: "trade-position-missing", Kind: KindTrade, ExpectedVerdict: verdict.Broken,
		Step: "queryPositionPage: position listed", Pointer: "/data",
		Description: "a filled order's position is not listed for 1,000 polls (eventual consistency beyond any bound)"},
		trade: tradeFaults{hidePolls: 1000}},
	{Scenario: Scenario{Name: "trade-fee-missing", Kind: KindTrade, ExpectedVerdict: verdict.Broken,
		Step: "queryCapitalFlowList: fee booked", Pointer: "/data/records",
		Description: "opening a position books no fee in the capital flows, though the order reports one"},
		trade: tradeFaults{dropFee: true}},
	{Scenario: Scenario{Name: "trade-close-ignored", Kind: KindTrade, ExpectedVerdict: verdict.Broken,
		Step: "queryPositionPage: position gone", Pointer: "/data",
		Description: "a market close answers success but leaves the position open (a leftover the suite reports)"},
		trade: tradeFaults{ignoreClose: true}},
}

// Stock bizTypes of placeOrder.
const (
	stockMarketBuy  = 1
	stockMarketSell = 2
	stockLimitBuy   = 12
	stockLimitSell  = 13
)

// buildPlaceStockOrder places a stock order: a market buy opens a holding,
// a market sell sells the symbol's holding, a limit order rests.
func buildPlaceStockOrder(s *Simulator, c *call) (any, error) {
	b, a, sym, vol, err := s.orderRequest(c)
	defer b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	biz, _ := bodyInt(c.body, "bizType")
	dir := dirBuy
	if biz == stockMarketSell || biz == stockLimitSell {
		dir = dirSell
	}
	o := &order{id: b.newID(), acct: a, sym: sym, bizType: int(biz), direction: dir, status: orderReceived, volume: vol}
	if o.requestPrice, err = scaledField(c.body, "requestPrice"); err != nil {
		return nil, errUnscaledPrice
	}
	o.requestTime, _ = bodyInt(c.body, "requestTime")
	o.created, o.updated = s.now().UnixMilli(), s.now().UnixMilli()
	switch biz {
	case stockLimitBuy, stockLimitSell:
		o.bizType = bizLimitOpen // rests and fills like any limit order
	case stockMarketBuy, stockMarketSell:
		if err := b.fill(s, o, s.marketPrice(b, sym, dir)); err != nil {
			return nil, err
		}
	default:
		return nil, &bizError{bizGateway, codeParamsInvalid, "Request parameters are invalid: bizType must be 1, 2, 12 or 13"}
	}
	b.place(o)
	return obj{{"orderId", o.id}}, nil
}

// buildCancelStockOrder cancels a resting stock order (orderId).
func buildCancelStockOrder(s *Simulator, c *call) (any, error) {
	if _, err := s.cancelPending(c); err != nil {
		return nil, err
	}
	return true, nil
}

// buildCalculateStockOrder says how much the account can buy and sell of
// the body's symbol at the current quote.
func buildCalculateStockOrder(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	sym, err := s.tradedSymbol(c, a)
	if err != nil {
		return nil, err
	}
	ask := quotedPrice(b, sym, dirBuy)
	canBuy := math.Floor((a.balance-a.margin-a.frozen)/(ask*contractSize*(1+feeRate))/minVolume) * minVolume
	held := 0.0
	for _, p := range b.positions {
		if p.acct == a && p.sym.id == sym.id {
			held += p.volume
		}
	}
	return obj{{"canBuyNum", decimal(math.Max(0, canBuy), 2)}, {"canClosePositionNum", decimal(held, 2)},
		{"canLoanBuyNum", decimal(0, 2)}, {"canSellNum", decimal(held, 2)}}, nil
}

// buildPendingStockOrders lists the account's resting orders; a read is a
// poll.
func buildPendingStockOrders(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	b.poll(s, a)
	out := []obj{}
	for _, o := range sortedByID(b.resting) {
		if o.acct != a {
			continue
		}
		out = append(out, obj{
			{"bizType", o.bizType}, {"direction", o.direction}, {"executeNum", "0"}, {"orderId", o.id},
			{"requestNum", decimal(o.volume, 2)}, {"requestPrice", strconv.FormatInt(o.requestPrice, 10)},
			{"requestTime", o.requestTime}, {"status", o.status}, {"symbolCode", o.sym.code}, {"symbolId", o.sym.id},
			{"symbolName", o.sym.name},
		})
	}
	return out, nil
}

// buildStockPositionPage lists the account's holdings, once visible; a
// read is a poll. The stock service documents no source fields.
func buildStockPositionPage(s *Simulator, c *call) (any, error) {
	b, a := s.tradeAccount(c)
	defer b.mu.Unlock()
	n := b.poll(s, a)
	out := []obj{}
	for _, p := range sortedByID(b.positions) {
		if p.acct == a && n >= p.visibleFrom {
			out = append(out, s.positionObj(b, p).without("source").without("thirdPartyOrder"))
		}
	}
	return out, nil
}
