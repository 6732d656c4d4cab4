package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/openmsg"
	"github.com/mmcontract/mmcontract/internal/verdict"
)

// Defaults of the feed sockets' Options.
const (
	// DefaultFeedPushInterval paces the trade-message and Manager pushes:
	// the vendor pushes when accounts change, the simulator on a clock, fast
	// enough that a spec sees every kind of frame within a second.
	DefaultFeedPushInterval = 50 * time.Millisecond
	// DefaultManagerPingInterval is the Manager push's documented heartbeat.
	DefaultManagerPingInterval = 10 * time.Second
)

// feedReadLimit caps a client frame on the feed sockets: our frames are a
// few hundred bytes.
const feedReadLimit = 64 << 10

// openMsgIdle is how long the trade-message socket waits for any client
// frame (a ping at least) before it closes: the vendor's H5 client pings
// every 30 s, so twice that.
const openMsgIdle = 60 * time.Second

// openMsgLoginWait bounds the wait for the login frame after the upgrade.
const openMsgLoginWait = 10 * time.Second

// feedOverCapSize is the size of the over-cap scenarios' frame: over the
// 1 MiB cap of the client.
const feedOverCapSize = 2 << 20

// Trade-message and Manager push scenarios. They leave HTTP alone; the
// socket code asks for its fault by name.
const (
	scOpenMsgNumericParam = "ws-openmsg-numeric-param"
	scOpenMsgNonJSON      = "ws-openmsg-non-json"
	scOpenMsgBadTextFrame = "ws-openmsg-bad-text-frame"
	scOpenMsgPushesStop   = "ws-openmsg-pushes-stop"
	scOpenMsgOverCap      = "ws-openmsg-over-cap"
)

// openMsgLabel selects the trade-message socket's checks.
const openMsgLabel = "websocket && openmsg"

var openMsgScenarios = []scenarioDef{
	{Scenario: Scenario{Name: scOpenMsgNumericParam, Kind: KindWebsocket, Label: openMsgLabel, ExpectedVerdict: verdict.Broken, Pointer: "/content/paramMap/dealPrice",
		Description: "trade-message socket: a trade frame's paramMap.dealPrice is a JSON number, not the documented string"}},
	{Scenario: Scenario{Name: scOpenMsgNonJSON, Kind: KindWebsocket, Label: openMsgLabel, ExpectedVerdict: verdict.Broken, Pointer: "",
		Description: "trade-message socket: after the subscription a text frame that is neither JSON nor f(…)/g(…)"}},
	{Scenario: Scenario{Name: scOpenMsgBadTextFrame, Kind: KindWebsocket, Label: openMsgLabel, ExpectedVerdict: verdict.Broken, Pointer: "/data/availableMargin",
		Description: "trade-message socket: an f(…) frame's availableMargin is not a decimal"}},
	{Scenario: Scenario{Name: scOpenMsgPushesStop, Kind: KindWebsocket, Label: openMsgLabel, ExpectedVerdict: verdict.Broken, Pointer: "/frame",
		Description: "trade-message socket: the subscription is acknowledged, then nothing is pushed"}},
	{Scenario: Scenario{Name: scOpenMsgOverCap, Kind: KindWebsocket, Label: openMsgLabel, ExpectedVerdict: verdict.Broken, Pointer: "",
		Description: "trade-message socket: a 2 MiB trade frame, over the client's 1 MiB cap"}},
}

// feedScenario is the name of the current scenario, for the sockets.
func (s *Simulator) feedScenario() string { return s.scenario.Load().Name }

// acceptFeed upgrades a feed socket. Origins are not checked: the
// simulator serves loopback clients only.
func acceptFeed(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(feedReadLimit)
	return c, nil
}

