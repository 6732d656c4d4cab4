package simulator

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The trading book is the simulator's stateful half: every customer has one
// account per gameplay (trade type) with a balance, and orders, positions,
// resting (pending) orders and capital flows live here, per Simulator
// instance, behind one mutex. Quotes move deterministically: each symbol's
// mid price swings around its reference price by quoteAmplitude over
// quotePeriod ticks, starting at a phase taken from Options.QuoteSeed, and a
// symbol ticks once each time the account's positions or orders are read
// (a poll is the clock), never while an order is being placed, so the price
// calculateMarketOrder quotes is the price addMarketOrder fills at. Resting
// limit and stop orders fill, and stop-loss and take-profit close, when a
// tick's quote crosses them.

// Trade types (the vendor's "gameplay" ids).
const (
	tradeFullMargin int64 = 1 // CfdMM… full-margin contracts
	tradeIsolated   int64 = 2 // Order…/Position… isolated contracts
	tradeSpot       int64 = 5 // spot
	tradeStock      int64 = 6 // stocks (StockOrderApiService, StockPositionApiService)
)

// Order bizTypes of addMarketOrder and addOrder, as the vendor documents
// them.
const (
	bizMarketOpen  = 1
	bizMarketClose = 2
	bizLimitOpen   = 10 // a limit order that rests
	bizStopOpen    = 11 // a stop order that rests
	bizSpotLimit   = 13 // addOrder's limit order
)

// Order directions.
const (
	dirBuy  = 1
	dirSell = 2
)

// Order statuses of queryOrderPage.
const (
	orderReceived  = 1
	orderExecuted  = 2
	orderCancelled = 4
)

// Capital flow business types the simulator books.
const (
	flowFee    = 1 // a trading fee (amountOut)
	flowProfit = 2 // a realised profit or loss
	flowSpot   = 3 // a spot purchase or sale
)

// Market and fee parameters; getSymbolDetail serves the same values
// (contractSize 1, minVolume and volumeStep 0.01, feeRate 0.001).
const (
	quoteAmplitude  = 0.004 // ±0.4 % around the reference price
	quotePeriod     = 12    // ticks per full swing
	contractSize    = 1.0
	minVolume       = 0.01
	feeRate         = 0.001
	defaultLeverage = 10
)

// referencePrices are the symbols' mid prices at phase zero.
var referencePrices = map[string]float64{
	"BTC": 65000, "ETH": 3500, "SOL": 150, "DOGE": 0.15, "XRP": 0.52, "ADA": 0.45, "AXS": 7.05, "ATOM": 8.2,
	"LTC": 82, "BNB": 590, "EUR": 1.0845, "USD": 0.8812, "GBP": 1.2712, "AUD": 0.5843, "XAU": 2310, "XAG": 27.4,
	"AAPL": 190.5, "MSFT": 421.3, "NVDA": 121.8, "TSLA": 248.6, "AMZN": 185.2, "GOOGL": 171.4,
}

// leverage is the trade type's margin leverage: stocks are bought with
// cash, contracts on a tenth of their notional.
func leverage(tradeType int64) float64 {
	if tradeType == tradeStock {
		return 1
	}
	return defaultLeverage
}

// referencePrice is sym's mid price at phase zero (USD/JPY is quoted in yen).
func referencePrice(sym symbol) float64 {
	if sym.base == "USD" && sym.quot == "JPY" {
		return 151.2
	}
	if p, ok := referencePrices[sym.base]; ok {
		return p
	}
	return 1
}

// bizError is a vendor business error a trading operation answers with.
type bizError struct {
	bizCode, code, msg string
}

func (e *bizError) Error() string { return e.bizCode + e.code + ": " + e.msg }

// Vendor business errors of the trade services (bizCode CFD) and the
// gateway's parameter check.
var (
	errUnscaledPrice = &bizError{bizGateway, codeParamsInvalid,
		"Request parameters are invalid: requestPrice, stopLoss and takeProfit are integers scaled by 10^symbolDigits"}
	errNoQuote      = &bizError{"CFD", "E000003", "No real-time market quotes for this product"}
	errVolume       = &bizError{"CFD", "E000026", "Quantity must be within the range of 0.01 to 100 lots"}
	errBalance      = &bizError{"CFD", "E000031", "Insufficient available margin: account balance does not cover margin and fee"}
	errNoPosition   = &bizError{"CFD", "E000014", "Position does not exist or is already closed"}
	errNoOrder      = &bizError{"CFD", "E000015", "Order does not exist or can no longer be changed"}
	errBadDirection = &bizError{bizGateway, codeParamsInvalid, "Request parameters are invalid: direction must be 1 (buy) or 2 (sell)"}
)

