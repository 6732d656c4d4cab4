package simulator

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mmcontract/mmcontract/internal/quote"
)

// Defaults of the quote socket's timers (Options.Quote*).
const (
	// DefaultQuoteIdleTimeout is the vendor's: the server disconnects
	// after 30 s without a frame from the client.
	DefaultQuoteIdleTimeout = 30 * time.Second
	// DefaultQuotePushInterval is the cadence of each subscribed symbol's
	// pushes.
	DefaultQuotePushInterval = 50 * time.Millisecond
	// DefaultQuoteCloseAfter is when the "ws-server-closes" scenario ends
	// a connection.
	DefaultQuoteCloseAfter = 300 * time.Millisecond
)

// quoteSocket is one of the vendor's three quote sockets.
type quoteSocket struct {
	// token: the socket takes the client token as ?token= (quote,
	// quote_stock); quote_guest takes none.
	token bool
}

// quoteSockets are the quote sockets by path.
var quoteSockets = map[string]quoteSocket{
	quote.PathQuote:      {token: true},
	quote.PathQuoteGuest: {},
	quote.PathQuoteStock: {token: true},
}

// quoteFault is how a websocket scenario changes the quote sockets; the
// zero value is the vendor as documented.
type quoteFault struct {
	handshakeStall bool // never answers the upgrade
	silent         bool // accepts, then sends nothing at all
	noHeartbeat    bool // 14008 goes unanswered
	pushesStop     bool // the 14001 ack comes, no push after it
	seqGap         bool // every third push skips a sequence number
	priceNumber    bool // tick_list prices are JSON numbers
	newField       bool // tick_list entries gain "price_change"
	closeAfter     bool // the server closes every connection after QuoteCloseAfter
	nonJSONAck     bool // the 14001 ack is an HTML text frame
	overCapAck     bool // the 14001 ack is a frame over 1 MiB
	badDeflate     bool // the K-line binary frame is not deflate data
	bomb           bool // the K-line binary frame inflates to 64 MiB
	pii            bool // every answer's msg quotes the customer's PII, and its ext is the session token
}

// overCapPadding makes the over-cap ack larger than the client's 1 MiB cap.
const overCapPadding = 1<<20 + 4096

func (s *Simulator) quoteTimers() (idle, push, closeAfter time.Duration) {
	idle, push, closeAfter = s.opts.QuoteIdleTimeout, s.opts.QuotePushInterval, s.opts.QuoteCloseAfter
	if idle <= 0 {
		idle = DefaultQuoteIdleTimeout
	}
	if push <= 0 {
		push = DefaultQuotePushInterval
	}
	if closeAfter <= 0 {
		closeAfter = DefaultQuoteCloseAfter
	}
	return idle, push, closeAfter
}

// serveQuote answers a quote socket's handshake and speaks the protocol
// until either side ends the connection.
func (s *Simulator) serveQuote(w http.ResponseWriter, r *http.Request, sock quoteSocket) {
	fault := s.scenario.Load().quote
	if fault == nil {
		fault = &quoteFault{}
	}
	if fault.handshakeStall {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	cust, token := s.customers[0], ""
	if sock.token {
		token = r.URL.Query().Get("token")
		ss, ok := s.sessions.lookup(token, s.companyIDStr, s.now())
		if !ok {
			http.Error(w, "token invalid or expired", http.StatusUnauthorized)
			return
		}
		cust = ss.cust
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionNoContextTakeover})
	if err != nil {
		return
	}
	// The vendor's frames are ours to size; the over-cap and bomb
	// scenarios send more than any client should accept.
	ws.SetReadLimit(1 << 20)
	idle, push, closeAfter := s.quoteTimers()
	c := &quoteConn{sim: s, ws: ws, fault: fault, idle: idle, push: push, cust: cust, token: token,
		ticks: map[quote.Symbol]bool{}, depths: map[quote.Symbol]bool{}, seqs: map[string]uint64{}}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	if fault.closeAfter {
		time.AfterFunc(closeAfter, func() { _ = ws.Close(websocket.StatusGoingAway, "server closing") })
	}
	c.run(ctx)
}

