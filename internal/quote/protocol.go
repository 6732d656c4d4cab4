// Package quote is the vendor's quote websocket protocol (NOTES §6.1):
// the request and response frames, their command ids and return codes, the
// text push frames p(…), pt(…), pd(…) and pr(…) parsed into objects, and
// the client-side limits (100 symbols per subscription, 50 calls a second
// per connection) that a Session never exceeds.
//
// It knows the protocol's syntax and its limits, nothing of the contract's
// judgement: the specs in suites validate what it parses against
// schemas/websocket/quote and record what they find, as they do for HTTP.
// A parsed push becomes the object {"frame": kind, "data": {…}} so that its
// data is validated, shaped and drift-checked exactly like a response's.
package quote

import (
	"encoding/json"
	"fmt"
)

// Paths of the quote sockets under the target's root.
const (
	PathQuote      = "/apiQuote/quote"       // registered users (crypto, forex); ?token=<client token>
	PathQuoteGuest = "/apiQuote/quote_guest" // no token
	PathQuoteStock = "/apiQuote/quote_stock" // stocks; ?token=<client token>
)

// Command ids: each request's answer is its id plus one.
const (
	CmdSubscribeTick     uint32 = 14000
	CmdSubscribeTickAck  uint32 = 14001
	CmdCancel            uint32 = 14006
	CmdCancelAck         uint32 = 14007
	CmdHeartbeat         uint32 = 14008
	CmdHeartbeatAck      uint32 = 14009
	CmdSubscribeDepth    uint32 = 14010
	CmdSubscribeDepthAck uint32 = 14011
	CmdKline             uint32 = 14012
	CmdKlineAck          uint32 = 14013
)

// Command is what the specs and the schemas call a request command: its
// label, and the schema kind of its answer's data.
type Command struct {
	ID   uint32
	Name string // the spec label and the answer's schema kind
}

// Commands are the request commands the harness speaks, in the order of
// the vendor's table.
var Commands = []Command{
	{CmdSubscribeTick, "subscribe_tick"},
	{CmdSubscribeDepth, "subscribe_depth"},
	{CmdCancel, "cancel"},
	{CmdHeartbeat, "heartbeat"},
	{CmdKline, "kline"},
}

// CommandName is the name of a request id or of its answer's id, "" when
// unknown.
func CommandName(id uint32) string {
	for _, c := range Commands {
		if id == c.ID || id == c.ID+1 {
			return c.Name
		}
	}
	return ""
}

// Return codes of a response frame.
const (
	RetOK            int32 = 200 // OK, or partially OK
	RetHeaderInvalid int32 = 201 // header param invalid
	RetDataInvalid   int32 = 202 // data param invalid
	RetNoClient      int32 = 203 // client_ip_port not exist
	RetFailed        int32 = 500
)

// Limits of one connection.
const (
	MaxSymbols        = 100  // products per subscription
	MaxCallsPerSecond = 50   // requests per connection per second
	MaxKlineBars      = 1000 // bars one K-line query returns
	MaxExtLength      = 64   // bytes of a request's ext
)

// Cancel types of CmdCancel.
const (
	CancelAll     = 0
	CancelTick    = 1
	CancelDepth   = 2
	CancelRolling = 3
)

// Request is a request frame.
type Request struct {
	CmdID uint32 `json:"cmd_id"`
	SeqID uint32 `json:"seq_id"`
	Ext   string `json:"ext"`
	Data  any    `json:"data"`
}

// Response is a response frame. Ret is a pointer so that a frame without
// it (the doc's header table calls the field "right") is told apart from 0.
type Response struct {
	Ret   *int32          `json:"ret"`
	Msg   string          `json:"msg"`
	CmdID uint32          `json:"cmd_id"`
	SeqID uint32          `json:"seq_id"`
	Ext   string          `json:"ext"`
	Data  json.RawMessage `json:"data"`
}

// OK reports whether the frame's ret is 200.
func (r Response) OK() bool { return r.Ret != nil && *r.Ret == RetOK }

// RetCode is ret, or -1 when the frame has none.
func (r Response) RetCode() int32 {
	if r.Ret == nil {
		return -1
	}
	return *r.Ret
}

// Symbol names one product of a subscription.
type Symbol struct {
	SymbolID  uint64 `json:"symbol_id"`
	TradeType int    `json:"trade_type"`
	TradeMode int    `json:"trade_mode"`
}

// String is the key pushes are grouped by: sequence numbers run per
// symbol, trade type and mode.
func (s Symbol) String() string { return fmt.Sprintf("%d/%d/%d", s.SymbolID, s.TradeType, s.TradeMode) }

// TickSubscription is the data of CmdSubscribeTick.
type TickSubscription struct {
	SymbolList []Symbol `json:"symbol_list"`
}

// DepthSymbol is one product of a depth subscription.
type DepthSymbol struct {
	Symbol
	DepthLevel     int    `json:"depth_level,omitempty"`
	MergeAccuracy  string `json:"merge_accuracy,omitempty"`
	TradeInfoCount int    `json:"trade_info_count,omitempty"`
}

// DepthSubscription is the data of CmdSubscribeDepth.
type DepthSubscription struct {
	SymbolList []DepthSymbol `json:"symbol_list"`
}

// Cancellation is the data of CmdCancel.
type Cancellation struct {
	CancelType int `json:"cancel_type"`
}

// KlineQuery is the data of CmdKline. KlineTimestampEnd is in seconds, 0
// for the latest bar.
type KlineQuery struct {
	Symbol
	KlineType         int   `json:"kline_type"`
	KlineTimestampEnd int64 `json:"kline_timestamp_end"`
	QueryKlineNum     int   `json:"query_kline_num"`
}

// Tick is one entry of a 14001 answer's tick_list, as far as the specs
// judge it (the schema judges the rest). Prices stay raw so their text can
// be checked against price_digits.
type Tick struct {
	SymbolID    uint64          `json:"symbol_id"`
	TradeType   int             `json:"trade_type"`
	TradeMode   int             `json:"trade_mode"`
	Seq         uint64          `json:"seq"`
	TickTime    int64           `json:"tick_time"`
	PriceDigits int             `json:"price_digits"`
	Price       json.RawMessage `json:"price"`
}

// Candle is one bar of a 14013 answer's kline_list. Prices stay raw (they
// are decimal strings) and are compared as decimals.
type Candle struct {
	Timestamp  int64           `json:"timestamp"`
	OpenPrice  json.RawMessage `json:"open_price"`
	ClosePrice json.RawMessage `json:"close_price"`
	HighPrice  json.RawMessage `json:"high_price"`
	LowPrice   json.RawMessage `json:"low_price"`
}