type accountKey struct {
	customerID int64
	tradeType  int64
}

type account struct {
	id, customerID int64
	customerNo     string
	tradeType      int64
	digits         int
	balance        float64
	margin         float64 // margin held by open positions
	frozen         float64 // spot: cash reserved by resting orders
}

type position struct {
	id, orderID, dealID int64
	acct                *account
	sym                 symbol
	direction           int
	volume              float64
	openPrice, openFee  float64
	margin              float64
	stopLoss, takeProf  int64 // scaled; 0 means none
	openTime            int64
	visibleFrom         int // the account poll from which queries list it
}

type order struct {
	id, positionID, dealID int64
	acct                   *account
	sym                    symbol
	bizType, direction     int
	status                 int
	requestPrice           int64 // scaled
	volume                 float64
	executePrice, fee      float64
	stopLoss, takeProf     int64
	expireType             int
	requestTime, created   int64
	updated                int64
	remark                 string
}

type capitalFlow struct {
	id, orderID, dealID int64
	acct                *account
	businessType        int
	name                string
	amount, after       float64
	at                  int64
}

type tradeBook struct {
	mu        sync.Mutex
	seed      int64
	accounts  map[accountKey]*account
	ticks     map[int64]int // symbol id -> ticks so far
	positions map[int64]*position
	orders    map[int64]*order // every order, for the order lists
	resting   map[int64]*order // the orders still resting (status received)
	flows     []*capitalFlow
	polls     map[int64]int // account id -> position/order reads so far
	nextID    int64
}

func newTradeBook(seed int64) *tradeBook {
	return &tradeBook{
		seed: seed, accounts: map[accountKey]*account{}, ticks: map[int64]int{},
		positions: map[int64]*position{}, orders: map[int64]*order{}, resting: map[int64]*order{}, polls: map[int64]int{},
		nextID: 24160000,
	}
}

// accountOf is the customer's account for a trade type, opened on first use
// with the balance findCustomerInfo's accountList starts from.
func (b *tradeBook) accountOf(c *customer, tradeType int64) *account {
	k := accountKey{c.CustomerID, tradeType}
	if a, ok := b.accounts[k]; ok {
		return a
	}
	base := 1031717 + (c.CustomerID-1176)*10
	a := &account{customerID: c.CustomerID, customerNo: c.CustomerNo, tradeType: tradeType}
	switch tradeType {
	case tradeFullMargin:
		a.id, a.digits, a.balance = base, 2, 10250.50
	case tradeSpot:
		a.id, a.digits, a.balance = base+1, 4, 2904.3187
	default:
		a.id, a.digits, a.balance = base+2+tradeType, 4, 5000
	}
	b.accounts[k] = a
	return a
}

func (b *tradeBook) newID() int64 {
	b.nextID++
	return b.nextID
}

// quote is sym's bid and ask at its current tick, at the symbol's precision.
func (b *tradeBook) quote(sym symbol) (bid, ask float64) {
	phase := (sym.id*b.seed)%quotePeriod + int64(b.ticks[sym.id])
	mid := referencePrice(sym) * (1 + quoteAmplitude*math.Sin(2*math.Pi*float64(phase)/quotePeriod))
	return round(mid-sym.spread(7), sym.digits), round(mid+sym.spread(9), sym.digits)
}

// poll is one read of an account's positions or orders: the account's
// symbols tick once and every trigger the new quotes cross fires.
func (b *tradeBook) poll(s *Simulator, a *account) int {
	b.polls[a.id]++
	ticked := map[int64]bool{}
	tick := func(sym symbol) {
		if !ticked[sym.id] {
			ticked[sym.id] = true
			b.ticks[sym.id]++
		}
	}
	for _, p := range b.positions {
		if p.acct == a {
			tick(p.sym)
		}
	}
	for _, o := range b.resting {
		if o.acct == a {
			tick(o.sym)
		}
	}
	b.fireTriggers(s, a)
	return b.polls[a.id]
}

