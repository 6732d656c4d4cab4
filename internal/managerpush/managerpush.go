// Package managerpush is the vocabulary of the vendor's Manager (B-side)
// data push, the websocket at /openapi-b/ws (NOTES §6.4): the handshake
// headers, the text heartbeat, and the 18 event types of its
// {"data":{…},"eventType":"…"} frames. The simulator pushes these events,
// the suites check the vendor's against schemas/websocket/managerpush (one
// schema per event type, named like it), and both take the names from here.
package managerpush

// Path is the socket's path.
const Path = "/openapi-b/ws"

// Handshake headers: the Manager token (from the auth call) and the
// subscriber's group. Reusing a group kicks the other connection out;
// events are kept 168 h and replayed to a group that reconnects, and a new
// group starts from now.
const (
	HeaderToken = "token"
	HeaderGroup = "group"
)

// Heartbeat is the text the client sends every HeartbeatInterval seconds;
// the server answers with a websocket pong frame.
const (
	Heartbeat         = "ping"
	HeartbeatInterval = 10
)

// Event types, in the docs' order.
const (
	Register           = "register"
	CustomerUpdate     = "customer_update"
	CustomerInfoInsert = "customer_info_insert"
	CustomerInfoUpdate = "customer_info_update"
	KYC                = "kyc"
	OpenAccount        = "open_account"
	AccountUpdate      = "account_update"
	SubjectInsert      = "subject_insert"
	SubjectUpdate      = "subject_update"
	SubjectWaterInsert = "subject_water_insert"
	SubjectWaterUpdate = "subject_water_update"
	PositionInsert     = "position_insert"
	PositionUpdate     = "position_update"
	PositionDelete     = "position_delete"
	TradeDeal          = "trade_deal"
	Deposit            = "deposit"
	AccountAdjust      = "account_adjust"
	Withdraw           = "withdraw"
)

// EventTypes lists the 18 documented event types.
var EventTypes = []string{Register, CustomerUpdate, CustomerInfoInsert, CustomerInfoUpdate, KYC, OpenAccount,
	AccountUpdate, SubjectInsert, SubjectUpdate, SubjectWaterInsert, SubjectWaterUpdate, PositionInsert,
	PositionUpdate, PositionDelete, TradeDeal, Deposit, AccountAdjust, Withdraw}

var known = func() map[string]bool {
	m := make(map[string]bool, len(EventTypes))
	for _, e := range EventTypes {
		m[e] = true
	}
	return m
}()

// Known reports whether eventType is documented.
func Known(eventType string) bool { return known[eventType] }

// FrameSchema is the name of the schema every frame's envelope
// ({eventType, data}) is checked against before its data is checked
// against the event type's own schema.
const FrameSchema = "frame"