// quoteConn is one quote connection's state.
type quoteConn struct {
	sim   *Simulator
	ws    *websocket.Conn
	fault *quoteFault
	idle  time.Duration
	push  time.Duration
	cust  *customer // the token's customer; the first one on the guest socket
	token string    // the handshake's token, "" on the guest socket

	mu     sync.Mutex
	ticks  map[quote.Symbol]bool // the tick subscription (14000 replaces it)
	depths map[quote.Symbol]bool // the depth subscription
	seqs   map[string]uint64     // next seq per push kind and symbol
	pushes int                   // pushes sent, for the seq-gap scenario
	calls  []time.Time           // request arrivals within the last second
}

func (c *quoteConn) run(ctx context.Context) {
	heard := make(chan struct{}, 1)
	go c.pushLoop(ctx)
	go c.idleLoop(ctx, heard)
	for {
		typ, msg, err := c.ws.Read(ctx)
		if err != nil {
			_ = c.ws.CloseNow()
			return
		}
		select {
		case heard <- struct{}{}:
		default:
		}
		if c.fault.silent {
			continue
		}
		if typ != websocket.MessageText {
			c.reply(ctx, quote.RetHeaderInvalid, "header param invalid: a binary request", 0, 0, "", nil)
			continue
		}
		c.handle(ctx, msg)
	}
}

// idleLoop disconnects a client that has been silent for the idle timeout,
// as the vendor does after 30 s without a heartbeat.
func (c *quoteConn) idleLoop(ctx context.Context, heard <-chan struct{}) {
	t := time.NewTimer(c.idle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heard:
			if !t.Stop() {
				<-t.C
			}
			t.Reset(c.idle)
		case <-t.C:
			_ = c.ws.Close(websocket.StatusPolicyViolation, "no heartbeat")
			return
		}
	}
}

// rawRequest is a request frame as the server reads it: every member
// optional, so a missing one is told from a zero one.
type rawRequest struct {
	CmdID *uint32         `json:"cmd_id"`
	SeqID *uint32         `json:"seq_id"`
	Ext   *string         `json:"ext"`
	Data  json.RawMessage `json:"data"`
}

func (c *quoteConn) handle(ctx context.Context, msg []byte) {
	var req rawRequest
	if err := json.Unmarshal(msg, &req); err != nil || req.CmdID == nil || req.SeqID == nil {
		c.reply(ctx, quote.RetHeaderInvalid, "header param invalid", 0, 0, "", nil)
		return
	}
	cmd, seq, ext := *req.CmdID, *req.SeqID, ""
	if req.Ext != nil {
		ext = *req.Ext
	}
	if len(ext) > quote.MaxExtLength || quote.CommandName(cmd) == "" || cmd%2 != 0 {
		c.reply(ctx, quote.RetHeaderInvalid, "header param invalid", cmd+1, seq, ext, nil)
		return
	}
	if !c.allowCall(c.sim.now()) {
		c.reply(ctx, quote.RetFailed, "request frequency too fast", cmd+1, seq, ext, nil)
		return
	}
	switch cmd {
	case quote.CmdHeartbeat:
		if !c.fault.noHeartbeat {
			c.reply(ctx, quote.RetOK, "success", quote.CmdHeartbeatAck, seq, ext, struct{}{})
		}
	case quote.CmdSubscribeTick:
		c.subscribeTicks(ctx, seq, ext, req.Data)
	case quote.CmdSubscribeDepth:
		c.subscribeDepth(ctx, seq, ext, req.Data)
	case quote.CmdCancel:
		c.cancel(ctx, seq, ext, req.Data)
	case quote.CmdKline:
		c.kline(ctx, seq, ext, req.Data)
	}
}

// allowCall counts a request against the 50 calls a second a connection may
// make.
func (c *quoteConn) allowCall(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.calls[:0]
	for _, t := range c.calls {
		if now.Sub(t) < time.Second {
			keep = append(keep, t)
		}
	}
	c.calls = append(keep, now)
	return len(c.calls) <= quote.MaxCallsPerSecond
}