// fireTriggers fills resting orders and closes positions whose stop-loss or
// take-profit the current quotes cross, in id order so that a run is
// deterministic.
func (b *tradeBook) fireTriggers(s *Simulator, a *account) {
	for _, o := range sortedByID(b.resting) {
		if o.acct != a {
			continue
		}
		bid, ask := b.quote(o.sym)
		price := unscale(o.requestPrice, o.sym.digits)
		var fill bool
		switch {
		case o.bizType == bizStopOpen && o.direction == dirBuy:
			fill = ask >= price
		case o.bizType == bizStopOpen:
			fill = bid <= price
		case o.direction == dirBuy:
			fill = ask <= price
		default:
			fill = bid >= price
		}
		if fill {
			_ = b.fill(s, o, price) // a fill the balance no longer covers keeps resting
		}
	}
	for _, p := range sortedByID(b.positions) {
		if p.acct != a || (p.stopLoss == 0 && p.takeProf == 0) {
			continue
		}
		bid, ask := b.quote(p.sym)
		exit := bid
		if p.direction == dirSell {
			exit = ask
		}
		sl, tp := unscale(p.stopLoss, p.sym.digits), unscale(p.takeProf, p.sym.digits)
		hit := p.direction == dirBuy && (p.stopLoss != 0 && exit <= sl || p.takeProf != 0 && exit >= tp) ||
			p.direction == dirSell && (p.stopLoss != 0 && exit >= sl || p.takeProf != 0 && exit <= tp)
		if hit {
			b.close(s, p, exit, "stop-loss/take-profit")
		}
	}
}

// place records o: resting until it fills or is cancelled, unless it
// already executed.
func (b *tradeBook) place(o *order) {
	b.orders[o.id] = o
	if o.status == orderReceived {
		b.resting[o.id] = o
	}
}

// spotReserve is the cash a resting spot buy sets aside: its limit price
// times its volume, plus the fee.
func spotReserve(o *order) float64 {
	return unscale(o.requestPrice, o.sym.digits) * o.volume * contractSize * (1 + feeRate)
}

// settle ends o's resting with status (executed or cancelled).
func (b *tradeBook) settle(o *order, status int, at int64) {
	o.status, o.updated = status, at
	delete(b.resting, o.id)
}

// fill executes o at price: it opens a position (contracts) or books the
// purchase (spot).
func (b *tradeBook) fill(s *Simulator, o *order, price float64) error {
	a := o.acct
	notional := price * o.volume * contractSize
	fee := round(notional*feeRate, a.digits)
	now := s.now().UnixMilli()
	if a.tradeType == tradeSpot {
		cost := notional + fee
		reserved := 0.0 // what a resting buy set aside when it was placed
		if _, ok := b.resting[o.id]; ok && o.direction == dirBuy {
			reserved = spotReserve(o)
		}
		if o.direction == dirBuy && cost > a.balance-a.frozen+reserved {
			return errBalance
		}
		if o.direction == dirBuy {
			a.frozen -= reserved
			a.balance -= cost
		} else {
			a.balance += notional - fee
		}
		a.balance = round(a.balance, a.digits)
		b.settle(o, orderExecuted, now)
		o.executePrice, o.fee, o.dealID = price, fee, b.newID()
		sign := -1.0
		if o.direction == dirSell {
			sign = 1
		}
		b.book(o, flowSpot, "Spot trade", sign*round(notional, a.digits), now)
		b.book(o, flowFee, "Trading fee", -fee, now)
		return nil
	}
	if a.tradeType == tradeStock && o.direction == dirSell {
		// A stock sale sells the holding of that symbol.
		for _, p := range sortedByID(b.positions) {
			if p.acct == a && p.sym.id == o.sym.id {
				b.close(s, p, price, "stock sale")
				b.settle(o, orderExecuted, now)
				o.executePrice, o.positionID = price, p.id
				return nil
			}
		}
		return errNoPosition
	}
	margin := round(notional/leverage(a.tradeType), a.digits)
	if s.scenario.Load().trade.rejectMargin || margin+fee > a.balance-a.margin {
		return errBalance
	}
	a.balance = round(a.balance-fee, a.digits)
	a.margin += margin
	p := &position{
		id: 2023022800000 + b.newID(), orderID: o.id, dealID: b.newID(), acct: a, sym: o.sym, direction: o.direction,
		volume: o.volume, openPrice: price, openFee: fee, margin: margin, stopLoss: o.stopLoss, takeProf: o.takeProf,
		openTime: now, visibleFrom: b.polls[a.id] + s.scenario.Load().trade.hidePolls,
	}
	b.positions[p.id] = p
	b.settle(o, orderExecuted, now)
	o.executePrice, o.fee, o.positionID, o.dealID = price, fee, p.id, p.dealID
	if !s.scenario.Load().trade.dropFee {
		b.book(o, flowFee, "Trading fee", -fee, now)
	}
	return nil
}

