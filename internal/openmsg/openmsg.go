// Package openmsg is the vocabulary of the vendor's Open API trade-message
// websocket (/openapi-c/openMsg/{appId}, NOTES §6.2): the client's request
// frames, the server's msgCodes, and the parser of its two text frames,
// f(…) and g(…), which carry a trading account's assets and its positions'
// floating profit for trade types 1 and 2. The simulator speaks it, the
// suites check the vendor against it, and the schemas under
// schemas/websocket/openmsg name its frames; keeping the names here means
// the three can never spell a frame differently.
package openmsg

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Path is the socket's path prefix; the appId follows it.
const Path = "/openapi-c/openMsg/"

// Client msgTypes (head.msgType of a request frame).
const (
	Login                = "login"
	SubscribeAsset       = "subscribe_asset"
	CancelSubscribeAsset = "cancel_subscribe_asset"
	Logout               = "logout"
	Ping                 = "ping"
)

// Server msgCodes. Each has a schema of the same name under
// schemas/websocket/openmsg, as do the text frames (FrameF, FrameG).
const (
	SubscribeSuccess   = "subscribe_success"
	SubscribeFail      = "subscribe_fail"
	Notice             = "notice"
	Trade              = "trade"
	Disconnect         = "disconnect"
	UserForceLogoutRet = "UserForceLogoutRet"
)

// Text frame names: the schema of a parsed f(…) or g(…) frame.
const (
	FrameF = "f"
	FrameG = "g"
)

// MsgCodes lists every server frame that has a schema, JSON ones first.
var MsgCodes = []string{SubscribeSuccess, SubscribeFail, Notice, Trade, Disconnect, UserForceLogoutRet, FrameF, FrameG}

// PingInterval is how often the client pings. The Open API docs say every
// 15 s, the vendor's H5 client every 30 s; the shorter keeps both servers'
// idle timers satisfied.
const PingInterval = 15

// Head is the head of a request frame.
type Head struct {
	MsgType  string `json:"msgType"`
	Token    string `json:"token,omitempty"`
	SendTime int64  `json:"sendTime"`
	Lang     string `json:"lang,omitempty"`
}

// Request is one client frame:
// {"head":{msgType,token,sendTime,lang},"data":{…},"device":1,"seqId":n,"trace":"…"}.
type Request struct {
	Head   Head           `json:"head"`
	Data   map[string]any `json:"data"`
	Device int            `json:"device"`
	SeqID  int64          `json:"seqId"`
	Trace  string         `json:"trace"`
}

// Device is the device code our requests carry (1, as the docs' examples).
const Device = 1

// Subscription is the data of subscribe_asset: tradeTypes "1", "2" or "1,2"
// (1 full-margin, 2 isolated, 5 spot, 6 stock), and subscribeType "1"
// (position floating PnL), "2" (assets) or "1,2", for stocks only.
type Subscription struct {
	TradeTypes    string
	SubscribeType string
}

// Data is the request data of a subscription.
func (s Subscription) Data() map[string]any {
	d := map[string]any{"tradeTypes": s.TradeTypes}
	if s.SubscribeType != "" {
		d["subscribeType"] = s.SubscribeType
	}
	return d
}

// TradeTypes are the documented trade types of a subscription.
var TradeTypes = map[string]bool{"1": true, "2": true, "5": true, "6": true}

// ValidTradeTypes reports whether list is a comma-separated list of
// documented trade types, each at most once.
func ValidTradeTypes(list string) bool {
	if list == "" {
		return false
	}
	seen := map[string]bool{}
	for _, t := range strings.Split(list, ",") {
		if !TradeTypes[t] || seen[t] {
			return false
		}
		seen[t] = true
	}
	return true
}

// ServerFrame is the envelope of a JSON server frame:
// {"msgCode","timestamp","trace","seqId","content"}.
type ServerFrame struct {
	MsgCode   string          `json:"msgCode"`
	Timestamp int64           `json:"timestamp"`
	Trace     string          `json:"trace,omitempty"`
	SeqID     *int64          `json:"seqId,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
}

// TradeTypeOfFrame is the trade type a text frame's prefix carries.
func TradeTypeOfFrame(frame string) int {
	if frame == FrameG {
		return 2
	}
	return 1
}

// itoa is strconv.FormatInt for the parser's error texts.
func itoa(n int) string { return strconv.Itoa(n) }
