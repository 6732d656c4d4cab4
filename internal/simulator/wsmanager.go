package simulator

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/managerpush"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Manager push scenarios.
const (
	scManagerUnknownEvent = "ws-managerpush-unknown-event"
	scManagerTypeChange   = "ws-managerpush-type-change"
	scManagerNonJSON      = "ws-managerpush-non-json"
	scManagerDeaf         = "ws-managerpush-heartbeat-unanswered"
	scManagerPushesStop   = "ws-managerpush-pushes-stop"
)

// unknownEventType is the undocumented event type of the unknown-event
// scenario.
const unknownEventType = "margin_call"

// managerPushLabel selects the Manager push's checks.
const managerPushLabel = "websocket && managerpush"

var managerPushScenarios = []scenarioDef{
	{Scenario: Scenario{Name: scManagerUnknownEvent, Kind: KindWebsocket, Label: managerPushLabel, ExpectedVerdict: verdict.Broken, Pointer: "/eventType",
		Description: "Manager push: a frame with the undocumented eventType " + unknownEventType}},
	{Scenario: Scenario{Name: scManagerTypeChange, Kind: KindWebsocket, Label: managerPushLabel, ExpectedVerdict: verdict.Broken, Pointer: "/data/executeTime",
		Description: "Manager push: trade_deal data.executeTime is a string instead of epoch milliseconds"}},
	{Scenario: Scenario{Name: scManagerNonJSON, Kind: KindWebsocket, Label: managerPushLabel, ExpectedVerdict: verdict.Broken, Pointer: "",
		Description: "Manager push: a text frame that is not JSON"}},
	{Scenario: Scenario{Name: scManagerDeaf, Kind: KindWebsocket, Label: managerPushLabel, ExpectedVerdict: verdict.Broken, Pointer: "",
		Description: "Manager push: after the handshake the server reads nothing, so heartbeats go unanswered"}},
	{Scenario: Scenario{Name: scManagerPushesStop, Kind: KindWebsocket, Label: managerPushLabel, ExpectedVerdict: verdict.Broken, Pointer: "/frame",
		Description: "Manager push: the handshake succeeds, then no event is ever pushed"}},
}

// managerGroups is the Manager push's per-group state: the live connection
// (a reused group kicks it out) and the cursor into the event sequence, so
// a group that reconnects is replayed what it missed and a new group starts
// from now.
type managerGroups struct {
	mu     sync.Mutex
	live   map[string]context.CancelFunc
	cursor map[string]int
}

// join registers a connection of group and returns its first event index
// and a context that ends when another connection takes the group.
func (g *managerGroups) join(ctx context.Context, group string, now int) (context.Context, int, func(next int)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live == nil {
		g.live, g.cursor = map[string]context.CancelFunc{}, map[string]int{}
	}
	if kick, ok := g.live[group]; ok {
		kick()
	}
	cctx, cancel := context.WithCancel(ctx)
	g.live[group] = cancel
	start, seen := g.cursor[group]
	if !seen {
		start = now
	}
	leave := func(next int) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.cursor[group] = next
		if cctx.Err() == nil {
			delete(g.live, group) // not kicked: the group is free again
		}
		cancel()
	}
	return cctx, start, leave
}

// serveManagerPush answers GET /openapi-b/ws, the Manager data push, and
// reports whether the path was its. The handshake carries the Manager
// token and a group name as headers; a missing or unknown token, or a
// missing group, is refused like the gateway refuses a call (HTTP 200 with
// its error envelope, no upgrade). The client sends the text "ping" every
// ManagerPingInterval; three intervals without one close the socket.
// Events are pushed as {"data":{…},"eventType":"…"} in a fixed cycle over
// the 18 documented types.
func (s *Simulator) serveManagerPush(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != managerpush.Path {
		return false
	}
	c := &call{r: r, route: route{kind: "ws", bizType: "ws"}, trace: r.Header.Get("trace"), started: s.now()}
	if c.trace == "" {
		c.trace = s.serverTrace()
	}
	token, group := r.Header.Get(managerpush.HeaderToken), strings.TrimSpace(r.Header.Get(managerpush.HeaderGroup))
	st, err := s.signed()
	switch {
	case err != nil:
		s.writeError(w, http.StatusInternalServerError, c, bizGateway, "G500")
		return true
	case token == "":
		s.writeError(w, http.StatusOK, c, bizGateway, codeTokenNull)
		return true
	case group == "":
		s.writeError(w, http.StatusOK, c, bizGateway, codeParamsInvalid)
		return true
	}
	if _, ok := st.mgrToken.Load(token); !ok {
		s.writeError(w, http.StatusOK, c, bizGateway, codeLoginExpired)
		return true
	}
	conn, err := acceptFeed(w, r)
	if err != nil {
		return true
	}
	sc := s.feedScenario()
	period := s.feedPushInterval()
	now := int(s.now().UnixNano() / int64(period))
	ctx, start, leave := s.mgrGroups.join(r.Context(), group, now)
	next := start
	defer func() { leave(next) }()
	go func() {
		select {
		case <-s.done:
			_ = conn.CloseNow()
		case <-ctx.Done():
			_ = conn.Close(websocket.StatusPolicyViolation, "group taken over by another connection")
		}
	}()
	beat := make(chan struct{}, 1)
	deaf := sc == scManagerDeaf // reads nothing: neither text pings nor control pings are answered
	if deaf {
		beat = nil
	}
	go func() {
		if deaf {
			return
		}
		defer conn.CloseNow()
		for {
			typ, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageText && string(b) == managerpush.Heartbeat {
				select {
				case beat <- struct{}{}:
				default:
				}
			}
		}
	}()
	idle := time.NewTimer(3 * s.managerPingInterval())
	defer idle.Stop()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		if sc != scManagerPushesStop {
			if err := s.writeManagerEvent(ctx, conn, next, next == start, sc); err != nil {
				return true
			}
			next++
		}
		select {
		case <-ctx.Done():
			return true
		case <-beat:
			idle.Reset(3 * s.managerPingInterval())
		case <-idle.C:
			if deaf {
				continue // it never heard one: it cannot miss one
			}
			_ = conn.Close(websocket.StatusPolicyViolation, "no heartbeat")
			return true
		case <-tick.C:
		}
	}
}

// writeManagerEvent pushes event n of the cycle; first is the
// connection's first, where the scenarios put their fault.
func (s *Simulator) writeManagerEvent(ctx context.Context, conn *websocket.Conn, n int, first bool, sc string) error {
	b := s.managerEventFrame(n, first, sc)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b)
}

// managerEventFrame renders event n: the event types in the docs' order,
// over and over, with data that changes with n. The scenarios put their
// fault into a connection's first frame (first), in place of that event.
func (s *Simulator) managerEventFrame(n int, first bool, sc string) []byte {
	types := managerpush.EventTypes
	i := n % len(types)
	typ := types[i]
	if first {
		switch sc {
		case scManagerUnknownEvent:
			typ = unknownEventType
		case scManagerNonJSON:
			return []byte("event stream reset, please reconnect")
		}
	}
	data := s.managerEventData(types[i], n)
	if sc == scManagerTypeChange && types[i] == managerpush.TradeDeal {
		data = data.with("executeTime", s.now().UTC().Format(time.RFC3339))
	}
	return appendJSON(nil, obj{{"data", data}, {"eventType", typ}})
}

// managerPingInterval is Options.ManagerPingInterval or its default.
func (s *Simulator) managerPingInterval() time.Duration {
	if s.opts.ManagerPingInterval > 0 {
		return s.opts.ManagerPingInterval
	}
	return DefaultManagerPingInterval
}