// reply writes a response frame; data nil means {}.
func (c *quoteConn) reply(ctx context.Context, ret int32, msg string, cmd, seq uint32, ext string, data any) {
	if data == nil {
		data = struct{}{}
	}
	if c.fault.pii {
		u := c.cust.User
		msg = fmt.Sprintf("%s for %s (phone %s, ID number %s)", msg, u.Email, u.Phone, u.IDCard)
		if c.token != "" {
			ext = c.token
		} else {
			ext = u.Email
		}
	}
	b, err := json.Marshal(struct {
		Ret   int32  `json:"ret"`
		Msg   string `json:"msg"`
		CmdID uint32 `json:"cmd_id"`
		SeqID uint32 `json:"seq_id"`
		Ext   string `json:"ext"`
		Data  any    `json:"data"`
	}{ret, msg, cmd, seq, ext, data})
	if err != nil {
		return
	}
	_ = c.ws.Write(ctx, websocket.MessageText, b)
}

// symbolsOf decodes a subscription's symbol_list, or says why it is invalid.
func symbolsOf(data json.RawMessage) ([]quote.Symbol, string) {
	var d struct {
		SymbolList *[]quote.Symbol `json:"symbol_list"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.SymbolList == nil {
		return nil, "data param invalid: symbol_list"
	}
	if len(*d.SymbolList) > quote.MaxSymbols {
		return nil, fmt.Sprintf("data param invalid: at most %d symbols", quote.MaxSymbols)
	}
	return *d.SymbolList, ""
}

// known is the simulator's symbol of s, if it serves one.
func (c *quoteConn) known(s quote.Symbol) (symbol, bool) {
	for _, sym := range c.sim.symbols {
		if uint64(sym.id) == s.SymbolID {
			return sym, true
		}
	}
	return symbol{}, false
}

func (c *quoteConn) subscribeTicks(ctx context.Context, seq uint32, ext string, data json.RawMessage) {
	syms, bad := symbolsOf(data)
	if bad != "" {
		c.reply(ctx, quote.RetDataInvalid, bad, quote.CmdSubscribeTickAck, seq, ext, nil)
		return
	}
	var list []map[string]any
	c.mu.Lock()
	c.ticks = map[quote.Symbol]bool{}
	for _, s := range syms {
		sym, ok := c.known(s)
		if !ok {
			continue // partially OK: unknown products get no tick
		}
		c.ticks[s] = true
		list = append(list, c.tickOf(sym, s))
	}
	c.mu.Unlock()
	switch {
	case c.fault.nonJSONAck:
		_ = c.ws.Write(ctx, websocket.MessageText, []byte(nginxPage("503 Service Temporarily Unavailable")))
		return
	case c.fault.overCapAck:
		c.reply(ctx, quote.RetOK, strings.Repeat("x", overCapPadding), quote.CmdSubscribeTickAck, seq, ext, map[string]any{"tick_list": list})
		return
	}
	if list == nil {
		list = []map[string]any{}
	}
	c.reply(ctx, quote.RetOK, "success", quote.CmdSubscribeTickAck, seq, ext, map[string]any{"tick_list": list})
}

// tickOf is a symbol's tick for the 14001 ack, at the tick stream's current
// seq (the pushes continue from it). c.mu is held.
func (c *quoteConn) tickOf(sym symbol, s quote.Symbol) map[string]any {
	seq := c.seqs[seqKey(quote.PushTick, s)]
	c.seqs[seqKey(quote.PushTick, s)] = seq + 1
	price := func(offset int) any {
		p := priceText(sym, seq, offset)
		if c.fault.priceNumber {
			f, _ := strconv.ParseFloat(p, 64)
			return f
		}
		return p
	}
	t := map[string]any{
		"symbol_id": s.SymbolID, "trade_type": s.TradeType, "trade_mode": s.TradeMode,
		"seq": seq, "tick_time": c.sim.now().Unix(), "price_digits": sym.digits, "price": price(0),
		"tick_deep":  []map[string]any{{"price_bid": price(-1), "price_ask": price(1), "volume_bid": "12", "volume_ask": "9"}},
		"open_price": price(-3), "close_price": price(0), "high_price": price(4), "low_price": price(-4),
		"yesterday_close_price": price(-2),
	}
	if c.fault.newField {
		t["price_change"] = "0.12"
	}
	return t
}

// priceText is a deterministic price of sym at seq, offset points away, with
// exactly the symbol's digits.
func priceText(sym symbol, seq uint64, offset int) string {
	scale := 1.0
	for range sym.digits {
		scale *= 10
	}
	base := int64(100+sym.id%50) * int64(scale)
	points := base + int64(seq%7)*3 + int64(offset)
	return strconv.FormatFloat(float64(points)/scale, 'f', sym.digits, 64)
}

func seqKey(kind quote.PushKind, s quote.Symbol) string { return string(kind) + " " + s.String() }

func (c *quoteConn) subscribeDepth(ctx context.Context, seq uint32, ext string, data json.RawMessage) {
	syms, bad := symbolsOf(data)
	if bad != "" {
		c.reply(ctx, quote.RetDataInvalid, bad, quote.CmdSubscribeDepthAck, seq, ext, nil)
		return
	}
	list := []map[string]any{}
	c.mu.Lock()
	c.depths = map[quote.Symbol]bool{}
	for _, s := range syms {
		sym, ok := c.known(s)
		if !ok {
			continue
		}
		c.depths[s] = true
		list = append(list, map[string]any{
			"symbol_id": s.SymbolID, "trade_type": s.TradeType, "trade_mode": s.TradeMode,
			"bid_deep":   []map[string]any{{"price": priceText(sym, 0, -1), "volume": "3"}},
			"ask_deep":   []map[string]any{{"price": priceText(sym, 0, 1), "volume": "4"}},
			"trade_info": []map[string]any{{"price": priceText(sym, 0, 0), "volume": "1", "trade_direction": 1, "trade_time": c.sim.now().Unix()}},
		})
	}
	c.mu.Unlock()
	c.reply(ctx, quote.RetOK, "success", quote.CmdSubscribeDepthAck, seq, ext, map[string]any{"depth_list": list})
}

func (c *quoteConn) cancel(ctx context.Context, seq uint32, ext string, data json.RawMessage) {
	var d struct {
		CancelType *int `json:"cancel_type"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.CancelType == nil || *d.CancelType < quote.CancelAll || *d.CancelType > quote.CancelRolling {
		c.reply(ctx, quote.RetDataInvalid, "data param invalid: cancel_type", quote.CmdCancelAck, seq, ext, nil)
		return
	}
	c.mu.Lock()
	if *d.CancelType == quote.CancelAll || *d.CancelType == quote.CancelTick {
		c.ticks = map[quote.Symbol]bool{}
	}
	if *d.CancelType == quote.CancelAll || *d.CancelType == quote.CancelDepth {
		c.depths = map[quote.Symbol]bool{}
	}
	c.mu.Unlock()
	c.reply(ctx, quote.RetOK, "success", quote.CmdCancelAck, seq, ext, map[string]any{"cancel_type": *d.CancelType})
}

// klineSeconds is each kline_type's bar length (1 = 1 minute … 10 = a
// month, taken as 30 days), for the quote socket and the quote REST API.
var klineSeconds = map[int]int64{1: 60, 2: 300, 3: 900, 4: 1800, 5: 3600, 6: 7200, 7: 14400, 8: 86400, 9: 7 * 86400, 10: 30 * 86400}

func (c *quoteConn) kline(ctx context.Context, seq uint32, ext string, data json.RawMessage) {
	var q quote.KlineQuery
	if err := json.Unmarshal(data, &q); err != nil || klineSeconds[q.KlineType] == 0 || q.QueryKlineNum <= 0 {
		c.reply(ctx, quote.RetDataInvalid, "data param invalid: kline query", quote.CmdKlineAck, seq, ext, nil)
		return
	}
	sym, ok := c.known(q.Symbol)
	if !ok {
		c.reply(ctx, quote.RetDataInvalid, "data param invalid: symbol_id", quote.CmdKlineAck, seq, ext, nil)
		return
	}
	step := klineSeconds[q.KlineType]
	end := q.KlineTimestampEnd
	if end <= 0 {
		end = c.sim.now().Unix()
	}
	end -= end % step
	n := min(q.QueryKlineNum, quote.MaxKlineBars)
	bars := make([]map[string]any, n)
	for i := range bars {
		ts := end - int64(n-1-i)*step
		k := uint64(ts / step)
		bars[i] = map[string]any{
			"timestamp": ts, "open_price": priceText(sym, k, -1), "close_price": priceText(sym, k, 1),
			"high_price": priceText(sym, k, 5), "low_price": priceText(sym, k, -5),
			"last_tick_time": (ts+step)*1000 - 1, "last_tick_seq": k, "transactions_number": 10 + k%90,
		}
	}
	b, err := json.Marshal(map[string]any{"ret": quote.RetOK, "msg": "success", "cmd_id": quote.CmdKlineAck, "seq_id": seq, "ext": ext,
		"data": map[string]any{"symbol_id": q.SymbolID, "trade_type": q.TradeType, "trade_mode": q.TradeMode, "kline_type": q.KlineType, "kline_list": bars}})
	if err != nil {
		return
	}
	// "The server performs libz compression on the entire packet."
	var payload []byte
	switch {
	case c.fault.badDeflate:
		payload = append([]byte{0x78, 0x9c}, bytes.Repeat([]byte{0xff}, 64)...)
	case c.fault.bomb:
		payload = klineBomb()
	default:
		payload = zlibBytes(b)
	}
	_ = c.ws.Write(ctx, websocket.MessageBinary, payload)
}

// klineBomb is 64 MiB of zeros deflated, about 64 KB, made once.
var klineBomb = sync.OnceValue(func() []byte { return zlibBytes(make([]byte, 64<<20)) })

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// pushLoop sends each subscribed symbol's pushes every push interval:
// p( for the tick subscription, pd( and pt( for the depth one.
func (c *quoteConn) pushLoop(ctx context.Context) {
	t := time.NewTicker(c.push)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c.fault.silent || c.fault.pushesStop {
			continue
		}
		for _, frame := range c.pushFrames() {
			if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
				return
			}
		}
	}
}