// close closes p at price, realising its profit and charging the closing
// fee; it returns the closing order and the profit.
func (b *tradeBook) close(s *Simulator, p *position, price float64, remark string) (*order, float64) {
	a := p.acct
	sign := 1.0
	if p.direction == dirSell {
		sign = -1
	}
	profit := round(sign*(price-p.openPrice)*p.volume*contractSize, a.digits)
	fee := round(price*p.volume*contractSize*feeRate, a.digits)
	now := s.now().UnixMilli()
	o := &order{id: b.newID(), positionID: p.id, dealID: b.newID(), acct: a, sym: p.sym, bizType: bizMarketClose,
		direction: 3 - p.direction, status: orderExecuted, volume: p.volume, executePrice: price, fee: fee,
		requestTime: now, created: now, updated: now, remark: remark,
		requestPrice: scale(price, p.sym.digits)}
	b.orders[o.id] = o
	a.balance = round(a.balance+profit-fee, a.digits)
	a.margin = math.Max(0, a.margin-p.margin)
	delete(b.positions, p.id)
	b.book(o, flowProfit, "Closing profit and loss", profit, now)
	b.book(o, flowFee, "Trading fee", -fee, now)
	return o, profit
}

// book records a capital flow of amount (negative: out) on o's account.
func (b *tradeBook) book(o *order, businessType int, name string, amount float64, at int64) {
	b.flows = append(b.flows, &capitalFlow{id: b.newID(), orderID: o.id, dealID: o.dealID, acct: o.acct,
		businessType: businessType, name: name, amount: amount, after: o.acct.balance, at: at})
}

// sortedByID lists m's values in id order, so that everything the book
// does to many orders or positions happens in one deterministic order.
func sortedByID[T any](m map[int64]*T) []*T {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
	}
	return out
}

// round rounds v to digits decimals.
func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// unscale turns a scaled integer price into a price.
func unscale(v int64, digits int) float64 { return float64(v) / math.Pow10(digits) }

// scale turns a price into the vendor's scaled integer.
func scale(v float64, digits int) int64 { return int64(math.Round(v * math.Pow10(digits))) }

// decimal renders v with digits decimals, as the vendor's money strings.
func decimal(v float64, digits int) string { return strconv.FormatFloat(v, 'f', digits, 64) }

// errAbsent is a scaled field the request did not send.
var errAbsent = errors.New("absent")

// scaledField reads a scaled integer price (requestPrice, stopLoss,
// takeProfit) from the body: a string or number of decimal digits only. A
// decimal point or an exponent is an unscaled price, which the vendor
// refuses, as it refuses a sign or one beyond int64.
func scaledField(body map[string]any, key string) (int64, error) {
	var text string
	switch v := body[key].(type) {
	case nil:
		return 0, errAbsent
	case string:
		text = v
	case interface{ String() string }: // json.Number
		text = v.String()
	default:
		return 0, errUnscaledPrice
	}
	if text == "" {
		return 0, errAbsent
	}
	if strings.Trim(text, "0123456789") != "" {
		// A decimal point or exponent is an unscaled price; a sign or
		// anything else is no scaled integer either.
		return 0, errUnscaledPrice
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, errUnscaledPrice
	}
	return n, nil
}

// volumeField reads requestNum: lots as a decimal string or number, at
// least minVolume and a whole number of volume steps.
func volumeField(body map[string]any, key string) (float64, error) {
	var text string
	switch v := body[key].(type) {
	case string:
		text = v
	case interface{ String() string }:
		text = v.String()
	default:
		return 0, errVolume
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < minVolume-1e-12 || f > 100 || math.Abs(f/minVolume-math.Round(f/minVolume)) > 1e-9 {
		return 0, errVolume
	}
	return f, nil
}