// serveOpenMsg answers GET /openapi-c/openMsg/{appId}, the Open API
// trade-message socket, and reports whether the path was its.
//
// The client logs in with the token getMsgPushToken issued to the apiKey
// named by appId, subscribes with subscribe_asset and is then pushed a
// cycle of notice, trade and f(…)/g(…) frames until it cancels, logs out
// or goes quiet for openMsgIdle. ping resets the idle timer; the docs show
// no answer to it, nor to login or cancel_subscribe_asset. A bad token or
// a frame that is not a request is answered with msgCode disconnect and
// the socket is closed.
func (s *Simulator) serveOpenMsg(w http.ResponseWriter, r *http.Request) bool {
	appID, ok := strings.CutPrefix(r.URL.Path, openmsg.Path)
	if !ok {
		return false
	}
	if appID == "" || strings.Contains(appID, "/") {
		http.NotFound(w, r)
		return true
	}
	c, err := acceptFeed(w, r)
	if err != nil {
		return true // Accept has answered the failed upgrade
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	sess := &openMsgSession{s: s, c: c, appID: appID}
	err = sess.run(ctx)
	switch {
	case errors.Is(err, errFeedLogout):
		_ = c.Close(websocket.StatusNormalClosure, "logout")
	case err != nil && websocket.CloseStatus(err) == -1:
		_ = c.Close(websocket.StatusPolicyViolation, err.Error())
	default:
		_ = c.CloseNow()
	}
	return true
}

var errFeedLogout = errors.New("logout")

// openMsgSession is one trade-message connection.
type openMsgSession struct {
	s        *Simulator
	c        *websocket.Conn
	appID    string
	loggedIn bool
	// conn is the connection's context: writes use it, never a
	// subscription's, because a write cut short by its context closes the
	// websocket.
	conn context.Context
	// stop ends the current subscription's pushes.
	stop context.CancelFunc
}

func (o *openMsgSession) run(ctx context.Context) error {
	o.conn = ctx
	defer func() {
		if o.stop != nil {
			o.stop()
		}
	}()
	for {
		wait := openMsgIdle
		if !o.loggedIn {
			wait = openMsgLoginWait
		}
		rctx, cancel := context.WithTimeout(ctx, wait)
		typ, b, err := o.c.Read(rctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && rctx.Err() != nil {
				return fmt.Errorf("no frame for %s", wait)
			}
			return nil
		}
		if typ != websocket.MessageText {
			return o.disconnect(ctx, "binary frames are not accepted")
		}
		var req openmsg.Request
		if err := json.Unmarshal(b, &req); err != nil || req.Head.MsgType == "" {
			return o.disconnect(ctx, "not a request frame")
		}
		if err := o.handle(ctx, req); err != nil {
			return err
		}
	}
}

func (o *openMsgSession) handle(ctx context.Context, req openmsg.Request) error {
	if req.Head.MsgType == openmsg.Login {
		if !o.s.pushTokenValid(req.Head.Token, o.appID) {
			return o.disconnect(ctx, "token invalid or expired")
		}
		o.loggedIn = true
		return nil
	}
	if !o.loggedIn {
		return o.disconnect(ctx, "not logged in")
	}
	switch req.Head.MsgType {
	case openmsg.Ping:
		return nil
	case openmsg.Logout:
		return errFeedLogout
	case openmsg.CancelSubscribeAsset:
		if o.stop != nil {
			o.stop()
			o.stop = nil
		}
		return nil
	case openmsg.SubscribeAsset:
		types, _ := req.Data["tradeTypes"].(string)
		sub, _ := req.Data["subscribeType"].(string)
		if !openmsg.ValidTradeTypes(types) || sub != "" && sub != "1" && sub != "2" && sub != "1,2" {
			return o.write(ctx, o.frame(openmsg.SubscribeFail, req, obj{{"tradeTypes", types}, {"reason", "tradeTypes invalid"}}))
		}
		if err := o.write(ctx, o.frame(openmsg.SubscribeSuccess, req, obj{{"tradeTypes", types}})); err != nil {
			return err
		}
		if o.stop != nil {
			o.stop() // a new subscription replaces the old one
		}
		pctx, stop := context.WithCancel(ctx)
		o.stop = stop
		go o.push(pctx, strings.Split(types, ","))
		return nil
	}
	return o.disconnect(ctx, "unknown msgType "+strconv.Quote(req.Head.MsgType))
}

// frame renders a server frame answering req.
func (o *openMsgSession) frame(code string, req openmsg.Request, content any) []byte {
	f := obj{{"msgCode", code}, {"timestamp", o.s.now().UnixMilli()}, {"trace", req.Trace}, {"seqId", req.SeqID}, {"content", content}}
	return appendJSON(nil, f)
}

func (o *openMsgSession) write(ctx context.Context, b []byte) error {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return o.c.Write(wctx, websocket.MessageText, b)
}

// disconnect sends msgCode disconnect with the reason and ends the session.
func (o *openMsgSession) disconnect(ctx context.Context, reason string) error {
	_ = o.write(ctx, appendJSON(nil, obj{{"msgCode", openmsg.Disconnect}, {"timestamp", o.s.now().UnixMilli()},
		{"trace", o.s.pushTrace()}, {"content", obj{{"reason", reason}}}}))
	return errors.New(reason)
}

// push sends the subscription's cycle until ctx ends: a notice, a trade,
// and the text frame of each subscribed contract trade type.
func (o *openMsgSession) push(ctx context.Context, tradeTypes []string) {
	sc := o.s.feedScenario()
	if sc == scOpenMsgPushesStop {
		return
	}
	t := time.NewTicker(o.s.feedPushInterval())
	defer t.Stop()
	for n := 0; ; n++ {
		for _, b := range o.cycle(n, sc, tradeTypes) {
			if ctx.Err() != nil || o.write(o.conn, b) != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cycle is the n-th round of pushes.
func (o *openMsgSession) cycle(n int, sc string, tradeTypes []string) [][]byte {
	s := o.s
	cust := s.customers[0]
	now := s.now()
	tt, _ := strconv.Atoi(tradeTypes[n%len(tradeTypes)])
	var out [][]byte
	if n == 0 {
		// The faults come first, so a client that stops reading once it has
		// seen every kind still meets them.
		switch sc {
		case scOpenMsgNonJSON:
			out = append(out, []byte("<html><body>502 Bad Gateway</body></html>"))
		case scOpenMsgOverCap:
			big := o.trade(n, sc, tt, cust.CustomerID, now)
			pad := strings.Repeat("x", feedOverCapSize)
			out = append(out, append(big[:len(big)-1:len(big)-1], `,"padding":"`+pad+`"}`...))
		}
	}
	out = append(out, appendJSON(nil, obj{{"msgCode", openmsg.Notice}, {"timestamp", now.UnixMilli()}, {"trace", s.pushTrace()},
		{"content", obj{{"updateType", int64([]int{5, 6, 3, 1, 2}[n%5])}, {"tradeType", int64(tt)}}}}))
	out = append(out, o.trade(n, sc, tt, cust.CustomerID, now))
	for _, t := range tradeTypes {
		switch t {
		case "1":
			out = append(out, assetText("f", n, sc == scOpenMsgBadTextFrame))
		case "2":
			out = append(out, assetText("g", n, false))
		}
	}
	return out
}

// tradeBizTypes are the documented content.bizType values of trade frames.
var tradeBizTypes = []string{"POSITION_OPEN", "POSITION_CLOSE", "ME_POSITION_LIMIT_OPEN", "ME_POSITION_LIMIT_CLOSE",
	"POSITION_OPEN_FAIL", "ME_POSITION_LIMIT_FAIL"}

// trade renders a trade frame; every paramMap value is a string, as the
// vendor documents, except in the numeric-param scenario.
func (o *openMsgSession) trade(n int, sc string, tradeType int, customerID int64, now time.Time) []byte {
	s := o.s
	sym := s.symbols[n%len(s.symbols)]
	accountID := strconv.FormatInt(customerID*10+int64(tradeType), 10)
	price := fmt.Sprintf("%d.%0*d", 1800+n%200, sym.digits, 25*(n%4))
	var dealPrice any = price
	if sc == scOpenMsgNumericParam {
		dealPrice = json.Number(price)
	}
	id := strconv.Itoa(700000 + n)
	params := obj{
		{"date", now.UTC().Format("2006-01-02 15:04:05")}, {"orderType", "1"}, {"symbolId", strconv.FormatInt(sym.id, 10)},
		{"dealExecuteTime", strconv.FormatInt(now.UnixMilli(), 10)}, {"orderBizType", "1"}, {"orderId", id}, {"pendingId", "0"},
		{"dealId", strconv.Itoa(800000 + n)}, {"accountCurrency", "USDT"}, {"orderStatus", "2"}, {"dealExecuteNum", "0.10"},
		{"source", "4"}, {"dealPrice", dealPrice}, {"requestAmount", "0"}, {"takeProfitMsg", ""}, {"currency", "USDT"},
		{"symbolName", sym.name}, {"contractSize", "1"}, {"sourceExecuteVolSum", "0.10"}, {"commission", "-0.18"},
		{"sourceExecuteVol", "0.10"}, {"direction", strconv.Itoa(1 + n%2)}, {"dealAmount", "182.50"}, {"accountId", accountID},
		{"companyId", s.companyIDStr}, {"positionId", strconv.Itoa(900000 + n)}, {"dealExecutePrice", price}, {"playType", "1"},
		{"orderDirection", strconv.Itoa(1 + n%2)}, {"symbolDigits", strconv.Itoa(sym.digits)}, {"stopLossMsg", ""}, {"Margin", "18.25"},
	}
	content := obj{{"accountId", customerID*10 + int64(tradeType)}, {"companyId", s.companyID}, {"customerId", customerID},
		{"tradeType", int64(tradeType)}, {"bizType", tradeBizTypes[n%len(tradeBizTypes)]}, {"paramMap", params}}
	return appendJSON(nil, obj{{"trace", s.pushTrace()}, {"msgCode", openmsg.Trade}, {"content", content}, {"timestamp", now.UnixMilli()}})
}

// assetText renders an f(…) or g(…) frame with two positions; broken puts
// a word where availableMargin belongs.
func assetText(prefix string, n int, broken bool) []byte {
	avail := fmt.Sprintf("%d.%02d", 9000+n, n%100)
	if broken {
		avail = "NaN"
	}
	return fmt.Appendf(nil, "%s(%d.50,120.00,%s,%d.10,10%03d.50,10000.00);(%d,%d.25);(%d,-%d.75);",
		prefix, 12+n%7, avail, 80+n%9, n%1000, 900000+n, n%11, 900100+n, n%5)
}

// feedPushInterval is Options.FeedPushInterval or its default.
func (s *Simulator) feedPushInterval() time.Duration {
	if s.opts.FeedPushInterval > 0 {
		return s.opts.FeedPushInterval
	}
	return DefaultFeedPushInterval
}

// issuePushToken makes a message token for apiKey and remembers it, so the
// trade-message socket accepts exactly the tokens getMsgPushToken handed
// out, each on the socket of the key it was issued to.
func (s *Simulator) issuePushToken(st *signedState, apiKey string) string {
	tok := s.newUUID() + "push"
	st.pushToken.Store(tok, apiKey)
	return tok
}

// pushTokenValid reports whether token was issued to the apiKey appID.
func (s *Simulator) pushTokenValid(token, appID string) bool {
	st, err := s.signed()
	if err != nil || token == "" {
		return false
	}
	key, ok := st.pushToken.Load(token)
	return ok && key == appID
}

// pushTrace is the trace of a frame the server starts (a push, a
// disconnect): the vendor's "x-…" shape, without serverTrace's epoch, whose
// run of digits the redactor's detectors rightly take for a number worth
// masking in a body that may carry personal data.
func (s *Simulator) pushTrace() string {
	n := s.traceSeq.Add(1)
	return fmt.Sprintf("x-sim%05d-%04x-%04x", n%100000, n*2654435761%65536, n*40503%65536)
}