// pushFrames renders this interval's pushes, one text frame per push.
func (c *quoteConn) pushFrames() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.sim.now().Unix()
	var out [][]byte
	for _, s := range quoteOrder(c.ticks) {
		sym, _ := c.known(s)
		seq := c.nextSeq(quote.PushTick, s)
		out = append(out, fmt.Appendf(nil, "p(%d,%d,%d,%d,%d,%s,%s,%s,%s,%s);", s.SymbolID, s.TradeType, s.TradeMode, seq, now,
			priceText(sym, seq, 0), priceText(sym, seq, -1), priceText(sym, seq, 1), "12", "9"))
	}
	for _, s := range quoteOrder(c.depths) {
		sym, _ := c.known(s)
		seq := c.nextSeq(quote.PushDepth, s)
		out = append(out, fmt.Appendf(nil, "pd(%d,%d,%d,%d,%d);(%s,3)(%s,5);(%s,4)(%s,6);", s.SymbolID, s.TradeType, s.TradeMode, seq, now,
			priceText(sym, seq, -1), priceText(sym, seq, -2), priceText(sym, seq, 1), priceText(sym, seq, 2)))
		tseq := c.nextSeq(quote.PushTrade, s)
		out = append(out, fmt.Appendf(nil, "pt(%d,%d,%d,%d,%d,%s,1,%d);", s.SymbolID, s.TradeType, s.TradeMode, tseq, now,
			priceText(sym, tseq, 0), 1+tseq%2))
	}
	return out
}

// nextSeq is the next sequence number of a symbol's push kind; the
// seq-gap scenario skips one every third push. c.mu is held.
func (c *quoteConn) nextSeq(kind quote.PushKind, s quote.Symbol) uint64 {
	k := seqKey(kind, s)
	seq := c.seqs[k]
	c.pushes++
	if c.fault.seqGap && c.pushes%3 == 0 {
		seq++
	}
	c.seqs[k] = seq + 1
	return seq
}

// quoteOrder lists a subscription's symbols in a fixed order, so pushes
// come in the same order every interval.
func quoteOrder(set map[quote.Symbol]bool) []quote.Symbol {
	out := make([]quote.Symbol, 0, len(set))
	for sym := range set {
		out = append(out, sym)
	}
	slices.SortFunc(out, func(a, b quote.Symbol) int { return strings.Compare(a.String(), b.String()) })
	return out
}
